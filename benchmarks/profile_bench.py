"""Where ``dockcourse bench`` spends its time: a table per part and phase. Prints only.

    .venv/bin/python benchmarks/profile_bench.py [--full] [--series NAME ...]

Runs the plan of ``dockcourse bench --quick`` (or the full one) in-process into a
temporary directory, with timers wrapped around the functions that cost time (image
preparation, each container call group, engine probes, VM boots and their wait for the
marker, settle sleeps, disk tools, plots). Each row is the wall time spent inside that
function while the part named on the left ran, summed over calls; nested rows are
included in their parent (``_run_part`` is the whole part). The sum of the part rows
plus setup and plots is the run's wall time, so the table also says what the rest is.

On a loaded machine the absolute figures are inflated; the shares are what to read,
together with ``uptime`` printed before and after.
"""

from __future__ import annotations

import argparse
import functools
import os
import resource
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dockcourse.measure import bench, disk, footprint, startup, vm

#: (module, attribute, row name) wrapped with a timer.
TIMED: list[tuple[Any, str, str]] = [
    (bench, "_connect", "setup: connect"),
    (bench, "_run_part", "part total"),
    (startup, "_time_command", "command spawn→exit"),
    (startup, "engine_kernel", "engine_kernel probe container"),
    (startup, "engine_clock_offset", "engine clock offset (/info)"),
    (startup, "time_container", "time_container (measured calls)"),
    (startup, "engine_events", "engine events query"),
    (startup, "fresh_image", "cold: build fresh image"),
    (vm, "prepare", "vm prepare (find, initramfs)"),
    (vm, "_choose_accel", "vm choose accel (KVM trial)"),
    (vm, "boot_once", "vm boot_once (spawn→exit)"),
    (disk, "measure_container_disk", "disk containers"),
    (disk, "_size_rw", "disk SizeRw query"),
    (disk, "image_facts", "disk image facts"),
    (vm, "build_base_disk", "vm disk: build base"),
    (vm, "_run", "vm disk: qemu-img/qemu-io/mke2fs calls"),
    (footprint, "_process_points", "footprint: processes"),
    (footprint, "_container_points", "footprint: containers"),
    (footprint, "container_memory", "footprint: container memory read"),
    (footprint, "_containers", "footprint: containers start (ctx)"),
    (footprint, "_vm_points", "footprint: VMs"),
    (footprint, "_vm_setup", "footprint: vm setup"),
    (footprint, "measure_cpu", "cpu: measure_cpu"),
]

stats: dict[tuple[str, str], list[float]] = defaultdict(list)
#: CPU seconds (this process + reaped children) per row: near what the row would take
#: on a quiet machine when the work is CPU-bound and ours (TCG guests, plots, loops).
cpu: dict[tuple[str, str], float] = defaultdict(float)


def _cpu_now() -> float:
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


current_part = ["setup"]


def _wrap(module: Any, attr: str, row: str) -> None:
    original = getattr(module, attr)
    if getattr(original, "__wrapped_by_profile__", False):
        return
    is_cm = attr in ("fresh_image", "_containers", "_vms")

    if is_cm:
        from contextlib import contextmanager

        @contextmanager
        def cm(*args: Any, **kwargs: Any) -> Any:
            start, c0 = time.perf_counter(), _cpu_now()
            with original(*args, **kwargs) as value:
                stats[(current_part[0], row + " (enter)")].append(
                    time.perf_counter() - start
                )
                cpu[(current_part[0], row + " (enter)")] += _cpu_now() - c0
                yield value
                exit_start, c1 = time.perf_counter(), _cpu_now()
            stats[(current_part[0], row + " (exit)")].append(
                time.perf_counter() - exit_start
            )
            cpu[(current_part[0], row + " (exit)")] += _cpu_now() - c1

        wrapper: Callable[..., Any] = cm
    else:

        @functools.wraps(original)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if attr == "_run_part":
                current_part[0] = args[0]
            start, c0 = time.perf_counter(), _cpu_now()
            try:
                return original(*args, **kwargs)
            finally:
                stats[(current_part[0], row)].append(time.perf_counter() - start)
                cpu[(current_part[0], row)] += _cpu_now() - c0

    wrapper.__wrapped_by_profile__ = True  # type: ignore[attr-defined]
    setattr(module, attr, wrapper)


class _SleepCounter:
    """Stands in for ``time`` in footprint.py: counts the settle sleeps."""

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)

    @staticmethod
    def sleep(seconds: float) -> None:
        start = time.perf_counter()
        time.sleep(seconds)
        stats[(current_part[0], "fixed sleep (settle)")].append(
            time.perf_counter() - start
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true")
    parser.add_argument("--series", nargs="+")
    parser.add_argument("--keep", type=Path, help="write the run here and keep it")
    args = parser.parse_args()
    for module, attr, row in TIMED:
        _wrap(module, attr, row)
    footprint.time = _SleepCounter()  # type: ignore[assignment]
    # _vms waits on the VMs' serial output: time it via the context manager too
    _wrap(footprint, "_vms", "footprint: VMs boot to idle (ctx)")
    print("load before:", os.getloadavg())
    plan = bench.make_plan(quick=not args.full, parts=args.series)
    with tempfile.TemporaryDirectory(prefix="hbench-profile-") as scratch:
        tmp = str(args.keep or scratch)
        start = time.perf_counter()
        results = bench.run_bench(Path(tmp), plan, fresh=True, progress=False)
        measured = time.perf_counter() - start
        current_part[0] = "plots"
        p0, c0 = time.perf_counter(), _cpu_now()
        from dockcourse import plots

        plots.save_all(results, Path(tmp))
        stats[("plots", "plots.save_all (incl. import)")].append(
            time.perf_counter() - p0
        )
        cpu[("plots", "plots.save_all (incl. import)")] += _cpu_now() - c0
    total = time.perf_counter() - start
    print("load after: ", os.getloadavg())
    print(
        f"\n{'part':<17} {'what':<42} {'calls':>5} {'total s':>8} {'mean s':>7}"
        f" {'cpu s':>6}"
    )
    for (part, row), values in stats.items():
        print(
            f"{part:<17} {row:<42} {len(values):>5} {sum(values):>8.2f} "
            f"{sum(values) / len(values):>7.3f} {cpu[(part, row)]:>6.2f}"
        )
    print("(cpu s: this process and the children it reaped: QEMU, docker CLI, loops)")
    parts = {p: sum(v) for (p, r), v in stats.items() if r == "part total"}
    print(f"\nmeasurements {measured:.1f} s, with plots {total:.1f} s")
    for part, seconds in parts.items():
        print(f"  {part:<17} {seconds:6.1f} s")
    for item in results.unavailable:
        print(f"unavailable: {item.series}: {item.cause}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
