"""Typed measurement records, their JSON-lines run file, and statistics.

A benchmark run (``dockcourse bench``) is one JSON-lines file: a ``run`` header (run id,
provenance, settings), then one line per sample, written and flushed as each sample is
taken, so an interrupted run keeps what it measured and :func:`open_run` with
``resume=True`` continues it. That file is a work file. The recorded dataset shipped in
``dockcourse/data/recorded/`` is the recording ``measurements`` (``recorded.save`` of
:func:`results_data`, read back by :func:`load_recorded`), in the one recorded format.

Records hold data only: a disk series is its ``kind`` (:data:`DISK_KINDS`) and
``wrote_bytes``; a cause, fix or note the package wrote is kept as its catalogue key and
fields (``recorded.to_data``) and rendered in the reader's language when shown. The
provenance is ``recorded.Provenance``. Published figures
(``dockcourse/data/published_baselines.csv``) are loaded here too, never mixed with live
samples. Used by chapters 01 and 03 and by ``dockcourse bench`` / ``record``.
"""

from __future__ import annotations

import csv
import json
import statistics
import sys
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path
from typing import IO, Any

from .. import recorded
from ..errors import CourseError
from ..recorded import Provenance, provenance_now, to_data
from ..recorded import new_run_id as new_run_id  # used by bench, observed
from ..text import t

#: Series of the start-up spectrum, in the order they are plotted (fastest first).
SERIES: dict[str, tuple[str, str]] = {
    # key: (label, endpoint)
    "process": ("process (fork + exec of busybox true)", "process exit"),
    "namespaces": (
        "same program in new pid/mount/uts/ipc/net namespaces (unshare)",
        "process exit",
    ),
    "container-none": (
        "container, --network none (warm)",
        "create → exit → remove",
    ),
    "container-bridge": (
        "container, default bridge network (warm)",
        "create → exit → remove",
    ),
    "container-cold": (
        "container, first start of a just-built image (cold)",
        "create → exit → remove",
    ),
    "container-cli": (
        "the whole `docker run --rm --network none` command, as typed (warm)",
        "docker run → exit → removed",
    ),
    "vm": ("VM: QEMU boots Linux, init runs, powers off", "QEMU process exit"),
}
CONTAINER_SERIES = ("container-none", "container-bridge", "container-cold")
CONTAINER_PHASES = ("create", "start", "first output", "exit", "remove")
VM_PHASES = ("firmware + kernel load", "kernel boot to init", "init to power-off")
#: What a disk series measures: N containers of one image, N VMs as linked clones of
#: one base disk, N VMs as full copies of it.
DISK_KINDS = ("containers", "vm-linked", "vm-full")
FILE_FORMAT = 2
RECORDED_NAME = recorded.MEASUREMENTS


class BadInput(CourseError, ValueError):
    """A measurement was asked for something impossible (e.g. zero runs)."""


class MeasurementUnavailable(CourseError):
    """A series cannot run here: ``cause`` says why, ``fix`` how to enable it."""

    def __init__(self, series: str, cause: str, fix: str = "") -> None:
        super().__init__(
            f"{series}: {cause}" + (f" — {fix}" if fix else ""), cause=cause, fix=fix
        )
        self.series = series


def check_runs(runs: int, *, name: str = "runs") -> int:
    if isinstance(runs, bool) or not isinstance(runs, int) or runs <= 0:
        raise BadInput(t("measure.bad.runs", name=name, value=runs))
    return runs


def check_series(names: Iterable[str]) -> list[str]:
    chosen = list(names)
    unknown = [name for name in chosen if name not in SERIES]
    if unknown:
        raise BadInput(
            t(
                "measure.bad.series",
                unknown=", ".join(map(repr, unknown)),
                known=", ".join(SERIES),
            )
        )
    return chosen


def series_caption(key: str) -> str:
    """What a series measures, in the learner's language (progress-bar captions)."""
    return t(f"measure.progress.{key}")


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class StartupSample:
    """One start-up measurement: ``elapsed_s`` from launch to ``endpoint``."""

    series: str
    index: int  # position in the series, warm-ups included
    warmup: bool  # warm-ups are kept in the file but left out of statistics
    elapsed_s: float
    endpoint: str
    taken_at: str
    phases_s: dict[str, float] = field(
        default_factory=dict
    )  # ordered, sums ≈ elapsed_s
    #: accel, container id, ...; a note the package wrote is a sentence of the
    #: catalogue (recorded as its key and fields, ``recorded.render`` shows it)
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DiskPoint:
    """Disk used by ``n`` instances of ``kind`` (:data:`DISK_KINDS`), each of which wrote
    ``wrote_bytes`` (0: fresh), shared part counted once."""

    kind: str  # "containers", "vm-linked" or "vm-full"
    wrote_bytes: int
    n: int
    total_bytes: int
    shared_bytes: int  # image (containers) or base disk (linked clones), counted once
    per_instance_bytes: int  # sum of the writable layers / clone files
    taken_at: str
    detail: dict[str, str] = field(default_factory=dict)

    @property
    def series(self) -> tuple[str, int]:
        """What the point is a point of: (kind, wrote_bytes)."""
        return self.kind, self.wrote_bytes

    @property
    def series_id(self) -> str:
        """The series as one identifier: ``vm-linked`` or ``vm-linked+wrote:1048576``."""
        return self.kind + (f"+wrote:{self.wrote_bytes}" if self.wrote_bytes else "")


@dataclass(frozen=True)
class FootprintPoint:
    """One figure: ``value`` of ``metric`` for ``n`` instances of ``kind``."""

    kind: str  # "process", "container" or "vm" (footprint.KINDS)
    metric: str  # "memory_bytes", "start_all_s" or "cpu_loop_s"
    n: int
    value: float  # bytes for memory_bytes, seconds otherwise
    method: str  # how it was read: footprint.METHODS
    taken_at: str
    detail: dict[str, str] = field(default_factory=dict)  # accel, loop size, …

    @property
    def per_instance(self) -> float:
        return self.value / self.n if self.n else 0.0


@dataclass(frozen=True)
class ImageFacts:
    """The course image as ``docker image inspect/history`` report it."""

    image_ref: str
    size_bytes: int
    layer_sizes_bytes: tuple[int, ...]
    taken_at: str


@dataclass(frozen=True)
class Unavailable:
    """A series that could not run here, and how to enable it.

    ``cause`` and ``fix`` are sentences of the catalogue (``t``'s result live, a
    ``recorded.Message`` read back from a recording): ``str()`` shows them in the
    reader's language; a recording keeps their key and fields."""

    series: str
    cause: Any
    fix: Any
    taken_at: str


def host_provenance(run_id: str, engine: Mapping[str, Any] | None = None) -> Provenance:
    """Provenance of this host; ``engine`` is ``EngineInfo.as_dict()`` when live."""
    return provenance_now(engine, run_id=run_id)


def _known(cls: type, data: Mapping[str, Any]) -> dict[str, Any]:
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in data.items() if k in names}


@dataclass(frozen=True)
class Results:
    """Everything one run file holds, in the order it was measured."""

    provenance: Provenance
    settings: dict[str, Any]
    startup: tuple[StartupSample, ...] = ()
    disk: tuple[DiskPoint, ...] = ()
    images: tuple[ImageFacts, ...] = ()
    unavailable: tuple[Unavailable, ...] = ()
    mode: str = "live"  # "live" or "recorded"
    source: str = ""  # the file it was read from
    footprint: tuple[FootprintPoint, ...] = ()  # memory, density, running cost

    @property
    def run_id(self) -> str:
        return self.provenance.run_id

    def samples(
        self, series: str, *, include_warmup: bool = False
    ) -> list[StartupSample]:
        return [
            s
            for s in self.startup
            if s.series == series and (include_warmup or not s.warmup)
        ]

    def vm_accel(self) -> str:
        """ "kvm", "tcg" or "" (no VM series): which accelerator the VM samples used."""
        accels = {s.detail.get("accel", "") for s in self.samples("vm")}
        return "+".join(sorted(a for a in accels if a))

    def label(self, sep: str = ": ") -> str:
        """Live or recorded, run id and provenance: printed on every plot.

        ``sep="\\n"`` puts the provenance on a second line (plots do).
        """
        accel = self.vm_accel()
        mode = "recorded" if self.mode == "recorded" else "live"
        return t(
            "measure.label",
            mode=t(f"measure.label.{mode}"),
            run_id=self.run_id,
            sep=sep,
            provenance=self.provenance.short(),
            vm=t("measure.label.vm", accel=accel.upper()) if accel else "",
        )


@dataclass(frozen=True)
class SeriesStats:
    """Median and spread of one series (warm-ups excluded)."""

    series: str
    count: int
    median_s: float
    p25_s: float
    p75_s: float
    min_s: float
    max_s: float


def quantile(values: list[float], q: float) -> float:
    """Linear-interpolation quantile (numpy's default), ``0 <= q <= 1``."""
    if not values:
        raise BadInput(t("measure.bad.no_values"))
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def series_stats(samples: Iterable[StartupSample]) -> SeriesStats | None:
    chosen = [s for s in samples if not s.warmup]
    if not chosen:
        return None
    values = [s.elapsed_s for s in chosen]
    return SeriesStats(
        series=chosen[0].series,
        count=len(values),
        median_s=statistics.median(values),
        p25_s=quantile(values, 0.25),
        p75_s=quantile(values, 0.75),
        min_s=min(values),
        max_s=max(values),
    )


def phase_medians(samples: Iterable[StartupSample]) -> dict[str, float]:
    """Median of each phase over the non-warm-up samples, in phase order."""
    chosen = [s for s in samples if not s.warmup and s.phases_s]
    names: list[str] = []
    for sample in chosen:
        names += [name for name in sample.phases_s if name not in names]
    return {
        name: statistics.median(s.phases_s.get(name, 0.0) for s in chosen)
        for name in names
    }


# --------------------------------------------------------------------------- files


class RunFile:
    """A JSON-lines run file opened for appending; each record is flushed at once."""

    def __init__(self, path: Path, results: Results, handle: IO[str]) -> None:
        self.path = path
        self._results = results
        self._handle = handle
        self._startup = list(results.startup)
        self._disk = list(results.disk)
        self._images = list(results.images)
        self._unavailable = list(results.unavailable)
        self._footprint = list(results.footprint)

    @property
    def run_id(self) -> str:
        return self._results.run_id

    def results(self) -> Results:
        r = self._results
        return Results(
            r.provenance,
            r.settings,
            tuple(self._startup),
            tuple(self._disk),
            tuple(self._images),
            tuple(self._unavailable),
            r.mode,
            str(self.path),
            tuple(self._footprint),
        )

    def _write(self, kind: str, record: Any) -> None:
        line = json.dumps({"type": kind, **record_data(record)}, ensure_ascii=False)
        self._handle.write(line + "\n")
        self._handle.flush()

    def add_sample(self, sample: StartupSample) -> None:
        self._startup.append(sample)
        self._write("startup", sample)

    def amend_detail(self, sample: StartupSample) -> None:
        """Record detail (engine timestamps) learned after ``sample`` was written."""
        for i, old in enumerate(self._startup):
            if old.series == sample.series and old.index == sample.index:
                self._startup[i] = sample
        line = json.dumps(
            {
                "type": "amend",
                "series": sample.series,
                "index": sample.index,
                "detail": to_data(sample.detail),
            },
            ensure_ascii=False,
        )
        self._handle.write(line + "\n")
        self._handle.flush()

    def add_disk(self, point: DiskPoint) -> None:
        self._disk.append(point)
        self._write("disk", point)

    def add_image(self, facts: ImageFacts) -> None:
        self._images.append(facts)
        self._write("image", facts)

    def add_footprint(self, point: FootprintPoint) -> None:
        self._footprint.append(point)
        self._write("footprint", point)

    def add_unavailable(self, item: Unavailable) -> None:
        self._unavailable = [u for u in self._unavailable if u.series != item.series]
        self._unavailable.append(item)
        self._write("unavailable", item)

    def done(self, series: str) -> int:
        """How many samples (warm-ups included) the file holds for ``series``."""
        return sum(1 for s in self._startup if s.series == series)

    def close(self) -> None:
        self._handle.close()

    def __enter__(self) -> RunFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_run(
    path: Path,
    *,
    provenance: Provenance,
    settings: Mapping[str, Any],
    resume: bool = True,
) -> RunFile:
    """Open ``path`` for a run: continue it if its settings match, else start anew.

    A file from different settings (e.g. ``--quick`` against a full run) is not mixed:
    it is renamed ``*.previous.jsonl`` and a new run starts.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if resume and path.exists():
        try:
            previous = load_results(path)
        except BadInput:
            previous = None
        if (
            previous is not None
            and previous.settings == dict(settings)
            and _file_format(path) == FILE_FORMAT
        ):
            _drop_partial_line(path)
            return RunFile(path, previous, path.open("a", encoding="utf-8"))
    if path.exists():
        path.replace(path.with_suffix(".previous.jsonl"))
    results = Results(provenance, dict(settings), source=str(path))
    handle = path.open("w", encoding="utf-8")
    header = {
        "type": "run",
        "format": FILE_FORMAT,
        "provenance": provenance.as_dict(),
        "settings": dict(settings),
    }
    handle.write(json.dumps(header, ensure_ascii=False) + "\n")
    handle.flush()
    return RunFile(path, results, handle)


def _file_format(path: Path) -> int | None:
    """The ``format`` of a run file's header (an older one is not resumed)."""
    with path.open(encoding="utf-8") as f:
        header = next(_records(f), {})
    found = header.get("format")
    return found if isinstance(found, int) else None


def _drop_partial_line(path: Path) -> None:
    """Cut a last line that an interrupted write left without its newline."""
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        with path.open("r+b") as f:
            f.truncate(data.rfind(b"\n") + 1)


def _records(lines: Iterable[str]) -> Iterator[dict[str, Any]]:
    for line in lines:
        line = line.strip()
        if not line:
            continue
        try:
            record = json.loads(line)
        except ValueError:
            continue  # the last line of an interrupted run may be cut short
        if isinstance(record, dict):
            yield record


def parse_results(
    lines: Iterable[str], *, mode: str = "live", source: str = ""
) -> Results:
    """Results from the lines of a run file; records it cannot read are skipped."""
    provenance: Provenance | None = None
    settings: dict[str, Any] = {}
    startup: list[StartupSample] = []
    disk: list[DiskPoint] = []
    images: list[ImageFacts] = []
    unavailable: dict[str, Unavailable] = {}
    footprint: list[FootprintPoint] = []
    for record in _records(lines):
        kind = record.get("type")
        try:
            if kind == "run":
                provenance = Provenance.from_dict(record["provenance"])
                settings = dict(record.get("settings", {}))
            elif kind == "startup":
                sample = _known(StartupSample, record)
                sample["detail"] = recorded.from_data(sample.get("detail") or {})
                startup.append(StartupSample(**sample))
                unavailable.pop(record.get("series", ""), None)
            elif kind == "amend":
                _amend(startup, record)
            elif kind == "disk":
                disk.append(DiskPoint(**_known(DiskPoint, record)))
            elif kind == "image":
                facts = _known(ImageFacts, record)
                facts["layer_sizes_bytes"] = tuple(facts.get("layer_sizes_bytes", ()))
                images.append(ImageFacts(**facts))
            elif kind == "footprint":
                footprint.append(FootprintPoint(**_known(FootprintPoint, record)))
            elif kind == "unavailable":
                item = Unavailable(**_known(Unavailable, recorded.from_data(record)))
                unavailable[item.series] = item
        except (KeyError, TypeError, ValueError):
            continue  # a record this version cannot read: skipped, not fatal
    if provenance is None:
        raise BadInput(
            t("measure.bad.not_a_run", source=source or t("measure.bad.the_data"))
        )
    return Results(
        provenance,
        settings,
        tuple(startup),
        tuple(disk),
        tuple(images),
        tuple(unavailable.values()),
        mode,
        source,
        tuple(footprint),
    )


def _amend(startup: list[StartupSample], record: dict[str, Any]) -> None:
    for i, old in enumerate(startup):
        if old.series == record.get("series") and old.index == record.get("index"):
            detail = {**old.detail, **recorded.from_data(record.get("detail") or {})}
            startup[i] = StartupSample(
                old.series,
                old.index,
                old.warmup,
                old.elapsed_s,
                old.endpoint,
                old.taken_at,
                old.phases_s,
                detail,
            )


def load_results(path: Path | str, *, mode: str = "live") -> Results:
    """Read a run file written by :func:`open_run` (``dockcourse bench --out``)."""
    path = Path(path)
    try:
        with path.open(encoding="utf-8") as f:
            return parse_results(f, mode=mode, source=str(path))
    except OSError as exc:
        raise BadInput(
            t("measure.bad.cannot_read", path=path, error=exc.strerror)
        ) from None


#: The kinds of record a run holds, as ``results_data`` names them.
RECORD_KINDS = ("startup", "disk", "image", "footprint", "unavailable")


def record_data(record: Any) -> dict[str, Any]:
    """One record as plain data (sentences as their catalogue key and fields)."""
    return {f.name: to_data(getattr(record, f.name)) for f in fields(record)}


def results_data(results: Results) -> dict[str, Any]:
    """A run as the data of a recording: ``{"settings", "startup", "disk", "image",
    "footprint", "unavailable"}`` (lists of records). Amended details are folded in."""
    return {
        "settings": to_data(results.settings),
        "startup": [record_data(s) for s in results.startup],
        "disk": [record_data(p) for p in results.disk],
        "image": [record_data(i) for i in results.images],
        "footprint": [record_data(p) for p in results.footprint],
        "unavailable": [record_data(u) for u in results.unavailable],
    }


def results_from_data(
    provenance: Provenance,
    *parts: Mapping[str, Any],
    mode: str = "live",
    source: str = "",
) -> Results:
    """One :class:`Results` from parts shaped as :func:`results_data` (a recording, or
    the values a chapter observed); parts after the first add to it."""
    records: list[dict[str, Any]] = [
        {"type": "run", "provenance": provenance.as_dict(), "settings": {}}
    ]
    for part in parts:
        if "settings" in part:
            records[0]["settings"] = dict(part["settings"])
        for kind in RECORD_KINDS:
            records += [{**item, "type": kind} for item in part.get(kind, ())]
    lines = [json.dumps(record, ensure_ascii=False) for record in records]
    return parse_results(lines, mode=mode, source=source)


def load_recorded(
    name: str = RECORDED_NAME, *, directory: Path | None = None
) -> Results:
    """The recorded run shipped with the package (``dockcourse record`` wrote it), or
    the one in ``directory``.

    Recorded mode (no engine, e.g. Binder) plots it, labelled "recorded" with its
    provenance. Used by chapters 01 and 03.
    """
    try:
        found = recorded.load(name, directory)
    except recorded.RecordingMissing:
        raise MeasurementUnavailable(
            "recorded",
            t("measure.recorded_missing.cause", name=name),
            t("measure.recorded_missing.fix"),
        ) from None
    return results_from_data(
        found.provenance, found.data, mode="recorded", source=f"recorded/{name}"
    )


def live_results(
    startup: Iterable[StartupSample] = (),
    disk: Iterable[DiskPoint] = (),
    *,
    engine: Mapping[str, Any] | None = None,
) -> Results:
    """Samples measured in a notebook, wrapped with this host's provenance for plotting.

    ``engine`` is ``EngineInfo.as_dict()`` (``session.engine.as_dict()``) when live.
    """
    provenance = host_provenance(new_run_id(), engine)
    return Results(provenance, {}, tuple(startup), tuple(disk))


# --------------------------------------------------------------------- published


_UNIT_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0}
_UNIT_BYTES = {
    "B": 1,
    "KB": 1000,
    "MB": 1000**2,
    "GB": 1000**3,
    "KiB": 1024,
    "MiB": 1024**2,
    "GiB": 1024**3,
}


@dataclass(frozen=True)
class PublishedFigure:
    """A verified row of ``published_baselines.csv``, in seconds or bytes."""

    id: str
    category: str
    what: str
    low: float  # seconds (time) or bytes (disk)
    high: float
    quantity: str  # "time" or "disk"
    statistic: str
    endpoint: str
    setup: str
    year: str
    source: str
    url: str
    verified: str

    def citation(self) -> str:
        year = f", {self.year}" if self.year and self.year != "n/a" else ""
        return f"{self.source}{year}"

    def description(self) -> str:
        """``what`` in the learner's language: ``published.<id>`` in the catalogues
        (a test requires one per verified row); the CSV's English otherwise."""
        from ..text import catalogue, current_language

        return catalogue(current_language()).get(f"published.{self.id}") or self.what


def parse_published(rows: Iterable[Mapping[str, str]]) -> list[PublishedFigure]:
    """Rows marked verified ``yes`` or ``corrected``; the others are left out."""
    figures: list[PublishedFigure] = []
    for row in rows:
        if (row.get("verified") or "").strip().lower() not in ("yes", "corrected"):
            continue
        unit = (row.get("unit") or "").strip()
        if unit in _UNIT_SECONDS:
            scale, quantity = _UNIT_SECONDS[unit], "time"
        elif unit in _UNIT_BYTES:
            scale, quantity = float(_UNIT_BYTES[unit]), "disk"
        else:
            continue
        try:
            low = float(row["value_low"]) * scale
            high = float(row.get("value_high") or row["value_low"]) * scale
        except (KeyError, ValueError):
            continue
        figures.append(
            PublishedFigure(
                id=row.get("id", ""),
                category=row.get("category", ""),
                what=row.get("what", ""),
                low=low,
                high=high,
                quantity=quantity,
                statistic=row.get("statistic", ""),
                endpoint=row.get("endpoint", ""),
                setup=row.get("setup", ""),
                year=row.get("year", ""),
                source=row.get("source", ""),
                url=row.get("url", ""),
                verified=row.get("verified", ""),
            )
        )
    return figures


def load_published() -> list[PublishedFigure]:
    """Verified published figures shipped with the package, with their citations."""
    path = resources.files("dockcourse") / "data" / "published_baselines.csv"
    if not path.is_file():
        return []
    text = path.read_text(encoding="utf-8")
    return parse_published(csv.DictReader(text.splitlines()))


def progress_enabled(requested: bool | None) -> bool:
    """Progress bars by default in notebooks and terminals, not in pipes/CI logs."""
    if requested is not None:
        return requested
    return sys.stderr.isatty() or "ipykernel" in sys.modules


class _NoBar:
    def update(self, n: int = 1) -> None:
        pass


@contextmanager
def progress_bar(total: int, desc: str, enabled: bool | None) -> Iterator[Any]:
    """A tqdm bar (notebook or terminal) with ``update(n)``, or a silent stand-in."""
    if not progress_enabled(enabled) or total <= 0:
        yield _NoBar()
        return
    from tqdm.auto import tqdm

    bar = tqdm(total=total, desc=desc, unit=t("measure.progress.unit"), leave=False)
    try:
        yield bar
    finally:
        bar.close()
