"""Japanese plot text: a CJK font when one is installed, English with a warning if not."""

from __future__ import annotations

import pytest

from dockcourse import fonts
from dockcourse.text import current_language, set_language


def test_plot_style_puts_a_cjk_font_first_for_japanese() -> None:
    import matplotlib as mpl

    if fonts.cjk_font() is None:
        pytest.skip("no CJK font installed (CI installs fonts-noto-cjk)")
    with fonts.plot_style("ja") as lang:
        assert lang == "ja"
        assert mpl.rcParams["font.sans-serif"][0] == fonts.cjk_font()
    assert mpl.rcParams["font.sans-serif"][0] != fonts.cjk_font()


def test_without_a_font_plots_fall_back_to_english(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(fonts, "cjk_font", lambda: None)
    set_language("ja")
    try:
        with (
            pytest.warns(fonts.NoJapaneseFont, match="fonts-noto-cjk"),
            fonts.plot_style() as lang,
        ):
            assert lang == "en" and current_language() == "en"
        assert current_language() == "ja"
    finally:
        set_language(None)


def test_japanese_glyphs_are_in_the_chosen_font() -> None:
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    family = fonts.cjk_font()
    if family is None:
        pytest.skip("no CJK font installed (CI installs fonts-noto-cjk)")
    path = font_manager.findfont(font_manager.FontProperties(family=family))
    charmap = FT2Font(path).get_charmap()
    assert all(ord(ch) in charmap for ch in "起動時間コンテナ")


def test_setup_in_japanese_makes_every_notebook_plot_use_the_cjk_font() -> None:
    import matplotlib as mpl

    if fonts.cjk_font() is None:
        pytest.skip("no CJK font installed (CI installs fonts-noto-cjk)")
    saved = mpl.rcParams.copy()
    try:
        assert fonts.use_for_notebook("en") == ""
        assert mpl.rcParams["font.sans-serif"][0] != fonts.cjk_font()
        assert fonts.use_for_notebook("ja") == ""
        assert mpl.rcParams["font.sans-serif"][0] == fonts.cjk_font()
    finally:
        mpl.rcParams.update(saved)


def test_saved_japanese_plot_has_no_missing_glyphs(tmp_path: object) -> None:
    """A figure saved after the plot function returned (as `dockcourse bench` does)."""
    import warnings

    import matplotlib

    matplotlib.use("Agg")
    from dockcourse.measure.results import load_recorded
    from dockcourse.plots import plot_startup

    if fonts.cjk_font() is None:
        pytest.skip("no CJK font installed (CI installs fonts-noto-cjk)")
    set_language("ja")
    try:
        ax = plot_startup(load_recorded())
    finally:
        set_language(None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ax.figure.savefig(f"{tmp_path}/startup.png")
    assert not [w for w in caught if "missing from font" in str(w.message)]


def test_plot_style_puts_back_only_the_font_settings() -> None:
    """What else changes while a plot is drawn stays changed. In a notebook, the first
    figure loads the inline backend, which turns interactive mode on inside the block;
    restoring every rcParam on the way out (as ``rc_context`` does) turned it off, and
    every later plot of the kernel was drawn but never shown."""
    import matplotlib as mpl

    if fonts.cjk_font() is None:
        pytest.skip("no CJK font installed (CI installs fonts-noto-cjk)")
    saved = mpl.rcParams.copy()
    try:
        mpl.interactive(False)
        before = list(mpl.rcParams["font.sans-serif"])
        with fonts.plot_style("ja"):
            mpl.interactive(True)
        assert mpl.is_interactive()
        assert mpl.rcParams["font.sans-serif"] == before
    finally:
        mpl.rcParams.update(saved)


def test_every_japanese_plot_of_a_kernel_is_shown() -> None:
    """In a real kernel, as a learner runs the Japanese edition: setup, then one plot
    after another; each cell shows its picture, not only the first one."""
    import nbformat
    from nbclient import NotebookClient

    if fonts.cjk_font() is None:
        pytest.skip("no CJK font installed (CI installs fonts-noto-cjk)")
    cells = [
        'from dockcourse import setup\ncourse = setup("01", lang="ja", mode="recorded")',
        "from dockcourse.measure.results import load_recorded\nresults = load_recorded()",
        "from dockcourse.plots import plot_startup\nax = plot_startup(results)",
        "from dockcourse.plots import plot_phases\nax = plot_phases(results)",
        "ax = plot_startup(results)",
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    shown = [
        any("image/png" in o.get("data", {}) for o in cell.outputs)
        for cell in nb.cells[2:]
    ]
    assert shown == [True, True, True]
