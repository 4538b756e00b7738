"""Chapter 02's checks: the pure part (reading a CPU limit from HostConfig)."""

from __future__ import annotations

import pytest

from dockcourse.checks.ch02 import effective_cpus


@pytest.mark.parametrize(
    ("host_config", "cpus"),
    [
        ({"NanoCpus": 500_000_000}, 0.5),
        ({"NanoCpus": 0, "CpuQuota": 50_000, "CpuPeriod": 100_000}, 0.5),
        ({"CpuQuota": 25_000, "CpuPeriod": 0}, 0.25),  # default period: 100 ms
        ({"CpuQuota": 150_000, "CpuPeriod": 50_000}, 3.0),
        ({"NanoCpus": 0, "CpuQuota": 0}, None),
        ({}, None),
        ({"NanoCpus": None, "CpuQuota": -1}, None),
    ],
)
def test_effective_cpus(host_config: dict[str, object], cpus: float | None) -> None:
    assert effective_cpus(host_config) == cpus
