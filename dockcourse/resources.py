"""What the course owns on an engine, and how it cleans up after itself (only that).

Every container, volume and network the course creates carries ``LABEL_COURSE`` (images:
``LABEL_IMAGE``, see there) plus the session (one per Python process), the owning host
and process, the chapter and a creation time, and gets a name starting with
``dockcourse-`` (images: ``dockcourse/``).
Cleanup lists resources through the label filter and removes them one by one; nothing
here prunes. Used by every chapter (the last cell of each calls ``clean_chapter``).
"""

from __future__ import annotations

import os
import re
import secrets
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import CourseError

if TYPE_CHECKING:
    import docker
    from docker.models.containers import Container
    from docker.models.volumes import Volume

LABEL_COURSE = "io.dockcourse.course"
#: Images get their own key: a container inherits its image's labels, so an image
#: labelled LABEL_COURSE would make a learner's container from it look like ours.
LABEL_IMAGE = "io.dockcourse.image"
LABEL_SESSION = "io.dockcourse.session"
LABEL_CHAPTER = "io.dockcourse.chapter"
LABEL_HOST = "io.dockcourse.host"
LABEL_PID = "io.dockcourse.pid"
#: The owning process's start time (Linux: clock ticks since boot), so a reused PID is
#: not mistaken for the owner.
LABEL_PID_START = "io.dockcourse.pid-start"
LABEL_CREATED = "io.dockcourse.created"
#: "course-image" marks the base image, which ``clean`` keeps unless asked.
LABEL_ROLE = "io.dockcourse.role"
ROLE_COURSE_IMAGE = "course-image"
NAME_PREFIX = "dockcourse-"
IMAGE_PREFIX = "dockcourse/"
#: Leftovers from another host (a shared remote engine) are stale after this long.
FOREIGN_STALE_AFTER_S = 24 * 3600
KINDS = ("container", "network", "volume", "image")

_session: str | None = None


def session_id() -> str:
    """One id per Python process (a notebook kernel, a test run, a CLI call)."""
    global _session
    if _session is None:
        _session = secrets.token_hex(4)
    return _session


def host_identity() -> str:
    """Who can judge whether a labelled PID is alive: this host *and* this PID namespace.

    Two notebook servers in two containers may share a host name; their PIDs mean
    nothing to each other, so each sees the other's resources as foreign (kept a day).
    """
    name = socket.gethostname()
    try:
        return f"{name}/pidns:{os.stat('/proc/self/ns/pid').st_ino}"
    except OSError:  # not Linux: the host name is all there is
        return name


def process_start(pid: int) -> str:
    """Start time of ``pid`` in clock ticks since boot ('' where /proc is missing)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            return f.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return ""


def labels(chapter: str = "none", *, role: str | None = None) -> dict[str, str]:
    """The labels every course container, volume and network carries."""
    result = {
        LABEL_COURSE: "true",
        LABEL_SESSION: session_id(),
        LABEL_CHAPTER: chapter,
        LABEL_HOST: host_identity(),
        LABEL_PID: str(os.getpid()),
        LABEL_PID_START: process_start(os.getpid()),
        LABEL_CREATED: str(int(time.time())),
    }
    if role:
        result[LABEL_ROLE] = role
    return result


def image_labels(chapter: str = "none", *, role: str = "chapter") -> dict[str, str]:
    """The labels every course image carries (``LABEL_IMAGE`` instead of ``LABEL_COURSE``).

    Images inherit the labels of their base image and of a committed container, so the
    role is always set (a chapter's image built FROM the course image must not pass for
    the course image) and ``LABEL_COURSE`` is blanked (else a learner's container from a
    committed image would look like the course's).
    """
    result = labels(chapter, role=role)
    result[LABEL_COURSE] = ""
    result[LABEL_IMAGE] = "true"
    return result


def course_filter(*, key: str = LABEL_COURSE, **extra: str) -> dict[str, list[str]]:
    """A Docker ``filters`` dict that only matches course resources."""
    wanted = [f"{key}=true"]
    wanted += [f"{key}={value}" for key, value in extra.items()]
    return {"label": wanted}


def matches(found: dict[str, str] | None, flt: dict[str, list[str]]) -> bool:
    """Whether ``found`` labels satisfy every ``key=value`` of a :func:`course_filter`."""
    have = found or {}
    for wanted in flt.get("label", []):
        key, _, value = wanted.partition("=")
        if have.get(key) != value:
            return False
    return True


def first_label_only(flt: dict[str, list[str]]) -> dict[str, list[str]]:
    """The engine gets one label to filter by; :func:`matches` checks the rest.

    Podman's API answers an image filter with two labels with nothing (podman#18092).
    """
    return {"label": flt["label"][:1]}


#: Registry and local prefixes engines put in front of a name: Podman reports
#: ``docker.io/dockcourse/x:1`` and ``localhost/dockcourse/x:1`` where Docker says
#: ``dockcourse/x:1``.
_REF_PREFIXES = ("docker.io/library/", "docker.io/", "index.docker.io/", "localhost/")


def normalize_ref(ref: str) -> str:
    """An image reference as Docker prints it (``dockcourse/x:1``, ``busybox:1.36``)."""
    ref = ref.strip()
    for prefix in _REF_PREFIXES:
        if ref.startswith(prefix):
            return ref[len(prefix) :]
    return ref


def repo_tags(image: dict[str, Any]) -> list[str]:
    """An image's tags (``RepoTags`` of a listing or an inspect), normalised, no
    ``<none>``."""
    tags = [normalize_ref(str(tag)) for tag in image.get("RepoTags") or []]
    return [tag for tag in tags if tag and not tag.startswith("<none>")]


def full_image_id(image_id: str) -> str:
    """``sha256:<64 hex>``: Podman answers a commit (and ``history``, ``system df``)
    with the bare hex, and then refuses to look an image up by it."""
    bare = image_id.strip()
    if re.fullmatch(r"[0-9a-f]{64}", bare):
        return f"sha256:{bare}"
    return bare


def short_id(image_id: str) -> str:
    """12 hex digits of an image id, with or without its ``sha256:`` prefix."""
    return image_id.split(":", 1)[-1][:12]


_UNSAFE = re.compile(r"[^a-zA-Z0-9_.-]+")


def new_name(chapter: str, purpose: str) -> str:
    """``dockcourse-<chapter>-<purpose>-<random>``: unique, valid for every resource kind."""
    stem = _UNSAFE.sub("-", f"{chapter}-{purpose}").strip("-.") or "x"
    return f"{NAME_PREFIX}{stem}-{secrets.token_hex(3)}"


@dataclass(frozen=True)
class Owned:
    """One course resource found on the engine."""

    kind: str
    id: str
    name: str
    labels: dict[str, str]

    @property
    def session(self) -> str:
        return self.labels.get(LABEL_SESSION, "")

    @property
    def chapter(self) -> str:
        return self.labels.get(LABEL_CHAPTER, "")

    @property
    def is_course_image(self) -> bool:
        return self.kind == "image" and self.labels.get(LABEL_ROLE) == ROLE_COURSE_IMAGE


@dataclass(frozen=True)
class Removal:
    item: Owned
    removed: bool
    error: str = ""


def list_owned(
    client: docker.DockerClient,
    *,
    session: str | None = None,
    chapter: str | None = None,
    include_course_image: bool = False,
) -> list[Owned]:
    """Course resources on the engine, in the order they can be removed."""
    extra: dict[str, str] = {}
    if session:
        extra[LABEL_SESSION] = session
    if chapter:
        extra[LABEL_CHAPTER] = chapter
    flt = course_filter(**extra)
    one = first_label_only(flt)
    found: list[Owned] = []
    for c in client.api.containers(all=True, filters=one):
        if matches(c.get("Labels"), flt):
            name = (c.get("Names") or ["/?"])[0].lstrip("/")
            found.append(Owned("container", c["Id"], name, c.get("Labels") or {}))
    for n in client.api.networks(filters=one):
        if matches(n.get("Labels"), flt):
            found.append(Owned("network", n["Id"], n["Name"], n.get("Labels") or {}))
    for v in client.api.volumes(filters=one).get("Volumes") or []:
        if matches(v.get("Labels"), flt):
            found.append(Owned("volume", v["Name"], v["Name"], v.get("Labels") or {}))
    image_flt = course_filter(key=LABEL_IMAGE, **extra)
    for i in client.api.images(filters=first_label_only(image_flt)):
        if not matches(i.get("Labels"), image_flt):
            continue
        tags = repo_tags(i)
        item = Owned(
            "image", i["Id"], ",".join(tags) or i["Id"][:19], i.get("Labels") or {}
        )
        if include_course_image or not item.is_course_image:
            found.append(item)
    return found


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def is_stale(
    item: Owned,
    *,
    now: float,
    host: str,
    pid_alive: Callable[[int], bool] = _pid_alive,
    pid_start: Callable[[int], str] = process_start,
) -> bool:
    """True for leftovers of a session whose process is gone (crash, kernel restart).

    ``host`` is :func:`host_identity`; leftovers labelled with another identity are only
    stale after ``FOREIGN_STALE_AFTER_S``.
    """
    if item.is_course_image:
        return False
    try:
        pid = int(item.labels.get(LABEL_PID, ""))
    except ValueError:
        pid = 0
    try:
        created = float(item.labels.get(LABEL_CREATED, "0"))
    except ValueError:
        created = 0.0
    if item.labels.get(LABEL_HOST) == host and pid > 0:
        if pid == os.getpid():
            return False
        if not pid_alive(pid):
            return True
        started = item.labels.get(LABEL_PID_START, "")
        return bool(started) and pid_start(pid) not in ("", started)  # PID reused
    return now - created > FOREIGN_STALE_AFTER_S


def remove(client: docker.DockerClient, items: list[Owned]) -> list[Removal]:
    """Remove each item; an item another (non-course) resource still uses is left alone."""
    import docker.errors

    results: list[Removal] = []
    for item in items:
        try:
            if item.kind == "container":
                client.api.remove_container(item.id, force=True, v=True)
            elif item.kind == "network":
                client.api.remove_network(item.id)
            elif item.kind == "volume":
                client.api.remove_volume(item.id)
            elif item.kind == "image":
                _remove_image(client, item)
            results.append(Removal(item, True))
        except docker.errors.NotFound:
            results.append(Removal(item, True))
        except docker.errors.APIError as exc:
            results.append(Removal(item, False, str(exc.explanation or exc)))
    return results


def _remove_image(client: docker.DockerClient, item: Owned) -> None:
    """Untag only the course's own ``dockcourse/`` tags; the image goes when no tag is left.

    Never by id: a learner's ``docker commit`` of a course container inherits the labels,
    and whether tagged by them or dangling, it is theirs.
    """
    for tag in item.name.split(","):
        if normalize_ref(tag).startswith(IMAGE_PREFIX):
            client.api.remove_image(tag, noprune=False)


def in_use_elsewhere(item: Owned, *, now: float, host: str) -> bool:
    """True for what another notebook that is still running made (not this process)."""
    if item.is_course_image or not item.labels.get(LABEL_SESSION):
        return False
    if item.labels.get(LABEL_SESSION) == session_id():
        return False
    return not is_stale(item, now=now, host=host)


def clean(
    client: docker.DockerClient,
    *,
    dry_run: bool = False,
    include_course_image: bool = False,
    session: str | None = None,
    chapter: str | None = None,
    stale_only: bool = False,
    keep_live: bool = False,
) -> list[Removal]:
    """Remove course resources (all, one session's, one chapter's, or stale ones).

    ``keep_live``: leave what a notebook that is still running made (``dockcourse clean``
    does so unless told ``--live-too``), reported as kept.
    """
    items = list_owned(
        client,
        session=session,
        chapter=chapter,
        include_course_image=include_course_image,
    )
    now, host = time.time(), host_identity()
    if stale_only:
        items = [item for item in items if is_stale(item, now=now, host=host)]
    kept: list[Removal] = []
    if keep_live:
        live = [item for item in items if in_use_elsewhere(item, now=now, host=host)]
        kept = [Removal(item, False, "in use") for item in live]
        items = [item for item in items if item not in live]
    from .tagledger import untag  # tags the course made with the learner's names

    if dry_run:
        return (
            [Removal(item, False, "dry run") for item in items]
            + kept
            + untag(
                client,
                session=session,
                chapter=chapter,
                stale_only=stale_only,
                dry_run=True,
            )
        )
    removed = remove(client, items)
    return (
        removed
        + kept
        + untag(client, session=session, chapter=chapter, stale_only=stale_only)
    )


def sweep_stale(client: docker.DockerClient) -> list[Removal]:
    """Leftovers of crashed sessions and restarted kernels; run by ``setup()``."""
    return clean(client, stale_only=True)


def clean_chapter(client: docker.DockerClient, chapter: str) -> list[Removal]:
    """What this session created in ``chapter``: the last cell of each chapter."""
    return clean(client, session=session_id(), chapter=chapter)


def _is_ours(attrs_labels: dict[str, str] | None) -> bool:
    found = attrs_labels or {}
    return (
        found.get(LABEL_COURSE) == "true" and found.get(LABEL_SESSION) == session_id()
    )


def remove_container_if_ours(client: docker.DockerClient, name: str) -> None:
    """Remove by name only what this session made: a learner's namesake survives."""
    import docker.errors

    try:
        found = client.api.inspect_container(name)
        if _is_ours(found.get("Config", {}).get("Labels")):
            client.api.remove_container(found["Id"], force=True, v=True)
    except docker.errors.NotFound:
        pass


@contextmanager
def course_container(
    client: docker.DockerClient,
    image_ref: str,
    command: str | list[str] | None = None,
    *,
    chapter: str,
    name: str | None = None,
    **create_kwargs: Any,
) -> Iterator[Container]:
    """A labelled container (created, not started) that is removed however the block ends.

    The name is chosen before the container is created, so a Ctrl-C that lands between
    the engine creating it and the SDK returning still finds and removes it.
    """
    name = name or new_name(chapter, "c")
    all_labels = {**create_kwargs.pop("labels", {}), **labels(chapter)}
    try:
        yield client.containers.create(
            image_ref, command, name=name, labels=all_labels, **create_kwargs
        )
    finally:
        remove_container_if_ours(client, name)


@dataclass(frozen=True)
class RunResult:
    exit_code: int
    output: str
    elapsed_s: float
    oom_killed: bool = False


class ContainerTimeout(CourseError):
    """A course container ran longer than its timeout (it was removed)."""


def run(
    client: docker.DockerClient,
    image_ref: str,
    command: str | list[str],
    *,
    chapter: str,
    timeout_s: float = 30.0,
    **create_kwargs: Any,
) -> RunResult:
    """``docker run --rm``: run to completion, return exit code and output (stdout, then
    stderr), remove."""
    import requests

    start = time.perf_counter()
    with course_container(
        client, image_ref, command, chapter=chapter, **create_kwargs
    ) as container:
        container.start()
        try:
            status = container.wait(timeout=timeout_s)
        except (requests.exceptions.ReadTimeout, requests.exceptions.ConnectionError):
            raise ContainerTimeout(
                f"the container did not finish within {timeout_s:g} s and was removed"
            ) from None
        # stdout, then stderr: the engine stores the two streams separately, and their
        # interleaving in `docker logs` varies from run to run.
        output = "".join(
            container.logs(stdout=out, stderr=not out).decode("utf-8", "replace")
            for out in (True, False)
        )
        state = client.api.inspect_container(container.id)["State"]
    return RunResult(
        int(status.get("StatusCode", -1)),
        output,
        time.perf_counter() - start,
        bool(state.get("OOMKilled")),
    )


class NameTaken(CourseError):
    """A resource with that name exists already (perhaps the learner's): not reused."""


#: How engines word a name conflict: Docker answers 409 ("Conflict. The container name
#: … is already in use"), Podman 500 ("… that name is already in use").
_CONFLICT_WORDS = ("already in use", "already exists", "name is in use")


def is_name_conflict(exc: BaseException) -> bool:
    """Whether an API error means "that name is taken", by status or by meaning."""
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    if status == 409:
        return True
    text = " ".join(
        str(part or "") for part in (getattr(exc, "explanation", ""), exc)
    ).lower()
    return any(words in text for words in _CONFLICT_WORDS)


@contextmanager
def course_volume(
    client: docker.DockerClient,
    *,
    chapter: str,
    name: str | None = None,
    keep: bool = False,
    **create_kwargs: Any,
) -> Iterator[Volume]:
    """A new labelled volume, removed at the end of the block unless ``keep``.

    ``docker volume create`` silently returns an existing volume of the same name; this
    refuses instead, so a learner's volume is never adopted and then removed.
    """
    import docker.errors

    name = name or new_name(chapter, "v")
    try:
        client.api.inspect_volume(name)
    except docker.errors.NotFound:
        pass
    else:
        raise NameTaken(f"a volume named {name!r} exists already; choose another name")
    all_labels = {**create_kwargs.pop("labels", {}), **labels(chapter)}
    volume = client.volumes.create(name=name, labels=all_labels, **create_kwargs)
    try:
        yield volume
    finally:
        if not keep:
            try:
                if _is_ours(client.api.inspect_volume(name).get("Labels")):
                    client.api.remove_volume(name, force=True)
            except docker.errors.NotFound:
                pass
