"""Backup, restore and clone of a volume's files.

Backup and restore move the tar file with the archive API (``docker cp``), so they
also work with a remote engine, where a bind mount of the notebook's directory would
not.
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from ..engine import call_timeout
from ..resources import (
    course_container,
    new_name,
)
from ..text import t
from .commands import (
    BACKUP_ARGV,
    CLONE_ARGV,
    RESTORE_ARGV,
    cli_backup,
    cli_restore,
    cli_run,
)
from .helper import _helper
from .model import (
    CHAPTER,
    MOUNT_POINT,
    TRANSFER_TIMEOUT_S,
    BackedUp,
    Cloned,
    HelperFailed,
    Interrupted,
    Restored,
    VolumeError,
    _api_error_text,
)
from .ops import _get_row, _guard_change, create_volume
from .validate import (
    check_backup_target,
    check_host_path,
    shorten,
)

if TYPE_CHECKING:
    import docker


def default_backup_path(volume: str, now: float | None = None) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
    return Path(f"{volume}-{stamp}.tar")


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


#: Pauses (seconds) before reading the helper's tar file again when the engine sent an
#: archive that is empty or cut short.
ARCHIVE_RETRY_PAUSES_S = (0.5, 1.0, 2.0, 4.0)
#: How long to wait for the engine to finish with an exited helper (see _settle).
SETTLE_TIMEOUT_S = 15.0


def _settle(client: docker.DockerClient, container_id: str) -> None:
    """Wait until the engine has finished with the exited helper container.

    Podman reports an exited container as ``stopped`` until its cleanup process has
    unmounted the container's file system, and then as ``exited``. An archive read in
    between can find the file system going away under it: the engine has already
    answered 200 and sends an empty (or cut short) archive. Docker says ``exited`` at
    once, so this costs it one inspect."""
    deadline = time.monotonic() + SETTLE_TIMEOUT_S
    while time.monotonic() < deadline:
        state = client.api.inspect_container(container_id).get("State") or {}
        if state.get("Status") != "stopped":
            return
        time.sleep(0.2)


def _copy_member(chunks: Iterable[bytes], out: IO[bytes]) -> None:
    """Write the one file of the tar stream ``chunks`` (what ``get_archive`` of a file
    sends) into ``out``. ``tarfile.ReadError`` when the stream is empty, cut short or
    holds no file."""
    import tarfile

    with tarfile.open(fileobj=_StreamReader(chunks), mode="r|") as outer:
        member = next(iter(outer), None)
        source = outer.extractfile(member) if member is not None else None
        if source is None:
            raise tarfile.ReadError("no file in the archive")
        while block := source.read(1 << 20):
            out.write(block)


def _fetch_file(
    open_chunks: Callable[[], contextlib.AbstractContextManager[Iterable[bytes]]],
    path: Path,
    pauses: Iterable[float] = ARCHIVE_RETRY_PAUSES_S,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """The file in the archive that ``open_chunks()`` streams, written to ``path``; an
    archive that is empty or cut short is read again after each of ``pauses`` (the
    engine may still be busy with the container: see :func:`_settle`). Returns how
    many reads it took; ``tarfile.ReadError`` when the last one failed too."""
    import tarfile

    for attempt, pause in enumerate((*pauses, None), start=1):
        try:
            with open_chunks() as chunks, path.open("wb") as out:
                _copy_member(chunks, out)
            return attempt
        except tarfile.ReadError:
            if pause is None:
                raise
            sleep(pause)
    raise AssertionError("unreachable")  # pragma: no cover


def _with_command(exc: Exception, command: str) -> VolumeError:
    """What a backup or restore raises for ``exc``, naming the command the learner would
    type: an engine refusal explained in one sentence, a course error as it is."""
    import docker.errors

    if isinstance(exc, docker.errors.APIError):
        return HelperFailed(
            t("volumes.err.engine_refused", error=_api_error_text(exc)), command
        )
    if not isinstance(exc, VolumeError):
        raise TypeError(exc)
    exc.command = command
    return exc


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
            _settle(client, container.id)
            try:
                _fetch_file(
                    lambda: _archive(client, container.id, "/tmp/backup.tar"), partial
                )
            except tarfile.ReadError:
                raise HelperFailed(
                    t("volumes.err.helper", output="no tar file")
                ) from None
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
    except (docker.errors.APIError, VolumeError) as exc:
        raise _with_command(exc, command) from None
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
    except (docker.errors.APIError, VolumeError) as exc:
        raise _with_command(exc, command) from None
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
