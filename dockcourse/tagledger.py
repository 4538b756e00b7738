"""The tags the course made with the learner's own names, so cleanup can untag them.

``%docker tag busybox myapp:1``, ``%docker build -t myapp:1 .``, ``%docker commit c
myapp:1``, ``import``, ``pull``, ``load`` (and a ``run`` that pulls its image) make a tag
that no label can mark (a tag is a name, and the image it names
may be the course image or anyone's). Each such tag is written here, with the image ID
it named and the labels of :func:`resources.labels` (session, chapter, host, process),
in one JSON-lines file in the user's cache folder. Cleanup (``resources.clean``: the
chapter's last cell, ``dockcourse clean``, the sweep of crashed sessions) untags a
recorded tag only while it still names the image it was made for: a tag the learner
has since moved to another image is theirs and stays. Used by ``cli_magic``.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from . import resources

if TYPE_CHECKING:
    import docker

FILE_ENV = "DOCKCOURSE_TAGS_FILE"
KIND = "tag"
_IMAGE = "io.dockcourse.tag-image"


def ledger_path() -> Path:
    """``$DOCKCOURSE_TAGS_FILE``, else ``<cache>/dockcourse/tags.jsonl``."""
    chosen = os.environ.get(FILE_ENV, "").strip()
    if chosen:
        return Path(chosen).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME", "").strip()
    base = Path(cache) if cache else Path.home() / ".cache"
    return base / "dockcourse" / "tags.jsonl"


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[IO[str]]:
    """The ledger opened for reading and writing, locked against other kernels."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with open(path, "a+", encoding="utf-8") as f:
        try:
            import fcntl

            fcntl.flock(f, fcntl.LOCK_EX)
        except ImportError:  # Windows: no flock; one notebook at a time
            pass
        f.seek(0)
        yield f


def _read(f: IO[str]) -> list[dict[str, Any]]:
    entries = []
    for raw in f.read().splitlines():
        try:
            entry = json.loads(raw)
        except ValueError:
            continue
        if isinstance(entry, dict) and isinstance(entry.get("tag"), str):
            entries.append(entry)
    return entries


#: Commands whose image the course made itself (with its labels), not only named.
BUILT_BY = frozenset({"build", "commit", "import"})


def record(
    tag: str,
    image_id: str,
    chapter: str,
    path: Path | None = None,
    *,
    made_by: str = "",
) -> None:
    """Remember that this session made ``tag`` for the image ``image_id``; ``made_by`` is
    the command (``build``, ``commit``, ``import``, ``tag``, ``pull``, ``load``)."""
    entry = {
        "tag": tag, "image_id": image_id, "made_by": made_by, **resources.labels(chapter)
    }  # fmt: skip
    with _locked(path or ledger_path()) as f:
        f.seek(0, os.SEEK_END)
        f.write(json.dumps(entry) + "\n")


def owned(path: Path | None = None) -> list[resources.Owned]:
    """Every recorded tag, as cleanup lists it (kind ``tag``)."""
    target = path or ledger_path()
    if not target.exists():
        return []
    with _locked(target) as f:
        entries = _read(f)
    return [_as_owned(entry) for entry in entries]


def _as_owned(entry: dict[str, Any]) -> resources.Owned:
    labels = {
        str(k): str(v)
        for k, v in entry.items()
        if k not in ("tag", "image_id", "made_by")
    }
    labels[_IMAGE] = str(entry.get("image_id", ""))
    return resources.Owned(KIND, str(entry.get("image_id", "")), entry["tag"], labels)


def current_id(client: docker.DockerClient, tag: str) -> str | None:
    """The ID of the image ``tag`` names on the engine now; None if there is none."""
    import docker.errors

    try:
        return str(client.api.inspect_image(tag)["Id"])
    except docker.errors.NotFound:
        return None


def made_by_course(
    client: docker.DockerClient, tag: str, path: Path | None = None
) -> bool:
    """Whether ``tag`` is a tag the course recorded and still names that image."""
    wanted = resources.normalize_ref(tag)
    now = current_id(client, tag)
    return now is not None and any(
        resources.normalize_ref(item.name) == wanted and item.id == now
        for item in owned(path)
    )


def untag(
    client: docker.DockerClient,
    *,
    session: str | None = None,
    chapter: str | None = None,
    stale_only: bool = False,
    dry_run: bool = False,
    path: Path | None = None,
) -> list[resources.Removal]:
    """Untag the recorded tags of a session/chapter (or the stale ones), each only while
    it still names the image it was made for. Entries that are done with (untagged, or
    the tag gone or moved) leave the ledger."""
    import docker.errors

    target = path or ledger_path()
    if not target.exists():
        return []
    results: list[resources.Removal] = []
    now, host = time.time(), resources.host_identity()
    with _locked(target) as f:
        entries = _read(f)
        keep: list[dict[str, Any]] = []
        for entry in entries:
            item = _as_owned(entry)
            chosen = (session is None or item.session == session) and (
                chapter is None or item.chapter == chapter
            )
            if chosen and stale_only:
                chosen = resources.is_stale(item, now=now, host=host)
            if not chosen:
                keep.append(entry)
                continue
            names_it = current_id(client, item.name) == item.id
            if dry_run:
                keep.append(entry)
                if names_it:
                    results.append(resources.Removal(item, False, "dry run"))
                continue
            if not names_it:
                # Gone, or moved: not the course's any more; but a build the course
                # made, left without a name by its own rebuild, goes (issue: a rebuilt
                # capstone image must not stay behind, dangling, forever).
                _remove_replaced_build(client, entry, item, results)
                continue
            try:
                client.api.remove_image(item.name, noprune=False)
                results.append(resources.Removal(item, True))
            except docker.errors.NotFound:
                results.append(resources.Removal(item, True))
            except docker.errors.APIError as exc:
                keep.append(entry)
                results.append(
                    resources.Removal(item, False, str(exc.explanation or exc))
                )
        f.seek(0)
        f.truncate()
        f.writelines(json.dumps(entry) + "\n" for entry in keep)
    return results


def _remove_replaced_build(
    client: docker.DockerClient,
    entry: dict[str, Any],
    item: resources.Owned,
    results: list[resources.Removal],
) -> None:
    """Remove the image ``entry`` recorded when the course built it (``made_by`` build or
    commit: it carries the course's image labels and this session's), it is still there
    and nothing names it any more: the course's own rebuild moved its tag. Anything else
    (a learner's image, one still tagged, one a container uses) stays."""
    import docker.errors

    if entry.get("made_by") not in BUILT_BY or not item.id:
        return
    try:
        found = client.api.inspect_image(item.id)
    except docker.errors.NotFound:
        return
    labels = (found.get("Config") or {}).get("Labels") or {}
    tags = [t for t in found.get("RepoTags") or [] if t != "<none>:<none>"]
    ours = (
        labels.get(resources.LABEL_IMAGE) == "true"
        and labels.get(resources.LABEL_SESSION) == item.session
    )
    if tags or not ours:
        return
    try:
        client.api.remove_image(item.id, noprune=False)
        results.append(resources.Removal(item, True))
    except docker.errors.APIError as exc:  # a container still uses it: say so
        results.append(resources.Removal(item, False, str(exc.explanation or exc)))
