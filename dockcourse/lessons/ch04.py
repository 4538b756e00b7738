"""Chapter 04's lesson steps (Dockerfile) and their display.

- :func:`build`: ``docker build -t IMAGE .`` of a Dockerfile and its files, timed, as a
  lesson step (recorded live, replayed in recorded mode), tagged with this session's
  name for the image (``course.image_name(purpose)``), so that two notebooks on one
  engine never build over each other's images;
- :func:`build_log`: what ``docker build`` printed; :func:`cache_summary`: builds'
  cache hits and times in words (``plots.plot_build_cache`` draws them);
- :func:`context_files`: what a build context sends, after ``.dockerignore``.

The building itself is in :mod:`dockcourse.builds`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .. import builds
from ..builds import context_files
from ..builds import format_build as build_log
from ..session import Session, step
from ..text import t

__all__ = ["build", "build_log", "cache_summary", "context_files"]


@step()
def build(
    course: Session,
    purpose: str,
    dockerfile: str,
    files: dict[str, str] | None = None,
    nocache: bool = False,
) -> dict[str, Any]:
    """``docker build -t IMAGE .`` where IMAGE is ``course.image_name(purpose)`` and the
    context holds the Dockerfile and ``files`` (``builds.build``): the log, the steps
    and which came from the cache, the time, and ``error`` ("" when it worked)."""
    return builds.build(
        course.require_client(),
        dockerfile,
        tag=course.image_name(purpose),
        chapter=course.chapter,
        files=files,
        nocache=nocache,
    )


def cache_summary(runs: Mapping[str, Mapping[str, Any]]) -> str:
    """One line per build of ``runs`` ({"cold"|"again"|"changed": build}): how many
    steps came from the cache, and how long it took."""
    return "\n".join(
        t(
            "plot.04.summary",
            name=t(f"plot.04.run.{name}"),
            hits=run["cache_hits"],
            steps=run["cacheable"],
            seconds=run["elapsed_s"],
        )
        for name, run in runs.items()
    )
