"""Disk usage: N containers share one image; N VMs each need a disk.

``measure_container_disk`` creates N labelled containers from the course image and
reads each one's writable layer (``SizeRw``, what ``docker ps --size`` shows) before and
after it writes a file; the image is counted once, as ``docker system df`` counts it.
``image_facts`` gives the image's size and layers. The VM side lives in
:func:`dockcourse.measure.vm.measure_vm_disk`. Used by chapters 01 and 03.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from contextlib import suppress
from typing import TYPE_CHECKING

from .. import resources
from ..text import t
from .results import (
    BadInput,
    DiskPoint,
    ImageFacts,
    MeasurementUnavailable,
    now_iso,
    progress_bar,
)

if TYPE_CHECKING:
    import docker

CHAPTER = "01"
DEFAULT_COUNTS = (1, 2, 5, 10, 20)
MAX_COUNT = 100
WAIT_TIMEOUT_S = 30.0
LABEL_DISK = "io.dockcourse.measure"


def image_facts(client: docker.DockerClient, image_ref: str) -> ImageFacts:
    """Size and layer sizes of ``image_ref`` (``docker image inspect``/``history``)."""
    inspected = client.api.inspect_image(image_ref)
    history = client.api.history(image_ref)
    layers = tuple(int(entry.get("Size", 0)) for entry in reversed(history))
    return ImageFacts(
        image_ref=image_ref,
        size_bytes=int(inspected.get("Size", 0)),
        layer_sizes_bytes=layers,
        taken_at=now_iso(),
    )


def check_counts(counts: Sequence[int]) -> list[int]:
    ns = sorted(set(counts))
    if (
        not ns
        or any(isinstance(n, bool) or not isinstance(n, int) for n in ns)
        or ns[0] < 1
    ):
        raise BadInput(t("measure.bad.counts", value=list(counts)))
    if ns[-1] > MAX_COUNT:
        raise BadInput(t("measure.bad.too_many", limit=MAX_COUNT, value=ns[-1]))
    return ns


def _size_rw(client: docker.DockerClient, cid: str) -> int:
    found = client.api.containers(all=True, size=True, filters={"id": cid})
    if not found:
        raise MeasurementUnavailable(
            "disk", t("measure.disk_vanished.cause", cid=cid[:12])
        )
    return int(found[0].get("SizeRw") or 0)


def measure_container_disk(
    client: docker.DockerClient,
    counts: Sequence[int] = DEFAULT_COUNTS,
    *,
    write_bytes: int = 1024 * 1024,
    image_ref: str | None = None,
    chapter: str = CHAPTER,
    on_point: Callable[[DiskPoint], None] | None = None,
    progress: bool | None = None,
) -> list[DiskPoint]:
    """Disk used by N containers of the course image, fresh and after each wrote a file.

    Containers are added one at a time up to ``max(counts)``; each one's ``SizeRw`` is
    read when it is created (nothing written yet) and after it ran ``dd`` writing
    ``write_bytes``. At each N in ``counts`` the totals are reported: the image once,
    plus the sum of the writable layers. Every container is removed at the end (also
    on Ctrl-C).
    """
    import docker.errors
    import requests

    ns = check_counts(counts)
    if not 0 < write_bytes <= 64 * 1024 * 1024:
        raise BadInput(t("measure.bad.write_bytes", limit="64 MiB", value=write_bytes))
    if image_ref is None:
        from ..images import ensure_image

        image_ref = ensure_image(client)
    image_bytes = int(client.api.inspect_image(image_ref).get("Size", 0))
    kib = max(1, write_bytes // 1024)
    command = ["dd", "if=/dev/zero", "of=/data.bin", "bs=1024", f"count={kib}"]
    tag = secrets.token_hex(6)
    container_labels = {**resources.labels(chapter), LABEL_DISK: tag}
    host_config = client.api.create_host_config(network_mode="none")
    names: list[str] = []
    points: list[DiskPoint] = []
    fresh_total = 0
    written_total = 0

    def add(wrote_bytes: int, n: int, per: int) -> None:
        point = DiskPoint(
            kind="containers",
            wrote_bytes=wrote_bytes,
            n=n,
            total_bytes=image_bytes + per,
            shared_bytes=image_bytes,
            per_instance_bytes=per,
            taken_at=now_iso(),
            detail={"image_ref": image_ref, "measured": "image Size + SizeRw"},
        )
        points.append(point)
        if on_point is not None:
            on_point(point)

    try:
        with progress_bar(
            ns[-1], t("measure.progress.containers_disk"), progress
        ) as bar:
            for n in range(1, ns[-1] + 1):
                name = resources.new_name(chapter, "disk")
                names.append(name)
                cid = client.api.create_container(
                    image_ref,
                    command,
                    name=name,
                    labels=container_labels,
                    host_config=host_config,
                )["Id"]
                fresh_total += _size_rw(client, cid)
                client.api.start(cid)
                try:
                    status = client.api.wait(cid, timeout=WAIT_TIMEOUT_S)
                except (
                    requests.exceptions.ReadTimeout,
                    requests.exceptions.ConnectionError,
                ):
                    raise MeasurementUnavailable(
                        "disk",
                        t("measure.disk_timeout.cause", seconds=WAIT_TIMEOUT_S),
                    ) from None
                if status.get("StatusCode") != 0:
                    raise MeasurementUnavailable(
                        "disk",
                        t(
                            "measure.disk_failed.cause",
                            command=" ".join(command),
                            status=status.get("StatusCode"),
                        ),
                    )
                written_total += _size_rw(client, cid)
                bar.update(1)
                if n in ns:
                    add(0, n, fresh_total)
                    add(write_bytes, n, written_total)
    finally:
        for name in names:
            with suppress(docker.errors.APIError):
                resources.remove_container_if_ours(client, name)
    return points
