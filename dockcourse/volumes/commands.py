"""The ``docker`` command equivalent to each operation, as the learner would type it.

The course's bookkeeping labels (session, host, pid, time) are left out for brevity;
the course label and the chapter label are shown, and a comment counts the others.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from ..commands import command_line, docker_run
from ..resources import (
    LABEL_CHAPTER,
    LABEL_COURSE,
)
from ..resources import labels as course_labels
from ..text import t
from .model import (
    _STAT_FORMAT,
    CHAPTER,
    MOUNT_POINT,
    PREVIEW_MAX_BYTES,
    RESERVED_LABEL_PREFIX,
)
from .validate import volume_path


def _in_mount(path: str, mount: str = MOUNT_POINT) -> str:
    inner = volume_path(path)
    return mount if inner == "/" else mount + inner


def shown_labels(chapter: str) -> dict[str, str]:
    """The labels shown in command strings (the bookkeeping ones are elided)."""
    return {LABEL_COURSE: "true", LABEL_CHAPTER: chapter}


def labels_note(chapter: str, *, shown: bool = True) -> str:
    """A shell comment saying which course labels a command passes but does not spell
    out (``# + 5 course labels: …``), so the command never claims fewer than it sets."""
    hidden = [
        k for k in course_labels(chapter) if not shown or k not in shown_labels(chapter)
    ]
    keys = ", ".join(k.removeprefix(RESERVED_LABEL_PREFIX) for k in hidden)
    return "  # " + t("volumes.command.more_labels", count=len(hidden), keys=keys)


def cli_create(
    name: str,
    *,
    user_labels: Mapping[str, str] | None = None,
    driver: str = "local",
    driver_opts: Mapping[str, str] | None = None,
    chapter: str = CHAPTER,
) -> str:
    argv = ["docker", "volume", "create"]
    if driver != "local":
        argv += ["--driver", driver]
    for key, value in {**(user_labels or {}), **shown_labels(chapter)}.items():
        argv += ["--label", f"{key}={value}" if value != "" else key]
    for key, value in (driver_opts or {}).items():
        argv += ["--opt", f"{key}={value}"]
    return command_line([*argv, name]) + labels_note(chapter)


def cli_ls(which: str = "all") -> str:
    extra = {
        "all": [],
        "in_use": ["--filter", "dangling=false"],
        "unused": ["--filter", "dangling=true"],
        "course": ["--filter", f"label={LABEL_COURSE}=true"],
    }[which]
    return command_line(["docker", "volume", "ls", *extra])


def cli_run(
    image_ref: str,
    argv: list[str],
    mounts: Mapping[str, str],
    *,
    workdir: str | None = None,
    rm: bool = True,
    verb: str = "run",
    name: str | None = None,
    chapter: str | None = CHAPTER,
) -> str:
    """``docker run --rm --network=none -v vol:/data[:ro] IMAGE ARGV...``.

    ``mounts`` maps volume name -> ``/path`` or ``/path:ro``. With a ``chapter``, a
    comment says which course labels the helper container gets.
    """
    options: dict[str, Any] = {"name": name} if name else {}
    options |= {"network_mode": "none", "volumes": dict(mounts)}
    if workdir:
        options["working_dir"] = workdir
    note = labels_note(chapter, shown=False) if chapter else ""
    return docker_run(image_ref, argv, options, rm=rm, verb=verb) + note


BACKUP_ARGV = ["tar", "-cf", "/tmp/backup.tar", "-C", MOUNT_POINT, "."]
RESTORE_ARGV = ["tar", "-xf", "/tmp/backup.tar", "-C", MOUNT_POINT]
CLONE_ARGV = ["sh", "-c", "cd /from && tar -cf - . | tar -xf - -C /to"]
#: Stands for the helper container's name in commands shown before it exists.
HELPER_PLACEHOLDER = "helper"


def browse_argv(path: str) -> list[str]:
    target = _in_mount(path)
    return ["find", target, "-mindepth", "1", "-maxdepth", "1",
            "-exec", "stat", "-c", _STAT_FORMAT, "{}", "+"]  # fmt: skip


def preview_argv(path: str, max_bytes: int = PREVIEW_MAX_BYTES) -> list[str]:
    return ["head", "-c", str(max_bytes + 1), _in_mount(path)]


def cli_inspect(name: str, *, in_use: bool = False) -> str:
    command = command_line(["docker", "volume", "inspect", name])
    if in_use:
        command += "\n" + command_line(
            ["docker", "ps", "-a", "--filter", f"volume={name}"]
        )
    return command


def cli_browse(image_ref: str, name: str, path: str = "/") -> str:
    return cli_run(image_ref, browse_argv(path), {name: f"{MOUNT_POINT}:ro"})


def cli_preview(image_ref: str, name: str, path: str) -> str:
    return cli_run(image_ref, preview_argv(path), {name: f"{MOUNT_POINT}:ro"})


def cli_use(image_ref: str, name: str, shell_command: str) -> str:
    argv = ["sh", "-c", shell_command]
    return cli_run(image_ref, argv, {name: MOUNT_POINT}, workdir=MOUNT_POINT)


def cli_backup(
    image_ref: str,
    name: str,
    path: str | os.PathLike[str],
    helper: str = HELPER_PLACEHOLDER,
) -> str:
    mounts = {name: f"{MOUNT_POINT}:ro"}
    return "\n".join([
        cli_run(image_ref, BACKUP_ARGV, mounts, verb="create", name=helper),
        command_line(["docker", "start", "-a", helper]),
        command_line(["docker", "cp", f"{helper}:/tmp/backup.tar", str(path)]),
        command_line(["docker", "rm", helper]),
    ])  # fmt: skip


def cli_restore(
    image_ref: str,
    name: str,
    path: str | os.PathLike[str],
    helper: str = HELPER_PLACEHOLDER,
) -> str:
    mounts = {name: MOUNT_POINT}
    return "\n".join([
        cli_run(image_ref, RESTORE_ARGV, mounts, verb="create", name=helper),
        command_line(["docker", "cp", str(path), f"{helper}:/tmp/backup.tar"]),
        command_line(["docker", "start", "-a", helper]),
        command_line(["docker", "rm", helper]),
    ])  # fmt: skip


def cli_clone(
    image_ref: str, source: str, target: str, *, chapter: str = CHAPTER
) -> str:
    mounts = {source: "/from:ro", target: "/to"}
    create = cli_create(target, chapter=chapter)
    return f"{create}\n{cli_run(image_ref, CLONE_ARGV, mounts)}"


def cli_remove(name: str) -> str:
    return command_line(["docker", "volume", "rm", name])
