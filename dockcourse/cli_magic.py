"""``%docker`` and ``%%docker``: real ``docker`` commands in a notebook cell.

``setup()`` registers the magics in the notebook's IPython (``%load_ext
dockcourse.cli_magic`` does too). ``%docker run --rm IMAGE echo hi`` runs the real
``docker`` CLI on the session's engine (its ``DOCKER_HOST`` or context, passed to the
CLI explicitly), shows the command it ran (the course's labels abbreviated) and streams
what the CLI prints, line by line. ``%%docker`` runs one command per line and stops at
the first that fails or is refused.

Before anything runs, :mod:`dockcourse.dockercli` reads the line and refuses prunes,
host folders outside the scratch folder, host namespaces and privileges without
``--allow-host``, the engine's socket, what only the Terminal should make (``compose``…)
and commands that need a terminal; here the engine is asked, through the SDK, whether
what a ``rm``/``rmi``/``volume rm``/``network rm`` names is the course's, whether what
``update``/``rename``/``network connect`` change and what ``--volumes-from``/``--network
NAME`` borrow is, whether a mounted volume is, and whether a tag it would make is free.
Tags it makes (``tag``, ``build``, ``commit``, ``import``, ``pull``, ``load``, and the
image a ``run`` pulls) go to :mod:`dockcourse.tagledger`, so cleanup can untag them.

Live, each command's output is recorded like ``Session.run`` (``transcripts``), keyed by
the command line the learner typed; in recorded mode (no engine) and where no ``docker``
CLI is installed, that recording is shown, labelled, or the magic says that none exists.
Used from chapter 00 on.
"""

from __future__ import annotations

import contextlib
import os
import queue
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

from . import dockercli, recorded, resources, tagledger, transcripts
from .dockercli import DockerCommandRefused, NeedsTerminal, Plan
from .engine import resolve_endpoint
from .images import course_image_ref
from .text import t

if TYPE_CHECKING:
    import docker

    from .session import Session

#: The docker CLI to run (a name on PATH or a path); tests point it elsewhere.
CLI_ENV = "DOCKCOURSE_DOCKER_CLI"
#: More folders (os.pathsep-separated) a container may mount besides the scratch folder.
MOUNT_ROOTS_ENV = "DOCKCOURSE_MOUNT_ROOTS"
#: Seconds the CLI gets to end by itself after its container was stopped.
STOP_GRACE_S = 5.0

_current: Session | None = None


@dataclass(frozen=True)
class Outcome:
    """What became of one command line."""

    line: str  # the recording key: ``docker`` + what was typed
    status: str  # ran, refused, terminal, recorded, not_recorded, interrupted, timeout
    exit_code: int | None = None
    output: str = ""


#: The outcomes of the last ``%docker``/``%%docker`` cell (for tests and the curious).
last: list[Outcome] = []


# --- Where the CLI runs -------------------------------------------------------------------


def endpoint_of(session: Session) -> tuple[str, str]:
    """(url, source) of the session's engine: the one ``setup()`` connected to."""
    if session.engine is not None:
        return session.engine.endpoint, session.engine.endpoint_source
    found = resolve_endpoint()
    return found.url, found.source


def cli_env(session: Session) -> dict[str, str]:
    """The environment the CLI runs in: pointed at the session's engine explicitly."""
    env = dict(os.environ)
    url, source = endpoint_of(session)
    if source.startswith("context "):
        env["DOCKER_CONTEXT"] = source.removeprefix("context ")
        env.pop("DOCKER_HOST", None)
    else:
        env["DOCKER_HOST"] = url
        env.pop("DOCKER_CONTEXT", None)
    env["DOCKER_CLI_HINTS"] = "false"  # no "What's next" adverts from recent CLIs
    return env


def terminal_prefix(session: Session) -> tuple[str, ...]:
    """How the Terminal's ``docker`` reaches the session's engine."""
    url, source = endpoint_of(session)
    if source.startswith("context "):
        return ("docker", "--context", source.removeprefix("context "))
    if source == "default":
        return ("docker",)
    return (f"DOCKER_HOST={url}", "docker")


def cli_path(env: dict[str, str] | None = None) -> str | None:
    """The ``docker`` CLI to run, or None when none is installed."""
    chosen = os.environ.get(CLI_ENV, "").strip() or "docker"
    return shutil.which(chosen, path=(env or os.environ).get("PATH"))


def engine_sockets(session: Session) -> list[str]:
    """Sockets no container may be handed: the usual ones and the session's engine's."""
    found = list(dockercli.ENGINE_SOCKETS)
    url, _ = endpoint_of(session)
    if url.startswith("unix://"):
        found.append(url.removeprefix("unix://"))
    return found


def allowed_roots(session: Session) -> list[str]:
    """Host folders a container may mount without ``--allow-host``."""
    roots = [p for p in os.environ.get(MOUNT_ROOTS_ENV, "").split(os.pathsep) if p]
    folder = getattr(session, "scratch", None)
    if folder is not None:
        roots.insert(0, str(folder))
    return roots


# --- Checks on the engine -------------------------------------------------------------


def _course_labels(found: dict[str, Any] | None) -> bool:
    labels = found or {}
    return labels.get(resources.LABEL_COURSE) == "true" and bool(
        labels.get(resources.LABEL_SESSION)
    )


def _image_is_course(client: docker.DockerClient, ref: str) -> bool:
    """A tag the course made: recorded in the ledger, or a labelled ``dockcourse/``."""
    if tagledger.made_by_course(client, ref):
        return True
    if not resources.normalize_ref(ref).startswith(resources.IMAGE_PREFIX):
        return False
    import docker.errors

    try:
        found = client.api.inspect_image(ref)
    except docker.errors.NotFound:
        return False
    labels = (found.get("Config") or {}).get("Labels") or {}
    return labels.get(resources.LABEL_IMAGE) == "true"


def check(client: docker.DockerClient, plan: Plan) -> None:
    """Refuse (``DockerCommandRefused``) what the engine says is not the course's."""
    import docker.errors
    import requests

    course_image = resources.normalize_ref(course_image_ref())
    try:
        for target in plan.targets:
            _check_removal(client, plan.removes, target, course_image)
        for tag in plan.new_tags:
            if resources.normalize_ref(tag) == course_image:
                raise DockerCommandRefused("dockercli.course_image", name=tag)
            if tagledger.current_id(client, tag) is None:
                continue
            if not _image_is_course(client, tag):
                raise DockerCommandRefused(
                    "dockercli.tag_taken", tag=tag, command=" ".join(plan.command)
                )
        for kind, name in plan.changes:
            if not _is_course_object(client, kind, name):
                raise DockerCommandRefused(
                    "dockercli.not_course_change",
                    kind=t(f"dockercli.kind.{kind}"),
                    name=name,
                    command=" ".join(plan.command),
                )
        for kind, name, option in plan.borrows:
            if not _is_course_object(client, kind, name):
                raise DockerCommandRefused(
                    "dockercli.not_course_borrow",
                    kind=t(f"dockercli.kind.{kind}"),
                    name=name,
                    option=option,
                )
        for name in plan.volumes:
            try:
                labels = client.api.inspect_volume(name).get("Labels")
            except docker.errors.NotFound:
                raise DockerCommandRefused(
                    "dockercli.volume_missing", name=name
                ) from None
            if not _course_labels(labels):
                raise DockerCommandRefused("dockercli.volume_not_course", name=name)
    except (docker.errors.APIError, requests.exceptions.RequestException) as exc:
        raise DockerCommandRefused(
            "dockercli.engine_error", error=str(exc).splitlines()[0][:200]
        ) from None


def _is_course_object(client: docker.DockerClient, kind: str, name: str) -> bool:
    """Whether the container/network/volume ``name`` carries the course's labels; a
    missing one passes (the CLI says "No such …" itself, and makes nothing)."""
    import docker.errors

    try:
        if kind == "container":
            found = client.api.inspect_container(name).get("Config") or {}
        elif kind == "network":
            found = client.api.inspect_network(name)
        else:
            found = client.api.inspect_volume(name)
    except docker.errors.NotFound:
        return True
    return _course_labels(found.get("Labels"))


def _check_removal(
    client: docker.DockerClient, kind: str, target: str, course_image: str
) -> None:
    import docker.errors

    try:
        if kind == "container":
            labels = client.api.inspect_container(target).get("Config", {})
            ours = _course_labels(labels.get("Labels"))
        elif kind == "volume":
            ours = _course_labels(client.api.inspect_volume(target).get("Labels"))
        elif kind == "network":
            ours = _course_labels(client.api.inspect_network(target).get("Labels"))
        else:
            if dockercli.looks_like_id(target):
                raise DockerCommandRefused("dockercli.rmi_by_id", name=target)
            if resources.normalize_ref(target) == course_image:
                raise DockerCommandRefused("dockercli.course_image", name=target)
            if not _image_is_course(client, target):
                raise DockerCommandRefused("dockercli.not_course_image", name=target)
            return
    except docker.errors.NotFound:
        return  # the CLI says "No such …" itself
    if not ours:
        raise DockerCommandRefused(
            "dockercli.not_course", kind=t(f"dockercli.kind.{kind}"), name=target
        )


# --- Running the CLI ------------------------------------------------------------------


def _pump(stream: IO[bytes], name: str, lines: queue.Queue[tuple[str, bytes]]) -> None:
    for raw in iter(stream.readline, b""):
        lines.put((name, raw))
    lines.put((name, b""))


def stream(
    argv: Sequence[str],
    env: dict[str, str],
    *,
    timeout_s: float,
    out: IO[str],
    err: IO[str],
    on_stop: Callable[[], str],
) -> tuple[int | None, str, str]:
    """Run ``argv``, printing each line of its stdout to ``out`` and of its stderr to
    ``err`` as it comes. Returns (exit code, everything printed, why it was stopped:
    "" / "interrupted" / "timeout"). On Ctrl-C or timeout, ``on_stop()`` stops what the
    command started (its container), then the CLI is ended."""
    proc = subprocess.Popen(
        list(argv),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        start_new_session=True,  # a terminal's Ctrl-C reaches us, not the CLI directly
    )
    lines: queue.Queue[tuple[str, bytes]] = queue.Queue()
    pumps = [
        threading.Thread(target=_pump, args=(pipe, name, lines), daemon=True)
        for pipe, name in ((proc.stdout, "out"), (proc.stderr, "err"))
    ]
    for pump in pumps:
        pump.start()
    printed: list[str] = []
    why = ""
    deadline = time.monotonic() + timeout_s
    try:
        open_streams = 2
        while open_streams:
            try:
                name, raw = lines.get(timeout=0.2)
            except queue.Empty:
                if time.monotonic() > deadline:
                    why = "timeout"
                    break
                continue
            if not raw:
                open_streams -= 1
                continue
            text = raw.decode("utf-8", "replace")
            printed.append(text)
            target = out if name == "out" else err
            target.write(text)
            target.flush()
    except KeyboardInterrupt:
        why = "interrupted"
    note = ""
    if why:
        with contextlib.suppress(KeyboardInterrupt):
            note = on_stop()
            _end(proc)
    code = proc.wait() if not why else None
    for pump in pumps:
        pump.join(timeout=STOP_GRACE_S)
    return code, "".join(printed), why if not note else f"{why}:{note}"


def _end(proc: subprocess.Popen[bytes]) -> None:
    try:
        proc.wait(timeout=STOP_GRACE_S)
        return
    except subprocess.TimeoutExpired:
        pass
    proc.terminate()
    try:
        proc.wait(timeout=STOP_GRACE_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _stop_container(
    client: docker.DockerClient | None, plan: Plan
) -> Callable[[], str]:
    """What Ctrl-C does to the container of ``plan``: removed when it was ``--rm``,
    else killed (cleanup removes it later). Returns its name, or ""."""

    def stop() -> str:
        if client is None or not plan.command_token:
            return ""
        import docker.errors

        flt = {"label": [f"{dockercli.LABEL_COMMAND}={plan.command_token}"]}
        name = ""
        for found in client.api.containers(all=True, filters=flt):
            name = (found.get("Names") or ["/?"])[0].lstrip("/")
            with contextlib.suppress(docker.errors.APIError):
                if plan.auto_remove:
                    client.api.remove_container(found["Id"], force=True, v=True)
                else:
                    client.api.kill(found["Id"])
        return name

    return stop


# --- One command line -----------------------------------------------------------------


def _print(text: str, out: IO[str]) -> None:
    out.write(text if text.endswith("\n") else text + "\n")
    out.flush()


def _replay(session: Session, plan: Plan, out: IO[str]) -> Outcome:
    found = session._recall(plan.key)
    if found.exit_code == transcripts.NOT_RECORDED:
        _print(t("dockercli.not_recorded"), out)
        return Outcome(plan.key, "not_recorded")
    where = transcripts.chapter_provenance(session.chapter) or session.provenance
    _print(
        t(
            "dockercli.recorded",
            where=recorded.provenance_label(where) if where else "?",
        ),
        out,
    )
    if found.output:
        _print(found.output, out)
    if found.exit_code:
        _print(t("dockercli.exit_code", code=found.exit_code), out)
    return Outcome(plan.key, "recorded", found.exit_code, found.output)


def run_line(
    session: Session,
    line: str,
    *,
    defaults: dockercli.MagicOptions | None = None,
    out: IO[str] | None = None,
    err: IO[str] | None = None,
) -> Outcome:
    """Plan, check and run one command line (or replay its recording)."""
    out = out or sys.stdout
    err = err or sys.stderr
    key = "docker " + line.strip()
    try:
        options, words = dockercli.magic_options(dockercli.split(line))
        if defaults is not None:
            options = dockercli.MagicOptions(
                options.allow_host or defaults.allow_host,
                options.timeout_s
                if options.timeout_s != dockercli.DEFAULT_TIMEOUT_S
                else defaults.timeout_s,
            )
        plan = dockercli.plan(
            words,
            chapter=session.chapter,
            allowed_roots=allowed_roots(session),
            allow_host=options.allow_host,
            terminal_prefix=terminal_prefix(session),
            engine_sockets=engine_sockets(session),
        )
        key = plan.key
    except NeedsTerminal as exc:
        _print(str(exc), out)
        _print(f"    {exc.command}", out)
        return Outcome(key, "terminal")
    except DockerCommandRefused as exc:
        _print(str(exc), out)
        return Outcome(key, "refused")
    _print(f"$ {plan.shown_line}", out)
    if plan.hidden_labels:
        _print(t("dockercli.labels_added", count=plan.hidden_labels), out)
    env = cli_env(session)
    binary = cli_path(env)
    if not session.live:
        return _replay(session, plan, out)
    if binary is None:
        _print(t("dockercli.no_cli"), out)
        return _replay(session, plan, out)
    client = session.require_client()
    try:
        check(client, plan)
    except DockerCommandRefused as exc:
        _print(str(exc), out)
        return Outcome(plan.key, "refused")
    # A run/create of an image the engine lacks pulls it: its tag is recorded like pull's.
    pulled = _absent(client, [plan.image] if plan.image else [])
    start = time.perf_counter()
    if plan.command == ("commit",) and session.engine and session.engine.is_podman:
        status, text = _commit_through_api(client, plan, out)
        session._remember(
            plan.key, resources.RunResult(status, text, time.perf_counter() - start)
        )
        if status == 0:
            _record_tags(client, plan, session.chapter)
        return Outcome(plan.key, "ran", status, text)
    if (
        plan.command in (("push",), ("pull",))
        and session.engine
        and session.engine.is_podman
        and local_registry(plan.argv[-1])
    ):
        status, text = _transfer_through_api(client, plan, out)
        session._remember(
            plan.key, resources.RunResult(status, text, time.perf_counter() - start)
        )
        if status == 0:
            _record_tags(client, plan, session.chapter)
        return Outcome(plan.key, "ran", status, text)
    code, output, why = stream(
        (binary, *plan.argv[1:]),
        env,
        timeout_s=options.timeout_s,
        out=out,
        err=err,
        on_stop=_stop_container(client, plan),
    )
    _record_tags(client, plan, session.chapter, pulled, made_by="pull")
    if why:
        reason, _, name = why.partition(":")
        if reason == "timeout":
            _print(t("dockercli.timeout", seconds=f"{options.timeout_s:g}"), out)
        elif name:
            what = "removed" if plan.auto_remove else "killed"
            _print(
                t(
                    "dockercli.interrupted_container",
                    name=name,
                    what=t(f"dockercli.container_{what}"),
                ),
                out,
            )
        else:
            _print(t("dockercli.interrupted"), out)
        return Outcome(plan.key, reason, None, output)
    assert code is not None
    session._remember(
        plan.key, resources.RunResult(code, output, time.perf_counter() - start)
    )
    if code == 0:
        _record_tags(client, plan, session.chapter)
    else:
        _print(t("dockercli.exit_code", code=code), out)
    return Outcome(plan.key, "ran", code, output)


def _absent(client: docker.DockerClient, refs: Sequence[str]) -> list[str]:
    """The image references the engine has no image for (an unreadable one is not
    listed: the CLI refuses it and pulls nothing)."""
    import docker.errors
    import requests

    found: list[str] = []
    for ref in refs:
        with contextlib.suppress(
            docker.errors.APIError, requests.exceptions.RequestException
        ):
            if tagledger.current_id(client, ref) is None:
                found.append(ref)
    return found


def _record_tags(
    client: docker.DockerClient,
    plan: Plan,
    chapter: str,
    tags: Sequence[str] | None = None,
    *,
    made_by: str = "",
) -> None:
    """Remember the tags a command made (``plan.new_tags`` unless ``tags``), so that
    cleanup can untag exactly those."""
    for tag in plan.new_tags if tags is None else tags:
        image_id = tagledger.current_id(client, tag)
        if image_id:
            tagledger.record(
                tag, image_id, chapter, made_by=made_by or plan.command[-1]
            )


def _commit_through_api(
    client: docker.DockerClient, plan: Plan, out: IO[str]
) -> tuple[int, str]:
    """``docker commit`` on Podman: its Docker-compatible API cannot read the request the
    docker CLI sends (``Decode(): EOF``), so the same commit goes through the API, with
    the same options, and the learner is told."""
    import docker.errors

    args = list(plan.argv[2:])
    changes: list[str] = []
    message = author = None
    positional: list[str] = []
    while args:
        word = args.pop(0)
        name, eq, value = word.partition("=")
        if name in ("-c", "--change", "-m", "--message", "-a", "--author"):
            value = value if eq else (args.pop(0) if args else "")
            if name in ("-c", "--change"):
                changes.append(value)
            elif name in ("-m", "--message"):
                message = value
            else:
                author = value
        elif name in ("-p", "--pause"):
            continue
        else:
            positional.append(word)
    container = positional[0] if positional else ""
    repository: str | None = None
    tag: str | None = None
    if len(positional) > 1:
        repository, colon, tag = positional[1].rpartition(":")
        if not colon or "/" in tag:  # no tag given ("host:port/repo" has no tag either)
            repository, tag = positional[1], None
    _print(t("dockercli.podman_commit"), out)
    try:
        made = client.api.commit(
            container,
            repository=repository,
            tag=tag,
            message=message,
            author=author,
            changes=changes or None,
        )
    except docker.errors.APIError as exc:
        text = str(getattr(exc, "explanation", "") or exc)
        _print(text, out)
        return 1, text + "\n"
    text = str(made.get("Id", "")) + "\n"
    _print(text.rstrip("\n"), out)
    return 0, text


def local_registry(ref: str) -> bool:
    """Whether ``ref`` names an image in a registry on the engine's own 127.0.0.1
    (``localhost:PORT/repo:tag``, like chapter 03's course registry)."""
    host, slash, _ = ref.partition("/")
    return bool(slash) and host.startswith(("localhost:", "127.0.0.1:"))


def _transfer_through_api(
    client: docker.DockerClient, plan: Plan, out: IO[str]
) -> tuple[int, str]:
    """``docker push``/``pull`` of a ``localhost:PORT/…`` image on Podman: Podman insists
    on TLS even for a registry on 127.0.0.1 (Docker does not), and the docker CLI cannot
    tell its Docker-compatible API otherwise, so the course makes the same transfer
    through the API with ``tlsVerify=false`` (the compatible pull ignores it: Podman's
    own pull takes it), and the learner is told."""
    import json

    import docker.errors
    import requests

    ref = plan.argv[-1]
    repository, colon, tag = ref.rpartition(":")
    if not colon or "/" in tag:  # no tag given ("host:port/repo" has no tag either)
        repository, tag = ref, "latest"
    _print(t("dockercli.podman_registry", command=plan.command[0]), out)
    api = client.api
    try:
        if plan.command == ("push",):
            response = api._post(
                api._url("/images/{0}/push", repository),
                params={"tag": tag, "tlsVerify": "false"},
                headers={"X-Registry-Auth": "e30="},  # base64 of {}: no credentials
                stream=True,
            )
        else:
            response = api._post(
                f"{api.base_url}/v4.0.0/libpod/images/pull",
                params={"reference": f"{repository}:{tag}", "tlsVerify": "false"},
                stream=True,
            )
        api._raise_for_status(response)
        lines: list[str] = []
        failure = ""
        for raw in response.iter_lines():
            try:
                item = json.loads(raw)
            except ValueError:
                continue
            if not isinstance(item, dict):
                continue
            failure = str(item.get("error") or failure)
            said = str(item.get("stream") or item.get("status") or "").rstrip()
            if said:
                _print(said, out)
                lines.append(said)
    except (docker.errors.APIError, requests.exceptions.RequestException) as exc:
        failure = str(getattr(exc, "explanation", "") or exc)
    if failure:
        _print(failure, out)
        return 1, "\n".join([*lines, failure]) + "\n"
    return 0, "\n".join(lines) + "\n"


def run_lines(
    session: Session | None,
    lines: Sequence[str],
    *,
    defaults: dockercli.MagicOptions | None = None,
    out: IO[str] | None = None,
    err: IO[str] | None = None,
) -> list[Outcome]:
    """Each line in turn, stopping at the first that does not run to exit code 0."""
    out = out or sys.stdout
    outcomes: list[Outcome] = []
    if session is None:
        _print(t("dockercli.no_session"), out)
        return outcomes
    if not lines:
        _print(t("dockercli.empty"), out)
        outcomes.append(Outcome("docker", "refused"))
    for line in lines:
        outcome = run_line(session, line, defaults=defaults, out=out, err=err)
        outcomes.append(outcome)
        if outcome.status not in ("ran", "recorded") or outcome.exit_code:
            break
    last[:] = outcomes
    return outcomes


# --- IPython glue ---------------------------------------------------------------------

#: ``{name}``, ``{obj.attr}`` or ``{f(args)}`` is replaced by its value, as IPython does
#: in line magics; ``{{…}}`` (Go templates: ``--format '{{.Names}}'``) is left alone.
_EXPR = re.compile(r"(?<!\{)\{([A-Za-z_][\w.]*(?:\([^{}()]*\))?)\}(?!\})")


def expand(text: str, namespace: dict[str, Any]) -> str:
    """``{expr}`` replaced by its value in ``namespace``; left as typed if it fails."""

    def value(match: re.Match[str]) -> str:
        try:
            return str(eval(match.group(1), namespace))
        except Exception:  # the learner's expression, any error: keep the text as typed
            return match.group(0)

    return _EXPR.sub(value, text)


def _user_ns() -> dict[str, Any]:
    ip = _ipython()
    found: dict[str, Any] = getattr(ip, "user_ns", None) or {}
    return found


def docker_line(line: str) -> None:
    """``%docker COMMAND``: one docker command."""
    run_lines(_current, [expand(line, _user_ns())])


def docker_cell(line: str, cell: str) -> None:
    """``%%docker [--allow-host] [--timeout S]``: one docker command per line."""
    try:
        defaults, rest = dockercli.magic_options(dockercli.split(line))
    except DockerCommandRefused as exc:
        _print(str(exc), sys.stdout)
        return
    ns = _user_ns()
    lines = [expand(x, ns) for x in dockercli.cell_lines(cell)]
    if rest:
        lines.insert(0, " ".join(rest))
    run_lines(_current, lines, defaults=defaults)


def _ipython() -> Any:
    if "IPython" not in sys.modules:
        return None
    from IPython import get_ipython

    return get_ipython()


def load_ipython_extension(ip: Any) -> None:
    """``%load_ext dockcourse.cli_magic``: register ``%docker`` and ``%%docker``."""
    from IPython.core.magic import no_var_expand

    ip.register_magic_function(no_var_expand(docker_line), "line", "docker")
    ip.register_magic_function(no_var_expand(docker_cell), "cell", "docker")


def register_magic(session: Session) -> None:
    """Make ``%docker`` run on ``session`` (called by ``setup()``); outside IPython it
    only remembers the session."""
    global _current
    _current = session
    ip = _ipython()
    if ip is not None:
        load_ipython_extension(ip)
