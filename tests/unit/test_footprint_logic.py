"""Footprint records: parsing what a guest prints, /proc readings, file round trip."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dockcourse.measure import footprint
from dockcourse.measure.describe import cpu_fastest, cpu_per_iterations
from dockcourse.measure.results import (
    BadInput,
    FootprintPoint,
    host_provenance,
    load_results,
    open_run,
)
from dockcourse.plots_footprint import headline_cpu
from dockcourse.text import set_language


@pytest.fixture(autouse=True)
def _english() -> None:
    set_language("en")


def test_guest_meminfo_is_total_minus_available() -> None:
    out = (
        b"noise\r\nDOCKCOURSE-MEMINFO MemTotal:         247000 kB\r\n"
        b"DOCKCOURSE-MEMINFO MemAvailable:     200000 kB\r\nDOCKCOURSE-IDLE\r\n"
    )
    assert footprint.guest_used_bytes(out) == (247000 - 200000) * 1024
    assert footprint.guest_used_bytes(b"DOCKCOURSE-MEMINFO MemTotal: 5 kB") is None


def test_loop_marker_reads_two_uptimes() -> None:
    match = footprint.LOOP_MARKER.search(b"x DOCKCOURSE-LOOP 12.34 13.84\n")
    assert match is not None
    assert float(match.group(2)) - float(match.group(1)) == pytest.approx(1.5)


def test_loop_point_names_the_clock_the_instance_used() -> None:
    fine = footprint.loop_point(
        "process",
        b"DOCKCOURSE-LOOP 1796554420.097264 1796554420.197364 epoch\n",
        {},
        1000,
    )
    coarse = footprint.loop_point("vm", b"DOCKCOURSE-LOOP 3.10 3.30 uptime\n", {}, 1000)
    old = footprint.loop_point("vm", b"DOCKCOURSE-LOOP 3.10 3.30\n", {}, 1000)
    assert fine is not None and fine.method == "in_instance_clock"
    assert fine.value == pytest.approx(0.1001)
    assert coarse is not None and coarse.method == "in_instance_uptime"
    assert old is not None and old.method == "in_instance_uptime"
    assert coarse.value == pytest.approx(0.2)


@pytest.mark.parametrize("epoch", [True, False])
def test_the_loop_script_runs_in_busybox_and_says_its_clock(epoch: bool) -> None:
    busybox = shutil.which("busybox")
    if busybox is None:
        pytest.skip("no busybox on this machine")
    script = footprint.LOOP.format(n=2000)
    if not epoch:  # an older busybox: $EPOCHREALTIME empty
        script = script.replace("$EPOCHREALTIME", "")
    done = subprocess.run(
        [busybox, "sh", "-c", script], capture_output=True, timeout=30, check=True
    )
    point = footprint.loop_point("process", done.stdout, {}, 2000)
    assert point is not None, done.stdout
    assert point.method == ("in_instance_clock" if epoch else "in_instance_uptime")
    assert 0 <= point.value < 10


def test_read_pss_of_a_real_child_and_its_tree() -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", "import time; print('up', flush=True); time.sleep(30)"],
        stdout=subprocess.PIPE,
    )
    try:
        assert child.stdout is not None and child.stdout.readline() == b"up\n"
        size, method = footprint.read_pss(child.pid)
        assert size > 1024 * 1024  # a Python interpreter is more than a MiB
        assert method in ("host_pss", "host_rss")
        assert child.pid in footprint.children_of(os.getpid())
        assert footprint.children_of(child.pid) == [child.pid]
    finally:
        child.kill()
        child.wait()
    with pytest.raises(OSError):
        footprint.read_pss(child.pid)


def test_processes_naming_a_token_are_found() -> None:
    token = "dockcourse-token-5f3a"
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import time; print('up', flush=True); time.sleep(30)",
            token,
        ],
        stdout=subprocess.PIPE,
    )
    try:
        assert child.stdout is not None and child.stdout.readline() == b"up\n"
        assert footprint.naming_processes(token) == [child.pid]
    finally:
        child.kill()
        child.wait()


@pytest.mark.parametrize("counts", [(), (0,), (1, 201), (True,), (1.5,)])
def test_bad_counts_are_refused_with_a_message(counts: tuple[object, ...]) -> None:
    with pytest.raises(BadInput, match="whole numbers"):
        footprint.check_counts(counts)  # type: ignore[arg-type]


def point(kind: str, value: float, loops: int) -> FootprintPoint:
    return FootprintPoint(
        kind, "cpu_loop_s", 1, value, "in_instance_uptime", "t", {"loops": str(loops)}
    )


def test_loop_times_are_compared_per_iteration() -> None:
    p = point("process", 0.5, 100_000)
    vm = point("vm", 1.0, 20_000)  # a fifth of the loop in twice the time: 10× slower
    assert cpu_per_iterations(vm) / cpu_per_iterations(p) == pytest.approx(10)


def test_headline_states_the_measured_ratio(tmp_path: Path) -> None:
    run = open_run(
        tmp_path / "r.jsonl", provenance=host_provenance("r1"), settings={"a": 1}
    )
    for value in (0.50, 0.52, 0.51):
        run.add_footprint(point("process", value, 100_000))
    for value in (0.55, 0.56, 0.57):
        run.add_footprint(point("container", value, 100_000))
    run.close()
    back = load_results(tmp_path / "r.jsonl")
    assert len(back.footprint) == 6
    fastest = cpu_fastest(back)
    ratio = fastest["container"] / fastest["process"]
    # the fastest run of each: noise only ever slows a CPU-bound loop down
    assert ratio == pytest.approx(0.55 / 0.50)
    assert f"{ratio:.2f}×" in headline_cpu(back)


def test_footprint_records_survive_a_resumed_run(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    settings = {"quick": True}
    run = open_run(path, provenance=host_provenance("r2"), settings=settings)
    run.add_footprint(
        FootprintPoint("process", "memory_bytes", 1, 1e6, "host_pss", "t")
    )
    run.close()
    again = open_run(path, provenance=host_provenance("r3"), settings=settings)
    assert [p.metric for p in again.results().footprint] == ["memory_bytes"]
    again.close()


def test_the_density_plot_states_the_vm_budget_only_when_vms_stop_early(
    tmp_path: Path,
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from dockcourse.measure.vm import MEMORY_MIB
    from dockcourse.plots_footprint import plot_density

    def density(vm_counts: tuple[int, ...], name: str) -> str:
        run = open_run(
            tmp_path / f"{name}.jsonl", provenance=host_provenance(name), settings={}
        )
        for n in (1, 2, 5):
            run.add_footprint(
                FootprintPoint("container", "memory_bytes", n, n * 1e7, "host_pss", "t")
            )
        for n in vm_counts:
            run.add_footprint(
                FootprintPoint("vm", "memory_bytes", n, n * 2e8, "host_pss", "t")
            )
        run.close()
        axes = plot_density(load_results(tmp_path / f"{name}.jsonl"))
        title = axes[0].get_title(loc="left")
        plt.close("all")
        return title

    from dockcourse.text import t

    note = t("plot.density.vm_budget", n=2, mib=MEMORY_MIB)
    assert note in density((1, 2), "short")
    assert note not in density((1, 2, 5), "all")
    assert t("plot.density.memory") == density((1, 2, 5), "again")
