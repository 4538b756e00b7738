"""Container phases, log timestamps, bench plans and the CLI's answers to bad input."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timezone

import pytest

from dockcourse.measure import bench, disk, startup
from dockcourse.measure.results import CONTAINER_PHASES, BadInput


def timing(first: float | None) -> startup.ContainerTiming:
    return startup.ContainerTiming(
        container_id="c",
        create_s=0.03,
        start_s=0.2,
        wait_s=0.04,
        remove_s=0.01,
        first_output_after_start_s=first,
        wall_total_s=0.281,
        instrumentation_s=0.004,
    )


def test_phases_are_in_order_and_add_up_to_the_calls() -> None:
    phases = startup.split_phases(timing(0.015))
    assert list(phases) == list(CONTAINER_PHASES)
    assert phases["first output"] == pytest.approx(0.015)
    assert phases["exit"] == pytest.approx(0.025)
    assert sum(phases.values()) == pytest.approx(0.03 + 0.2 + 0.04 + 0.01)


@pytest.mark.parametrize("first", [-0.004, None])
def test_output_before_start_returned_gives_an_empty_first_output_phase(
    first: float | None,
) -> None:
    phases = startup.split_phases(timing(first))
    assert phases["first output"] == 0.0
    assert phases["exit"] == pytest.approx(0.04)


def test_first_output_after_exit_is_clamped_to_the_wait() -> None:
    phases = startup.split_phases(timing(5.0))
    assert phases["first output"] == pytest.approx(0.04)
    assert phases["exit"] == 0.0


def test_log_timestamps_keep_nanoseconds() -> None:
    line = b"2024-03-01T12:34:56.123456789Z ready"
    base = int(datetime(2024, 3, 1, 12, 34, 56, tzinfo=timezone.utc).timestamp())
    assert startup.parse_log_time(line) == base * 1_000_000_000 + 123456789
    assert startup.parse_log_time(b"2024-03-01T12:34:56.5Z x") == (
        base * 1_000_000_000 + 500_000_000
    )
    assert startup.parse_log_time(b"ready") is None
    assert startup.parse_log_time(b"") is None


def test_quick_plan_covers_every_part() -> None:
    plan = bench.make_plan(quick=True)
    assert set(plan.parts) == set(bench.PARTS)
    assert plan.runs["vm"] >= 1 and plan.disk_counts[0] == 1
    full = bench.make_plan(quick=False)
    assert full.disk_counts == (1, 2, 5, 10, 20)
    assert plan.settings() != full.settings()


@pytest.mark.parametrize("kwargs", [{"runs": 0}, {"runs": -2}, {"parts": ["warp"]}])
def test_bad_plans_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(BadInput):
        bench.make_plan(quick=True, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("counts", [[], [0], [1, -5], [1, 1000]])
def test_disk_counts_are_checked(counts: list[int]) -> None:
    with pytest.raises(BadInput):
        disk.check_counts(counts)


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    # an engine that does not exist: bad input must be caught before any connection
    env = {**os.environ, "DOCKER_HOST": "unix:///nonexistent.sock"}
    return subprocess.run(
        [sys.executable, "-m", "dockcourse", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--runs", "0"], "--runs must be a whole number of at least 1"),
        (["--series", "process", "hyperspace"], "unknown series 'hyperspace'"),
    ],
)
def test_bench_bad_input_is_one_line_without_traceback(
    args: list[str], expected: str
) -> None:
    done = cli("bench", "--quick", *args)
    assert done.returncode == 2
    assert expected in done.stderr
    assert "Traceback" not in done.stderr
