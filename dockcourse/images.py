"""The course image: a tiny busybox image that works with or without a registry.

``ensure_image()`` uses the image if it is there; otherwise pulls ``busybox`` when a
registry answers quickly and labels it; otherwise builds one ``FROM scratch`` around a
static busybox found on the host (Debian/Ubuntu: ``busybox-static``; or the file named by
``DOCKCOURSE_BUSYBOX``). Used by every chapter through ``setup()``.
"""

from __future__ import annotations

import io
import os
import shutil
import struct
import subprocess
import tarfile
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._version import __version__
from .engine import call_timeout, normalize_arch
from .errors import CourseError
from .resources import (
    IMAGE_PREFIX,
    LABEL_CHAPTER,
    LABEL_IMAGE,
    LABEL_ROLE,
    ROLE_COURSE_IMAGE,
)

if TYPE_CHECKING:
    import docker

COURSE_REPO = f"{IMAGE_PREFIX}busybox"
UPSTREAM_IMAGE = "busybox:1.36"
BUSYBOX_ENV = "DOCKCOURSE_BUSYBOX"
BUSYBOX_CANDIDATES = ("/bin/busybox", "/usr/bin/busybox", "/usr/lib/busybox/busybox")
#: A registry that has not answered in this many seconds counts as unreachable.
REGISTRY_TIMEOUT_S = 5.0
BUILD_TIMEOUT_S = 120.0
#: ELF e_machine values for the architectures Docker reports.
ELF_MACHINES = {
    "x86_64": 62,
    "aarch64": 183,
    "arm64": 183,
    "armv7l": 40,
    "ppc64le": 21,
    "s390x": 22,
    "riscv64": 243,
}

#: The course image's configuration (``docker import --change`` / Dockerfile lines).
IMAGE_CHANGES = (
    "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    'CMD ["sh"]',
    'LABEL org.opencontainers.image.title="dockcourse course image"',
)
#: Fallback when the host cannot run the busybox it found (e.g. macOS with a Linux
#: binary): the engine links the applets itself.
DOCKERFILE = (
    'FROM scratch\nCOPY rootfs/ /\nRUN ["/bin/busybox", "--install", "-s"]\n'
    + ("\n".join(IMAGE_CHANGES) + "\n")
)
PASSWD = "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"
GROUP = "root:x:0:\nnobody:x:65534:\n"


class ImageUnavailable(CourseError):
    """No course image could be found, pulled or built; ``fix`` says what to install."""

    def __init__(self, cause: str, fix: str) -> None:
        super().__init__(cause=cause, fix=fix)


@dataclass(frozen=True)
class ImageResult:
    image_ref: str
    source: str  # "present", "pulled" or "built"
    elapsed_s: float


def course_image_ref() -> str:
    """``dockcourse/busybox:<package version>``: a new release rebuilds its image."""
    return f"{COURSE_REPO}:{__version__}"


def elf_facts(head: bytes) -> tuple[bool, int] | None:
    """(statically linked, e_machine) of an ELF file's first bytes, None if not ELF.

    Static means no PT_INTERP program header: nothing for the dynamic loader to do,
    so the binary runs in an image that holds nothing else.
    """
    if len(head) < 64 or head[:4] != b"\x7fELF":
        return None
    is64 = head[4] == 2
    endian = "<" if head[5] == 1 else ">"
    machine = struct.unpack_from(endian + "H", head, 18)[0]
    if is64:
        phoff = struct.unpack_from(endian + "Q", head, 32)[0]
        phentsize, phnum = struct.unpack_from(endian + "HH", head, 54)
    else:
        phoff = struct.unpack_from(endian + "I", head, 28)[0]
        phentsize, phnum = struct.unpack_from(endian + "HH", head, 42)
    for index in range(phnum):
        offset = phoff + index * phentsize
        if offset + 4 > len(head):
            return None
        if struct.unpack_from(endian + "I", head, offset)[0] == 3:  # PT_INTERP
            return False, machine
    return True, machine


def find_static_busybox(
    arch: str, environ: Mapping[str, str] | None = None
) -> tuple[Path | None, str]:
    """A static busybox for ``arch`` on this host, or None and the reason."""
    env = os.environ if environ is None else environ
    explicit = env.get(BUSYBOX_ENV, "").strip()
    candidates = [explicit] if explicit else list(BUSYBOX_CANDIDATES)
    found = shutil.which("busybox")
    if found and not explicit:
        candidates.append(found)
    reasons: list[str] = []
    for candidate in candidates:
        path = Path(candidate)
        try:
            with path.open("rb") as f:
                facts = elf_facts(f.read(65536))
        except OSError as exc:
            reasons.append(f"{candidate}: {exc.strerror}")
            continue
        if facts is None:
            reasons.append(f"{candidate}: not an ELF executable")
        elif not facts[0]:
            reasons.append(f"{candidate}: dynamically linked (install busybox-static)")
        elif ELF_MACHINES.get(normalize_arch(arch)) not in (None, facts[1]):
            reasons.append(
                f"{candidate}: built for another CPU than the engine's {arch}"
            )
        else:
            return path, ""
    if not reasons:
        reasons.append("no busybox found")
    return None, "; ".join(reasons)


def applet_paths(busybox: Path) -> list[str] | None:
    """Where busybox wants its applets (``bin/sh``, ``usr/bin/wget``...), if it runs here."""
    try:
        done = subprocess.run(
            [str(busybox), "--list-full"], capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return None
    paths = [line.strip() for line in done.stdout.splitlines() if line.strip()]
    if done.returncode != 0 or not paths:
        return None
    return sorted({p for p in paths if p != "bin/busybox" and ".." not in p})


def rootfs_tar(busybox: Path, applets: list[str] | None, prefix: str = "") -> bytes:
    """A root filesystem as a tar: busybox, its applet links, passwd, group, /tmp.

    With ``prefix="rootfs/"`` and a Dockerfile it is a build context instead.
    """
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:

        def add(name: str, data: bytes, mode: int = 0o644) -> None:
            info = tarfile.TarInfo(prefix + name)
            info.size, info.mode, info.mtime = len(data), mode, 0
            tar.addfile(info, io.BytesIO(data))

        dirs = {"bin", "sbin", "usr", "usr/bin", "usr/sbin", "etc", "root", "tmp"}
        for applet in applets or []:
            parent = os.path.dirname(applet)
            while parent:
                dirs.add(parent)
                parent = os.path.dirname(parent)
        for directory in sorted(dirs):
            info = tarfile.TarInfo(prefix + directory)
            info.type, info.mtime = tarfile.DIRTYPE, 0
            info.mode = 0o1777 if directory == "tmp" else 0o755
            tar.addfile(info)
        add("bin/busybox", busybox.read_bytes(), 0o755)
        add("etc/passwd", PASSWD.encode())
        add("etc/group", GROUP.encode())
        for applet in applets or []:
            info = tarfile.TarInfo(prefix + applet)
            info.type, info.linkname, info.mtime = tarfile.SYMTYPE, "/bin/busybox", 0
            tar.addfile(info)
    return buffer.getvalue()


def _build_log_error(chunks: Iterable[dict[str, Any]]) -> str:
    for chunk in chunks:
        if "error" in chunk:
            return str(chunk.get("error", "")).strip()
    return ""


def _course_image_changes() -> list[str]:
    """One ``LABEL`` instruction per label: Podman reads a multi-pair ``LABEL`` in
    ``--change`` as a single label."""
    own = [f'LABEL {key}="{value}"' for key, value in course_image_labels().items()]
    return [*IMAGE_CHANGES, *own]


def course_image_labels() -> dict[str, str]:
    """Fixed labels (no session or pid): the course image outlives every session."""
    return {LABEL_IMAGE: "true", LABEL_ROLE: ROLE_COURSE_IMAGE, LABEL_CHAPTER: "image"}


def build_course_image(
    client: docker.DockerClient,
    busybox: Path,
    image_ref: str,
    *,
    use_import: bool = True,
) -> None:
    """Make the FROM-scratch image: ``docker import`` of a root filesystem (one call,
    a fraction of a second), or a Dockerfile build when the host cannot list applets."""
    applets = applet_paths(busybox) if use_import else None
    with call_timeout(client, BUILD_TIMEOUT_S):
        if applets is not None:
            # The tag goes inside ``repo``: Podman ignores a separate ``tag=`` on import
            # (podman#18597); Docker accepts both forms.
            client.api.import_image_from_data(
                rootfs_tar(busybox, applets),
                repository=image_ref,
                changes=_course_image_changes(),
            )
            if not image_present(client, image_ref):
                raise ImageUnavailable(
                    f"importing {image_ref} did not give the image its name",
                    "run `dockcourse doctor` and see its advice",
                )
            return
        context = _dockerfile_context(busybox)
        log = client.api.build(
            fileobj=io.BytesIO(context),
            custom_context=True,
            tag=image_ref,
            rm=True,
            forcerm=True,
            decode=True,
        )
        error = _build_log_error(log)
    if error:
        raise ImageUnavailable(
            f"building {image_ref} failed: {error}",
            "run `dockcourse doctor` and see its advice",
        )


def _dockerfile_context(busybox: Path) -> bytes:
    dockerfile = (
        DOCKERFILE + "\n".join(_course_image_changes()[len(IMAGE_CHANGES) :]) + "\n"
    )
    rootfs = rootfs_tar(busybox, None, prefix="rootfs/")
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        with tarfile.open(fileobj=io.BytesIO(rootfs)) as source:
            for member in source.getmembers():
                tar.addfile(
                    member, source.extractfile(member) if member.isfile() else None
                )
        info = tarfile.TarInfo("Dockerfile")
        info.size = len(dockerfile.encode())
        tar.addfile(info, io.BytesIO(dockerfile.encode()))
    return buffer.getvalue()


def registry_answers(
    client: docker.DockerClient, timeout_s: float = REGISTRY_TIMEOUT_S
) -> bool:
    """Whether the engine can reach a registry: asks it for a manifest, downloads nothing."""
    import docker.errors
    import requests

    try:
        with call_timeout(client, timeout_s):
            client.api.inspect_distribution(UPSTREAM_IMAGE)
    except (docker.errors.APIError, requests.exceptions.RequestException):
        return False
    return True


def pull_course_image(client: docker.DockerClient, image_ref: str) -> None:
    """Pull busybox and rebuild it with the course labels (no new layers)."""
    import docker.errors

    repo, tag = UPSTREAM_IMAGE.split(":")
    had_upstream = bool(client.api.images(name=UPSTREAM_IMAGE, quiet=True))
    with call_timeout(client, BUILD_TIMEOUT_S):
        error = _build_log_error(
            client.api.pull(repo, tag=tag, stream=True, decode=True)
        )
        if error:
            raise docker.errors.APIError(error)
        own = "\n".join(_course_image_changes()[len(IMAGE_CHANGES) :])
        dockerfile = f"FROM {UPSTREAM_IMAGE}\n{own}\n".encode()
        log = client.api.build(
            fileobj=io.BytesIO(dockerfile), tag=image_ref, rm=True, decode=True
        )
        error = _build_log_error(log)
    if (
        not had_upstream
    ):  # we brought the upstream tag; our labelled tag keeps the layers
        client.api.remove_image(UPSTREAM_IMAGE, noprune=True)
    if error:
        raise docker.errors.APIError(error)


def image_present(client: docker.DockerClient, image_ref: str) -> bool:
    import docker.errors

    try:
        client.api.inspect_image(image_ref)
    except docker.errors.ImageNotFound:
        return False
    return True


def ensure_course_image(
    client: docker.DockerClient,
    *,
    allow_pull: bool = True,
    environ: Mapping[str, str] | None = None,
    image_ref: str | None = None,
) -> ImageResult:
    """The course image, from the engine, a registry, or a local build (in that order)."""
    import docker.errors

    image_ref = image_ref or course_image_ref()
    start = time.perf_counter()
    if image_present(client, image_ref):
        return ImageResult(image_ref, "present", time.perf_counter() - start)
    pull_error = "pulling was not allowed"
    if allow_pull and registry_answers(client):
        try:
            pull_course_image(client, image_ref)
            return ImageResult(image_ref, "pulled", time.perf_counter() - start)
        except docker.errors.APIError as exc:
            pull_error = str(exc.explanation or exc)
    elif allow_pull:
        pull_error = "no registry answered"
    arch = str(client.info().get("Architecture", ""))
    busybox, reason = find_static_busybox(arch, environ)
    if busybox is None:
        raise ImageUnavailable(
            f"the course image {image_ref} is missing, {pull_error}, and no static busybox "
            f"was found to build it ({reason})",
            "connect to the internet once (the image is then pulled), or install a static "
            "busybox: Debian/Ubuntu `sudo apt-get install busybox-static`; elsewhere set "
            f"{BUSYBOX_ENV}=/path/to/static/busybox built for {arch or 'the engine CPU'}",
        )
    build_course_image(client, busybox, image_ref)
    return ImageResult(image_ref, "built", time.perf_counter() - start)


def ensure_image(client: docker.DockerClient, *, allow_pull: bool = True) -> str:
    """The course image's reference, making it if needed. Used by every chapter."""
    return ensure_course_image(client, allow_pull=allow_pull).image_ref
