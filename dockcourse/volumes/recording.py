"""The recorded listing: what recorded mode shows, recorded from a scene built and
removed again (``dockcourse record``), and read back."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import recorded
from ..resources import (
    course_container,
    new_name,
)
from .browsing import browse
from .model import (
    TMPFS_PRESET,
    Entry,
    Listing,
    VolumeRow,
    VolumeUser,
)
from .ops import create_volume, inspect_volume, list_volumes, volume_sizes
from .use import use_volume

if TYPE_CHECKING:
    import docker


@dataclass(frozen=True)
class Recording:
    """What recorded mode shows: a real listing, sizes, inspections and file lists."""

    listing: Listing
    sizes: Mapping[str, int | None]
    details: Mapping[str, Mapping[str, Any]]
    files: Mapping[str, tuple[Entry, ...]]


def record(client: docker.DockerClient, image_ref: str) -> dict[str, Any]:
    """What recorded mode shows, as data, from a scene built here and removed again;
    ``dockcourse record`` writes it as the recording ``volumes`` (``recorded.save``).

    The scene: a course volume holding ``hello.txt``; a tmpfs volume; a volume mounted
    by a stopped container; and a volume without the course label (how the learner's own
    volumes look). Only the scene's volumes are recorded.
    """
    import docker.errors

    chapter = "06-record"
    made: list[str] = []
    holder = new_name(chapter, "holder")
    learner_like = new_name(chapter, "yours")
    try:
        data = create_volume(
            client,
            new_name(chapter, "myvolume"),
            chapter=chapter,
            labels="purpose=course demo",
        )
        made.append(data.volume.name)
        use_volume(
            client,
            image_ref,
            data.volume.name,
            "echo 'hello from a container' > hello.txt && mkdir -p notes",
            chapter=chapter,
        )
        tmpfs = create_volume(
            client,
            new_name(chapter, "tmpfs"),
            driver_opts=TMPFS_PRESET,
            image_ref=image_ref,
            chapter=chapter,
        )
        made.append(tmpfs.volume.name)
        used = create_volume(client, new_name(chapter, "db"), chapter=chapter)
        made.append(used.volume.name)
        client.api.create_volume(learner_like)  # unlabelled, as a learner's volume is
        made.append(learner_like)
        with course_container(
            client,
            image_ref,
            ["true"],
            chapter=chapter,
            name=holder,
            volumes={used.volume.name: {"bind": "/var/lib/db", "mode": "rw"}},
        ):
            listing = list_volumes(client)
            rows = tuple(r for r in listing.volumes if r.name in made)
            sizes = {
                k: v for k, v in volume_sizes(client).size_bytes.items() if k in made
            }
            details = {n: dict(inspect_volume(client, n).details) for n in made}
            files = {
                n: [
                    asdict(e)
                    for e in browse(client, image_ref, n, "/", chapter=chapter).entries
                ]
                for n in made
            }
        return {
            "command": listing.command,
            "volumes": [asdict(r) for r in rows],
            "sizes": sizes,
            "inspect": details,
            "files": files,
        }
    finally:
        for name in made:
            with contextlib.suppress(docker.errors.APIError):
                client.api.remove_volume(name)


def load_recording(directory: Path | None = None) -> Recording:
    """The recorded listing shipped with the package (the recording ``volumes``)."""
    found = recorded.load(recorded.VOLUMES, directory)
    doc = found.data
    rows = tuple(
        VolumeRow(**{**v, "users": tuple(VolumeUser(**u) for u in v.get("users", []))})
        for v in doc["volumes"]
    )
    listing = Listing(rows, doc["command"], 0.0, "recorded", found.provenance)
    files = {n: tuple(Entry(**e) for e in es) for n, es in doc.get("files", {}).items()}
    return Recording(listing, doc.get("sizes", {}), doc.get("inspect", {}), files)
