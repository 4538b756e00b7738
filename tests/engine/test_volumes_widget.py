"""VolumeManager driven from Python against the real engine: the buttons do what they
say, show their command, put errors in the message area, and never block on sizes."""

from __future__ import annotations

import contextlib
import html
import time
from collections.abc import Iterator
from typing import Any

import pytest

from dockcourse import volumes as vol
from dockcourse.resources import LABEL_COURSE, course_container, new_name
from dockcourse.widgets.volumes import VolumeManager

pytestmark = pytest.mark.engine
CHAPTER = "06-test"


@pytest.fixture
def vm(client: Any, image_ref: str) -> Iterator[VolumeManager]:
    manager = VolumeManager(client=client, image_ref=image_ref, chapter=CHAPTER)
    yield manager
    manager.wait_for_sizes(60)


def _create(vm: VolumeManager, name: str, **fields: str) -> None:
    vm.create_name.value = name
    for attr, value in fields.items():
        getattr(vm, attr).value = value
    vm.create_button.click()


def test_create_use_and_remove_through_the_buttons(
    client: Any, vm: VolumeManager
) -> None:
    name = new_name(CHAPTER, "w")
    try:
        _create(vm, name, create_labels="project=widget")
        assert vm.last_message == f"Created volume {name}."
        assert vm.last_command.startswith("docker volume create --label project=widget")
        assert client.api.inspect_volume(name)["Labels"][LABEL_COURSE] == "true"
        assert vm.select.value == name and name in vm.table.value
        vm.use_command.value = "echo hi > hi.txt && cat hi.txt"
        vm.use_button.click()
        assert "hi" in vm.use_view.value and "exited with code 0" in vm.last_message
        vm.browse_button.click()
        assert [v for _, v in vm.browse_entries.options] == ["hi.txt"]
        vm.browse_entries.value = "hi.txt"
        vm.browse_open.click()
        assert "hi" in vm.preview_view.value and "head -c" in vm.last_command
        vm.inspect_button.click()
        assert "Mountpoint" in vm.inspect_view.value
        vm.remove_button.click()  # asks first
        assert vm.confirm_box.layout.display == "flex"
        assert vm.last_message.startswith("Remove volume")
        vm.confirm_no.click()
        assert client.api.inspect_volume(name)
        vm.remove_button.click()
        vm.confirm_yes.click()
        assert vm.last_message == f"Removed volume {name}."
        assert vm.last_command == f"docker volume rm {name}"
        assert name not in {r.name for r in vol.list_volumes(client).volumes}
    finally:
        with contextlib.suppress(Exception):
            client.api.remove_volume(name)


def test_errors_are_messages_not_exceptions(
    client: Any, image_ref: str, learner: Any, vm: VolumeManager
) -> None:
    _create(vm, "-bad name")
    assert "not a valid volume name" in vm.last_message
    _create(vm, learner.volume)
    assert "yours" in vm.last_message and "docker volume create" in vm.last_command
    vm.refresh(select=learner.volume)
    vm.remove_button.click()
    assert "your own volume" in vm.last_message
    assert vm.confirm_box.layout.display == "none"
    vm.use_button.click()
    assert "your own volume" in vm.last_message
    name = new_name(CHAPTER, "busy")
    with vol_and_holder(client, image_ref, name) as holder_name:
        vm.refresh(select=name)
        vm.remove_button.click()
        vm.confirm_yes.click()
        assert "in use" in vm.last_message and holder_name in vm.last_message


class vol_and_holder:  # lower case: reads as a context manager
    def __init__(self, client: Any, image_ref: str, name: str) -> None:
        self.client, self.image_ref, self.name = client, image_ref, name

    def __enter__(self) -> str:
        vol.create_volume(self.client, self.name, chapter=CHAPTER)
        self._ctx = course_container(
            self.client, self.image_ref, ["sleep", "60"], chapter="06-holder",
            volumes={self.name: {"bind": "/srv", "mode": "rw"}},
        )  # fmt: skip
        container = self._ctx.__enter__()
        container.start()
        return str(container.name)

    def __exit__(self, *exc: object) -> None:
        self._ctx.__exit__(None, None, None)
        self.client.api.remove_volume(self.name)


def test_sizes_are_computed_without_blocking(client: Any, vm: VolumeManager) -> None:
    start = time.perf_counter()
    vm.sizes_button.click()
    returned_s = time.perf_counter() - start
    assert vm.last_command == "docker system df -v"
    assert vm.wait_for_sizes(60)
    print(f"sizes button returned in {returned_s * 1000:.1f} ms")
    assert returned_s < 0.5
    assert vm.sizes is not None and "…" not in vm.table.value
    assert not vm.sizes_button.disabled


def test_recorded_mode_changes_nothing(client: Any) -> None:
    vm = VolumeManager(mode="recorded")
    listing = vm.recording.listing  # type: ignore[union-attr]
    assert listing.provenance is not None
    assert listing.provenance.describe() in html.unescape(vm.banner.value)
    recorded = {r.name for r in listing.volumes}
    assert set(vm.select.options) == recorded
    name = new_name(CHAPTER, "never")
    _create(vm, name)
    assert (
        vm.last_command.startswith("docker volume create") and name in vm.last_command
    )
    assert "nothing was changed" in vm.last_message
    assert name not in {r.name for r in vol.list_volumes(client).volumes}
    ours = next(r.name for r in listing.volumes if r.course_made)
    theirs = next(r.name for r in listing.volumes if not r.course_made)
    vm.select.value = ours
    vm.remove_button.click()
    assert vm.last_message.startswith("Recorded mode")
    assert vm.last_command == f"docker volume rm {ours}"
    vm.select.value = theirs
    vm.remove_button.click()
    assert "your own volume" in vm.last_message
    vm.sizes_button.click()
    assert vm.sizes == dict(vm.recording.sizes)  # type: ignore[union-attr]
    assert vm.last_message.startswith("Recorded mode")
    vm.browse_button.click()
    assert vm.last_command.startswith("docker run --rm")
