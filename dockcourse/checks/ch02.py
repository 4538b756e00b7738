"""Checks for chapter 02 (containers are isolated processes).

- :func:`check_sleeper`: a running container ``course.name("sleeper")`` with hostname
  ``island`` (UTS namespace) and a 64 MiB memory limit (memory cgroup).
- :func:`check_hermit`: a running container ``course.name("hermit")`` with no network
  (an empty network namespace) and at most half a CPU (CPU cgroup).
- :func:`check_life`: the container ``course.name("life")`` was run in the background,
  a command ``exec``'d in it wrote :data:`LIFE_FILE`, and it was stopped (not removed).
- :func:`check_removed`: then it was removed (after :func:`check_life` saw it).

Names are this session's (``Session.name``), printed by a cell before the exercises,
so two notebooks on one engine never share a container; the learner may pass another.
Each inspects the container on the real engine (``docker inspect``, ``docker diff``),
whoever made it: ``%docker``, ``course.start`` or the plain ``docker`` of a Terminal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..text import t
from . import Verdict, failed, inspected, passed, run_check

if TYPE_CHECKING:
    import docker

    from ..session import Session

SLEEPER = "sleeper"
SLEEPER_HOSTNAME = "island"
SLEEPER_MEMORY_BYTES = 64 * 1024 * 1024
HERMIT = "hermit"
HERMIT_CPUS = 0.5
LIFE = "life"
#: The file the learner's ``docker exec`` writes in the container.
LIFE_FILE = "/tmp/hello.txt"
#: Containers :func:`check_life` saw stopped, with the file: what :func:`check_removed`
#: may call "removed" (an empty exercise never made one).
_seen_stopped: set[str] = set()
#: The CFS period Docker uses when ``--cpu-period`` is not given (microseconds).
DEFAULT_CPU_PERIOD_US = 100_000


def effective_cpus(host_config: dict[str, Any]) -> float | None:
    """The CPU limit in CPUs from ``HostConfig``: ``--cpus`` (NanoCpus) or
    ``--cpu-quota``/``--cpu-period``; None when there is none."""
    nano = int(host_config.get("NanoCpus") or 0)
    if nano > 0:
        return nano / 1e9
    quota = int(host_config.get("CpuQuota") or 0)
    if quota > 0:
        period = int(host_config.get("CpuPeriod") or 0) or DEFAULT_CPU_PERIOD_US
        return quota / period
    return None


def _running(
    client: docker.DockerClient, name: str
) -> tuple[dict[str, Any] | None, Verdict | None]:
    """The container's inspect data if it runs; otherwise a failing verdict."""
    import docker.errors

    try:
        found: dict[str, Any] = client.api.inspect_container(name)
    except docker.errors.NotFound:
        return None, failed(
            t("check.02.missing", name=name), t("check.02.missing.hint", name=name)
        )
    state = found.get("State") or {}
    if not state.get("Running"):
        return None, failed(
            t(
                "check.02.not_running",
                name=name,
                status=state.get("Status", "?"),
                code=state.get("ExitCode", "?"),
            ),
            t("check.02.not_running.hint"),
        )
    return found, None


def check_sleeper(session: Session, name: str | None = None) -> Verdict:
    """Exercise 1: ``name`` (``session.name("sleeper")``) runs, with hostname island
    and a 64 MiB memory limit."""
    name = name or session.name(SLEEPER)

    def inspect(client: docker.DockerClient) -> Verdict:
        found, verdict = _running(client, name)
        if found is None:
            assert verdict is not None
            return verdict
        hostname = str((found.get("Config") or {}).get("Hostname", ""))
        if hostname != SLEEPER_HOSTNAME:
            return failed(
                t("check.02.sleeper.hostname", name=name, hostname=hostname),
                t("check.02.sleeper.hostname.hint"),
            )
        memory = int((found.get("HostConfig") or {}).get("Memory") or 0)
        if memory != SLEEPER_MEMORY_BYTES:
            shown = (
                f"{memory / 2**20:.4g} MiB ({memory} bytes)"
                if memory
                else t("check.02.no_limit")
            )
            return failed(
                t("check.02.sleeper.memory", name=name, found=shown),
                t("check.02.sleeper.memory.hint"),
            )
        return passed(
            t("check.02.sleeper.ok", name=name, hostname=hostname, mib=memory / 2**20)
        )

    return run_check(session, t("check.02.sleeper.what", name=name), inspect)


def check_hermit(session: Session, name: str | None = None) -> Verdict:
    """Exercise 2: ``name`` (``session.name("hermit")``) runs, with network mode none
    and at most half a CPU."""
    name = name or session.name(HERMIT)

    def inspect(client: docker.DockerClient) -> Verdict:
        found, verdict = _running(client, name)
        if found is None:
            assert verdict is not None
            return verdict
        host_config = found.get("HostConfig") or {}
        network = str(host_config.get("NetworkMode", ""))
        if network != "none":
            return failed(
                t("check.02.hermit.network", name=name, network=network),
                t("check.02.hermit.network.hint"),
            )
        cpus = effective_cpus(host_config)
        if cpus is None or abs(cpus - HERMIT_CPUS) > 1e-9:
            shown = t("check.02.any_cpu") if cpus is None else f"{cpus:g}"
            return failed(
                t("check.02.hermit.cpus", name=name, found=shown),
                t("check.02.hermit.cpus.hint"),
            )
        return passed(t("check.02.hermit.ok", name=name, cpus=cpus))

    return run_check(session, t("check.02.hermit.what", name=name), inspect)


def _wrote_file(client: docker.DockerClient, name: str) -> bool:
    """Whether the container's writable layer holds :data:`LIFE_FILE` (``docker diff``:
    what the container changed, readable after it stopped)."""
    changes = client.api.diff(name) or []
    return any(str(change.get("Path")) == LIFE_FILE for change in changes)


def _exit_meaning(code: int) -> str:
    """What ``docker ps -a``'s exit code says: killed by ``docker stop``, by another
    signal, or ended by itself."""
    if code == 137:
        return t("check.02.life.sigkill")
    if code > 128:
        return t("check.02.life.signal", code=code, signal=code - 128)
    return t("check.02.life.exit", code=code)


def check_life(session: Session, name: str | None = None) -> Verdict:
    """Exercise 3: ``name`` (``session.name("life")``) was started, a ``docker exec``
    wrote :data:`LIFE_FILE` in it, and it is stopped but not removed: ``docker ps -a``
    lists it as exited, with its exit code."""
    name = name or session.name(LIFE)

    def inspect(client: docker.DockerClient) -> Verdict:
        found = inspected(client.api.inspect_container, name)
        if found is None:
            return failed(
                t("check.02.missing", name=name), t("check.02.life.missing.hint")
            )
        state = found.get("State") or {}
        if state.get("Running"):
            return failed(
                t("check.02.life.running", name=name),
                t("check.02.life.running.hint", name=name),
            )
        if not _wrote_file(client, name):
            return failed(
                t("check.02.life.no_file", name=name, file=LIFE_FILE),
                t("check.02.life.no_file.hint", name=name, file=LIFE_FILE),
            )
        _seen_stopped.add(name)
        code = int(state.get("ExitCode") or 0)
        return passed(
            t("check.02.life.ok", name=name, file=LIFE_FILE, code=code)
            + " "
            + _exit_meaning(code)
        )

    return run_check(
        session, t("check.02.life.what", name=name, file=LIFE_FILE), inspect
    )


def check_removed(session: Session, name: str | None = None) -> Verdict:
    """Exercise 4: ``name`` is gone, after :func:`check_life` saw it stopped (so that
    a container never made does not count as removed)."""
    name = name or session.name(LIFE)

    def inspect(client: docker.DockerClient) -> Verdict:
        found = inspected(client.api.inspect_container, name)
        if found is not None:
            status = str((found.get("State") or {}).get("Status", "?"))
            return failed(
                t("check.02.removed.still", name=name, status=status),
                t("check.02.removed.still.hint", name=name),
            )
        if name not in _seen_stopped:
            return failed(
                t("check.02.removed.unseen", name=name),
                t("check.02.removed.unseen.hint"),
            )
        return passed(t("check.02.removed.ok", name=name))

    return run_check(session, t("check.02.removed.what", name=name), inspect)
