"""Exercise checks of chapter 01 (what is Docker?): each inspects the real engine.

Both are about the source's disk claim. ``check_shared``: three running containers of the
course image share one image, and each writable layer (``SizeRw``, what ``docker ps
--size`` shows) is next to nothing. ``check_writer``: a container that wrote 5 MiB has a
writable layer of 5 MiB, and the image did not grow. ``writable_layer`` is what the
chapter's own cells read too.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from ..lessons.ch01 import describe_layer
from ..lessons.ch01 import read_layer as writable_layer
from ..resources import LABEL_CHAPTER, LABEL_COURSE
from ..text import t
from ..units import human_bytes
from . import Verdict, failed, passed, run_check

if TYPE_CHECKING:
    import docker

    from ..session import Session

__all__ = [
    "check_shared",
    "check_writer",
    "describe_layer",
    "inspect_shared",
    "inspect_writer",
    "shared_prefix",
    "writable_layer",
]

CHAPTER = "01"
#: The exercises' names are this session's (``course.name``), so that two notebooks on
#: one engine never collide: ``EX-1``… ``EX-3`` and ``WRITER``, printed by the cell
#: above the exercises (``EX = course.name("ex")``, ``WRITER = course.name("writer")``).
EX_PURPOSE = "ex"
SHARED_COUNT = 3
WRITER_PURPOSE = "writer"
WRITE_BYTES = 5 * 1024 * 1024
#: A fresh container's layer holds a few files the runtime made (if any): far below this.
SMALL_BYTES = 1024 * 1024
#: How long ``check_writer`` waits for the write to finish.
WRITE_WAIT_S = 10.0


def _listed(client: docker.DockerClient, name: str) -> list[dict[str, Any]]:
    """``docker ps --all --size``, entries whose name starts with ``name``."""
    found = client.api.containers(all=True, size=True, filters={"name": name})
    return [
        entry
        for entry in found
        if any(n.lstrip("/").startswith(name) for n in entry.get("Names") or [])
    ]


def _name(entry: dict[str, Any]) -> str:
    return str((entry.get("Names") or ["/?"])[0]).lstrip("/")


def _is_course(entry: dict[str, Any]) -> bool:
    found = entry.get("Labels") or {}
    return found.get(LABEL_COURSE) == "true" and found.get(LABEL_CHAPTER) == CHAPTER


def inspect_shared(
    client: docker.DockerClient,
    prefix: str,
    count: int = SHARED_COUNT,
    image_ref: str | None = None,
) -> Verdict:
    from ..images import course_image_ref

    wanted = image_ref or course_image_ref()
    found = sorted(_listed(client, prefix), key=_name)
    hint = t("check.01.shared.hint", prefix=prefix, count=count)
    if len(found) < count:
        names = ", ".join(_name(e) for e in found) or t("check.01.none")
        return failed(
            t("check.01.shared.too_few", count=count, prefix=prefix, names=names),
            hint,
        )
    foreign = [_name(e) for e in found if not _is_course(e)]
    if foreign:
        return failed(
            t("check.01.not_course", names=", ".join(foreign)),
            t("check.01.not_course_hint"),
        )
    stopped = [_name(e) for e in found if e.get("State") != "running"]
    if stopped:
        return failed(
            t("check.01.shared.stopped", names=", ".join(stopped)),
            t("check.01.shared.stopped_hint"),
        )
    course_id = client.api.inspect_image(wanted)["Id"]
    other = [_name(e) for e in found if e.get("ImageID") != course_id]
    if other:
        return failed(
            t("check.01.shared.other_image", names=", ".join(other), image=wanted),
            t("check.01.shared.other_image_hint"),
        )
    image_bytes = int(client.api.inspect_image(course_id).get("Size", 0))
    layers = [int(e.get("SizeRw") or 0) for e in found]
    detail = t(
        "check.01.shared.ok",
        count=len(found),
        image=wanted,
        image_size=human_bytes(image_bytes),
        layers=", ".join(human_bytes(size) for size in layers),
        total=human_bytes(image_bytes + sum(layers)),
        naive=human_bytes(image_bytes * len(found)),
    )
    big = [
        _name(e) for e, size in zip(found, layers, strict=True) if size > SMALL_BYTES
    ]
    if big:
        detail += " " + t("check.01.shared.some_wrote", names=", ".join(big))
    return passed(detail)


def shared_prefix(session: Session) -> str:
    """``EX + "-"``: the exercise's three containers are ``EX-1``, ``EX-2``, ``EX-3``."""
    return session.name(EX_PURPOSE) + "-"


def check_shared(session: Session) -> Verdict:
    """Three running ``EX-*`` containers that share the course image."""
    prefix = shared_prefix(session)
    return run_check(
        session,
        t("check.01.shared.what", count=SHARED_COUNT, prefix=prefix),
        lambda client: inspect_shared(client, prefix),
    )


def inspect_writer(
    client: docker.DockerClient,
    name: str,
    wait_s: float = WRITE_WAIT_S,
) -> Verdict:
    hint = t("check.01.writer.hint", name=name)
    deadline = time.monotonic() + wait_s
    while True:
        found = [e for e in _listed(client, name) if _name(e) == name]
        if not found:
            return failed(t("check.01.missing", name=name), hint)
        entry = found[0]
        if not _is_course(entry):
            return failed(
                t("check.01.not_course", names=name), t("check.01.not_course_hint")
            )
        size = int(entry.get("SizeRw") or 0)
        if size >= WRITE_BYTES or time.monotonic() >= deadline:
            break
        if entry.get("State") != "running":
            break  # it will not write any more
        time.sleep(0.5)
    if size < WRITE_BYTES:
        status = str(entry.get("Status", ""))
        return failed(
            t(
                "check.01.writer.small",
                name=name,
                size=human_bytes(size),
                wanted=human_bytes(WRITE_BYTES),
                status=status,
            ),
            hint,
        )
    image = client.api.inspect_image(entry["ImageID"])
    return passed(
        t(
            "check.01.writer.ok",
            name=name,
            size=human_bytes(size),
            image_size=human_bytes(int(image.get("Size", 0))),
        )
    )


def check_writer(session: Session) -> Verdict:
    """``WRITER`` wrote 5 MiB, and its writable layer grew by as much."""
    name = session.name(WRITER_PURPOSE)
    return run_check(
        session,
        t("check.01.writer.what", name=name, size=human_bytes(WRITE_BYTES)),
        lambda client: inspect_writer(client, name),
    )
