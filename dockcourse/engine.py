"""The only place a Docker client is made.

``connect()`` follows ``DOCKER_HOST`` first, then the current Docker context (``DOCKER_CONTEXT``
or ``currentContext`` in ``~/.docker/config.json``, which is how Docker Desktop, colima and
rootless Docker point the CLI at their engine), then the platform's default socket. Every
predictable failure becomes :class:`EngineUnavailable` with a cause and a fix in plain words.
Used by every chapter through ``setup()``.
"""

from __future__ import annotations

import errno
import os
import socket
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from .errors import CourseError
from .text import t

if TYPE_CHECKING:
    import docker

#: Docker 19.03. Older engines lack features the course relies on (e.g. ``--pid=host``
#: views, ``SizeRw`` per container, cgroup stats).
MIN_API_VERSION = "1.40"
DEFAULT_SOCKET = "unix:///var/run/docker.sock"
WINDOWS_PIPE = "npipe:////./pipe/docker_engine"
#: Seconds for the first contact with the engine: short, so a missing engine is
#: reported quickly instead of after a minute.
CONNECT_TIMEOUT_S = 5.0
#: Seconds any later API call may take before it is reported as a timeout.
CALL_TIMEOUT_S = 60.0


class EngineUnavailable(CourseError):
    """No usable engine: ``kind`` says why, ``cause`` what happened, ``fix`` what to do."""

    KINDS = ("no_daemon", "permission", "too_old", "timeout", "tls", "other")

    def __init__(self, kind: str, cause: str, fix: str, endpoint: str = "") -> None:
        super().__init__(cause=cause, fix=fix)
        self.kind = kind
        self.endpoint = endpoint

    def _repr_markdown_(self) -> str:  # shown by Jupyter when a cell returns it
        return f"**{self.cause}**\n\n{self.fix}"


@dataclass(frozen=True)
class Endpoint:
    url: str
    source: str  # "DOCKER_HOST", "context <name>" or "default"
    tls: Any = None  # docker.tls.TLSConfig when the endpoint uses TLS

    @property
    def unix_path(self) -> str | None:
        parsed = urlparse(self.url)
        if parsed.scheme in ("unix", "http+unix"):
            return parsed.path
        return None


@dataclass(frozen=True)
class EngineInfo:
    """What the banner and ``doctor`` say about the engine."""

    endpoint: str
    endpoint_source: str
    version: str
    api_version: str
    os: str
    arch: str
    kernel: str
    operating_system: str
    storage_driver: str
    cgroup_version: str
    cgroup_driver: str
    docker_root_dir: str
    name: str
    ncpu: int
    mem_bytes: int
    rootless: bool
    #: "Docker Engine", "Podman", "Docker Desktop"…: what answers, named truthfully.
    product: str = "Docker Engine"
    #: "local" (this kernel), "vm" (a VM on this computer: Docker Desktop, colima, a
    #: Podman machine) or "remote"; "" when it cannot be told.
    placement: str = ""

    @property
    def is_podman(self) -> bool:
        return self.product.startswith("Podman")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def describe_source(source: str) -> str:
    """``Endpoint.source`` in the learner's language ("default", "context NAME",
    "DOCKER_HOST")."""
    if source == "default":
        return t("engine.source.default")
    if source.startswith("context "):
        return t("engine.source.context", name=source.removeprefix("context "))
    return source


def _api_tuple(version: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in version.split("."))
    except ValueError:
        return (0,)


def api_at_least(version: str, minimum: str = MIN_API_VERSION) -> bool:
    return _api_tuple(version) >= _api_tuple(minimum)


def resolve_endpoint(environ: Mapping[str, str] | None = None) -> Endpoint:
    """Where the Docker CLI would connect, without connecting."""
    env = os.environ if environ is None else environ
    host = env.get("DOCKER_HOST", "").strip()
    if host:
        tls = None
        if env.get("DOCKER_TLS_VERIFY") or env.get("DOCKER_CERT_PATH"):
            from docker.utils import kwargs_from_env

            tls = kwargs_from_env(environment=dict(env)).get("tls")
        return Endpoint(host, "DOCKER_HOST", tls)
    name = current_context_name(env)
    if name != "default":
        return context_endpoint(name, env)
    default = WINDOWS_PIPE if sys.platform == "win32" else DEFAULT_SOCKET
    return Endpoint(default, "default")


# --- the CLI's contexts: the one reader of its store (``contexts`` builds on it) --------


def config_dir(environ: Mapping[str, str] | None = None) -> str:
    """``$DOCKER_CONFIG``, else ``~/.docker``: where the CLI keeps config and contexts."""
    env = os.environ if environ is None else environ
    return env.get("DOCKER_CONFIG") or os.path.join(os.path.expanduser("~"), ".docker")


def read_config(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The CLI's ``config.json`` (``{}`` when missing or unreadable)."""
    import json

    path = os.path.join(config_dir(environ), "config.json")
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def context_id(name: str) -> str:
    """The directory name of a context: the SHA-256 of its name (CLI and docker-py)."""
    import hashlib

    return hashlib.sha256(name.encode("utf-8")).hexdigest()


def current_context_name(environ: Mapping[str, str] | None = None) -> str:
    """The context the CLI would use: ``default`` when DOCKER_HOST is set, else
    ``DOCKER_CONTEXT``, else ``currentContext`` in config.json, else ``default``."""
    env = os.environ if environ is None else environ
    if env.get("DOCKER_HOST", "").strip():
        return "default"
    current = read_config(env).get("currentContext")
    in_file = current if isinstance(current, str) else ""
    return env.get("DOCKER_CONTEXT", "").strip() or in_file or "default"


def context_endpoint(name: str, environ: Mapping[str, str] | None = None) -> Endpoint:
    """Read a CLI context from its store, as the CLI does.

    The store is ``<config>/contexts/meta/<sha256(name)>/meta.json`` plus TLS material in
    ``<config>/contexts/tls/<sha256(name)>/docker/``. Read directly rather than through
    docker-py's ContextAPI, which consults ``os.environ`` instead of ``environ`` and, with
    no config.json, looks for the store in the working directory.
    """
    import json

    store = os.path.join(config_dir(environ), "contexts")
    digest = context_id(name)
    meta = os.path.join(store, "meta", digest, "meta.json")
    try:
        with open(meta, encoding="utf-8") as f:
            data = json.load(f)
        endpoint = data["Endpoints"]["docker"]
        host = str(endpoint.get("Host") or "")
    except FileNotFoundError:
        raise EngineUnavailable(
            "other",
            t("engine.context_missing.cause", name=name),
            t("engine.context_broken.fix"),
            name,
        ) from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise EngineUnavailable(
            "other",
            t("engine.context_broken.cause", name=name, error=exc),
            t("engine.context_broken.fix"),
            name,
        ) from exc
    tls = None
    tls_dir = os.path.join(store, "tls", digest, "docker")
    if os.path.isdir(tls_dir):
        from docker.tls import TLSConfig

        def pem(file: str) -> str | None:
            path = os.path.join(tls_dir, file)
            return path if os.path.isfile(path) else None

        cert, key = pem("cert.pem"), pem("key.pem")
        tls = TLSConfig(
            client_cert=(cert, key) if cert and key else None,
            ca_cert=pem("ca.pem"),
            verify=not endpoint.get("SkipTLSVerify", False),
        )
    if not host:
        default = WINDOWS_PIPE if sys.platform == "win32" else DEFAULT_SOCKET
        return Endpoint(default, f"context {name}")
    return Endpoint(host, f"context {name}", tls)


def _preflight_unix(endpoint: Endpoint, timeout_s: float) -> None:
    """Try the socket by hand: the SDK's own errors bury the reason three levels deep."""
    path = endpoint.unix_path
    if path is None:
        return
    if not os.path.exists(path):
        raise no_daemon(endpoint, t("engine.no_socket.cause", path=path))
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    probe.settimeout(timeout_s)
    try:
        probe.connect(path)
    except OSError as exc:
        raise classify(exc, endpoint) from exc
    finally:
        probe.close()


def no_daemon(endpoint: Endpoint, cause: str | None = None) -> EngineUnavailable:
    return EngineUnavailable(
        "no_daemon",
        cause or t("engine.no_daemon.cause", url=endpoint.url),
        t("engine.no_daemon.fix"),
        endpoint.url,
    )


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception, its causes, and exceptions tucked into args (requests/urllib3 do)."""
    seen: set[int] = set()
    todo: list[BaseException] = [exc]
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        for nxt in (current.__cause__, current.__context__):
            if nxt is not None:
                todo.append(nxt)
        todo.extend(arg for arg in current.args if isinstance(arg, BaseException))
        reason = getattr(current, "reason", None)
        if isinstance(reason, BaseException):
            todo.append(reason)


def classify(exc: BaseException, endpoint: Endpoint) -> EngineUnavailable:
    """Turn whatever the socket or the SDK raised into an EngineUnavailable."""
    if isinstance(exc, EngineUnavailable):
        return exc
    where = endpoint.unix_path or endpoint.url
    for err in _chain(exc):
        name = type(err).__name__
        if isinstance(err, PermissionError) or getattr(err, "errno", None) in (
            errno.EACCES,
            errno.EPERM,
        ):
            return EngineUnavailable(
                "permission",
                t("engine.permission.cause", path=where),
                t("engine.permission.fix"),
                endpoint.url,
            )
        if isinstance(err, (FileNotFoundError, ConnectionRefusedError)):
            return no_daemon(endpoint)
        if isinstance(err, TimeoutError) or "Timeout" in name:
            return EngineUnavailable(
                "timeout",
                t("engine.timeout.cause", url=endpoint.url),
                t("engine.timeout.fix"),
                endpoint.url,
            )
        if "SSLError" in name or "TLS" in name:
            return EngineUnavailable(
                "tls",
                t("engine.tls.cause", url=endpoint.url, error=err),
                t("engine.tls.fix"),
                endpoint.url,
            )
    text = str(exc)
    if "Permission denied" in text:
        return classify(PermissionError(text), endpoint)
    if "No such file" in text or "Connection refused" in text:
        return no_daemon(endpoint)
    return EngineUnavailable(
        "other",
        t("engine.other.cause", url=endpoint.url, error=text.splitlines()[0][:300]),
        t("engine.no_daemon.fix"),
        endpoint.url,
    )


def connect(
    timeout_s: float = CONNECT_TIMEOUT_S,
    *,
    call_timeout_s: float = CALL_TIMEOUT_S,
    environ: Mapping[str, str] | None = None,
) -> docker.DockerClient:
    """A client for the engine the Docker CLI would use, or EngineUnavailable saying why.

    The first contact is limited to ``timeout_s``; later calls to ``call_timeout_s``.
    """
    import docker
    from docker.constants import DEFAULT_DOCKER_API_VERSION

    endpoint = resolve_endpoint(environ)
    _preflight_unix(endpoint, timeout_s)
    try:
        probe = docker.APIClient(
            base_url=endpoint.url,
            version=MIN_API_VERSION,
            timeout=timeout_s,
            tls=endpoint.tls or False,
        )
        try:
            server_api = str(probe.version(api_version=False).get("ApiVersion", "0"))
        finally:
            probe.close()
    except Exception as exc:  # classify() words every failure (unknown ones: "other")
        raise classify(exc, endpoint) from exc
    if not api_at_least(server_api):
        raise EngineUnavailable(
            "too_old",
            t("engine.too_old.cause", api=server_api, minimum=MIN_API_VERSION),
            t("engine.too_old.fix"),
            endpoint.url,
        )
    api = min(server_api, DEFAULT_DOCKER_API_VERSION, key=_api_tuple)
    try:
        return docker.DockerClient(
            base_url=endpoint.url,
            version=api,
            timeout=int(call_timeout_s),
            tls=endpoint.tls or False,
        )
    except Exception as exc:  # classify() words every failure (unknown ones: "other")
        raise classify(exc, endpoint) from exc


#: Architecture names as ``uname -m`` prints them; engines say ``amd64``/``arm64``.
_ARCH_ALIASES = {
    "amd64": "x86_64",
    "x86-64": "x86_64",
    "x64": "x86_64",
    "arm64": "aarch64",
    "armv8": "aarch64",
    "arm": "armv7l",
    "armhf": "armv7l",
    "386": "i686",
    "i386": "i686",
}


def normalize_arch(arch: str) -> str:
    """One name per CPU architecture: ``amd64`` is ``x86_64``, ``arm64`` is ``aarch64``."""
    name = arch.strip().lower()
    return _ARCH_ALIASES.get(name, name)


def engine_product(version: Mapping[str, Any], info: Mapping[str, Any]) -> str:
    """What the engine is, from ``/version`` and ``/info``: "Podman", "Docker Desktop",
    "Docker Engine"."""
    names = [str(c.get("Name", "")) for c in version.get("Components") or []]
    platform_name = str((version.get("Platform") or {}).get("Name", ""))
    if any(name.lower().startswith("podman") for name in names) or (
        "podman" in str(info.get("DockerRootDir", "")).lower()
        or "/containers/storage" in str(info.get("DockerRootDir", ""))
    ):
        return "Podman"
    if (
        "docker desktop"
        in (platform_name + " " + str(info.get("OperatingSystem", ""))).lower()
    ):
        return "Docker Desktop"
    return "Docker Engine"


def product_of(client: docker.DockerClient) -> str:
    """:func:`engine_product` of the engine ``client`` talks to."""
    return engine_product(client.version(), client.info())


def engine_placement(
    endpoint: Endpoint,
    info: Mapping[str, Any],
    *,
    local_kernel: str | None = None,
) -> str:
    """Whether the engine runs on this kernel ("local"), in a VM here ("vm") or elsewhere
    ("remote"); "" when it cannot be told.

    A unix socket whose engine reports another kernel is a VM behind a forwarded socket
    (Docker Desktop, colima, a Podman machine); TCP or SSH to a loopback address with
    another kernel is a VM too; any other address is remote.
    """
    import platform

    here = platform.release() if local_kernel is None else local_kernel
    kernel = str(info.get("KernelVersion", ""))
    same_kernel = bool(kernel) and bool(here) and kernel == here
    parsed = urlparse(endpoint.url)
    if parsed.scheme in ("unix", "http+unix", "npipe"):
        if not kernel or not here:
            return ""
        return "local" if same_kernel else "vm"
    host = (parsed.hostname or "").lower()
    loopback = host in ("localhost", "::1") or host.startswith("127.")
    if loopback:
        return "local" if same_kernel else "vm"
    return "remote"


def engine_info(client: docker.DockerClient) -> EngineInfo:
    """Versions, platform, storage driver and cgroup version of the engine."""
    info: dict[str, Any] = client.info()
    version: dict[str, Any] = client.version()
    security = info.get("SecurityOptions") or []
    endpoint = resolve_endpoint()
    return EngineInfo(
        endpoint=endpoint.url,
        endpoint_source=endpoint.source,
        version=str(version.get("Version", "?")),
        api_version=str(version.get("ApiVersion", "?")),
        os=str(info.get("OSType", version.get("Os", "?"))),
        arch=str(info.get("Architecture", version.get("Arch", "?"))),
        kernel=str(info.get("KernelVersion", "?")),
        operating_system=str(info.get("OperatingSystem", "?")),
        storage_driver=str(info.get("Driver", "?")),
        cgroup_version=str(info.get("CgroupVersion", "?")),
        cgroup_driver=str(info.get("CgroupDriver", "?")),
        docker_root_dir=str(info.get("DockerRootDir", "?")),
        name=str(info.get("Name", "?")),
        ncpu=int(info.get("NCPU", 0)),
        mem_bytes=int(info.get("MemTotal", 0)),
        rootless=any("rootless" in str(opt) for opt in security)
        or bool(info.get("Rootless")),
        product=engine_product(version, info),
        placement=engine_placement(endpoint, info),
    )


@contextmanager
def call_timeout(client: docker.DockerClient, seconds: float) -> Iterator[None]:
    """Limit the SDK calls made inside the block to ``seconds`` each."""
    previous = client.api.timeout
    client.api.timeout = seconds
    try:
        yield
    finally:
        client.api.timeout = previous
