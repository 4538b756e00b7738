"""Lesson steps: keyed by what was asked, the same key in every language."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from dockcourse.session import Session, step, step_key


class _Recorder:
    """Stands in for a session: records what ``observe`` was asked (pure logic)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, bool]] = []

    def _to_record(self, value: str) -> str:
        return value.replace("-abc123", "-{tag}")

    def observe(
        self, key: str, measure: Callable[[], Any], *, shared_files: bool
    ) -> Any:
        self.calls.append((key, shared_files))
        return measure()


def test_the_key_names_the_step_and_its_arguments_in_a_stable_order() -> None:
    key = step_key("container", (), {"runs": 5, "network": "none"})
    assert key == 'container(network="none", runs=5)'
    assert key == step_key("container", (), {"network": "none", "runs": 5})
    assert step_key("disk", ((1, 2, 5),), {}) == "disk([1, 2, 5])"


def test_different_arguments_are_different_recordings() -> None:
    assert step_key("c", (), {"network": "none"}) != step_key(
        "c", (), {"network": "bridge"}
    )


def test_a_step_goes_through_observe_with_its_key_and_returns_the_value() -> None:
    @step(shared_files=True)
    def listing(course: Session, path: str, *, deep: bool = False) -> dict[str, Any]:
        return {"path": path, "deep": deep}

    course: Any = _Recorder()
    assert listing(course, "/data", deep=True) == {"path": "/data", "deep": True}
    assert course.calls == [('listing("/data", deep=true)', True)]
    assert listing.__name__ == "listing"


def test_the_key_holds_the_sessions_names_as_tokens() -> None:
    @step()
    def visit(course: Session, server: str) -> str:
        return server

    course: Any = _Recorder()
    visit(course, "dockcourse-08-web-abc123")
    assert course.calls == [('visit("dockcourse-08-web-{tag}")', False)]


def test_a_real_session_turns_its_tag_into_the_token() -> None:
    from dockcourse.session import TAG_TOKEN

    course = Session(chapter="08", mode="recorded", lang="en", image_ref="x")
    key = course._to_record(step_key("visit", (course.name("web"),), {}))
    assert course.tag not in key and TAG_TOKEN in key


def test_a_course_error_in_a_cell_reads_as_cause_and_fix_not_a_traceback(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A predicted failure raised in a notebook cell prints the catalogue's two lines
    (what happened, what to do) and no traceback; the cell still fails, so Run All stops
    where the learner must act. Anything else keeps its traceback."""
    from IPython.core.interactiveshell import InteractiveShell

    from dockcourse import session
    from dockcourse.errors import CourseError

    shell = InteractiveShell.instance()
    try:
        session._explain_engine_faults()
        shell.user_ns["CourseError"] = CourseError
        result = shell.run_cell("raise CourseError(cause='the cause', fix='the fix')")
        said = capsys.readouterr()
        assert not result.success
        assert (
            session.course_error_message(CourseError(cause="the cause", fix="the fix"))
            in said.out
        )
        assert "the fix" in said.out and "Traceback" not in said.out + said.err
        result = shell.run_cell("raise ValueError('not predicted')")
        said = capsys.readouterr()
        assert not result.success
        assert (
            "Traceback" in said.out + said.err and "ValueError" in said.out + said.err
        )
    finally:
        InteractiveShell.clear_instance()
