"""Numbers as a reader sees them: bytes and seconds, one way each.

The foundation layer (see CONTRIBUTING.md, "Package layers"): every module may import
it, and it imports nothing from the package. Catalogue sentences take these strings as
fields (``t("plot.phases.total", total=human_seconds(s))``).
"""

from __future__ import annotations

_BINARY = ((1024**3, "GiB"), (1024**2, "MiB"), (1024, "KiB"))
_DECIMAL = ((1e9, "GB"), (1e6, "MB"), (1e3, "kB"))


def human_bytes(value: float) -> str:
    """Binary units, three significant figures: 87 → "87 B", 1536 → "1.5 KiB",
    2_000_000 → "1.91 MiB", 5 GiB → "5 GiB", 300 MiB → "300 MiB"."""
    for scale, unit in _BINARY:
        if abs(value) >= scale:
            number = value / scale
            return (
                f"{number:.3g} {unit}" if abs(number) < 100 else f"{number:.0f} {unit}"
            )
    return f"{value:.0f} B"


def docker_size(value: float) -> str:
    """A size as the docker CLI prints it (decimal units, no space: "1.99MB", "87B").

    Only for text that reproduces a ``docker`` command's own output (``docker history``,
    ``docker system df``); everything else says :func:`human_bytes`."""
    for scale, unit in _DECIMAL:
        if value >= scale:
            return f"{value / scale:.3g}{unit}"
    return f"{int(value)}B"


def human_seconds(value: float) -> str:
    """0.000012 → "12 µs", 0.29 → "290 ms", 2.2 → "2.2 s", 97 → "97 s"."""
    for scale, unit in ((1.0, "s"), (1e-3, "ms"), (1e-6, "µs")):
        if value >= scale or unit == "µs":
            number = value / scale
            text = f"{number:.2g}" if number < 10 else f"{number:.0f}"
            return f"{text} {unit}"
    return f"{value:g} s"  # pragma: no cover
