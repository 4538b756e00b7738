"""Exercises start empty, their answers live in tests/solutions.json, quizzes keep their
answers in the catalogues; and the plugin that judges a check cell can fail."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from dockcourse.text import catalogue
from dockcourse.widgets.quiz import feedback, option_order, quiz, quiz_options
from tests.solutions_inject import (
    CHECK,
    EXERCISE,
    MARKER,
    _judge_check,
    empty_exercises,
    inject,
    load,
    tags,
)

ROOT = Path(__file__).resolve().parents[2]
ALL = sorted(ROOT.glob("notebooks/*/[0-9][0-9]_*.ipynb"))
#: The chapters with exercises: those the official answers name (00 and the optional
#: 07 have none; a notebook with an exercise cell but no answers fails below).
CHAPTERS = [p for p in ALL if p.stem in load()]


def test_every_chapter_with_an_exercise_has_official_answers() -> None:
    for path in ALL:
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        if any(EXERCISE in tags(c) for c in cells):
            assert path in CHAPTERS, path.name
    assert {p.stem for p in CHAPTERS} == set(load())


def _nb(path: Path) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return found


def _source(cell: dict[str, Any]) -> str:
    src = cell["source"]
    return src if isinstance(src, str) else "".join(src)


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_exercises_are_empty_and_have_an_official_answer(path: Path) -> None:
    nb = _nb(path)
    solutions = load()
    exercises = [c for c in nb["cells"] if EXERCISE in tags(c)]
    assert exercises, f"{path.name} has no exercise cell"
    for cell in exercises:
        assert _source(cell).strip() == MARKER, (
            f"{cell['id']} holds more than the marker"
        )
        assert not cell.get("outputs"), f"{cell['id']} has stored outputs"
        answer = solutions[path.stem][cell["id"]]
        assert answer.strip() and answer.strip() != MARKER
    ids = [c.get("id") for c in nb["cells"]]
    for cell in exercises:  # a check follows every exercise
        after = nb["cells"][ids.index(cell["id"]) + 1 :]
        assert any(CHECK in tags(c) for c in after), cell["id"]
    assert set(solutions[path.stem]) == {c["id"] for c in exercises}


def test_some_exercise_of_each_chapter_02_to_06_is_docker_syntax() -> None:
    solutions = load()
    for chapter, answers in solutions.items():
        if chapter[:2] >= "02":
            assert any(re.search(r"^%%?docker\b", a, re.M) for a in answers.values()), (
                chapter
            )


def test_inject_then_empty_round_trips() -> None:
    path = CHAPTERS[0]
    nb = _nb(path)
    assert inject(nb, path.stem, load()) > 0
    assert empty_exercises(nb)  # it names what held an answer
    assert empty_exercises(nb) == []


@pytest.mark.parametrize("path", ALL, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_quiz_cells_hold_no_answer(path: Path) -> None:
    for cell in _nb(path)["cells"]:
        if cell["cell_type"] == "code" and "quiz(" in _source(cell):
            assert "answer=" not in _source(cell)


def test_every_quiz_has_an_answer_and_a_reason_for_each_wrong_option() -> None:
    for lang in ("en", "ja"):
        texts = catalogue(lang)
        ids = {k[5:-2] for k in texts if k.startswith("quiz.") and k.endswith(".q")}
        assert ids
        for quiz_id in ids:
            count = len(quiz_options(quiz_id))
            answer = int(texts[f"quiz.{quiz_id}.answer"])
            assert 0 <= answer < count
            for k in set(range(count)) - {answer}:
                assert texts[f"quiz.{quiz_id}.why{k}"].strip(), (lang, quiz_id, k)


def test_quiz_order_is_stable_per_learner_and_differs_between_learners() -> None:
    assert option_order("02.pid", 3, "ana") == option_order("02.pid", 3, "ana")
    orders = {tuple(option_order("02.pid", 3, f"learner{i}")) for i in range(30)}
    assert len(orders) > 1


def test_feedback_after_a_wrong_answer_explains_every_wrong_option() -> None:
    lines = feedback("02.root", 2)
    text = "\n".join(lines)
    assert lines[0].startswith("✘")
    assert "UID 0, root" in lines[1]
    assert "user namespace is used only" in text and "UID 0 inside" in text


def test_quiz_stored_output_reads_as_text() -> None:
    bundle = quiz("03.cow")._repr_mimebundle_()
    assert "VBox" not in bundle["text/plain"]
    for option in quiz_options("03.cow"):
        assert option in bundle["text/plain"]
        assert html.escape(option) in bundle["text/html"]


def _item(text: str) -> Any:
    return SimpleNamespace(
        test_outputs=[{"output_type": "execute_result", "data": {"text/plain": text}}],
        parent=SimpleNamespace(path=Path("x.ipynb")),
        cell={"id": "c1"},
    )


def test_the_judge_fails_a_check_that_does_not_pass_with_the_answer() -> None:
    with pytest.raises(pytest.fail.Exception):
        _judge_check(_item("✘ Not yet: no container\nHint: docker ps -a"), inject=True)
    _judge_check(_item("✔ Correct: it runs"), inject=True)


def test_the_judge_fails_a_check_that_passes_or_gives_no_hint_when_empty() -> None:
    with pytest.raises(pytest.fail.Exception):
        _judge_check(_item("✔ Correct: it runs"), inject=False)
    with pytest.raises(pytest.fail.Exception):
        _judge_check(_item("✘ Not yet: no container"), inject=False)
    _judge_check(_item("✘ Not yet: no container\nHint: docker ps -a"), inject=False)


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_the_last_hint_shows_the_official_answer(path: Path) -> None:
    """Hint 3 (collapsed, in the Markdown before the exercise) is the answer the tests
    inject: the two cannot drift apart."""
    cells = _nb(path)["cells"]
    solutions = load()[path.stem]
    for index, cell in enumerate(cells):
        if EXERCISE not in tags(cell):
            continue
        above = next(
            _source(c)
            for c in reversed(cells[:index])
            if c["cell_type"] == "markdown" and "<details>" in _source(c)
        )
        assert f"```python\n{solutions[cell['id']]}\n```" in above, cell["id"]
