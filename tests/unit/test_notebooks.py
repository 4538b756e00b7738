"""House rules for the notebooks, checked without running them."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted(ROOT.glob("notebooks/*/[0-9][0-9]_*.ipynb"))
ALLOWED_TAGS = {"nbval-ignore-output", "raises-exception", "nbval-skip"}


def _ids(paths: list[Path]) -> list[str]:
    return [str(p.relative_to(ROOT / "notebooks")) for p in paths]


def test_there_are_notebooks() -> None:
    assert (ROOT / "notebooks/en/00_start_here.ipynb") in NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_code_cells_are_short(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        lines = cell.source.splitlines()
        assert len(lines) <= 15, f"cell {index} has {len(lines)} lines (at most 15)"
        wide = [line for line in lines if len(line) > 88]
        assert not wide, f"cell {index} has lines over 88 columns: {wide}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_outputs_are_stored_and_tags_known(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code, "a chapter without code"
    assert all(c.execution_count for c in code), (
        "run `./course notebooks` to store outputs"
    )
    for cell in code:
        assert set(cell.metadata.get("tags", [])) <= ALLOWED_TAGS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_first_code_cell_is_setup(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    first = next(c for c in nb.cells if c.cell_type == "code")
    assert "setup(" in first.source


def test_sanitize_file_parses_as_nbval_reads_it() -> None:
    """nbval pairs 'regex: ' and 'replace: ' lines by a regex of its own; an editor that
    strips the trailing space of an empty replacement would silently drop a rule."""
    import configparser
    import re

    from nbval.plugin import get_sanitize_patterns

    text = (ROOT / "tests" / "nbval_sanitize.cfg").read_text(encoding="utf-8")
    sections = configparser.ConfigParser()
    sections.read_string(text)
    pairs = get_sanitize_patterns(text)
    assert len(pairs) == len(sections.sections())
    patterns = dict(pairs)
    banner = "dockcourse 0.1.0 · chapter 00\n  ↳ removed 2 leftover(s)\nLIVE: x\n"
    for regex, replace in patterns.items():
        banner = re.sub(regex, replace, banner)
    assert "leftover" not in banner and "LIVE" in banner
