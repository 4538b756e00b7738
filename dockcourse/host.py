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
KERNEL_INSTALL_HINT = (
    "install a kernel the VM can boot (Debian/Ubuntu: `sudo apt-get install "
    "linux-image-cloud-amd64`, which puts /boot/vmlinuz-*), or set "
    f"{KERNEL_ENV}=/path/to/vmlinuz"
)
QEMU_INSTALL_HINT = (
    "install QEMU (Debian/Ubuntu: `sudo apt-get install qemu-system-x86`; macOS: "
    f"`brew install qemu`), or set {QEMU_ENV}=/path/to/qemu-system-x86_64"
)


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
        return KvmProbe(
            False, f"KVM is a Linux feature; this host runs {platform.system()}"
        )
    if platform.machine() not in ("x86_64", "AMD64"):
        return KvmProbe(
            False, f"the guest is x86_64 and this CPU is {platform.machine()}"
        )
    import fcntl

    try:
        fd = os.open(device, os.O_RDWR | os.O_CLOEXEC)
    except FileNotFoundError:
        return KvmProbe(
            False,
            f"{device} does not exist: enable VT-x/AMD-V in the firmware and load "
            "the kvm "
            "module (inside a VM: ask for nested virtualization)",
        )
    except PermissionError:
        return KvmProbe(
            False,
            f"permission denied on {device}: add your user to the 'kvm' group "
            "(sudo usermod -aG kvm $USER) and log in again",
        )
    except OSError as exc:
        return KvmProbe(False, f"cannot open {device}: {exc.strerror}")
    try:
        try:
            version = fcntl.ioctl(fd, KVM_GET_API_VERSION)
        except OSError as exc:
            return KvmProbe(
                False, f"{device} refused KVM_GET_API_VERSION: {exc.strerror}"
            )
        if version != KVM_API_VERSION:
            return KvmProbe(
                False, f"{device} speaks KVM API {version}, not {KVM_API_VERSION}"
            )
        try:
            vm_fd = fcntl.ioctl(fd, KVM_CREATE_VM, 0)
        except OSError as exc:
            return KvmProbe(False, f"{device} refused to create a VM: {exc.strerror}")
        os.close(vm_fd)
    finally:
        os.close(fd)
    return KvmProbe(True, f"{device} created a VM")


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
        what = "is not readable" if path.is_file() else "does not exist"
        return f"{KERNEL_ENV}={explicit} {what}: point it at a kernel image (vmlinuz)"
    unreadable = (
        [p for p in boot.glob("vmlinuz-*") if p.is_file()] if boot.is_dir() else []
    )
    if unreadable:
        return (
            f"{unreadable[0]} is not readable by this user "
            "(Ubuntu keeps kernels 0600): "
            f"copy it somewhere readable and set {KERNEL_ENV}, or {KERNEL_INSTALL_HINT}"
        )
    return f"no kernel in {boot}: {KERNEL_INSTALL_HINT}"


def unshare_command(program: list[str]) -> tuple[list[str] | None, str]:
    """The ``unshare`` command line that runs ``program`` in fresh namespaces here.

    Tries the plain form (root), then ``--user --map-root-user`` (unprivileged user
    namespaces). Returns (argv, "how") or (None, why not).
    """
    if platform.system() != "Linux":
        return None, (
            f"Linux namespaces need a Linux kernel; on {platform.system()} Docker runs "
            "containers inside a Linux VM (Docker Desktop, colima), out of reach here"
        )
    tool = shutil.which("unshare")
    if tool is None:
        return None, "no `unshare` command: install util-linux"
    attempts = [
        ([tool, *UNSHARE_FLAGS], "as root"),
        ([tool, "--user", "--map-root-user", *UNSHARE_FLAGS], "in a user namespace"),
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
    return None, (
        f"unshare failed ({'; '.join(errors)}): this user may not create namespaces "
        "(run as root, or allow unprivileged user namespaces: "
        "sysctl kernel.unprivileged_userns_clone=1)"
    )


def unshare_available() -> tuple[bool, str]:
    """Whether a program can run in fresh pid/mount/uts/ipc/net namespaces, and why."""
    argv, reason = unshare_command(["true"])
    return argv is not None, reason


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
