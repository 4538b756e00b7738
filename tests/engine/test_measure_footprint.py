"""Memory, density and running cost measured for real: engine, this host, QEMU."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockcourse import plots
from dockcourse.engine import connect
from dockcourse.images import ensure_image
from dockcourse.measure import footprint
from dockcourse.measure.bench import make_plan, run_bench
from dockcourse.measure.results import load_results
from dockcourse.resources import course_filter

pytestmark = pytest.mark.engine


def leftovers(client) -> list[str]:  # type: ignore[no-untyped-def]
    found = client.api.containers(
        all=True, filters=course_filter(**{"io.dockcourse.role": "footprint"})
    )
    return [c["Id"] for c in found]


def test_containers_and_processes_are_measured_and_nothing_is_left() -> None:
    client = connect()
    image = ensure_image(client)
    points = footprint.measure_density(
        client, image, counts=(1, 3), kinds=("process", "container"), progress=False
    )
    got = {(p.kind, p.metric, p.n): p for p in points}
    for kind in ("process", "container"):
        for n in (1, 3):
            memory = got[(kind, "memory_bytes", n)]
            assert memory.value > 0
            assert memory.method in footprint.METHODS
            assert got[(kind, "start_all_s", n)].value > 0
    container = got[("container", "memory_bytes", 1)]
    if container.method == "host_pss":
        # a container's figure includes the engine's own per-container process
        assert int(container.detail["engine_processes"]) >= 1
    assert leftovers(client) == []


def test_the_same_loop_runs_as_a_process_and_in_a_container() -> None:
    client = connect()
    image = ensure_image(client)
    points = footprint.measure_cpu(
        client, image, loops=20_000, runs=1, kinds=("process", "container")
    )
    assert {p.kind for p in points} == {"process", "container"}
    assert all(p.value > 0 and p.detail["loops"] == "20000" for p in points)
    assert leftovers(client) == []


def test_one_vm_idles_reports_its_memory_both_ways_and_times_the_loop() -> None:
    try:
        points = footprint.measure_density(
            None, counts=(1,), kinds=("vm",), vm_loops=5_000, progress=False
        )
    except footprint.MeasurementUnavailable as exc:
        pytest.skip(f"no VM here: {exc}")
    methods = {p.method: p for p in points if p.metric == "memory_bytes"}
    assert methods["guest_meminfo"].value > 0
    # QEMU's own memory holds the guest's used memory and more
    assert methods["host_pss"].value > methods["guest_meminfo"].value
    loop = [p for p in points if p.metric == "cpu_loop_s"]
    assert len(loop) == 1 and loop[0].value > 0
    assert loop[0].detail["accel"] in ("kvm", "tcg")


def test_bench_footprint_parts_write_records_and_plots(tmp_path: Path) -> None:
    plan = make_plan(quick=True, parts=("footprint", "cpu"))
    results = run_bench(tmp_path, plan, progress=False, say=lambda _: None)
    plots.save_all(results, tmp_path)
    back = load_results(tmp_path / "results.jsonl")
    assert {p.metric for p in back.footprint} >= {"memory_bytes", "start_all_s"}
    assert {p.kind for p in back.footprint} >= {"process", "container"}
    assert len(back.footprint) == len(results.footprint)
    for name in ("memory.png", "density.png", "cpu.png"):
        assert (tmp_path / name).stat().st_size > 0, name
