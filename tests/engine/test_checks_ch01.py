"""Chapter 01's exercise checks against the real engine: a correct answer passes, and
each kind of wrong answer fails with a message that says what is wrong."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import docker.errors
import pytest

from dockcourse.checks.ch01 import (
    check_shared,
    check_writer,
    describe_layer,
    inspect_shared,
    inspect_writer,
    writable_layer,
)
from dockcourse.resources import new_name
from dockcourse.session import Session
from dockcourse.text import set_language

pytestmark = pytest.mark.engine
SLEEP = ["sleep", "300"]
WRITE = "dd if=/dev/zero of=/data.bin bs=1024 count=5120 && sleep 300"


@pytest.fixture
def course(client: Any, image_ref: str) -> Session:
    set_language("en")
    return Session(
        chapter="01", mode="live", lang="en", client=client, image_ref=image_ref
    )


@pytest.fixture
def prefix(client: Any) -> Iterator[str]:
    """A unique name prefix (not the exercise's, which a notebook may be using)."""
    chosen = new_name("01", "check") + "-"
    yield chosen
    for entry in client.api.containers(all=True, filters={"name": chosen}):
        with contextlib.suppress(docker.errors.NotFound):
            client.api.remove_container(entry["Id"], force=True)


def test_shared_passes_and_reports_the_layers(course: Session, prefix: str) -> None:
    for i in (1, 2, 3):
        course.start(SLEEP, name=f"{prefix}{i}", show=False)
    verdict = inspect_shared(course.require_client(), prefix)
    assert verdict.passed, str(verdict)
    assert "3 containers share one image" in verdict.detail
    assert course.image_ref in verdict.detail
    assert "not 3 ×" in verdict.detail


def test_shared_fails_with_too_few(course: Session, prefix: str) -> None:
    course.start(SLEEP, name=f"{prefix}1", show=False)
    verdict = inspect_shared(course.require_client(), prefix)
    assert verdict.status == "fail"
    assert "fewer than 3" in verdict.detail and f"{prefix}1" in verdict.detail
    assert "course.start" in verdict.hint


def test_shared_fails_when_they_stopped(course: Session, prefix: str) -> None:
    client = course.require_client()
    for i in (1, 2, 3):
        course.start(["true"], name=f"{prefix}{i}", show=False)
    for i in (1, 2, 3):
        client.api.wait(f"{prefix}{i}", timeout=30)
    verdict = inspect_shared(client, prefix)
    assert verdict.status == "fail"
    assert verdict.detail.startswith("not running:")
    assert "sleep" in verdict.hint


def test_shared_refuses_containers_the_course_did_not_start(
    course: Session, prefix: str, image_ref: str
) -> None:
    client = course.require_client()
    for i in (1, 2, 3):
        client.api.create_container(image_ref, SLEEP, name=f"{prefix}{i}")
    verdict = inspect_shared(client, prefix)
    assert verdict.status == "fail"
    assert "not started by this chapter" in verdict.detail
    assert "course.start" in verdict.hint


def test_writer_passes_when_5_mib_were_written(course: Session, prefix: str) -> None:
    name = f"{prefix}writer"
    course.start(WRITE, name=name, show=False)
    verdict = inspect_writer(course.require_client(), name)
    assert verdict.passed, str(verdict)
    assert "grew to 5" in verdict.detail
    layer = writable_layer(course.require_client(), name)
    assert layer["size_rw"] >= 5 * 1024 * 1024
    assert layer["image_bytes"] > 0
    assert "MiB" in describe_layer(layer)


def test_writer_fails_when_nothing_was_written(course: Session, prefix: str) -> None:
    name = f"{prefix}writer"
    course.start(SLEEP, name=name, show=False)
    verdict = inspect_writer(course.require_client(), name, wait_s=1.0)
    assert verdict.status == "fail"
    assert "less than 5 MiB" in verdict.detail
    assert "dd if=/dev/zero" in verdict.hint
    assert writable_layer(course.require_client(), name)["size_rw"] < 1024 * 1024


def test_writer_fails_when_missing(course: Session, prefix: str) -> None:
    verdict = inspect_writer(course.require_client(), f"{prefix}nobody", wait_s=0)
    assert verdict.status == "fail"
    assert "there is no container named" in verdict.detail


def test_recorded_mode_says_what_would_be_checked() -> None:
    set_language("en")
    session = Session(chapter="01", mode="recorded", lang="en")
    for check in (check_shared, check_writer):
        verdict = check(session)
        assert verdict.status == "recorded"
        assert "dockcourse-01-" in str(verdict)
