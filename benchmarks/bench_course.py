#!/usr/bin/env python3
"""How long the course takes to run (issue 5's targets), printed, not asserted.

Executes every notebook (copies; nothing is written back) live and then recorded
(no engine), and prints each chapter's wall time and its slowest cell. Targets: the
whole course live in 5 minutes or less, recorded in 2 minutes or less, no cell over 30 s.

    .venv/bin/python benchmarks/bench_course.py [--mode live|recorded|both] [NOTEBOOK...]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent


def _seconds(cell: nbformat.NotebookNode) -> float:
    timing = cell.get("metadata", {}).get("execution", {})
    try:
        start = dt.datetime.fromisoformat(
            timing["iopub.execute_input"].replace("Z", "+00:00")
        )
        end = dt.datetime.fromisoformat(
            timing["shell.execute_reply"].replace("Z", "+00:00")
        )
    except KeyError:
        return 0.0
    return (end - start).total_seconds()


def run(paths: list[Path], mode: str) -> None:
    env_before = dict(os.environ)
    os.environ["DOCKCOURSE_MODE"] = mode
    if mode == "recorded":
        os.environ["DOCKER_HOST"] = "unix:///nonexistent/docker.sock"
    total = 0.0
    worst = (0.0, "")
    try:
        for path in paths:
            nb = nbformat.read(path, as_version=4)
            start = time.perf_counter()
            NotebookClient(
                nb,
                timeout=300,
                kernel_name="python3",
                record_timing=True,
                resources={"metadata": {"path": str(path.parent)}},
            ).execute()
            wall = time.perf_counter() - start
            total += wall
            slowest = max((c for c in nb.cells if c.cell_type == "code"), key=_seconds)
            where = f"{path.relative_to(ROOT)} cell {nb.cells.index(slowest)}"
            worst = max(worst, (_seconds(slowest), where))
            print(
                f"{mode:<9}{path.relative_to(ROOT)!s:<42}{wall:7.1f} s   slowest cell "
                f"{_seconds(slowest):5.1f} s"
            )
    finally:
        os.environ.clear()
        os.environ.update(env_before)
    print(
        f"{mode:<9}{'TOTAL':<42}{total:7.1f} s   slowest cell {worst[0]:.1f} s ({worst[1]})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--mode", choices=("live", "recorded", "both"), default="both")
    args = parser.parse_args()
    paths = [p.resolve() for p in args.notebooks] or sorted(
        ROOT.glob("notebooks/*/[0-9][0-9]_*.ipynb")
    )
    for mode in ("live", "recorded") if args.mode == "both" else (args.mode,):
        run(paths, mode)


if __name__ == "__main__":
    main()
