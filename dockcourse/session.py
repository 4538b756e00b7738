"""``setup()``: the first cell of every chapter.

It picks the mode (live when an engine answers, recorded otherwise, or as forced by
``DOCKCOURSE_MODE``), removes leftovers of crashed sessions, makes sure the course image
exists, prints one status banner and returns the :class:`Session` the chapter uses.
"""

from __future__ import annotations

import atexit
import functools
import json
import os
import re
import secrets
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar

from . import recorded, resources, scratch, transcripts
from ._version import __version__
from .commands import docker_run
from .engine import EngineInfo, EngineUnavailable, connect, describe_source, engine_info
from .errors import CourseError
from .fonts import use_for_notebook
from .images import ImageUnavailable, course_image_ref, ensure_course_image
from .text import set_language, t

if TYPE_CHECKING:
    import docker
    from docker.models.containers import Container

T = TypeVar("T")
MODE_ENV = "DOCKCOURSE_MODE"
#: Starts each banner line that depends on what happened before (a swept leftover, an
#: image just built), so that stored notebook outputs can ignore those lines.
NOTE_MARK = "  ↳ "
MODES = ("auto", "live", "recorded")


class RecordedMode(CourseError):
    """An action that needs an engine was asked for in recorded mode."""


class VolumeRefused(CourseError):
    """A mount names a volume the course did not make (or none at all): not mounted,
    because ``docker run -v NAME:/path`` would quietly create an unlabelled volume that
    the course could never clean, or hand the course a volume that is not its own."""


#: How this session's tag and scratch folder are written in recordings, so that a
#: recorded command line matches whoever replays it (another session, user, machine).
TAG_TOKEN = "{session-tag}"
SCRATCH_TOKEN = "{scratch}"


@dataclass
class Session:
    """What a chapter works with: the mode, the client, the course image."""

    chapter: str
    mode: str  # "live" or "recorded"
    lang: str
    client: docker.DockerClient | None = None
    engine: EngineInfo | None = None
    image_ref: str = ""
    reason: str = ""  # why recorded mode was chosen
    provenance: recorded.Provenance | None = None
    notes: list[str] = field(default_factory=list)
    #: Ends the names of this session's chapter resources (``name``), so that two
    #: notebooks running the same chapter on one engine never meet.
    tag: str = field(default_factory=lambda: secrets.token_hex(3))
    _scratch: Path | None = field(default=None, repr=False)
    _sees_files: bool | None = field(default=None, repr=False)
    _told_unseen: bool = field(default=False, repr=False)

    @property
    def live(self) -> bool:
        return self.mode == "live"

    def name(self, purpose: str) -> str:
        """``dockcourse-<chapter>-<purpose>-<tag>``: this session's name for a volume or
        container of the chapter (``course.name("myvolume")``)."""
        stem = re.sub(r"[^a-z0-9.-]+", "-", purpose.lower()).strip("-.") or "x"
        return f"{resources.NAME_PREFIX}{self.chapter}-{stem}-{self.tag}"

    def image_name(self, purpose: str) -> str:
        """``dockcourse/ch<chapter>-<purpose>:<tag>``: this session's name for an image."""
        stem = re.sub(r"[^a-z0-9.-]+", "-", purpose.lower()).strip("-.") or "x"
        return f"{resources.IMAGE_PREFIX}ch{self.chapter}-{stem}:{self.tag}"

    @property
    def scratch(self) -> Path:
        """This session's scratch folder (0700, yours alone): files a chapter writes,
        such as bind-mount sources and backups. ``clean()`` removes it."""
        if self._scratch is None or not self._scratch.is_dir():
            self._scratch = scratch.make(self.chapter)
            atexit.register(scratch.remove, self._scratch)
        return self._scratch

    def engine_sees_files(self) -> bool:
        """Whether the engine sees this notebook's files, so that a bind mount of the
        scratch folder shows the container what is here (found out once, by a probe:
        ``scratch.engine_sees``). False for an engine in a VM or on another machine
        that does not share the folder."""
        if self._sees_files is None:
            self._sees_files = scratch.engine_sees(
                self.require_client(),
                self.image_ref or course_image_ref(),
                self.scratch,
                chapter=self.chapter,
            )
        return self._sees_files

    def _to_record(self, value: Any) -> Any:
        """``value`` as recordings keep it: this session's tag and scratch folder as
        tokens (in strings, and in lists and dicts of them)."""
        if isinstance(value, str):
            if self._scratch is not None:
                value = value.replace(str(self._scratch), SCRATCH_TOKEN)
            return re.sub(rf"(?<=[-:]){re.escape(self.tag)}\b", TAG_TOKEN, value)
        if isinstance(value, list):
            return [self._to_record(v) for v in value]
        if isinstance(value, tuple):
            return tuple(self._to_record(v) for v in value)
        if isinstance(value, dict):
            return {k: self._to_record(v) for k, v in value.items()}
        return value

    def _from_record(self, value: Any) -> Any:
        """A recorded value with the tokens turned into this session's tag and folder."""
        if isinstance(value, str):
            if SCRATCH_TOKEN in value:
                value = value.replace(SCRATCH_TOKEN, str(self.scratch))
            return value.replace(TAG_TOKEN, self.tag)
        if isinstance(value, list):
            return [self._from_record(v) for v in value]
        if isinstance(value, dict):
            return {k: self._from_record(v) for k, v in value.items()}
        return value

    def _recall(self, line: str) -> resources.RunResult:
        found = transcripts.recall(self.chapter, self._to_record(line))
        return resources.RunResult(
            found.exit_code,
            self._from_record(found.output),
            found.elapsed_s,
            found.oom_killed,
        )

    def _remember(self, line: str, result: resources.RunResult) -> None:
        transcripts.remember(
            self.chapter,
            self._to_record(line),
            resources.RunResult(
                result.exit_code,
                self._to_record(result.output),
                result.elapsed_s,
                result.oom_killed,
            ),
        )

    def _check_mounts(self, options: dict[str, Any]) -> None:
        """Every named volume a container would mount exists and is the course's
        (``VolumeRefused`` otherwise): never one the engine would create on the fly."""
        import docker.errors

        client = self.require_client()
        for name in named_volumes(options):
            try:
                found = client.api.inspect_volume(name)
            except docker.errors.NotFound:
                raise VolumeRefused(t("mounts.volume_missing", name=name)) from None
            if (found.get("Labels") or {}).get(resources.LABEL_COURSE) != "true":
                raise VolumeRefused(t("mounts.volume_not_course", name=name))

    def _binds_unseen(self, options: dict[str, Any]) -> list[str]:
        """The bind-mount sources of ``options`` when the engine cannot see them."""
        sources = bind_sources(options)
        if not sources or self.engine_sees_files():
            return []
        return sources

    def _say_unseen(self, key: str, **fields: str) -> None:
        """Why a bind-mount result is the recorded one: in full the first time."""
        print(t(key if not self._told_unseen else f"{key}_again", **fields))
        self._told_unseen = True

    def _refusal(self, exc: Exception, kwargs: dict[str, Any]) -> str:
        """One sentence: the engine refused this container, and why if we know."""
        info = self.engine
        if info is not None and info.rootless and kwargs.get("pid_mode") == "host":
            return t("session.refused.rootless_pid_host")
        message = str(getattr(exc, "explanation", "") or exc).strip().splitlines()
        detail = message[-1][-160:] if message else ""
        return t(
            "session.refused.engine", product=info.product if info else "", error=detail
        )

    def _recorded_label(self, *, key: str = "", line: str = "") -> str:
        """Which recording a result shown instead of this engine's comes from."""
        where = (
            transcripts.provenance_of(
                self.chapter, key=self._to_record(key), line=self._to_record(line)
            )
            or self.provenance
        )
        return t(
            "mounts.recorded_on",
            where=recorded.provenance_label(where) if where else "?",
        )

    def require_client(self) -> docker.DockerClient:
        if self.client is None:
            raise RecordedMode(t("session.recorded_action"))
        return self.client

    def run(
        self, command: str | Sequence[str], *, show: bool = True, **kwargs: Any
    ) -> resources.RunResult:
        """``docker run --rm <course image> ...``: prints the command line and the output.

        Keyword arguments are those of ``client.containers.create`` (``network_mode``,
        ``mem_limit``, ``volumes``...). In recorded mode the result comes from the
        recorded run of the same command, and says so.
        """
        cmd = shell_argv(command)
        image = kwargs.pop("image", self.image_ref or course_image_ref())
        line = docker_run(image, cmd, kwargs)
        unseen = self._binds_unseen(kwargs) if self.live else []
        refused = ""
        if self.live and not unseen:
            self._check_mounts(kwargs)
            import docker.errors

            try:
                result = resources.run(
                    self.require_client(), image, cmd, chapter=self.chapter, **kwargs
                )
                self._remember(line, result)
            except docker.errors.APIError as exc:
                # This engine cannot do what the lesson shows (a rootless engine cannot
                # share the host's PID namespace, say): why, then the recorded result.
                refused = self._refusal(exc, kwargs)
                result = self._recall(line)
        else:
            result = self._recall(line)
        if show:
            print(f"$ {line}")
            if refused:
                print(refused)
                print(self._recorded_label(line=line))
            elif unseen:
                self._say_unseen("mounts.bind_unseen", folder=unseen[0])
                print(self._recorded_label(line=line))
            elif not self.live and result.exit_code != transcripts.NOT_RECORDED:
                where = transcripts.provenance_of(
                    self.chapter, line=self._to_record(line)
                )
                if where != transcripts.chapter_provenance(self.chapter):
                    # from another engine's recording than the banner names
                    print(self._recorded_label(line=line))
                else:
                    print(t("session.recorded_output"))
            print(result.output, end="" if result.output.endswith("\n") else "\n")
        return result

    def observe(
        self, key: str, measure: Callable[[], T], *, shared_files: bool = False
    ) -> T:
        """``measure()`` on the live engine; in recorded mode, what it returned when the
        course was recorded. ``measure`` must return JSON-able data (dicts, lists, numbers,
        strings), which is what gets recorded. Used for anything richer than one
        ``run`` (an inspect after an OOM kill, a timing series...).

        ``shared_files``: the value depends on the engine seeing this notebook's files
        (what a container wrote through a bind mount); when the engine does not see
        them, the recorded value is shown, and the reason."""
        if self.live and not (shared_files and not self.engine_sees_files()):
            import docker.errors

            try:
                value = measure()
            except docker.errors.APIError as exc:
                # The engine cannot do what the lesson shows (a rootless engine cannot
                # give a container the host's PID namespace): why, then the recording.
                # Any other error is the learner's or the course's to see, as raised.
                if "mount proc" not in str(exc):
                    raise
                print(self._refusal(exc, {"pid_mode": "host"}))
                print(self._recorded_label(key=key))
                refused: T = self._from_record(
                    transcripts.recall_value(self.chapter, key, live=True)
                )
                return refused
            transcripts.remember_value(
                self.chapter, key, self._to_record(recorded.to_data(value))
            )
            return value
        recalled: T = self._from_record(
            transcripts.recall_value(self.chapter, key, live=self.live)
        )
        if self.live:
            self._say_unseen("mounts.files_unseen")
            print(self._recorded_label(key=key))
            return recalled
        where = transcripts.provenance_of(self.chapter, key=key) or self.provenance
        print(
            t(
                "session.recorded_value",
                key=key,
                where=recorded.provenance_label(where) if where else "?",
            )
        )
        return recalled

    def start(
        self,
        command: str | Sequence[str],
        *,
        name: str,
        show: bool = True,
        **kwargs: Any,
    ) -> str:
        """``docker run -d --name NAME``: a labelled container that keeps running after
        the cell (exercises check it; ``clean()`` removes it). Running the cell again
        replaces the container of that name this session made; a namesake the learner
        made by hand is never touched (``resources.NameTaken``). Keyword arguments as
        in ``run``. In recorded mode it prints the command and does nothing."""
        cmd = shell_argv(command)
        image = kwargs.pop("image", self.image_ref or course_image_ref())
        line = docker_run(image, cmd, {"name": name, **kwargs}, detach=True)
        if show:
            print(f"$ {line}")
        if not self.live:
            if show:
                print(t("session.recorded_action"))
            return name
        client = self.require_client()
        self._check_mounts(kwargs)
        resources.remove_container_if_ours(client, name)
        all_labels = {**kwargs.pop("labels", {}), **resources.labels(self.chapter)}
        import docker.errors

        try:
            client.containers.run(
                image, cmd, name=name, labels=all_labels, detach=True, **kwargs
            )
        except docker.errors.APIError as exc:
            if resources.is_name_conflict(exc):  # someone else's container has it
                raise resources.NameTaken(t("session.name_taken", name=name)) from None
            raise
        return name

    @contextmanager
    def container(
        self, command: str | Sequence[str] | None = None, **kwargs: Any
    ) -> Iterator[Container]:
        """A labelled container from the course image, removed when the block ends."""
        argv = None if command is None else shell_argv(command)
        image = kwargs.pop("image", self.image_ref)
        self._check_mounts(kwargs)
        with resources.course_container(
            self.require_client(), image, argv, chapter=self.chapter, **kwargs
        ) as c:
            yield c

    def clean(self) -> list[resources.Removal]:
        """Remove what this session created in this chapter (the chapter's last cell),
        and its scratch folder."""
        removed: list[resources.Removal] = []
        if self.client is not None:
            removed = resources.clean_chapter(self.client, self.chapter)
        if self._scratch is not None:
            removed.append(scratch.remove(self._scratch))
            self._scratch = None
        print(
            t(
                "session.cleaned",
                count=sum(r.removed for r in removed),
                chapter=self.chapter,
            )
        )
        for r in removed:
            if not r.removed:
                print(f"  {r.item.kind} {r.item.name}: {r.error}")
        return removed

    def banner(self) -> str:
        head = t("banner.head", version=__version__, chapter=self.chapter)
        if self.live and self.engine is not None:
            e = self.engine
            lines = [
                t(
                    "banner.live",
                    product=e.product,
                    version=e.version,
                    api=e.api_version,
                ),
                t(
                    "banner.engine",
                    os=e.os,
                    arch=e.arch,
                    driver=e.storage_driver,
                    cgroup=e.cgroup_version,
                    where=describe_source(e.endpoint_source),
                ),
                t("banner.image", image=self.image_ref),
            ]
        else:
            lines = [t("banner.recorded", reason=self.reason)]
            if self.provenance is not None:
                lines.append(recorded.provenance_label(self.provenance))
            lines.append(t("banner.recorded_hint"))
            shown, shipped = recorded.chosen_set(), recorded.sets()
            if shipped:
                others = [recorded.MAIN_SET, *shipped]
                lines.append(
                    t(
                        "banner.recorded_sets",
                        shown=recorded.set_label(shown),
                        others=", ".join(
                            recorded.set_label(o) for o in others if o != shown
                        ),
                        env=recorded.SET_ENV,
                    )
                )
        notes = [f"{NOTE_MARK}{note}" for note in self.notes]
        return "\n".join([head, *lines, *notes])


def _mount_specs(options: dict[str, Any]) -> list[tuple[str, str]]:
    """(type, source) of every mount in ``containers.create`` options: ``volumes`` as a
    dict or as ``SRC:DST[:MODE]`` strings, and ``mounts``."""
    found: list[tuple[str, str]] = []
    volumes = options.get("volumes") or {}
    sources = (
        list(volumes)
        if isinstance(volumes, dict)
        else [str(v).split(":", 1)[0] for v in volumes if ":" in str(v)]
    )
    for source in sources:
        kind = "bind" if source.startswith(("/", ".", "~")) else "volume"
        found.append((kind, source))
    for mount in options.get("mounts") or []:
        spec = dict(mount)
        found.append((str(spec.get("Type", "volume")), str(spec.get("Source") or "")))
    return found


def named_volumes(options: dict[str, Any]) -> list[str]:
    """The named volumes a container with these options would mount."""
    return [src for kind, src in _mount_specs(options) if kind == "volume" and src]


def bind_sources(options: dict[str, Any]) -> list[str]:
    """The host folders a container with these options would bind-mount."""
    return [src for kind, src in _mount_specs(options) if kind == "bind"]


def shell_argv(command: str | Sequence[str]) -> list[str]:
    """A string runs through the image's ``sh -c``; a list runs as it is."""
    return ["sh", "-c", command] if isinstance(command, str) else list(command)


#: The process whose exit removes its session's resources (registered once, by setup()).
_exit_cleanup_pid: int | None = None
EXIT_CLEANUP_TIMEOUT_S = 10.0


def clean_at_exit(client: docker.DockerClient, pid: int) -> None:
    """The kernel shuts down or the process exits: remove what this session made, in
    every chapter it opened (its scratch folders have their own atexit hooks). Only in
    the process that registered it (not a forked child); never raises. The stale sweep
    in ``setup()`` stays for the cases where this cannot run (a crash, SIGKILL)."""
    if os.getpid() != pid:
        return
    from .engine import call_timeout

    try:
        with call_timeout(client, EXIT_CLEANUP_TIMEOUT_S):
            resources.clean(client, session=resources.session_id())
    except Exception:  # the engine may be gone; the next setup() sweeps what is left
        pass


def _register_exit_cleanup(client: docker.DockerClient) -> None:
    global _exit_cleanup_pid
    if _exit_cleanup_pid != os.getpid():
        _exit_cleanup_pid = os.getpid()
        atexit.register(clean_at_exit, client, os.getpid())


def _in_kernel() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    return getattr(get_ipython(), "kernel", None) is not None


def show_banner(session: Session) -> None:
    """The banner; in a notebook, with a muted line saying when it was made. The stored
    output of a notebook opened without running it then reads as a record ("as of …,
    run the cell to see yours"), not as a claim about the reader's machine."""
    text = session.banner()
    if not _in_kernel():
        print(text)
        return
    import html
    from datetime import datetime, timezone

    from IPython.display import display

    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    note = t("banner.as_of", stamp=stamp)
    display(  # type: ignore[no-untyped-call]
        {
            "text/plain": f"{text}\n— {note}",
            "text/html": f"<pre style='margin:0'>{html.escape(text)}\n"
            f"<span style='color:#6b7280;font-style:italic'>— {html.escape(note)}"
            "</span></pre>",
        },
        raw=True,
    )


def _chosen_mode(mode: str | None) -> str:
    chosen = (mode or os.environ.get(MODE_ENV, "") or "auto").strip().lower()
    if chosen not in MODES:
        raise ValueError(t("session.bad_mode", mode=chosen, modes=", ".join(MODES)))
    return chosen


def setup(
    chapter: str = "00",
    *,
    lang: str | None = None,
    mode: str | None = None,
    quiet: bool = False,
) -> Session:
    """Connect (or fall back to recorded mode), tidy up, print the banner.

    ``mode``: "auto" (default; or ``$DOCKCOURSE_MODE``), "live" (an engine is required:
    the reason is printed if there is none) or "recorded".
    """
    language = set_language(lang)
    font_hint = use_for_notebook(language)
    chosen = _chosen_mode(mode)
    # In recorded mode the image name still appears in the commands the course shows.
    session = Session(
        chapter=chapter, mode="recorded", lang=language, image_ref=course_image_ref()
    )
    # Scratch folders of sessions whose process is gone (a crash), in either mode.
    folders = [r for r in scratch.clean(stale_only=True) if r.removed]
    if folders:
        session.notes.append(t("banner.swept", count=len(folders)))
    if chosen == "recorded":
        session.reason = t("session.forced_recorded", env=MODE_ENV)
    else:
        try:
            session.client = connect()
            session.engine = engine_info(session.client)
            swept = resources.sweep_stale(session.client)
            if swept:
                session.notes.append(t("banner.swept", count=len(swept)))
            image = ensure_course_image(session.client)
            session.image_ref = image.image_ref
            if image.source != "present":
                session.notes.append(
                    t(f"banner.image_{image.source}", seconds=f"{image.elapsed_s:.1f}")
                )
            session.mode = "live"
            _register_exit_cleanup(session.client)
        except (EngineUnavailable, ImageUnavailable) as exc:
            session.client = None
            session.reason = f"{exc.cause} — {exc.fix}"
            if chosen == "live":
                session.notes.append(t("session.live_required"))
    if not session.live:
        session.provenance = transcripts.chapter_provenance(chapter)
        if session.provenance is None:
            try:
                session.provenance = recorded.load(recorded.ENGINE).provenance
            except recorded.RecordingMissing as exc:
                session.notes.append(str(exc))
    if font_hint:
        session.notes.append(font_hint)
    if not quiet:
        show_banner(session)
    from .cli_magic import register_magic  # %docker in the notebook (the layer above)

    register_magic(session)
    _explain_engine_faults()
    return session


def engine_lost_message(exc: BaseException) -> str:
    """What a learner reads when the engine stopped answering in the middle of a cell (it
    was restarted, Docker Desktop quit, the socket went away): what happened and what to
    do, never a traceback. Nothing the course made is lost: the engine keeps it."""
    detail = str(exc).strip().splitlines()
    return t(
        "session.engine_lost", error=detail[-1][-160:] if detail else type(exc).__name__
    )


def _explain_engine_faults() -> None:
    """In a notebook, a cell whose engine connection broke prints
    :func:`engine_lost_message` instead of a traceback (the next run of the cell, once
    the engine is back, goes on: the client reconnects by itself)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None:
        return
    import requests

    def explain(
        _shell: Any, _etype: Any, value: BaseException, _tb: Any, tb_offset: Any = None
    ) -> list[str]:
        if isinstance(value, CourseError):
            print(course_error_message(value))
        else:
            print(engine_lost_message(value))
        return []

    shell.set_custom_exc((requests.exceptions.ConnectionError, CourseError), explain)


def course_error_message(exc: CourseError) -> str:
    """A failure the course predicted, as a learner reads it in a cell: what happened and
    what to do, in the catalogue's words, never a traceback (the cell still fails)."""
    if exc.fix:
        return t("session.course_error_fix", cause=exc.cause, fix=exc.fix)
    return t("session.course_error", cause=exc.cause)


P = ParamSpec("P")
R = TypeVar("R")


def step_key(name: str, args: Sequence[Any], kwargs: dict[str, Any]) -> str:
    """The recording key of a lesson step: its name and what was asked, as the learner
    would read it (``container(network='none', runs=5)``), the same in every language."""
    shown = [json.dumps(a, sort_keys=True, ensure_ascii=False) for a in args]
    shown += [
        f"{k}={json.dumps(v, sort_keys=True, ensure_ascii=False)}"
        for k, v in sorted(kwargs.items())
    ]
    return f"{name}({', '.join(shown)})"


def step(
    *, shared_files: bool = False
) -> Callable[
    [Callable[Concatenate[Session, P], R]], Callable[Concatenate[Session, P], R]
]:
    """A lesson step: what a cell asks of the engine, recorded live and replayed in
    recorded mode, keyed by the step's name and its arguments (never by a lambda).

    The decorated function takes the session first and returns JSON-able *data* (numbers,
    strings from the engine, lists and dicts of them), never catalogue text: a recording
    is rendered in the reader's language when it is shown. ``shared_files`` as in
    :meth:`Session.observe`::

        @step()
        def namespaces(course: Session) -> dict[str, Any]: ...

        ns = isolation.namespaces(course)      # the notebook cell
    """

    def decorate(
        fn: Callable[Concatenate[Session, P], R],
    ) -> Callable[Concatenate[Session, P], R]:
        @functools.wraps(fn)
        def run_step(course: Session, /, *args: P.args, **kwargs: P.kwargs) -> R:
            # this session's tag and scratch folder as tokens, as in recorded values
            key = course._to_record(step_key(fn.__name__, args, dict(kwargs)))
            return course.observe(
                key, lambda: fn(course, *args, **kwargs), shared_files=shared_files
            )

        return run_step

    return decorate
