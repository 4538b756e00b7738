"""The VM baseline for real: QEMU boots the package's initramfs; Ctrl-C leaves no QEMU."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dockcourse import host
from dockcourse.measure import vm
from dockcourse.measure.results import VM_PHASES

pytestmark = pytest.mark.engine


@pytest.fixture(scope="module", autouse=True)
def vm_ready() -> None:
    if host.find_qemu() is None or host.find_kernel() is None:
        pytest.fail(
            "the VM tests need QEMU and a kernel (.ci/run installs them): "
            f"{host.kernel_problem() or host.qemu_install_hint()}"
        )


def qemu_with(initrd: Path) -> list[int]:
    """PIDs of QEMU processes booting ``initrd`` (ours: nobody else uses that file)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if cmdline and b"qemu-system" in cmdline[0] and str(initrd).encode() in cmdline:
            found.append(int(entry.name))
    return found


def test_vm_boots_to_init_and_records_the_accelerator() -> None:
    samples = vm.measure_vm(1, warmup=0, progress=False)
    assert len(samples) == 1
    sample = samples[0]
    assert sample.detail["accel"] in ("kvm", "tcg")
    assert sample.detail["accel_note"]
    assert list(sample.phases_s) == list(VM_PHASES)
    assert all(v >= 0 for v in sample.phases_s.values())
    assert sum(sample.phases_s.values()) == pytest.approx(sample.elapsed_s, rel=0.01)
    init_s = float(sample.detail["init_s"])
    assert 0 < init_s < sample.elapsed_s < vm.BOOT_TIMEOUT_S
    assert sample.phases_s["kernel boot to init"] > 0  # the guest's own clock ran
    setup = vm.prepare()
    assert qemu_with(setup.initrd) == []


def test_tcg_can_be_forced() -> None:
    sample = vm.measure_vm(1, warmup=0, accel="tcg", progress=False)[0]
    assert sample.detail["accel"] == "tcg"


def test_ctrl_c_during_a_boot_leaves_no_qemu() -> None:
    setup = vm.prepare()
    code = (
        "from dockcourse.measure import vm\n"
        "print('booting', flush=True)\n"
        "vm.measure_vm(5, warmup=0, accel='tcg', progress=False)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "booting"
        deadline = time.monotonic() + 20
        while not qemu_with(setup.initrd) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert qemu_with(setup.initrd), "QEMU never started"
        os.kill(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    assert "KeyboardInterrupt" in err
    assert qemu_with(setup.initrd) == []
