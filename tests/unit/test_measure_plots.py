"""Plots from records: labelled live/recorded, headline from the data, published apart."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import matplotlib
import matplotlib.image
import numpy as np

matplotlib.use("Agg")

from matplotlib.figure import Figure

from dockcourse import plots
from dockcourse.measure.results import (
    DiskPoint,
    PublishedFigure,
    Results,
    StartupSample,
    host_provenance,
    load_published,
    load_recorded,
)
from dockcourse.text import set_language, t
from dockcourse.units import human_seconds


def s(series: str, i: int, elapsed: float, **detail: str) -> StartupSample:
    phases = (
        {
            "create": 0.02,
            "start": 0.2,
            "first output": 0.0,
            "exit": 0.03,
            "remove": 0.01,
        }
        if series.startswith("container")
        else {}
    )
    return StartupSample(series, i, False, elapsed, "x", "now", phases, dict(detail))


def synthetic(mode: str = "live") -> Results:
    startup = (
        [s("process", i, 0.001) for i in range(5)]
        + [s("namespaces", i, 0.003) for i in range(5)]
        + [
            s("container-none", i, 0.25, printed_before_start_returned="true")
            for i in range(5)
        ]
        + [s("vm", i, 2.0, accel="tcg") for i in range(3)]
    )
    disk = tuple(
        DiskPoint(kind, 0, n, base + per * n, base if shared else 0, per * n, "now")
        for n in (1, 2, 5)
        for kind, base, per, shared in (
            ("containers", 2_000_000, 0, True),
            ("vm-full", 0, 17_000_000, False),
        )
    )
    return Results(host_provenance("run-x"), {}, tuple(startup), disk, mode=mode)


def texts(ax: object) -> str:
    figure = ax.figure  # type: ignore[attr-defined]
    figure.canvas.draw()
    return "\n".join(x.get_text() for x in figure.findobj(matplotlib.text.Text))


def with_accel(results: Results, accel: str) -> Results:
    startup = tuple(
        s("vm", x.index, x.elapsed_s, accel=accel) if x.series == "vm" else x
        for x in results.startup
    )
    return Results(results.provenance, {}, startup, results.disk, mode=results.mode)


def test_headline_under_tcg_says_so_and_cites_a_published_kvm_boot() -> None:
    kvm = next(f for f in load_published() if f.id == "firecracker_spec")
    assert plots.headline(synthetic()) == t(
        "plot.headline.faster_tcg",
        container="250 ms",
        ratio=8,
        vm="2 s",
        kvm=human_seconds(kvm.high),
        source=kvm.citation(),
    )


def test_headline_under_kvm_compares_directly() -> None:
    assert plots.headline(with_accel(synthetic(), "kvm")) == t(
        "plot.headline.faster", container="250 ms", ratio=8, accel="KVM", vm="2 s"
    )


def test_headline_follows_the_data_when_the_vm_is_faster() -> None:
    slow = synthetic()
    startup = tuple(
        s("container-none", x.index, 5.0) if x.series == "container-none" else x
        for x in slow.startup
    )
    results = Results(slow.provenance, {}, startup, slow.disk)
    assert plots.headline(results) == t(
        "plot.headline.slower_tcg", container="5 s", ratio=2.5, vm="2 s"
    )


def test_startup_plot_is_log_scale_labelled_live_with_published_apart() -> None:
    figure = Figure()
    published = [
        PublishedFigure(
            "p",
            "vm",
            "Firecracker boot",
            0.125,
            0.125,
            "time",
            "",
            "",
            "",
            "2020",
            "Spec",
            "https://x",
            "yes",
        )
    ]
    ax = plots.plot_startup(synthetic(), published=published, ax=figure.add_subplot())
    assert ax.get_xscale() == "log"
    shown = texts(ax)
    assert (
        t(
            "measure.label",
            mode=t("measure.label.live"),
            run_id="run-x",
            sep="\n",
            provenance="",
            vm="",
        )
        in shown
    )
    assert plots._wrap_claim(plots.headline(synthetic())) in shown
    assert t("plot.startup.published_row", what="Firecracker boot") in shown
    assert "Spec, 2020" in shown
    grey = [x for x in ax.get_yticklabels() if x.get_text().startswith("published")]
    assert grey and all(x.get_color() == plots.PUBLISHED_COLOR for x in grey)


def test_recorded_results_say_recorded_on_every_plot() -> None:
    results = synthetic("recorded")
    for draw in (plots.plot_startup, plots.plot_phases, plots.plot_disk):
        ax = draw(results, ax=Figure().add_subplot())
        assert t(
            "measure.label",
            mode=t("measure.label.recorded"),
            run_id="run-x",
            sep="\n",
            provenance="",
            vm="",
        ) in texts(ax)


def test_phase_plot_names_every_phase_and_the_early_output() -> None:
    ax = plots.plot_phases(synthetic(), ax=Figure().add_subplot())
    legend = [x.get_text() for x in ax.get_legend().get_texts()]
    assert legend == [
        t(f"plot.phase.{name}")
        for name in ("create", "start", "first_output", "exit", "remove")
    ]
    assert t("plot.phases.early", early=5, count=5) in texts(ax)


def test_disk_plot_headline_compares_at_the_largest_n() -> None:
    ax = plots.plot_disk(synthetic(), published=[], ax=Figure().add_subplot())
    assert t(
        "plot.disk.headline", n=5, containers="1.91 MiB", vms="81.1 MiB", ratio=42.4
    ) in texts(ax)
    legend = [text.get_text() for text in ax.get_legend().get_texts()]
    assert legend == [t("plot.disk.kind.containers"), t("plot.disk.kind.full")]


def test_disk_headline_prefers_linked_clones_the_fair_comparison() -> None:
    base = synthetic()
    linked = tuple(
        DiskPoint("vm-linked", 0, n, 9_000_000 + 200_000 * n, 9_000_000, 0, "now")
        for n in (1, 2, 5)
    )
    results = Results(base.provenance, {}, base.startup, base.disk + linked)
    assert plots._disk_headline(results) == t(
        "plot.disk.headline_linked",
        n=5,
        containers="1.91 MiB",
        vms="9.54 MiB",
        ratio=10_000_000 / 2_000_000,
    )


def test_disk_labels_come_from_the_catalogue() -> None:
    set_language("ja")
    try:
        assert plots.disk_label("vm-linked", 1024 * 1024) == t(
            "plot.disk.wrote", kind=t("plot.disk.kind.linked"), size="1 MiB"
        )
        assert plots.disk_label("vm-full") == t("plot.disk.kind.full")
        assert plots.disk_label("vm-full") != t("plot.disk.kind.full", lang="en")
    finally:
        set_language(None)


def test_save_all_writes_three_pngs(tmp_path: Path) -> None:
    written = plots.save_all(synthetic(), tmp_path)
    assert [p.name for p in written] == ["startup.png", "phases.png", "disk.png"]
    for path in written:
        pixels = matplotlib.image.imread(path)  # fails unless it is a readable PNG
        assert pixels.ndim == 3 and min(pixels.shape[:2]) >= 200, path.name
        # something was drawn: a blank canvas has one colour only
        assert len(np.unique(pixels.reshape(-1, pixels.shape[2]), axis=0)) > 10, path


def test_recorded_dataset_plots_without_an_engine(tmp_path: Path) -> None:
    results = load_recorded()
    assert results.mode == "recorded"
    for key in ("process", "namespaces", "container-none", "vm"):
        assert results.samples(key), key
    assert results.provenance.engine_version != "no engine"
    # Binder shows every series bench measures: start-up, disk, and the footprint
    # (memory, density, running cost) of process, container and VM (issue 13).
    metrics = {(p.kind, p.metric) for p in results.footprint}
    for kind in ("process", "container", "vm"):
        assert any(k == kind for k, _ in metrics), kind
    written = plots.save_all(results, tmp_path)
    assert {p.name for p in written} == {
        "startup.png",
        "phases.png",
        "disk.png",
        "memory.png",
        "cpu.png",
        "density.png",
    }


def test_plots_module_imports_no_docker() -> None:
    code = (
        "import sys, dockcourse.plots, dockcourse.measure.results\n"
        "print([m for m in ('docker', 'requests', 'matplotlib') if m in sys.modules])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert out.stdout.strip() == "[]"
