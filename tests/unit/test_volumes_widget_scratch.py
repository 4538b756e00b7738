"""The workbench's backups go to the session's scratch folder, never the notebook's."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockcourse import scratch
from dockcourse.session import Session
from dockcourse.widgets.volumes import VolumeManager


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("DOCKCOURSE_MODE", "recorded")
    monkeypatch.setenv(scratch.ROOT_ENV, str(tmp_path / "scratch"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_a_backup_without_a_path_goes_to_the_session_scratch_folder(
    recorded: Path,
) -> None:
    course = Session(chapter="06", mode="recorded", lang="en")
    vm = VolumeManager(course)
    vm.select.value = vm.select.options[0]
    vm.backup_button.click()
    assert str(course.scratch) in vm.last_command
    assert list(recorded.glob("*.tar")) == []
    course.clean()


def test_without_a_session_the_widget_makes_its_own_scratch_folder(
    recorded: Path,
) -> None:
    vm = VolumeManager()
    vm.select.value = vm.select.options[0]
    vm.backup_button.click()
    folders = [Path(item.id) for item in scratch.list_folders()]
    assert len(folders) == 1 and str(folders[0]) in vm.last_command
