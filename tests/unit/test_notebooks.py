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
    assert all(c.execution_count for c in code), "run `./course notebooks` to store outputs"
    for cell in code:
        assert set(cell.metadata.get("tags", [])) <= ALLOWED_TAGS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_first_code_cell_is_setup(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    first = next(c for c in nb.cells if c.cell_type == "code")
    assert "setup(" in first.source
