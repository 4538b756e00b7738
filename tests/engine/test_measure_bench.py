"""`dockcourse bench` end to end: JSON with every live series, the plots, resume, and a
missing engine reported as unavailable while the rest still runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dockcourse.measure.results import load_results

pytestmark = pytest.mark.engine


def cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = 240
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dockcourse", *args],
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_bench_quick_writes_json_and_plots_with_every_series(tmp_path: Path) -> None:
    start = time.perf_counter()
    done = cli("bench", "--quick", "--out", str(tmp_path), "--no-progress")
    elapsed = time.perf_counter() - start
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    for name in (
        "results.jsonl",
        "summary.json",
        "startup.png",
        "phases.png",
        "disk.png",
    ):
        assert (tmp_path / name).stat().st_size > 0, name
    results = load_results(tmp_path / "results.jsonl")
    for series in (
        "process",
        "namespaces",
        "container-none",
        "container-bridge",
        "container-cold",
        "vm",
    ):
        assert results.samples(series), series
    assert results.vm_accel() in ("kvm", "tcg")
    assert {p.kind for p in results.disk} >= {"containers", "vm-full"}
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["provenance"]["engine_version"] not in ("", "no engine")
    assert summary["provenance"]["storage_driver"]
    assert summary["vm_accel"] == results.vm_accel()
    assert "faster than this VM" in summary["headline"]
    print(f"bench --quick took {elapsed:.1f} s")  # the figure; not a timed assertion


def test_bench_resumes_a_finished_run_without_measuring_again(tmp_path: Path) -> None:
    args = (
        "bench",
        "--series",
        "process",
        "--runs",
        "3",
        "--out",
        str(tmp_path),
        "--no-progress",
    )
    assert cli(*args).returncode == 0
    first = load_results(tmp_path / "results.jsonl")
    again = cli(*args)
    assert again.returncode == 0
    assert "resuming run" in again.stdout
    second = load_results(tmp_path / "results.jsonl")
    assert second.run_id == first.run_id
    assert len(second.startup) == len(first.startup)


def test_no_engine_leaves_the_rest_running(tmp_path: Path) -> None:
    done = cli(
        "bench",
        "--series",
        "process",
        "container-none",
        "--runs",
        "2",
        "--out",
        str(tmp_path),
        "--no-progress",
        env={"DOCKER_HOST": "unix:///nonexistent.sock"},
    )
    assert done.returncode == 0, done.stderr
    assert "unavailable: container-none" in done.stdout
    assert "Traceback" not in done.stderr
    results = load_results(tmp_path / "results.jsonl")
    assert results.samples("process")
    assert [u.series for u in results.unavailable] == ["container-none"]
    assert results.unavailable[0].fix
    assert (tmp_path / "startup.png").exists()
