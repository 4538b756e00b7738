"""Chapter 06's lesson steps (volumes) and their display.

Steps (recorded live, replayed in recorded mode, keyed by what was asked):

- :func:`browse`: a volume's files, as the workbench's Browse tab lists them;
- :func:`mountpoint`: whether this notebook can look into a volume's ``Mountpoint``;
- :func:`owner_on_host`: who owns, on this machine, a file a container wrote through a
  bind mount (root in a container with a host mount is root on the host);
- :func:`backup_and_restore`: the workbench's Back up and Restore, into a new volume.

Display (data in, text out, in the reader's language): :func:`browse_listing`,
:func:`describe_mountpoint`, :func:`owner_note`, :func:`backup_commands`, and
:func:`terminal_steps`, the source's ``docker run -it -v myvolume:/data`` for
JupyterLab's Terminal (exercise 3, checked by ``checks.ch06.check_shell``).

Everything else the chapter does is a ``%docker`` command or ``course.run``. The volume
work itself is in :mod:`dockcourse.volumes`.
"""

from __future__ import annotations

import os
import shlex
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .. import volumes as vol
from ..cli_magic import terminal_prefix
from ..session import Session, step
from ..text import t

__all__ = [
    "backup_and_restore",
    "backup_commands",
    "browse",
    "browse_listing",
    "describe_mountpoint",
    "mountpoint",
    "owner_note",
    "owner_on_host",
    "terminal_steps",
]

CHAPTER = "06"
#: Exercise 3: what the learner writes at the Terminal's prompt, and where.
SHELL_FILE = "note.txt"


@step()
def browse(course: Session, volume: str, path: str = "/") -> dict[str, Any]:
    """The entries of one folder of ``volume`` (name, kind, bytes), listed by a
    short-lived helper container that mounts it read-only."""
    found = vol.browse(
        course.require_client(), course.image_ref, volume, path, chapter=CHAPTER
    )
    return {
        "volume": volume,
        "path": found.path,
        "image": course.image_ref,
        "entries": [[e.name, e.kind, e.size_bytes] for e in found.entries],
    }


def browse_listing(found: Mapping[str, Any]) -> str:
    """The helper container's command, then one line per entry."""
    command = vol.cli_browse(str(found["image"]), str(found["volume"]), found["path"])
    rows = [f"{name:<16} {kind:<5} {size} B" for name, kind, size in found["entries"]]
    return "\n".join([f"$ {command}", *rows])


@step()
def mountpoint(course: Session, volume: str) -> dict[str, Any]:
    """Whether this notebook can look into ``volume``'s ``Mountpoint`` (the folder
    ``docker volume inspect`` names): ``state`` is open, root_only, elsewhere or
    hidden (:func:`describe_mountpoint` says it in words)."""
    details = course.require_client().api.inspect_volume(volume)
    return vol.mountpoint_view(str(details["Mountpoint"]), course.engine_sees_files())


describe_mountpoint = vol.describe_mountpoint


@step(shared_files=True)
def owner_on_host(course: Session, path: str) -> dict[str, Any]:
    """Who owns ``path`` on this machine (a file a container wrote through a bind
    mount), who this notebook runs as, and whether it may change the file."""
    found = os.stat(path)
    info = course.engine
    return {
        "name": Path(path).name,
        "uid": found.st_uid,
        "gid": found.st_gid,
        "mode": stat.filemode(found.st_mode),
        "me": os.geteuid(),
        "can_write": os.access(path, os.W_OK),
        "rootless": bool(info and info.rootless),
    }


def owner_note(owner: Mapping[str, Any]) -> str:
    """``ls -ln``'s view of the file on this machine, then what it means: owned by
    root (and this notebook is not root), owned by root with the notebook root too,
    owned by the notebook's own user (a rootless or remapped engine), or by another
    uid (user-namespace remapping)."""
    uid, me = int(owner["uid"]), int(owner["me"])
    if uid == 0:
        case = "root_me_root" if me == 0 else "root"
    elif uid == me:
        case = "mine"
    else:
        case = "remapped"
    listing = f"{owner['mode']} {uid} {owner['gid']} {owner['name']}"
    return "\n".join([
        t("lesson.06.owner.ls", listing=listing),
        t(f"lesson.06.owner.{case}", uid=uid, me=me, name=owner["name"]),
    ])  # fmt: skip


@step()
def backup_and_restore(
    course: Session, volume: str, restored: str, tar: str
) -> dict[str, Any]:
    """The workbench's Back up (``volume`` into the tar file ``tar``, through ``docker
    cp``), then a new course volume ``restored`` and Restore into it."""
    client = course.require_client()
    saved = vol.backup(
        client, course.image_ref, volume, tar, overwrite=True, chapter=CHAPTER
    )
    vol.create_volume(client, restored, chapter=CHAPTER)
    vol.restore(client, course.image_ref, restored, tar, chapter=CHAPTER)
    return {
        "volume": volume,
        "restored": restored,
        "tar": tar,
        "size_bytes": saved.size_bytes,
        "image": course.image_ref,
    }


def backup_commands(done: Mapping[str, Any]) -> str:
    """The ``docker`` commands the backup and the restore ran, in order."""
    image, tar = str(done["image"]), str(done["tar"])
    return "\n".join([
        vol.cli_backup(image, str(done["volume"]), tar),
        vol.cli_create(str(done["restored"]), chapter=CHAPTER),
        vol.cli_restore(image, str(done["restored"]), tar),
    ])  # fmt: skip


def terminal_steps(course: Session, volume: str) -> str:
    """Exercise 3 for JupyterLab's Terminal: the source's ``docker run -it -v
    myvolume:/data … sh`` with ``volume`` (the session's name, never the learner's own
    ``myvolume``), what to type at the prompt, and the ``docker volume rm`` line for
    afterwards. The command reaches this notebook's engine (``DOCKER_HOST=…`` or
    ``--context`` when it is not the default one)."""
    prefix = list(terminal_prefix(course))
    image = course.image_ref or "IMAGE"
    run = [*prefix, "run", "-it", "--rm", "-v", f"{volume}:/data", image, "sh"]
    remove = [*prefix, "volume", "rm", volume]
    write = f"hostname > /data/{SHELL_FILE}"  # the container's name, in the volume
    return t(
        "lesson.06.terminal",
        run=" ".join(shlex.quote(w) if "=" not in w else w for w in run),
        write=write,
        remove=" ".join(shlex.quote(w) if "=" not in w else w for w in remove),
    )
