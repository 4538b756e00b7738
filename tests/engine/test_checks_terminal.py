"""An answer typed in JupyterLab's Terminal with the plain ``docker`` CLI (no course label)
passes the checks of chapters 03 and 06: checks read the engine's final state, not
how it was made. The test removes what it made, by the exact names it chose."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
from collections.abc import Callable
from typing import Any

import pytest

from dockcourse.checks import ch03, ch06
from dockcourse.resources import LABEL_COURSE

pytestmark = pytest.mark.engine


def test_an_image_committed_in_the_terminal_passes_chapter_03(
    client: Any, image_ref: str, docker_cli: Callable[..., str]
) -> None:
    tag = secrets.token_hex(3)
    box, ref = f"learner-maker-{tag}", f"dockcourse/ch03-mine-term:{tag}"
    docker_cli(
        "run", "--name", box, image_ref, "sh", "-c",
        "echo hello layers > /greeting.txt",
        undo=["rm", "-f", box],
    )  # fmt: skip
    docker_cli("commit", box, ref, undo=["rmi", ref])
    labels = client.api.inspect_image(ref)["Config"].get("Labels") or {}
    assert LABEL_COURSE not in labels  # made as a learner makes it, not by the course
    assert ch03.inspect_mine(client, ref).passed


def test_a_volume_and_reader_made_in_the_terminal_pass_chapter_06(
    client: Any, image_ref: str, docker_cli: Callable[..., str]
) -> None:
    tag = secrets.token_hex(3)
    volume, reader = f"learner-ex-{tag}", f"learner-reader-{tag}"
    docker_cli("volume", "create", volume, undo=["volume", "rm", "-f", volume])
    docker_cli(
        "run", "--rm", "-v", f"{volume}:/data", image_ref, "sh", "-c",
        "echo hello > /data/hello.txt",
    )  # fmt: skip
    assert ch06.inspect_volume_holds(client, volume, image_ref=image_ref).passed
    docker_cli(
        "run", "-d", "--name", reader, "-v", f"{volume}:/data:ro", image_ref,
        "sleep", "30",
        undo=["rm", "-f", reader],
    )  # fmt: skip
    assert ch06.inspect_reader(client, reader, volume).passed


def _in_a_terminal(
    cli: str, env: dict[str, str], args: list[str], typed: list[str]
) -> str:
    """``docker ARGS`` with a real terminal (a pseudo-terminal, as JupyterLab's Terminal
    gives it, which ``-it`` needs), each line of ``typed`` typed at the prompt."""
    import pty
    import select
    import time

    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [cli, *args], env=env, stdin=follower, stdout=follower, stderr=follower
    )
    os.close(follower)
    seen = b""
    deadline = time.monotonic() + 60

    def read_until(marker: bytes) -> None:
        nonlocal seen
        while marker not in seen and time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 1)
            if ready:
                try:
                    seen += os.read(leader, 4096)
                except OSError:  # the terminal closed: the container is gone
                    return

    try:
        read_until(b"# ")  # busybox sh's prompt: / #
        for line in typed:
            os.write(leader, line.encode() + b"\r")
            time.sleep(0.2)
        proc.wait(timeout=max(1.0, deadline - time.monotonic()))
        read_until(b"\0")  # whatever is left
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(leader)
    assert proc.returncode == 0, seen.decode(errors="replace")
    return seen.decode(errors="replace")


def test_the_sources_it_command_typed_in_the_terminal_passes_chapter_06(
    client: Any, image_ref: str, engine_endpoint: Any, docker_cli: Callable[..., str]
) -> None:
    """The source's ``docker run -it -v myvolume:/data … sh``, with the session's
    volume name, typed in a terminal: ``-v`` makes the volume (no course label), a file
    written at the prompt stays after ``exit``, and exercise 3's check passes."""
    from dockcourse.session import Session

    session = Session("06", "live", "en", client=client, image_ref=image_ref)
    volume = session.name(ch06.SHELL_PURPOSE)
    docker_cli("volume", "ls", undo=["volume", "rm", "-f", volume])  # made by -v below
    assert not ch06.check_shell(session).passed
    cli = shutil.which("docker")
    assert cli is not None
    env = {**os.environ, "DOCKER_HOST": str(engine_endpoint.url)}
    env.pop("DOCKER_CONTEXT", None)
    _in_a_terminal(
        cli,
        env,
        ["run", "-it", "--rm", "-v", f"{volume}:/data", image_ref, "sh"],
        ["hostname > /data/note.txt", "exit"],
    )
    found = client.api.inspect_volume(volume)
    assert LABEL_COURSE not in (found.get("Labels") or {})  # the learner's, by -v
    verdict = ch06.check_shell(session)
    assert verdict.passed, verdict
    assert f"docker volume rm {volume}" in verdict.detail
    assert "course.clean" in verdict.detail  # says the cleanup leaves it
