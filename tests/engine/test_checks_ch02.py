"""Chapter 02's exercise checks against the real engine: a correct answer passes, and
each kind of wrong answer fails with a message that says what is wrong."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import docker.errors
import pytest

from dockcourse.checks.ch02 import (
    LIFE_FILE,
    check_hermit,
    check_life,
    check_removed,
    check_sleeper,
)
from dockcourse.resources import NameTaken, new_name
from dockcourse.session import Session
from dockcourse.text import set_language

pytestmark = pytest.mark.engine
SLEEP = ["sleep", "300"]


@pytest.fixture
def course(client: Any, image_ref: str) -> Session:
    set_language("en")
    return Session(
        chapter="02", mode="live", lang="en", client=client, image_ref=image_ref
    )


@pytest.fixture
def name(client: Any) -> Iterator[str]:
    """A unique container name (not the exercise's, which a notebook may be using)."""
    chosen = new_name("02", "check")
    yield chosen
    with contextlib.suppress(docker.errors.NotFound):
        client.api.remove_container(chosen, force=True)


def test_sleeper_passes(course: Session, name: str, capsys: Any) -> None:
    course.start(SLEEP, name=name, hostname="island", mem_limit="64m")
    assert f"docker run -d --name={name} --hostname=island --memory=64m" in (
        capsys.readouterr().out
    )
    verdict = check_sleeper(course, name)
    assert verdict.passed, str(verdict)
    assert "island" in str(verdict) and "64 MiB" in str(verdict)


def test_sleeper_missing(course: Session, name: str) -> None:
    verdict = check_sleeper(course, name)
    assert not verdict.passed
    assert f"no container named {name}" in str(verdict)
    assert "course.start" in verdict.hint


def test_sleeper_not_running(course: Session, name: str, client: Any) -> None:
    course.start(["true"], name=name, hostname="island", mem_limit="64m")
    client.containers.get(name).wait(timeout=30)
    verdict = check_sleeper(course, name)
    assert not verdict.passed
    assert "exited" in verdict.detail and "sleep 3600" in verdict.hint


def test_sleeper_wrong_hostname(course: Session, name: str) -> None:
    course.start(SLEEP, name=name, hostname="isle", mem_limit="64m")
    verdict = check_sleeper(course, name)
    assert not verdict.passed
    assert "'isle'" in verdict.detail and "--hostname island" in verdict.hint


def test_sleeper_without_memory_limit(course: Session, name: str) -> None:
    course.start(SLEEP, name=name, hostname="island")
    verdict = check_sleeper(course, name)
    assert not verdict.passed
    assert "no limit" in verdict.detail and "64m" in verdict.hint


def test_sleeper_wrong_memory_limit(course: Session, name: str) -> None:
    course.start(SLEEP, name=name, hostname="island", mem_limit="64mb")
    assert check_sleeper(course, name).passed  # 64mb is 64 MiB to Docker
    course.start(SLEEP, name=name, hostname="island", mem_limit="64000000")
    verdict = check_sleeper(course, name)
    assert not verdict.passed
    assert "61.04 MiB (64000000 bytes)" in verdict.detail


def test_hermit_passes(course: Session, name: str) -> None:
    course.start(SLEEP, name=name, network_mode="none", nano_cpus=500_000_000)
    verdict = check_hermit(course, name)
    assert verdict.passed, str(verdict)


def test_hermit_by_quota_and_period_passes(course: Session, name: str) -> None:
    course.start(
        SLEEP, name=name, network_mode="none", cpu_quota=50_000, cpu_period=100_000
    )
    assert check_hermit(course, name).passed


def test_hermit_with_a_network(course: Session, name: str, client: Any) -> None:
    course.start(SLEEP, name=name, nano_cpus=500_000_000)
    verdict = check_hermit(course, name)
    assert not verdict.passed
    # names the network the engine gave it (engines differ: default, bridge, …)
    network = client.containers.get(name).attrs["HostConfig"]["NetworkMode"]
    assert network != "none" and repr(network) in verdict.detail
    assert "network_mode" in verdict.hint


def test_hermit_wrong_cpus(course: Session, name: str) -> None:
    course.start(SLEEP, name=name, network_mode="none")
    verdict = check_hermit(course, name)
    assert not verdict.passed and "any amount of CPU" in verdict.detail
    course.start(SLEEP, name=name, network_mode="none", nano_cpus=1_000_000_000)
    verdict = check_hermit(course, name)
    assert not verdict.passed and "may use 1 CPU" in verdict.detail


def test_start_replaces_its_own_container(
    course: Session, name: str, client: Any
) -> None:
    course.start(SLEEP, name=name, hostname="first")
    course.start(SLEEP, name=name, hostname="second")
    assert client.containers.get(name).attrs["Config"]["Hostname"] == "second"


def test_start_never_takes_over_a_learners_container(
    course: Session, name: str, client: Any, image_ref: str
) -> None:
    client.api.create_container(image_ref, SLEEP, name=name)  # unlabelled: theirs
    with pytest.raises(NameTaken, match="docker rm -f"):
        course.start(SLEEP, name=name, hostname="island")
    assert "io.dockcourse.course" not in (client.containers.get(name).labels or {})


def test_recorded_mode_says_what_it_would_check(capsys: Any) -> None:
    set_language("en")
    recorded = Session(chapter="02", mode="recorded", lang="en")
    recorded.start(SLEEP, name="dockcourse-02-sleeper", hostname="island")
    out = capsys.readouterr().out
    assert "docker run -d --name=dockcourse-02-sleeper" in out
    assert "recorded mode" in out
    verdict = check_sleeper(recorded)
    assert verdict.status == "recorded"
    assert "hostname island and a 64 MiB memory limit" in str(verdict)
    assert check_hermit(recorded).status == "recorded"


def test_life_and_removed_follow_the_containers_life(
    course: Session, name: str, client: Any
) -> None:
    """Exercise 3 then 4: nothing yet, running, stopped without the file, stopped with
    it (✔), then removed (✔); a container never seen stopped is not "removed"."""
    assert not check_removed(course, name).passed  # never made: not "removed"
    verdict = check_life(course, name)
    assert not verdict.passed and f"no container named {name}" in verdict.detail
    course.start("echo started; sleep 300", name=name)
    verdict = check_life(course, name)
    assert not verdict.passed and "still running" in verdict.detail
    assert f"docker stop {name}" in verdict.hint
    client.api.stop(name, timeout=1)
    verdict = check_life(course, name)
    assert not verdict.passed and LIFE_FILE in verdict.detail
    assert "docker exec" in verdict.hint
    client.api.start(name)
    made = client.api.exec_create(name, ["sh", "-c", f"echo hello > {LIFE_FILE}"])
    client.api.exec_start(made["Id"])
    assert not check_removed(course, name).passed  # still there
    client.api.stop(name, timeout=1)
    verdict = check_life(course, name)
    assert verdict.passed, str(verdict)
    assert "exit code 137" in verdict.detail and "SIGKILL" in verdict.detail
    client.api.remove_container(name)
    verdict = check_removed(course, name)
    assert verdict.passed, str(verdict)


def test_life_accepts_an_unlabelled_container_from_the_terminal(
    course: Session, name: str, client: Any, image_ref: str
) -> None:
    """Made with the plain docker CLI (no course label): the check reads it all the
    same, and never removes it."""
    client.api.create_container(
        image_ref, ["sh", "-c", f"echo hello > {LIFE_FILE}"], name=name
    )
    client.api.start(name)
    client.api.wait(name, timeout=30)
    verdict = check_life(course, name)
    assert verdict.passed, str(verdict)
    assert "exit code 0" in verdict.detail
    assert client.api.inspect_container(name)["State"]["Status"] == "exited"


def test_the_names_are_this_sessions(course: Session) -> None:
    other = Session(chapter="02", mode="live", lang="en", client=course.client)
    assert course.name("life") != other.name("life")
    assert check_life(course).detail != check_life(other).detail
