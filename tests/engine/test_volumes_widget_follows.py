"""After Run All, the workbench's table shows what the engine holds now: it lists again
after each notebook cell that removed (or made) a volume, and after no other (issue 12)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest
from IPython.core.events import EventManager, available_events

from dockcourse.resources import new_name
from dockcourse.widgets.volumes import VolumeManager

pytestmark = pytest.mark.engine
CHAPTER = "06-test-follow"


class _Shell:
    """What IPython's event manager needs of its shell (nothing, unless a callback
    fails, and then the test fails anyway)."""

    def showtraceback(self) -> None:
        raise AssertionError("a post_run_cell callback raised")


@pytest.fixture
def volume(client: Any) -> Iterator[str]:
    name = new_name(CHAPTER, "f")
    client.api.create_volume(name, labels={"io.dockcourse.course": "true"})
    yield name
    with contextlib.suppress(Exception):
        client.api.remove_volume(name)


def test_the_table_follows_cells_that_remove_a_volume(
    client: Any, image_ref: str, volume: str
) -> None:
    events = EventManager(_Shell(), available_events)
    vm = VolumeManager(client=client, image_ref=image_ref, chapter=CHAPTER)
    vm.follow_cells(events)
    assert volume in vm.table.value
    events.trigger("post_run_cell", None)  # a cell that changed nothing
    assert not vm.relist_if_changed()
    client.api.remove_volume(volume)  # a later cell: %docker volume rm, course.clean()
    events.trigger("post_run_cell", None)
    assert volume not in vm.table.value
    assert volume not in vm.select.options
    vm.close()  # a closed widget stops following
    events.trigger("post_run_cell", None)
    assert not events.callbacks["post_run_cell"]


def test_recorded_mode_follows_nothing() -> None:
    events = EventManager(_Shell(), available_events)
    vm = VolumeManager(mode="recorded")
    vm.follow_cells(events)
    assert not events.callbacks["post_run_cell"]
