"""The bench's time budget and the waste cut from it, without an engine or QEMU."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tarfile
import time
from pathlib import Path
from typing import Any

import pytest

from dockcourse import host
from dockcourse.measure import bench, footprint, startup, vm

#: Seconds one sample costs on a quiet 2-core machine (see bench.QUICK_BUDGET_S).
QUIET_SAMPLE_S = {
    "process": 0.002,
    "namespaces": 0.005,
    "container-none": 0.24,
    "container-bridge": 0.34,
    "container-cli": 0.3,
    "vm": 2.0,
}


@pytest.mark.parametrize(
    ("quick", "budget", "limit"),
    [
        (True, bench.QUICK_BUDGET_S, bench.QUICK_LIMIT_S),
        (False, bench.FULL_BUDGET_S, bench.FULL_LIMIT_S),
    ],
)
def test_each_plan_fits_its_limit_part_by_part(
    quick: bool, budget: dict[str, float], limit: float
) -> None:
    assert set(budget) == {*bench.PARTS, "start", "plots"}
    assert sum(budget.values()) <= limit
    plan = bench.make_plan(quick=quick)
    assert bench.budget(plan) is budget
    # more samples than the budget was sized for must come with a new budget
    for series, per_sample in QUIET_SAMPLE_S.items():
        samples = plan.runs[series] + plan.warmup[series]
        assert samples * per_sample <= budget[series], series


def test_time_per_part_marks_only_the_parts_over_budget() -> None:
    plan = bench.make_plan(quick=True)
    line = bench.time_per_part({"process": 0.1, "vm": 30.0}, plan)
    assert line == "time per part: process 0.1 s, vm 30.0 s (budget 8.5 s)"
    # with --runs the plan is not the budgeted one: no marks
    other = bench.make_plan(quick=True, runs=40)
    assert "budget" not in bench.time_per_part({"vm": 99.0}, other)


def test_settled_reads_once_two_readings_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(footprint, "SETTLE_POLL_S", 0.0)
    readings = iter([100, 150, 200, 201, 500])
    value, method, waited = footprint.settled(lambda: (next(readings), "host_pss"))
    assert (value, method) == (201, "host_pss")  # 200 → 201 is within 1 %
    assert waited < 1.0


def test_settled_gives_up_at_its_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(footprint, "SETTLE_POLL_S", 0.01)
    monkeypatch.setattr(footprint, "SETTLE_MAX_S", 0.05)
    growing = iter(range(1000, 10**9, 1000))
    start = time.perf_counter()
    value, _, waited = footprint.settled(lambda: (next(growing), "host_pss"))
    assert 0.05 <= waited < 1.0 and time.perf_counter() - start < 1.0
    assert value > 1000


def test_settled_waits_for_the_processes_to_sleep(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(footprint, "SETTLE_POLL_S", 0.0)
    states = iter([False, False, True])
    monkeypatch.setattr(footprint, "asleep", lambda pids: next(states))
    calls = []

    def read() -> tuple[int, str]:
        calls.append(1)
        return 5, "host_pss"

    footprint.settled(read, [1])
    assert len(calls) == 4  # stable from the 2nd reading, asleep from the 4th


def test_asleep_tells_a_sleeping_child_from_a_running_one() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        deadline = time.monotonic() + 10
        while not footprint.asleep([child.pid]) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert footprint.asleep([child.pid])
        assert footprint.asleep([2**22 + 12345])  # gone: nothing to wait for
    finally:
        child.kill()
        child.wait()


def test_one_proc_pass_finds_descendants() -> None:
    parents = {10: 1, 11: 10, 12: 11, 13: 1, 14: 10}
    assert footprint._descendants(10, parents) == [10, 11, 12, 14]
    found, cmdlines = footprint._proc_table()
    assert found[os.getpid()] == os.getppid()
    assert cmdlines[os.getpid()]


class _FakeApi:
    timeout = 60

    def __init__(self) -> None:
        self.dockerfile = ""
        self.kwargs: dict[str, Any] = {}
        self.removed: list[str] = []

    def build(self, *, fileobj: io.BytesIO, **kwargs: Any) -> list[dict[str, str]]:
        with tarfile.open(fileobj=fileobj) as tar:
            member = tar.extractfile("Dockerfile")
            assert member is not None
            self.dockerfile = member.read().decode()
        self.kwargs = kwargs
        return [{"stream": "Successfully built"}]

    def remove_image(self, tag: str, noprune: bool = False) -> None:
        self.removed.append(tag)


class _FakeClient:
    def __init__(self) -> None:
        self.api = _FakeApi()


def test_cold_image_has_one_label_step_before_its_one_layer() -> None:
    client = _FakeClient()
    with startup.fresh_image(client, "base:1", "01") as tag:  # type: ignore[arg-type]
        assert tag.startswith(startup.COLD_REPO + ":")
    lines = client.api.dockerfile.strip().splitlines()
    assert lines[0] == "FROM base:1"
    assert lines[1].startswith("LABEL ") and "io.dockcourse.image" in lines[1]
    assert 'io.dockcourse.role="measure"' in lines[1]
    assert lines[2:] == ["COPY nonce /nonce"]  # the new layer is the last step
    assert "labels" not in client.api.kwargs  # one LABEL step per label, otherwise
    assert client.api.removed == [tag]


@pytest.fixture
def kvm_state(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> vm.VmSetup:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(vm, "_kvm_boots", None)
    monkeypatch.setattr(host, "probe_kvm", lambda: host.KvmProbe(True, "opens"))
    monkeypatch.setattr(host, "boot_id", lambda: "boot-1")
    return vm.VmSetup("qemu", Path("/k"), Path("/i"), Path("/b"))


def test_a_kvm_hang_is_remembered_for_the_hosts_boot(
    monkeypatch: pytest.MonkeyPatch, kvm_state: vm.VmSetup
) -> None:
    boots: list[str] = []

    def hangs(setup: vm.VmSetup, accel: str, *, timeout_s: float) -> vm.BootResult:
        boots.append(accel)
        raise vm.BootFailed("no init", timed_out=True)

    monkeypatch.setattr(vm, "boot_once", hangs)
    chosen, note, _ = vm._choose_accel(kvm_state, "auto", 60.0)
    assert (chosen, boots) == ("tcg", ["kvm"])
    # a new process (the in-process memory forgotten): no second trial, same note
    monkeypatch.setattr(vm, "_kvm_boots", None)
    again, note_again, _ = vm._choose_accel(kvm_state, "auto", 60.0)
    assert (again, boots) == ("tcg", ["kvm"])
    assert str(note_again) == str(note)
    # asked for KVM explicitly (the doctor, --vm-accel kvm): always a real trial
    monkeypatch.setattr(vm, "_kvm_boots", None)
    with pytest.raises(vm.MeasurementUnavailable):
        vm._choose_accel(kvm_state, "kvm", 60.0)
    assert boots == ["kvm", "kvm"]
    # another boot of the host: tried again
    monkeypatch.setattr(vm, "_kvm_boots", None)
    monkeypatch.setattr(host, "boot_id", lambda: "boot-2")
    vm._choose_accel(kvm_state, "auto", 60.0)
    assert boots == ["kvm", "kvm", "kvm"]


def test_a_kvm_failure_that_is_not_a_hang_is_not_remembered(
    monkeypatch: pytest.MonkeyPatch, kvm_state: vm.VmSetup
) -> None:
    boots: list[str] = []

    def fails(setup: vm.VmSetup, accel: str, *, timeout_s: float) -> vm.BootResult:
        boots.append(accel)
        raise vm.BootFailed("exited early")

    monkeypatch.setattr(vm, "boot_once", fails)
    vm._choose_accel(kvm_state, "auto", 60.0)
    monkeypatch.setattr(vm, "_kvm_boots", None)
    vm._choose_accel(kvm_state, "auto", 60.0)
    assert boots == ["kvm", "kvm"]
