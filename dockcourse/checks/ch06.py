"""Exercise checks of chapter 06 (volumes): each inspects the real engine.

- :func:`check_volume`: the volume ``course.name("ex")`` (``dockcourse-06-ex-<tag>``)
  exists and holds ``hello.txt`` (``/data/hello.txt`` when mounted at ``/data``)
  containing ``hello``; the file is read through a short-lived read-only helper
  container, as ``docker run --rm -v NAME:/data:ro ... cat /data/hello.txt`` would.
- :func:`check_reader`: a container ``course.name("ex-reader")`` mounts that volume
  read-only (``docker inspect``'s ``Mounts``).
- :func:`check_shell`: the source's ``docker run -it -v myvolume:/data … sh``, typed in
  JupyterLab's Terminal with the volume ``course.name("shell")``: the volume exists and
  holds a non-empty ``note.txt`` written at the prompt. Made by ``-v`` in the Terminal,
  the volume has no course label: the check only reads it, and says how to remove it.

The names end with the session's tag, so two notebooks doing the exercises on one
engine do not meet.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..images import course_image_ref
from ..resources import LABEL_COURSE, ContainerTimeout, run
from ..text import t
from . import Verdict, failed, inspected, passed, run_check

if TYPE_CHECKING:
    import docker

    from ..session import Session

CHAPTER = "06"
#: The exercises' names without a session (``course.name`` adds the session's tag).
EX_VOLUME = "dockcourse-06-ex"
EX_READER = "dockcourse-06-ex-reader"
EX_VOLUME_PURPOSE = "ex"
EX_READER_PURPOSE = "ex-reader"
SHELL_PURPOSE = "shell"
SHELL_FILE = "note.txt"
EX_FILE = "hello.txt"
EX_TEXT = "hello"
MOUNT_POINT = "/data"
READ_TIMEOUT_S = 20.0


def _read(
    client: docker.DockerClient, name: str, path: str, image_ref: str | None
) -> int | str:
    """What ``path`` holds in volume ``name`` (mounted read-only at ``/data`` by a
    short-lived helper container), or ``cat``'s exit code when it cannot be read."""
    result = run(
        client,
        image_ref or course_image_ref(),
        ["cat", path],
        chapter=CHAPTER,
        timeout_s=READ_TIMEOUT_S,
        network_disabled=True,
        volumes={name: {"bind": MOUNT_POINT, "mode": "ro"}},
    )
    return result.exit_code if result.exit_code != 0 else result.output


def _volume_file(
    client: docker.DockerClient,
    name: str,
    path: str,
    image_ref: str | None,
    *,
    missing: Verdict,
    no_file: Verdict,
) -> Verdict | tuple[dict[str, Any], str]:
    """The volume ``name``'s inspect and the text of ``path`` in it (read by a throw-away
    container, the volume mounted read-only), or the verdict that says what is missing."""
    found = inspected(client.api.inspect_volume, name)
    if found is None:
        return missing
    try:
        output = _read(client, name, path, image_ref)
    except ContainerTimeout:
        return failed(
            t("check.06.volume.unreadable", name=name),
            t("check.engine_error_hint"),
        )
    if isinstance(output, int):
        return no_file
    return found, output


def inspect_volume_holds(
    client: docker.DockerClient,
    name: str = EX_VOLUME,
    *,
    image_ref: str | None = None,
) -> Verdict:
    """The volume exists and its ``hello.txt`` says ``hello`` (trailing newline allowed)."""
    path = f"{MOUNT_POINT}/{EX_FILE}"
    read = _volume_file(
        client, name, path, image_ref,
        missing=failed(t("check.06.volume.missing", name=name),
                       t("check.06.volume.missing_hint", name=name)),
        no_file=failed(t("check.06.volume.no_file", name=name, path=path),
                       t("check.06.volume.no_file_hint", name=name, file=EX_FILE)),
    )  # fmt: skip
    if isinstance(read, Verdict):
        return read
    found, output = read
    text = output.rstrip("\n")
    if text != EX_TEXT:
        return failed(
            t("check.06.volume.wrong_text", path=path, text=text[:80], wanted=EX_TEXT),
            t("check.06.volume.wrong_text_hint", file=EX_FILE, wanted=EX_TEXT),
        )
    ours = (found.get("Labels") or {}).get(LABEL_COURSE) == "true"
    key = "check.06.volume.ok" if ours else "check.06.volume.ok_yours"
    return passed(t(key, name=name, path=path, wanted=EX_TEXT))


def check_volume(session: Session, name: str | None = None) -> Verdict:
    """Exercise 1: volume ``name`` (default ``session.name("ex")``) holds ``hello.txt``
    saying ``hello``."""
    name = name or session.name(EX_VOLUME_PURPOSE)

    def inspect(client: docker.DockerClient) -> Verdict:
        return inspect_volume_holds(client, name, image_ref=session.image_ref or None)

    return run_check(
        session, t("check.06.volume.what", name=name, file=EX_FILE), inspect
    )


def inspect_reader(
    client: docker.DockerClient, name: str = EX_READER, volume: str = EX_VOLUME
) -> Verdict:
    """Container ``name`` (running or not) mounts ``volume`` read-only."""
    import docker.errors

    try:
        found: dict[str, Any] = client.api.inspect_container(name)
    except docker.errors.NotFound:
        return failed(
            t("check.06.reader.missing", name=name),
            t("check.06.reader.missing_hint", name=name, volume=volume),
        )
    mounts = found.get("Mounts") or []
    mine = [m for m in mounts if m.get("Type") == "volume" and m.get("Name") == volume]
    if not mine:
        others = ", ".join(
            f"{m.get('Name') or m.get('Source')}:{m.get('Destination')}" for m in mounts
        )
        return failed(
            t(
                "check.06.reader.no_mount",
                name=name,
                volume=volume,
                mounts=others or t("check.06.reader.nothing"),
            ),
            t("check.06.reader.no_mount_hint", name=name, volume=volume),
        )
    mount = mine[0]
    destination = str(mount.get("Destination", ""))
    if mount.get("RW", True):
        return failed(
            t("check.06.reader.writable", name=name, volume=volume, dest=destination),
            t("check.06.reader.writable_hint", volume=volume, dest=destination),
        )
    state = str((found.get("State") or {}).get("Status", ""))
    return passed(
        t("check.06.reader.ok", name=name, volume=volume, dest=destination, state=state)
    )


def check_reader(
    session: Session, name: str | None = None, volume: str | None = None
) -> Verdict:
    """Exercise 2: container ``name`` mounts ``volume`` read-only (defaults:
    ``session.name("ex-reader")`` and ``session.name("ex")``)."""
    name = name or session.name(EX_READER_PURPOSE)
    volume = volume or session.name(EX_VOLUME_PURPOSE)

    def inspect(client: docker.DockerClient) -> Verdict:
        return inspect_reader(client, name, volume)

    return run_check(
        session, t("check.06.reader.what", name=name, volume=volume), inspect
    )


def inspect_shell_volume(
    client: docker.DockerClient, name: str, *, image_ref: str | None = None
) -> Verdict:
    """Exercise 3: volume ``name`` holds a non-empty ``note.txt``. It may be unlabelled
    (made by ``docker run -v`` in the Terminal): it is only read."""
    path = f"{MOUNT_POINT}/{SHELL_FILE}"
    read = _volume_file(
        client, name, path, image_ref,
        missing=failed(t("check.06.shell.missing", name=name),
                       t("check.06.shell.missing_hint", name=name)),
        no_file=failed(t("check.06.shell.no_file", name=name, path=path),
                       t("check.06.shell.no_file_hint", path=path)),
    )  # fmt: skip
    if isinstance(read, Verdict):
        return read
    found, output = read
    line = output.strip().splitlines()[0][:80] if output.strip() else ""
    if not line:
        return failed(
            t("check.06.shell.empty", path=path),
            t("check.06.shell.no_file_hint", path=path),
        )
    ours = (found.get("Labels") or {}).get(LABEL_COURSE) == "true"
    key = "check.06.shell.ok" if ours else "check.06.shell.ok_yours"
    return passed(t(key, name=name, path=path, text=line))


def check_shell(session: Session, name: str | None = None) -> Verdict:
    """Exercise 3: the volume ``name`` (default ``session.name("shell")``), made by the
    source's ``docker run -it -v NAME:/data … sh`` in the Terminal, holds a non-empty
    ``note.txt``."""
    name = name or session.name(SHELL_PURPOSE)

    def inspect(client: docker.DockerClient) -> Verdict:
        return inspect_shell_volume(client, name, image_ref=session.image_ref or None)

    return run_check(
        session, t("check.06.shell.what", name=name, file=SHELL_FILE), inspect
    )
