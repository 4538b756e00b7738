"""The virtual-machine baseline: QEMU boots a real Linux kernel until its init runs.

The package builds the guest's whole userland itself: an initramfs (cpio "newc",
gzipped) holding a static busybox and an ``/init`` script that prints a marker with the
guest's uptime and powers the VM off. Each sample times ``qemu-system-x86_64`` from
spawn to the marker on the serial console (init reached) to process exit. KVM is used
when it really works (QEMU is tried once with a short deadline, since a ``/dev/kvm``
that opens can still hang in nested virtualization); otherwise TCG, software emulation,
and every record says which. Also the VM side of the disk comparison (full disk images
and linked clones over a backing file). Used by chapter 01 and ``dockcourse bench``.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import selectors
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .. import host
from ..errors import CourseError
from ..text import t
from .results import (
    VM_PHASES,
    BadInput,
    DiskPoint,
    MeasurementUnavailable,
    StartupSample,
    check_runs,
    now_iso,
    progress_bar,
)

SERIES = "vm"
MARKER = b"DOCKCOURSE-VM-INIT-REACHED"
#: How an instance (process, container or this VM's init) reads its own clock before and
#: after the running-cost loop: busybox's shell gives ``$EPOCHREALTIME`` (microseconds,
#: busybox ≥ 1.33); an older one leaves it empty and ``/proc/uptime`` (hundredths: ±10 ms,
#: too coarse for a few-per-cent claim on a short loop) is read instead. ``c`` says which.
CLOCK = (
    "c=epoch; {var}=$EPOCHREALTIME; "
    '[ -n "${var}" ] || {{ c=uptime; read {var} _ < /proc/uptime; }}'
)
#: The guest's init. The kernel command line chooses what it does after the marker:
#: nothing (power off: the start-up series), ``dockcourse.idle`` (print the guest's memory
#: and idle: the memory and density series) or ``dockcourse.loop=N`` (time a shell loop
#: by the guest's clock, then power off: the running-cost series); see footprint.py.
INIT_SCRIPT = f"""#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc
read up idle < /proc/uptime
/bin/busybox echo "{MARKER.decode()} uptime=$up"
for word in $(/bin/busybox cat /proc/cmdline); do
  case "$word" in
    dockcourse.idle)
      /bin/busybox sed -n 's/^\\(MemTotal\\|MemAvailable\\):/DOCKCOURSE-MEMINFO &/p' /proc/meminfo
      /bin/busybox echo DOCKCOURSE-IDLE
      /bin/busybox sleep 100000 ;;
    dockcourse.loop=*)
      n=${{word#dockcourse.loop=}}
      {CLOCK.format(var="a")}
      i=0; while [ "$i" -lt "$n" ]; do i=$((i+1)); done
      {CLOCK.format(var="b")}
      /bin/busybox echo "DOCKCOURSE-LOOP $a $b $c" ;;
  esac
done
/bin/busybox poweroff -f
"""
KERNEL_ARGS = "console=ttyS0 quiet panic=-1"
MEMORY_MIB = 256
#: Seconds one boot may take under TCG on a slow laptop before it is called hung.
BOOT_TIMEOUT_S = 60.0
#: A KVM guest that has not reached init by now is not going to (nested KVM hangs).
KVM_TRIAL_TIMEOUT_S = 4.0
KILL_WAIT_S = 5.0
TOOL_TIMEOUT_S = 60.0
ACCELS = ("auto", "kvm", "tcg")
#: Outcome of the first real KVM boot in this process: None = not tried yet.
_kvm_boots: tuple[bool, str] | None = None
#: A KVM trial that *hung* is remembered for the rest of the host's boot (keyed by its
#: boot ID, QEMU and kernel), so that each ``dockcourse bench`` does not spend
#: :data:`KVM_TRIAL_TIMEOUT_S` finding it again; ``accel="kvm"`` (and the doctor) always
#: try for real. A trial that failed otherwise, or worked, is not remembered.
KVM_HANG_FILE = "kvm-hang.json"


# ------------------------------------------------------------------ initramfs


@dataclass(frozen=True)
class CpioEntry:
    name: str
    mode: int  # file type bits included (0o100755, 0o40755, 0o20600...)
    data: bytes = b""
    rdev: tuple[int, int] = (0, 0)


def _pad4(length: int) -> bytes:
    return b"\0" * (-length % 4)


def cpio_newc(entries: Sequence[CpioEntry]) -> bytes:
    """An uncompressed cpio archive in the "newc" format the kernel unpacks at boot."""
    out = bytearray()
    trailer = CpioEntry("TRAILER!!!", 0)
    for ino, entry in enumerate([*entries, trailer], start=1):
        name = entry.name.encode() + b"\0"
        is_trailer = entry is trailer
        fields = (
            0 if is_trailer else ino,  # ino
            entry.mode,
            0,
            0,  # uid, gid
            2 if entry.mode & 0o170000 == 0o040000 else 1,  # nlink
            0,  # mtime: fixed, so the archive is reproducible
            len(entry.data),
            0,
            0,  # devmajor, devminor
            entry.rdev[0],
            entry.rdev[1],
            len(name),
            0,  # check
        )
        header = b"070701" + b"".join(b"%08X" % value for value in fields)
        out += header + name + _pad4(len(header) + len(name))
        out += entry.data + _pad4(len(entry.data))
    return bytes(out)


def initramfs_entries(
    busybox: bytes, init_script: str = INIT_SCRIPT
) -> list[CpioEntry]:
    return [
        CpioEntry("bin", 0o040755),
        CpioEntry("bin/busybox", 0o100755, busybox),
        CpioEntry("dev", 0o040755),
        CpioEntry("dev/console", 0o020600, rdev=(5, 1)),  # init's stdout
        CpioEntry("proc", 0o040755),
        CpioEntry("init", 0o100755, init_script.encode()),
    ]


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(
        os.path.expanduser("~"), ".cache"
    )
    return Path(base) / "dockcourse" / "vm"


def build_initramfs(busybox: Path, dest_dir: Path | None = None) -> Path:
    """The gzipped initramfs for ``busybox``, built once and cached by content."""
    data = busybox.read_bytes()
    digest = hashlib.sha256(data + INIT_SCRIPT.encode()).hexdigest()[:16]
    folder = dest_dir or cache_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        folder = Path(tempfile.gettempdir()) / "dockcourse-vm"
        folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"initramfs-{digest}.cpio.gz"
    if not path.exists():
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        tmp.write_bytes(gzip.compress(cpio_newc(initramfs_entries(data)), 6, mtime=0))
        tmp.replace(path)
    return path


# ------------------------------------------------------------------ booting


@dataclass(frozen=True)
class VmSetup:
    """Everything a boot needs, found and checked once."""

    qemu: str
    kernel: Path
    initrd: Path
    busybox: Path


@dataclass(frozen=True)
class BootResult:
    accel: str
    init_s: float  # spawn → init marker on the serial console
    exit_s: float  # spawn → QEMU process exit
    guest_uptime_s: float | None  # the guest kernel's clock when init ran


class BootFailed(CourseError):
    def __init__(self, message: str, *, timed_out: bool = False) -> None:
        super().__init__(message)
        self.timed_out = timed_out


def prepare(
    kernel: Path | str | None = None, busybox: Path | str | None = None
) -> VmSetup:
    """Find QEMU, a kernel and a static busybox, and build the initramfs.

    Raises MeasurementUnavailable (with the fix) when a part is missing, BadInput when a
    path given explicitly does not exist.
    """
    qemu = host.find_qemu()
    if qemu is None:
        raise MeasurementUnavailable(
            SERIES, t("measure.qemu_missing.cause"), host.qemu_install_hint()
        )
    if kernel is not None:
        kernel_path = Path(kernel).expanduser()
        if not kernel_path.is_file():
            raise BadInput(
                t(
                    "measure.bad.kernel_missing",
                    path=kernel_path,
                    hint=host.kernel_install_hint(),
                )
            )
    else:
        found = host.find_kernel()
        if found is None:
            raise MeasurementUnavailable(
                SERIES, host.kernel_problem(), host.kernel_install_hint()
            )
        kernel_path = found
    if busybox is not None:
        bb_path = Path(busybox).expanduser()
        if not bb_path.is_file():
            raise BadInput(t("measure.bad.busybox_missing", path=bb_path))
    else:
        from ..images import find_static_busybox

        bb, reason = find_static_busybox("x86_64")
        if bb is None:
            raise MeasurementUnavailable(
                SERIES,
                t("measure.vm_busybox_missing.cause", reason=reason),
                t("measure.vm_busybox_missing.fix"),
            )
        bb_path = bb
    return VmSetup(qemu, kernel_path, build_initramfs(bb_path), bb_path)


def qemu_argv(setup: VmSetup, accel: str, *, append: str = "") -> list[str]:
    """The QEMU command line (shown to the learner, recorded with each sample).

    ``append``: more kernel arguments (``dockcourse.idle``, ``dockcourse.loop=N``).
    """
    return [
        setup.qemu,
        "-accel",
        accel,
        "-m",
        str(MEMORY_MIB),
        "-kernel",
        str(setup.kernel),
        "-initrd",
        str(setup.initrd),
        "-append",
        f"{KERNEL_ARGS} {append}".strip(),
        "-nodefaults",
        "-no-user-config",
        "-display",
        "none",
        "-serial",
        "stdio",
        "-no-reboot",
    ]


@contextmanager
def _process(argv: list[str]) -> Iterator[subprocess.Popen[bytes]]:
    """A child process that is killed and reaped however the block ends (Ctrl-C too)."""
    proc = subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # Ctrl-C reaches Python, which then kills QEMU itself
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        try:
            proc.wait(timeout=KILL_WAIT_S)
        finally:
            for stream in (proc.stdout, proc.stderr):
                if stream is not None:
                    stream.close()


_UPTIME = re.compile(rb"uptime=([0-9.]+)")


def boot_once(
    setup: VmSetup, accel: str, *, timeout_s: float = BOOT_TIMEOUT_S
) -> BootResult:
    """Boot the VM once; BootFailed if it exits without reaching init or times out."""
    argv = qemu_argv(setup, accel)
    out = bytearray()
    err = bytearray()
    marker_at: float | None = None
    start = time.perf_counter()
    deadline = start + timeout_s
    with _process(argv) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        with selectors.DefaultSelector() as sel:
            sel.register(proc.stdout, selectors.EVENT_READ, out)
            sel.register(proc.stderr, selectors.EVENT_READ, err)
            while sel.get_map():
                remaining = deadline - time.perf_counter()
                if remaining <= 0:
                    where = t(
                        "measure.vm.where.init"
                        if marker_at is None
                        else "measure.vm.where.power_off"
                    )
                    raise BootFailed(
                        t("measure.vm.no_init", where=where, seconds=timeout_s),
                        timed_out=True,
                    )
                for key, _ in sel.select(timeout=min(remaining, 0.5)):
                    chunk = os.read(key.fd, 65536)
                    if not chunk:
                        sel.unregister(key.fileobj)
                        continue
                    buffer: bytearray = key.data
                    buffer += chunk
                    if marker_at is None and key.data is out and MARKER in out:
                        marker_at = time.perf_counter()
        try:
            code = proc.wait(timeout=max(0.1, deadline - time.perf_counter()))
        except subprocess.TimeoutExpired:
            raise BootFailed(
                t("measure.vm.no_exit", seconds=timeout_s), timed_out=True
            ) from None
        exit_at = time.perf_counter()
    if marker_at is None:
        raise BootFailed(t("measure.vm.exited_early", code=code, tail=_tail(out, err)))
    match = _UPTIME.search(bytes(out[out.find(MARKER) :]))
    uptime = float(match.group(1)) if match else None
    return BootResult(accel, marker_at - start, exit_at - start, uptime)


def _tail(out: bytearray, err: bytearray) -> str:
    text = (
        bytes(err).decode("utf-8", "replace").strip()
        or bytes(out).decode("utf-8", "replace").strip()
    )
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1][-200:] if lines else "no output"


def _choose_accel(
    setup: VmSetup, accel: str, timeout_s: float
) -> tuple[str, str, BootResult | None]:
    """(accelerator, note, first boot if one was made while deciding)."""
    global _kvm_boots
    if accel == "tcg":
        return "tcg", t("measure.vm.note.asked"), None
    probe = host.probe_kvm()
    if not probe.usable:
        if accel == "kvm":
            raise MeasurementUnavailable(
                SERIES,
                t("measure.kvm_unusable.cause", reason=probe.reason),
                t("measure.use_tcg.fix"),
            )
        return "tcg", t("measure.vm.note.kvm_unusable", reason=probe.reason), None
    if _kvm_boots is not None and not _kvm_boots[0]:
        if accel == "kvm":
            raise MeasurementUnavailable(
                SERIES, _kvm_boots[1], t("measure.use_tcg_short.fix")
            )
        return "tcg", t("measure.vm.note.tcg", why=_kvm_boots[1]), None
    if _kvm_boots is not None:
        return "kvm", "KVM", None
    remembered = _remembered_hang(setup) if accel == "auto" else None
    if remembered is not None:
        _kvm_boots = (False, t("measure.kvm_failed.cause", why=remembered))
        return "tcg", t("measure.vm.note.tcg", why=_kvm_boots[1]), None
    trial = min(timeout_s, KVM_TRIAL_TIMEOUT_S)
    try:
        result = boot_once(setup, "kvm", timeout_s=trial)
    except BootFailed as exc:
        why = t("measure.kvm_failed.nested", error=exc) if exc.timed_out else str(exc)
        if exc.timed_out:
            _remember_hang(setup, why)
        _kvm_boots = (False, t("measure.kvm_failed.cause", why=why))
        if accel == "kvm":
            raise MeasurementUnavailable(
                SERIES, _kvm_boots[1], t("measure.use_tcg_short.fix")
            ) from None
        return "tcg", t("measure.vm.note.tcg", why=_kvm_boots[1]), None
    _kvm_boots = (True, t("measure.vm.kvm_booted"))
    return "kvm", "KVM", result


def _hang_key(setup: VmSetup) -> dict[str, str]:
    return {
        "boot_id": host.boot_id(),
        "qemu": setup.qemu,
        "kernel": str(setup.kernel),
    }


def _remembered_hang(setup: VmSetup) -> object | None:
    """Why KVM hung earlier in this boot of the host (a sentence), or None."""
    from ..recorded import from_data

    key = _hang_key(setup)
    if not key["boot_id"]:
        return None
    try:
        found = json.loads((cache_dir() / KVM_HANG_FILE).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(found, dict) or found.get("key") != key:
        return None
    why: object = from_data(found.get("why"))
    return why


def _remember_hang(setup: VmSetup, why: str) -> None:
    from ..recorded import to_data

    key = _hang_key(setup)
    if not key["boot_id"]:
        return
    try:
        folder = cache_dir()
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f"{KVM_HANG_FILE}.tmp{os.getpid()}"
        tmp.write_text(json.dumps({"key": key, "why": to_data(why)}), "utf-8")
        tmp.replace(folder / KVM_HANG_FILE)
    except OSError:
        pass  # a cache: the next run tries again


def _sample(
    index: int, warmup: bool, boot: BootResult, note: str, setup: VmSetup
) -> StartupSample:
    guest = boot.guest_uptime_s if boot.guest_uptime_s is not None else 0.0
    guest = min(guest, boot.init_s)
    phases = {
        VM_PHASES[0]: boot.init_s - guest,
        VM_PHASES[1]: guest,
        VM_PHASES[2]: boot.exit_s - boot.init_s,
    }
    return StartupSample(
        series=SERIES,
        index=index,
        warmup=warmup,
        elapsed_s=boot.exit_s,
        endpoint="QEMU process exit (init ran, then power-off)",
        taken_at=now_iso(),
        phases_s=phases,
        detail={
            "accel": boot.accel,
            "accel_note": note,
            "init_s": f"{boot.init_s:.6f}",
            "kernel": str(setup.kernel),
            "memory_mib": str(MEMORY_MIB),
            "command": " ".join(qemu_argv(setup, boot.accel)),
        },
    )


def measure_vm(
    runs: int = 3,
    *,
    warmup: int = 0,
    accel: str = "auto",
    kernel: Path | str | None = None,
    busybox: Path | str | None = None,
    timeout_s: float = BOOT_TIMEOUT_S,
    start_index: int = 0,
    on_sample: Callable[[StartupSample], None] | None = None,
    progress: bool | None = None,
) -> list[StartupSample]:
    """Boot a minimal Linux VM ``warmup + runs`` times; one sample per boot.

    Three TCG boots take about 7 s on 2 cores (plus up to 4 s once per process when
    KVM is present but QEMU cannot use it), so a chapter cell stays under 15 s.

    ``accel``: "auto" (KVM when QEMU really boots with it, else TCG), "kvm" or "tcg".
    Each sample's ``detail["accel"]`` says which ran and ``detail["accel_note"]`` why.
    ``start_index`` skips samples a resumed run already holds. Used by chapter 01.
    """
    check_runs(runs)
    if warmup < 0:
        raise BadInput(t("measure.bad.warmup", value=warmup))
    if accel not in ACCELS:
        raise BadInput(t("measure.bad.accel", choices=", ".join(ACCELS), value=accel))
    setup = prepare(kernel, busybox)
    chosen, note, first = _choose_accel(setup, accel, timeout_s)
    total = warmup + runs
    samples: list[StartupSample] = []
    with progress_bar(
        total - start_index,
        t("measure.progress.vm_boots", accel=chosen.upper()),
        progress,
    ) as bar:
        for index in range(start_index, total):
            try:
                boot = (
                    first
                    if first is not None
                    else boot_once(setup, chosen, timeout_s=timeout_s)
                )
            except BootFailed as exc:
                raise MeasurementUnavailable(
                    SERIES,
                    t("measure.vm_boot.cause", error=exc),
                    t("measure.vm_boot.fix", kernel=setup.kernel),
                ) from None
            first = None
            sample = _sample(index, index < warmup, boot, note, setup)
            samples.append(sample)
            if on_sample is not None:
                on_sample(sample)
            bar.update(1)
    return samples


# ------------------------------------------------------------------ disk


def allocated_bytes(path: Path) -> int:
    """Bytes the file really occupies on disk (blocks), not its apparent size."""
    return os.stat(path).st_blocks * 512


def _tool(name: str) -> str:
    found = shutil.which(name) or (
        f"/sbin/{name}" if os.path.exists(f"/sbin/{name}") else None
    )
    if found is None:
        package = "e2fsprogs" if name == "mke2fs" else "qemu-utils"
        raise MeasurementUnavailable(
            "vm-disk",
            t("measure.tool_missing.cause", tool=name),
            t("measure.tool_missing.fix", package=package),
        )
    return found


def _run(argv: list[str]) -> None:
    try:
        subprocess.run(argv, check=True, capture_output=True, timeout=TOOL_TIMEOUT_S)
    except subprocess.CalledProcessError as exc:
        message = exc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise MeasurementUnavailable(
            "vm-disk",
            t(
                "measure.tool_failed.cause",
                command=" ".join(argv[:2]),
                message=message[-1] if message else "",
            ),
        ) from None
    except subprocess.TimeoutExpired:
        raise MeasurementUnavailable(
            "vm-disk",
            t("measure.tool_slow.cause", tool=argv[0], seconds=TOOL_TIMEOUT_S),
        ) from None


def build_base_disk(
    setup: VmSetup, folder: Path, free_bytes: int = 16 * 1024**2
) -> tuple[Path, int]:
    """A qcow2 disk holding what this VM needs: its own kernel, busybox and init.

    Returns the image and its virtual size in bytes (``free_bytes`` of it unused).
    """
    mke2fs, qemu_img = _tool("mke2fs"), _tool("qemu-img")
    root = folder / "rootfs"
    (root / "boot").mkdir(parents=True)
    (root / "bin").mkdir()
    shutil.copyfile(setup.kernel, root / "boot" / "vmlinuz")
    shutil.copyfile(setup.busybox, root / "bin" / "busybox")
    (root / "init").write_text(INIT_SCRIPT)
    needed = sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
    size_mib = needed // (1024 * 1024) + 1 + free_bytes // (1024 * 1024)
    raw = folder / "base.raw"
    _run([mke2fs, "-q", "-F", "-t", "ext4", "-d", str(root), str(raw), f"{size_mib}M"])
    base = folder / "base.qcow2"
    _run([qemu_img, "convert", "-f", "raw", "-O", "qcow2", str(raw), str(base)])
    raw.unlink()
    shutil.rmtree(root)
    return base, size_mib * 1024 * 1024


def measure_vm_disk(
    counts: Sequence[int],
    *,
    write_bytes: int = 1024 * 1024,
    kernel: Path | str | None = None,
    on_point: Callable[[DiskPoint], None] | None = None,
    progress: bool | None = None,
) -> list[DiskPoint]:
    """Disk used by N VMs as full copies and as linked clones, before and after writing.

    Full copy: every VM gets its own qcow2 image of the base disk. Linked clone: a thin
    qcow2 over the shared base (``qemu-img create -b``): the VM twin of image layers.
    "Writing" puts ``write_bytes`` into each disk with ``qemu-io``, as a guest would.
    Sizes are allocated bytes. Used by chapter 01 (N containers vs N VMs).
    """
    ns = sorted(set(counts))
    if not ns or ns[0] <= 0:
        raise BadInput(t("measure.bad.counts", value=list(counts)))
    if not 0 < write_bytes <= 8 * 1024 * 1024:
        raise BadInput(t("measure.bad.write_bytes", limit="8 MiB", value=write_bytes))
    setup = prepare(kernel)
    qemu_img, qemu_io = _tool("qemu-img"), _tool("qemu-io")
    points: list[DiskPoint] = []

    def add(kind: str, wrote_bytes: int, n: int, per: int, shared: int) -> None:
        point = DiskPoint(
            kind=kind,
            wrote_bytes=wrote_bytes,
            n=n,
            total_bytes=shared + per,
            shared_bytes=shared,
            per_instance_bytes=per,
            taken_at=now_iso(),
            detail={"format": "qcow2", "measured": "allocated bytes"},
        )
        points.append(point)
        if on_point is not None:
            on_point(point)

    with tempfile.TemporaryDirectory(prefix="dockcourse-vmdisk-") as tmp:
        folder = Path(tmp)
        base, virtual_bytes = build_base_disk(setup, folder)
        # where the guest would put new data: near the end, in blocks no file uses yet
        offset = virtual_bytes - write_bytes - 1024 * 1024
        base_bytes = allocated_bytes(base)
        fresh = {"full": 0, "linked": 0}
        after = {"full": 0, "linked": 0}
        with progress_bar(ns[-1], t("measure.progress.vm_disks"), progress) as bar:
            for n in range(1, ns[-1] + 1):
                copy = folder / f"full-{n}.qcow2"
                shutil.copyfile(base, copy)
                clone = folder / f"linked-{n}.qcow2"
                _run(
                    [
                        qemu_img,
                        "create",
                        "-q",
                        "-f",
                        "qcow2",
                        "-F",
                        "qcow2",
                        "-b",
                        str(base),
                        str(clone),
                    ]
                )
                for kind, disk in (("full", copy), ("linked", clone)):
                    fresh[kind] += allocated_bytes(
                        disk
                    )  # measured before it is written
                    _run(
                        [
                            qemu_io,
                            "-f",
                            "qcow2",
                            "-c",
                            f"write -P 0x5a {offset} {write_bytes}",
                            str(disk),
                        ]
                    )
                    after[kind] += allocated_bytes(disk)
                bar.update(1)
                if n in ns:
                    add("vm-full", 0, n, fresh["full"], 0)
                    add("vm-linked", 0, n, fresh["linked"], base_bytes)
                    add("vm-full", write_bytes, n, after["full"], 0)
                    add("vm-linked", write_bytes, n, after["linked"], base_bytes)
    return points
