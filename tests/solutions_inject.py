"""The official answers to the exercises, kept out of the notebooks.

A notebook's exercise cell is tagged ``exercise`` and holds only :data:`MARKER`; the cell
that checks it is tagged ``exercise-check``. ``tests/solutions.json`` maps a chapter
(the notebook's file name without ``.ipynb``, the same in both editions) and an exercise
cell's id to the official answer. ``tests/conftest.py`` uses this module to run the
notebooks under nbval twice: with the answers put into the exercise cells (every check
must pass), and as stored, with no answer (every check must say "not yet" with a hint,
and the chapter must still run to its end). ``scripts/execute_notebooks.py`` uses it to
store every exercise cell empty.

This module is a pytest plugin, loaded for every run in the repository by the root
``conftest.py``: ``pytest notebooks/en/02_isolation.ipynb --nbval-lax`` injects the
answers; add ``--exercise-solutions=none`` for the empty run.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

MARKER = "# \u270d\ufe0f"
EXERCISE = "exercise"
CHECK = "exercise-check"
SOLUTIONS = Path(__file__).with_name("solutions.json")


def load(path: Path = SOLUTIONS) -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = json.loads(path.read_text(encoding="utf-8"))
    return found


def tags(cell: Mapping[str, Any]) -> list[str]:
    return list((cell.get("metadata") or {}).get("tags") or [])


def solution(
    solutions: Mapping[str, Mapping[str, str]], chapter: str, cell_id: str
) -> str:
    """The official answer of one exercise cell; a missing one is a clear error."""
    try:
        return solutions[chapter][cell_id]
    except KeyError:
        raise KeyError(
            f"{chapter}: exercise cell {cell_id} has no solution in {SOLUTIONS.name}"
        ) from None


def empty_exercises(nb: Any) -> list[str]:
    """Make every exercise cell hold only the marker, with no output (in place); the
    ids of the cells that held something else."""
    changed = []
    for cell in nb["cells"]:
        if cell.get("cell_type") == "code" and EXERCISE in tags(cell):
            source = cell["source"]
            if not isinstance(source, str):
                source = "".join(source)
            if source.strip() != MARKER:
                changed.append(str(cell.get("id")))
            cell["source"] = MARKER
            cell["outputs"] = []
            cell["execution_count"] = None
    return changed


def inject(nb: Any, chapter: str, solutions: Mapping[str, Mapping[str, str]]) -> int:
    """Put the official answers into the exercise cells (in place); how many."""
    count = 0
    for cell in nb["cells"]:
        if cell.get("cell_type") == "code" and EXERCISE in tags(cell):
            cell["source"] = solution(solutions, chapter, str(cell.get("id")))
            count += 1
    return count


# --- Exercises: the official answers are injected, or the cells stay empty ---------------
# An exercise cell (tag ``exercise``) holds only a marker; its answer lives in
# tests/solutions.json (tests/solutions_inject.py). When nbval runs a notebook, by default
# the answers are put into the exercise cells and every check cell (tag
# ``exercise-check``) must say ✔ (or, in recorded mode, what it would check); with
# ``--exercise-solutions=none`` the cells run as stored, empty, and every check must say
# "not yet" with a hint. The stored outputs are those of the empty run, so in the
# solutions run the outputs of the cells from the first exercise on are not compared
# (they may depend on the answers: verdicts, what cleanup removed); the empty run
# compares them.


def _verdict_marks() -> dict[str, tuple[str, ...]]:
    from dockcourse.text import catalogue

    def heads(key: str) -> tuple[str, ...]:
        return tuple(catalogue(lang)[key].split("{")[0] for lang in ("en", "ja"))

    return {
        "pass": heads("check.pass"),
        "fail": heads("check.fail"),
        "hint": heads("check.hint"),
        "recorded": heads("check.recorded"),
    }


def _output_text(outputs: Any) -> str:
    parts = []
    for out in outputs or []:
        if out.get("output_type") == "stream":
            parts.append(str(out.get("text", "")))
        else:
            parts.append(str((out.get("data") or {}).get("text/plain", "")))
    return "\n".join(parts)


def _judge_check(item: Any, inject: bool) -> None:
    marks = _verdict_marks()
    text = _output_text(item.test_outputs)
    has = {kind: any(h and h in text for h in heads) for kind, heads in marks.items()}
    where = f"{item.parent.path.name}, check cell {item.cell.get('id')}"
    if has["recorded"]:
        return  # recorded mode: the check says what it would inspect, nothing more
    if inject:
        if not has["pass"] or has["fail"]:
            pytest.fail(
                f"{where}: the official solution does not pass:\n{text}", pytrace=False
            )
    elif has["pass"] or not (has["fail"] and has["hint"]):
        pytest.fail(
            f"{where}: with no answer typed, the check must say 'not yet' with a "
            f"hint, and says:\n{text}",
            pytrace=False,
        )


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--exercise-solutions",
        choices=("inject", "none"),
        default="inject",
        help="notebooks under nbval: put the official answers (tests/solutions.json) "
        "into the exercise cells (inject, the default), or run them empty (none)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[Any]) -> None:
    cells = [i for i in items if type(i).__name__ == "IPyNbCell"]
    if not cells:
        return
    inject = config.getoption("--exercise-solutions") == "inject"
    solutions = load() if inject else {}
    answered: set[Any] = set()  # notebooks whose first exercise has been reached
    for item in cells:
        cell_tags = tags(item.cell)
        if EXERCISE in cell_tags and inject:
            chapter = Path(str(item.parent.path)).stem
            item.cell.source = solution(solutions, chapter, str(item.cell.get("id")))
            answered.add(item.parent)
        if inject and item.parent in answered:
            # From the first answer on, what a cell shows may depend on the answers
            # (the checks, what cleanup removed): compared in the empty run only.
            item.options["check"] = False
        if CHECK in cell_tags:
            run = item.runtest

            def runtest(item: Any = item, run: Any = run) -> None:
                run()
                _judge_check(item, inject)

            item.runtest = runtest
