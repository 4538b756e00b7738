"""Pure helpers of dockcourse.contexts: names, paths, precedence, rendering."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from dockcourse import contexts


def test_context_directory_is_the_sha256_of_the_name() -> None:
    # The value the docker CLI 28 wrote for this name (see chapter 05).
    assert contexts.context_id("dockcourse-local") == (
        "e3324ff3776aab180bb824fbc44d326dec574c54f44f5341518b41a4b00fd5ff"
    )
    assert contexts.shown_meta_path("dockcourse-local").startswith(
        "$DOCKER_CONFIG/contexts/meta/e3324ff3"
    )


def test_meta_path_follows_docker_config(tmp_path: Path) -> None:
    env = {"DOCKER_CONFIG": str(tmp_path)}
    assert contexts.config_dir(env) == str(tmp_path)
    assert contexts.meta_path("x1", env) == str(
        tmp_path / "contexts" / "meta" / contexts.context_id("x1") / "meta.json"
    )


@pytest.mark.parametrize(
    ("name", "ours"),
    [
        ("dockcourse-local", True),
        ("dockcourse-ex05", True),
        ("desktop-linux", False),
        ("default", False),
        ("dockcourse-", False),
        ("dockcourse-a b", False),
    ],
)
def test_only_dockcourse_names_are_ours(name: str, ours: bool) -> None:
    assert contexts.is_course_context(name) is ours


@pytest.mark.parametrize("name", ["colima", "desktop-linux", "default"])
def test_the_course_refuses_to_create_or_remove_other_contexts(name: str) -> None:
    with pytest.raises(ValueError, match="dockcourse-"):
        contexts.create(name, host="unix:///var/run/docker.sock")
    with pytest.raises(ValueError, match="dockcourse-"):
        contexts.remove(name)


def _config(tmp_path: Path, current: str | None) -> dict[str, str]:
    data = {"currentContext": current} if current else {}
    (tmp_path / "config.json").write_text(json.dumps(data))
    return {"DOCKER_CONFIG": str(tmp_path)}


def test_current_name_follows_the_cli_order(tmp_path: Path) -> None:
    env = _config(tmp_path, "colima")
    assert contexts.current_name(env) == "colima"
    assert contexts.current_name({**env, "DOCKER_CONTEXT": "x1"}) == "x1"
    assert (
        contexts.current_name({**env, "DOCKER_CONTEXT": "x1", "DOCKER_HOST": "tcp://h"})
        == "default"
    )
    assert contexts.current_name(_config(tmp_path, None)) == "default"


def test_render_table_marks_the_current_context() -> None:
    table = contexts.render_table(
        [
            {
                "name": "default",
                "description": "d",
                "endpoint": "unix:///s",
                "current": True,
            },
            {"name": "dockcourse-local", "description": "", "endpoint": "unix:///s"},
        ]
    )
    lines = table.splitlines()
    assert lines[0].split() == ["NAME", "DESCRIPTION", "DOCKER", "ENDPOINT"]
    assert lines[1].startswith("default *")
    assert lines[2].startswith("dockcourse-local ")
    assert lines[1].index("unix:///s") == lines[2].index("unix:///s")


@pytest.mark.parametrize(
    ("os_name", "name", "kernel", "maker"),
    [
        ("Docker Desktop", "docker-desktop", "6.10.14-linuxkit", "Docker Desktop"),
        ("Ubuntu 24.04 LTS", "colima", "6.8.0-50-generic", "colima"),
        ("OrbStack", "orbstack", "6.12.0-orbstack", "OrbStack"),
        ("Boot2Docker 19.03.12", "dev", "4.19.130-boot2docker", "Docker Machine"),
        ("Alpine Linux v3.20", "lima-rancher-desktop", "6.6.0", "Rancher Desktop"),
        ("Debian GNU/Linux 12 (bookworm)", "ci-host", "6.18.44", None),
    ],
)
def test_vm_maker(os_name: str, name: str, kernel: str, maker: str | None) -> None:
    found = contexts.vm_maker(os_name, name, kernel)
    if maker is None:
        assert found is None
    else:
        assert found is not None and found.startswith(maker)


def test_describe_engine_host() -> None:
    on_host = {"operating_system": "Debian", "kernel": "6.1", "vm_maker": None}
    in_vm = {"operating_system": "Docker Desktop", "kernel": "6.1", "vm_maker": "X"}
    assert "directly on a Linux machine" in contexts.describe_engine_host(on_host)
    assert "a Linux VM that X made" in contexts.describe_engine_host(in_vm)


def test_transcript_shows_the_command_and_who_ran_it() -> None:
    cli = {"command": "docker context ls", "output": "NAME\n", "via": "cli"}
    assert contexts.transcript(cli) == "$ docker context ls\nNAME\n"
    py = {"command": "docker context ls", "output": "NAME", "via": "docker-py"}
    text = contexts.transcript(py)
    assert "ContextAPI" in text.splitlines()[1]
    assert text.endswith("NAME\n")
    python = {"command": "resolve_endpoint().source", "output": "x\n", "via": "python"}
    assert contexts.transcript(python).startswith(">>> resolve_endpoint")


@dataclass
class _Course:
    live: bool


def test_show_labels_recorded_results(capsys: pytest.CaptureFixture[str]) -> None:
    step = {"command": "docker context ls", "output": "NAME\n", "via": "cli"}
    contexts.show([step], _Course(live=True))
    assert capsys.readouterr().out == "$ docker context ls\nNAME\n"
    contexts.show(step, _Course(live=False))
    out = capsys.readouterr().out
    assert out.startswith("(recorded") and out.endswith("NAME\n")
    contexts.show("text", _Course(live=False))
    assert capsys.readouterr().out.splitlines()[1] == "text"


def test_precedence_table_without_cli() -> None:
    rows = [
        {
            "settings": "DOCKER_HOST=unix:///x docker",
            "cli_context": None,
            "cli_reaches": None,
            "course": "DOCKER_HOST → unix:///x",
        },
        {
            "settings": "docker --context c",
            "cli_context": "c",
            "cli_reaches": "Docker Engine 1 (API 1.41)",
            "course": None,
        },
    ]
    text = contexts.precedence_table(rows)
    assert "docker context show: —" in text
    assert "none (cannot connect)" in text
    assert "no --context flag" in text
    assert "Docker Engine 1 (API 1.41)" in text


def test_engine_label() -> None:
    label = contexts.engine_label({"Version": "28.2.2", "ApiVersion": "1.50"})
    assert label == "Docker Engine 28.2.2 (API 1.50)"
