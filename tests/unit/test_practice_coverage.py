"""``docs/practice.md`` names, for every skill the established Docker courses make their
learners practise, the cells where this course's learner does it. Each place must still
hold what the table says (an exercise's official answer in ``tests/solutions.json``, a
demo cell's code, a Terminal task's Markdown), so the table cannot go stale (issue 11,
item 4)."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "practice.md"
NOTEBOOKS = ROOT / "notebooks" / "en"
SOLUTIONS = ROOT / "tests" / "solutions.json"

#: The skills issue 11 lists (item 4), each a row of the table (by its first words).
SKILLS = (
    "Run a one-off command",
    "An interactive shell",
    "Changes do not reach the next container",
    "`ps -a` and exit codes",
    "List images",
    "A minimal Dockerfile",
    "Build, tag and run",
    "Override the default command",
    "Tag and push",
    "Bind-mount a host folder",
    "Background container",
    "Publish a port",
    "Named volumes",
)
#: ``CHAPTER · `CELL` · KIND · `EVIDENCE```
PLACE = re.compile(r"(\d\d) · `([\w-]+)` · (exercise|demo|Terminal) · `([^`]+)`")


def _rows() -> list[list[str]]:
    rows = []
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if not line.startswith("| ") or line.startswith("| Skill") or "---|" in line:
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
        rows.append(cells)
    return rows


@cache
def _notebook(chapter: str) -> dict[str, dict[str, Any]]:
    """The cells of ``notebooks/en/CHAPTER_*.ipynb``, by id."""
    found = sorted(NOTEBOOKS.glob(f"{chapter}_*.ipynb"))
    assert len(found) == 1, f"no single notebook for chapter {chapter}: {found}"
    cells = json.loads(found[0].read_text(encoding="utf-8"))["cells"]
    return {cell["id"]: cell for cell in cells if "id" in cell}


def _stem(chapter: str) -> str:
    return next(NOTEBOOKS.glob(f"{chapter}_*.ipynb")).stem


def _places() -> list[tuple[str, str, str, str, str]]:
    return [
        (row[0], *match.groups())
        for row in _rows()
        for match in PLACE.finditer(row[-1])
    ]


def test_every_skill_of_the_issue_has_a_row() -> None:
    names = [row[0] for row in _rows()]
    for skill in SKILLS:
        assert any(name.startswith(skill) for name in names), skill
    assert all(len(row) == 5 for row in _rows()), "each row: skill, 3 courses, here"


@pytest.mark.parametrize("row", _rows(), ids=lambda row: row[0][:40])
def test_each_skill_is_practised_somewhere_or_marked_as_a_gap(row: list[str]) -> None:
    here = row[-1]
    assert PLACE.search(here) or "**Gap**" in here, (
        f"{row[0]}: name a place (CHAPTER · `CELL` · KIND · `EVIDENCE`) or say **Gap**"
    )


@pytest.mark.parametrize(
    ("skill", "chapter", "cell_id", "kind", "evidence"),
    _places(),
    ids=lambda value: str(value)[:30],
)
def test_each_named_place_holds_what_the_table_says(
    skill: str, chapter: str, cell_id: str, kind: str, evidence: str
) -> None:
    cells = _notebook(chapter)
    assert cell_id in cells, f"{skill}: no cell {cell_id} in chapter {chapter}"
    cell = cells[cell_id]
    source = "".join(cell["source"])
    if kind == "exercise":
        tags = cell.get("metadata", {}).get("tags", [])
        assert "exercise" in tags, f"{skill}: {chapter} {cell_id} is not an exercise"
        answers = json.loads(SOLUTIONS.read_text(encoding="utf-8"))
        answer = answers.get(_stem(chapter), {}).get(cell_id, "")
        assert evidence in answer, f"{skill}: {evidence!r} not in the answer {answer!r}"
    elif kind == "demo":
        assert cell["cell_type"] == "code", f"{skill}: {cell_id} is not a code cell"
        assert evidence in source, f"{skill}: {evidence!r} not in {source!r}"
    else:
        assert cell["cell_type"] == "markdown", f"{skill}: {cell_id} is not Markdown"
        assert evidence in source, f"{skill}: {evidence!r} not in the Terminal task"
