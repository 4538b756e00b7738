"""Fonts for plot text: Japanese labels need a font that has the glyphs.

matplotlib's default (DejaVu Sans) has no kana or kanji and draws empty boxes. ``plot_style``
puts the first installed CJK font in front of the default for the duration of one plot (no
global rcParams change); when none is installed it says once what to install, and the plot
falls back to English text. Used by every plot of the Japanese edition (``plots.py``).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

#: Families that cover Japanese, most widely available first (Linux, conda, macOS, Windows).
CJK_FAMILIES = (
    "Noto Sans CJK JP",
    "Noto Sans JP",
    "Source Han Sans JP",
    "IPAexGothic",
    "IPAGothic",
    "TakaoGothic",
    "VL Gothic",
    "Hiragino Sans",
    "Hiragino Kaku Gothic ProN",
    "Yu Gothic",
    "Meiryo",
    "MS Gothic",
)
INSTALL_HINT = (
    "no Japanese font was found for plots, so plot text stays in English. Install one: "
    "Debian/Ubuntu `sudo apt-get install fonts-noto-cjk`; conda `conda install -c "
    "conda-forge font-ttf-noto-cjk`; then restart the kernel."
)


class NoJapaneseFont(UserWarning):
    """Plots asked for Japanese text, and no installed font has the glyphs."""


@cache
def cjk_font() -> str | None:
    """The first installed font family from ``CJK_FAMILIES``, or None."""
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    return next((family for family in CJK_FAMILIES if family in installed), None)


def plot_language(lang: str) -> str:
    """The language plots can actually be drawn in: Japanese only with a Japanese font."""
    if lang != "ja" or cjk_font() is not None:
        return lang
    warnings.warn(INSTALL_HINT, NoJapaneseFont, stacklevel=3)
    return "en"


@contextmanager
def plot_style(lang: str) -> Iterator[str]:
    """Within the block, plot text in ``lang`` renders; yields the language to use."""
    import matplotlib as mpl

    usable = plot_language(lang)
    family = cjk_font() if usable == "ja" else None
    if family is None:
        yield usable
        return
    sans = [family, *mpl.rcParams["font.sans-serif"]]
    with mpl.rc_context({"font.family": "sans-serif", "font.sans-serif": sans}):
        yield usable
