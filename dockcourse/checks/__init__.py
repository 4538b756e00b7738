"""Exercise checks: each inspects the real engine and returns a :class:`Verdict`.

A check never raises for a predictable condition: a wrong answer is a failing verdict with
a hint, and in recorded mode (no engine) the verdict says what the check would inspect.
Each chapter's checks live in ``checks/chNN.py``; their texts are in the catalogues under
``check.NN.*`` so both editions share the code. Used by chapters 01–06.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .. import progress
from ..text import t

if TYPE_CHECKING:
    import docker

    from ..session import Session

STATUSES = ("pass", "fail", "recorded")


@dataclass(frozen=True)
class Verdict:
    """The outcome of one exercise check."""

    status: str  # "pass", "fail" or "recorded"
    detail: str
    hint: str = ""

    @property
    def passed(self) -> bool:
        return self.status == "pass"

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        if self.status == "recorded":
            return t("check.recorded", what=self.detail)
        head = t("check.pass" if self.passed else "check.fail", detail=self.detail)
        return (
            head
            if self.passed or not self.hint
            else f"{head}\n{t('check.hint', hint=self.hint)}"
        )

    def __repr__(self) -> str:
        return str(self)


def inspected(
    inspect: Callable[[str], dict[str, Any]], ref: str
) -> dict[str, Any] | None:
    """``inspect(ref)`` (``client.api.inspect_image``, ``inspect_volume``...), or None when
    the engine has no such object: the usual first step of a check."""
    import docker.errors

    try:
        return inspect(ref)
    except docker.errors.NotFound:
        return None


def passed(detail: str) -> Verdict:
    return Verdict("pass", detail)


def failed(detail: str, hint: str) -> Verdict:
    return Verdict("fail", detail, hint)


def run_check(
    session: Session, what: str, inspect: Callable[[docker.DockerClient], Verdict]
) -> Verdict:
    """``inspect(client)`` on the live engine; in recorded mode, say what it would check.
    A live verdict is noted in the learner's progress record (:mod:`..progress`) under
    the name of the ``check_*`` function that called this one."""
    if session.client is None:
        return Verdict("recorded", what)
    import docker.errors

    try:
        verdict = inspect(session.client)
    except docker.errors.DockerException as exc:
        verdict = failed(
            t("check.engine_error", error=str(exc).splitlines()[0][:200]),
            t("check.engine_error_hint"),
        )
    progress.record(session.chapter, sys._getframe(1).f_code.co_name, verdict.passed)
    return verdict
