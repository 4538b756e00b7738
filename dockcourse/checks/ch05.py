"""Exercise checks of chapter 05 (Docker Machine and remote engines).

Both inspect the real state: the context files through docker-py's ContextAPI, and the
engine by connecting through the context, as the course's own client would.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from .. import contexts
from ..engine import EngineUnavailable, resolve_endpoint
from ..text import t
from . import Verdict, failed, passed, run_check

if TYPE_CHECKING:
    import docker

    from ..session import Session

EXERCISE_CONTEXT = "dockcourse-ex05"


def _course_url(session: Session) -> str:
    return session.engine.endpoint if session.engine else resolve_endpoint({}).url


def _answers_through(
    session: Session, client: docker.DockerClient, name: str, host: str
) -> Verdict:
    """A failing verdict unless the course's engine answers through context ``name``."""
    try:
        through = contexts.connect_through(name)
    except EngineUnavailable as exc:
        return failed(
            t("check.05.context.no_engine", name=name, host=host, cause=exc.cause),
            t("check.05.context.no_engine_hint", url=_course_url(session), name=name),
        )
    try:
        same = contexts.engine_id(through) == contexts.engine_id(client)
    finally:
        through.close()
    if not same:
        return failed(
            t("check.05.context.other_engine", name=name, host=host),
            t("check.05.context.no_engine_hint", url=_course_url(session), name=name),
        )
    return passed(t("check.05.context.ok", name=name, host=host))


def check_context(session: Session, name: str = EXERCISE_CONTEXT) -> Verdict:
    """Exercise 1: a context ``name`` exists and the course's engine answers through it."""

    def inspect(client: docker.DockerClient) -> Verdict:
        host = contexts.endpoint_of(name)
        if host is None:
            return failed(
                t("check.05.context.missing", name=name, store=contexts.config_dir()),
                t("check.05.context.missing_hint", name=name, url=_course_url(session)),
            )
        return _answers_through(session, client, name, host)

    return run_check(session, t("check.05.context.what", name=name), inspect)


def check_following(session: Session, name: str = EXERCISE_CONTEXT) -> Verdict:
    """Exercise 2: this process follows context ``name`` through ``DOCKER_CONTEXT`` (not
    through ``currentContext`` in config.json), and an engine answers there."""

    def inspect(client: docker.DockerClient) -> Verdict:
        try:
            endpoint = resolve_endpoint()
        except EngineUnavailable as exc:
            return failed(exc.cause, exc.fix)
        wanted = f"context {name}"
        if endpoint.source == "DOCKER_HOST":
            return failed(
                t("check.05.follow.docker_host", url=endpoint.url, name=name),
                t("check.05.follow.docker_host_hint", name=name),
            )
        if endpoint.source == wanted and os.environ.get("DOCKER_CONTEXT") != name:
            return failed(  # followed through currentContext: `docker context use`
                t("check.05.follow.config", name=name),
                t("check.05.follow.config_hint", name=name),
            )
        if endpoint.source != wanted:
            return failed(
                t("check.05.follow.other", source=endpoint.source, url=endpoint.url),
                t("check.05.follow.hint", name=name),
            )
        verdict = _answers_through(session, client, name, endpoint.url)
        if not verdict.passed:
            return verdict
        return passed(t("check.05.follow.ok", name=name, url=endpoint.url))

    return run_check(session, t("check.05.follow.what", name=name), inspect)
