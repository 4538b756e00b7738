#!/usr/bin/env python3
"""Figures for the foundation (issue 2): printed, not asserted.

    .venv/bin/python benchmarks/bench_foundation.py

* ``import dockcourse`` wall time (target: well under a second), in a fresh interpreter;
* ``connect()`` and ``setup()`` times;
* building the course image offline (``docker import`` path and Dockerfile fallback);
* ``dockcourse doctor`` wall time.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path


def fresh(code: str, runs: int = 5) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return times


def show(label: str, seconds: list[float]) -> None:
    print(
        f"{label:<44} median {statistics.median(seconds) * 1000:8.1f} ms "
        f"(min {min(seconds) * 1000:.1f}, n={len(seconds)})"
    )


def main() -> None:
    baseline = fresh("pass")
    show("python -c pass (interpreter start)", baseline)
    with_import = fresh("import dockcourse")
    show("python -c 'import dockcourse'", with_import)
    print(
        f"{'  → import dockcourse itself':<44} about "
        f"{(statistics.median(with_import) - statistics.median(baseline)) * 1000:.1f} ms"
    )

    from dockcourse.engine import connect
    from dockcourse.images import (
        build_course_image,
        ensure_course_image,
        find_static_busybox,
    )

    connects = []
    for _ in range(5):
        start = time.perf_counter()
        connect().close()
        connects.append(time.perf_counter() - start)
    show("connect()", connects)
    client = connect()
    busybox, _ = find_static_busybox(str(client.info()["Architecture"]))
    for use_import, label in (
        (True, "image build (docker import)"),
        (False, "image build (Dockerfile fallback)"),
    ):
        ref = f"dockcourse/busybox:bench-{int(use_import)}"
        times = []
        for _ in range(3):
            start = time.perf_counter()
            build_course_image(client, Path(str(busybox)), ref, use_import=use_import)
            times.append(time.perf_counter() - start)
            client.api.remove_image(ref)
        show(label, times)
    ensure_course_image(client)
    show(
        "setup() (image present)",
        fresh("from dockcourse import setup; setup(quiet=True)"),
    )
    show(
        "dockcourse doctor",
        fresh("from dockcourse.cli import main; main(['doctor'])", 3),
    )


if __name__ == "__main__":
    main()
