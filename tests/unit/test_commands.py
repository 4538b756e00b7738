"""One renderer of the ``docker`` command shown for what the course does."""

from __future__ import annotations

import shlex

from dockcourse.commands import ELLIPSIS, command_line, docker_run


def test_run_options_become_flags_in_order() -> None:
    line = docker_run(
        "img:1",
        ["sh", "-c", "echo hi"],
        {"name": "web", "network_mode": "none", "mem_limit": "64m", "nano_cpus": 5e8},
    )
    assert line == (
        "docker run --rm --name=web --network=none --memory=64m --cpus=0.5 "
        "img:1 sh -c 'echo hi'"
    )


def test_detach_plain_and_create() -> None:
    assert docker_run("i", ["true"], detach=True) == "docker run -d i true"
    assert docker_run("i", ["true"], rm=False) == "docker run i true"
    created = docker_run("i", ["true"], {"name": "h"}, verb="create")
    assert created == "docker create --name=h i true"


def test_volumes_in_both_spellings_and_repeated_flags() -> None:
    line = docker_run(
        "i",
        ["ls"],
        {
            "volumes": {"a": "/data:ro", "b": {"bind": "/b", "mode": "ro"}, "c": "/c"},
            "environment": {"K": "v w"},
            "cap_add": ["NET_ADMIN"],
            "read_only": True,
        },
    )
    assert shlex.split(line) == [
        "docker", "run", "--rm", "-v", "a:/data:ro", "-v", "b:/b:ro", "-v", "c:/c",
        "--env", "K=v w", "--cap-add", "NET_ADMIN", "--read-only", "i", "ls",
    ]  # fmt: skip


def test_command_line_quotes_but_keeps_the_ellipsis_bare() -> None:
    assert command_line(["echo", "a b", ELLIPSIS]) == f"echo 'a b' {ELLIPSIS}"
