"""How light: memory of idle instances, how costs grow with N, and the running cost.

Three kinds of instance are compared, each measured the same way:

- ``process``: a static busybox ``sleep`` started on this host;
- ``container``: the course image running ``sleep`` with ``--network none``;
- ``vm``: QEMU booting the course's own initramfs, whose init then idles.

**Memory** (:func:`measure_memory`) is the proportional set size (PSS: shared pages
divided among the processes that share them) of every host process an instance costs,
read from this host's ``/proc``: for a container its own processes *and* the engine's
per-container process (the shim, or Podman's conmon: found as the processes whose command
line names the container's ID, never by a name). When the engine's processes are not on
this kernel (Docker Desktop, colima, a remote engine) or not readable (a learner who is
not root), the container's figure comes from the engine's own statistics (cgroup memory
without page cache) and says so: ``method`` names how every figure was read. A VM is
read twice: QEMU's PSS on the host, and the guest kernel's own view
(MemTotal − MemAvailable), printed by its init.

**Density** (:func:`measure_density`): N idle instances started at once: wall time from
the first request until all N run, and their total memory, for N in a budget.

**Running cost** (:func:`measure_cpu`): the same CPU-bound shell loop, timed inside each
instance by the kernel's own clock (``/proc/uptime`` before and after), so start-up is
not counted: a container runs it at a process's speed; a VM at its accelerator's.

Every record is a :class:`FootprintPoint`; ``kind``, ``metric`` and ``method`` are
identifiers (rendered through the catalogues), never sentences.
"""

from __future__ import annotations

import os
import re
import selectors
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import resources
from ..text import t
from .results import (
    BadInput,
    FootprintPoint,
    MeasurementUnavailable,
    now_iso,
    progress_bar,
)
from .vm import CLOCK

if TYPE_CHECKING:
    import docker

KINDS = ("process", "container", "vm")
METRICS = ("memory_bytes", "start_all_s", "cpu_loop_s")
#: How a figure was read (rendered through ``measure.footprint.method.<id>``).
METHODS = (
    "host_pss",  # sum of /proc/PID/smaps_rollup Pss of the instance's host processes
    "host_rss",  # the same with VmRSS (smaps_rollup unreadable): overcounts sharing
    "engine_stats",  # the engine's cgroup statistics, page cache excluded
    "guest_meminfo",  # the guest kernel's MemTotal - MemAvailable
    "wall_clock",  # this host's monotonic clock around the whole operation
    "in_instance_uptime",  # /proc/uptime read inside the instance before and after
    "in_instance_clock",  # the instance's $EPOCHREALTIME (µs) before and after
)
CHAPTER = "footprint"
IDLE_MARKER = b"DOCKCOURSE-IDLE"
LOOP_MARKER = re.compile(rb"DOCKCOURSE-LOOP ([0-9.]+) ([0-9.]+)(?: (epoch|uptime))?")
MEMINFO = re.compile(rb"DOCKCOURSE-MEMINFO (\w+):\s+(\d+) kB")
#: An instance's memory is read once it is idle, not after a fixed pause: every one of
#: its host processes asleep and two readings :data:`SETTLE_POLL_S` apart within
#: :data:`SETTLE_TOLERANCE` of each other; at most :data:`SETTLE_MAX_S` (then the last
#: reading, and the point's ``settled_s`` says how long it waited).
SETTLE_POLL_S = 0.1
SETTLE_TOLERANCE = 0.01
SETTLE_MAX_S = 3.0
INSTANCE_TIMEOUT_S = 120.0
#: The process runs the loop with the environment a container starts with (Docker's
#: default PATH and nothing else), so both shells look up the same few variables.
CONTAINER_LIKE_ENV = {
    "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
}
#: The loop each instance runs: ``i`` counts to ``n`` in busybox's shell, timed by
#: the instance's own clock read as :data:`vm.CLOCK` says.
LOOP = (
    CLOCK.format(var="a").replace("{", "{{").replace("}", "}}")
    + '; i=0; while [ "$i" -lt {n} ]; do i=$((i+1)); done; '
    + CLOCK.format(var="b").replace("{", "{{").replace("}", "}}")
    + '; echo "DOCKCOURSE-LOOP $a $b $c"'
)  # the same clock reading as the VM's init (vm.CLOCK)


OnPoint = Callable[[FootprintPoint], None]


def check_counts(counts: Sequence[int]) -> list[int]:
    chosen = sorted(set(counts))
    if not chosen or any(isinstance(n, bool) or not isinstance(n, int) for n in chosen):
        raise BadInput(t("measure.footprint.bad_counts", counts=list(counts)))
    if chosen[0] < 1 or chosen[-1] > 200:
        raise BadInput(t("measure.footprint.bad_counts", counts=list(counts)))
    return chosen


# ----------------------------------------------------------------------- /proc


def read_pss(pid: int, proc: Path = Path("/proc")) -> tuple[int, str]:
    """(bytes, method) of one process: PSS when readable, else RSS; OSError if gone."""
    try:
        text = (proc / str(pid) / "smaps_rollup").read_text()
        match = re.search(r"^Pss:\s+(\d+) kB", text, re.MULTILINE)
        if match:
            return int(match.group(1)) * 1024, "host_pss"
    except PermissionError:
        pass
    except FileNotFoundError:
        if not (proc / str(pid)).exists():
            raise
    status = (proc / str(pid) / "status").read_text()
    match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
    return (int(match.group(1)) * 1024 if match else 0), "host_rss"


def children_of(pid: int, proc: Path = Path("/proc")) -> list[int]:
    """``pid`` and all its descendants (by each process's parent in /proc/PID/stat)."""
    return _descendants(pid, _proc_table(proc)[0])


def naming_processes(token: str, proc: Path = Path("/proc")) -> list[int]:
    """Processes whose command line contains ``token`` (a full container ID)."""
    found = []
    needle = token.encode()
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if needle in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def sum_memory(pids: Sequence[int]) -> tuple[int, str]:
    """Total of :func:`read_pss` over ``pids``; the weakest method read wins the label."""
    total, methods = 0, set()
    for pid in pids:
        try:
            size, method = read_pss(pid)
        except OSError:
            continue
        total += size
        methods.add(method)
    return total, ("host_rss" if "host_rss" in methods else "host_pss")


def asleep(pids: Sequence[int], proc: Path = Path("/proc")) -> bool:
    """True when every process in ``pids`` that still exists is sleeping (state S)."""
    for pid in pids:
        try:
            stat = (proc / str(pid) / "stat").read_text()
        except OSError:
            continue
        if stat[stat.rfind(")") + 2 : stat.rfind(")") + 3] != "S":
            return False
    return True


def settled(
    read: Callable[[], tuple[int, str]], pids: Sequence[int] | None = None
) -> tuple[int, str, float]:
    """(bytes, method, seconds waited): ``read()`` once the instance is idle.

    Idle: the processes ``pids`` (when the host can see them) all asleep, and two
    readings :data:`SETTLE_POLL_S` apart agree within :data:`SETTLE_TOLERANCE`.
    """
    start = time.perf_counter()
    last: int | None = None
    while True:
        value, method = read()
        waited = time.perf_counter() - start
        if (
            last is not None
            and abs(value - last) <= SETTLE_TOLERANCE * max(last, 1)
            and (pids is None or asleep(pids))
        ) or waited >= SETTLE_MAX_S:
            return value, method, waited
        last = value
        time.sleep(SETTLE_POLL_S)


# ----------------------------------------------------------------------- processes


@contextmanager
def _processes(
    busybox: Path, n: int
) -> Iterator[tuple[list[subprocess.Popen[bytes]], float]]:
    procs: list[subprocess.Popen[bytes]] = []
    try:
        start = time.perf_counter()
        for _ in range(n):
            procs.append(
                subprocess.Popen(
                    [str(busybox), "sleep", "600"],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    start_new_session=True,
                )
            )
        yield procs, time.perf_counter() - start
    finally:
        for p in procs:
            p.kill()
        for p in procs:
            p.wait(timeout=5)


def _process_points(busybox: Path, n: int) -> list[FootprintPoint]:
    with _processes(busybox, n) as (procs, wall):
        pids = [p.pid for p in procs]
        memory, method, waited = settled(lambda: sum_memory(pids), pids)
    detail = {"command": f"{busybox} sleep 600", "settled_s": f"{waited:.3f}"}
    return [
        FootprintPoint("process", "memory_bytes", n, memory, method, now_iso(), detail),
        FootprintPoint(
            "process", "start_all_s", n, wall, "wall_clock", now_iso(), detail
        ),
    ]


# ----------------------------------------------------------------------- containers


def engine_is_local(client: docker.DockerClient, container_id: str) -> bool:
    """True when the container's main process is visible in this host's /proc as itself.

    Evidence, not the socket's scheme: its PID from the engine exists here and its cgroup
    names the container (a VM engine's PIDs mean nothing on this host).
    """
    pid = int(client.api.inspect_container(container_id)["State"].get("Pid") or 0)
    if pid <= 0:
        return False
    try:
        cgroup = Path(f"/proc/{pid}/cgroup").read_text()
    except OSError:
        return False
    return container_id in cgroup or container_id[:12] in cgroup


def _stats_memory(client: docker.DockerClient, container_id: str) -> int:
    """Memory the engine charges to the container, page cache excluded (as ``docker stats``)."""
    stats = client.api.stats(container_id, stream=False, one_shot=True)
    memory = stats.get("memory_stats") or {}
    usage = int(memory.get("usage") or 0)
    detail = memory.get("stats") or {}
    cache = detail.get("total_inactive_file", detail.get("inactive_file", 0))
    return max(0, usage - int(cache or 0))


def container_memory(
    client: docker.DockerClient, container_ids: Sequence[str]
) -> tuple[int, str, dict[str, str]]:
    """(bytes, method, detail) of running containers, read as truthfully as possible."""
    if container_ids and engine_is_local(client, container_ids[0]):
        pids: set[int] = set()
        engine_side: set[int] = set()
        parents, cmdlines = _proc_table()
        for cid in container_ids:
            pid = int(client.api.inspect_container(cid)["State"]["Pid"])
            own = _descendants(pid, parents)
            pids.update(own)
            needle = cid.encode()
            engine_side.update(
                p for p, line in cmdlines.items() if needle in line and p not in own
            )
        every = sorted(pids | engine_side)
        total, method, waited = settled(lambda: sum_memory(every), every)
        readable = total > 0 and method == "host_pss"
        if readable or os.geteuid() == 0:
            return (
                total,
                method,
                {
                    "processes": str(len(pids)),
                    "engine_processes": str(len(engine_side)),
                    "settled_s": f"{waited:.3f}",
                },
            )

    def from_stats() -> tuple[int, str]:
        return sum(_stats_memory(client, c) for c in container_ids), "engine_stats"

    total, method, waited = settled(from_stats)
    return (
        total,
        method,
        {"engine_processes": "not counted", "settled_s": f"{waited:.3f}"},
    )


def _proc_table(
    proc: Path = Path("/proc"),
) -> tuple[dict[int, int], dict[int, bytes]]:
    """Every process's parent and command line, read in one pass over ``/proc``."""
    parents: dict[int, int] = {}
    cmdlines: dict[int, bytes] = {}
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdlines[int(entry.name)] = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        fields_ = stat[stat.rfind(")") + 2 :].split()
        if len(fields_) > 1:
            parents[int(entry.name)] = int(fields_[1])
    return parents, cmdlines


def _descendants(pid: int, parents: dict[int, int]) -> list[int]:
    found, frontier = {pid}, [pid]
    while frontier:
        parent = frontier.pop()
        for child, ppid in parents.items():
            if ppid == parent and child not in found:
                found.add(child)
                frontier.append(child)
    return sorted(found)


@contextmanager
def _containers(
    client: docker.DockerClient, image_ref: str, n: int
) -> Iterator[tuple[list[str], float]]:
    """``n`` labelled idle containers started at once; removed however the block ends."""
    ids: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    labels = resources.labels(CHAPTER, role="footprint")

    def one(index: int) -> None:
        try:
            created = client.api.create_container(
                image_ref,
                ["sleep", "600"],
                name=resources.new_name(CHAPTER, f"idle{index}"),
                labels=labels,
                host_config=client.api.create_host_config(network_mode="none"),
            )
            with lock:
                ids.append(created["Id"])
            client.api.start(created["Id"])
        except Exception as exc:  # re-raised below, after cleanup
            errors.append(exc)

    try:
        start = time.perf_counter()
        threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(INSTANCE_TIMEOUT_S)
        wall = time.perf_counter() - start
        if errors:
            raise errors[0]
        yield ids, wall
    finally:
        from docker.errors import NotFound

        def remove(cid: str) -> None:
            with suppress(NotFound):  # already gone is fine
                client.api.remove_container(cid, force=True)

        # not measured: removed side by side, each thread waited for
        removers = [threading.Thread(target=remove, args=(cid,)) for cid in ids]
        for th in removers:
            th.start()
        for th in removers:
            th.join(INSTANCE_TIMEOUT_S)


def _container_points(
    client: docker.DockerClient, image_ref: str, n: int
) -> list[FootprintPoint]:
    with _containers(client, image_ref, n) as (ids, wall):
        memory, method, detail = container_memory(client, ids)
    detail = {**detail, "image": image_ref, "network": "none"}
    return [
        FootprintPoint(
            "container", "memory_bytes", n, memory, method, now_iso(), detail
        ),
        FootprintPoint(
            "container", "start_all_s", n, wall, "wall_clock", now_iso(), detail
        ),
    ]


# ----------------------------------------------------------------------- VMs


@contextmanager
def _vms(
    setup: Any, accel: str, n: int, append: str
) -> Iterator[tuple[list[subprocess.Popen[bytes]], list[bytearray], float]]:
    """``n`` QEMU guests booted at once.

    Yields (processes, serial output of each, seconds until every guest's init ran) once
    every guest printed the idle marker (``append`` holds ``dockcourse.idle``) or powered
    off after its loop. The guests are killed however the block ends.
    """
    from . import vm

    argv = vm.qemu_argv(setup, accel, append=append)
    outs = [bytearray() for _ in range(n)]
    with ExitStack() as stack:
        start = time.perf_counter()
        procs = [stack.enter_context(vm._process(argv)) for _ in range(n)]
        deadline = start + vm.BOOT_TIMEOUT_S * max(1, n)
        waiting, booting = set(range(n)), set(range(n))
        all_init = 0.0
        with selectors.DefaultSelector() as sel:
            for i, p in enumerate(procs):
                assert p.stdout is not None
                sel.register(p.stdout, selectors.EVENT_READ, i)
            while waiting:
                remaining = deadline - time.perf_counter()
                if remaining <= 0:
                    raise MeasurementUnavailable(
                        "vm",
                        t(
                            "measure.footprint.vm_timeout",
                            n=n,
                            seconds=round(deadline - start),
                        ),
                    )
                for key, _ in sel.select(timeout=min(remaining, 0.5)):
                    i = key.data
                    chunk = os.read(key.fd, 65536)
                    if not chunk:
                        sel.unregister(key.fileobj)
                        if i in waiting and not LOOP_MARKER.search(outs[i]):
                            raise MeasurementUnavailable(
                                "vm", t("measure.footprint.vm_exited")
                            )
                        waiting.discard(i)
                        continue
                    outs[i] += chunk
                    if i in booting and vm.MARKER in outs[i]:
                        booting.discard(i)
                        if not booting:
                            all_init = time.perf_counter() - start
                    if IDLE_MARKER in outs[i]:
                        waiting.discard(i)
        yield procs, outs, all_init


def guest_used_bytes(out: bytes) -> int | None:
    """MemTotal − MemAvailable from what the guest's init printed, or None."""
    found = {k.decode(): int(v) * 1024 for k, v in MEMINFO.findall(out)}
    if "MemTotal" in found and "MemAvailable" in found:
        return found["MemTotal"] - found["MemAvailable"]
    return None


def _vm_points(
    setup: Any, accel: str, n: int, loops: int | None = None
) -> list[FootprintPoint]:
    """Memory, time until all N run and, for one VM given ``loops``, its loop time."""
    from . import vm

    append = "dockcourse.idle"
    if loops and n == 1:
        append = f"dockcourse.loop={loops} {append}"  # the loop runs first, then idle
    with _vms(setup, accel, n, append) as (procs, outs, wall):
        pids = [p.pid for p in procs]
        memory, method, waited = settled(lambda: sum_memory(pids), pids)
    detail = {"accel": accel, "guest_memory_mib": str(vm.MEMORY_MIB)}
    points = [
        FootprintPoint(
            "vm",
            "memory_bytes",
            n,
            memory,
            method,
            now_iso(),
            {**detail, "settled_s": f"{waited:.3f}"},
        ),
        FootprintPoint("vm", "start_all_s", n, wall, "wall_clock", now_iso(), detail),
    ]
    guest = [guest_used_bytes(bytes(o)) for o in outs]
    if all(g is not None for g in guest):
        total = sum(g for g in guest if g is not None)
        points.append(
            FootprintPoint(
                "vm", "memory_bytes", n, total, "guest_meminfo", now_iso(), detail
            )
        )
    loop = loop_point("vm", bytes(outs[0]), detail, loops) if loops and n == 1 else None
    if loop is not None:
        points.append(loop)
    return points


def loop_point(
    kind: str, out: bytes, detail: dict[str, str], loops: int
) -> FootprintPoint | None:
    """The loop's time from what an instance printed (``DOCKCOURSE-LOOP a b``), or None."""
    match = LOOP_MARKER.search(out)
    if match is None:
        return None
    clock = match.group(3) or b"uptime"
    return FootprintPoint(
        kind,
        "cpu_loop_s",
        1,
        float(match.group(2)) - float(match.group(1)),
        "in_instance_clock" if clock == b"epoch" else "in_instance_uptime",
        now_iso(),
        {**detail, "loops": str(loops)},
    )


# ----------------------------------------------------------------------- public


def _vm_setup(accel: str) -> tuple[Any, str]:
    from . import vm

    setup = vm.prepare()
    chosen, _note, _first = vm._choose_accel(setup, accel, vm.BOOT_TIMEOUT_S)
    return setup, chosen


def measure_memory(
    client: docker.DockerClient | None,
    image_ref: str = "",
    *,
    kinds: Sequence[str] = KINDS,
    accel: str = "auto",
    on_point: OnPoint | None = None,
) -> list[FootprintPoint]:
    """Memory of one idle instance of each kind (N = 1 of :func:`measure_density`)."""
    return measure_density(
        client, image_ref, counts=(1,), kinds=kinds, accel=accel, on_point=on_point
    )


def measure_density(
    client: docker.DockerClient | None,
    image_ref: str = "",
    *,
    counts: Sequence[int] = (1, 2, 5, 10),
    vm_counts: Sequence[int] | None = None,
    kinds: Sequence[str] = KINDS,
    accel: str = "auto",
    vm_loops: int | None = None,
    on_point: OnPoint | None = None,
    on_unavailable: Callable[[str, MeasurementUnavailable], None] | None = None,
    progress: bool | None = None,
) -> list[FootprintPoint]:
    """N idle instances of each kind at once: total memory and time until all run.

    ``vm_counts`` (default: the counts up to 2) keeps the VMs within a memory and time
    budget; every VM point says which accelerator ran. A kind that cannot run here raises
    MeasurementUnavailable for that kind after the others were measured. ``vm_loops``:
    the single VM also times the running-cost loop before it idles (one boot, not two).
    """
    chosen = check_counts(counts)
    vm_chosen = check_counts(vm_counts) if vm_counts else [n for n in chosen if n <= 2]
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise BadInput(t("measure.footprint.bad_kind", kinds=", ".join(unknown)))
    points: list[FootprintPoint] = []
    missing: MeasurementUnavailable | None = None

    def keep(new: list[FootprintPoint]) -> None:
        for p in new:
            points.append(p)
            if on_point is not None:
                on_point(p)

    plan: list[tuple[str, int]] = [
        (k, n) for k in kinds for n in (vm_chosen if k == "vm" else chosen)
    ]
    from .startup import _busybox

    busybox = _busybox() if "process" in kinds else None
    vm_setup: tuple[Any, str] | None = None
    skipped: set[str] = set()
    with progress_bar(len(plan), t("measure.footprint.progress"), progress) as bar:
        for kind, n in plan:
            if kind in skipped:
                bar.update(1)
                continue
            try:
                if kind == "process":
                    assert busybox is not None
                    keep(_process_points(busybox, n))
                elif kind == "container":
                    if client is None:
                        raise MeasurementUnavailable(
                            "container", t("measure.footprint.no_engine")
                        )
                    keep(_container_points(client, image_ref, n))
                else:
                    if vm_setup is None:
                        vm_setup = _vm_setup(accel)
                    keep(_vm_points(vm_setup[0], vm_setup[1], n, vm_loops))
            except MeasurementUnavailable as exc:
                if on_unavailable is not None and kind not in skipped:
                    on_unavailable(kind, exc)
                skipped.add(kind)
                missing = missing or exc
            bar.update(1)
    if missing is not None and not points:
        raise missing
    return points


def measure_cpu(
    client: docker.DockerClient | None,
    image_ref: str = "",
    *,
    loops: int = 200_000,
    runs: int = 3,
    kinds: Sequence[str] = KINDS,
    accel: str = "auto",
    on_point: OnPoint | None = None,
) -> list[FootprintPoint]:
    """The same shell loop timed inside each kind by its kernel's clock, ``runs`` times."""
    if isinstance(loops, bool) or not isinstance(loops, int) or loops < 1000:
        raise BadInput(t("measure.footprint.bad_loops", loops=loops))
    script = LOOP.format(n=loops)
    points: list[FootprintPoint] = []

    def keep(kind: str, out: bytes, detail: dict[str, str]) -> None:
        point = loop_point(kind, out, detail, loops)
        if point is None:
            raise MeasurementUnavailable(kind, t("measure.footprint.loop_no_output"))
        points.append(point)
        if on_point is not None:
            on_point(point)

    from .startup import _busybox

    for _ in range(runs):
        if "process" in kinds:
            done = subprocess.run(
                [str(_busybox()), "sh", "-c", script],
                env=CONTAINER_LIKE_ENV,  # not the notebook's long environment
                capture_output=True,
                timeout=INSTANCE_TIMEOUT_S,
                check=False,
            )
            keep("process", done.stdout, {})
        if "container" in kinds and client is not None:
            labels = resources.labels(CHAPTER, role="footprint")
            created = client.api.create_container(
                image_ref,
                ["sh", "-c", script],
                labels=labels,
                name=resources.new_name(CHAPTER, "loop"),
                host_config=client.api.create_host_config(network_mode="none"),
            )
            try:
                client.api.start(created["Id"])
                client.api.wait(created["Id"], timeout=INSTANCE_TIMEOUT_S)
                out = client.api.logs(created["Id"], stdout=True, stderr=False)
            finally:
                client.api.remove_container(created["Id"], force=True)
            keep("container", out, {"image": image_ref})
    if "vm" in kinds:
        setup, chosen = _vm_setup(accel)
        for _ in range(runs):
            with _vms(setup, chosen, 1, f"dockcourse.loop={loops}") as (_, outs, _):
                keep("vm", bytes(outs[0]), {"accel": chosen})
    return points
