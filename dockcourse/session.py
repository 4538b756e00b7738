"""``setup()``: the first cell of every chapter.

It picks the mode (live when an engine answers, recorded otherwise, or as forced by
``DOCKCOURSE_MODE``), removes leftovers of crashed sessions, makes sure the course image
exists, prints one status banner and returns the :class:`Session` the chapter uses.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from . import recorded, resources, transcripts
from ._version import __version__
from .engine import EngineInfo, EngineUnavailable, connect, describe_source, engine_info
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


class RecordedMode(Exception):
    """An action that needs an engine was asked for in recorded mode."""


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

    @property
    def live(self) -> bool:
        return self.mode == "live"

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
        line = run_command_line(image, cmd, kwargs)
        if self.live:
            result = resources.run(
                self.require_client(), image, cmd, chapter=self.chapter, **kwargs
            )
            transcripts.remember(self.chapter, line, result)
        else:
            result = transcripts.recall(self.chapter, line)
        if show:
            print(f"$ {line}")
            if not self.live and result.exit_code != transcripts.NOT_RECORDED:
                print(t("session.recorded_output"))
            print(result.output, end="" if result.output.endswith("\n") else "\n")
        return result

    def observe(self, key: str, measure: Callable[[], T]) -> T:
        """``measure()`` on the live engine; in recorded mode, what it returned when the
        course was recorded. ``measure`` must return JSON-able data (dicts, lists, numbers,
        strings), which is what gets recorded. Used for anything richer than one
        ``run`` (an inspect after an OOM kill, a timing series...)."""
        if self.live:
            value = measure()
            transcripts.remember_value(self.chapter, key, value)
            return value
        recalled: T = transcripts.recall_value(self.chapter, key)
        where = self.provenance
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
        line = run_command_line(image, cmd, {"name": name, **kwargs}, detach=True)
        if show:
            print(f"$ {line}")
        if not self.live:
            if show:
                print(t("session.recorded_action"))
            return name
        client = self.require_client()
        resources.remove_container_if_ours(client, name)
        all_labels = {**kwargs.pop("labels", {}), **resources.labels(self.chapter)}
        import docker.errors

        try:
            client.containers.run(
                image, cmd, name=name, labels=all_labels, detach=True, **kwargs
            )
        except docker.errors.APIError as exc:
            if exc.status_code == 409:  # the name is taken by someone else's container
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
        with resources.course_container(
            self.require_client(), image, argv, chapter=self.chapter, **kwargs
        ) as c:
            yield c

    def clean(self) -> list[resources.Removal]:
        """Remove what this session created in this chapter (the chapter's last cell)."""
        if self.client is None:
            return []
        removed = resources.clean_chapter(self.client, self.chapter)
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
                t("banner.live", version=e.version, api=e.api_version),
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
        notes = [f"{NOTE_MARK}{note}" for note in self.notes]
        return "\n".join([head, *lines, *notes])


def shell_argv(command: str | Sequence[str]) -> list[str]:
    """A string runs through the image's ``sh -c``; a list runs as it is."""
    return ["sh", "-c", command] if isinstance(command, str) else list(command)


def command_line(argv: Sequence[str]) -> str:
    """How a learner would type ``argv`` in a shell."""
    return " ".join(shlex.quote(a) for a in argv)


#: SDK keyword -> how ``docker run`` spells it (the ones the chapters use).
_RUN_FLAGS = {
    "network_mode": "--network",
    "hostname": "--hostname",
    "mem_limit": "--memory",
    "memswap_limit": "--memory-swap",
    "nano_cpus": "--cpus",
    "pid_mode": "--pid",
    "user": "--user",
    "working_dir": "--workdir",
    "entrypoint": "--entrypoint",
    "userns_mode": "--userns",
    "ipc_mode": "--ipc",
    "uts_mode": "--uts",
    "read_only": "--read-only",
    "cap_add": "--cap-add",
    "environment": "--env",
    "volumes": "--volume",
}


def run_command_line(
    image: str, command: Sequence[str], options: dict[str, Any], *, detach: bool = False
) -> str:
    """The ``docker run --rm`` line equivalent to a ``Session.run`` call (labels omitted);
    ``docker run -d`` with ``detach`` (``Session.start``)."""
    argv = ["docker", "run", "-d" if detach else "--rm"]
    for key, value in options.items():
        flag = _RUN_FLAGS.get(key)
        if flag is None:
            argv.append(f"--{key.replace('_', '-')}={value}")
        elif value is True:
            argv.append(flag)
        elif key == "nano_cpus":
            argv.append(f"{flag}={int(value) / 1e9:g}")
        elif isinstance(value, dict) and key == "volumes":
            for source, spec in value.items():
                bind = spec.get("bind", spec) if isinstance(spec, dict) else spec
                mode = spec.get("mode", "rw") if isinstance(spec, dict) else "rw"
                argv += [flag, f"{source}:{bind}" + (":ro" if mode == "ro" else "")]
        elif isinstance(value, dict):
            argv += [part for k, v in value.items() for part in (flag, f"{k}={v}")]
        elif isinstance(value, (list, tuple)):
            argv += [part for v in value for part in (flag, str(v))]
        else:
            argv.append(f"{flag}={value}")
    return command_line([*argv, image, *command])


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
        except (EngineUnavailable, ImageUnavailable) as exc:
            session.client = None
            session.reason = f"{exc.cause} — {exc.fix}"
            if chosen == "live":
                session.notes.append(t("session.live_required"))
    if not session.live:
        session.provenance = transcripts.chapter_provenance(chapter)
        if session.provenance is None:
            try:
                session.provenance, _ = recorded.load("engine")
            except recorded.RecordingMissing as exc:
                session.notes.append(str(exc))
    if font_hint:
        session.notes.append(font_hint)
    if not quiet:
        print(session.banner())
    return session
