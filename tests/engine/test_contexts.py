"""Contexts against the real engine and the real docker CLI (chapter 05).

The learner's config directory is a temporary one with a context of its own that is
current; every test checks it comes out byte for byte as it went in.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dockcourse import contexts
from dockcourse.engine import EngineUnavailable, describe_source, resolve_endpoint

pytestmark = pytest.mark.engine
HAS_CLI = shutil.which("docker") is not None


def _snapshot(directory: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(directory)): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def learner_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, client: Any, engine_url: str
) -> Iterator[Path]:
    """The learner's own context ``mine``, current, at the engine under test."""
    config = tmp_path / "learner-docker"
    meta = config / "contexts" / "meta" / contexts.context_id("mine") / "meta.json"
    meta.parent.mkdir(parents=True)
    meta.write_text(
        json.dumps(
            {
                "Name": "mine",
                "Metadata": {},
                "Endpoints": {"docker": {"Host": engine_url, "SkipTLSVerify": False}},
            }
        )
    )
    (config / "config.json").write_text(json.dumps({"currentContext": "mine"}))
    for var in (
        "DOCKER_HOST",
        "DOCKER_CONTEXT",
        "DOCKER_TLS_VERIFY",
        "DOCKER_CERT_PATH",
    ):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("DOCKER_CONFIG", str(config))
    before = _snapshot(config)
    yield config
    contexts.close_store()
    assert os.environ["DOCKER_CONFIG"] == str(config)
    assert _snapshot(config) == before, "the learner's config directory changed"


@pytest.fixture(params=["cli", "docker-py"])
def via(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "cli" and not HAS_CLI:
        pytest.skip("no docker CLI installed")
    if request.param == "docker-py":
        monkeypatch.setenv(contexts.NO_CLI_ENV, "1")
    return str(request.param)


def test_the_course_client_follows_a_context(
    learner_config: Path, via: str, client: Any, engine_url: str
) -> None:
    contexts.open_store()
    assert contexts.create("dockcourse-t1", host=engine_url)["exit_code"] == 0
    followed = contexts.follow("dockcourse-t1", client)
    assert followed["source"] == "context dockcourse-t1"
    assert followed["url"] == engine_url
    assert followed["same_engine"] is True
    assert followed["engine"] == contexts.engine_label(client.version())
    assert "DOCKER_CONTEXT" not in os.environ  # the switch lasted for the call only


def test_follow_hides_docker_host(
    learner_config: Path, monkeypatch: pytest.MonkeyPatch, client: Any, engine_url: str
) -> None:
    contexts.open_store()
    contexts.create("dockcourse-t2", host=engine_url)
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent.sock")
    followed = contexts.follow("dockcourse-t2", client)
    assert followed["hidden"] == ["DOCKER_HOST"]
    assert followed["source"] == "context dockcourse-t2"
    assert os.environ["DOCKER_HOST"] == "unix:///nonexistent.sock"


def test_a_context_to_nowhere_names_the_socket(learner_config: Path) -> None:
    contexts.open_store()
    contexts.create("dockcourse-t3", host="unix:///nonexistent.sock")
    with pytest.raises(EngineUnavailable) as caught:
        contexts.connect_through("dockcourse-t3")
    assert caught.value.kind == "no_daemon"
    assert "/nonexistent.sock" in caught.value.cause


@pytest.mark.skipif(
    not HAS_CLI, reason="the precedence is verified with the docker CLI"
)
def test_docker_host_beats_the_context_for_the_cli_and_the_course(
    learner_config: Path, client: Any, engine_url: str
) -> None:
    contexts.open_store()
    contexts.create("dockcourse-t4", host=engine_url)
    plain, by_env, host_and_env, flag = contexts.precedence("dockcourse-t4")
    assert plain["cli_context"] == "default"
    assert by_env["cli_context"] == "dockcourse-t4"
    # Recorded as data (the source, the URL), rendered in the reader's language.
    assert by_env["course"] == {"source": "context dockcourse-t4", "url": engine_url}
    shown = describe_source("context dockcourse-t4")
    table = contexts.precedence_table([plain, by_env, host_and_env, flag])
    assert f"{shown} → {engine_url}" in table
    # DOCKER_HOST wins over DOCKER_CONTEXT: the CLI cannot reach the fake socket.
    assert host_and_env["cli_context"] == "default"
    assert host_and_env["cli_reaches"] is None
    assert host_and_env["course"] == {
        "source": "DOCKER_HOST",
        "url": contexts.UNREACHABLE_HOST,
    }
    # Only the --context flag beats DOCKER_HOST.
    assert flag["cli_context"] == "dockcourse-t4"
    assert flag["cli_reaches"] == contexts.engine_label(client.version())


@pytest.mark.skipif(not HAS_CLI, reason="compares with the docker CLI")
def test_course_and_cli_agree_on_current_context(learner_config: Path) -> None:
    """In the learner's own directory (read only): the course follows `mine` as the CLI."""
    names = {c["name"]: c for c in contexts.list_contexts()}
    assert names["mine"]["current"]
    assert resolve_endpoint().source == "context mine"


def test_use_demo_restores_current_context_on_failure(
    learner_config: Path, monkeypatch: pytest.MonkeyPatch, engine_url: str
) -> None:
    contexts.open_store()
    contexts.create("dockcourse-t5", host=engine_url)

    def broken(environ: Any = None) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(contexts, "resolve_endpoint", broken)
    with pytest.raises(RuntimeError, match="boom"):
        contexts.use_demo("dockcourse-t5")
    assert contexts.current_name() == "default"


def test_engine_host_describes_this_engine(client: Any) -> None:
    host = contexts.engine_host(client)
    info = client.info()
    assert host["operating_system"] == info["OperatingSystem"]
    assert contexts.describe_engine_host(host).startswith("Your engine runs on")
