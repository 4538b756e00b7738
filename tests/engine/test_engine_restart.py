"""The engine restarted under the workbench: the next click says the connection was
lost (a catalogue sentence, not a traceback), and the same widget works again once the
engine is back, with the course's volume still there.

This stops and starts an engine, so it only ever uses a PRIVATE rootless engine
(``scripts/engines/rootless``), never the machine's shared one: set
``DOCKCOURSE_RESTART_ENGINE_USER`` to the user name of one made for this test (it is
started if needed and stopped at the end)."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from dockcourse import volumes as vol
from dockcourse.text import t

pytestmark = pytest.mark.engine
CHAPTER = "06-restart"
SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "engines" / "rootless"
USER = os.environ.get("DOCKCOURSE_RESTART_ENGINE_USER", "")


def _engine(command: str) -> str:
    done = subprocess.run(
        [str(SCRIPT), command, USER], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.skipif(not USER, reason="needs DOCKCOURSE_RESTART_ENGINE_USER (private)")
def test_an_engine_restart_is_said_and_survived() -> None:
    from dockcourse.engine import connect
    from dockcourse.images import ensure_image
    from dockcourse.widgets.volumes import VolumeManager

    _engine("start")
    found = re.search(r"DOCKER_HOST=(\S+)", _engine("env"))
    assert found, "the script printed no DOCKER_HOST"
    private = found.group(1)
    assert private != os.environ.get("DOCKER_HOST")  # never the shared engine
    client: Any = connect(environ={"DOCKER_HOST": private})
    name = ""
    try:
        vm = VolumeManager(client=client, image_ref=ensure_image(client),
                           chapter=CHAPTER)  # fmt: skip
        name = vol.create_volume(client, chapter=CHAPTER).volume.name
        vm.refresh(select=name)
        _engine("stop")
        vm.refresh_button.click()
        assert vm.last_message == t("volumes.err.engine_lost")
        assert vm.command.value == ""
        vm.use_button.click()
        assert vm.last_message == t("volumes.err.engine_lost")
        _engine("start")
        vm.refresh_button.click()
        assert name in vm.select.options  # the volume outlived the restart
        vm.select.value = name
        vm.use_command.value = "echo back > x.txt && cat x.txt"
        vm.use_button.click()
        assert "back" in vm.use_view.value, vm.last_message
    finally:
        if name:
            with contextlib.suppress(Exception):
                client.api.remove_volume(name)
        client.close()
        _engine("stop")
