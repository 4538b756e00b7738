"""Disk usage of N containers (checked against `docker system df`) and N VM disks."""

from __future__ import annotations

from typing import Any

import pytest

from dockcourse import host, resources
from dockcourse.measure import disk, vm
from dockcourse.measure.results import DiskPoint

pytestmark = pytest.mark.engine
MIB = 1024 * 1024


def _bare_id(image_id: str) -> str:
    """An image ID without its digest prefix (some engines leave ``sha256:`` out)."""
    return image_id.removeprefix("sha256:")


def test_container_disk_matches_docker_system_df(client: Any, image_ref: str) -> None:
    checked: list[int] = []
    measured = {
        "label": [
            f"{resources.LABEL_SESSION}={resources.session_id()}",
            disk.LABEL_DISK,
        ]
    }

    def compare_with_df(point: DiskPoint) -> None:
        """While the containers still exist, `docker system df` must agree."""
        mine = {c["Id"] for c in client.api.containers(all=True, filters=measured)}
        df = client.df()
        # matched by ID: not every engine repeats labels or full names in `system df`
        ours = [c for c in df["Containers"] if c["Id"] in mine]
        assert len(ours) == point.n
        image_id = _bare_id(client.api.inspect_image(image_ref)["Id"])
        image = next(i for i in df["Images"] if _bare_id(i["Id"]) == image_id)
        assert point.shared_bytes == image["Size"]
        if point.wrote_bytes:
            assert point.per_instance_bytes == sum(c.get("SizeRw", 0) for c in ours)
        checked.append(point.n)

    points = disk.measure_container_disk(
        client, (1, 3), image_ref=image_ref, on_point=compare_with_df, progress=False
    )
    assert checked == [1, 1, 3, 3]
    by = {(p.series, p.n): p for p in points}
    fresh, written = by[(("containers", 0), 3)], by[(("containers", MIB), 3)]
    assert fresh.shared_bytes > 0
    assert fresh.per_instance_bytes < 3 * 64 * 1024  # a fresh writable layer is ~empty
    assert 3 * MIB <= written.per_instance_bytes < 3 * MIB + 3 * 256 * 1024
    assert written.total_bytes == written.shared_bytes + written.per_instance_bytes
    assert by[(("containers", 0), 1)].shared_bytes == fresh.shared_bytes  # once
    assert client.api.containers(all=True, filters=measured) == []


def test_image_facts_agree_with_inspect(client: Any, image_ref: str) -> None:
    facts = disk.image_facts(client, image_ref)
    assert facts.size_bytes == client.api.inspect_image(image_ref)["Size"]
    # the layers make up the image; Docker's sizes add up to the byte, Podman's layer
    # sizes (from `history`) differ from the image's by a few KiB of its own bookkeeping
    assert sum(facts.layer_sizes_bytes) == pytest.approx(facts.size_bytes, rel=0.01)


def test_vm_disks_full_copies_grow_linked_clones_stay_small() -> None:
    if host.find_qemu() is None or host.find_kernel() is None:
        pytest.fail("the VM tests need QEMU and a kernel (.ci/run installs them)")
    points = vm.measure_vm_disk([1, 4], progress=False)
    by = {(p.series, p.n): p for p in points}
    full1, full4 = by[(("vm-full", 0), 1)], by[(("vm-full", 0), 4)]
    linked4 = by[(("vm-linked", 0), 4)]
    assert full1.total_bytes > MIB  # holds its own kernel and busybox
    assert full4.total_bytes == pytest.approx(4 * full1.total_bytes, rel=0.05)
    assert linked4.shared_bytes > MIB
    assert linked4.per_instance_bytes < full1.total_bytes / 4
    wrote = by[(("vm-linked", MIB), 4)]
    assert wrote.per_instance_bytes >= linked4.per_instance_bytes + 4 * MIB
