"""Docker contexts: list, inspect, create, remove and switch them, and see which endpoint
the course's own client follows. Used by chapter 05.

A context is a named engine endpoint kept in a small file,
``$DOCKER_CONFIG/contexts/meta/<sha256 of the name>/meta.json`` (``~/.docker`` when
``DOCKER_CONFIG`` is unset); ``currentContext`` in ``config.json`` names the one in use.
The functions here go through the ``docker`` CLI when it is installed (what a learner
types) and through docker-py's :class:`docker.context.ContextAPI` when it is not (Binder,
a Python-only setup); both read and write the same files.

What the course does to a learner's setup, and nothing more:

* it creates and removes only contexts named ``dockcourse-*``;
* it never changes ``currentContext`` in the learner's ``config.json``: a switch is
  ``DOCKER_CONTEXT`` in this process only (:func:`using`), and the ``docker context use``
  demonstration (:func:`use_demo`) runs in the throw-away store and restores the previous
  context in a ``finally`` block;
* chapter 05 works in a throw-away config directory, from :func:`open_store` to
  :func:`close_store` (also run at exit), so even an interrupted chapter leaves the
  learner's ``~/.docker`` as it was.

Functions that touch contexts or the engine return JSON-able data, so
``Session.observe`` can record them for recorded mode.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import re
import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from .engine import (
    EngineUnavailable,
    config_dir,
    connect,
    context_endpoint,
    context_id,
    describe_source,
    engine_product,
    read_config,
    resolve_endpoint,
)
from .engine import current_context_name as current_name
from .errors import CourseError
from .text import aligned_lines, t

if TYPE_CHECKING:
    import docker

PREFIX = "dockcourse-"
#: Set to 1 to ignore an installed ``docker`` CLI and use docker-py's ContextAPI.
NO_CLI_ENV = "DOCKCOURSE_NO_DOCKER_CLI"
#: Variables that choose an endpoint and beat any context (``DOCKER_HOST`` and its TLS).
ENDPOINT_VARS = ("DOCKER_HOST", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH")
CLI_TIMEOUT_S = 20.0
STORE_PREFIX = "dockcourse-docker-config-"
#: What ``docker context create`` accepts as a name.
_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.+-]+$")

Step = dict[str, Any]


class NotCourseContext(CourseError, ValueError):
    """A context name the course may not create or remove (not ``dockcourse-…``)."""


class StoreNotOpen(CourseError, RuntimeError):
    """A demonstration that changes ``currentContext`` outside the throw-away store."""


class _HasMode(Protocol):
    @property
    def live(self) -> bool: ...


# --- where contexts live ---------------------------------------------------------------


def docker_cli() -> str | None:
    """The ``docker`` CLI, or None when it is missing (or ignored on purpose)."""
    if os.environ.get(NO_CLI_ENV, "").strip() not in ("", "0"):
        return None
    return shutil.which("docker")


def meta_path(name: str, environ: Mapping[str, str] | None = None) -> str:
    return os.path.join(
        config_dir(environ), "contexts", "meta", context_id(name), "meta.json"
    )


def shown_meta_path(name: str) -> str:
    """The same path as a learner would write it, the same on every machine."""
    return f"$DOCKER_CONFIG/contexts/meta/{context_id(name)}/meta.json"


def is_course_context(name: str) -> bool:
    return (
        len(name) > len(PREFIX) and name.startswith(PREFIX) and bool(_NAME.match(name))
    )


def _require_course_name(name: str) -> None:
    if not is_course_context(name):
        raise NotCourseContext(t("contexts.not_course_name", name=name, prefix=PREFIX))


def _docker_py_ready() -> None:
    """docker-py finds the context store next to the config.json it finds; without one it
    would use ``./contexts`` in the working directory. Make sure there is one."""
    from docker.utils.config import find_config_file

    directory = config_dir()
    expected = os.path.join(directory, "config.json")
    found = find_config_file()
    if found and os.path.abspath(found) == os.path.abspath(expected):
        return
    os.makedirs(directory, mode=0o700, exist_ok=True)
    if not os.path.exists(expected):
        with open(expected, "w", encoding="utf-8") as f:
            f.write("{}\n")


# --- the CLI, or docker-py -------------------------------------------------------------


def _env(changes: Mapping[str, str | None]) -> dict[str, str]:
    env = dict(os.environ)
    for key, value in changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def _cli(
    args: Sequence[str], changes: Mapping[str, str | None] | None = None
) -> tuple[int, str]:
    cli = docker_cli()
    assert cli is not None
    proc = subprocess.run(
        [cli, *args],
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT_S,
        env=_env(changes or {}),
        check=False,
    )
    return proc.returncode, proc.stdout + proc.stderr


def _step(command: Sequence[str], output: str, exit_code: int, via: str) -> Step:
    return {
        "command": " ".join(shlex.quote(a) for a in command),
        "output": output,
        "exit_code": exit_code,
        "via": via,
    }


def list_contexts() -> list[dict[str, Any]]:
    """Every context: name, endpoint, description and whether it is the current one."""
    if docker_cli():
        code, out = _cli(["context", "ls", "--format", "{{json .}}"])
        if code != 0:
            raise RuntimeError(out.strip())
        rows = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
        return [
            {
                "name": r.get("Name", ""),
                "endpoint": r.get("DockerEndpoint", ""),
                "description": r.get("Description", ""),
                "current": bool(r.get("Current")),
            }
            for r in rows
        ]
    from docker.context import ContextAPI

    _docker_py_ready()
    current = current_name()
    found = []
    for ctx in ContextAPI.contexts():
        if ctx.Name == "default":
            host = os.environ.get("DOCKER_HOST", "").strip() or resolve_endpoint({}).url
            description = t("contexts.default_description")
        else:
            host, description = ctx.Host or "", ""
        found.append(
            {
                "name": ctx.Name,
                "endpoint": host,
                "description": description,
                "current": ctx.Name == current,
            }
        )
    return found


def render_table(contexts: Sequence[Mapping[str, Any]]) -> str:
    """Contexts as ``docker context ls`` prints them (``*`` marks the current one)."""
    head = ("NAME", "DESCRIPTION", "DOCKER ENDPOINT")
    rows = [
        (
            f"{c['name']} *" if c.get("current") else str(c["name"]),
            str(c.get("description", "")),
            str(c.get("endpoint", "")),
        )
        for c in contexts
    ]
    return "\n".join(aligned_lines([head, *rows], gap="   ")) + "\n"


def ls() -> Step:
    """``docker context ls``: what it prints, and the contexts as data."""
    if docker_cli():
        code, out = _cli(["context", "ls"])
        step = _step(["docker", "context", "ls"], out, code, "cli")
    else:
        step = _step(["docker", "context", "ls"], "", 0, "docker-py")
    step["contexts"] = list_contexts()
    if step["via"] == "docker-py":
        step["output"] = render_table(step["contexts"])
    return step


def create(name: str, host: str) -> Step:
    """``docker context create NAME --docker host=HOST`` (course names only)."""
    _require_course_name(name)
    argv = ["docker", "context", "create", name, "--docker", f"host={host}"]
    if docker_cli():
        code, out = _cli(argv[1:])
        return _step(argv, out, code, "cli")
    from docker import errors
    from docker.context import ContextAPI

    _docker_py_ready()
    try:
        ctx = ContextAPI.create_context(name, host=host)
    except errors.ContextAlreadyExists:
        return _step(argv, t("contexts.exists", name=name) + "\n", 1, "docker-py")
    # docker-py rewrites some hosts (``http+unix://``, ``https://``) that the CLI would not
    # read back: store the endpoint exactly as given, as the CLI does.
    ctx.endpoints["docker"]["Host"] = host
    ctx.save()
    return _step(argv, t("contexts.created", name=name) + "\n", 0, "docker-py")


def inspect(name: str) -> list[Step]:
    """``docker context inspect`` (the endpoint only), then the file that *is* the
    context, shown with a path that is the same on every machine."""
    argv = ["docker", "context", "inspect", "--format", "{{.Endpoints.docker.Host}}"]
    argv.append(name)
    try:
        with open(meta_path(name), encoding="utf-8") as f:
            content: Any = json.load(f)
    except (OSError, ValueError):
        content = None
    if docker_cli():
        code, out = _cli(argv[1:])
        first = _step(argv, out, code, "cli")
    elif content is None:
        first = _step(argv, t("contexts.missing", name=name) + "\n", 1, "docker-py")
    else:
        host = content.get("Endpoints", {}).get("docker", {}).get("Host", "")
        first = _step(argv, f"{host}\n", 0, "docker-py")
    shown = shown_meta_path(name)
    second = _step(["cat", shown], "", 0 if content is not None else 1, "file")
    second["command"] = f"cat {shown}"
    second["output"] = (
        json.dumps(content, indent=2) + "\n"
        if content is not None
        else t("contexts.missing", name=name) + "\n"
    )
    second["content"] = content
    return [first, second]


def endpoint_of(name: str) -> str | None:
    """The Docker endpoint a context names (None when the store has no such context),
    read by the resolver ``connect()`` uses."""
    try:
        return context_endpoint(name).url
    except EngineUnavailable:
        return None


def remove(name: str) -> Step:
    """``docker context rm NAME`` (course names only). If this process had switched to it
    (``DOCKER_CONTEXT``), the switch is undone first: it would point at nothing."""
    _require_course_name(name)
    if os.environ.get("DOCKER_CONTEXT") == name:
        del os.environ["DOCKER_CONTEXT"]
    argv = ["docker", "context", "rm", name]
    if docker_cli():
        code, out = _cli(argv[1:])
        return _step(argv, out, code, "cli")
    from docker import errors
    from docker.context import ContextAPI

    _docker_py_ready()
    try:
        ContextAPI.remove_context(name)
    except errors.ContextNotFound:
        return _step(argv, t("contexts.missing", name=name) + "\n", 1, "docker-py")
    return _step(argv, name + "\n", 0, "docker-py")


def remove_course_contexts() -> list[str]:
    """Remove every ``dockcourse-*`` context in the current store; their names."""
    removed = []
    for ctx in list_contexts():
        if is_course_context(ctx["name"]) and remove(ctx["name"])["exit_code"] == 0:
            removed.append(ctx["name"])
    return removed


# --- the chapter's throw-away store ----------------------------------------------------

_store: dict[str, Any] | None = None


def open_store() -> str:
    """Point ``DOCKER_CONFIG`` of this process at a new, empty config directory.

    Contexts made from here on (by this package, or by ``!docker context ...`` in a
    cell, which inherits the variable) land there, not in ``~/.docker``;
    :func:`close_store` removes it and restores the variables. Returns its path."""
    global _store
    if _store is not None:
        return str(_store["dir"])
    _sweep_stale_stores()
    directory = tempfile.mkdtemp(prefix=f"{STORE_PREFIX}{os.getpid()}-")
    with open(os.path.join(directory, "config.json"), "w", encoding="utf-8") as f:
        f.write("{}\n")
    _store = {
        "dir": directory,
        "saved": {k: os.environ.get(k) for k in ("DOCKER_CONFIG", "DOCKER_CONTEXT")},
    }
    os.environ["DOCKER_CONFIG"] = directory
    os.environ.pop("DOCKER_CONTEXT", None)  # it names a context of the learner's store
    atexit.register(close_store)
    return directory


def close_store() -> list[str]:
    """Remove the course contexts left in the throw-away store, the store itself, and
    restore ``DOCKER_CONFIG``/``DOCKER_CONTEXT``. Returns the contexts it removed."""
    global _store
    if _store is None:
        return []
    removed: list[str] = []
    try:
        os.environ.pop("DOCKER_CONTEXT", None)
        with contextlib.suppress(Exception):
            removed = remove_course_contexts()
    finally:
        directory, saved = _store["dir"], _store["saved"]
        _store = None
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        shutil.rmtree(directory, ignore_errors=True)
    return removed


def _sweep_stale_stores() -> None:
    """Remove throw-away stores of processes that died before :func:`close_store`."""
    base = tempfile.gettempdir()
    for entry in os.listdir(base):
        if not entry.startswith(STORE_PREFIX):
            continue
        pid = entry[len(STORE_PREFIX) :].split("-", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            shutil.rmtree(os.path.join(base, entry), ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


# --- switching, and what the course follows -------------------------------------------


@contextlib.contextmanager
def using(name: str) -> Iterator[list[str]]:
    """``DOCKER_CONTEXT=name`` in this process for the block, with ``DOCKER_HOST`` (which
    would win) hidden; everything is restored afterwards. Yields the hidden variables."""
    saved = {k: os.environ.get(k) for k in ("DOCKER_CONTEXT", *ENDPOINT_VARS)}
    hidden = [k for k in ENDPOINT_VARS if saved[k] is not None]
    try:
        for key in ENDPOINT_VARS:
            os.environ.pop(key, None)
        os.environ["DOCKER_CONTEXT"] = name
        yield hidden
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def engine_label(
    version: Mapping[str, Any], info: Mapping[str, Any] | None = None
) -> str:
    """``Docker Engine 20.10.24 (API 1.41)`` (``Podman 4.3.1 (API 1.41)``…) from what
    ``/version`` returns."""
    return t(
        "contexts.engine",
        product=engine_product(version, info or {}),
        version=version.get("Version", "?"),
        api=version.get("ApiVersion", "?"),
    )


#: ``/info`` fields that stay put while an engine runs and differ between engines (used
#: when the engine's ``ID`` is not stable: Podman makes up a new one for every call).
_STABLE_INFO = (
    "Name",
    "DockerRootDir",
    "ServerVersion",
    "KernelVersion",
    "OperatingSystem",
    "Architecture",
    "NCPU",
    "MemTotal",
    "Driver",
)


def identity_from(first: Mapping[str, Any], second: Mapping[str, Any]) -> str:
    """What tells two engines apart, from two ``/info`` answers of the same engine: its
    ``ID`` when both answers agree on it (Docker), else the fields in ``_STABLE_INFO``."""
    engine_id = str(first.get("ID") or "")
    if engine_id and engine_id == str(second.get("ID") or ""):
        return f"id:{engine_id}"
    return "info:" + "|".join(str(first.get(key, "")) for key in _STABLE_INFO)


def engine_id(client: docker.DockerClient) -> str:
    """What tells two engines apart: the daemon's ``ID`` when it is stable, otherwise
    its name, storage root, versions and size (see :func:`identity_from`)."""
    first: dict[str, Any] = client.info()
    if not first.get("ID"):
        return identity_from(first, first)
    second: dict[str, Any] = client.info()
    return identity_from(first, second)


def follow(name: str, reference: docker.DockerClient | None = None) -> dict[str, Any]:
    """Switch this process to context ``name`` and connect as the course does: which
    endpoint ``resolve_endpoint`` picks, and which engine answers through it."""
    with using(name) as hidden:
        endpoint = resolve_endpoint()
        client = connect()
        try:
            version: dict[str, Any] = client.version()
            info: dict[str, Any] = client.info()
            answered = engine_id(client)
        finally:
            client.close()
    result: dict[str, Any] = {
        "context": name,
        "source": endpoint.source,
        "url": endpoint.url,
        "engine": engine_label(version, info),
        "hidden": hidden,
    }
    if reference is not None:
        result["same_engine"] = answered == engine_id(reference)
    return result


def use_demo(name: str) -> list[Step]:
    """``docker context use NAME`` in the throw-away store: ``currentContext`` in its
    config.json before, after, and after ``docker context use default`` (always run,
    in a ``finally`` block). Refuses to run outside the store."""
    if _store is None:
        raise StoreNotOpen(t("contexts.store_not_open"))
    clear: dict[str, str | None] = {k: None for k in ("DOCKER_CONTEXT", *ENDPOINT_VARS)}
    steps: list[Step] = []

    def current_in_file() -> Step:
        value = read_config().get("currentContext")
        # No line: ``transcript`` says so in the reader's language (data, not text).
        return {
            "command": "grep currentContext $DOCKER_CONFIG/config.json",
            "output": f'"currentContext": "{value}"\n' if value else "",
            "exit_code": 0 if value else 1,
            "via": "file",
        }

    def switch(target: str) -> Step:
        argv = ["docker", "context", "use", target]
        if docker_cli():
            code, out = _cli(argv[1:], clear)
            return _step(argv, out, code, "cli")
        from docker.context import ContextAPI

        ContextAPI.set_current_context(target)
        return _step(argv, target + "\n", 0, "docker-py")

    previous = read_config().get("currentContext") or "default"
    steps.append(current_in_file())
    try:
        steps.append(switch(name))
        steps.append(current_in_file())
        endpoint = resolve_endpoint(_env(clear))  # only config.json decides now
        steps.append(
            {
                "command": "resolve_endpoint().source",
                "output": endpoint.source + "\n",
                "exit_code": 0,
                "via": "python",
            }
        )
    finally:
        steps.append(switch(previous))
        steps.append(current_in_file())
    return steps


#: The cases of :func:`precedence`: (DOCKER_HOST, DOCKER_CONTEXT, --context flag).
PRECEDENCE_CASES: tuple[tuple[bool, bool, bool], ...] = (
    (False, False, False),
    (False, True, False),
    (True, True, False),
    (True, False, True),
)
UNREACHABLE_HOST = "unix:///nonexistent.sock"


def precedence(name: str) -> list[dict[str, Any]]:
    """Who wins between ``DOCKER_HOST``, ``DOCKER_CONTEXT`` and ``--context``, asked of
    the CLI (``docker context show`` and which engine ``docker version`` reaches) and of
    the course's ``resolve_endpoint``. ``DOCKER_HOST`` points at a socket that does not
    exist, so whoever follows it cannot reach an engine."""
    rows = []
    for host_set, context_set, flag in PRECEDENCE_CASES:
        changes: dict[str, str | None] = {
            k: None for k in ("DOCKER_CONTEXT", *ENDPOINT_VARS)
        }
        if host_set:
            changes["DOCKER_HOST"] = UNREACHABLE_HOST
        if context_set:
            changes["DOCKER_CONTEXT"] = name
        settings = [f"{k}={v}" for k, v in changes.items() if v is not None]
        flags = ["--context", name] if flag else []
        row: dict[str, Any] = {
            "settings": " ".join([*settings, "docker", *flags]),
            "cli_context": None,
            "cli_reaches": None,
            "course": None,
        }
        if docker_cli():
            code, out = _cli([*flags, "context", "show"], changes)
            row["cli_context"] = out.strip() if code == 0 else out.strip()[:80]
            code, out = _cli(
                [*flags, "version", "--format", "{{json .Server}}"], changes
            )
            row["cli_reaches"] = engine_label(json.loads(out)) if code == 0 else None
        if not flag:
            env = _env(changes)
            endpoint = resolve_endpoint(env)
            row["course"] = {"source": endpoint.source, "url": endpoint.url}
        rows.append(row)
    return rows


def _course_choice(found: Mapping[str, str] | str) -> str:
    """``{"source", "url"}`` as the reader reads it (older recordings hold the text)."""
    if isinstance(found, str):
        return found
    return f"{describe_source(found['source'])} → {found['url']}"


def precedence_table(rows: Sequence[Mapping[str, Any]]) -> str:
    """The rows of :func:`precedence` as a text table (headers from the catalogue)."""
    head = (
        t("contexts.col.settings"),
        t("contexts.col.cli_context"),
        t("contexts.col.cli_reaches"),
        t("contexts.col.course"),
    )
    none = t("contexts.no_engine")
    body = [
        (
            str(r["settings"]),
            "—" if r["cli_context"] is None else str(r["cli_context"]),
            none if r["cli_reaches"] is None else str(r["cli_reaches"]),
            t("contexts.no_flag")
            if r["course"] is None
            else _course_choice(r["course"]),
        )
        for r in rows
    ]
    lines = []
    for r in body:
        lines.append(r[0])
        lines += [f"    {h}: {v}" for h, v in zip(head[1:], r[1:], strict=True)]
    return "\n".join(lines) + "\n"


# --- where the engine runs -------------------------------------------------------------

#: (text in OperatingSystem, Name or KernelVersion, lower case) -> what made the VM.
_VM_MARKERS = (
    ("docker desktop", "Docker Desktop"),
    ("linuxkit", "Docker Desktop"),
    ("boot2docker", "Docker Machine / Docker Toolbox (boot2docker)"),
    ("orbstack", "OrbStack"),
    ("rancher-desktop", "Rancher Desktop"),
    ("colima", "colima"),
    ("lima", "Lima"),
)


def vm_maker(operating_system: str, name: str, kernel: str) -> str | None:
    """The tool that made the VM an engine runs in, when its ``docker info`` tells."""
    seen = " ".join((operating_system, name, kernel)).lower()
    for marker, product in _VM_MARKERS:
        if marker in seen:
            return product
    return None


def engine_host(client: docker.DockerClient) -> dict[str, Any]:
    """What ``docker info`` says about the machine the engine runs on."""
    info: dict[str, Any] = client.info()
    os_name = str(info.get("OperatingSystem", "?"))
    name = str(info.get("Name", "?"))
    kernel = str(info.get("KernelVersion", "?"))
    return {
        "operating_system": os_name,
        "kernel": kernel,
        "vm_maker": vm_maker(os_name, name, kernel),
    }


def describe_engine_host(host: Mapping[str, Any]) -> str:
    maker = host.get("vm_maker")
    key = "contexts.engine_in_vm" if maker else "contexts.engine_on_host"
    return t(key, os=host["operating_system"], kernel=host["kernel"], maker=maker or "")


# --- showing steps ---------------------------------------------------------------------


def transcript(step: Mapping[str, Any]) -> str:
    """``$ command`` and what it printed; says so when docker-py stood in for the CLI."""
    prompt = ">>>" if step.get("via") == "python" else "$"
    lines = [f"{prompt} {step['command']}"]
    if step.get("via") == "docker-py":
        lines.append(t("contexts.via_docker_py"))
    output = str(step.get("output", ""))
    if step.get("via") == "file" and not output and "currentContext" in step["command"]:
        output = t("contexts.no_current")
    text = "\n".join(lines) + "\n" + output
    return text if text.endswith("\n") else text + "\n"


def show(steps: str | Step | Sequence[Step], course: _HasMode) -> None:
    """Print what came through ``course.observe`` (steps, or a text made from them),
    labelled as recorded when it was."""
    if not course.live:
        print(t("contexts.recorded"))
    if isinstance(steps, str):
        print(steps, end="" if steps.endswith("\n") else "\n")
        return
    for step in [steps] if isinstance(steps, dict) else steps:
        print(transcript(step), end="")


def connect_through(name: str, timeout_s: float = 5.0) -> docker.DockerClient:
    """A client for context ``name`` alone (``DOCKER_HOST`` ignored), or EngineUnavailable."""
    env = _env({"DOCKER_CONTEXT": name, **dict.fromkeys(ENDPOINT_VARS)})
    return connect(timeout_s, environ=env)


__all__ = [
    "PREFIX",
    "EngineUnavailable",
    "close_store",
    "config_dir",
    "connect_through",
    "create",
    "describe_engine_host",
    "endpoint_of",
    "engine_host",
    "follow",
    "inspect",
    "list_contexts",
    "ls",
    "open_store",
    "precedence",
    "precedence_table",
    "remove",
    "remove_course_contexts",
    "show",
    "transcript",
    "use_demo",
    "using",
]
