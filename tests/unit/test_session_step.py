"""Lesson steps: keyed by what was asked, the same key in every language."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

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
