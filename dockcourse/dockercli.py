"""What a ``%docker`` command line means, and whether the course runs it (pure logic).

The learner types real ``docker`` syntax in a cell (``%docker run --rm IMAGE echo hi``,
or several lines under ``%%docker``). This module reads that text the way a shell would
(``shlex``), finds the subcommand (``container rm`` is ``rm``, ``image build`` is
``build``), and turns it into a :class:`Plan`: the exact argv to run, with the course's
labels added to what it creates (``run``, ``create``, ``volume create``, ``network
create``, ``build`` with ``--label``, ``commit`` with ``--change 'LABEL k="v"'``), the
tags it would make, the objects it would remove and the volumes it would mount (which
the runner, ``cli_magic``, checks on the engine before anything runs).

It refuses, with a catalogue message and nothing run, what would touch what is not the
course's or step out of the container's isolation: every ``prune``; a host folder
mounted from outside the allowed roots (the course's scratch folder), the host's
namespaces (``--pid host``, ``--network host``…), ``--privileged``, ``--cap-add``,
``--device`` and unconfining ``--security-opt`` unless the cell opts in
(``%docker --allow-host``); the engine's own socket, even then (whoever holds it
controls the engine, the learner's objects included); a global option that points the
CLI at another engine; what makes objects no label can mark (``compose``, swarm
mode, plugins, buildx builders: those are for the Terminal), an image without a name
(``build`` without ``-t``, ``commit``/``import`` without ``REPOSITORY``) and ``load``
of an archive whose images have none. It names what the engine must confirm is the
course's: what ``rm``/``rmi``/``volume rm`` remove, what ``update``, ``rename`` and
``network connect``/``disconnect`` change, and what ``--volumes-from``,
``--network NAME`` and ``--pid container:NAME`` borrow. ``load`` reads the tags from
the archive first, so they are checked and recorded like ``tag``'s. A command that
needs a terminal (``run -it``) becomes a :class:`NeedsTerminal` refusal that carries
the exact command for JupyterLab's Terminal. Every refusal is a
:class:`DockerCommandRefused`; nothing else escapes :func:`plan`. Used by
``cli_magic`` (the ``%docker`` magic, chapter 00 onwards).
"""

from __future__ import annotations

import difflib
import json
import os
import re
import secrets
import shlex
import tarfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from . import resources
from .commands import ELLIPSIS, command_line
from .errors import CourseError
from .text import t

#: Marks the containers one ``%docker run``/``create`` makes, so that a Ctrl-C can find
#: the container of the command it interrupts (with or without ``--name``).
LABEL_COMMAND = "io.dockcourse.command"
#: What a cell puts before the docker arguments to change how the magic behaves.
OPT_ALLOW_HOST = "--allow-host"
#: Its first name, still accepted.
OPT_ALLOW_HOST_MOUNT = "--allow-host-mount"
OPT_TIMEOUT = "--timeout"
DEFAULT_TIMEOUT_S = 600.0


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


class DockerCommandRefused(CourseError):
    """A ``%docker`` command the course does not run; the message says why and what to
    do instead (from the catalogue, in the learner's language)."""

    def __init__(self, key: str, **fields: object) -> None:
        self.key = key
        self.fields = fields
        super().__init__(t(key, None, **fields))


class NeedsTerminal(DockerCommandRefused):
    """The command needs a terminal (``-t``): ``command`` is what to type there."""

    def __init__(self, command: str, subcommand: str) -> None:
        self.command = command
        super().__init__("dockercli.terminal", command=subcommand)


@dataclass(frozen=True)
class MagicOptions:
    """What the cell asked of the magic itself (before the docker arguments)."""

    #: The cell opted in to giving the container something of the host (``--allow-host``).
    allow_host: bool = False
    timeout_s: float = DEFAULT_TIMEOUT_S


@dataclass(frozen=True)
class Mount:
    """One ``-v``/``--mount`` of a ``run``/``create``: a host folder or a volume."""

    spec: str
    kind: str  # "bind" or "volume"
    source: str


@dataclass(frozen=True)
class Plan:
    """One docker command, ready to run."""

    #: What the learner typed after ``docker`` (the recording key is made from it).
    typed: tuple[str, ...]
    #: The full argv that runs, labels included: ``("docker", "run", "--label", ...)``.
    argv: tuple[str, ...]
    #: The argv as shown, the course's labels abbreviated after the first.
    shown: tuple[str, ...]
    #: The canonical subcommand: ``("run",)``, ``("volume", "create")``, ``("rmi",)``.
    command: tuple[str, ...]
    #: How many labels were added but not shown.
    hidden_labels: int = 0
    #: ``container``/``image``/``volume``/``network`` for a removal, and what it removes.
    removes: str = ""
    targets: tuple[str, ...] = ()
    #: Tags this command would make (``tag``, ``build -t``, ``commit REPO:TAG``, ``pull``,
    #: ``import … REPO:TAG``, the tags in a ``load``'s archive).
    new_tags: tuple[str, ...] = ()
    #: The image a ``run``/``create`` starts from: pulled if the engine lacks it (the
    #: runner records its tag then, as ``pull``'s).
    image: str = ""
    #: (kind, name) of what this command changes (``update``, ``rename``, ``network
    #: connect``) or lends to its container (``--volumes-from``, ``--network NAME``,
    #: ``--pid container:NAME``): each must be the course's.
    changes: tuple[tuple[str, str], ...] = ()
    borrows: tuple[tuple[str, str, str], ...] = ()
    #: Named volumes a ``run``/``create`` mounts (checked on the engine first).
    volumes: tuple[str, ...] = ()
    #: The ``run`` stays attached until its container ends (no ``-d``).
    attached_run: bool = False
    auto_remove: bool = False
    name: str = ""
    #: The value of ``LABEL_COMMAND`` on the container this command creates.
    command_token: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """What recordings are keyed by: the command line the learner typed."""
        return command_line(("docker", *self.typed))

    @property
    def shown_line(self) -> str:
        return command_line(self.shown)


# --- Reading the text -------------------------------------------------------------------


def split(text: str) -> list[str]:
    """The words of one command line, as a POSIX shell splits them."""
    try:
        return shlex.split(text, posix=True)
    except ValueError as exc:
        raise DockerCommandRefused("dockercli.bad_quotes", error=str(exc)) from None


def cell_lines(cell: str) -> list[str]:
    """The command lines of a ``%%docker`` cell: a trailing backslash continues a line;
    blank lines and ``#`` comments are skipped."""
    lines: list[str] = []
    pending = ""
    for raw in cell.splitlines():
        stripped = raw.strip()
        if stripped.endswith("\\") and not stripped.endswith("\\\\"):
            pending += stripped[:-1].rstrip() + " "
            continue
        line = (pending + stripped).strip()
        pending = ""
        if line and not line.startswith("#"):
            lines.append(line)
    tail = pending.strip()
    if tail and not tail.startswith("#"):
        lines.append(tail)
    return lines


def magic_options(words: Sequence[str]) -> tuple[MagicOptions, list[str]]:
    """The magic's own options at the start of ``words``, and the docker arguments
    (a leading ``docker`` is accepted and dropped: ``%docker docker ps`` is ``ps``)."""
    allow = False
    timeout = DEFAULT_TIMEOUT_S
    rest = list(words)
    while rest:
        word = rest[0]
        if word in (OPT_ALLOW_HOST, OPT_ALLOW_HOST_MOUNT):
            allow = True
            rest.pop(0)
        elif word == OPT_TIMEOUT or word.startswith(OPT_TIMEOUT + "="):
            rest.pop(0)
            if "=" in word:
                value = word.split("=", 1)[1]
            elif rest:
                value = rest.pop(0)
            else:
                value = ""
            timeout = _seconds(value)
        else:
            break
    if rest and rest[0] == "docker":
        rest.pop(0)
    return MagicOptions(allow, timeout), rest


def _seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise DockerCommandRefused("dockercli.bad_timeout") from None
    if not (0 < seconds < 1e7):  # also refuses nan
        raise DockerCommandRefused("dockercli.bad_timeout")
    return seconds


# --- Commands ---------------------------------------------------------------------------

#: Every top-level ``docker`` command (Docker CLI 20.10 to 28, with the usual plugins).
TOP_LEVEL = _words("""attach build builder buildx commit compose config container context cp create
    diff events exec export history image images import info init inspect kill load
    login logout logs manifest network node pause plugin port ps pull push rename
    restart rm rmi run save scout search secret service stack start stats stop swarm
    system tag top trust unpause update version volume wait""")
#: The subcommands of the management commands whose words the course checks.
GROUPS: dict[str, frozenset[str]] = {
    "container": _words(
        """attach commit cp create diff exec export inspect kill logs ls list ps
        pause port prune rename restart rm remove run start stats stop top unpause
        update wait"""
    ),
    "image": _words(
        "build history import inspect load ls list pull push rm remove prune save tag"
    ),
    "volume": _words("create inspect ls list prune rm remove update"),
    "network": _words("connect create disconnect inspect ls list prune rm remove"),
    "system": _words("df events info prune dial-stdio"),
    "builder": _words("build du inspect ls prune"),
}
#: ``docker GROUP SUB`` that is the same as a shorter command.
ALIASES: dict[tuple[str, str], tuple[str, ...]] = {
    **{
        ("container", sub): (sub,)
        for sub in _words("""attach commit cp create diff exec export kill logs pause port
        rename restart run start stats stop top unpause update wait""")
    },
    ("container", "rm"): ("rm",),
    ("container", "remove"): ("rm",),
    ("container", "ls"): ("ps",),
    ("container", "list"): ("ps",),
    ("image", "build"): ("build",),
    ("builder", "build"): ("build",),
    ("buildx", "build"): ("build",),
    ("image", "rm"): ("rmi",),
    ("image", "remove"): ("rmi",),
    ("image", "tag"): ("tag",),
    ("image", "ls"): ("images",),
    ("image", "load"): ("load",),
    ("image", "import"): ("import",),
    ("image", "pull"): ("pull",),
    ("image", "list"): ("images",),
    ("volume", "remove"): ("volume", "rm"),
    ("network", "remove"): ("network", "rm"),
}
PRUNES = frozenset(
    (group, "prune")
    for group in (
        "system",
        "volume",
        "image",
        "container",
        "network",
        "builder",
        "buildx",
    )
)

#: Commands that make what no course label can mark, and what (``dockercli.elsewhere.*``):
#: the magic sends them to the Terminal. ``buildx`` keeps ``build`` and its read-only
#: subcommands.
ELSEWHERE = {
    "compose": "compose",
    "stack": "swarm",
    "service": "swarm",
    "swarm": "swarm",
    "secret": "swarm",
    "config": "swarm",
    "node": "swarm",
    "plugin": "plugin",
    "buildx": "buildx",
}
_BUILDX_READ = _words("ls du inspect version")

#: Global options that would point the CLI at another engine than the session's.
OTHER_ENGINE = _words(
    "-H --host -c --context --config --tls --tlsverify --tlscacert --tlscert --tlskey"
)
#: Global options that take a value (the others are flags).
_GLOBAL_VALUES = _words(
    "-H --host -c --context --config -l --log-level --tlscacert --tlscert --tlskey"
)


@dataclass(frozen=True)
class Spec:
    """The options of one subcommand: which take a value, and whether options stop at
    the first positional argument (``run IMAGE CMD...``: what follows is the
    container's)."""

    short_flags: str = ""
    short_values: str = ""
    long_flags: frozenset[str] = frozenset()
    stop_at_positional: bool = False


_RUN = Spec(
    short_flags="diPtq",
    short_values="acehlmpuvw",
    long_flags=_words("""detach interactive tty rm init privileged read-only publish-all
        no-healthcheck oom-kill-disable sig-proxy help quiet disable-content-trust
        use-api-socket"""),
    stop_at_positional=True,
)
SPECS: dict[tuple[str, ...], Spec] = {
    ("run",): _RUN,
    ("create",): _RUN,
    ("exec",): Spec(
        short_flags="dit",
        short_values="euw",
        long_flags=_words("detach interactive tty privileged help"),
        stop_at_positional=True,
    ),
    ("start",): Spec(short_flags="ai", long_flags=_words("attach interactive help")),
    ("rm",): Spec(short_flags="flv", long_flags=_words("force link volumes help")),
    ("rmi",): Spec(short_flags="f", long_flags=_words("force no-prune help")),
    ("volume", "rm"): Spec(short_flags="f", long_flags=frozenset({"force", "help"})),
    ("network", "rm"): Spec(short_flags="f", long_flags=frozenset({"force", "help"})),
    ("volume", "create"): Spec(short_values="do", long_flags=frozenset({"help"})),
    ("network", "create"): Spec(
        short_values="do",
        long_flags=_words("attachable ingress internal ipv6 ipv4 config-only help"),
    ),
    ("build",): Spec(
        short_flags="q",
        short_values="cfmot",
        long_flags=_words("""no-cache pull quiet rm force-rm squash compress disable-content-trust
            help load push check"""),
    ),
    ("commit",): Spec(
        short_flags="p", short_values="acm", long_flags=frozenset({"pause", "help"})
    ),
    ("tag",): Spec(long_flags=frozenset({"help"})),
    ("pull",): Spec(
        short_flags="aq", long_flags=_words("all-tags quiet disable-content-trust help")
    ),
    ("load",): Spec(short_flags="q", short_values="i", long_flags=_words("quiet help")),
    ("import",): Spec(short_values="cm", long_flags=frozenset({"help"})),
    ("update",): Spec(long_flags=frozenset({"help"})),
    ("rename",): Spec(long_flags=frozenset({"help"})),
    ("network", "connect"): Spec(long_flags=frozenset({"help"})),
    ("network", "disconnect"): Spec(short_flags="f", long_flags=_words("force help")),
}
#: What each changing command changes: the kinds of its first positionals (``update``
#: changes every container it names).
CHANGES: dict[tuple[str, ...], tuple[str, ...]] = {
    ("rename",): ("container",),
    ("network", "connect"): ("network", "container"),
    ("network", "disconnect"): ("network", "container"),
    ("volume", "update"): ("volume",),
}
#: What each removing command removes.
REMOVES = {
    ("rm",): "container",
    ("rmi",): "image",
    ("volume", "rm"): "volume",
    ("network", "rm"): "network",
}
#: Commands whose creations get the course's labels, and which labels.
LABELLED = {
    ("run",): "resource",
    ("create",): "resource",
    ("volume", "create"): "resource",
    ("network", "create"): "resource",
    ("build",): "image",
    ("commit",): "image",
    ("import",): "image",
}
#: Images in a ``--change 'LABEL k="v"'`` (``commit``, ``import``).
_BY_CHANGE = (("commit",), ("import",))
_FALSE = ("false", "0", "no")


@dataclass
class Parsed:
    """Options (name without dashes or the short letter, value or None) and positional
    arguments of one subcommand's arguments."""

    options: list[tuple[str, str | None]] = field(default_factory=list)
    positionals: list[str] = field(default_factory=list)

    def flag(self, short: str, long: str) -> bool:
        """Whether a flag is on (``-d``, ``--detach``, ``--detach=true``)."""
        on = False
        for name, value in self.options:
            if name in (short, long):
                on = value is None or value.strip().lower() not in _FALSE
        return on

    def values(self, short: str, long: str) -> list[str]:
        return [
            value
            for name, value in self.options
            if name in (short, long) and value is not None
        ]


def parse_args(args: Sequence[str], spec: Spec) -> Parsed:
    """Options and positionals of ``args`` (pflag's rules: ``-dit`` is three flags,
    ``-p8080:80`` and ``--name=x`` carry their value, ``--`` ends the options)."""
    parsed = Parsed()
    i = 0
    while i < len(args):
        word = args[i]
        i += 1
        if word == "--":
            parsed.positionals += args[i:]
            break
        if word.startswith("--") and len(word) > 2:
            name, eq, value = word[2:].partition("=")
            if eq:
                parsed.options.append((name, value))
            elif name in spec.long_flags:
                parsed.options.append((name, None))
            else:
                parsed.options.append((name, args[i] if i < len(args) else None))
                i += 1
            continue
        if word.startswith("-") and len(word) > 1:
            letters = word[1:]
            for k, letter in enumerate(letters):
                if letter in spec.short_values:
                    rest = letters[k + 1 :].removeprefix("=")
                    if rest:
                        parsed.options.append((letter, rest))
                    else:
                        parsed.options.append(
                            (letter, args[i] if i < len(args) else None)
                        )
                        i += 1
                    break
                parsed.options.append((letter, None))
            continue
        parsed.positionals.append(word)
        if spec.stop_at_positional:
            parsed.positionals += args[i:]
            break
    return parsed


def subcommand(args: Sequence[str]) -> tuple[list[str], tuple[str, ...], list[str]]:
    """(global options, canonical subcommand, its arguments) of the docker arguments."""
    globals_: list[str] = []
    i = 0
    while i < len(args) and args[i].startswith("-") and args[i] != "-":
        word = args[i]
        name = word.split("=", 1)[0]
        if name in OTHER_ENGINE:
            raise DockerCommandRefused("dockercli.other_engine", option=name)
        globals_.append(word)
        i += 1
        if name in _GLOBAL_VALUES and "=" not in word and i < len(args):
            globals_.append(args[i])
            i += 1
    rest = list(args[i:])
    if not rest:
        if globals_:  # `docker --version`, `docker --help`
            return globals_, (), []
        raise DockerCommandRefused("dockercli.empty")
    top = rest.pop(0)
    if top not in TOP_LEVEL:
        raise DockerCommandRefused(
            "dockercli.unknown", name=top, hint=_did_you_mean(top, TOP_LEVEL)
        )
    subs = GROUPS.get(top)
    if top in ("buildx",) and rest and not rest[0].startswith("-"):
        sub = rest.pop(0)
        return globals_, ALIASES.get((top, sub), (top, sub)), rest
    if subs is None or not rest or rest[0].startswith("-"):
        return globals_, (top,), rest
    sub = rest.pop(0)
    if sub not in subs:
        raise DockerCommandRefused(
            "dockercli.unknown_sub",
            group=top,
            name=sub,
            hint=_did_you_mean(f"{top} {sub}", {f"{top} {s}" for s in subs}),
        )
    return globals_, ALIASES.get((top, sub), (top, sub)), rest


def _did_you_mean(word: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, sorted(known), n=1, cutoff=0.6)
    return t("dockercli.did_you_mean", name=close[0]) if close else ""


# --- Policy -----------------------------------------------------------------------------


def mounts(parsed: Parsed) -> list[Mount]:
    """The host folders and volumes a ``run``/``create`` mounts."""
    found: list[Mount] = []
    for spec in parsed.values("v", "volume"):
        if ":" not in spec:
            continue  # an anonymous volume: removed with the container (rm -v)
        source = spec.split(":", 1)[0]
        kind = "bind" if source.startswith(("/", ".", "~")) else "volume"
        found.append(Mount(spec, kind, source))
    for spec in parsed.values("", "mount"):
        fields: dict[str, str] = {}
        for part in spec.split(","):
            key, _, value = part.partition("=")
            fields[key.strip().lower()] = value.strip()
        kind = fields.get("type", "volume")
        source = fields.get("source") or fields.get("src") or ""
        if kind in ("bind", "volume") and source:
            found.append(Mount(spec, kind, source))
    return found


def host_path(source: str, cwd: str | None = None) -> str:
    """The host folder a bind-mount source names (``~`` and relative paths resolved as
    the CLI resolves them, links followed)."""
    path = os.path.expanduser(source)
    if not os.path.isabs(path):
        path = os.path.join(cwd or os.getcwd(), path)
    return os.path.realpath(path)


def inside(path: str, roots: Iterable[str]) -> bool:
    """Whether ``path`` is one of ``roots`` or below one of them."""
    for root in roots:
        base = os.path.realpath(root)
        if path == base or path.startswith(base.rstrip(os.sep) + os.sep):
            return True
    return False


def _interactive(command: tuple[str, ...], parsed: Parsed) -> bool:
    """Whether the command wants the learner's keyboard and screen (a terminal)."""
    if command == ("attach",):
        return True
    if command in (("run",), ("exec",)):
        return parsed.flag("t", "tty") and not parsed.flag("d", "detach")
    if command == ("start",):
        return parsed.flag("a", "attach") and parsed.flag("i", "interactive")
    return False


def full_tag(ref: str) -> str:
    """``repo`` is ``repo:latest``; ``repo:tag`` and ``host:5000/repo:tag`` stay."""
    if "@" in ref:
        return ref
    last = ref.rsplit("/", 1)[-1]
    return ref if ":" in last else f"{ref}:latest"


def _new_tags(command: tuple[str, ...], parsed: Parsed) -> list[str]:
    if command == ("tag",) and len(parsed.positionals) >= 2:
        return [full_tag(parsed.positionals[1])]
    if command == ("build",):
        return [full_tag(tag) for tag in parsed.values("t", "tag")]
    if command == ("commit",) and len(parsed.positionals) >= 2:
        return [full_tag(parsed.positionals[1])]
    if command == ("pull",) and parsed.positionals:
        return [full_tag(parsed.positionals[0])]  # chapter 03: a pull makes its tag
    if command == ("import",) and len(parsed.positionals) >= 2:
        return [full_tag(parsed.positionals[1])]
    pull = (parsed.values("", "pull") or [""])[-1]
    if command in (("run",), ("create",)) and parsed.positionals and pull == "always":
        return [full_tag(parsed.positionals[0])]  # may move the tag: checked first
    return []


#: ``--pid``-style options: the value ``host`` gives the container the host's namespace,
#: ``container:NAME`` another container's.
_NAMESPACES = {
    "pid": "pid",
    "ipc": "ipc",
    "uts": "uts",
    "userns": "userns",
    "cgroupns": "cgroupns",
    "network": "network",
    "net": "network",
}
#: ``--network`` values that name no network object of anyone's.
_BUILTIN_NETWORKS = frozenset({"", "bridge", "none", "default", "host", "nat"})
_UNCONFINED = ("unconfined", "label=disable", "label:disable")
#: Where engines keep their socket (the session's own is added by the runner).
ENGINE_SOCKETS = ("/var/run/docker.sock", "/run/docker.sock")
_SOCKET_NAMES = frozenset({"docker.sock", "podman.sock", "containerd.sock"})


def _network_name(value: str) -> str:
    """The network a ``--network`` value names (``name=n,alias=a`` is ``n``)."""
    if "=" not in value:
        return value
    for part in value.split(","):
        key, _, found = part.partition("=")
        if key.strip() == "name":
            return found.strip()
    return value


def host_access(command: tuple[str, ...], parsed: Parsed) -> list[tuple[str, str, str]]:
    """What a ``run``/``create``/``exec`` asks of the host: (option, value, what it
    gives: a ``dockercli.host_what.*`` key), for the ``--allow-host`` opt-in."""
    found: list[tuple[str, str, str]] = []
    if command not in (("run",), ("create",), ("exec",)):
        return found
    if parsed.flag("", "privileged"):
        found.append(("--privileged", "", "privileged"))
    if command == ("exec",):
        return found
    for name, what in _NAMESPACES.items():
        for value in parsed.values("", name):
            if _network_name(value).strip().lower() == "host":
                found.append((f"--{name}", value, what))
    for value in parsed.values("", "cap-add"):
        found.append(("--cap-add", value, "cap_add"))
    for name in ("device", "device-cgroup-rule", "gpus"):
        for value in parsed.values("", name):
            found.append((f"--{name}", value, "device"))
    for value in parsed.values("", "security-opt"):
        if any(word in value.lower() for word in _UNCONFINED):
            found.append(("--security-opt", value, "security_opt"))
    return found


def borrowed(command: tuple[str, ...], parsed: Parsed) -> list[tuple[str, str, str]]:
    """What a ``run``/``create`` lends its container from other objects: (kind, name,
    option) for ``--volumes-from``, ``--link``, ``--network NAME`` and
    ``--pid``/``--ipc``/``--network container:NAME``; each must be the course's."""
    found: list[tuple[str, str, str]] = []
    if command not in (("run",), ("create",)):
        return found
    for name in ("volumes-from", "link"):
        for value in parsed.values("", name):
            found.append(("container", value.split(":", 1)[0], f"--{name}"))
    for name, what in _NAMESPACES.items():
        for value in parsed.values("", name):
            target = _network_name(value) if what == "network" else value
            if target.startswith("container:"):
                found.append(("container", target.split(":", 1)[1], f"--{name}"))
            elif what == "network" and target.lower() not in _BUILTIN_NETWORKS:
                found.append(("network", target, f"--{name}"))
    return found


def changed(command: tuple[str, ...], parsed: Parsed) -> list[tuple[str, str]]:
    """(kind, name) of what ``update``, ``rename``, ``network connect``… change."""
    if command == ("update",):
        return [("container", name) for name in parsed.positionals]
    return list(zip(CHANGES.get(command, ()), parsed.positionals, strict=False))


def is_engine_socket(path: str, sockets: Iterable[str] = ENGINE_SOCKETS) -> bool:
    """Whether a bind-mount source is an engine's socket or the folder it is in."""
    if os.path.basename(path) in _SOCKET_NAMES:
        return True
    for sock in sockets:
        for candidate in {sock, os.path.realpath(sock)}:
            if path in (candidate, os.path.dirname(candidate)):
                return True
    return False


def archive_tags(path: str) -> tuple[list[str], list[str]]:
    """(tags, images without one) in a ``docker save`` archive (``manifest.json``, or
    an old archive's ``repositories``); raises ``OSError``/``ValueError``."""
    try:
        with tarfile.open(path, "r:*") as tar:
            members = {m.name.removeprefix("./"): m for m in tar.getmembers()}
            member = members.get("manifest.json") or members.get("repositories")
            stream = tar.extractfile(member) if member is not None else None
            if member is None or stream is None:
                raise ValueError("no manifest.json")
            data = json.load(stream)
    except (tarfile.TarError, EOFError) as exc:
        raise ValueError(str(exc) or type(exc).__name__) from None
    tags: list[str] = []
    untagged: list[str] = []
    if member.name.removeprefix("./") == "repositories":
        if not isinstance(data, dict):
            raise ValueError("repositories is not an object")
        for repo, by_tag in data.items():
            tags += [f"{repo}:{tag}" for tag in (by_tag or {})]
        return tags, untagged
    if not isinstance(data, list):
        raise ValueError("manifest.json is not a list")
    for entry in data:
        if not isinstance(entry, dict):
            raise ValueError("manifest.json holds a non-object")
        found = [str(tag) for tag in entry.get("RepoTags") or []]
        if found:
            tags += [full_tag(tag) for tag in found]
        else:
            untagged.append(str(entry.get("Config", "?")).split("/")[-1][:19])
    return tags, untagged


def _image_policy(
    command: tuple[str, ...], parsed: Parsed, cwd: str | None
) -> list[str]:
    """Refuse what makes an image without a name, or reads standard input; the tags a
    ``load`` would make (read from its archive)."""
    words = " ".join(command)
    if command == ("build",):
        if not parsed.values("t", "tag") and not parsed.values("o", "output"):
            raise DockerCommandRefused(
                "dockercli.unnamed_image", command=words, example="build -t NAME:TAG ."
            )
    elif command in _BY_CHANGE:
        if parsed.positionals[:1] == ["-"]:
            raise DockerCommandRefused(
                "dockercli.stdin", command=words, example="import FILE.tar NAME:TAG"
            )
        if len(parsed.positionals) < 2:
            first = "CONTAINER" if command == ("commit",) else "FILE.tar"
            raise DockerCommandRefused(
                "dockercli.unnamed_image",
                command=words,
                example=f"{words} {first} NAME:TAG",
            )
    elif command == ("pull",) and parsed.flag("a", "all-tags"):
        raise DockerCommandRefused("dockercli.pull_all_tags")
    elif command == ("load",):
        inputs = parsed.values("i", "input")
        if not inputs or inputs[-1] == "-":
            raise DockerCommandRefused(
                "dockercli.stdin", command=words, example="load -i FILE.tar"
            )
        path = host_path(inputs[-1], cwd)
        try:
            tags, untagged = archive_tags(path)
        except (OSError, ValueError) as exc:
            raise DockerCommandRefused(
                "dockercli.load_unreadable", path=inputs[-1], error=str(exc)[:200]
            ) from None
        if untagged:
            raise DockerCommandRefused(
                "dockercli.load_untagged", path=inputs[-1], image=untagged[0]
            )
        return tags
    return []


def label_args(
    kind: str, labels: Mapping[str, str], *, commit: bool = False
) -> list[str]:
    """``--label k=v`` per label, or ``--change 'LABEL k="v"'`` for ``commit``."""
    out: list[str] = []
    for key, value in labels.items():
        if commit:
            quoted = value.replace("\\", "\\\\").replace('"', '\\"')
            out += ["--change", f'LABEL {key}="{quoted}"']
        else:
            out += ["--label", f"{key}={value}"]
    return out


def plan(
    words: Sequence[str],
    *,
    chapter: str,
    allowed_roots: Sequence[str] = (),
    allow_host: bool = False,
    cwd: str | None = None,
    terminal_prefix: Sequence[str] = ("docker",),
    engine_sockets: Sequence[str] = ENGINE_SOCKETS,
) -> Plan:
    """The :class:`Plan` for the docker arguments ``words`` (what follows ``docker``),
    or a :class:`DockerCommandRefused` saying why the course does not run it."""
    typed = tuple(words)
    globals_, command, args = subcommand(typed)
    if not command:
        argv = ("docker", *typed)
        return Plan(typed, argv, argv, command)
    if command in PRUNES:
        raise DockerCommandRefused(
            "dockercli.prune",
            command=" ".join(command),
            what=t(f"dockercli.pruned.{command[0]}"),
        )
    where = ELSEWHERE.get(command[0])
    if where and not (
        where == "buildx" and command[1:2] and command[1] in _BUILDX_READ
    ):
        raise DockerCommandRefused(
            "dockercli.elsewhere",
            command=" ".join(command),
            what=t(f"dockercli.elsewhere_what.{where}"),
        )
    spec = SPECS.get(command, Spec())
    # Where the subcommand's own arguments start in what was typed.
    head = typed[: len(typed) - len(args)]
    parsed = parse_args(args, spec)
    if any(name == "help" for name, _ in parsed.options):  # prints usage, runs nothing
        argv = ("docker", *typed)
        return Plan(typed, argv, argv, command)
    found = mounts(parsed) if command in (("run",), ("create",)) else []
    if command in (("run",), ("create",)) and parsed.flag("", "use-api-socket"):
        raise DockerCommandRefused(
            "dockercli.engine_socket", spec="--use-api-socket", path="-"
        )
    for mount in found:
        if mount.kind != "bind":
            continue
        try:
            path = host_path(mount.source, cwd)
        except (OSError, ValueError):  # a NUL byte, a name too long
            path = mount.source
        if is_engine_socket(path, engine_sockets):
            raise DockerCommandRefused(
                "dockercli.engine_socket", spec=mount.spec, path=path
            )
        if not allow_host and not inside(path, allowed_roots):
            raise DockerCommandRefused(
                "dockercli.host_mount",
                spec=mount.spec,
                path=path,
                allowed=", ".join(allowed_roots) or "-",
            )
    access = [] if allow_host else host_access(command, parsed)
    if access:
        option, value, what = access[0]
        raise DockerCommandRefused(
            "dockercli.host_access",
            option=f"{option} {value}".strip(),
            what=t(f"dockercli.host_what.{what}", value=value),
        )
    loaded = _image_policy(command, parsed, cwd)
    token = ""
    labels: dict[str, str] = {}
    kind = LABELLED.get(command)
    if kind == "resource":
        labels = resources.labels(chapter)
        if command in (("run",), ("create",)):
            token = secrets.token_hex(6)
            labels[LABEL_COMMAND] = token
    elif kind == "image":
        labels = resources.image_labels(chapter)
        # The shown label is the one that says "the course's image".
        labels = {
            resources.LABEL_IMAGE: labels.pop(resources.LABEL_IMAGE),
            **labels,
        }
    extra = label_args(kind or "", labels, commit=command in _BY_CHANGE)
    argv = ("docker", *head, *extra, *args)
    shown_extra = extra[:2] + ([ELLIPSIS] if len(extra) > 2 else [])
    shown = ("docker", *head, *shown_extra, *args)
    if _interactive(command, parsed):
        full = command_line((*terminal_prefix, *head[len(globals_) :], *extra, *args))
        raise NeedsTerminal(full, " ".join(command))
    return Plan(
        typed=typed,
        argv=argv,
        shown=shown,
        command=command,
        hidden_labels=max(len(labels) - 1, 0),
        removes=REMOVES.get(command, ""),
        targets=tuple(parsed.positionals) if command in REMOVES else (),
        new_tags=tuple(loaded or _new_tags(command, parsed)),
        volumes=tuple(m.source for m in found if m.kind == "volume"),
        attached_run=command == ("run",) and not parsed.flag("d", "detach"),
        auto_remove=command == ("run",) and parsed.flag("", "rm"),
        name=(parsed.values("", "name") or [""])[-1],
        command_token=token,
        labels=labels,
        image=_run_image(command, parsed),
        changes=tuple(changed(command, parsed)),
        borrows=tuple(borrowed(command, parsed)),
    )


def _run_image(command: tuple[str, ...], parsed: Parsed) -> str:
    if command not in (("run",), ("create",)) or not parsed.positionals:
        return ""
    ref = parsed.positionals[0]
    return "" if looks_like_id(ref) else full_tag(ref)


_IMAGE_ID = re.compile(r"(sha256:)?[0-9a-f]{12,64}")


def looks_like_id(ref: str) -> bool:
    """Whether an image reference is an ID (``sha256:…`` or 12–64 hex digits)."""
    return bool(_IMAGE_ID.fullmatch(ref.strip()))
