"""Looking inside a volume, read-only: one folder's entries, the start of a file."""

from __future__ import annotations

import posixpath
from typing import TYPE_CHECKING

from ..text import t
from .commands import (
    _in_mount,
    browse_argv,
    cli_browse,
    cli_preview,
    preview_argv,
)
from .helper import _helper
from .model import (
    _KINDS,
    CHAPTER,
    HELPER_TIMEOUT_S,
    MOUNT_POINT,
    PREVIEW_MAX_BYTES,
    Browsed,
    Entry,
    HelperFailed,
    Preview,
)
from .ops import _get_row
from .validate import check_volume_path

if TYPE_CHECKING:
    import docker


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


def _read_only(
    client: docker.DockerClient,
    image_ref: str,
    name: str,
    argv: list[str],
    failure: tuple[str, str, str],
    *,
    timeout_s: float,
    chapter: str,
) -> str:
    """The output of ``argv`` in a helper that mounts the volume read-only; on a non-zero
    exit, ``HelperFailed`` from ``failure`` (catalogue key, path in the volume, command)."""
    code, output = _helper(
        client,
        image_ref,
        argv,
        {name: f"{MOUNT_POINT}:ro"},
        timeout_s=timeout_s,
        chapter=chapter,
    )
    if code != 0:
        key, inner, command = failure
        raise HelperFailed(t(key, path=inner, output=output.strip()), command)
    return output


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
    output = _read_only(
        client,
        image_ref,
        name,
        argv,
        ("volumes.err.browse", inner, command),
        timeout_s=timeout_s,
        chapter=chapter,
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
    output = _read_only(
        client,
        image_ref,
        name,
        argv,
        ("volumes.err.preview", inner, command),
        timeout_s=timeout_s,
        chapter=chapter,
    )
    binary = "\x00" in output or "\ufffd" in output
    truncated = len(output.encode("utf-8", "replace")) > max_bytes
    text = "" if binary else output[:max_bytes]
    return Preview(name, inner, text, truncated, binary, command)
