"""The course's scratch folder: the files the chapters write (bind-mount sources, backups).

One folder per :class:`~dockcourse.session.Session`, made 0700 by ``mkdtemp`` under the
user's own cache folder (``$DOCKCOURSE_SCRATCH``, else ``$XDG_CACHE_HOME/dockcourse/
scratch``, else ``~/.cache/dockcourse/scratch``; a private folder in the temp dir when the
home cannot be written), so learners sharing a machine, and two notebooks of one learner,
never meet each other's files. A home folder is also what Docker Desktop and colima share
with their VM, where ``/tmp`` is not.

Each folder holds an owner file with the labels of :func:`resources.labels` (session,
host, process), so that a folder whose process is gone is found like any other
leftover. It is removed by ``Session.clean()`` (the chapter's last cell), when the Python
process exits, by ``setup()`` when its process is gone, and by ``dockcourse clean``.
Used by chapter 06.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import resources

if TYPE_CHECKING:
    import docker

ROOT_ENV = "DOCKCOURSE_SCRATCH"
OWNER_FILE = ".dockcourse-owner.json"
#: ``dockcourse clean`` and the session list these as kind "folder".
KIND = "folder"


def _private_dir(path: Path) -> Path | None:
    """``path`` as a 0700 folder of this user, or None (made by someone else, a link)."""
    try:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        info = path.lstat()
    except OSError:
        return None
    if not path.is_dir() or path.is_symlink() or info.st_uid != os.geteuid():
        return None
    if info.st_mode & 0o077:
        try:
            path.chmod(0o700)
        except OSError:
            return None
    return path


def base_dirs() -> list[Path]:
    """Where this user's scratch folders may be, the preferred first."""
    chosen = os.environ.get(ROOT_ENV, "").strip()
    if chosen:
        return [Path(chosen).expanduser()]
    cache = os.environ.get("XDG_CACHE_HOME", "").strip()
    home_cache = Path(cache) if cache else Path.home() / ".cache"
    return [
        home_cache / "dockcourse" / "scratch",
        Path(tempfile.gettempdir()) / f"dockcourse-scratch-{os.geteuid()}",
    ]


def make(chapter: str) -> Path:
    """A new, empty 0700 scratch folder for a session of ``chapter``."""
    owner = resources.labels(chapter)
    prefix = f"{resources.session_id()}-{chapter}-"
    for base in base_dirs():
        if _private_dir(base) is None:
            continue
        try:
            folder = Path(tempfile.mkdtemp(prefix=prefix, dir=base))
        except OSError:
            continue
        (folder / OWNER_FILE).write_text(json.dumps(owner), encoding="utf-8")
        return folder
    # Neither is usable: a folder of its own in the temp dir, removed at exit only.
    return Path(tempfile.mkdtemp(prefix=f"dockcourse-{prefix}"))


def owner_of(folder: Path) -> dict[str, str] | None:
    """The labels a scratch folder was made with; None for anything else."""
    try:
        found = json.loads((folder / OWNER_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(found, dict) or found.get(resources.LABEL_COURSE) != "true":
        return None
    return {str(k): str(v) for k, v in found.items()}


def listed(folder: Path) -> resources.Owned:
    """A scratch folder as ``clean`` reports it."""
    return resources.Owned(KIND, str(folder), str(folder), owner_of(folder) or {})


def list_folders() -> list[resources.Owned]:
    """This user's scratch folders (every session's), the ones with an owner file."""
    found: list[resources.Owned] = []
    for base in base_dirs():
        try:
            entries = sorted(base.iterdir()) if base.is_dir() else []
        except OSError:
            continue
        found += [listed(p) for p in entries if p.is_dir() and owner_of(p) is not None]
    return found


def remove(folder: Path) -> resources.Removal:
    """Remove one scratch folder and everything in it (files a container wrote too)."""
    item = listed(folder)
    errors: list[str] = []

    def failed(_func: object, path: str, exc_info: Any) -> None:
        exc = exc_info[1] if isinstance(exc_info, tuple) else exc_info
        errors.append(f"{path}: {getattr(exc, 'strerror', None) or exc}")

    if folder.exists():
        if sys.version_info >= (3, 12):
            shutil.rmtree(folder, onexc=failed)
        else:
            shutil.rmtree(folder, onerror=failed)
    return resources.Removal(item, not errors, "; ".join(errors[:3]))


def clean(
    *, dry_run: bool = False, stale_only: bool = False
) -> list[resources.Removal]:
    """Remove this user's scratch folders (all, or those whose process is gone)."""
    items = list_folders()
    if stale_only:
        now, host = time.time(), resources.host_identity()
        items = [i for i in items if resources.is_stale(i, now=now, host=host)]
    if dry_run:
        return [resources.Removal(item, False, "dry run") for item in items]
    return [remove(Path(item.id)) for item in items]


def marker(folder: Path) -> tuple[Path, str]:
    """A file with a random token in ``folder``, for :func:`engine_sees`."""
    token = secrets.token_hex(8)
    path = folder / f".probe-{token}"
    path.write_text(token, encoding="utf-8")
    return path, token


PROBE_MOUNT = "/probe"
PROBE_TIMEOUT_S = 30.0


def engine_sees(
    client: docker.DockerClient, image_ref: str, folder: Path, *, chapter: str
) -> bool:
    """Does the engine see this notebook's files? Evidence, not a guess: a marker file
    written in ``folder`` is bind-mounted into a course container, which reads it back.

    ``--mount type=bind`` (not ``-v``) refuses a source the engine's machine lacks,
    so a probe of an engine in a VM leaves no empty folder behind there.
    """
    import docker.errors
    from docker.types import Mount

    path, token = marker(folder)
    try:
        result = resources.run(
            client,
            image_ref,
            ["cat", f"{PROBE_MOUNT}/{path.name}"],
            chapter=chapter,
            timeout_s=PROBE_TIMEOUT_S,
            network_disabled=True,
            mounts=[Mount(PROBE_MOUNT, str(folder), type="bind", read_only=True)],
        )
    except (docker.errors.APIError, resources.ContainerTimeout):
        return False
    finally:
        path.unlink(missing_ok=True)
    return result.exit_code == 0 and result.output.strip() == token
