"""Chapter 01's lesson steps (what is Docker?) and their display.

One comparison, process → container → VM, in three quantities: start-up, disk, memory.
Each step takes the session and returns data (recorded live, replayed in recorded mode,
see :func:`dockcourse.session.step`); the display helpers turn that data into text
through the catalogues, in the reader's language:

- :func:`engine_kernel` / :func:`kernel_line`: the kernel a container reports;
- :func:`run_info`: this host's and engine's provenance (printed on every plot);
- :func:`process`, :func:`container`, :func:`vm` / :func:`summary`: start-up series;
- :func:`writable_layer` / :func:`describe_layer`: what a fresh container costs on disk;
- :func:`disk_containers`, :func:`disk_vms`: N containers and N VMs on disk;
- :func:`memory`: one idle process, container and VM in memory;
- :func:`comparison`: the three side by side, and which is larger, from the data.

The measuring itself is in :mod:`dockcourse.measure`; the plots in
:mod:`dockcourse.plots` and :mod:`dockcourse.plots_footprint`. Chapter 07 (measuring
deeper) reuses these steps.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..measure.disk import measure_container_disk
from ..measure.footprint import measure_memory
from ..measure.observed import Observed, observed, run_provenance, vm_notes
from ..measure.observed import summary as _summary
from ..measure.results import CONTAINER_SERIES, Results, series_stats
from ..measure.startup import measure_container, measure_process
from ..measure.vm import measure_vm, measure_vm_disk
from ..session import Session, step
from ..text import aligned_lines, t
from ..units import human_bytes, human_seconds

if TYPE_CHECKING:
    import docker

__all__ = [
    "comparison",
    "container",
    "describe_layer",
    "disk_containers",
    "disk_vms",
    "engine_kernel",
    "kernel_line",
    "memory",
    "process",
    "read_layer",
    "run_info",
    "summary",
    "vm",
    "writable_layer",
]

#: Disk series compared (``DiskPoint.kind``, fresh: nothing written): containers
#: against linked clones, the fair VM (one shared base disk, as containers share one
#: image).
DISK_CONTAINERS = "containers"
DISK_LINKED = "vm-linked"
#: Ratios within this factor of 1 read "about as long / as much as".
ABOUT_SAME = 1.1


@step()
def engine_kernel(course: Session) -> str:
    """The kernel the engine runs on: what ``uname -r`` says inside any container."""
    return course.engine.kernel if course.engine else ""


@step()
def run_info(course: Session) -> dict[str, Any]:
    """This host's and engine's provenance, as data (every plot prints it)."""
    return run_provenance(course.engine)


@step()
def process(course: Session, runs: int = 20) -> Observed:
    """``fork`` + ``exec`` of ``busybox true`` on the host, ``runs`` times: the floor."""
    return observed(measure_process, runs)


@step()
def container(course: Session, network: str = "none", runs: int = 5) -> Observed:
    """``docker run --rm --network NETWORK`` of the course image, through the API calls
    the CLI makes (create, start, wait, remove), each timed, ``runs`` times."""
    return observed(
        measure_container,
        course.require_client(),
        runs,
        network=network,
        chapter=course.chapter,
    )


@step()
def vm(course: Session, runs: int = 3) -> Observed:
    """A minimal Linux VM (a kernel and busybox) booted to init, ``runs`` times, with
    KVM when it really works here, else TCG (software emulation); the samples say which."""
    return observed(measure_vm, runs)


def read_layer(client: docker.DockerClient, name: str) -> dict[str, Any]:
    """What ``docker ps --size --filter name=NAME`` and ``docker image inspect`` say of
    the container ``name``: its own writable layer (``SizeRw``), what it sees
    (``SizeRootFs``) and its image, which is shared (the exercise checks read it too)."""
    found = client.api.containers(all=True, size=True, filters={"name": name})
    entry = next(e for e in found if name in [n.lstrip("/") for n in e["Names"]])
    image = client.api.inspect_image(entry["ImageID"])
    tags = image.get("RepoTags") or [entry["ImageID"][:19]]
    return {
        "name": name,
        "state": entry.get("State", ""),
        "size_rw": int(entry.get("SizeRw") or 0),
        "size_root_fs": int(entry.get("SizeRootFs") or 0),
        "image": tags[0],
        "image_id": entry["ImageID"][7:19],
        "image_bytes": int(image.get("Size", 0)),
    }


@step()
def writable_layer(course: Session, purpose: str) -> dict[str, Any]:
    """:func:`read_layer` of the container ``course.name(purpose)`` (the key holds the
    purpose, not the name: the name carries the session's tag)."""
    return read_layer(course.require_client(), course.name(purpose))


@step()
def disk_containers(course: Session, counts: Sequence[int] = (1, 2, 5, 10)) -> Observed:
    """N containers of the course image on disk, fresh and after each wrote 1 MiB."""
    return observed(
        measure_container_disk,
        course.require_client(),
        counts,
        image_ref=course.image_ref,
        chapter=course.chapter,
    )


@step()
def disk_vms(course: Session, counts: Sequence[int] = (1, 2, 5, 10)) -> Observed:
    """N VMs on disk, as full copies and as linked clones, fresh and after writing."""
    return observed(measure_vm_disk, counts)


@step()
def memory(course: Session) -> Observed:
    """One idle process, container and VM: the memory each costs the host (PSS), and
    the guest's own view of the VM."""
    return observed(measure_memory, course.require_client(), course.image_ref)


def kernel_line(kernel: str) -> str:
    """ "the engine's kernel: 6.1.0-…"."""
    return t("plot.01.kernel", kernel=kernel or "?")


def describe_layer(layer: Mapping[str, Any]) -> str:
    """Two lines: the container's own bytes against the shared image, and what the
    container sees (image + layer)."""
    return "\n".join(
        [
            t("plot.01.fresh.command", name=layer["name"]),
            t(
                "check.01.layer",
                name=layer["name"],
                rw=human_bytes(layer["size_rw"]),
                image=layer["image"],
                image_size=human_bytes(layer["image_bytes"]),
            ),
            t("plot.01.fresh.rootfs", size=human_bytes(layer["size_root_fs"])),
        ]
    )


def summary(*parts: Mapping[str, Any]) -> str:
    """One line per series (runs, median, middle half), or why it could not run here;
    for the VM, which accelerator ran and why."""
    notes = vm_notes(*parts)
    return _summary(*parts) + (f"\n{notes}" if notes else "")


def _ratio(value: float) -> str:
    return f"{value:.0f}" if value >= 10 else f"{value:.1f}"


def relation(value: float, than: float, other: str, quantity: str) -> str:
    """How ``value`` compares with ``than`` (named ``other``), in words chosen by the
    data: "9.8× longer than a container", "about as much as a process", "2.5× less…".

    ``quantity``: "time" (longer / shorter) or "size" (more / less)."""
    ratio = value / than if than > 0 else float("inf")
    if 1 / ABOUT_SAME <= ratio <= ABOUT_SAME:
        return t(f"lesson.01.{quantity}.same", other=other)
    if ratio > 1:
        return t(f"lesson.01.{quantity}.more", ratio=_ratio(ratio), other=other)
    return t(f"lesson.01.{quantity}.less", ratio=_ratio(1 / ratio), other=other)


def _accel(results: Results) -> str:
    accels = {s.detail.get("accel", "") for s in results.samples("vm")}
    accels |= {p.detail.get("accel", "") for p in results.footprint if p.kind == "vm"}
    found = sorted(a for a in accels if a)
    return "+".join(t(f"measure.accel.{a}") for a in found) or "?"


def _startup(results: Results) -> dict[str, float]:
    found: dict[str, float] = {}
    process_stats = series_stats(results.samples("process"))
    if process_stats:
        found["process"] = process_stats.median_s
    for key in CONTAINER_SERIES[:2]:
        stats = series_stats(results.samples(key))
        if stats:
            found["container"] = stats.median_s
            break
    vm_stats = series_stats(results.samples("vm"))
    if vm_stats:
        found["vm"] = vm_stats.median_s
    return found


def _disk(results: Results) -> tuple[int, dict[str, int]]:
    """The largest N measured for both containers and linked clones, and their totals."""
    by_what: dict[str, dict[int, int]] = {}
    for point in results.disk:
        if not point.wrote_bytes:
            by_what.setdefault(point.kind, {})[point.n] = point.total_bytes
    containers = by_what.get(DISK_CONTAINERS, {})
    linked = by_what.get(DISK_LINKED, {})
    common = sorted(containers.keys() & linked.keys())
    if not common:
        return 0, {}
    n = common[-1]
    return n, {"container": containers[n], "vm": linked[n]}


def _memory(results: Results) -> dict[str, float]:
    return {
        p.kind: p.value
        for p in results.footprint
        if p.metric == "memory_bytes" and p.n == 1 and p.method != "guest_meminfo"
    }


def comparison(results: Results) -> str:
    """The chapter's one comparison: a table (process, container, VM × start-up, disk,
    memory), then one line per quantity saying which is larger and by how much, each
    word chosen from the data. A quantity this run lacks shows "–" and no sentence."""
    startup, (n, disk), mem = _startup(results), _disk(results), _memory(results)
    accel = _accel(results)
    kinds = ("process", "container", "vm")
    names = {k: t(f"lesson.01.kind.{k}", accel=accel) for k in kinds}
    missing = t("lesson.01.missing")
    rows = [
        [
            "",
            t("lesson.01.head.startup"),
            t("lesson.01.head.disk", n=n) if n else t("lesson.01.head.disk_none"),
            t("lesson.01.head.memory"),
        ]
    ]
    for kind in kinds:
        rows.append(
            [
                names[kind],
                human_seconds(startup[kind]) if kind in startup else missing,
                human_bytes(disk[kind]) if kind in disk else missing,
                human_bytes(mem[kind]) if kind in mem else missing,
            ]
        )
    lines = aligned_lines(rows)
    a_process, a_container = t("lesson.01.a.process"), t("lesson.01.a.container")
    said = []
    if {"process", "container"} <= startup.keys():
        rel = relation(startup["container"], startup["process"], a_process, "time")
        said.append(t("lesson.01.says.startup_process", relation=rel))
    if {"container", "vm"} <= startup.keys():
        rel = relation(startup["vm"], startup["container"], a_container, "time")
        said.append(t("lesson.01.says.startup_vm", relation=rel, vm=names["vm"]))
    if disk:
        containers = t("lesson.01.a.containers", n=n)
        rel = relation(disk["vm"], disk["container"], containers, "size")
        said.append(t("lesson.01.says.disk", relation=rel, n=n))
    if {"container", "vm"} <= mem.keys():
        rel = relation(mem["vm"], mem["container"], a_container, "size")
        said.append(t("lesson.01.says.memory", relation=rel, vm=names["vm"]))
    if {"process", "container"} <= mem.keys():
        rel = relation(mem["container"], mem["process"], a_process, "size")
        said.append(t("lesson.01.says.memory_process", relation=rel))
    if "tcg" in {x.detail.get("accel", "") for x in results.samples("vm")}:
        said.append(t("lesson.01.says.tcg"))
    return "\n".join([*lines, "", *said])
