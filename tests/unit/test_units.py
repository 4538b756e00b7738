"""One way to write bytes and seconds (``dockcourse.units``)."""

from __future__ import annotations

import pytest

from dockcourse.units import docker_size, human_bytes, human_seconds


@pytest.mark.parametrize(
    ("value", "text"),
    [(0.000765, "765 µs"), (0.25, "250 ms"), (2.2, "2.2 s"), (96.9, "97 s")],
)
def test_human_seconds(value: float, text: str) -> None:
    assert human_seconds(value) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0, "0 B"),
        (1023, "1023 B"),
        (1536, "1.5 KiB"),
        (1024**2, "1 MiB"),
        (2_000_000, "1.91 MiB"),
        (300 * 1024**2, "300 MiB"),
        (5 * 1024**3, "5 GiB"),
    ],
)
def test_human_bytes(value: int, text: str) -> None:
    assert human_bytes(value) == text


def test_docker_size_matches_the_cli() -> None:
    assert docker_size(1985580) == "1.99MB"
    assert docker_size(4194310) == "4.19MB"
    assert docker_size(87) == "87B"
