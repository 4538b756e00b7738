"""Plots of how light each kind of instance is, drawn from footprint records.

- :func:`plot_memory`: memory of one idle process, container and VM, each bar labelled
  with how it was read (PSS on this host, the engine's statistics, the guest's own view).
- :func:`plot_density`: N idle instances at once: total memory and time until all run.
- :func:`plot_cpu`: the same CPU-bound loop timed inside each, per 100 000 iterations.

Like :mod:`dockcourse.plots`, every plot says live or recorded with its provenance, takes
``ax=None`` or an Axes, and draws only what the run holds. Used by ``dockcourse bench``
and the chapters.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from .fonts import localized
from .measure.describe import (
    PER_ITERATIONS,
    cpu_fastest,
    footprint_accel,
    footprint_points,
    kind_label,
)
from .measure.results import FootprintPoint, Results
from .measure.vm import MEMORY_MIB as VM_MEMORY_MIB
from .plots import _axes, _title
from .text import t
from .units import human_bytes, human_seconds

if TYPE_CHECKING:
    from matplotlib.axes import Axes

KIND_COLORS = {"process": "#1b9e77", "container": "#1f78b4", "vm": "#d95f02"}
MIB = 1024**2


def memory_at_one(results: Results) -> list[FootprintPoint]:
    """N = 1 memory figures, host-side first, then the guest's own view of the VM."""
    order = {"process": 0, "container": 1, "vm": 2}
    found = [p for p in footprint_points(results, "memory_bytes") if p.n == 1]
    return sorted(
        found, key=lambda p: (order.get(p.kind, 9), p.method == "guest_meminfo")
    )


def headline_memory(results: Results) -> str:
    """One sentence from the data: memory of one idle container, process and VM."""
    host = {p.kind: p for p in memory_at_one(results) if p.method != "guest_meminfo"}
    if not {"process", "container", "vm"} <= host.keys():
        return ""
    return t(
        "plot.footprint.headline.memory",
        container=human_bytes(host["container"].value),
        process=human_bytes(host["process"].value),
        vm=human_bytes(host["vm"].value),
        # the accelerator that ran, "TCG, software emulation" under TCG (issue 13)
        accel=", ".join(
            t(f"measure.accel.{a.lower()}") if a in ("KVM", "TCG") else a
            for a in footprint_accel(results).split("+")
        ),
    )


def headline_cpu(results: Results) -> str:
    fastest = cpu_fastest(results)
    if "process" not in fastest or "container" not in fastest:
        return ""
    return t(
        "plot.footprint.headline.cpu", ratio=fastest["container"] / fastest["process"]
    )


@localized
def plot_memory(results: Results, *, ax: Axes | None = None) -> Axes:
    ax = _axes(ax, (10.0, 4.0))
    points = memory_at_one(results)
    if not points:
        ax.text(0.5, 0.5, t("plot.memory.empty"), ha="center", transform=ax.transAxes)
        ax.set_axis_off()
        _title(ax, t("plot.memory.title"), results)
        return ax
    labels = [
        t(
            "plot.memory.row",
            kind=kind_label(p.kind, results),
            method=t(f"measure.footprint.method_short.{p.method}"),
        )
        for p in points
    ]
    values = [max(p.value, 1) / MIB for p in points]
    y = list(range(len(points)))[::-1]
    colors = [KIND_COLORS.get(p.kind, "#999999") for p in points]
    hatches = ["//" if p.method == "guest_meminfo" else "" for p in points]
    bars = ax.barh(y, values, color=colors, alpha=0.85)
    for bar, hatch in zip(bars, hatches, strict=True):
        bar.set_hatch(hatch)
    for yy, p in zip(y, points, strict=True):
        ax.text(
            max(p.value, 1) / MIB * 1.08,
            yy,
            human_bytes(p.value),
            va="center",
            fontsize=9,
        )
    ax.set_yticks(y, labels, fontsize=8.5)
    ax.set_xscale("log")
    ax.set_xlim(min(values) / 2, max(values) * 4)
    ax.set_xlabel(t("plot.memory.xlabel"))
    _title(ax, t("plot.memory.title"), results, headline_memory(results))
    return ax


@localized
def plot_density(results: Results, *, axes: Sequence[Axes] | None = None) -> list[Axes]:
    """Two panels side by side: total memory against N, time until all N run against N."""
    if axes is None:
        import matplotlib.pyplot as plt

        _, pair = plt.subplots(1, 2, figsize=(11.0, 4.5), layout="constrained")
        axes = list(pair)
    memory_ax, start_ax = axes[0], axes[1]
    panels = (
        (
            memory_ax,
            "memory_bytes",
            "plot.density.memory",
            "plot.density.memory_ylabel",
        ),
        (start_ax, "start_all_s", "plot.density.start", "plot.density.start_ylabel"),
    )
    any_points = False
    for ax, metric, title_key, ylabel_key in panels:
        for kind in ("process", "container", "vm"):
            found = sorted(
                (p.n, p.value)
                for p in footprint_points(results, metric)
                if p.kind == kind and p.method != "guest_meminfo"
            )
            if not found:
                continue
            any_points = True
            ns = [n for n, _ in found]
            values = [v / MIB if metric == "memory_bytes" else v for _, v in found]
            ax.plot(
                ns,
                [max(v, 1e-4) for v in values],
                marker="o",
                color=KIND_COLORS[kind],
                label=kind_label(kind, results),
            )
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(t("plot.density.xlabel"))
        ax.set_ylabel(t(ylabel_key))
        ax.set_title(t(title_key), fontsize=10.5, loc="left")
        ax.grid(True, which="both", alpha=0.25)
    legend_ax = start_ax if start_ax.get_lines() else memory_ax
    if any_points:
        legend_ax.legend(fontsize=8.5, loc="lower right")
    most = {
        kind: max(
            (p.n for p in footprint_points(results, "memory_bytes") if p.kind == kind),
            default=0,
        )
        for kind in ("container", "vm")
    }
    if 0 < most["vm"] < most["container"]:
        # Fewer VMs than containers: the run's budget, not an accident, and said so.
        memory_ax.set_title(
            t("plot.density.memory")
            + "\n"
            + t("plot.density.vm_budget", n=most["vm"], mib=VM_MEMORY_MIB),
            fontsize=9,
            loc="left",
        )
    figure = memory_ax.get_figure()
    if figure is not None:
        color = "#b2182b" if results.mode == "recorded" else "#4d4d4d"
        figure.suptitle(
            t("plot.density.title") + "\n" + results.label("\n"),
            x=0.01,
            ha="left",
            fontsize=9,
            color=color,
        )
    return [memory_ax, start_ax]


@localized
def plot_cpu(results: Results, *, ax: Axes | None = None) -> Axes:
    ax = _axes(ax, (10.0, 3.2))
    fastest = cpu_fastest(results)
    if not fastest:
        ax.text(0.5, 0.5, t("plot.cpu.empty"), ha="center", transform=ax.transAxes)
        ax.set_axis_off()
        _title(ax, t("plot.cpu.title"), results)
        return ax
    kinds = [k for k in ("process", "container", "vm") if k in fastest]
    y = list(range(len(kinds)))[::-1]
    ax.barh(y, [fastest[k] for k in kinds], color=[KIND_COLORS[k] for k in kinds])
    base = fastest.get("process")
    for yy, k in zip(y, kinds, strict=True):
        note = human_seconds(fastest[k])
        if base and k != "process":
            note += "  " + t("plot.cpu.ratio", ratio=fastest[k] / base)
        ax.text(fastest[k] * 1.08, yy, note, va="center", fontsize=9)
    ax.set_yticks(y, [kind_label(k, results) for k in kinds])
    ax.set_xscale("log")
    ax.set_xlim(min(fastest.values()) / 2, max(fastest.values()) * 8)
    runs = max(
        sum(1 for p in footprint_points(results, "cpu_loop_s") if p.kind == k)
        for k in kinds
    )
    ax.set_xlabel(t("plot.cpu.xlabel", runs=runs, per=f"{PER_ITERATIONS:,}"))
    _title(ax, t("plot.cpu.title"), results, headline_cpu(results))
    return ax
