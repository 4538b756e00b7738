"""Every measurement in one run: what ``dockcourse bench`` and ``dockcourse record`` run.

:func:`run_bench` runs each part that this host can run (process, namespaces,
containers, VM, disk), appends every sample to ``DIR/results.jsonl`` as it is taken (a
rerun with the same settings resumes) and writes ``DIR/summary.json``; a part that
cannot run here is reported as unavailable, with how to enable it, and the rest still
runs. :func:`format_table` is the summary table. The command itself, which also saves
the plots, is ``dockcourse.cli`` (plots are a layer above measurements).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..recorded import new_run_id
from ..text import t
from ..units import human_bytes, human_seconds
from .describe import cpu_fastest, headline, kind_label
from .results import (
    SERIES,
    BadInput,
    MeasurementUnavailable,
    Results,
    RunFile,
    Unavailable,
    check_runs,
    host_provenance,
    now_iso,
    open_run,
    record_data,
    series_stats,
)

if TYPE_CHECKING:
    import docker

DISK_PARTS = ("disk-containers", "disk-vm")
#: Memory and density of idle instances (one VM boot also times the loop), and the
#: running cost of the same loop as a process and in a container: footprint.py.
FOOTPRINT_PARTS = ("footprint", "cpu")
PARTS = (*SERIES, *DISK_PARTS, *FOOTPRINT_PARTS)
ENGINE_PARTS = (
    "container-none",
    "container-bridge",
    "container-cold",
    "container-cli",
    "disk-containers",
)
RESULTS_FILE = "results.jsonl"
SUMMARY_FILE = "summary.json"

#: What ``dockcourse bench --quick`` may take, all in, on a quiet 2-core machine with the
#: VM under TCG; and the full plan.
QUICK_LIMIT_S = 60.0
FULL_LIMIT_S = 300.0
#: Seconds per part on a quiet 2-core machine (VM under TCG), ``start`` being Python,
#: the engine connection and the course image, ``plots`` the six PNGs. The plans are
#: sized to these; a test keeps each plan's sum within its limit. Estimated with
#: ``benchmarks/profile_bench.py`` (wall and CPU time per part and phase): work that
#: is ours and CPU-bound (TCG guests, the loops, the plots) from its CPU seconds, which
#: load does not inflate; engine work (containers, builds, ``SizeRw``) from the per-call
#: times of the last quiet recording (container create → remove 0.24 s, bridge 0.34 s,
#: one TCG boot 2.0 s, 20 disk containers 8.7 s). Each includes its fixed costs: the
#: KVM trial (4 s, once per host boot where ``/dev/kvm`` opens but guests hang), the
#: probe container, one cold image build (0.6 s), the idle settles (~0.1–0.3 s each).
QUICK_BUDGET_S: dict[str, float] = {
    "start": 1.5,
    "process": 0.5,
    "namespaces": 0.5,
    "container-none": 3.0,  # 6 × 0.24 s + the kernel probe container
    "container-bridge": 3.0,  # 6 × 0.34 s
    "container-cold": 2.0,  # 1 image build + 1 sample
    "container-cli": 3.0,  # 6 × ~0.3 s
    "vm": 8.5,  # 2 TCG boots × 2.0 s + the KVM trial
    "disk-containers": 5.0,  # N ≤ 10 × ~0.45 s
    "disk-vm": 2.0,
    "footprint": 9.0,  # 4 × processes, 18 containers, 1 TCG VM running the loop
    "cpu": 3.0,  # 3 × (loop of 100 000 as a process, in a container)
    "plots": 5.0,
}
FULL_BUDGET_S: dict[str, float] = {
    "start": 1.5,
    "process": 1.0,
    "namespaces": 1.0,
    "container-none": 7.0,  # 22 × 0.24 s
    "container-bridge": 9.0,  # 22 × 0.34 s
    "container-cold": 5.0,  # 3 builds + samples
    "container-cli": 9.0,  # 22 × ~0.3 s
    "vm": 17.0,  # 6 TCG boots + the KVM trial
    "disk-containers": 12.0,  # N ≤ 20
    "disk-vm": 4.0,
    "footprint": 60.0,  # 88 containers, 8 TCG VMs (up to 5 at once)
    "cpu": 25.0,  # 5 × 300 000 loops ×2, 2 TCG boots × 50 000
    "plots": 5.0,
}


@dataclass(frozen=True)
class Plan:
    """How many samples of what: the settings a resumed run must match."""

    runs: dict[str, int]
    warmup: dict[str, int]
    disk_counts: tuple[int, ...]
    parts: tuple[str, ...] = PARTS
    vm_accel: str = "auto"
    quick: bool = False
    extra: dict[str, str] = field(default_factory=dict)
    density_counts: tuple[int, ...] = (1, 2, 5, 10)
    vm_density_counts: tuple[int, ...] = (1,)
    cpu_loops: int = 100_000  # process and container: about 0.5 s on this kind of CPU
    vm_cpu_loops: int = 20_000  # the VM: a fifth, so a TCG guest takes seconds
    cpu_runs: int = 3

    def settings(self) -> dict[str, Any]:
        data = asdict(self)
        data["disk_counts"] = list(self.disk_counts)
        data["parts"] = list(self.parts)
        data["density_counts"] = list(self.density_counts)
        data["vm_density_counts"] = list(self.vm_density_counts)
        return data


def make_plan(
    *,
    quick: bool,
    runs: int | None = None,
    parts: Sequence[str] | None = None,
    vm_accel: str = "auto",
) -> Plan:
    """The quick plan (≤ 60 s on 2 cores, VM under TCG) or the full one (≤ 5 min).

    The sample counts are what :data:`QUICK_BUDGET_S` / :data:`FULL_BUDGET_S` were
    estimated for: change them together (a unit test checks the two agree).
    """
    if runs is not None:
        check_runs(runs, name="--runs")
    chosen = tuple(parts) if parts else PARTS
    unknown = [p for p in chosen if p not in PARTS]
    if unknown:
        raise BadInput(
            t(
                "measure.bad.series",
                unknown=", ".join(map(repr, unknown)),
                known=", ".join(PARTS),
            )
        )
    if quick:
        base = {
            "process": 10,
            "namespaces": 10,
            "container-none": 5,
            "container-bridge": 5,
            "container-cold": 1,
            "container-cli": 5,
            "vm": 2,
        }
        warm = {
            "process": 2,
            "namespaces": 2,
            "container-none": 1,
            "container-bridge": 1,
            "container-cold": 0,
            "container-cli": 1,
            "vm": 0,
        }
        counts: tuple[int, ...] = (1, 2, 5, 10)
    else:
        base = {
            "process": 50,
            "namespaces": 50,
            "container-none": 20,
            "container-bridge": 20,
            "container-cold": 3,
            "container-cli": 20,
            "vm": 5,
        }
        warm = {
            "process": 3,
            "namespaces": 3,
            "container-none": 2,
            "container-bridge": 2,
            "container-cold": 0,
            "container-cli": 2,
            "vm": 1,
        }
        counts = (1, 2, 5, 10, 20)
    if runs is not None:
        base = dict.fromkeys(base, runs)
    # Density: VMs only as many as fit in the budget (256 MiB of guest memory each).
    return Plan(
        runs=base,
        warmup=warm,
        disk_counts=counts,
        parts=chosen,
        vm_accel=vm_accel,
        quick=quick,
        density_counts=(1, 2, 5, 10) if quick else (1, 2, 5, 10, 20, 50),
        vm_density_counts=(1,) if quick else (1, 2, 5),
        cpu_loops=100_000 if quick else 300_000,
        vm_cpu_loops=20_000 if quick else 50_000,
        cpu_runs=3 if quick else 5,
    )


def _connect() -> tuple[docker.DockerClient | None, Unavailable | None]:
    from ..engine import EngineUnavailable, connect

    try:
        return connect(), None
    except EngineUnavailable as exc:
        return None, Unavailable("engine", exc.cause, exc.fix, now_iso())


def run_bench(
    out_dir: Path,
    plan: Plan,
    *,
    fresh: bool = False,
    progress: bool | None = None,
    say: Callable[[str], None] = print,
) -> Results:
    """Run ``plan`` into ``out_dir/results.jsonl`` (resuming it unless ``fresh``)."""
    client, no_engine = _connect()
    engine: dict[str, Any] | None = None
    image_ref = ""
    if client is not None:
        from ..engine import engine_info
        from ..images import ImageUnavailable, ensure_image

        engine = engine_info(client).as_dict()
        try:
            image_ref = ensure_image(client)
        except ImageUnavailable as exc:
            no_engine = Unavailable("course image", exc.cause, exc.fix, now_iso())
            client = None
    provenance = host_provenance(new_run_id(), engine)
    run = open_run(
        out_dir / RESULTS_FILE,
        provenance=provenance,
        settings=plan.settings(),
        resume=not fresh,
    )
    shared: dict[str, Any] = {}  # facts one part found that the next ones reuse
    took: dict[str, float] = {}
    try:
        if run.results().startup or run.results().disk:
            say(f"resuming run {run.run_id} from {run.path}")
        for part in plan.parts:
            began = time.perf_counter()
            if client is None and part in ENGINE_PARTS:
                assert no_engine is not None
                _unavailable(
                    run,
                    Unavailable(part, no_engine.cause, no_engine.fix, now_iso()),
                    say,
                )
                continue
            try:
                _run_part(part, plan, run, client, image_ref, progress, shared)
            except MeasurementUnavailable as exc:
                _unavailable(run, Unavailable(part, exc.cause, exc.fix, now_iso()), say)
            took[part] = time.perf_counter() - began
    finally:
        run.close()
    say(time_per_part(took, plan))
    results = run.results()
    (out_dir / SUMMARY_FILE).write_text(
        json.dumps(summary(results), indent=1, ensure_ascii=False) + "\n", "utf-8"
    )
    return results


def budget(plan: Plan) -> dict[str, float]:
    """Seconds each part of ``plan`` should take on a quiet 2-core machine."""
    return QUICK_BUDGET_S if plan.quick else FULL_BUDGET_S


def time_per_part(took: dict[str, float], plan: Plan) -> str:
    """One line: seconds per part, those over their budget marked with theirs."""
    limits = budget(plan)
    standard = plan.runs == make_plan(quick=plan.quick).runs  # no --runs: budgeted
    parts = []
    for part, seconds in took.items():
        over = standard and seconds > limits.get(part, float("inf"))
        mark = f" (budget {limits[part]:g} s)" if over else ""
        parts.append(f"{part} {seconds:.1f} s{mark}")
    return "time per part: " + ", ".join(parts)


def _unavailable(run: RunFile, item: Unavailable, say: Callable[[str], None]) -> None:
    run.add_unavailable(item)
    say(
        f"unavailable: {item.series}: {item.cause}"
        + (f"\n  → {item.fix}" if item.fix else "")
    )


def _run_part(
    part: str,
    plan: Plan,
    run: RunFile,
    client: docker.DockerClient | None,
    image_ref: str,
    progress: bool | None,
    shared: dict[str, Any],
) -> None:
    from . import disk, startup, vm

    if part in FOOTPRINT_PARTS:
        _run_footprint(part, plan, run, client, image_ref, progress)
        return
    if part in DISK_PARTS:
        done = {(p.kind, p.n) for p in run.results().disk}
        prefix = "containers" if part == "disk-containers" else "vm-"
        if any(
            kind.startswith(prefix) and n == max(plan.disk_counts) for kind, n in done
        ):
            return
        if part == "disk-containers":
            assert client is not None
            disk.measure_container_disk(
                client,
                plan.disk_counts,
                image_ref=image_ref,
                on_point=run.add_disk,
                progress=progress,
            )
            run.add_image(disk.image_facts(client, image_ref))
        else:
            vm.measure_vm_disk(
                plan.disk_counts, on_point=run.add_disk, progress=progress
            )
        return
    runs, warmup = plan.runs[part], plan.warmup[part]
    done_count = run.done(part)
    if done_count >= runs + warmup:
        return
    common: dict[str, Any] = {
        "start_index": done_count,
        "on_sample": run.add_sample,
        "progress": progress,
    }
    if part == "process":
        startup.measure_process(runs, warmup=warmup, **common)
    elif part == "namespaces":
        startup.measure_namespaces(runs, warmup=warmup, **common)
    elif part == "vm":
        vm.measure_vm(runs, warmup=warmup, accel=plan.vm_accel, **common)
    elif part == "container-cli":
        from .cli_run import measure_container_cli

        measure_container_cli(runs, warmup=warmup, image_ref=image_ref, **common)
    else:
        assert client is not None
        network = "bridge" if part == "container-bridge" else "none"
        if "where" not in shared:  # one probe container for the three series
            shared["where"] = startup.engine_kernel(client, image_ref, startup.CHAPTER)
        startup.measure_container(
            client,
            runs,
            warmup=warmup,
            network=network,
            cold=part == "container-cold",
            image_ref=image_ref,
            on_engine_detail=run.amend_detail,
            where=shared["where"],
            **common,
        )


def _run_footprint(
    part: str,
    plan: Plan,
    run: RunFile,
    client: docker.DockerClient | None,
    image_ref: str,
    progress: bool | None,
) -> None:
    """Memory and density (``footprint``) or the running cost (``cpu``), once per run."""
    from . import footprint

    metric = "memory_bytes" if part == "footprint" else "cpu_loop_s"
    if any(p.metric == metric and p.kind != "vm" for p in run.results().footprint):
        return  # a resumed run already has it
    kinds = [k for k in footprint.KINDS if client is not None or k != "container"]
    if client is None:
        run.add_unavailable(
            Unavailable(
                f"{part}-container",
                t("measure.footprint.no_engine"),
                "",
                now_iso(),
            )
        )

    def unavailable(kind: str, exc: MeasurementUnavailable) -> None:
        run.add_unavailable(
            Unavailable(f"{part}-{kind}", exc.cause, exc.fix, now_iso())
        )

    if part == "footprint":
        footprint.measure_density(
            client,
            image_ref,
            counts=plan.density_counts,
            vm_counts=plan.vm_density_counts,
            kinds=kinds,
            accel=plan.vm_accel,
            vm_loops=plan.vm_cpu_loops,
            on_point=run.add_footprint,
            on_unavailable=unavailable,
            progress=progress,
        )
        return
    # The VM's loop was timed by the density boot; full runs time it a few times more.
    cpu_kinds = [k for k in kinds if k != "vm"]
    footprint.measure_cpu(
        client,
        image_ref,
        loops=plan.cpu_loops,
        runs=plan.cpu_runs,
        kinds=cpu_kinds,
        on_point=run.add_footprint,
    )
    if not plan.quick and "vm" in kinds:
        try:
            footprint.measure_cpu(
                None,
                loops=plan.vm_cpu_loops,
                runs=2,
                kinds=("vm",),
                accel=plan.vm_accel,
                on_point=run.add_footprint,
            )
        except MeasurementUnavailable as exc:
            unavailable("vm", exc)


def summary(results: Results) -> dict[str, Any]:
    """Provenance, per-series statistics, disk at the largest N, unavailable parts."""
    stats = {}
    for key in SERIES:
        found = series_stats(results.samples(key))
        if found is not None:
            stats[key] = {
                **asdict(found),
                "endpoint": SERIES[key][1],
                "label": SERIES[key][0],
            }
    largest: dict[str, dict[str, int]] = {}
    for point in results.disk:
        key = point.series_id
        if key not in largest or point.n >= largest[key]["n"]:
            largest[key] = {"n": point.n, "total_bytes": point.total_bytes}
    return {
        "run_id": results.run_id,
        "mode": results.mode,
        "provenance": results.provenance.as_dict(),
        "vm_accel": results.vm_accel(),
        "headline": headline(results),
        "startup": stats,
        "disk_at_largest_n": largest,
        "footprint": [record_data(p) for p in results.footprint],
        "unavailable": [record_data(u) for u in results.unavailable],
    }


def format_table(results: Results) -> str:
    """The summary table printed at the end of ``dockcourse bench``."""
    lines = [f"{'series':<18} {'n':>4} {'median':>9} {'middle half':>21}  endpoint"]
    for key in SERIES:
        found = series_stats(results.samples(key))
        if found is None:
            continue
        spread = f"{human_seconds(found.p25_s)} – {human_seconds(found.p75_s)}"
        endpoint = SERIES[key][1]
        if key == "vm":
            endpoint += f", {results.vm_accel().upper()}"
        lines.append(
            f"{key:<18} {found.count:>4} {human_seconds(found.median_s):>9} "
            f"{spread:>21}  {endpoint}"
        )
    largest: dict[str, tuple[int, int]] = {}
    for point in results.disk:
        if point.n >= largest.get(point.series_id, (0, 0))[0]:
            largest[point.series_id] = (point.n, point.total_bytes)
    if largest:
        lines.append("")
        lines.append(f"{'disk':<44} {'N':>3} {'total':>10}")
        for what, (n, size) in largest.items():
            lines.append(f"{what:<44} {n:>3} {human_bytes(size):>10}")
    lines += _footprint_lines(results)
    for item in results.unavailable:
        lines.append(f"unavailable: {item.series}: {item.cause}")
    return "\n".join(lines)


def _footprint_lines(results: Results) -> list[str]:
    """Memory at N = 1, the largest N measured, and the loop's fastest run per kind."""
    if not results.footprint:
        return []
    lines = ["", f"{'memory, idle':<44} {'N':>3} {'total':>10}  read from"]
    for p in sorted(
        (p for p in results.footprint if p.metric == "memory_bytes"),
        key=lambda p: (p.kind, p.method, p.n),
    ):
        what = kind_label(p.kind, results)
        lines.append(f"{what:<44} {p.n:>3} {human_bytes(p.value):>10}  {p.method}")
    starts = [p for p in results.footprint if p.metric == "start_all_s"]
    if starts:
        lines += [
            "",
            f"{'all N running after':<44} {'N':>3} {'seconds':>10} {'per second':>11}",
        ]
        for p in sorted(starts, key=lambda p: (p.kind, p.n)):
            rate = f"{p.n / p.value:>11.1f}" if p.value > 0 else f"{'–':>11}"
            lines.append(
                f"{kind_label(p.kind, results):<44} {p.n:>3} "
                f"{human_seconds(p.value):>10} {rate}"
            )
    fastest = cpu_fastest(results)
    if fastest:
        lines += ["", f"{'loop, per 100 000 iterations':<44} {'fastest run':>14}"]
        for kind, value in fastest.items():
            ratio = (
                f"  ({value / fastest['process']:.3f}× process)"
                if "process" in fastest
                else ""
            )
            lines.append(
                f"{kind_label(kind, results):<44} {human_seconds(value):>14}{ratio}"
            )
    return lines
