"""The checks of chapter 05 pass on a correct answer and fail, with a useful message, on
wrong ones: against the real engine, contexts in a throw-away config directory."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dockcourse import contexts
from dockcourse.checks.ch05 import EXERCISE_CONTEXT, check_context, check_following
from dockcourse.session import Session, setup

pytestmark = pytest.mark.engine
NAME = EXERCISE_CONTEXT
ENDPOINT_VARS = (
    "DOCKER_HOST",
    "DOCKER_CONTEXT",
    "DOCKER_TLS_VERIFY",
    "DOCKER_CERT_PATH",
)


@pytest.fixture(scope="module")
def course() -> Session:
    session = setup("05", lang="en", mode="live", quiet=True)
    assert session.live, session.reason
    return session


@pytest.fixture(autouse=True)
def store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, client: Any
) -> Iterator[str]:
    for var in ENDPOINT_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "learner-docker"))
    directory = contexts.open_store()
    yield directory
    contexts.close_store()
    assert not os.path.exists(directory)
    # what a test set as the learner would (os.environ[...] = ...) ends with the test;
    # monkeypatch then puts back what the run started with
    for var in ENDPOINT_VARS:
        os.environ.pop(var, None)


def test_context_passes_on_a_correct_answer(course: Session, engine_url: str) -> None:
    contexts.create(NAME, host=engine_url)
    verdict = check_context(course)
    assert verdict.passed, str(verdict)
    assert "answers through it" in str(verdict)


def test_context_fails_when_missing(course: Session) -> None:
    verdict = check_context(course)
    assert verdict.status == "fail"
    assert f"no context named {NAME!r}" in verdict.detail
    assert f"docker context create {NAME} --docker host=" in verdict.hint


def test_context_fails_when_no_engine_answers(course: Session, engine_url: str) -> None:
    contexts.create(NAME, host="unix:///nonexistent.sock")
    verdict = check_context(course)
    assert verdict.status == "fail"
    assert "no engine answers there" in verdict.detail
    assert "/nonexistent.sock" in verdict.detail
    assert engine_url in verdict.hint  # the hint names the engine the course uses


def test_following_passes_with_docker_context(course: Session, engine_url: str) -> None:
    contexts.create(NAME, host=engine_url)
    os.environ["DOCKER_CONTEXT"] = NAME
    verdict = check_following(course)
    assert verdict.passed, str(verdict)


def test_following_fails_without_a_switch(course: Session, engine_url: str) -> None:
    contexts.create(NAME, host=engine_url)
    verdict = check_following(course)
    assert verdict.status == "fail"
    assert "would follow default" in verdict.detail
    assert f"os.environ['DOCKER_CONTEXT'] = {NAME!r}" in verdict.hint


def test_following_fails_when_docker_host_wins(
    course: Session, monkeypatch: pytest.MonkeyPatch, engine_url: str
) -> None:
    contexts.create(NAME, host=engine_url)
    os.environ["DOCKER_CONTEXT"] = NAME
    monkeypatch.setenv("DOCKER_HOST", engine_url)
    verdict = check_following(course)
    assert verdict.status == "fail"
    assert "DOCKER_HOST is set" in verdict.detail
    assert "del os.environ['DOCKER_HOST']" in verdict.hint


def test_following_fails_on_docker_context_use(
    course: Session, engine_url: str
) -> None:
    """Right engine, wrong way: `docker context use` changed config.json for everyone."""
    contexts.create(NAME, host=engine_url)
    from docker.context import ContextAPI

    ContextAPI.set_current_context(NAME)
    verdict = check_following(course)
    assert verdict.status == "fail"
    assert "currentContext in config.json" in verdict.detail
    assert "docker context use default" in verdict.hint


def test_following_fails_on_a_removed_context(course: Session) -> None:
    os.environ["DOCKER_CONTEXT"] = NAME
    verdict = check_following(course)
    assert verdict.status == "fail"
    assert NAME in verdict.detail


def test_recorded_mode_says_what_it_would_check() -> None:
    session = Session(chapter="05", mode="recorded", lang="en")
    verdict = check_context(session)
    assert verdict.status == "recorded"
    assert NAME in str(verdict)
    assert check_following(session).status == "recorded"
