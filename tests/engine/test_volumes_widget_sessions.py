"""The workbench's "remove unused" on an engine two notebooks share: it removes this
notebook's unused course volumes and leaves another session's in place."""

from __future__ import annotations

from typing import Any

import pytest

from dockcourse import volumes as vol
from dockcourse.resources import LABEL_SESSION, labels, new_name
from dockcourse.widgets.volumes import VolumeManager

pytestmark = pytest.mark.engine
CHAPTER = "06-test"


def test_remove_unused_leaves_another_sessions_volumes(
    client: Any, image_ref: str
) -> None:
    import docker.errors

    mine = vol.create_volume(client, new_name(CHAPTER, "mine"), chapter=CHAPTER)
    theirs = new_name(CHAPTER, "theirs")
    # what another notebook's session made: the course's labels, another session id
    client.api.create_volume(
        theirs, labels={**labels(CHAPTER), LABEL_SESSION: "0ther5e5"}
    )
    try:
        vm = VolumeManager(client=client, image_ref=image_ref, mode="live")
        vm._remove_unused()  # what the confirmed click runs
        assert mine.volume.name in vm.last_command
        assert theirs not in vm.last_command
        with pytest.raises(docker.errors.NotFound):
            client.api.inspect_volume(mine.volume.name)
        assert client.api.inspect_volume(theirs)["Name"] == theirs
        assert "this notebook" in vm.last_message
    finally:
        client.api.remove_volume(theirs)
