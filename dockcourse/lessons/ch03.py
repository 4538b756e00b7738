"""Chapter 03's lesson steps (images and layers) and their display.

Every image and container a step makes is named for this session (``course.image_name``,
``course.name``), so two notebooks running chapter 03 on one engine never meet; steps
take *purposes* (``"custom"``), never such names, so a recording made by one session
replays in any other.

- :func:`image_facts`, :func:`three_containers`: one image, many containers;
- :func:`commit`, :func:`changes`, :func:`history`, :func:`disk`: ``docker commit``,
  ``docker diff``, ``docker history``, ``docker system df -v``;
- :func:`docker_hub`: whether Docker Hub answers (and a labelled pull when it does);
- :func:`start_registry`: a registry of the course's own on 127.0.0.1 of the engine, made
  offline from Debian's ``docker-registry`` program (:func:`registry_binary`), for the
  learner's ``docker tag`` / ``push`` / ``rmi`` / ``pull``; ``course.clean()`` removes it;
- :func:`foreign`: an image for another CPU (``exec format error``).

The machinery is in :mod:`dockcourse.builds`.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tarfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import builds, resources
from ..builds import format_diff, format_disk, format_history, layer_table
from ..engine import call_timeout, normalize_arch
from ..images import ELF_MACHINES, elf_facts, image_present
from ..session import Session, step
from ..text import t
from ..units import docker_size as size

if TYPE_CHECKING:
    import docker

__all__ = [
    "changes",
    "commit",
    "disk",
    "docker_hub",
    "foreign",
    "format_diff",
    "format_disk",
    "format_history",
    "history",
    "image_facts",
    "layer_table",
    "registry_binary",
    "registry_summary",
    "remote_ref",
    "size",
    "start_registry",
    "three_containers",
]

#: Where the registry program may be: ``$DOCKCOURSE_REGISTRY``, then Debian's package
#: ``docker-registry`` (``/usr/bin/docker-registry``), then upstream's name.
REGISTRY_ENV = "DOCKCOURSE_REGISTRY"
REGISTRY_CANDIDATES = ("docker-registry", "registry")
REGISTRY_PORT = 5000
REGISTRY_CONFIG = """\
version: 0.1
storage:
  filesystem:
    rootdirectory: /var/lib/registry
  delete:
    enabled: true
http:
  addr: :5000
"""
REGISTRY_START_S = 15.0
PUSH_TIMEOUT_S = 60.0
MANIFEST_V2 = "application/vnd.docker.distribution.manifest.v2+json"


def _client(course: Session) -> docker.DockerClient:
    return course.require_client()


@step()
def image_facts(course: Session) -> dict[str, Any]:
    """``docker image inspect`` of the course image, reduced to what the chapter shows."""
    return builds.image_facts(_client(course), course.image_ref)


@step()
def three_containers(course: Session) -> list[dict[str, str]]:
    """``docker run`` three times from the course image: each container's ID, hostname
    and the image it was made from."""
    return builds.containers_of(
        _client(course), course.image_ref, 3, chapter=course.chapter
    )


def _ref(course: Session, purpose: str) -> str:
    """This session's image for ``purpose``; "" is the course image."""
    return course.image_name(purpose) if purpose else course.image_ref


@step()
def commit(
    course: Session, purpose: str, command: str, base: str = ""
) -> dict[str, Any]:
    """``docker run`` of ``sh -c command`` from ``base`` (a purpose; "" for the course
    image), ``docker diff``, then ``docker commit`` as ``course.image_name(purpose)``."""
    return builds.run_and_diff(
        _client(course),
        _ref(course, base),
        command,
        chapter=course.chapter,
        commit_as=course.image_name(purpose),
    )


@step()
def changes(course: Session, base: str, command: str) -> dict[str, Any]:
    """``docker run`` of ``sh -c command`` from ``base``, then ``docker diff`` and the
    size of the container's writable layer (``docker ps -a --size``); nothing kept."""
    return builds.run_and_diff(
        _client(course), _ref(course, base), command, chapter=course.chapter
    )


@step()
def history(course: Session, purpose: str) -> list[dict[str, Any]]:
    """``docker history`` of this session's image for ``purpose``."""
    return builds.history(_client(course), _ref(course, purpose))


@step()
def disk(course: Session, purposes: Sequence[str]) -> list[dict[str, Any]]:
    """``docker system df -v`` for the course image and this session's images."""
    refs = [course.image_ref, *(_ref(course, p) for p in purposes)]
    return builds.disk_usage(_client(course), refs)


@step()
def docker_hub(course: Session) -> dict[str, Any]:
    """Whether Docker Hub answers for ``busybox:latest`` (its platforms if so, nothing
    downloaded), and when it does, a pull kept as this session's ``pulled`` image."""
    return builds.try_pull(
        _client(course),
        "busybox:latest",
        course.image_name("pulled"),
        chapter=course.chapter,
    )


@step()
def foreign(course: Session) -> dict[str, Any]:
    """This session's ``foreign`` image, whose only program is for another CPU than the
    engine's (``image_ref``: its name; ``binary_arch``: that CPU)."""
    return builds.foreign_image(
        _client(course), course.image_name("foreign"), chapter=course.chapter
    )


# --- the course's own registry ---------------------------------------------------------


def registry_binary(
    environ: Mapping[str, str] | None = None,
) -> tuple[Path | None, str]:
    """The registry program on this computer (Debian: ``apt install docker-registry``),
    or None and where it was looked for."""
    env = os.environ if environ is None else environ
    explicit = env.get(REGISTRY_ENV, "").strip()
    if explicit:
        path = Path(explicit)
        return (path, "") if path.is_file() else (None, explicit)
    for name in REGISTRY_CANDIDATES:
        found = shutil.which(name, path=env.get("PATH"))
        if found:
            return Path(found), ""
    return None, ", ".join(REGISTRY_CANDIDATES)


def _libraries(binary: Path) -> list[str]:
    """The shared libraries (and loader) a dynamically linked program needs, as
    ``ldd`` finds them; none for a static one."""
    try:
        done = subprocess.run(
            ["ldd", str(binary)], capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return []
    found = []
    for line in done.stdout.splitlines():
        path = next((w for w in line.split() if w.startswith("/")), "")
        if path:
            found.append(path)
    return found


def registry_rootfs(binary: Path, libraries: Sequence[str]) -> bytes:
    """A root filesystem as a tar: the registry program as ``/registry``, the libraries
    at the paths the loader looks for them, a configuration and its storage folder."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        dirs: set[str] = {"etc/docker/registry", "var/lib/registry", "tmp"}
        for lib in libraries:
            parent = os.path.dirname(lib.lstrip("/"))
            while parent:
                dirs.add(parent)
                parent = os.path.dirname(parent)
        for name in ("etc", "etc/docker", "var", "var/lib"):
            dirs.add(name)
        for directory in sorted(dirs):
            info = tarfile.TarInfo(directory)
            info.type, info.mtime = tarfile.DIRTYPE, 0
            info.mode = 0o1777 if directory == "tmp" else 0o755
            tar.addfile(info)

        def add(name: str, data: bytes, mode: int) -> None:
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), mode, 0
            tar.addfile(info, io.BytesIO(data))

        add("registry", binary.read_bytes(), 0o755)
        for lib in libraries:
            add(lib.lstrip("/"), Path(lib).resolve().read_bytes(), 0o755)
        add("etc/docker/registry/config.yml", REGISTRY_CONFIG.encode(), 0o644)
    return buffer.getvalue()


def _registry_image(
    client: docker.DockerClient, ref: str, chapter: str
) -> dict[str, Any]:
    """``docker import`` of the registry's root filesystem as ``ref`` (labelled), unless
    it is there; {"reason": ...} when no usable registry program is found."""
    if image_present(client, ref):
        return {"image": ref}
    binary, looked = registry_binary()
    if binary is None:
        return {"reason": "missing", "looked": looked}
    with binary.open("rb") as f:
        facts = elf_facts(f.read(65536))
    arch = str(client.info().get("Architecture", ""))
    wanted = ELF_MACHINES.get(normalize_arch(arch))
    if facts is None or (wanted is not None and facts[1] != wanted):
        return {"reason": "arch", "binary": str(binary), "arch": arch}
    libraries = [] if facts[0] else _libraries(binary)
    changes = [
        'ENTRYPOINT ["/registry", "serve", "/etc/docker/registry/config.yml"]',
        f"EXPOSE {REGISTRY_PORT}",
        *builds.label_changes(builds.course_image_labels(chapter)),
    ]
    with call_timeout(client, PUSH_TIMEOUT_S):
        client.api.import_image_from_data(
            registry_rootfs(binary, libraries), repository=ref, changes=changes
        )
    return {"image": ref, "binary": str(binary)}


def _wait_listening(client: docker.DockerClient, name: str) -> bool:
    """Whether the registry says it listens, within ``REGISTRY_START_S``."""
    deadline = time.monotonic() + REGISTRY_START_S
    while time.monotonic() < deadline:
        logs = client.api.logs(name, stdout=True, stderr=True).decode(
            "utf-8", "replace"
        )
        if "listening on" in logs:
            return True
        state = client.api.inspect_container(name)["State"]
        if not state.get("Running"):
            return False
        time.sleep(0.2)
    return False


def _push(client: docker.DockerClient, ref: str) -> str:
    """``docker push ref``: the manifest's digest ("" and an APIError on failure)."""
    import docker.errors

    repository, _, tag = ref.rpartition(":")
    digest = ""
    api = client.api
    with call_timeout(client, PUSH_TIMEOUT_S):
        # tlsVerify=false: Podman insists on TLS even for 127.0.0.1 (Docker ignores it)
        response = api._post(
            api._url("/images/{0}/push", repository),
            params={"tag": tag, "tlsVerify": "false"},
            headers={"X-Registry-Auth": "e30="},  # base64 of {}: no credentials
            stream=True,
        )
        api._raise_for_status(response)
        for chunk in api._stream_helper(response, decode=True):
            if "error" in chunk:
                raise docker.errors.APIError(str(chunk["error"]))
            digest = str((chunk.get("aux") or {}).get("Digest", digest))
    return digest


def remote_ref(address: str, repository: str, tag: str) -> str:
    """``localhost:PORT/repository:tag``: an image's name in the course's registry."""
    return f"{address}/{repository}:{tag}"


@step()
def start_registry(course: Session) -> dict[str, Any]:
    """``docker run -d -p 127.0.0.1::5000`` of the course's registry image (made offline
    from the registry program on this computer, labelled: ``course.clean()`` removes
    both), then a small image pushed there for the learner to pull (``welcome``, removed
    here again). Returns the registry's address on the engine's 127.0.0.1, and the names
    the exercise uses (``mine``: where the learner pushes; ``welcome``: what they pull);
    ``running`` False and ``reason`` when no registry program is installed."""
    client = _client(course)
    made = _registry_image(client, course.image_name("registry"), course.chapter)
    if "image" not in made:
        return {"running": False, **made}
    name = course.name("registry")
    resources.remove_container_if_ours(client, name)
    client.containers.run(
        made["image"],
        name=name,
        detach=True,
        labels=resources.labels(course.chapter),
        ports={f"{REGISTRY_PORT}/tcp": ("127.0.0.1", None)},
    )
    if not _wait_listening(client, name):
        logs = client.api.logs(name).decode("utf-8", "replace").strip()
        return {"running": False, "reason": "not_listening", "log": logs[-300:]}
    port = int(client.api.port(name, REGISTRY_PORT)[0]["HostPort"])
    address = f"localhost:{port}"
    welcome = course.image_name("welcome")
    builds.run_and_diff(
        client,
        course.image_ref,
        "echo welcome from the course registry > /welcome.txt",
        chapter=course.chapter,
        commit_as=welcome,
    )
    pulled_as = remote_ref(address, "welcome", course.tag)
    # repository and tag apart: Podman appends ":latest" to a repo given without a tag
    client.api.tag(welcome, *pulled_as.rsplit(":", 1))
    try:
        digest = _push(client, pulled_as)
    finally:
        for ref in (pulled_as, welcome):
            client.api.remove_image(ref, noprune=False)
    return {
        "running": True,
        "container": name,
        "image": made["image"],
        "address": address,
        "port": port,
        "mine": remote_ref(address, "mine", course.tag),
        "welcome": pulled_as,
        "welcome_digest": digest,
    }


def registry_summary(registry: Mapping[str, Any]) -> str:
    """What :func:`start_registry` did, in words (or why it could not)."""
    if registry.get("running"):
        return t(
            "ch03.registry.running",
            container=registry["container"],
            address=registry["address"],
            port=registry["port"],
            welcome=registry["welcome"],
        )
    reason = str(registry.get("reason", "missing"))
    return t(
        f"ch03.registry.{reason}",
        looked=registry.get("looked", ""),
        binary=registry.get("binary", ""),
        arch=registry.get("arch", ""),
        log=registry.get("log", ""),
    )
