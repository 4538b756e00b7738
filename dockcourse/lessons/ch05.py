"""Chapter 05's lesson steps (Docker Machine and remote engines) and their display.

Each step is what one cell asks (``docker context ls``, ``create``, ``inspect``,
``use``, ``rm``, where the engine runs, who wins between ``DOCKER_HOST`` and a
context), recorded live and replayed in recorded mode; what they return are the
commands and what the CLI printed, as data (:mod:`dockcourse.contexts` does the work, in
a throw-away config directory from :func:`open_store` to :func:`close_store`).
:func:`show` prints steps as a terminal would.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .. import contexts
from ..contexts import close_store, open_store, precedence_table
from ..engine import resolve_endpoint
from ..session import Session, step

__all__ = [
    "close_store",
    "contexts_now",
    "create",
    "describe_engine_host",
    "endpoint",
    "engine_host",
    "follow",
    "inspect",
    "open_store",
    "precedence",
    "precedence_table",
    "remove",
    "resolve_endpoint",
    "show",
    "use_demo",
    "your_contexts",
]

Step = Mapping[str, Any]


@step()
def engine_host(course: Session) -> dict[str, Any]:
    """What ``docker info`` says about the machine the engine runs on."""
    return contexts.engine_host(course.require_client())


def describe_engine_host(host: Mapping[str, Any]) -> str:
    """Where the engine runs, in a sentence (a VM a tool made, or a Linux machine)."""
    return contexts.describe_engine_host(host)


@step()
def your_contexts(course: Session) -> dict[str, Any]:
    """``docker context ls`` in the learner's own config directory (read only)."""
    return dict(contexts.ls())


@step()
def endpoint(course: Session) -> str:
    """The endpoint ``setup()`` connected to (``unix:///var/run/docker.sock``...)."""
    return course.engine.endpoint if course.engine else resolve_endpoint({}).url


@step()
def create(course: Session, name: str, host: str) -> dict[str, Any]:
    """``docker context create NAME --docker host=HOST`` (course names only)."""
    return dict(contexts.create(name, host=host))


@step()
def contexts_now(course: Session) -> dict[str, Any]:
    """``docker context ls`` in the chapter's throw-away config directory."""
    return dict(contexts.ls())


@step()
def inspect(course: Session, name: str) -> list[dict[str, Any]]:
    """``docker context inspect`` of ``name``, then the file that is the context."""
    return [dict(s) for s in contexts.inspect(name)]


@step()
def follow(course: Session, name: str) -> dict[str, Any]:
    """This process switched to ``name`` (``DOCKER_CONTEXT``) for a moment: where the
    course's client goes, and whether the same engine answers there."""
    return contexts.follow(name, course.require_client())


@step()
def use_demo(course: Session, name: str) -> list[dict[str, Any]]:
    """``docker context use NAME`` and back, in the throw-away directory only."""
    return [dict(s) for s in contexts.use_demo(name)]


@step()
def precedence(course: Session, name: str) -> list[dict[str, Any]]:
    """Who wins between ``DOCKER_HOST``, ``DOCKER_CONTEXT`` and ``--context``."""
    return contexts.precedence(name)


@step()
def remove(course: Session, name: str) -> dict[str, Any]:
    """``docker context rm NAME`` (course names only)."""
    return dict(contexts.remove(name))


def show(steps: str | Step | Sequence[Step]) -> None:
    """Print steps as a terminal shows them (``$ command`` and its output), or a text."""
    if isinstance(steps, str):
        print(steps, end="" if steps.endswith("\n") else "\n")
        return
    for one in [steps] if isinstance(steps, Mapping) else steps:
        print(contexts.transcript(one), end="")
