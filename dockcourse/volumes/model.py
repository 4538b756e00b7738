"""What a volume is to the course: its row (as ``docker volume ls`` + ``inspect`` +
``ps -a`` see it), the result of each operation, the errors, and the limits."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import CourseError
from ..recorded import Provenance
from ..resources import LABEL_COURSE
from ..text import t

CHAPTER = "06"
#: Docker's rule for volume (and container) names: ``RestrictedNamePattern``.
NAME_PATTERN = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9_.-]+")
#: The longest name the course accepts. The engine keeps a volume in a folder named
#: after it, and a file name has at most 255 bytes ("file name too long"): well under.
NAME_MAX = 64
#: The form the engine gives anonymous volumes (64 hex digits): not a name to choose.
ANONYMOUS_NAME = re.compile(r"[0-9a-f]{64}")
#: Limits for what a learner types into the workbench (keys, values, paths, commands).
KEY_MAX = 128
VALUE_MAX = 1024
PAIRS_MAX = 64
PATH_MAX = 1024
#: A file system's limit for one file or folder name, in bytes.
NAME_BYTES_MAX = 255
COMMAND_MAX = 4096
#: The options Docker's ``local`` driver knows (anything else it refuses).
LOCAL_OPTIONS = ("type", "device", "o", "size")
#: How much of a long or odd input a message repeats.
SHOWN_MAX = 40
#: Labels the course uses for its own bookkeeping; a learner may not set them.
RESERVED_LABEL_PREFIX = "io.dockcourse."
FILTERS = ("all", "in_use", "unused", "course")
MOUNT_POINT = "/data"
#: The local driver's options for an in-memory volume (a teaching example).
TMPFS_PRESET: dict[str, str] = {"type": "tmpfs", "device": "tmpfs", "o": "size=64m"}
PREVIEW_MAX_BYTES = 8192
HELPER_TIMEOUT_S = 30.0
TRANSFER_TIMEOUT_S = 300.0
#: ``find`` + ``stat`` print one line per entry: type|size|mtime|path.
_STAT_FORMAT = "%F|%s|%Y|%n"
_KINDS = {
    "regular file": "file",
    "regular empty file": "file",
    "directory": "dir",
    "symbolic link": "link",
}


# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class VolumeUser:
    """A container that mounts a volume (docker counts stopped ones too)."""

    container_id: str
    container_name: str
    destination: str
    read_only: bool
    state: str  # "running", "exited", "created", ...


@dataclass(frozen=True)
class VolumeRow:
    """One volume as ``docker volume ls`` + ``inspect`` + ``ps -a`` see it."""

    name: str
    driver: str
    created: str
    labels: Mapping[str, str]
    mountpoint: str
    scope: str
    options: Mapping[str, str]
    users: tuple[VolumeUser, ...] = ()

    @property
    def course_made(self) -> bool:
        return self.labels.get(LABEL_COURSE) == "true"

    @property
    def in_use(self) -> bool:
        return bool(self.users)


@dataclass(frozen=True)
class Listing:
    volumes: tuple[VolumeRow, ...]
    command: str
    elapsed_s: float
    mode: str = "live"  # or "recorded"
    provenance: Provenance | None = None


@dataclass(frozen=True)
class Sizes:
    #: bytes per volume name; None where the driver cannot tell ("unknown")
    size_bytes: Mapping[str, int | None]
    command: str
    elapsed_s: float


@dataclass(frozen=True)
class Created:
    volume: VolumeRow
    command: str


@dataclass(frozen=True)
class Inspected:
    volume: VolumeRow
    details: Mapping[str, Any]  # everything ``docker volume inspect`` says
    command: str


@dataclass(frozen=True)
class Entry:
    name: str
    kind: str  # "file", "dir", "link", "other"
    size_bytes: int
    modified_s: float  # seconds since the epoch


@dataclass(frozen=True)
class Browsed:
    volume: str
    path: str  # inside the volume, starting with "/"
    entries: tuple[Entry, ...]
    command: str


@dataclass(frozen=True)
class Preview:
    volume: str
    path: str
    text: str
    truncated: bool
    binary: bool
    command: str


@dataclass(frozen=True)
class Used:
    volume: str
    exit_code: int
    output: str
    elapsed_s: float
    command: str


@dataclass(frozen=True)
class BackedUp:
    volume: str
    path: Path
    size_bytes: int
    command: str


@dataclass(frozen=True)
class Restored:
    volume: str
    path: Path
    command: str


@dataclass(frozen=True)
class Cloned:
    source: str
    volume: VolumeRow
    command: str


@dataclass(frozen=True)
class Removed:
    names: tuple[str, ...]
    command: str
    #: name -> why it was left alone (``remove_unused`` only)
    skipped: Mapping[str, str] = field(default_factory=dict)


# ---------------------------------------------------------------------------- errors


class VolumeError(CourseError):
    """A predictable refusal or failure, in words for the learner."""

    #: True when the engine was asked to do something (the command did not complete);
    #: False for a refusal before anything was sent (the command did not run).
    attempted = False

    def __init__(
        self, message: str, command: str = "", *, attempted: bool | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.command = command
        if attempted is not None:
            self.attempted = attempted


class InvalidName(VolumeError):
    pass


class InvalidSpec(VolumeError):
    """A label or driver option that is malformed, reserved or refused by the driver."""


class VolumeExists(VolumeError):
    pass


class VolumeNotFound(VolumeError):
    pass


class VolumeInUse(VolumeError):
    def __init__(
        self, message: str, users: tuple[VolumeUser, ...], command: str = ""
    ) -> None:
        super().__init__(message, command)
        self.users = users


class LearnerVolume(VolumeError):
    """The learner's own volume, and changing it was not allowed."""


class HelperFailed(VolumeError):
    """The helper container ran but its command failed (or took too long)."""

    attempted = True


class Interrupted(VolumeError):
    """Ctrl-C (the kernel's interrupt) during a backup or restore; the message says
    what was left (the helper container is removed, a partial tar file too)."""

    attempted = True


def filter_rows(rows: Iterable[VolumeRow], which: str) -> tuple[VolumeRow, ...]:
    if which not in FILTERS:
        raise ValueError(f"filter must be one of {', '.join(FILTERS)}, not {which!r}")
    if which == "all":
        return tuple(rows)
    if which == "course":
        return tuple(r for r in rows if r.course_made)
    wanted = which == "in_use"
    return tuple(r for r in rows if r.in_use == wanted)


def users_by_volume(
    containers: Iterable[Mapping[str, Any]],
) -> dict[str, list[VolumeUser]]:
    """From ``GET /containers/json?all=1``: which containers mount which volume."""
    found: dict[str, list[VolumeUser]] = {}
    for c in containers:
        cname = ((c.get("Names") or ["/?"])[0]).lstrip("/")
        for mount in c.get("Mounts") or []:
            if mount.get("Type") != "volume" or not mount.get("Name"):
                continue
            found.setdefault(str(mount["Name"]), []).append(
                VolumeUser(
                    container_id=str(c.get("Id", ""))[:12],
                    container_name=cname,
                    destination=str(mount.get("Destination", "")),
                    read_only=not mount.get("RW", True),
                    state=str(c.get("State", "")),
                )
            )
    return found


def row_from_api(v: Mapping[str, Any], users: Iterable[VolumeUser] = ()) -> VolumeRow:
    return VolumeRow(
        name=str(v["Name"]),
        driver=str(v.get("Driver", "")),
        created=str(v.get("CreatedAt", "")),
        labels=dict(v.get("Labels") or {}),
        mountpoint=str(v.get("Mountpoint", "")),
        scope=str(v.get("Scope", "")),
        options=dict(v.get("Options") or {}),
        users=tuple(users),
    )


def describe_users(users: Iterable[VolumeUser]) -> str:
    return ", ".join(
        t(
            "volumes.user",
            name=u.container_name,
            state=u.state,
            destination=u.destination,
            mode="ro" if u.read_only else "rw",
        )
        for u in users
    )


def _api_error_text(exc: Exception) -> str:
    return str(getattr(exc, "explanation", None) or exc)
