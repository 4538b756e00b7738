"""The workbench's input checks and its command box, on the real engine: each refusal
is one catalogue sentence and leaves the box empty (never the previous "ran:"), a
question shows what runs on Yes, and another notebook's volume is named before removal."""

from __future__ import annotations

import contextlib
import html
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dockcourse import volumes as vol
from dockcourse.resources import LABEL_SESSION, labels, session_id
from dockcourse.text import t
from dockcourse.widgets.volumes import VolumeManager, created_time

pytestmark = pytest.mark.engine
CHAPTER = "06-input"


@pytest.fixture
def vm(client: Any, image_ref: str) -> Iterator[VolumeManager]:
    manager = VolumeManager(client=client, image_ref=image_ref, chapter=CHAPTER)
    made: list[str] = []
    manager._test_made = made  # type: ignore[attr-defined]
    yield manager
    for name in made:
        with contextlib.suppress(Exception):
            client.api.remove_volume(name)


def _volumes(client: Any) -> set[str]:
    return {v["Name"] for v in client.api.volumes().get("Volumes") or []}


def test_bad_names_are_refused_before_the_engine_and_clear_the_box(
    client: Any, vm: VolumeManager
) -> None:
    vm.refresh_button.click()
    assert vm.last_command and t("volumes.command.ran") in html.unescape(
        vm.command.value
    )
    before = _volumes(client)
    cases = {
        "": t("volumes.err.empty_name"),
        "x" * 300: t("volumes.err.name_too_long", name=vol.shorten("x" * 300),
                     length=300, max=vol.NAME_MAX),
        "bad name!": t("volumes.err.invalid_name", name="bad name!"),
    }  # fmt: skip
    for typed, message in cases.items():
        vm.create_name.value = typed
        vm.create_button.click()
        assert vm.last_message == message
        assert vm.command.value == "" and vm.last_command == ""  # not the old "ran:"
    assert _volumes(client) == before  # nothing made, no random name


def test_create_shows_every_label_it_passes(client: Any, vm: VolumeManager) -> None:
    name = f"input-{session_id()}"
    vm._test_made.append(name)  # type: ignore[attr-defined]
    vm.create_name.value = name
    vm.create_labels.value = "project=demo"
    vm.create_button.click()
    assert vm.last_message == t("volumes.done.created", name=name)
    real = client.api.inspect_volume(name)["Labels"]
    shown, _, note = vm.last_command.partition("  # ")
    spelled = [k for k in real if f"--label {k}=" in shown]
    unspelled = [k for k in real if k not in spelled]
    assert unspelled  # the bookkeeping labels, said in the note
    assert str(len(unspelled)) in note
    assert all(k.removeprefix("io.dockcourse.") in note for k in unspelled)


def test_backup_into_a_missing_folder_writes_nothing(
    client: Any, vm: VolumeManager, tmp_path: Path
) -> None:
    name = vol.create_volume(client, chapter=CHAPTER).volume.name
    vm._test_made.append(name)  # type: ignore[attr-defined]
    vm.refresh(select=name)
    missing = tmp_path / "nonexistent" / "dir"
    vm.backup_path.value = str(missing / "x.tar")
    vm.backup_button.click()
    assert vm.last_message == t("volumes.err.no_folder", folder=missing)
    assert vm.command.value == ""
    assert not missing.exists() and list(tmp_path.iterdir()) == []


def test_restore_asks_first_and_shows_what_runs_on_yes(
    client: Any, vm: VolumeManager
) -> None:
    name = vol.create_volume(client, chapter=CHAPTER).volume.name
    vm._test_made.append(name)  # type: ignore[attr-defined]
    vm.refresh(select=name)
    vm.use_command.value = "echo one > a.txt"
    vm.use_button.click()
    vm.backup_path.value = ""
    vm.backup_button.click()
    backup = Path(vm.restore_path.value)
    assert backup.is_file()
    vm.use_command.value = "echo two > a.txt"
    vm.use_button.click()
    vm.restore_button.click()
    assert vm.confirm_box.layout.display == "flex"
    assert vm.last_message == t("volumes.confirm.restore", path=backup, name=name)
    assert t("volumes.command.confirm") in html.unescape(vm.command.value)
    vm.confirm_no.click()
    vm.browse_entries.value = None
    vm.use_command.value = "cat a.txt"
    vm.use_button.click()
    assert "two" in vm.use_view.value  # not restored: the answer was No
    made = created_time(vm._row(name))  # type: ignore[arg-type]
    time.sleep(1.1)  # the engine's "CreatedAt" (its folder's mtime) would move now
    vm.restore_button.click()
    vm.confirm_yes.click()
    assert vm.last_message == t("volumes.done.restored", name=name, path=backup)
    vm.refresh(select=name)
    assert created_time(vm._row(name)) == made  # type: ignore[arg-type]
    assert t("volumes.command.ran") in html.unescape(vm.command.value)
    vm.use_button.click()
    assert "one" in vm.use_view.value


def test_another_notebooks_volume_is_named_before_removal(
    client: Any, vm: VolumeManager
) -> None:
    other = "0ther5e5"  # another session: not this process's
    assert other != session_id()
    name = f"input-other-{session_id()}"
    client.api.create_volume(name, labels={**labels(CHAPTER), LABEL_SESSION: other})
    vm._test_made.append(name)  # type: ignore[attr-defined]
    vm.refresh(select=name)
    vm.remove_button.click()
    assert vm.confirm_box.layout.display == "flex"
    assert name in vm.last_message and other in vm.last_message
    assert vm.last_message.startswith(t("volumes.confirm.remove_other", name=name,
        session=other, chapter=CHAPTER, alive="@").partition("@")[0])  # fmt: skip
    vm.confirm_no.click()
    assert name in _volumes(client)
    vm.remove_unused_button.click()  # this notebook's only: the other's stays
    vm.confirm_yes.click()
    assert name in _volumes(client)
    vm.refresh(select=name)
    vm.remove_button.click()
    vm.confirm_yes.click()
    assert name not in _volumes(client)
