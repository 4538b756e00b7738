"""Recorded results: what recorded mode (no engine, e.g. mybinder.org) shows, with provenance.

One format, one writer, one reader. Every recording is one file
``dockcourse/data/recorded/<name>.json``::

    {"format": 2, "name": "<name>", "provenance": {...}, "data": ...}

``format`` is :data:`FORMAT` (a reader refuses any other: re-record instead); ``provenance``
is a :class:`Provenance` (where, when, by which writer, on which engine); ``data`` is plain
JSON. The recordings the package ships:

- ``engine``: ``EngineInfo.as_dict()`` of the engine the recording was made on (the banner);
- ``measurements``: the benchmark run, ``{"settings", "startup", "disk", "image",
  "footprint", "unavailable"}``, lists of ``measure.results`` records (chapters 01, 03);
- ``volumes``: the volume workbench's scene (listing, sizes, inspections, files; chapter 06);
- ``chapter-NN``: what chapter NN's cells did, ``{"runs": {command line: result},
  "values": {key: value}}`` (``transcripts``; one file per chapter, its own provenance).

**Recordings of other engines** live in sub-folders, ``recorded/<set>/``, with the same
names and format: ``docker-26-vm`` is Docker 26 on cgroup v2 in a VM, the shape most
learners have today. Recorded mode reads each recording from the chosen set
(:func:`chosen_set`: ``DOCKCOURSE_RECORDING=<set>``, ``main`` for the main folder; by
default the first of :data:`PREFERRED_SETS` shipped) where the set holds it, else from the
main folder; within a chapter, a value the set lacks (what that engine could not show) is
read from the main folder (:func:`search_path`). Each file carries its own provenance, and
what is shown is labelled with the provenance of the file it came from.

``dockcourse record`` writes ``engine``, ``measurements`` and ``volumes``;
``scripts/execute_notebooks.py`` (``./course notebooks``) writes ``chapter-NN`` and
``engine``. Both write with :func:`save`; everything reads with :func:`load`.

A recording holds data, never a sentence, so one recording reads the same in every
language: numbers, identifiers (``"vm-linked"``, ``wrote_bytes``) and engine output. A
sentence the package made (a cause, a fix, a note) is kept as its catalogue key and fields,
``{"text": key, "params": {...}}`` (:func:`to_data`), read back as a :class:`Message`
that renders in the reader's language when shown (:func:`from_data`).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import secrets
import socket
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._version import __version__
from .errors import CourseError
from .text import Text, t

if TYPE_CHECKING:
    from .engine import EngineInfo

#: The schema version of every recorded file; a reader refuses any other.
FORMAT = 2
ENGINE = "engine"
MEASUREMENTS = "measurements"
VOLUMES = "volumes"


def chapter_name(chapter: str) -> str:
    """The recording of one chapter's cells: ``chapter-01``."""
    return f"chapter-{chapter}"


@dataclass(frozen=True)
class Provenance:
    """Where and when a recording was made, and on which engine: the one provenance of
    every recorded figure, listing or transcript (shown by :meth:`label`, :meth:`short`
    and :meth:`describe`, rendered through the catalogue)."""

    run_id: str
    recorded_at: str  # ISO 8601, UTC
    recorded_by: str = ""  # the writer: "dockcourse record", "execute_notebooks"
    dockcourse_version: str = ""
    host: str = ""  # the computer that ran the course
    host_kernel: str = ""
    host_os: str = ""
    cpu_model: str = ""
    cpu_count: int = 0
    python: str = ""
    engine_version: str = ""  # "" when no engine answered
    api_version: str = ""
    engine_os_arch: str = ""  # "linux/x86_64"
    engine_kernel: str = ""
    engine_operating_system: str = ""
    engine_host: str = ""
    storage_driver: str = ""
    cgroup_version: str = ""
    #: The machine's 1-minute load average as the recording was saved ("" if unknown):
    #: figures measured on a busy machine are slower, and the plots say how busy.
    load_avg: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Provenance:
        """Tolerant of the field names of the provenances this one replaced."""
        found = dict(data)
        renamed = {
            "date": "recorded_at",
            "os_arch": "engine_os_arch",
            "kernel": "engine_kernel",
            "operating_system": "engine_operating_system",
            "engine_os": "engine_operating_system",
        }
        for old, new in renamed.items():
            if old in found and new not in found:
                found[new] = found.pop(old)
        if "engine_os_arch" not in found and "os" in found and "arch" in found:
            found["engine_os_arch"] = f"{found['os']}/{found['arch']}"
        if found.get("engine_version") == "no engine":
            found["engine_version"] = ""
        kinds = {f.name: f.type for f in fields(cls)}
        values: dict[str, Any] = {}
        for name, kind in kinds.items():
            if name not in found:
                continue
            value = found[name]
            values[name] = int(value or 0) if kind == "int" else str(value)
        values.setdefault("run_id", "?")
        values.setdefault("recorded_at", "?")
        return cls(**values)

    @property
    def day(self) -> str:
        return self.recorded_at[:10]

    def label(self) -> str:
        """One line for a banner: 'recorded on Docker Engine 20.10.24 (linux/x86_64...)'."""
        return t(
            "recorded.label",
            version=self.engine_version,
            os_arch=self.engine_os_arch,
            driver=self.storage_driver,
            cgroup=self.cgroup_version,
            date=self.day,
            host=self.host or self.engine_host,
        )

    def short(self) -> str:
        """Day, engine, kernel and CPU: what every plot of a measurement prints."""
        engine = (
            t(
                "measure.provenance.engine",
                version=self.engine_version,
                driver=self.storage_driver,
                cgroup=self.cgroup_version,
            )
            if self.api_version
            else t("measure.provenance.no_engine")
        )
        said = t(
            "measure.provenance",
            day=self.day,
            engine=engine,
            kernel=self.host_kernel or self.engine_kernel,
            cpu=self.cpu_model,
        )
        if not self.load_avg:
            return said
        load = t("measure.provenance.load", load=self.load_avg, cpus=self.cpu_count)
        return f"{said}{load}"

    def describe(self) -> str:
        """The engine in full: what the volume workbench says of a recorded listing."""
        os_name, _, arch = self.engine_os_arch.partition("/")
        return t(
            "volumes.provenance",
            engine_version=self.engine_version,
            api_version=self.api_version,
            operating_system=self.engine_operating_system,
            os=os_name,
            arch=arch,
            storage_driver=self.storage_driver,
            engine_host=self.engine_host,
            recorded_at=self.recorded_at,
            recorded_by=self.recorded_by,
        )


def provenance_label(p: Provenance) -> str:
    """:meth:`Provenance.label` (kept for the callers that format a provenance)."""
    return p.label()


def new_run_id() -> str:
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return f"{stamp}-{secrets.token_hex(3)}"


def provenance_now(
    engine: EngineInfo | Mapping[str, Any] | None = None,
    *,
    run_id: str | None = None,
    recorded_by: str = "",
) -> Provenance:
    """Provenance of a recording or measurement about to be made here, on ``engine``
    (``EngineInfo`` or its ``as_dict()``; None when no engine answers)."""
    from .host import cpu_model

    if engine is None:
        e: dict[str, Any] = {}
    elif isinstance(engine, Mapping):
        e = dict(engine)
    else:
        e = engine.as_dict()
    return Provenance(
        run_id=run_id or new_run_id(),
        recorded_at=dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
        recorded_by=recorded_by,
        dockcourse_version=__version__,
        host=socket.gethostname(),
        host_kernel=platform.release(),
        host_os=f"{platform.system()} {platform.machine()}",
        cpu_model=cpu_model(),
        cpu_count=os.cpu_count() or 0,
        python=platform.python_version(),
        engine_version=str(e.get("version", "")),
        api_version=str(e.get("api_version", "")),
        engine_os_arch=f"{e['os']}/{e['arch']}" if "os" in e and "arch" in e else "",
        engine_kernel=str(e.get("kernel", "")),
        engine_operating_system=str(e.get("operating_system", "")),
        engine_host=str(e.get("name", "")),
        storage_driver=str(e.get("storage_driver", "")),
        cgroup_version=str(e.get("cgroup_version", "")),
        load_avg=_load_avg(),
    )


def _load_avg() -> str:
    try:
        return f"{os.getloadavg()[0]:.1f}"
    except (OSError, AttributeError):  # not on every platform
        return ""


# ----------------------------------------------------------------- text as data


@dataclass(frozen=True)
class Message:
    """A sentence kept as data (catalogue key and fields), rendered when shown."""

    key: str
    params: Mapping[str, Any]

    def __str__(self) -> str:
        fields = {
            k: str(v) if isinstance(v, Message) else v for k, v in self.params.items()
        }
        try:
            return t(self.key, **fields)
        except (KeyError, IndexError, ValueError):
            # a recording older than the catalogue: its key or fields have changed
            shown = ", ".join(f"{k}={v}" for k, v in fields.items())
            return f"{self.key}({shown})"

    def as_data(self) -> dict[str, Any]:
        return {"text": self.key, "params": to_data(dict(self.params))}


def to_data(value: Any) -> Any:
    """``value`` as a recording keeps it: a sentence of the catalogue (``t``'s result, a
    :class:`Message`) as ``{"text": key, "params": {...}}``; lists, tuples and dicts
    through; numbers, booleans, None and other strings as they are; anything else
    (an exception, a path) as its ``str``."""
    if isinstance(value, Text) and hasattr(value, "key"):
        return {"text": value.key, "params": to_data(value.fields)}
    if isinstance(value, Message):
        return value.as_data()
    if isinstance(value, BaseException) and len(value.args) == 1:
        said = value.args[0]  # an exception whose message is a sentence of ours
        return to_data(said) if isinstance(said, (Text, Message)) else str(value)
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, str):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): to_data(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_data(v) for v in value]
    return str(value)


def is_message(value: Any) -> bool:
    return (
        isinstance(value, Mapping)
        and set(value) == {"text", "params"}
        and isinstance(value["text"], str)
    )


def from_data(value: Any) -> Any:
    """The inverse of :func:`to_data`: ``{"text", "params"}`` become :class:`Message`."""
    if is_message(value):
        return Message(
            value["text"], {k: from_data(v) for k, v in value["params"].items()}
        )
    if isinstance(value, Mapping):
        return {k: from_data(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_data(v) for v in value]
    return value


def rendered(value: Any) -> Any:
    """A recorded value with its sentences rendered in the reader's language (strings
    that still remember their key, so that recording them again keeps the key)."""
    if is_message(value):
        return str(from_data(value))
    if isinstance(value, Mapping):
        return {k: rendered(v) for k, v in value.items()}
    if isinstance(value, list):
        return [rendered(v) for v in value]
    return value


def render(value: Any) -> str:
    """A recorded sentence (or plain string) in the reader's language."""
    found = from_data(value)
    return "" if found is None else str(found)


# ------------------------------------------------------------------ the files


def recorded_dir() -> Path:
    return Path(str(resources.files("dockcourse") / "data" / "recorded"))


#: Chooses the set of recordings recorded mode shows (a sub-folder name, or ``main``).
SET_ENV = "DOCKCOURSE_RECORDING"
MAIN_SET = "main"
#: The set shown by default where it is shipped: what a learner today sees.
PREFERRED_SETS = ("docker-26-vm",)


def sets(directory: Path | None = None) -> list[str]:
    """The sets of other engines' recordings shipped beside the main one."""
    folder = directory or recorded_dir()
    if not folder.is_dir():
        return []
    return sorted(
        d.name for d in folder.iterdir() if d.is_dir() and any(d.glob("*.json"))
    )


def chosen_set(directory: Path | None = None) -> str:
    """The set recorded mode shows first: ``DOCKCOURSE_RECORDING`` if it names a shipped
    set (or ``main``), else the first shipped of :data:`PREFERRED_SETS`, else ``main``."""
    shipped = sets(directory)
    wanted = os.environ.get(SET_ENV, "").strip()
    if wanted == MAIN_SET or wanted in shipped:
        return wanted
    return next((s for s in PREFERRED_SETS if s in shipped), MAIN_SET)


def set_label(name: str, directory: Path | None = None) -> str:
    """A set as a learner can choose it: its name and the engine it was recorded on."""
    root = directory or recorded_dir()
    folder = root if name == MAIN_SET else root / name
    for path in sorted(folder.glob("*.json")):
        try:
            p = load(path.stem, folder).provenance
        except (CourseError, ValueError, KeyError):
            continue
        return f"{name} ({p.engine_version}, cgroup v{p.cgroup_version})"
    return name


def search_path(directory: Path | None = None) -> list[Path]:
    """Where recordings are looked for, in order: the chosen set, then the main folder."""
    root = directory or recorded_dir()
    chosen = chosen_set(root)
    return [root] if chosen == MAIN_SET else [root / chosen, root]


class RecordingMissing(CourseError):
    """The package ships no recording of this name (a packaging mistake)."""


class RecordingFormat(CourseError):
    """A recording in another format than this version reads: re-record it."""


@dataclass(frozen=True)
class RecordedFile:
    """One recorded file as read: its name, provenance and data."""

    name: str
    provenance: Provenance
    data: Any


def path_of(name: str, directory: Path | None = None) -> Path:
    return (directory or recorded_dir()) / f"{name}.json"


def save(
    name: str, provenance: Provenance, data: Any, directory: Path | None = None
) -> Path:
    """THE writer: ``data`` (made plain by :func:`to_data`) as recording ``name``."""
    target = path_of(name, directory)
    target.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "format": FORMAT,
        "name": name,
        "provenance": provenance.as_dict(),
        "data": to_data(data),
    }
    text = json.dumps(payload, indent=1, ensure_ascii=False, sort_keys=False)
    partial = target.with_suffix(".json.partial")
    partial.write_text(text + "\n", "utf-8")
    partial.replace(target)
    return target


def load(name: str, directory: Path | None = None) -> RecordedFile:
    """THE reader: recording ``name`` from ``directory``, or by default from the first
    folder of :func:`search_path` that holds it (``RecordingMissing`` if none does)."""
    if directory is None:
        return load_all(name)[0]
    source = path_of(name, directory)
    try:
        payload = json.loads(source.read_text("utf-8"))
    except FileNotFoundError:
        raise RecordingMissing(
            f"no recorded result {name!r} in {source.parent}; run `dockcourse record` "
            "on a machine with Docker"
        ) from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        found = payload.get("format") if isinstance(payload, dict) else None
        raise RecordingFormat(
            f"{source}: recorded format {found!r}, this version reads {FORMAT}; "
            "re-record it (`dockcourse record`, `./course notebooks`)"
        )
    return RecordedFile(
        name, Provenance.from_dict(payload["provenance"]), payload["data"]
    )


def load_all(name: str) -> list[RecordedFile]:
    """Recording ``name`` from every folder of :func:`search_path` that holds it, the
    chosen set first (a chapter's values fall back from one to the next)."""
    folders = search_path()
    found = [load(name, folder) for folder in folders if path_of(name, folder).exists()]
    if not found:
        return [
            load(name, folders[-1])
        ]  # raises RecordingMissing, naming the main folder
    return found


def names(directory: Path | None = None) -> list[str]:
    """The recordings a directory holds."""
    folder = directory or recorded_dir()
    return sorted(p.stem for p in folder.glob("*.json"))


def record_engine(
    engine: EngineInfo, provenance: Provenance, directory: Path | None = None
) -> Path:
    """What the banner shows in recorded mode: the engine the recording was made on."""
    return save(ENGINE, provenance, engine.as_dict(), directory)
