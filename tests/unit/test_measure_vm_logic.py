"""The VM baseline's pure parts: initramfs format, host probes, bad input. No QEMU runs."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import pytest

from dockcourse import host
from dockcourse.measure import vm
from dockcourse.measure.results import BadInput, MeasurementUnavailable


def read_newc(data: bytes) -> dict[str, tuple[int, bytes, tuple[int, int]]]:
    """A minimal newc reader: name -> (mode, data, rdev), checking alignment."""
    found: dict[str, tuple[int, bytes, tuple[int, int]]] = {}
    pos = 0
    while True:
        assert data[pos : pos + 6] == b"070701"
        fields = [int(data[pos + 6 + 8 * i : pos + 14 + 8 * i], 16) for i in range(13)]
        mode, size, rmaj, rmin, namesize = (
            fields[1],
            fields[6],
            fields[9],
            fields[10],
            fields[11],
        )
        name_start = pos + 110
        name = data[name_start : name_start + namesize - 1].decode()
        assert data[name_start + namesize - 1] == 0
        body = name_start + namesize
        body += -body % 4
        content = data[body : body + size]
        pos = body + size
        pos += -pos % 4
        if name == "TRAILER!!!":
            assert pos == len(data)
            return found
        found[name] = (mode, content, (rmaj, rmin))


def test_newc_archive_holds_init_busybox_and_console() -> None:
    archive = vm.cpio_newc(vm.initramfs_entries(b"\x7fELF-busybox"))
    entries = read_newc(archive)
    assert entries["bin/busybox"][1] == b"\x7fELF-busybox"
    assert entries["bin/busybox"][0] == 0o100755
    assert entries["init"][0] == 0o100755
    assert vm.MARKER in entries["init"][1]
    assert b"poweroff -f" in entries["init"][1]
    assert entries["dev/console"][0] == 0o020600
    assert entries["dev/console"][2] == (5, 1)
    assert entries["proc"][0] == 0o040755


def test_initramfs_is_gzip_cached_and_reproducible(tmp_path: Path) -> None:
    busybox = tmp_path / "busybox"
    busybox.write_bytes(b"pretend busybox")
    first = vm.build_initramfs(busybox, tmp_path / "cache")
    mtime = first.stat().st_mtime_ns
    second = vm.build_initramfs(busybox, tmp_path / "cache")
    assert first == second and second.stat().st_mtime_ns == mtime
    assert "bin/busybox" in read_newc(gzip.decompress(first.read_bytes()))
    busybox.write_bytes(b"another busybox")
    assert vm.build_initramfs(busybox, tmp_path / "cache") != first


def test_qemu_command_line_boots_kernel_and_initrd_on_serial() -> None:
    setup = vm.VmSetup(
        "/usr/bin/qemu-system-x86_64", Path("/k"), Path("/i"), Path("/b")
    )
    argv = vm.qemu_argv(setup, "tcg")
    assert argv[argv.index("-accel") + 1] == "tcg"
    assert argv[argv.index("-kernel") + 1] == "/k"
    assert argv[argv.index("-initrd") + 1] == "/i"
    assert "console=ttyS0" in argv[argv.index("-append") + 1]
    assert "-no-reboot" in argv and "stdio" in argv


@pytest.mark.parametrize(
    "kwargs",
    [{"runs": 0}, {"runs": -1}, {"runs": 2, "warmup": -1}, {"runs": 1, "accel": "hvf"}],
)
def test_bad_vm_input_is_one_clear_error(kwargs: dict[str, object]) -> None:
    with pytest.raises(BadInput):
        vm.measure_vm(**kwargs)  # type: ignore[arg-type]


def test_kernel_path_that_does_not_exist(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match=r"does not exist.*linux-image-cloud-amd64"):
        vm.prepare(kernel=tmp_path / "vmlinuz-nope")


def test_missing_qemu_is_unavailable_with_the_fix(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(host.QEMU_ENV, str(tmp_path / "no-qemu"))
    with pytest.raises(MeasurementUnavailable) as caught:
        vm.measure_vm(1)
    assert caught.value.series == "vm"
    assert "qemu-system-x86" in caught.value.fix


def test_missing_kernel_is_unavailable_with_the_fix(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(host.KERNEL_ENV, str(tmp_path / "missing-vmlinuz"))
    if host.find_qemu() is None:
        pytest.skip("QEMU absent: the QEMU message comes first")
    with pytest.raises(MeasurementUnavailable) as caught:
        vm.measure_vm(1)
    assert "does not exist" in caught.value.cause
    assert "linux-image-cloud-amd64" in caught.value.fix


def test_find_kernel_prefers_env_then_newest_readable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    boot = tmp_path / "boot"
    boot.mkdir()
    for name in (
        "vmlinuz-5.10.0-9-amd64",
        "vmlinuz-6.1.0-56-cloud-amd64",
        "vmlinuz-6.1.0-9-amd64",
    ):
        (boot / name).write_bytes(b"k")
    monkeypatch.delenv(host.KERNEL_ENV, raising=False)
    assert host.find_kernel(boot=boot) == boot / "vmlinuz-6.1.0-56-cloud-amd64"
    mine = tmp_path / "my-vmlinuz"
    mine.write_bytes(b"k")
    assert host.find_kernel({host.KERNEL_ENV: str(mine)}, boot) == mine
    # a typo in the variable is reported, not replaced by /boot's kernel
    env = {host.KERNEL_ENV: str(tmp_path / "typo")}
    assert host.find_kernel(env, boot) is None
    assert "does not exist" in host.kernel_problem(env, boot)
    empty = tmp_path / "empty"
    empty.mkdir()
    assert host.find_kernel({}, empty) is None
    assert "apt-get install linux-image-cloud-amd64" in host.kernel_problem({}, empty)


def test_kvm_probe_reports_a_missing_device(tmp_path: Path) -> None:
    probe = host.probe_kvm(str(tmp_path / "kvm"))
    assert not probe.usable
    if os.uname().sysname == "Linux":
        assert "does not exist" in probe.reason


def test_kvm_probe_on_a_file_that_is_not_kvm(tmp_path: Path) -> None:
    fake = tmp_path / "kvm"
    fake.write_bytes(b"")
    probe = host.probe_kvm(str(fake))
    assert not probe.usable and probe.reason


def test_find_qemu_honours_the_environment(tmp_path: Path) -> None:
    assert host.find_qemu({host.QEMU_ENV: str(tmp_path / "none")}) is None
    fake = tmp_path / "qemu"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    assert host.find_qemu({host.QEMU_ENV: str(fake)}) == str(fake)


def test_vm_disk_counts_are_checked() -> None:
    with pytest.raises(BadInput):
        vm.measure_vm_disk([0, 2])
    with pytest.raises(BadInput):
        vm.measure_vm_disk([1], write_bytes=0)
