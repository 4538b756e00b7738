"""What the measurements say, in the catalogue's words: labels and headlines from data.

Series, phase, disk-kind and instance-kind labels, the start-up headline and the CPU loop's
medians. Plots (:mod:`dockcourse.plots`, :mod:`dockcourse.plots_footprint`) put them on
figures; ``dockcourse bench`` and :func:`dockcourse.measure.observed.summarize` print them.
They live here, below the plots, so that text about a measurement never needs matplotlib.
"""

from __future__ import annotations

from ..text import t
from ..units import human_bytes, human_seconds
from .results import (
    SERIES,
    FootprintPoint,
    PublishedFigure,
    Results,
    load_published,
    series_stats,
)

#: Loop iterations the CPU figures are given per (loop sizes differ by kind).
PER_ITERATIONS = 100_000


def short_label(series: str) -> str:
    """The series' name on a plot ("container, --network none"), from the catalogue."""
    return t(f"plot.series.{series}")


def phase_label(phase: str) -> str:
    """A container phase's name on a plot ("first output"), from the catalogue."""
    return t(f"plot.phase.{phase.replace(' ', '_')}")


def mode_label(results: Results) -> str:
    """ "live" or "recorded", as the legends say it."""
    return t("plot.mode.recorded" if results.mode == "recorded" else "plot.mode.live")


def headline(results: Results) -> str:
    """The one sentence the spectrum is about, computed from the data."""
    stats = {key: series_stats(results.samples(key)) for key in SERIES}
    container = stats.get("container-none") or stats.get("container-bridge")
    vm = stats.get("vm")
    process = stats.get("process")
    if container and vm:
        ratio = vm.median_s / container.median_s
        accel = results.vm_accel().upper() or "?"
        kvm = published_kvm_boot()
        if accel == "TCG":
            # Software emulation is not what a VM costs on real hardware: say so, and
            # put the published KVM figure beside it.
            return t(
                "plot.headline.faster_tcg"
                if ratio >= 1
                else "plot.headline.slower_tcg",
                container=human_seconds(container.median_s),
                ratio=ratio if ratio >= 1 else 1 / ratio,
                vm=human_seconds(vm.median_s),
                kvm=human_seconds(kvm.high) if kvm else "?",
                source=kvm.citation() if kvm else "?",
            )
        return t(
            "plot.headline.faster" if ratio >= 1 else "plot.headline.slower",
            container=human_seconds(container.median_s),
            ratio=ratio if ratio >= 1 else 1 / ratio,
            accel=accel,
            vm=human_seconds(vm.median_s),
        )
    if container and process:
        return t(
            "plot.headline.vs_process",
            container=human_seconds(container.median_s),
            ratio=container.median_s / process.median_s,
            process=human_seconds(process.median_s),
        )
    return t("plot.headline.none")


def published_kvm_boot() -> PublishedFigure | None:
    """The published figure for a minimal VM booting to init on KVM (Firecracker's spec)."""
    return next((f for f in load_published() if f.id == "firecracker_spec"), None)


#: ``DiskPoint.kind`` (``results.DISK_KINDS``) → its catalogue key.
DISK_KIND_TEXT = {
    "containers": "plot.disk.kind.containers",
    "vm-linked": "plot.disk.kind.linked",
    "vm-full": "plot.disk.kind.full",
}


def disk_label(kind: str, wrote_bytes: int = 0) -> str:
    """The legend text of a disk series ("containers, each wrote 1 MiB")."""
    name = t(DISK_KIND_TEXT[kind]) if kind in DISK_KIND_TEXT else kind
    if not wrote_bytes:
        return name
    return t("plot.disk.wrote", kind=name, size=human_bytes(wrote_bytes))


def footprint_points(
    results: Results, metric: str, method: str | None = None
) -> list[FootprintPoint]:
    return [
        p
        for p in results.footprint
        if p.metric == metric and (method is None or p.method == method)
    ]


def footprint_accel(results: Results) -> str:
    accels = {p.detail.get("accel", "") for p in results.footprint if p.kind == "vm"}
    return "+".join(sorted(a.upper() for a in accels if a)) or "?"


def kind_label(kind: str, results: Results | None = None) -> str:
    if kind == "vm" and results is not None:
        return t("plot.density.legend_vm", accel=footprint_accel(results))
    return t(f"measure.footprint.kind.{kind}")


def cpu_per_iterations(point: FootprintPoint) -> float:
    """Seconds per ``PER_ITERATIONS`` loop iterations (loop sizes differ by kind)."""
    loops = int(point.detail.get("loops") or PER_ITERATIONS)
    return point.value * PER_ITERATIONS / loops


def cpu_fastest(results: Results) -> dict[str, float]:
    """Per kind, the fastest run of the CPU-bound loop (per :data:`PER_ITERATIONS`).

    Not the median: other work on the machine can only slow a CPU-bound loop down, never
    speed it up, so the fastest run is the closest to the loop's own cost (timeit's
    rule). On a shared 2-core machine the same loop varied 320–610 ms run to run, as a
    process and in a container alike, while the fastest runs agreed within 1 %."""
    by_kind: dict[str, list[float]] = {}
    for p in footprint_points(results, "cpu_loop_s"):
        by_kind.setdefault(p.kind, []).append(cpu_per_iterations(p))
    return {k: min(v) for k, v in by_kind.items()}
