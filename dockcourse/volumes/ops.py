"""``docker volume`` itself on the real engine: list, sizes, create, inspect, remove.

A volume is *course-made* when it carries ``io.dockcourse.course=true``; every other
volume is the learner's own and is not changed unless the caller passes
``allow_learner=True``. ``docker volume create NAME`` silently returns an existing
volume: :func:`create_volume` refuses instead, so a learner's volume is never adopted.
A volume that a container (running or stopped) mounts is not removed, and the error
names the container.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..commands import command_line
from ..resources import (
    LABEL_COURSE,
    LABEL_SESSION,
    ContainerTimeout,
    new_name,
    run,
)
from ..resources import labels as course_labels
from ..text import t
from .commands import (
    cli_create,
    cli_inspect,
    cli_ls,
    cli_remove,
    cli_run,
)
from .model import (
    CHAPTER,
    HELPER_TIMEOUT_S,
    MOUNT_POINT,
    Created,
    Inspected,
    InvalidSpec,
    LearnerVolume,
    Listing,
    Removed,
    Sizes,
    VolumeError,
    VolumeExists,
    VolumeInUse,
    VolumeNotFound,
    VolumeRow,
    _api_error_text,
    describe_users,
    filter_rows,
    row_from_api,
    users_by_volume,
)
from .validate import (
    check_name,
    check_options,
    parse_pairs,
)

if TYPE_CHECKING:
    import docker


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
    ls = command_line(
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
        "\n" + command_line(["docker", "volume", "rm", *removed]) if removed else ""
    )
    return Removed(tuple(removed), command, skipped)
