"""The throw-away context store and the docker-py path (no daemon needed: contexts are
files). The learner's config directory is a temporary one, so ~/.docker is never read."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from dockcourse import contexts
from dockcourse.text import t


@pytest.fixture
def learner_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A learner's config directory with their own current context."""
    config = tmp_path / "learner-docker"
    config.mkdir()
    (config / "config.json").write_text(json.dumps({"currentContext": "mine"}))
    monkeypatch.setenv("DOCKER_CONFIG", str(config))
    monkeypatch.setenv("DOCKER_CONTEXT", "mine")
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    yield config
    contexts.close_store()


@pytest.fixture(params=["docker-py", "cli"])
def via(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "cli" and shutil.which("docker") is None:
        pytest.skip("no docker CLI installed")
    if request.param == "docker-py":
        monkeypatch.setenv(contexts.NO_CLI_ENV, "1")
    else:
        monkeypatch.delenv(contexts.NO_CLI_ENV, raising=False)
    return str(request.param)


def test_store_is_throw_away_and_restores_the_environment(learner_config: Path) -> None:
    before = (learner_config / "config.json").read_bytes()
    directory = contexts.open_store()
    assert os.environ["DOCKER_CONFIG"] == directory != str(learner_config)
    assert "DOCKER_CONTEXT" not in os.environ  # it named a context of the learner's
    assert contexts.open_store() == directory  # idempotent
    os.environ["DOCKER_CONTEXT"] = "dockcourse-ex05"
    contexts.close_store()
    assert os.environ["DOCKER_CONFIG"] == str(learner_config)
    assert os.environ["DOCKER_CONTEXT"] == "mine"
    assert not os.path.exists(directory)
    assert (learner_config / "config.json").read_bytes() == before
    assert contexts.close_store() == []


def test_create_list_inspect_remove(learner_config: Path, via: str) -> None:
    contexts.open_store()
    made = contexts.create("dockcourse-t1", host="unix:///tmp/some/docker.sock")
    assert made["exit_code"] == 0, made["output"]
    assert made["via"] == via
    assert made["command"] == (
        "docker context create dockcourse-t1 --docker host=unix:///tmp/some/docker.sock"
    )
    again = contexts.create("dockcourse-t1", host="unix:///tmp/some/docker.sock")
    assert again["exit_code"] != 0 and "exists" in again["output"]
    names = {c["name"]: c for c in contexts.list_contexts()}
    assert names["default"]["current"]
    assert names["dockcourse-t1"]["endpoint"] == "unix:///tmp/some/docker.sock"
    first, second = contexts.inspect("dockcourse-t1")
    assert first["output"].strip() == "unix:///tmp/some/docker.sock"
    assert second["content"]["Endpoints"]["docker"] == {
        "Host": "unix:///tmp/some/docker.sock",
        "SkipTLSVerify": False,
    }
    assert contexts.endpoint_of("dockcourse-t1") == "unix:///tmp/some/docker.sock"
    assert contexts.endpoint_of("dockcourse-none") is None
    assert "dockcourse-t1" in contexts.ls()["output"]
    os.environ["DOCKER_CONTEXT"] = "dockcourse-t1"
    gone = contexts.remove("dockcourse-t1")
    assert gone["exit_code"] == 0, gone["output"]
    assert "DOCKER_CONTEXT" not in os.environ  # a switch to nothing is undone
    assert contexts.endpoint_of("dockcourse-t1") is None
    assert contexts.remove("dockcourse-t1")["exit_code"] != 0


@pytest.mark.skipif(shutil.which("docker") is None, reason="no docker CLI installed")
def test_the_cli_reads_what_docker_py_wrote(
    learner_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    contexts.open_store()
    monkeypatch.setenv(contexts.NO_CLI_ENV, "1")
    contexts.create("dockcourse-t2", host="unix:///home/me/.colima/docker.sock")
    fmt = "{{.Endpoints.docker.Host}}"
    out = subprocess.run(
        ["docker", "context", "inspect", "--format", fmt, "dockcourse-t2"],
        capture_output=True,
        text=True,
        check=True,
        timeout=20,
    ).stdout
    assert out.strip() == "unix:///home/me/.colima/docker.sock"


def test_docker_py_never_writes_into_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without a config.json, docker-py would put contexts in ./contexts."""
    config = tmp_path / "empty-config"  # does not exist yet
    monkeypatch.setenv("DOCKER_CONFIG", str(config))
    monkeypatch.setenv(contexts.NO_CLI_ENV, "1")
    workdir = tmp_path / "work"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    assert contexts.create("dockcourse-t3", host="unix:///x.sock")["exit_code"] == 0
    assert not (workdir / "contexts").exists()
    assert os.path.exists(contexts.meta_path("dockcourse-t3"))
    assert contexts.remove_course_contexts() == ["dockcourse-t3"]


def test_use_demo_restores_current_context(learner_config: Path, via: str) -> None:
    with pytest.raises(RuntimeError, match="open_store"):
        contexts.use_demo("dockcourse-t4")
    contexts.open_store()
    contexts.create("dockcourse-t4", host="unix:///x.sock")
    steps = contexts.use_demo("dockcourse-t4")
    outputs = [s["output"].strip() for s in steps]
    assert outputs[2] == '"currentContext": "dockcourse-t4"'
    assert outputs[3] == "context dockcourse-t4"  # the course follows config.json
    assert outputs[-1] == ""  # data only: the sentence is the display's
    assert t("contexts.no_current") in contexts.transcript(steps[-1])
    assert contexts.current_name() == "default"


def test_remove_course_contexts_keeps_the_learners(learner_config: Path) -> None:
    contexts.open_store()
    meta = Path(contexts.meta_path("mine"))
    meta.parent.mkdir(parents=True)
    meta.write_text(
        json.dumps(
            {
                "Name": "mine",
                "Metadata": {},
                "Endpoints": {"docker": {"Host": "unix:///m.sock"}},
            }
        )
    )
    contexts.create("dockcourse-t5", host="unix:///x.sock")
    assert contexts.remove_course_contexts() == ["dockcourse-t5"]
    assert meta.exists()


def test_using_hides_docker_host_and_restores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", "tcp://elsewhere:2376")
    monkeypatch.delenv("DOCKER_CONTEXT", raising=False)
    with contexts.using("dockcourse-x") as hidden:
        assert hidden == ["DOCKER_HOST"]
        assert os.environ["DOCKER_CONTEXT"] == "dockcourse-x"
        assert "DOCKER_HOST" not in os.environ
    assert os.environ["DOCKER_HOST"] == "tcp://elsewhere:2376"
    assert "DOCKER_CONTEXT" not in os.environ


def test_stale_stores_of_dead_processes_are_swept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(contexts.tempfile, "tempdir", str(tmp_path))
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f"{contexts.STORE_PREFIX}{dead.pid}-abc"
    alive = tmp_path / f"{contexts.STORE_PREFIX}{os.getppid()}-abc"
    other = tmp_path / "something-else"
    for d in (stale, alive, other):
        d.mkdir()
    contexts._sweep_stale_stores()
    assert not stale.exists()
    assert alive.exists() and other.exists()
