"""What a learner types, checked before anything is sent to the engine: names,
labels, driver options, paths and shell commands."""

from __future__ import annotations

import os
import posixpath
from collections.abc import Iterable, Mapping
from pathlib import Path

from ..text import t
from .model import (
    ANONYMOUS_NAME,
    COMMAND_MAX,
    KEY_MAX,
    LOCAL_OPTIONS,
    NAME_BYTES_MAX,
    NAME_MAX,
    NAME_PATTERN,
    PAIRS_MAX,
    PATH_MAX,
    RESERVED_LABEL_PREFIX,
    SHOWN_MAX,
    VALUE_MAX,
    InvalidName,
    InvalidSpec,
    VolumeError,
)


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
