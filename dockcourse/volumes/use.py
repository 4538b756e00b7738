"""Using a volume from a container: ``docker run --rm -v NAME:/data ... sh -c CMD``."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from .commands import cli_use
from .helper import _helper
from .model import (
    CHAPTER,
    HELPER_TIMEOUT_S,
    MOUNT_POINT,
    Used,
)
from .ops import _get_row, _guard_change
from .validate import check_shell_command

if TYPE_CHECKING:
    import docker


def use_volume(
    client: docker.DockerClient,
    image_ref: str,
    name: str,
    shell_command: str,
    *,
    allow_learner: bool = False,
    timeout_s: float = HELPER_TIMEOUT_S,
    chapter: str = CHAPTER,
) -> Used:
    """``docker run --rm -v NAME:/data -w /data IMAGE sh -c COMMAND``.

    The container goes; what it wrote in ``/data`` stays."""
    argv = ["sh", "-c", shell_command]
    command = cli_use(image_ref, name, shell_command)
    check_shell_command(shell_command)
    row, _ = _get_row(client, name)
    _guard_change(row, allow_learner, command)
    start = time.perf_counter()
    code, output = _helper(
        client,
        image_ref,
        argv,
        {name: MOUNT_POINT},
        timeout_s=timeout_s,
        chapter=chapter,
        workdir=MOUNT_POINT,
    )
    return Used(name, code, output, time.perf_counter() - start, command)
