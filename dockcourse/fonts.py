"""Fonts for plot text: Japanese labels need a font that has the glyphs.

matplotlib's default (DejaVu Sans) has no kana or kanji and draws empty boxes. ``plot_style``
puts the first installed CJK font in front of the default for the duration of one plot (it
changes, then restores, the two font settings and nothing else); when none is installed it
says once what to install, and the plot falls back to English text. Used by every plot of
the Japanese edition (``plots.py``).
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from typing import ParamSpec, TypeVar

from .text import chosen_language, current_language, set_language

P = ParamSpec("P")
R = TypeVar("R")


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
def plot_style(lang: str | None = None) -> Iterator[str]:
    """Within the block, text created for a plot renders in ``lang`` (default: the
    course's language); without a Japanese font the catalogue falls back to English for
    the block. Yields the language in use. Fonts are looked up when a figure is drawn,
    so a figure saved after the block needs :func:`pin_fonts` (``localized`` does it)."""
    wanted = lang or current_language()
    usable = plot_language(wanted)
    if usable != wanted:
        previous = chosen_language()
        set_language(usable)
        try:
            yield usable
        finally:
            set_language(previous)
        return
    family = cjk_font() if usable == "ja" else None
    if family is None:
        yield usable
        return
    with _cjk_first(family):
        yield usable


@contextmanager
def _cjk_first(family: str) -> Iterator[None]:
    """Put ``family`` first for the block, then put back the two font settings only.

    Not ``matplotlib.rc_context``, which restores *every* rcParam on exit. In a notebook,
    the first figure of the kernel loads the inline backend, and loading it turns
    matplotlib's interactive mode on; when that first figure is drawn inside an
    rc_context, leaving the block turns interactive mode off again, and every later
    figure of the kernel is drawn but never displayed (chapter 01 lost two plots so)."""
    import matplotlib as mpl

    saved_family = mpl.rcParams["font.family"]
    saved_sans = mpl.rcParams["font.sans-serif"]
    mpl.rcParams["font.family"] = "sans-serif"
    mpl.rcParams["font.sans-serif"] = [family, *saved_sans]
    try:
        yield
    finally:
        mpl.rcParams["font.family"] = saved_family
        mpl.rcParams["font.sans-serif"] = saved_sans


def localized(plot: Callable[P, R]) -> Callable[P, R]:
    """Decorator for plot functions: draw inside :func:`plot_style`."""

    @functools.wraps(plot)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with plot_style() as lang:
            result = plot(*args, **kwargs)
            family = cjk_font() if lang == "ja" else None
            figure = getattr(result, "figure", None)
            if family is not None and figure is not None:
                pin_fonts(figure, family)
            return result

    return wrapper


def pin_fonts(figure: object, family: str) -> None:
    """Give every text of ``figure`` the font explicitly, so drawing it later (an inline
    backend after the cell, ``savefig`` after the block) does not fall back to a font
    without Japanese glyphs."""
    from matplotlib.text import Text

    for artist in figure.findobj(Text):  # type: ignore[attr-defined]
        artist.set_fontfamily([family, "DejaVu Sans"])


def use_for_notebook(lang: str) -> str:
    """For ``setup(lang="ja")``: put the CJK font first for every plot of the notebook,
    including the ones a chapter or the learner draws with matplotlib directly. Returns
    the install hint when no Japanese font exists ('' otherwise, and for English)."""
    if lang != "ja":
        return ""
    family = cjk_font()
    if family is None:
        return INSTALL_HINT
    import matplotlib as mpl

    sans = [f for f in mpl.rcParams["font.sans-serif"] if f != family]
    mpl.rcParams["font.sans-serif"] = [family, *sans]
    mpl.rcParams["font.family"] = "sans-serif"
    return ""
