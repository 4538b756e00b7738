"""Chapter 03's checks pass on a correct answer and fail, with a hint, on wrong ones."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import pytest

from dockcourse import builds
from dockcourse.checks import ch03
from dockcourse.resources import clean_chapter

pytestmark = pytest.mark.engine
CHAPTER = "03-test-checks"


@pytest.fixture
def refs(client: Any) -> Iterator[tuple[str, str]]:
    tag = secrets.token_hex(3)
    yield f"dockcourse/test-ch03-mine-{tag}:1", f"dockcourse/test-ch03-two-{tag}:1"
    clean_chapter(client, CHAPTER)


def _commit(client: Any, image: str, command: str, ref: str) -> None:
    builds.run_and_diff(client, image, command, chapter=CHAPTER, commit_as=ref)


def test_mine_passes_on_a_correct_answer(
    client: Any, image_ref: str, refs: Any
) -> None:
    mine, two = refs
    _commit(client, image_ref, "echo hello layers > /greeting.txt", mine)
    assert ch03.inspect_mine(client, mine).passed
    _commit(client, mine, "echo two > /second.txt", two)
    assert ch03.inspect_two(client, two, mine).passed


def test_mine_fails_when_missing_or_wrong(
    client: Any, image_ref: str, refs: Any
) -> None:
    mine, _ = refs
    verdict = ch03.inspect_mine(client, mine)
    assert not verdict and "no image" in verdict.detail and verdict.hint
    _commit(client, image_ref, "echo hello > /greeting.txt", mine)
    verdict = ch03.inspect_mine(client, mine)
    assert (
        not verdict and "'hello'" in verdict.detail and "hello layers" in verdict.hint
    )
    _commit(client, image_ref, "echo hi > /other.txt", mine)
    verdict = ch03.inspect_mine(client, mine)
    assert not verdict and "no /greeting.txt" in verdict.detail


def test_two_fails_when_not_built_on_mine(
    client: Any, image_ref: str, refs: Any
) -> None:
    mine, two = refs
    _commit(client, image_ref, "echo hello layers > /greeting.txt", mine)
    _commit(client, image_ref, "echo two > /second.txt", two)
    verdict = ch03.inspect_two(client, two, mine)
    assert not verdict and "does not start with the layers" in verdict.detail
    assert mine in verdict.hint
    _commit(client, mine, "echo x > /x.txt", two)
    verdict = ch03.inspect_two(client, two, mine)
    assert not verdict and "no /second.txt" in verdict.detail


@pytest.fixture
def course() -> Iterator[Any]:
    from dockcourse.session import setup

    session = setup("03", lang="en", mode="live", quiet=True)
    assert session.live, session.reason
    yield session
    session.clean()


def _docker(url: str, *args: str) -> None:
    """What a learner types in the Terminal: the plain docker CLI, no course label."""
    import os
    import shutil
    import subprocess

    cli = shutil.which("docker")
    if cli is None:
        pytest.skip("no docker CLI installed: the Terminal path cannot be shown here")
    env = {**os.environ, "DOCKER_HOST": url}
    env.pop("DOCKER_CONTEXT", None)
    done = subprocess.run(
        [cli, *args], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr


def test_registry_exercise_in_the_terminal_passes_and_cleanup_removes_it(
    course: Any, client: Any, image_ref: str, engine_url: str
) -> None:
    from dockcourse.lessons import ch03 as lesson

    if lesson.registry_binary()[0] is None:
        pytest.skip("no registry program here (Debian: apt install docker-registry)")
    registry = lesson.start_registry(course)
    assert registry["running"], lesson.registry_summary(registry)
    assert registry["address"].startswith("localhost:")
    ports = client.api.inspect_container(registry["container"])["HostConfig"]
    assert ports["PortBindings"]["5000/tcp"][0]["HostIp"] == "127.0.0.1"
    mine, remote, welcome = (
        course.image_name("mine"),
        registry["mine"],
        registry["welcome"],
    )
    assert client.api.images(name=welcome) == []  # the course removed its copy
    verdict = ch03.inspect_registry(client, registry, mine)
    assert not verdict and "holds nothing" in verdict.detail and "push" in verdict.hint
    builds.run_and_diff(
        client,
        image_ref,
        "echo hello layers > /greeting.txt",
        chapter="03",
        commit_as=mine,
    )
    _docker(engine_url, "tag", mine, remote)
    _docker(engine_url, "push", remote)
    verdict = ch03.inspect_registry(client, registry, mine)
    assert not verdict and "still on this engine" in verdict.detail
    _docker(engine_url, "rmi", remote)
    verdict = ch03.inspect_registry(client, registry, mine)
    assert not verdict and "not been pulled" in verdict.detail
    _docker(engine_url, "pull", welcome)
    verdict = ch03.inspect_registry(client, registry, mine)
    assert verdict.passed, str(verdict)
    _docker(
        engine_url, "rmi", welcome
    )  # pulled in the Terminal: no label, the learner's
    course.clean()
    assert ch03.inspect_registry(client, registry, mine).detail.startswith(
        "the course's registry is not running"
    )
    assert client.api.images(name=course.image_name("registry")) == []
