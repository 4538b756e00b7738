"""The container start-up a learner sees at a prompt: ``docker run --rm`` timed whole.

The ``container-none`` series times the engine's API calls (create → start → wait →
remove) so that it can split them into phases. What a learner types, ``docker run --rm
--network none IMAGE true``, also pays for the ``docker`` program's own start-up, its
attach to the output and its wait for removal. :func:`measure_container_cli` times exactly
that command, the same path ``hyperfine`` times, so the two agree; the chapter shows both
series side by side and the difference between them is the CLI's share. Used by
``dockcourse bench`` and chapter 01.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable

from .. import resources
from ..text import t
from .results import MeasurementUnavailable, StartupSample

SERIES_KEY = "container-cli"
CHAPTER = "01"
TIMEOUT_S = 120.0


def cli_command(image_ref: str, chapter: str = CHAPTER) -> list[str]:
    """``docker run --rm --network none --label … IMAGE true`` (the course's labels)."""
    labels = [
        arg
        for key, value in resources.labels(chapter, role="measure").items()
        for arg in ("--label", f"{key}={value}")
    ]
    return ["docker", "run", "--rm", "--network", "none", *labels, image_ref, "true"]


def measure_container_cli(
    runs: int = 5,
    *,
    image_ref: str,
    warmup: int = 1,
    chapter: str = CHAPTER,
    start_index: int = 0,
    on_sample: Callable[[StartupSample], None] | None = None,
    progress: bool | None = None,
) -> list[StartupSample]:
    """Time ``warmup + runs`` whole ``docker run --rm`` commands on the session's engine.

    The CLI finds the engine as the course does (``DOCKER_HOST``, then the context), from
    the same environment. MeasurementUnavailable when no ``docker`` program is installed.
    """
    docker = shutil.which("docker")
    if docker is None:
        raise MeasurementUnavailable(
            SERIES_KEY, t("measure.cli.missing.cause"), t("measure.cli.missing.fix")
        )
    from .startup import _measure_command

    shown = " ".join(cli_command(image_ref, chapter)[:5])
    return _measure_command(
        SERIES_KEY,
        [docker, *cli_command(image_ref, chapter)[1:]],
        runs,
        warmup,
        start_index,
        on_sample,
        progress,
        {"command": shown},
        fails_as=SERIES_KEY,
        timeout_s=TIMEOUT_S,
    )
