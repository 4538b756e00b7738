"""ELF inspection and the root filesystem tar, without a daemon."""

from __future__ import annotations

import io
import shutil
import struct
import tarfile
from pathlib import Path

import pytest

from dockcourse.images import ELF_MACHINES, elf_facts, find_static_busybox, rootfs_tar


def _elf64(machine: int, interp: bool) -> bytes:
    header = bytearray(64)
    header[:4] = b"\x7fELF"
    header[4], header[5] = 2, 1
    struct.pack_into("<H", header, 18, machine)
    struct.pack_into("<Q", header, 32, 64)  # program headers right after the header
    struct.pack_into("<HH", header, 54, 56, 2)
    phdrs = bytearray(112)
    struct.pack_into("<I", phdrs, 0, 1)  # PT_LOAD
    struct.pack_into("<I", phdrs, 56, 3 if interp else 1)  # PT_INTERP or PT_LOAD
    return bytes(header + phdrs)


def test_static_and_dynamic_elf_told_apart() -> None:
    assert elf_facts(_elf64(62, interp=False)) == (True, 62)
    assert elf_facts(_elf64(183, interp=True)) == (False, 183)
    assert elf_facts(b"#!/bin/sh\necho hi\n" + bytes(64)) is None


def test_real_dynamic_binary_is_not_static() -> None:
    ls = Path(shutil.which("ls") or "/bin/ls")
    facts = elf_facts(ls.read_bytes()[:65536])
    assert facts is not None and facts[0] is False


def test_find_busybox_rejects_dynamic_and_wrong_arch(tmp_path: Path) -> None:
    dynamic = tmp_path / "dyn"
    dynamic.write_bytes(_elf64(62, interp=True))
    path, reason = find_static_busybox("x86_64", {"DOCKCOURSE_BUSYBOX": str(dynamic)})
    assert path is None and "busybox-static" in reason
    arm = tmp_path / "arm"
    arm.write_bytes(_elf64(ELF_MACHINES["aarch64"], interp=False))
    path, reason = find_static_busybox("x86_64", {"DOCKCOURSE_BUSYBOX": str(arm)})
    assert path is None and "another CPU" in reason
    path, _ = find_static_busybox("aarch64", {"DOCKCOURSE_BUSYBOX": str(arm)})
    assert path == arm


def test_missing_busybox_path_is_reported(tmp_path: Path) -> None:
    path, reason = find_static_busybox(
        "x86_64", {"DOCKCOURSE_BUSYBOX": str(tmp_path / "x")}
    )
    assert path is None and "No such file" in reason


def test_rootfs_tar_layout(tmp_path: Path) -> None:
    fake = tmp_path / "busybox"
    fake.write_bytes(b"\x7fELF-not-really")
    data = rootfs_tar(fake, ["bin/sh", "usr/bin/wget", "usr/local/bin/x"])
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        members = {m.name: m for m in tar.getmembers()}
    assert members["bin/busybox"].mode == 0o755
    assert members["bin/sh"].issym() and members["bin/sh"].linkname == "/bin/busybox"
    assert members["usr/local"].isdir() and members["usr/local/bin"].isdir()
    assert members["tmp"].mode == 0o1777
    assert "etc/passwd" in members and "etc/group" in members


@pytest.mark.parametrize("prefix", ["rootfs/"])
def test_rootfs_tar_prefix(tmp_path: Path, prefix: str) -> None:
    fake = tmp_path / "busybox"
    fake.write_bytes(b"x")
    with tarfile.open(fileobj=io.BytesIO(rootfs_tar(fake, None, prefix=prefix))) as tar:
        assert all(name.startswith(prefix) for name in tar.getnames())
