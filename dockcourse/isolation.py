"""Chapter 02's machinery: what isolates a container, measured on the engine.

- :func:`container_namespaces`: the namespaces of two ordinary containers and of one
  started with ``--pid=host``, read while all three run, beside the host's: the
  notebook's own when the engine runs on this machine, else those of a helper container
  that shares the engine host's namespaces; :func:`namespace_table` prints them.
- :func:`host_view`: a running container seen from the host: ``State.Pid``,
  ``/proc/<pid>/cmdline``, ``NSpid`` and its parent, when the engine is local; when it
  is not, why not, decided by evidence (the kernel's boot ID), not by the endpoint.
- :func:`oom_kill`: a container that outgrows its memory limit, and what
  ``docker inspect`` says afterwards.
- :func:`sample_cpu`: CPU use of a limited and an unlimited busy container over time,
  from the engine's stats API (so it works on any engine, cgroup v1 or v2).
- :func:`blkio_weight_warnings`: what the engine says to a block-I/O weight.

Each returns JSON-able data (dicts, lists, numbers, strings), never catalogue text, so
that chapter 02's lesson steps (``lessons/ch02.py``) can record it for recorded mode;
:func:`oom_note` and :func:`cpu_note` word what an engine left out when the data is
shown. Nothing here plots. Every container is labelled and removed however the call
ends.
"""

from __future__ import annotations

import itertools
import os
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from typing import TYPE_CHECKING, Any

from .commands import docker_run
from .engine import call_timeout, product_of, resolve_endpoint
from .resources import course_container
from .text import aligned_lines, t

if TYPE_CHECKING:
    import docker
    from docker.models.containers import Container

    from .session import Session

#: The namespaces ``/proc/<pid>/ns`` shows (``*_for_children`` left out), in ls order.
NS_KINDS = ("cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts")
#: Run inside a container: one "kind kind:[inode]" line per namespace.
NS_SCRIPT = 'cd /proc/self/ns && for n in *; do echo "$n $(readlink $n)"; done'
#: The three containers of the namespace comparison: key -> create keyword arguments.
NS_CONTAINERS: dict[str, dict[str, Any]] = {
    "a": {},
    "b": {},
    "pid_host": {"pid_mode": "host"},
}
BUSY_LOOP = "while :; do :; done"
#: A memory hog: ``tail`` keeps the "last line" of an endless stream without newlines.
#: Run as the container's main process (no ``sh -c`` in front of it), so the process the
#: kernel's OOM killer picks is the one whose end ``docker inspect`` reports.
MEMORY_HOG = ["tail", "/dev/zero"]
KEEP_ALIVE = ["sleep", "120"]
#: The host reference for an engine this notebook cannot see: a container that shares
#: every namespace Docker lets it share with the engine's host (a container always gets
#: its own mnt), then the same without the options an engine may refuse.
ENGINE_HOST_ATTEMPTS: tuple[tuple[dict[str, str], tuple[str, ...]], ...] = (
    (
        {
            "pid_mode": "host",
            "network_mode": "host",
            "ipc_mode": "host",
            "uts_mode": "host",
            "userns_mode": "host",
            "cgroupns": "host",
        },
        # time: Docker never makes a time namespace, so every container has the host's
        ("cgroup", "ipc", "net", "pid", "time", "user", "uts"),
    ),
    (
        {"pid_mode": "host", "network_mode": "host", "ipc_mode": "host"},
        ("ipc", "net", "pid", "time"),
    ),
)
WAIT_TIMEOUT_S = 30.0
_NS_LINE = re.compile(r"^(\w+)\s+\w+:\[(\d+)\]$")


def parse_ns_listing(text: str) -> dict[str, int]:
    """``"net net:[4026532184]"`` lines (what :data:`NS_SCRIPT` prints) -> {kind: inode}."""
    found: dict[str, int] = {}
    for line in text.splitlines():
        match = _NS_LINE.match(line.strip())
        if match and match.group(1) in NS_KINDS:
            found[match.group(1)] = int(match.group(2))
    return found


def own_namespaces(proc: str = "/proc/self") -> dict[str, int]:
    """The namespaces of a process on this machine (default: this Python process)."""
    listing = []
    for kind in NS_KINDS:
        try:
            listing.append(f"{kind} {os.readlink(f'{proc}/ns/{kind}')}")
        except OSError:
            continue
    return parse_ns_listing("\n".join(listing))


def container_is_local(container_id: str, pid: int, proc_root: str = "/proc") -> bool:
    """Whether ``pid`` (a container's ``State.Pid``) is that container's process *here*.

    True when this machine's ``/proc/<pid>/cgroup`` names the container: the engine runs
    on this kernel, in this PID namespace. False on Docker Desktop (the engine runs in a
    VM), for a remote engine, or when this notebook itself runs in a container.
    """
    if pid <= 0:
        return False
    try:
        with open(f"{proc_root}/{pid}/cgroup", encoding="utf-8") as f:
            return container_id in f.read()
    except OSError:
        return False


def _exec_output(container: Container, command: Sequence[str]) -> str:
    result = container.exec_run(list(command))
    output: bytes = result.output or b""
    return output.decode("utf-8", "replace")


@contextmanager
def _running(
    client: docker.DockerClient,
    image_ref: str,
    command: Sequence[str],
    *,
    chapter: str,
    purpose: str,
    **kwargs: Any,
) -> Iterator[Container]:
    """A started, labelled container, removed when the block ends."""
    from .resources import new_name

    with course_container(
        client,
        image_ref,
        list(command),
        chapter=chapter,
        name=new_name(chapter, purpose),
        **kwargs,
    ) as container:
        container.start()
        yield container


def container_namespaces(
    client: docker.DockerClient, image_ref: str, *, chapter: str = "02"
) -> dict[str, Any]:
    """Namespaces of containers a, b (ordinary) and pid_host (``--pid=host``).

    All three run at the same time while they are read: a namespace's number is only
    unique while the namespace exists, and the kernel reuses it soon after. ``host`` is
    this Python process's (the notebook's) namespaces when the engine shares this
    kernel and PID namespace (``host_source`` "notebook"); otherwise (Docker Desktop,
    colima, a VM, a remote engine) those of a helper container run with
    ``--pid/--network/--ipc/--uts/--userns/--cgroupns=host`` (``host_source``
    "engine"; its ``mnt`` is left out, a container never shares it), or None when the
    engine refuses such a container.
    """
    found: dict[str, dict[str, int]] = {}
    local = False
    engine_host: dict[str, int] | None = None
    with ExitStack() as stack:
        running = {
            key: stack.enter_context(
                _running(
                    client,
                    image_ref,
                    KEEP_ALIVE,
                    chapter=chapter,
                    purpose=f"ns-{key}",
                    **options,
                )
            )
            for key, options in NS_CONTAINERS.items()
        }
        for key, container in running.items():
            found[key] = parse_ns_listing(
                _exec_output(container, ["sh", "-c", NS_SCRIPT])
            )
        first = running["a"]
        pid = int(client.api.inspect_container(first.id)["State"].get("Pid") or 0)
        local = container_is_local(first.id, pid)
        if not local:
            engine_host = _engine_host_namespaces(client, image_ref, chapter, stack)
    if local:
        return {
            "containers": found,
            "host": own_namespaces(),
            "host_source": "notebook",
        }
    return {
        "containers": found,
        "host": engine_host,
        "host_source": "engine" if engine_host else None,
    }


def _engine_host_namespaces(
    client: docker.DockerClient, image_ref: str, chapter: str, stack: ExitStack
) -> dict[str, int] | None:
    """The engine host's namespaces, read in a container that shares them (kept
    running in ``stack`` beside the others, so no number is reused meanwhile)."""
    import docker.errors

    for options, shared in ENGINE_HOST_ATTEMPTS:
        try:
            container = stack.enter_context(
                _running(
                    client,
                    image_ref,
                    KEEP_ALIVE,
                    chapter=chapter,
                    purpose="ns-host",
                    **options,
                )
            )
        except docker.errors.APIError:
            continue
        listing = parse_ns_listing(_exec_output(container, ["sh", "-c", NS_SCRIPT]))
        return {kind: value for kind, value in listing.items() if kind in shared}
    return None


def relation(value: int | None, host: int | None, earlier: Mapping[str, int]) -> str:
    """How one container's namespace relates to the others': a catalogue key suffix.

    "host" (the host's own), "same:<column>" (shared with an earlier column), "own"
    (nobody else's), or "?" (not readable).
    """
    if value is None:
        return "?"
    if host is not None and value == host:
        return "host"
    for column, other in earlier.items():
        if other == value:
            return f"same:{column}"
    return "own"


def namespace_table(data: Mapping[str, Any], *, ids: bool = False) -> str:
    """The namespaces of :func:`container_namespaces` as a text table.

    By default each cell says how the namespace relates to the host's and the other
    containers' (which does not change from run to run); ``ids=True`` prints the
    numbers themselves (``readlink /proc/self/ns/*``), which do.
    """
    containers: Mapping[str, Mapping[str, int]] = data["containers"]
    host: Mapping[str, int] | None = data.get("host")
    # recorded data from before host_source existed: the host was always the notebook's
    source = data.get("host_source", "notebook" if host is not None else None)
    columns = list(containers)
    heads = [t(f"plot.02.ns.col.{key}") for key in columns]
    if ids and host is not None:
        heads.append(
            t(
                "plot.02.ns.col.engine_host"
                if source == "engine"
                else "plot.02.ns.col.host"
            )
        )
    rows = [[t("plot.02.ns.col.kind"), *heads]]
    for kind in NS_KINDS:
        cells = [kind]
        earlier: dict[str, int] = {}
        for key, head in zip(columns, heads, strict=False):
            value = containers[key].get(kind)
            if ids:
                cells.append(str(value) if value is not None else "?")
            else:
                rel = relation(value, host.get(kind) if host else None, earlier)
                column = rel.partition(":")[2]
                cells.append(
                    t(f"plot.02.ns.{rel.partition(':')[0]}", column=column)
                    if rel != "?"
                    else "?"
                )
            if value is not None and value not in earlier.values():
                earlier[head] = value
        if ids and host is not None:
            cells.append(str(host.get(kind, "?")))
        rows.append(cells)
    lines = aligned_lines(rows)
    if host is None and not ids:
        lines.append(t("plot.02.ns.no_host"))
    if host is not None and source == "engine" and not ids:
        lines.append(t("plot.02.ns.engine_host_note"))
    return "\n".join(lines)


def _proc_status(pid: int, proc_root: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    with open(f"{proc_root}/{pid}/status", encoding="utf-8") as f:
        for line in f:
            key, _, value = line.partition(":")
            fields[key.strip()] = value.strip()
    return fields


def _cmdline(pid: int, proc_root: str) -> list[str]:
    """The process's argv; read again for up to two seconds while it is empty or still
    ``runc init`` (a process caught between runc's init and its ``exec``: on a busy
    machine ``docker start`` may return before the container's command runs)."""
    for _ in range(40):
        with open(f"{proc_root}/{pid}/cmdline", "rb") as f:
            raw = f.read()
        if raw and not raw.startswith(b"runc\0init"):
            break
        time.sleep(0.05)
    return [part.decode("utf-8", "replace") for part in raw.split(b"\0") if part]


def host_view(
    client: docker.DockerClient,
    image_ref: str,
    *,
    chapter: str = "02",
    proc_root: str = "/proc",
) -> dict[str, Any]:
    """A running container (``sleep 120``) seen from the host, where that is possible.

    Always: its name, the command and ``State.Pid`` from inspect. When the engine runs
    on this kernel (``local``): the host's ``/proc/<pid>/cmdline``, ``NSpid`` (its PID on
    the host and inside), its user IDs as the host sees them, and its parent process.
    Otherwise ``reason`` says why not, from evidence rather than from the endpoint's
    scheme: "desktop" (Docker Desktop's VM, by its name); "hidden" when the container
    sees this kernel's boot ID (same kernel, but this notebook runs in another PID
    namespace, e.g. in a container itself); for another kernel, "vm" when the endpoint
    is on this machine (a unix socket or a loopback address, forwarded into a VM as
    colima and Docker Desktop do, or tunnelled) and "remote" otherwise. ``kernel`` is
    the engine's kernel release and ``endpoint`` where the engine was reached.
    """
    with _running(client, image_ref, KEEP_ALIVE, chapter=chapter, purpose="proc") as c:
        state = client.api.inspect_container(c.id)["State"]
        pid = int(state.get("Pid") or 0)
        view: dict[str, Any] = {
            "name": c.name,
            "command": " ".join(KEEP_ALIVE),
            "state_pid": pid,
            "local": container_is_local(c.id, pid, proc_root),
        }
        if not view["local"]:
            view.update(_not_local_reason(client, c))
            return view
        status = _proc_status(pid, proc_root)
        ppid = int(status.get("PPid", "0") or 0)
        parent = _cmdline(ppid, proc_root) if ppid > 0 else []
        view.update(
            cmdline=_cmdline(pid, proc_root),
            nspid=[int(p) for p in status.get("NSpid", str(pid)).split()],
            uid=status.get("Uid", "").split(),
            ppid=ppid,
            parent=os.path.basename(parent[0]) if parent else "",
        )
    return view


def endpoint_is_on_this_machine(url: str) -> bool:
    """A unix socket, or TCP/SSH to a loopback address: the engine is reached here,
    whatever it runs on behind it (a forwarded port or socket, a tunnel)."""
    import ipaddress
    from urllib.parse import urlparse

    parsed = urlparse(url if "://" in url else f"tcp://{url}")
    if parsed.scheme in ("unix", "http+unix", "npipe"):
        return True
    name = parsed.hostname or ""
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _not_local_reason(
    client: docker.DockerClient, container: Container
) -> dict[str, str]:
    info = client.info()
    kernel = str(info.get("KernelVersion", "") or "?")
    endpoint = resolve_endpoint().url
    found = {"kernel": kernel, "endpoint": endpoint}
    if "Docker Desktop" in str(info.get("OperatingSystem", "")):
        return {**found, "reason": "desktop"}
    from .host import BOOT_ID_FILE, same_kernel

    if same_kernel(_exec_output(container, ["cat", BOOT_ID_FILE])):
        return {**found, "reason": "hidden"}
    if endpoint_is_on_this_machine(endpoint):
        return {**found, "reason": "vm"}
    return {**found, "reason": "remote"}


def host_view_lines(view: Mapping[str, Any]) -> str:
    """:func:`host_view` in words (from the catalogue), one fact per line."""
    lines = [
        f"$ docker inspect --format '{{{{.State.Pid}}}}' {view['name']}",
        str(view["state_pid"]),
    ]
    if not view.get("local"):
        lines.append(
            t(
                f"plot.02.host.{view.get('reason', 'hidden')}",
                kernel=view.get("kernel", "?"),
                endpoint=view.get("endpoint", "?"),
            )
        )
        return "\n".join(lines)
    pid = view["state_pid"]
    nspid = view.get("nspid") or [pid]
    lines += [
        t("plot.02.host.cmdline", pid=pid, cmdline=" ".join(view.get("cmdline", []))),
        t("plot.02.host.nspid", pid=pid, host=nspid[0], inside=nspid[-1]),
        t("plot.02.host.uid", pid=pid, uid=" ".join(view.get("uid", []))),
        t("plot.02.host.parent", ppid=view.get("ppid"), parent=view.get("parent")),
    ]
    return "\n".join(lines)


def oom_kill(
    client: docker.DockerClient,
    image_ref: str,
    *,
    mem_limit: str = "32m",
    chapter: str = "02",
    timeout_s: float = WAIT_TIMEOUT_S,
) -> dict[str, Any]:
    """Run :data:`MEMORY_HOG` under ``--memory`` (no swap on top), wait for it to end,
    and return what ``docker inspect`` says: ``State`` and the limits in ``HostConfig``.
    """
    options = {"mem_limit": mem_limit, "memswap_limit": mem_limit}
    command = list(MEMORY_HOG)
    with _running(
        client, image_ref, command, chapter=chapter, purpose="oom", **options
    ) as container:
        container.wait(timeout=timeout_s)
        found = client.api.inspect_container(container.id)
    state = found.get("State", {})
    host = found.get("HostConfig", {})
    name = str(found.get("Name", "")).lstrip("/")
    return {
        "name": name,
        "command": docker_run(image_ref, command, {"name": name, **options}, rm=False),
        "engine": product_of(client),
        "engine_version": str(client.version().get("Version", "")),
        "State": {
            key: state.get(key) for key in ("Status", "OOMKilled", "ExitCode", "Error")
        },
        "HostConfig": {key: host.get(key) for key in ("Memory", "MemorySwap")},
    }


def oom_flag_missing(result: Mapping[str, Any]) -> bool:
    """Killed by SIGKILL (exit 137) under a memory limit, yet ``OOMKilled`` is false.

    That is all the data shows: a SIGKILL that the engine did not report as an OOM kill.
    Podman 4.3 does not set ``OOMKilled``; Docker (cgroup v2 included) reports it when
    the process killed is the container's main one, which :data:`MEMORY_HOG` is.
    :func:`oom_note` words the case for the engine that ran it."""
    state, limits = result.get("State") or {}, result.get("HostConfig") or {}
    return (
        state.get("OOMKilled") is False
        and state.get("ExitCode") == 137
        and bool(limits.get("Memory"))
    )


def oom_note(result: Mapping[str, Any]) -> str:
    """What to make of :func:`oom_flag_missing` on the engine that ran it ("" when the
    flag is there), from the catalogue: rendered when shown, never recorded."""
    if not oom_flag_missing(result):
        return ""
    engine = str(result.get("engine") or "?")
    key = "podman" if engine.lower().startswith("podman") else "other"
    version = str(result.get("engine_version") or "")
    return t(f"plot.02.oom.engine_gap.{key}", engine=f"{engine} {version}".strip())


def cpu_note(usage: Mapping[str, Any]) -> str:
    """What to make of :func:`throttling_missing` ("" when the counters are there)."""
    if not throttling_missing(usage):
        return ""
    return t("plot.02.cpu.engine_gap", engine=str(usage.get("engine") or "?"))


def throttling_missing(usage: Mapping[str, Any]) -> bool:
    """A CPU limit, samples of the limited container, yet no CFS period counted: the
    engine's stats leave the throttling counters at zero (Podman on cgroup v1)."""
    limited = (usage.get("series") or {}).get("limited") or {}
    throttling = usage.get("throttling") or {}
    return (
        bool(usage.get("limit_cpus"))
        and len(limited.get("cpus") or []) > 1
        and not throttling.get("periods")
    )


_DOCKER_TIME = re.compile(r"^(.+T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)?$")


def parse_docker_time(stamp: str) -> float:
    """``2026-11-28T04:32:07.518644184Z`` (the stats API's "read") -> Unix seconds,
    keeping the nanoseconds that ``datetime`` would drop."""
    import datetime as dt

    match = _DOCKER_TIME.match(stamp.strip())
    if match is None:
        raise ValueError(f"not a Docker timestamp: {stamp!r}")
    head, fraction, zone = match.groups()
    zone = "+00:00" if zone in (None, "Z") else zone
    base = dt.datetime.fromisoformat(head + zone)
    return base.timestamp() + (float(f"0.{fraction}") if fraction else 0.0)


def cpu_rates(
    samples: Sequence[Mapping[str, Any]], start: float
) -> dict[str, list[float]]:
    """Stats samples (``read``, ``cpu_ns``) -> CPUs used between consecutive samples.

    ``t_s`` is the middle of each interval, in seconds after ``start``; ``cpus`` is CPU
    time over wall time (1.0 = one CPU busy all the time).
    """
    t_s: list[float] = []
    cpus: list[float] = []
    for before, after in itertools.pairwise(samples):
        wall = after["read"] - before["read"]
        if wall <= 0:
            continue
        t_s.append(round((before["read"] + after["read"]) / 2 - start, 3))
        cpus.append(round((after["cpu_ns"] - before["cpu_ns"]) / 1e9 / wall, 4))
    return {"t_s": t_s, "cpus": cpus}


def _stream_stats(
    client: docker.DockerClient,
    container_id: str,
    count: int,
    out: list[dict[str, Any]],
    tick: Callable[[], None] | None,
) -> None:
    stream = client.api.stats(container_id, stream=True, decode=True)
    try:
        for raw in stream:
            cpu = raw.get("cpu_stats") or {}
            total = (cpu.get("cpu_usage") or {}).get("total_usage")
            if total is None or not raw.get("read", "").startswith("2"):
                continue
            throttling = cpu.get("throttling_data") or {}
            out.append(
                {
                    "read": parse_docker_time(raw["read"]),
                    "cpu_ns": int(total),
                    "periods": int(throttling.get("periods", 0)),
                    "throttled_periods": int(throttling.get("throttled_periods", 0)),
                    "online_cpus": int(cpu.get("online_cpus") or 0),
                }
            )
            if tick is not None:
                tick()
            if len(out) >= count:
                break
    finally:
        close = getattr(stream, "close", None)
        if close is not None:
            close()


def sample_cpu(
    client: docker.DockerClient,
    image_ref: str,
    *,
    cpus: float = 0.5,
    samples: int = 8,
    chapter: str = "02",
    progress: bool = True,
) -> dict[str, Any]:
    """Two containers run the same busy loop, one under ``--cpus``; the engine's stats
    API (``docker stats``) reports their CPU time about once a second.

    Returns the CPU use of each over time (``series``: ``unlimited`` and ``limited``,
    each with ``t_s`` and ``cpus``), the limit, the engine's CPU count, the throttling
    counters of the limited one (periods of 100 ms in which it hit its quota) and the
    ``docker run`` lines. Takes about ``samples`` seconds.
    """
    options = {"unlimited": {}, "limited": {"nano_cpus": int(cpus * 1e9)}}
    command = ["sh", "-c", BUSY_LOOP]
    collected: dict[str, list[dict[str, Any]]] = {key: [] for key in options}
    bar = _progress(samples + 1) if progress else None
    lock = threading.Lock()

    def tick() -> None:
        if bar is not None:
            with lock:
                bar.update(1)

    with ExitStack() as stack:
        started = {
            key: stack.enter_context(
                _running(
                    client,
                    image_ref,
                    command,
                    chapter=chapter,
                    purpose=f"cpu-{key}",
                    **opts,
                )
            )
            for key, opts in options.items()
        }
        threads = [
            threading.Thread(
                target=_stream_stats,
                args=(
                    client,
                    started[key].id,
                    samples + 1,
                    collected[key],
                    tick if key == "limited" else None,
                ),
                daemon=True,
            )
            for key in options
        ]
        with call_timeout(client, samples + 15.0):
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=samples + 20.0)
    if bar is not None:
        bar.close()
    reads = [s["read"] for series in collected.values() for s in series]
    start = min(reads) if reads else 0.0
    limited = collected["limited"]
    online = max((s["online_cpus"] for s in limited), default=0)
    return {
        "engine": product_of(client),
        "limit_cpus": cpus,
        "online_cpus": online,
        "series": {key: cpu_rates(collected[key], start) for key in options},
        "throttling": {
            "periods": limited[-1]["periods"] - limited[0]["periods"] if limited else 0,
            "throttled_periods": (
                limited[-1]["throttled_periods"] - limited[0]["throttled_periods"]
                if limited
                else 0
            ),
        },
        "commands": {
            key: docker_run(image_ref, command, opts, detach=True)
            for key, opts in options.items()
        },
    }


def _progress(total: int) -> Any:
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=t("plot.02.cpu.progress"), unit=t("plot.02.cpu.unit"))


def blkio_weight_warnings(
    client: docker.DockerClient,
    image_ref: str,
    *,
    weight: int = 300,
    chapter: str = "02",
) -> dict[str, Any]:
    """Create (not start) a container with ``--blkio-weight``: the engine's warnings and
    the weight it kept (0 when it discarded it: cgroup v1 without CFQ, or no BFQ)."""
    from .resources import labels, new_name

    name = new_name(chapter, "blkio")
    host_config = client.api.create_host_config(blkio_weight=weight)
    created = client.api.create_container(
        image_ref, ["true"], name=name, host_config=host_config, labels=labels(chapter)
    )
    try:
        kept = client.api.inspect_container(created["Id"])["HostConfig"].get(
            "BlkioWeight"
        )
    finally:
        client.api.remove_container(created["Id"], force=True)
    return {
        "asked": weight,
        "kept": int(kept or 0),
        "warnings": list(created.get("Warnings") or []),
    }


def run_label(session: Session) -> str:
    """What a plot says about its data: LIVE on this engine, or RECORDED with provenance."""
    engine = session.engine
    if session.live and engine is not None:
        return t(
            "plot.02.cpu.live",
            product=engine.product,
            version=engine.version,
            os_arch=f"{engine.os}/{engine.arch}",
            cgroup=engine.cgroup_version,
            ncpu=engine.ncpu,
        )
    if session.provenance is not None:
        from .recorded import provenance_label

        return t("plot.02.cpu.recorded", label=provenance_label(session.provenance))
    return t("plot.02.cpu.recorded", label="?")
