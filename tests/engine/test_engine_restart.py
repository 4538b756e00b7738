"""The engine restarted under the workbench: the next click says the connection was
lost (a catalogue sentence, not a traceback), and the same widget works again once the
engine is back, with the course's volume still there.

This stops and starts an engine, so it only ever uses a PRIVATE rootless engine
(``scripts/engines/rootless``), never the machine's shared one: as root (CI) the script
makes the user ``dockcourse-restart`` for it; otherwise set
``DOCKCOURSE_RESTART_ENGINE_USER`` to the user name of one made for this test. It is
started if needed and stopped at the end."""

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
USER = os.environ.get("DOCKCOURSE_RESTART_ENGINE_USER") or (
    "dockcourse-restart" if os.geteuid() == 0 else ""
)


def _engine(command: str) -> str:
    done = subprocess.run(
        [str(SCRIPT), command, USER], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.skipif(
    not USER, reason="not root: set DOCKCOURSE_RESTART_ENGINE_USER (a private engine)"
)
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


@pytest.mark.skipif(
    not USER, reason="not root: set DOCKCOURSE_RESTART_ENGINE_USER (a private engine)"
)
def test_a_chapter_cell_says_the_engine_went_away_and_goes_on_after_a_rerun(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A chapter in a real IPython shell: the engine stops between two cells; the next
    cell prints the catalogue's explanation (no traceback) and, once the engine is back,
    the same cell run again works."""
    from IPython.core.interactiveshell import InteractiveShell

    _engine("start")
    found = re.search(r"DOCKER_HOST=(\S+)", _engine("env"))
    assert found, "the script printed no DOCKER_HOST"
    monkeypatch.setenv("DOCKER_HOST", found.group(1))
    monkeypatch.delenv("DOCKER_CONTEXT", raising=False)
    shell = InteractiveShell.instance()
    try:
        assert shell.run_cell(
            "from dockcourse import setup\ncourse = setup('01', lang='en', mode='live')"
        ).success
        capsys.readouterr()
        _engine("stop")
        shell.run_cell("course.run('echo after-restart')")
        said = capsys.readouterr().out
        assert t("session.engine_lost", error="").split("(")[0] in said
        assert "Traceback" not in said
        _engine("start")
        shell.run_cell("course.run('echo after-restart')")
        assert "after-restart" in capsys.readouterr().out
        shell.run_cell("course.clean()")
    finally:
        InteractiveShell.clear_instance()
        _engine("stop")
