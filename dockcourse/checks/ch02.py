"""Checks for chapter 02 (containers are isolated processes).

- :func:`check_sleeper`: a running container ``dockcourse-02-sleeper`` with hostname
  ``island`` (UTS namespace) and a 64 MiB memory limit (memory cgroup).
- :func:`check_hermit`: a running container ``dockcourse-02-hermit`` with no network
  (an empty network namespace) and at most half a CPU (CPU cgroup).

Each inspects the container on the real engine (``docker inspect``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..text import t
from . import Verdict, failed, passed, run_check

if TYPE_CHECKING:
    import docker

    from ..session import Session

SLEEPER = "dockcourse-02-sleeper"
SLEEPER_HOSTNAME = "island"
SLEEPER_MEMORY_BYTES = 64 * 1024 * 1024
HERMIT = "dockcourse-02-hermit"
HERMIT_CPUS = 0.5
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


def check_sleeper(session: Session, name: str = SLEEPER) -> Verdict:
    """Exercise 1: ``name`` runs, with hostname island and a 64 MiB memory limit."""

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


def check_hermit(session: Session, name: str = HERMIT) -> Verdict:
    """Exercise 2: ``name`` runs, with network mode none and at most half a CPU."""

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
