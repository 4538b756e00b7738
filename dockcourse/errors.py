"""The root of every course exception (docker-py's rule: callers catch one type).

Every predictable failure the course raises is a :class:`CourseError`: it says what
happened (``cause``) and what to do (``fix``), both already in the learner's language
(catalogue text, :func:`dockcourse.text.t`). A caller that wants "anything the course
can explain" writes ``except CourseError as exc`` and shows ``exc.cause`` and
``exc.fix``; ``except Exception`` is left for guards that must survive anything (a
widget's click handler, a thread, cleanup at exit), each with a comment saying so.

Foundation layer (CONTRIBUTING.md, "Package layers"): imports nothing of the package.
"""

from __future__ import annotations


class CourseError(Exception):
    """A failure the course predicted: ``cause`` (what happened) and ``fix`` (what to
    do; empty when there is nothing to do but read the cause).

    ``CourseError("message")`` makes the message the cause. ``str(exc)`` is the message,
    which by default is ``"cause — fix"``."""

    cause: str
    fix: str

    def __init__(self, message: str = "", *, cause: str = "", fix: str = "") -> None:
        self.cause = cause or message
        self.fix = fix
        if not message:
            message = f"{self.cause} — {fix}" if fix else self.cause
        super().__init__(message)
