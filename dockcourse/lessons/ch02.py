"""Chapter 02's lesson steps (containers are isolated processes) and their display.

Each step takes the session and returns data (recorded live, replayed in recorded mode,
see :func:`dockcourse.session.step`); the display helpers turn that data into text
through the catalogues, in the reader's language:

- :func:`namespaces` / :func:`namespace_table`: the namespaces of three containers
  beside the host's;
- :func:`host_view` / :func:`host_view_lines`: a container's main process seen from
  the host;
- :func:`oom` / :func:`oom_report`, :func:`oom_summary`: a container that outgrows its
  memory limit, and what ``docker inspect`` says;
- :func:`cpu_usage` / :func:`cpu_commands`, :func:`cpu_summary`: a busy loop with and
  without ``--cpus`` (``plots.plot_cpu_quota`` draws it);
- :func:`blkio` / :func:`blkio_report`: what the engine does with a block-I/O weight.

The measuring itself is in :mod:`dockcourse.isolation`.
"""

from __future__ import annotations

from collections.abc import Mapping
from statistics import mean
from typing import Any

from .. import isolation
from ..isolation import host_view_lines, namespace_table
from ..session import Session, step
from ..text import t

__all__ = [
    "blkio",
    "blkio_report",
    "cpu_commands",
    "cpu_summary",
    "cpu_usage",
    "host_view",
    "host_view_lines",
    "namespace_table",
    "namespaces",
    "oom",
    "oom_report",
    "oom_summary",
]


@step()
def namespaces(course: Session) -> dict[str, Any]:
    """Containers A, B and C (``--pid=host``), running at once, and the host's
    namespaces (``isolation.container_namespaces``)."""
    return isolation.container_namespaces(
        course.require_client(), course.image_ref, chapter=course.chapter
    )


@step()
def host_view(course: Session) -> dict[str, Any]:
    """A running ``sleep 120`` seen from the host (``isolation.host_view``)."""
    return isolation.host_view(
        course.require_client(), course.image_ref, chapter=course.chapter
    )


@step()
def oom(course: Session, mem_limit: str = "32m") -> dict[str, Any]:
    """``tail /dev/zero`` under ``--memory`` (and as much ``--memory-swap``) until it
    ends; ``docker inspect`` afterwards (``isolation.oom_kill``)."""
    return isolation.oom_kill(
        course.require_client(),
        course.image_ref,
        mem_limit=mem_limit,
        chapter=course.chapter,
    )


def oom_report(found: Mapping[str, Any]) -> str:
    """The ``docker run`` line, the ``docker inspect`` line and ``State``; and, when the
    engine left ``OOMKilled`` false after a SIGKILL, what that does (not) show."""
    lines = [
        f"$ {found['command']}",
        f"$ docker inspect --format '{{{{json .State}}}}' {found['name']}",
        str(found["State"]),
    ]
    note = isolation.oom_note(found)
    return "\n".join([*lines, note] if note else lines)


def oom_summary(found: Mapping[str, Any]) -> str:
    """``State.OOMKilled``, the exit code as 128 + signal, and the limit, in words."""
    state, limits = found["State"], found["HostConfig"]
    memory = int(limits["Memory"] or 0)
    return t(
        "plot.02.oom.summary",
        oom=state["OOMKilled"],
        code=state["ExitCode"],
        signal=int(state["ExitCode"]) - 128,
        memory=memory,
        mib=memory / 2**20,
    )


@step()
def cpu_usage(course: Session, cpus: float = 0.5, samples: int = 8) -> dict[str, Any]:
    """Two busy loops, one under ``--cpus``, sampled from the stats API about once a
    second (``isolation.sample_cpu``)."""
    return isolation.sample_cpu(
        course.require_client(),
        course.image_ref,
        cpus=cpus,
        samples=samples,
        chapter=course.chapter,
    )


def cpu_commands(usage: Mapping[str, Any]) -> str:
    """The two ``docker run -d`` lines; and why a throttling count is missing, if it is."""
    lines = [f"$ {command}" for command in usage["commands"].values()]
    note = isolation.cpu_note(usage)
    return "\n".join([*lines, note] if note else lines)


def cpu_summary(usage: Mapping[str, Any]) -> str:
    """Mean CPU use of each loop, the limit, and the throttled periods."""
    series = usage["series"]
    return t(
        "plot.02.cpu.summary",
        unlimited=mean(series["unlimited"]["cpus"] or [0.0]),
        limited=mean(series["limited"]["cpus"] or [0.0]),
        limit=usage["limit_cpus"],
        **usage["throttling"],
    )


@step()
def blkio(course: Session, weight: int = 300) -> dict[str, Any]:
    """A container created (not started) with ``--blkio-weight``: what the engine kept
    and said (``isolation.blkio_weight_warnings``)."""
    return isolation.blkio_weight_warnings(
        course.require_client(), course.image_ref, weight=weight, chapter=course.chapter
    )


def blkio_report(found: Mapping[str, Any]) -> str:
    """The weight asked for and kept, then each of the engine's warnings."""
    lines = [t("plot.02.blkio.summary", asked=found["asked"], kept=found["kept"])]
    lines += [t("plot.02.blkio.warning", warning=w) for w in found["warnings"]]
    return "\n".join(lines)
