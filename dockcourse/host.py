"""What this host offers beyond Docker: QEMU, a usable KVM, a guest kernel, ``unshare``.

Each probe finds out by trying (opening ``/dev/kvm`` and creating a VM, running
``unshare``), because a file being present proves little: ``/dev/kvm`` can exist inside
a VM whose hypervisor refuses nested guests. Used by ``dockcourse doctor`` and by the
measurements of chapter 01 (``dockcourse.measure``). Nothing here touches Docker.
"""

from __future__ import annotations

import os
import platform
import re
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .text import t

KERNEL_ENV = "DOCKCOURSE_KERNEL"
QEMU_ENV = "DOCKCOURSE_QEMU"
KVM_DEVICE = "/dev/kvm"
#: ioctl numbers from <linux/kvm.h>: _IO(KVMIO=0xAE, 0x00) and _IO(KVMIO, 0x01).
KVM_GET_API_VERSION = 0xAE00
KVM_CREATE_VM = 0xAE01
KVM_API_VERSION = 12
#: The namespaces a container gets (besides cgroup and user), as ``unshare`` flags.
UNSHARE_FLAGS = ("--pid", "--fork", "--mount", "--uts", "--ipc", "--net")
UNSHARE_TIMEOUT_S = 10.0
#: A random ID the kernel makes at each boot; not namespaced, so a container sees its
#: kernel's. Two processes see the same one exactly when they run on the same kernel.
BOOT_ID_FILE = "/proc/sys/kernel/random/boot_id"


def kernel_install_hint() -> str:
    return t("host.kernel_install", env=KERNEL_ENV)


def qemu_install_hint() -> str:
    return t("host.qemu_install", env=QEMU_ENV)


@dataclass(frozen=True)
class KvmProbe:
    """Whether this process can create a KVM virtual machine, and why (not)."""

    usable: bool
    reason: str


def find_qemu(environ: Mapping[str, str] | None = None) -> str | None:
    """Path of ``qemu-system-x86_64`` (or ``$DOCKCOURSE_QEMU``), None when absent.

    The guest is always x86_64 (the course boots an x86_64 kernel); on other CPUs QEMU
    emulates it, slowly, and the plot says so.
    """
    env = os.environ if environ is None else environ
    explicit = env.get(QEMU_ENV, "").strip()
    if explicit:
        path = Path(explicit)
        return str(path) if path.is_file() and os.access(path, os.X_OK) else None
    return shutil.which("qemu-system-x86_64")


def probe_kvm(device: str = KVM_DEVICE) -> KvmProbe:
    """Try ``KVM_GET_API_VERSION`` and ``KVM_CREATE_VM`` on ``device``.

    A VM created here only proves the kernel side; QEMU may still fail to run a guest
    (nested virtualization), which :mod:`dockcourse.measure.vm` detects by booting and
    then falls back to software emulation.
    """
    if platform.system() != "Linux":
        return KvmProbe(False, t("host.kvm_not_linux", system=platform.system()))
    if platform.machine() not in ("x86_64", "AMD64"):
        return KvmProbe(False, t("host.kvm_other_cpu", machine=platform.machine()))
    import fcntl

    try:
        fd = os.open(device, os.O_RDWR | os.O_CLOEXEC)
    except FileNotFoundError:
        return KvmProbe(
            False,
            t("host.kvm_no_device", device=device),
        )
    except PermissionError:
        return KvmProbe(
            False,
            t("host.kvm_permission", device=device),
        )
    except OSError as exc:
        return KvmProbe(
            False, t("host.kvm_cannot_open", device=device, error=exc.strerror)
        )
    try:
        try:
            version = fcntl.ioctl(fd, KVM_GET_API_VERSION)
        except OSError as exc:
            return KvmProbe(
                False, t("host.kvm_no_api", device=device, error=exc.strerror)
            )
        if version != KVM_API_VERSION:
            return KvmProbe(
                False,
                t(
                    "host.kvm_api",
                    device=device,
                    version=version,
                    wanted=KVM_API_VERSION,
                ),
            )
        try:
            vm_fd = fcntl.ioctl(fd, KVM_CREATE_VM, 0)
        except OSError as exc:
            return KvmProbe(
                False, t("host.kvm_no_vm", device=device, error=exc.strerror)
            )
        os.close(vm_fd)
    finally:
        os.close(fd)
    return KvmProbe(True, t("host.kvm_ok", device=device))


def _version_key(path: Path) -> tuple[tuple[int, ...], str]:
    numbers = tuple(int(n) for n in re.findall(r"\d+", path.name))
    return numbers, path.name


def find_kernel(
    environ: Mapping[str, str] | None = None, boot: Path = Path("/boot")
) -> Path | None:
    """A kernel for the VM baseline: ``$DOCKCOURSE_KERNEL``, else ``/boot/vmlinuz-*``.

    When the variable is set, only that file counts (a typo is reported, not silently
    replaced by another kernel); see :func:`kernel_problem` for the message.
    """
    env = os.environ if environ is None else environ
    explicit = env.get(KERNEL_ENV, "").strip()
    if explicit:
        path = Path(explicit).expanduser()
        return path if path.is_file() and os.access(path, os.R_OK) else None
    try:
        candidates = sorted(boot.glob("vmlinuz-*"), key=_version_key, reverse=True)
    except OSError:
        return None
    for path in candidates:
        if path.is_file() and os.access(path, os.R_OK):
            return path
    return None


def kernel_problem(
    environ: Mapping[str, str] | None = None, boot: Path = Path("/boot")
) -> str:
    """Why :func:`find_kernel` found nothing, with the fix ("" when it found one)."""
    if find_kernel(environ, boot) is not None:
        return ""
    env = os.environ if environ is None else environ
    explicit = env.get(KERNEL_ENV, "").strip()
    if explicit:
        path = Path(explicit).expanduser()
        key = (
            "host.kernel_env_unreadable"
            if path.is_file()
            else "host.kernel_env_missing"
        )
        return t(key, env=KERNEL_ENV, path=explicit)
    unreadable = (
        [p for p in boot.glob("vmlinuz-*") if p.is_file()] if boot.is_dir() else []
    )
    if unreadable:
        return t(
            "host.kernel_unreadable",
            path=unreadable[0],
            env=KERNEL_ENV,
            hint=kernel_install_hint(),
        )
    return t("host.kernel_none", boot=boot, hint=kernel_install_hint())


def unshare_command(program: list[str]) -> tuple[list[str] | None, str]:
    """The ``unshare`` command line that runs ``program`` in fresh namespaces here.

    Tries the plain form (root), then ``--user --map-root-user`` (unprivileged user
    namespaces). Returns (argv, "how") or (None, why not).
    """
    if platform.system() != "Linux":
        return None, t("host.unshare_not_linux", system=platform.system())
    tool = shutil.which("unshare")
    if tool is None:
        return None, t("host.unshare_missing")
    attempts = [
        ([tool, *UNSHARE_FLAGS], t("host.unshare_root")),
        ([tool, "--user", "--map-root-user", *UNSHARE_FLAGS], t("host.unshare_userns")),
    ]
    errors: list[str] = []
    for prefix, how in attempts:
        try:
            done = subprocess.run(
                [*prefix, *program],
                capture_output=True,
                timeout=UNSHARE_TIMEOUT_S,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            errors.append(str(exc))
            continue
        if done.returncode == 0:
            return prefix, how
        errors.append(
            done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:][0]
            if done.stderr.strip()
            else f"exit status {done.returncode}"
        )
    return None, t("host.unshare_failed", errors="; ".join(errors))


def unshare_available() -> tuple[bool, str]:
    """Whether a program can run in fresh pid/mount/uts/ipc/net namespaces, and why."""
    argv, reason = unshare_command(["true"])
    return argv is not None, reason


def boot_id(path: str = BOOT_ID_FILE) -> str:
    """This kernel's boot ID ("" where there is none: not Linux, or unreadable)."""
    try:
        with open(path, encoding="ascii") as f:
            return f.read().strip()
    except OSError:
        return ""


def same_kernel(engine_boot_id: str, path: str = BOOT_ID_FILE) -> bool | None:
    """Whether a boot ID read in a container is this kernel's; None when either side
    has none (then nothing can be said)."""
    ours = boot_id(path)
    theirs = engine_boot_id.strip()
    if not ours or not theirs:
        return None
    return ours == theirs


def cpu_model() -> str:
    """The CPU's marketing name (``/proc/cpuinfo``), or the platform's best guess."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"
