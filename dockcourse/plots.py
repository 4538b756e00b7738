"""Plots a beginner can read, drawn from measurement records (never from Docker).

- :func:`plot_startup`: the start-up spectrum on a log axis, live series (filled) beside
  published figures (hollow, grey, with their citation), headline annotated.
- :func:`plot_phases`: where a container's start-up time goes, phase by phase.
- :func:`plot_disk`: disk used by N containers against N VMs as N grows.
- :func:`plot_cpu_quota` (chapter 02), :func:`plot_build_cache` (chapter 04): one call
  each, on the data of a lesson step.

Every plot says whether it shows a live or a recorded run, with the run's provenance.
Each takes ``ax=None`` (a new figure) or an Axes to draw into, and returns the Axes.
matplotlib is imported when a plot is drawn, not when this module is imported. Used by
chapters 01, 03 and 07 and by ``dockcourse bench``.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .fonts import localized
from .measure.describe import (
    disk_label,
    headline,
    mode_label,
    phase_label,
    short_label,
)
from .measure.results import (
    CONTAINER_PHASES,
    CONTAINER_SERIES,
    SERIES,
    PublishedFigure,
    Results,
    load_published,
    phase_medians,
    series_stats,
)
from .text import t
from .units import human_bytes, human_seconds

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from .session import Session

#: Published rows shown by default: one or two per rung of the ladder, not all 20.
DEFAULT_PUBLISHED = (
    "fork_exec_floor",
    "netns_new_kernel",
    "crun_2022_kernel",
    "runc_per_container",
    "docker_start_ssd",
    "docker_run_true_range",
    "firecracker_spec",
    "alpine_on_firecracker",
    "ubuntu_cloudimg_local_vm",
    "ec2_linux_2012",
)


LIVE_COLORS = {
    "process": "#1b9e77",
    "namespaces": "#66a61e",
    "container-none": "#1f78b4",
    "container-bridge": "#6a3d9a",
    "container-cold": "#a6cee3",
    "container-cli": "#08519c",
    "vm": "#d95f02",
}
PHASE_COLORS = ("#a6cee3", "#1f78b4", "#b2df8a", "#33a02c", "#fb9a99")
PUBLISHED_COLOR = "#7f7f7f"


def _axes(ax: Axes | None, size: tuple[float, float]) -> Axes:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, new = plt.subplots(figsize=size, layout="constrained")
    return new


def _title(ax: Axes, title: str, results: Results, claim: str = "") -> None:
    """Title, the headline computed from the data, then live/recorded + provenance."""
    claim = _wrap_claim(claim)
    extra = 14 * claim.count("\n")
    ax.set_title(
        title,
        loc="left",
        fontsize=12,
        fontweight="bold",
        pad=(50 + extra) if claim else 30,
    )
    if claim:
        ax.annotate(
            claim,
            (0, 1),
            xycoords="axes fraction",
            xytext=(2, 29),
            textcoords="offset points",
            fontsize=10.5,
            fontweight="bold",
            va="bottom",
            ha="left",
            bbox={"boxstyle": "round,pad=0.25", "fc": "#fff7bc", "ec": "#fec44f"},
        )
    color = "#b2182b" if results.mode == "recorded" else "#4d4d4d"
    ax.annotate(
        results.label("\n"),
        (0, 1),
        xycoords="axes fraction",
        xytext=(0, 4),
        textcoords="offset points",
        fontsize=7.5,
        color=color,
        va="bottom",
        ha="left",
    )


def _wrap_claim(claim: str, limit: int = 72) -> str:
    """A long headline on two lines, broken after its first clause ("; " or "。")."""
    if len(claim) <= limit:
        return claim
    for mark in ("; ", "。"):
        head, found, tail = claim.partition(mark)
        if found and tail:
            return head + found.rstrip() + "\n" + tail
    return claim


def _published(published: Sequence[PublishedFigure] | None) -> list[PublishedFigure]:
    if published is not None:
        return list(published)
    by_id = {f.id: f for f in load_published() if f.quantity == "time"}
    return [by_id[key] for key in DEFAULT_PUBLISHED if key in by_id]


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


@localized
def plot_startup(
    results: Results,
    *,
    published: Sequence[PublishedFigure] | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Start-up time of every live series (each sample a dot, the median a bar) on one
    log axis, with published figures below them (hollow grey, citation beside them).

    ``published=None`` shows a default selection of verified figures; ``()`` none
    (chapter 01: its own three rungs; chapter 07 adds the published figures).
    """
    from matplotlib.lines import Line2D
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    figures = [f for f in _published(published) if f.quantity == "time"]
    live = [key for key in SERIES if results.samples(key)]
    rows = len(live) + len(figures)
    ax = _axes(ax, (11, 2.2 + 0.4 * max(rows, 3)))
    jitter = random.Random(0)
    labels: list[str] = []
    values: list[float] = []
    y = 0.0
    for key in live:
        samples = results.samples(key)
        stats = series_stats(samples)
        assert stats is not None
        color = LIVE_COLORS[key]
        xs = [s.elapsed_s for s in samples]
        values += xs
        ax.scatter(
            xs,
            [y + jitter.uniform(-0.15, 0.15) for _ in xs],
            s=14,
            color=color,
            alpha=0.55,
            linewidths=0,
            zorder=3,
        )
        ax.plot(
            [stats.p25_s, stats.p75_s],
            [y, y],
            color=color,
            lw=7,
            alpha=0.35,
            solid_capstyle="butt",
            zorder=2,
        )
        ax.plot([stats.median_s] * 2, [y - 0.32, y + 0.32], color=color, lw=3, zorder=4)
        note = human_seconds(stats.median_s)
        if key == "vm":
            note += f" ({results.vm_accel().upper()})"
        ax.annotate(
            note,
            (stats.max_s, y),
            xytext=(7, 0),
            textcoords="offset points",
            va="center",
            fontsize=9,
            color=color,
            fontweight="bold",
        )
        labels.append(t("plot.startup.row", label=short_label(key), count=stats.count))
        y += 1
    if figures and live:
        ax.axhline(y - 0.5, color="#bdbdbd", lw=0.8, ls="--")
    for fig in sorted(figures, key=lambda f: f.low):
        middle = (fig.low * fig.high) ** 0.5
        values += [fig.low, fig.high]
        if fig.high > fig.low:
            ax.plot(
                [fig.low, fig.high],
                [y, y],
                color=PUBLISHED_COLOR,
                lw=2.5,
                alpha=0.6,
                solid_capstyle="round",
            )
        ax.scatter(
            [middle],
            [y],
            s=36,
            facecolors="white",
            edgecolors=PUBLISHED_COLOR,
            linewidths=1.5,
            zorder=3,
            marker="D",
        )
        shown = (
            human_seconds(fig.low)
            if fig.high == fig.low
            else f"{human_seconds(fig.low)}–{human_seconds(fig.high)}"
        )
        right = middle < 10.0
        ax.annotate(
            f"{shown} · {_short(fig.citation(), 42)}",
            (fig.high if right else fig.low, y),
            xytext=(8 if right else -8, 0),
            textcoords="offset points",
            va="center",
            ha="left" if right else "right",
            fontsize=7.5,
            color=PUBLISHED_COLOR,
        )
        labels.append(
            t("plot.startup.published_row", what=_short(fig.description(), 44))
        )
        y += 1
    ax.set_yticks(range(len(labels)))
    ax.set_yticklabels(labels, fontsize=8.5)
    for tick in ax.get_yticklabels()[len(live) :]:
        tick.set_color(PUBLISHED_COLOR)
    ax.set_ylim(len(labels) - 0.4, -0.6)
    ax.set_xscale("log")
    if values:
        ax.set_xlim(min(values) / 3, max(values) * 12)
    ax.xaxis.set_major_locator(LogLocator(base=10, numticks=20))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: human_seconds(v)))
    ax.set_xlabel(t("plot.startup.xlabel"))
    ax.grid(axis="x", which="major", color="#e0e0e0")
    ax.set_axisbelow(True)
    _title(ax, startup_title(results), results, headline(results))
    kind = mode_label(results)
    handles = [
        Line2D(
            [],
            [],
            color="#1f78b4",
            marker="o",
            ls="",
            alpha=0.6,
            label=t("plot.startup.legend_dots", kind=kind),
        ),
        Line2D(
            [],
            [],
            color="#1f78b4",
            marker="|",
            ms=12,
            mew=3,
            ls="",
            label=t("plot.startup.legend_median", kind=kind),
        ),
        Line2D(
            [],
            [],
            color=PUBLISHED_COLOR,
            marker="D",
            mfc="white",
            ls="",
            label=t("plot.startup.legend_published"),
        ),
    ]
    from matplotlib.transforms import ScaledTranslation

    ax.legend(
        handles=handles,
        loc="upper center",
        # below the axis title whatever the plot's height (3 rows in chapter 01)
        bbox_to_anchor=(0.5, 0),
        bbox_transform=ax.transAxes
        + ScaledTranslation(0, -40 / 72, ax.figure.dpi_scale_trans),
        ncols=3,
        fontsize=8,
        frameon=False,
    )
    return ax


def startup_title(results: Results) -> str:
    """ "Start-up time: process → container → VM": the rungs this run measured."""
    rungs = [
        rung
        for rung, present in (
            ("process", results.samples("process")),
            ("namespaces", results.samples("namespaces")),
            ("container", any(results.samples(k) for k in CONTAINER_SERIES)),
            ("vm", results.samples("vm")),
        )
        if present
    ]
    if not rungs:
        return t("plot.startup.title")
    return t(
        "plot.startup.title_rungs",
        rungs=" → ".join(t(f"plot.startup.rung.{r}") for r in rungs),
    )


@localized
def plot_phases(results: Results, *, ax: Axes | None = None) -> Axes:
    """Median time of each container phase (create, start, first output, exit,
    remove), one stacked bar per container series. Used by chapter 07."""
    series = [key for key in CONTAINER_SERIES if results.samples(key)]
    ax = _axes(ax, (10, 2.2 + 0.8 * max(len(series), 1)))
    title = t("plot.phases.title")
    if not series:
        ax.text(
            0.5,
            0.5,
            t("plot.phases.empty"),
            ha="center",
            transform=ax.transAxes,
        )
        _title(ax, title, results)
        return ax
    for row, key in enumerate(series):
        samples = results.samples(key)
        medians = phase_medians(samples)
        left = 0.0
        for name, color in zip(CONTAINER_PHASES, PHASE_COLORS, strict=True):
            width = medians.get(name, 0.0) * 1000
            ax.barh(
                row,
                width,
                left=left,
                color=color,
                edgecolor="white",
                height=0.6,
                label=phase_label(name) if row == 0 else None,
            )
            if width >= 12:
                ax.text(
                    left + width / 2,
                    row,
                    f"{width:.0f}",
                    ha="center",
                    va="center",
                    fontsize=8,
                )
            left += width
        stats = series_stats(samples)
        assert stats is not None
        early = sum(
            s.detail.get("printed_before_start_returned") == "true" for s in samples
        )
        ax.text(
            left,
            row,
            t("plot.phases.total", total=human_seconds(stats.median_s)),
            va="center",
            fontsize=9,
            fontweight="bold",
        )
        if early:
            ax.text(
                0,
                row + 0.42,
                t("plot.phases.early", early=early, count=len(samples)),
                fontsize=7,
                color="#555555",
                va="center",
            )
    ax.set_yticks(range(len(series)))
    ax.set_yticklabels(
        [
            t("plot.phases.row", label=short_label(k), count=len(results.samples(k)))
            for k in series
        ],
        fontsize=9,
    )
    ax.set_ylim(len(series) - 0.4, -0.5)
    ax.set_xlabel(t("plot.phases.xlabel"))
    ax.set_xlim(0, ax.get_xlim()[1] * 1.2)
    ax.legend(
        loc="upper center",
        bbox_to_anchor=(0.5, -0.2),
        ncols=5,
        fontsize=8,
        frameon=False,
    )
    _title(ax, title, results, headline_phases(results))
    return ax


def headline_phases(results: Results) -> str:
    """Which phase dominates, from the data: "start takes 70% of 251 ms"."""
    for key in CONTAINER_SERIES:
        samples = results.samples(key)
        if not samples:
            continue
        medians = phase_medians(samples)
        total = sum(medians.values())
        if total <= 0:
            return ""
        name, value = max(medians.items(), key=lambda item: item[1])
        return t(
            "plot.phases.headline",
            label=short_label(key),
            phase=phase_label(name),
            share=value / total,
            total=human_seconds(total),
        )
    return ""


#: ``DiskPoint.kind`` → (colour, marker); a series of points that wrote is dashed.
DISK_STYLES = {
    "containers": ("#1f78b4", "o"),
    "vm-linked": ("#fdae61", "s"),
    "vm-full": ("#d95f02", "^"),
}


def _disk_style(kind: str, wrote_bytes: int) -> tuple[str, str, str]:
    color, marker = DISK_STYLES.get(kind, ("#333333", "x"))
    return color, ("--" if wrote_bytes else "-"), marker


@localized
def plot_disk(
    results: Results,
    *,
    published: Sequence[PublishedFigure] | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Total disk used by N containers and N VMs as N grows (1, 2, 5, 10, 20...).

    Solid lines: fresh instances; dashed: after each wrote a file. The image (or the
    base disk of linked clones) is counted once. Used by chapters 01 and 03.
    """
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    ax = _axes(ax, (10, 5.5))
    kinds: dict[tuple[str, int], dict[int, int]] = {}
    for point in results.disk:  # a resumed run may repeat a point: the last wins
        kinds.setdefault(point.series, {})[point.n] = point.total_bytes
    if not kinds:
        ax.text(
            0.5,
            0.5,
            t("plot.disk.empty"),
            ha="center",
            transform=ax.transAxes,
        )
    for (kind, wrote_bytes), by_n in kinds.items():
        values = sorted(by_n.items())
        color, style, marker = _disk_style(kind, wrote_bytes)
        ax.plot(
            [n for n, _ in values],
            [b / 1024**2 for _, b in values],
            ls=style,
            color=color,
            marker=marker,
            label=disk_label(kind, wrote_bytes),
        )
        n_last, b_last = values[-1]
        ax.annotate(
            human_bytes(b_last),
            (n_last, b_last / 1024**2),
            xytext=(6, 0),
            textcoords="offset points",
            va="center",
            fontsize=8,
            color=color,
        )
    ax.set_xlabel(t("plot.disk.xlabel"))
    ax.set_ylabel(t("plot.disk.ylabel"))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.set_xlim(0, max((n for by_n in kinds.values() for n in by_n), default=1) * 1.12)
    ax.set_ylim(bottom=0)
    ax.grid(color="#e8e8e8")
    ax.set_axisbelow(True)
    if kinds:
        ax.legend(loc="upper left", fontsize=8)
    figures = (
        published
        if published is not None
        else [f for f in load_published() if f.id == "disk_ubuntu_minimal_2404"]
    )
    notes = [
        t(
            "plot.disk.published",
            what=f.description(),
            size=human_bytes(f.low),
            citation=f.citation(),
        )
        for f in figures
        if f.quantity == "disk"
    ]
    if notes:
        ax.annotate(
            "\n".join(notes),
            (0, 0),
            xycoords="axes fraction",
            xytext=(0, -38),
            textcoords="offset points",
            fontsize=7.5,
            color=PUBLISHED_COLOR,
            va="top",
            ha="left",
        )
    _title(ax, t("plot.disk.title"), results, _disk_headline(results))
    return ax


def _disk_headline(results: Results) -> str:
    """ "20 containers: 2 MiB in all; 20 VMs: 330 MiB (170× more)", from the data."""

    def at_max(kind: str) -> tuple[int, int] | None:
        found = [
            (p.n, p.total_bytes)
            for p in results.disk
            if p.kind == kind and not p.wrote_bytes
        ]
        return max(found) if found else None

    containers = at_max("containers")
    linked = at_max("vm-linked")
    if containers and linked and containers[0] == linked[0]:
        # Linked clones are the fair comparison: they share the base disk as containers
        # share the image.
        ratio = linked[1] / max(containers[1], 1)
        return t(
            "plot.disk.headline_linked"
            if ratio >= 1
            else "plot.disk.headline_linked_less",
            n=containers[0],
            containers=human_bytes(containers[1]),
            vms=human_bytes(linked[1]),
            ratio=ratio if ratio >= 1 else 1 / ratio,
        )
    vms = at_max("vm-full")
    if containers and vms and containers[0] == vms[0]:
        n = containers[0]
        return t(
            "plot.disk.headline",
            n=n,
            containers=human_bytes(containers[1]),
            vms=human_bytes(vms[1]),
            ratio=vms[1] / max(containers[1], 1),
        )
    if containers:
        return t(
            "plot.disk.headline_containers",
            n=containers[0],
            containers=human_bytes(containers[1]),
        )
    return ""


def save_all(results: Results, out_dir: Path) -> list[Path]:
    """Every plot of ``results`` as PNG files (no pyplot state; for ``dockcourse bench``)."""
    from matplotlib.figure import Figure

    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    drawings = (
        ("startup.png", plot_startup, (10.0, 7.5)),
        ("phases.png", plot_phases, (10.0, 4.0)),
        ("disk.png", plot_disk, (10.0, 5.5)),
    )
    for name, draw, size in drawings:
        figure: Figure = Figure(figsize=size, layout="constrained")
        draw(results, ax=figure.add_subplot())
        path = out_dir / name
        figure.savefig(path, dpi=110)
        written.append(path)
    if results.footprint:
        from . import plots_footprint as fp

        for name, one, size in (
            ("memory.png", fp.plot_memory, (10.0, 4.0)),
            ("cpu.png", fp.plot_cpu, (10.0, 3.2)),
        ):
            figure = Figure(figsize=size, layout="constrained")
            one(results, ax=figure.add_subplot())
            figure.savefig(out_dir / name, dpi=110)
            written.append(out_dir / name)
        figure = Figure(figsize=(11.0, 4.5), layout="constrained")
        fp.plot_density(results, axes=list(figure.subplots(1, 2)))
        figure.savefig(out_dir / "density.png", dpi=110)
        written.append(out_dir / "density.png")
    return written


# --- chapters 02 and 04: a lesson step's data, one call per plot -------------------


@localized
def plot_cpu_quota(
    usage: Mapping[str, Any], course: Session, *, ax: Axes | None = None
) -> Axes:
    """Chapter 02: CPU use over time of two identical busy loops, one under ``--cpus``
    (``lessons.ch02.cpu_usage``), with the limit as a dashed line; labelled live or
    recorded."""
    from .isolation import run_label

    limit = usage["limit_cpus"]
    ax = _axes(ax, (7.5, 4.0))
    for key, series in usage["series"].items():
        name = t(f"plot.02.cpu.{key}", limit=limit)
        ax.plot(series["t_s"], series["cpus"], marker="o", label=name)
    ax.axhline(limit, color="grey", ls="--", label=t("plot.02.cpu.limit", limit=limit))
    ax.set(xlabel=t("plot.02.cpu.x"), ylabel=t("plot.02.cpu.y"), ylim=(0, 1.2))
    ax.set_title(t("plot.02.cpu.title", limit=limit), loc="left", fontweight="bold")
    ax.figure.suptitle(
        run_label(course), x=0.01, ha="left", fontsize=8, color="dimgrey"
    )
    ax.legend(loc="lower right")
    return ax


@localized
def plot_build_cache(
    runs: Mapping[str, Mapping[str, Any]], course: Session, *, ax: Axes | None = None
) -> Axes:
    """Chapter 04: the time of each build of ``runs`` ({"cold"|"again"|"changed":
    ``lessons.ch04.build``}), each bar labelled with its cache hits; labelled live or
    recorded."""
    from .recorded import provenance_label

    where = (
        t("plot.04.live")
        if course.live
        else provenance_label(course.provenance)
        if course.provenance is not None
        else "?"
    )
    ax = _axes(ax, (7.5, 3.6))
    notes = [
        t("plot.04.hits", hits=r["cache_hits"], steps=r["cacheable"])
        for r in runs.values()
    ]
    bars = ax.bar(
        [t(f"plot.04.{name}") for name in runs], [r["elapsed_s"] for r in runs.values()]
    )
    ax.bar_label(bars, labels=notes, fontsize=8)
    ax.set_ylabel(t("plot.04.ylabel"))
    ax.set_title(f"{t('plot.04.title')}\n{where}", fontsize=10)
    ax.margins(y=0.25)
    return ax
