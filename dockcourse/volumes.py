"""Volumes on the real engine: list, create, inspect, browse, use, back up, restore,
clone and remove, each returning its data and the equivalent ``docker`` command.

Used by chapter 06 (Volumes), directly and through :class:`dockcourse.VolumeManager`.

Rules kept here, so the widget and the notebook share them:

- a volume is *course-made* when it carries ``io.dockcourse.course=true``; every other
  volume is the learner's own and is only read (listed, inspected, browsed, backed up,
  cloned from) unless the caller passes ``allow_learner=True``;
- ``docker volume create NAME`` silently returns an existing volume;
  :func:`create_volume` refuses instead, so a learner's volume is never adopted;
- a volume that a container (running or stopped) mounts is not removed, and the error
  names the container;
- files are read and written through short-lived labelled helper containers from the
  course image (so it works when the volume lives inside a VM, as on Docker Desktop);
  ``course_container`` removes them however the call ends;
- backup and restore move the tar file with the archive API (``docker cp``), so they
  also work with a remote engine, where a bind mount of the notebook's directory
  would not.

The ``command`` of each result is what the learner would type to do the same. The
course's bookkeeping labels (session, host, pid, time) are left out of it for brevity;
the course label and the chapter label are shown.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import posixpath
import re
import shlex
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .engine import call_timeout, engine_info
from .recorded import recorded_dir
from .resources import (
    LABEL_CHAPTER,
    LABEL_COURSE,
    LABEL_SESSION,
    ContainerTimeout,
    course_container,
    new_name,
    run,
)
from .resources import labels as course_labels
from .text import t

if TYPE_CHECKING:
    import docker

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
RECORDED_FILE = "volumes.json"


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
class Provenance:
    """Where a recorded listing comes from: a real engine, on a given day."""

    engine_version: str
    api_version: str
    os: str
    arch: str
    operating_system: str
    storage_driver: str
    engine_host: str
    recorded_at: str
    recorded_by: str

    def describe(self) -> str:
        return t("volumes.provenance", **asdict(self))


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


class VolumeError(Exception):
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


# ------------------------------------------------------------------ pure logic (unit)


def shorten(text: str, limit: int = SHOWN_MAX) -> str:
    """``text`` as a message repeats it: at most ``limit`` characters, then ``…``."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _odd_chars(text: str, *, allow: str = "") -> bool:
    """Control characters, NUL, lone surrogates: nothing a name, path or label holds."""
    return any(
        (ord(c) < 32 or 0x7F <= ord(c) < 0xA0 or 0xD800 <= ord(c) < 0xE000)
        and c not in allow
        for c in text
    )


def is_valid_name(name: str) -> bool:
    return (
        len(name) <= NAME_MAX
        and NAME_PATTERN.fullmatch(name) is not None
        and ANONYMOUS_NAME.fullmatch(name) is None
    )


def check_name(name: str) -> None:
    """Docker's rule and the course's length limit, checked before anything is sent to
    the engine; each refusal is one catalogue sentence (a long name is shortened)."""
    if not name:
        raise InvalidName(t("volumes.err.empty_name"))
    if len(name) > NAME_MAX:
        raise InvalidName(
            t("volumes.err.name_too_long", name=shorten(name), length=len(name),
              max=NAME_MAX)
        )  # fmt: skip
    if NAME_PATTERN.fullmatch(name) is None:
        raise InvalidName(t("volumes.err.invalid_name", name=shorten(name)))
    if ANONYMOUS_NAME.fullmatch(name):
        raise InvalidName(t("volumes.err.reserved_name", name=shorten(name)))


def check_options(opts: Mapping[str, str], driver: str = "local") -> None:
    """The ``local`` driver's options only (the engine would refuse any other)."""
    if driver != "local":
        return
    for key in opts:
        if key not in LOCAL_OPTIONS:
            raise InvalidSpec(
                t("volumes.err.unknown_option", key=shorten(key),
                  known=", ".join(LOCAL_OPTIONS))
            )  # fmt: skip


def check_volume_path(path: str) -> str:
    """A path inside the volume as typed: refused if too long or with control
    characters; else normalised (:func:`volume_path`)."""
    if len(path) > PATH_MAX or _odd_chars(path):
        raise VolumeError(t("volumes.err.bad_path", path=shorten(path), max=PATH_MAX))
    return volume_path(path)


def check_host_path(text: str | os.PathLike[str], *, base: Path | None = None) -> Path:
    """A file path on this machine as typed: not empty, not too long, no control
    characters; ``~`` expanded; a relative path is taken inside ``base`` if given."""
    raw = os.fspath(text).strip()
    if not raw:
        raise VolumeError(t("volumes.err.no_file"))
    too_long = any(len(part.encode()) > NAME_BYTES_MAX for part in raw.split("/"))
    if len(raw) > PATH_MAX or too_long or _odd_chars(raw):
        raise VolumeError(t("volumes.err.bad_path", path=shorten(raw), max=PATH_MAX))
    path = Path(os.path.expanduser(raw))
    if base is not None and not path.is_absolute():
        path = base / path
    return path


def check_backup_target(path: Path, *, overwrite: bool = False) -> None:
    """Where a backup will be written: its folder exists and is writable, and the file
    is not there yet (or ``overwrite``) and is not a folder."""
    folder = path.parent
    try:
        if not folder.is_dir():
            raise VolumeError(t("volumes.err.no_folder", folder=folder))
        if path.is_dir():
            raise VolumeError(t("volumes.err.is_folder", path=path))
        if path.exists() and not overwrite:
            raise VolumeError(t("volumes.err.file_exists", path=path))
    except OSError as exc:  # a name too long for this file system, say
        raise VolumeError(
            t("volumes.err.bad_path", path=shorten(str(path)), max=PATH_MAX)
        ) from exc
    if not os.access(folder, os.W_OK | os.X_OK):
        raise VolumeError(t("volumes.err.folder_not_writable", folder=folder))


def check_shell_command(text: str) -> None:
    if not text.strip():
        raise VolumeError(t("volumes.err.empty_command"))
    if len(text) > COMMAND_MAX or _odd_chars(text, allow="\t\n\r"):
        raise VolumeError(t("volumes.err.bad_command", max=COMMAND_MAX))


def parse_pairs(text: str | Mapping[str, str] | None, *, what: str) -> dict[str, str]:
    """``key=value`` lines (``#`` comments and blank lines ignored) into a dict.

    ``what`` is ``"label"`` or ``"option"``. A label without ``=`` has an empty value
    (as ``docker volume create --label key`` does); an option needs a value. Labels in
    the course's own namespace are refused, so a learner's volume cannot pose as
    course-made.
    """
    if text is None:
        return {}
    items: Iterable[tuple[str, str]]
    if isinstance(text, Mapping):
        items = [(str(k), str(v)) for k, v in text.items()]
    else:
        items = []
        for raw in text.splitlines():
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            key, sep, value = line.partition("=")
            if what == "option" and not sep:
                raise InvalidSpec(t("volumes.err.option_no_value", line=shorten(line)))
            items.append((key.strip(), value.strip()))
    if len(items) > PAIRS_MAX:
        raise InvalidSpec(
            t("volumes.err.too_many", what=t(f"volumes.what.{what}"), max=PAIRS_MAX)
        )
    result: dict[str, str] = {}
    for key, value in items:
        if (
            not key
            or any(c.isspace() for c in key)
            or "=" in key
            or len(key) > KEY_MAX
            or _odd_chars(key)
        ):
            raise InvalidSpec(
                t("volumes.err.bad_key", what=t(f"volumes.what.{what}"),
                  key=shorten(key), max=KEY_MAX)
            )  # fmt: skip
        if len(value) > VALUE_MAX or _odd_chars(value):
            raise InvalidSpec(
                t("volumes.err.bad_value", what=t(f"volumes.what.{what}"),
                  key=shorten(key), max=VALUE_MAX)
            )  # fmt: skip
        if key in result:
            raise InvalidSpec(
                t("volumes.err.duplicate_key", what=t(f"volumes.what.{what}"),
                  key=shorten(key))
            )  # fmt: skip
        if what == "label" and key.startswith(RESERVED_LABEL_PREFIX):
            raise InvalidSpec(t("volumes.err.reserved_label", key=shorten(key)))
        result[key] = value
    return result


def format_pairs(pairs: Mapping[str, str]) -> str:
    return "\n".join(f"{k}={v}" for k, v in pairs.items())


def volume_path(path: str) -> str:
    """A path inside the volume, normalised so it cannot leave it; ``/`` is its root."""
    normal = posixpath.normpath("/" + (path or "").strip())
    return "/" + normal.lstrip("/")


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
    return shlex.join([*argv, name]) + labels_note(chapter)


def cli_ls(which: str = "all") -> str:
    extra = {
        "all": [],
        "in_use": ["--filter", "dangling=false"],
        "unused": ["--filter", "dangling=true"],
        "course": ["--filter", f"label={LABEL_COURSE}=true"],
    }[which]
    return shlex.join(["docker", "volume", "ls", *extra])


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
    """``docker run --rm --network none -v vol:/data[:ro] IMAGE ARGV...``.

    ``mounts`` maps volume name -> ``/path`` or ``/path:ro``. With a ``chapter``, a
    comment says which course labels the helper container gets.
    """
    words = ["docker", verb]
    if name:
        words += ["--name", name]
    if rm and verb == "run":
        words.append("--rm")
    words += ["--network", "none"]
    for volume, target in mounts.items():
        words += ["-v", f"{volume}:{target}"]
    if workdir:
        words += ["-w", workdir]
    note = labels_note(chapter, shown=False) if chapter else ""
    return shlex.join([*words, image_ref, *argv]) + note


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
    command = shlex.join(["docker", "volume", "inspect", name])
    if in_use:
        command += "\n" + shlex.join(
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
        shlex.join(["docker", "start", "-a", helper]),
        shlex.join(["docker", "cp", f"{helper}:/tmp/backup.tar", str(path)]),
        shlex.join(["docker", "rm", helper]),
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
        shlex.join(["docker", "cp", str(path), f"{helper}:/tmp/backup.tar"]),
        shlex.join(["docker", "start", "-a", helper]),
        shlex.join(["docker", "rm", helper]),
    ])  # fmt: skip


def cli_clone(
    image_ref: str, source: str, target: str, *, chapter: str = CHAPTER
) -> str:
    mounts = {source: "/from:ro", target: "/to"}
    create = cli_create(target, chapter=chapter)
    return f"{create}\n{cli_run(image_ref, CLONE_ARGV, mounts)}"


def cli_remove(name: str) -> str:
    return shlex.join(["docker", "volume", "rm", name])


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


def parse_stat_lines(output: str, base: str) -> tuple[Entry, ...]:
    """Lines ``type|size|mtime|/data/dir/name`` (``find -exec stat``) to entries."""
    entries = []
    for line in output.splitlines():
        parts = line.split("|", 3)
        if len(parts) != 4 or not parts[3].startswith(base):
            continue
        kind, size, mtime, full = parts
        try:
            size_bytes, modified = int(size), float(mtime)
        except ValueError:
            continue
        name = posixpath.basename(full)
        entries.append(Entry(name, _KINDS.get(kind, "other"), size_bytes, modified))
    return tuple(sorted(entries, key=lambda e: (e.kind != "dir", e.name)))


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


def _locked_folder(path: str) -> str:
    """The first folder on the way to ``path`` this process may not enter."""
    parts = Path(path).parts
    for i in range(1, len(parts) + 1):
        folder = str(Path(*parts[:i]))
        if os.path.isdir(folder) and not os.access(folder, os.X_OK):
            return folder
    return str(Path(path).parent)


def _user() -> str:
    try:
        import pwd

        return f"{pwd.getpwuid(os.geteuid()).pw_name} (uid {os.geteuid()})"
    except (ImportError, KeyError, AttributeError):
        return "?"


def mountpoint_view(path: str, engine_sees_files: bool) -> dict[str, Any]:
    """Can this notebook look into a volume's ``Mountpoint``? (chapter 06, section 6)

    It depends on where the engine runs (``engine_sees_files``: the bind-mount probe of
    ``Session.engine_sees_files``) and on who runs the notebook. The answer is data
    (``state`` one of open, root_only, elsewhere, hidden), rendered by
    :func:`describe_mountpoint`, so a recorded answer reads in every language.
    """
    view: dict[str, Any] = {"path": path, "user": _user()}
    if not engine_sees_files:
        return {**view, "state": "elsewhere"}
    try:
        files = sorted(os.listdir(path))
    except PermissionError:
        return {**view, "state": "root_only", "locked": _locked_folder(path)}
    except OSError:
        return {**view, "state": "hidden"}
    return {**view, "state": "open", "files": files}


def describe_mountpoint(view: Mapping[str, Any]) -> str:
    """One sentence: what :func:`mountpoint_view` found."""
    state = str(view.get("state", "hidden"))
    if state not in ("open", "root_only", "elsewhere", "hidden"):
        state = "hidden"
    files = ", ".join(str(f) for f in view.get("files") or [])
    return t(
        f"volumes.mountpoint.{state}",
        path=view.get("path", "?"),
        user=view.get("user", "?"),
        locked=view.get("locked", "?"),
        files=files or t("volumes.mountpoint.empty"),
    )


def default_backup_path(volume: str, now: float | None = None) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
    return Path(f"{volume}-{stamp}.tar")


# ------------------------------------------------------------------- engine (live)


def _api_error_text(exc: Exception) -> str:
    return str(getattr(exc, "explanation", None) or exc)


def _get_row(
    client: docker.DockerClient, name: str
) -> tuple[VolumeRow, dict[str, Any]]:
    import docker.errors

    try:
        raw: dict[str, Any] = client.api.inspect_volume(name)
    except docker.errors.NotFound:
        raise VolumeNotFound(t("volumes.err.not_found", name=name)) from None
    containers = client.api.containers(all=True, filters={"volume": name})
    users = users_by_volume(containers).get(name, [])
    return row_from_api(raw, users), raw


def _guard_change(row: VolumeRow, allow_learner: bool, command: str) -> None:
    if not row.course_made and not allow_learner:
        raise LearnerVolume(t("volumes.err.learner_volume", name=row.name), command)


def list_volumes(client: docker.DockerClient, which: str = "all") -> Listing:
    """``docker volume ls`` and who uses each volume: two API calls for any count."""
    start = time.perf_counter()
    volumes = client.api.volumes().get("Volumes") or []
    users = users_by_volume(client.api.containers(all=True))
    rows = [row_from_api(v, users.get(str(v["Name"]), ())) for v in volumes]
    rows.sort(key=lambda r: r.name)
    return Listing(filter_rows(rows, which), cli_ls(which), time.perf_counter() - start)


def volume_sizes(client: docker.DockerClient) -> Sizes:
    """Bytes used by each volume (``docker system df -v``): slow, call on demand."""
    start = time.perf_counter()
    usage = client.api.df().get("Volumes") or []
    sizes: dict[str, int | None] = {}
    for v in usage:
        size = (v.get("UsageData") or {}).get("Size", -1)
        known = isinstance(size, int) and size >= 0
        sizes[str(v["Name"])] = int(size) if known else None
    return Sizes(sizes, "docker system df -v", time.perf_counter() - start)


def create_volume(
    client: docker.DockerClient,
    name: str = "",
    *,
    labels: Mapping[str, str] | str | None = None,
    driver: str = "local",
    driver_opts: Mapping[str, str] | str | None = None,
    image_ref: str | None = None,
    chapter: str = CHAPTER,
) -> Created:
    """``docker volume create``, with the course label; refuses an existing name.

    An empty name gets a course name. With driver options and an ``image_ref``, the
    volume is mounted once by a helper container, because the local driver only checks
    options like ``o=size=...`` at the first mount; a volume that cannot be mounted is
    removed again and the engine's reason is reported.
    """
    import docker.errors

    name = name.strip() or new_name(chapter, "v")
    check_name(name)
    user_labels = parse_pairs(labels, what="label")
    opts = parse_pairs(driver_opts, what="option")
    check_options(opts, driver)
    command = cli_create(
        name, user_labels=user_labels, driver=driver, driver_opts=opts, chapter=chapter
    )
    try:
        existing = client.api.inspect_volume(name)
    except docker.errors.NotFound:
        pass
    else:
        ours = (existing.get("Labels") or {}).get(LABEL_COURSE) == "true"
        key = "volumes.err.exists_course" if ours else "volumes.err.exists_yours"
        raise VolumeExists(t(key, name=name), command)
    try:
        client.api.create_volume(
            name,
            driver=driver,
            driver_opts=opts or None,
            labels={**user_labels, **course_labels(chapter)},
        )
    except docker.errors.APIError as exc:
        raise InvalidSpec(
            t("volumes.err.engine_refused", error=_api_error_text(exc)),
            command,
            attempted=True,
        ) from None
    if opts and image_ref:
        probe = cli_run(image_ref, ["true"], {name: MOUNT_POINT})
        try:
            run(
                client,
                image_ref,
                ["true"],
                chapter=chapter,
                timeout_s=HELPER_TIMEOUT_S,
                volumes={name: {"bind": MOUNT_POINT, "mode": "rw"}},
                network_disabled=True,
            )
        except (docker.errors.APIError, ContainerTimeout) as exc:
            client.api.remove_volume(name)
            raise InvalidSpec(
                t("volumes.err.mount_failed", name=name, error=_api_error_text(exc)),
                f"{command}\n{probe}",
            ) from None
        command = f"{command}\n{probe}"
    row, _ = _get_row(client, name)
    return Created(row, command)


def inspect_volume(client: docker.DockerClient, name: str) -> Inspected:
    """``docker volume inspect`` plus the containers that use the volume."""
    row, raw = _get_row(client, name)
    command = cli_inspect(name, in_use=row.in_use)
    return Inspected(row, raw, command)


def _helper(
    client: docker.DockerClient,
    image_ref: str,
    argv: list[str],
    mounts: Mapping[str, str],
    *,
    timeout_s: float,
    chapter: str,
    workdir: str | None = None,
) -> tuple[int, str]:
    """Run a helper container to completion: (exit code, output). Always removed."""
    import docker.errors

    binds = {
        vol: {
            "bind": target.removesuffix(":ro"),
            "mode": "ro" if target.endswith(":ro") else "rw",
        }
        for vol, target in mounts.items()
    }
    try:
        result = run(
            client,
            image_ref,
            argv,
            chapter=chapter,
            timeout_s=timeout_s,
            volumes=binds,
            network_disabled=True,
            working_dir=workdir,
        )
    except ContainerTimeout as exc:
        raise HelperFailed(t("volumes.err.timeout", seconds=f"{timeout_s:g}")) from exc
    except docker.errors.APIError as exc:
        raise HelperFailed(
            t("volumes.err.engine_refused", error=_api_error_text(exc))
        ) from exc
    return result.exit_code, result.output


def browse(
    client: docker.DockerClient,
    image_ref: str,
    name: str,
    path: str = "/",
    *,
    timeout_s: float = HELPER_TIMEOUT_S,
    chapter: str = CHAPTER,
) -> Browsed:
    """The entries of one directory of the volume, via a read-only helper container."""
    inner = check_volume_path(path)
    _get_row(client, name)
    target = _in_mount(inner)
    argv = browse_argv(inner)
    command = cli_browse(image_ref, name, inner)
    code, output = _helper(
        client,
        image_ref,
        argv,
        {name: f"{MOUNT_POINT}:ro"},
        timeout_s=timeout_s,
        chapter=chapter,
    )
    if code != 0:
        raise HelperFailed(
            t("volumes.err.browse", path=inner, output=output.strip()), command
        )
    base = target.rstrip("/") + "/"
    return Browsed(name, inner, parse_stat_lines(output, base), command)


def preview(
    client: docker.DockerClient,
    image_ref: str,
    name: str,
    path: str,
    *,
    max_bytes: int = PREVIEW_MAX_BYTES,
    timeout_s: float = HELPER_TIMEOUT_S,
    chapter: str = CHAPTER,
) -> Preview:
    """The start of a file (``head -c``), read-only; binary files are only flagged."""
    inner = check_volume_path(path)
    _get_row(client, name)
    argv = preview_argv(inner, max_bytes)
    command = cli_preview(image_ref, name, inner)
    code, output = _helper(
        client,
        image_ref,
        argv,
        {name: f"{MOUNT_POINT}:ro"},
        timeout_s=timeout_s,
        chapter=chapter,
    )
    if code != 0:
        raise HelperFailed(
            t("volumes.err.preview", path=inner, output=output.strip()), command
        )
    binary = "\x00" in output or "\ufffd" in output
    truncated = len(output.encode("utf-8", "replace")) > max_bytes
    text = "" if binary else output[:max_bytes]
    return Preview(name, inner, text, truncated, binary, command)


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


class _StreamReader(io.RawIOBase):
    """A file object over the chunks of ``get_archive``, for ``tarfile`` stream mode."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks: Iterator[bytes] = iter(chunks)
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            try:
                self._pending = next(self._chunks)
            except StopIteration:
                return 0
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n


@contextlib.contextmanager
def _archive(
    client: docker.DockerClient, container_id: str, path: str
) -> Iterator[Any]:
    """``get_archive``'s chunks, with the response closed however the block ends.

    The engine holds the container while it streams an archive: an interrupted read
    (Ctrl-C, a full disk) that left the response open would make removing the helper
    container wait for the engine's timeout, and leave it behind."""
    api = client.api
    response = api._get(  # what get_archive does, keeping hold of the response
        api._url("/containers/{0}/archive", container_id),
        params={"path": path},
        stream=True,
    )
    try:
        api._raise_for_status(response)
        yield response.iter_content(chunk_size=1 << 20, decode_unicode=False)
    finally:
        response.close()


def _start_and_wait(
    client: docker.DockerClient, container: Any, timeout_s: float
) -> None:
    import requests

    container.start()
    try:
        status = container.wait(timeout=timeout_s)
    except (requests.exceptions.ReadTimeout, requests.exceptions.ConnectionError):
        raise HelperFailed(t("volumes.err.timeout", seconds=f"{timeout_s:g}")) from None
    if int(status.get("StatusCode", -1)) != 0:
        output = container.logs(stdout=True, stderr=True).decode("utf-8", "replace")
        raise HelperFailed(t("volumes.err.helper", output=output.strip()[-500:]))


def backup(
    client: docker.DockerClient,
    image_ref: str,
    name: str,
    dest: str | os.PathLike[str] | None = None,
    *,
    overwrite: bool = False,
    timeout_s: float = TRANSFER_TIMEOUT_S,
    chapter: str = CHAPTER,
) -> BackedUp:
    """A tar of the volume's contents into ``dest`` (a file beside the notebook).

    ``tar`` runs in a helper container that mounts the volume read-only; the tar file is
    then copied out with ``docker cp``. Backing up the learner's volumes is allowed: it
    only reads them.
    """
    import tarfile

    import docker.errors
    import requests

    path = check_host_path(dest) if dest is not None else default_backup_path(name)
    check_backup_target(path, overwrite=overwrite)
    _get_row(client, name)
    helper = new_name(chapter, "backup")
    argv = BACKUP_ARGV
    command = cli_backup(image_ref, name, path, helper)
    partial = path.with_name(path.name + ".part")
    try:
        with (
            course_container(
                client,
                image_ref,
                argv,
                chapter=chapter,
                name=helper,
                network_disabled=True,
                volumes={name: {"bind": MOUNT_POINT, "mode": "ro"}},
            ) as container,
            call_timeout(client, timeout_s),
        ):
            _start_and_wait(client, container, timeout_s)
            with (
                _archive(client, container.id, "/tmp/backup.tar") as chunks,
                tarfile.open(fileobj=_StreamReader(chunks), mode="r|") as outer,
            ):
                member = next(iter(outer), None)
                source = outer.extractfile(member) if member is not None else None
                if source is None:
                    raise HelperFailed(t("volumes.err.helper", output="no tar file"))
                with partial.open("wb") as out:
                    while block := source.read(1 << 20):
                        out.write(block)
        partial.replace(path)
    except KeyboardInterrupt:
        partial.unlink(missing_ok=True)
        raise Interrupted(
            t("volumes.err.backup_interrupted", name=name, path=path), command
        ) from None
    except requests.exceptions.RequestException:  # before OSError: it is one
        raise HelperFailed(t("volumes.err.engine_lost"), command) from None
    except OSError as exc:  # disk full, folder gone, no permission
        partial.unlink(missing_ok=True)
        raise HelperFailed(
            t("volumes.err.write_failed", path=path, error=exc.strerror or exc),
            command,
        ) from None
    except docker.errors.APIError as exc:
        raise HelperFailed(
            t("volumes.err.engine_refused", error=_api_error_text(exc)), command
        ) from None
    except VolumeError as exc:
        exc.command = command
        raise
    finally:
        partial.unlink(missing_ok=True)
    return BackedUp(name, path, path.stat().st_size, command)


def restore(
    client: docker.DockerClient,
    image_ref: str,
    name: str,
    source: str | os.PathLike[str],
    *,
    allow_learner: bool = False,
    timeout_s: float = TRANSFER_TIMEOUT_S,
    chapter: str = CHAPTER,
) -> Restored:
    """Unpack a tar made by :func:`backup` into the volume (files are added or
    overwritten; files not in the tar are kept)."""
    import tarfile

    import docker.errors
    import requests

    path = check_host_path(source)
    helper = new_name(chapter, "restore")
    argv = RESTORE_ARGV
    command = cli_restore(image_ref, name, path, helper)
    row, _ = _get_row(client, name)
    _guard_change(row, allow_learner, command)
    try:
        is_tar = path.is_file() and tarfile.is_tarfile(path)
    except OSError:
        is_tar = False
    if not is_tar:
        raise VolumeError(t("volumes.err.not_a_tar", path=shorten(str(path))), command)
    started = False
    try:
        with (
            tempfile.TemporaryFile() as wrapper,
            course_container(
                client,
                image_ref,
                argv,
                chapter=chapter,
                name=helper,
                network_disabled=True,
                volumes={name: {"bind": MOUNT_POINT, "mode": "rw"}},
            ) as container,
            call_timeout(client, timeout_s),
        ):
            with tarfile.open(fileobj=wrapper, mode="w") as tar:
                tar.add(path, arcname="backup.tar")
            wrapper.seek(0)
            client.api.put_archive(container.id, "/tmp", wrapper)
            started = True
            _start_and_wait(client, container, timeout_s)
    except KeyboardInterrupt:
        key = "restore_interrupted" if started else "restore_interrupted_before"
        raise Interrupted(t(f"volumes.err.{key}", name=name), command) from None
    except requests.exceptions.RequestException:
        raise HelperFailed(t("volumes.err.engine_lost"), command) from None
    except docker.errors.APIError as exc:
        raise HelperFailed(
            t("volumes.err.engine_refused", error=_api_error_text(exc)), command
        ) from None
    except VolumeError as exc:
        exc.command = command
        raise
    return Restored(name, path, command)


def clone(
    client: docker.DockerClient,
    image_ref: str,
    source: str,
    target: str = "",
    *,
    timeout_s: float = TRANSFER_TIMEOUT_S,
    chapter: str = CHAPTER,
) -> Cloned:
    """A new course volume with a copy of ``source``'s files (tar piped to tar).

    The clone is a plain local volume: the source's driver options are not copied (a
    bind-type source would otherwise make the clone point at the same directory).
    """
    import docker.errors

    _get_row(client, source)
    created = create_volume(client, target, chapter=chapter)
    target = created.volume.name
    argv = CLONE_ARGV
    mounts = {source: "/from:ro", target: "/to"}
    command = f"{created.command}\n{cli_run(image_ref, argv, mounts)}"
    try:
        code, output = _helper(
            client, image_ref, argv, mounts, timeout_s=timeout_s, chapter=chapter
        )
        if code != 0:
            raise HelperFailed(t("volumes.err.helper", output=output.strip()[-500:]))
    except VolumeError as exc:
        with contextlib.suppress(docker.errors.APIError):
            client.api.remove_volume(target)
        exc.command = command
        raise
    row, _ = _get_row(client, target)
    return Cloned(source, row, command)


def remove_volume(
    client: docker.DockerClient, name: str, *, allow_learner: bool = False
) -> Removed:
    """``docker volume rm NAME``; refuses a volume in use (naming the container) and,
    unless allowed, the learner's own volumes."""
    import docker.errors

    command = cli_remove(name)
    row, _ = _get_row(client, name)
    _guard_change(row, allow_learner, command)
    if row.users:
        raise VolumeInUse(
            t("volumes.err.in_use", name=name, users=describe_users(row.users)),
            row.users,
            command,
        )
    try:
        client.api.remove_volume(name)
    except docker.errors.NotFound:
        pass
    except docker.errors.APIError as exc:  # a container grabbed it in the meantime
        row, _ = _get_row(client, name)
        raise VolumeInUse(
            t(
                "volumes.err.in_use",
                name=name,
                users=describe_users(row.users) or _api_error_text(exc),
            ),
            row.users,
            command,
        ) from None
    return Removed((name,), command)


def remove_unused(
    client: docker.DockerClient, *, session: str | None = None
) -> Removed:
    """Remove the course-made volumes no container uses (one session's, if given).

    The learner's own volumes are never touched, and nothing is pruned.
    """
    import docker.errors

    wanted = [f"{LABEL_COURSE}=true"] + (
        [f"{LABEL_SESSION}={session}"] if session else []
    )
    found = client.api.volumes(filters={"label": wanted, "dangling": True}).get(
        "Volumes"
    )
    names = sorted(str(v["Name"]) for v in found or [])
    removed: list[str] = []
    skipped: dict[str, str] = {}
    for name in names:
        try:
            remove_volume(client, name)
            removed.append(name)
        except VolumeError as exc:
            skipped[name] = exc.message
        except docker.errors.APIError as exc:
            skipped[name] = _api_error_text(exc)
    ls = shlex.join(
        [
            "docker",
            "volume",
            "ls",
            "-q",
            "--filter",
            "dangling=true",
            *[w for lbl in wanted for w in ("--filter", f"label={lbl}")],
        ]
    )
    command = ls + (
        "\n" + shlex.join(["docker", "volume", "rm", *removed]) if removed else ""
    )
    return Removed(tuple(removed), command, skipped)


# ------------------------------------------------------------------------- recorded


def provenance_of(client: docker.DockerClient, recorded_by: str) -> Provenance:
    info = engine_info(client)
    return Provenance(
        engine_version=info.version,
        api_version=info.api_version,
        os=info.os,
        arch=info.arch,
        operating_system=info.operating_system,
        storage_driver=info.storage_driver,
        engine_host=info.name,
        recorded_at=datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
        recorded_by=recorded_by,
    )


def recorded_path() -> Path:
    return recorded_dir() / RECORDED_FILE


@dataclass(frozen=True)
class Recording:
    """What recorded mode shows: a real listing, sizes, inspections and file lists."""

    listing: Listing
    sizes: Mapping[str, int | None]
    details: Mapping[str, Mapping[str, Any]]
    files: Mapping[str, tuple[Entry, ...]]


def record(
    client: docker.DockerClient,
    image_ref: str,
    path: str | os.PathLike[str] | None = None,
) -> Path:
    """Record what recorded mode shows, from a scene built here and removed again
    (``python -m dockcourse.volumes`` writes the file shipped in ``data/recorded``).

    The scene: a course volume holding ``hello.txt``; a tmpfs volume; a volume mounted
    by a stopped container; and a volume without the course label (how the learner's own
    volumes look). Only the scene's volumes are recorded, with the engine's provenance.
    """
    import docker.errors

    out = Path(path) if path is not None else recorded_path()
    chapter = "06-record"
    made: list[str] = []
    holder = new_name(chapter, "holder")
    learner_like = new_name(chapter, "yours")
    try:
        data = create_volume(
            client,
            new_name(chapter, "myvolume"),
            chapter=chapter,
            labels="purpose=course demo",
        )
        made.append(data.volume.name)
        use_volume(
            client,
            image_ref,
            data.volume.name,
            "echo 'hello from a container' > hello.txt && mkdir -p notes",
            chapter=chapter,
        )
        tmpfs = create_volume(
            client,
            new_name(chapter, "tmpfs"),
            driver_opts=TMPFS_PRESET,
            image_ref=image_ref,
            chapter=chapter,
        )
        made.append(tmpfs.volume.name)
        used = create_volume(client, new_name(chapter, "db"), chapter=chapter)
        made.append(used.volume.name)
        client.api.create_volume(learner_like)  # unlabelled, as a learner's volume is
        made.append(learner_like)
        with course_container(
            client,
            image_ref,
            ["true"],
            chapter=chapter,
            name=holder,
            volumes={used.volume.name: {"bind": "/var/lib/db", "mode": "rw"}},
        ):
            listing = list_volumes(client)
            rows = tuple(r for r in listing.volumes if r.name in made)
            sizes = {
                k: v for k, v in volume_sizes(client).size_bytes.items() if k in made
            }
            details = {n: dict(inspect_volume(client, n).details) for n in made}
            files = {
                n: [
                    asdict(e)
                    for e in browse(client, image_ref, n, "/", chapter=chapter).entries
                ]
                for n in made
            }
        document = {
            "provenance": asdict(provenance_of(client, "dockcourse.volumes.record")),
            "command": listing.command,
            "volumes": [asdict(r) for r in rows],
            "sizes": sizes,
            "inspect": details,
            "files": files,
        }
    finally:
        for name in made:
            with contextlib.suppress(docker.errors.APIError):
                client.api.remove_volume(name)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(document, indent=1, sort_keys=True) + "\n", encoding="utf-8"
    )
    return out


def load_recording(path: str | os.PathLike[str] | None = None) -> Recording:
    """The recorded listing shipped with the package (for recorded mode)."""
    source = Path(path) if path is not None else recorded_path()
    doc = json.loads(source.read_text(encoding="utf-8"))
    rows = tuple(
        VolumeRow(**{**v, "users": tuple(VolumeUser(**u) for u in v.get("users", []))})
        for v in doc["volumes"]
    )
    listing = Listing(
        rows, doc["command"], 0.0, "recorded", Provenance(**doc["provenance"])
    )
    files = {n: tuple(Entry(**e) for e in es) for n, es in doc.get("files", {}).items()}
    return Recording(listing, doc.get("sizes", {}), doc.get("inspect", {}), files)


def main() -> None:
    """``python -m dockcourse.volumes``: record the listing recorded mode ships."""
    from .engine import connect
    from .images import ensure_image

    client = connect()
    print(record(client, ensure_image(client)))


if __name__ == "__main__":
    main()
