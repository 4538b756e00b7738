"""Measurements as plain data for ``Session.observe``, and back to plottable results.

A chapter measures in a cell such as
``course.observe("vm", lambda: observed(measure_vm, 3))``. Live, :func:`observed` runs
the measurement and returns its records as JSON-able data, which ``observe`` records; a
series that cannot run here comes back as *unavailable*, with the cause and the fix,
and the chapter goes on. In recorded mode ``observe`` returns what the recording run
measured instead. :func:`results_from` turns those values back into :class:`Results`,
labelled live or recorded, with the provenance of the run that measured them, which is
what every plot prints. The values are data only (``results.results_data``'s shape): the
same recording reads the same numbers in every language. Used by chapter 01.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..recorded import Provenance, provenance_now, render
from ..text import t
from .results import (
    SERIES,
    DiskPoint,
    FootprintPoint,
    ImageFacts,
    MeasurementUnavailable,
    Results,
    StartupSample,
    Unavailable,
    now_iso,
    record_data,
    results_from_data,
    series_stats,
)

if TYPE_CHECKING:
    from ..engine import EngineInfo

Observed = dict[str, list[dict[str, Any]]]
Record = StartupSample | DiskPoint | ImageFacts | FootprintPoint


def observed(
    measure: Callable[..., Sequence[Record]], *args: Any, **kwargs: Any
) -> Observed:
    """``measure(*args, **kwargs)`` as JSON-able data: {"startup": [...], "disk": [...]}.

    A ``MeasurementUnavailable`` becomes {"unavailable": [{series, cause, fix}]}: the
    cell reports it and the chapter carries on without that series.
    """
    try:
        records = measure(*args, **kwargs)
    except MeasurementUnavailable as exc:
        item = Unavailable(exc.series, exc.cause, exc.fix, now_iso())
        return {"unavailable": [record_data(item)]}
    found: Observed = {"startup": [], "disk": [], "image": [], "footprint": []}
    for record in records:
        if isinstance(record, StartupSample):
            kind = "startup"
        elif isinstance(record, DiskPoint):
            kind = "disk"
        elif isinstance(record, FootprintPoint):
            kind = "footprint"
        else:
            kind = "image"
        found[kind].append(record_data(record))
    return found


def run_provenance(engine: EngineInfo | None) -> dict[str, Any]:
    """This host's and engine's provenance, as data (observe it once per chapter)."""
    return provenance_now(engine).as_dict()


def results_from(
    provenance: Mapping[str, Any], *parts: Mapping[str, Any], mode: str = "live"
) -> Results:
    """One :class:`Results` from observed parts; ``mode`` is the session's mode."""
    return results_from_data(
        Provenance.from_dict(provenance), *parts, mode=mode, source="Session.observe"
    )


def summary(*parts: Mapping[str, Any]) -> str:
    """One line per series: how many runs, the median and the middle half; or why the
    series could not run here and how to enable it."""
    empty = Provenance("-", "")
    return summarize(results_from(empty.as_dict(), *parts))


def summarize(results: Results) -> str:
    """:func:`summary` of a whole run (e.g. the recorded one, ``load_recorded()``)."""
    from ..units import human_bytes, human_seconds
    from .describe import disk_label, short_label

    lines: list[str] = []
    for key in SERIES:
        stats = series_stats(results.samples(key))
        if stats is None:
            continue
        accel = results.vm_accel().upper() if key == "vm" else ""
        lines.append(
            t(
                "measure.summary.series",
                label=short_label(key),
                count=stats.count,
                median=human_seconds(stats.median_s),
                low=human_seconds(stats.p25_s),
                high=human_seconds(stats.p75_s),
            )
            + (t("measure.summary.accel", accel=accel) if accel else "")
        )
    if any(
        s.detail.get("engine_kernel") == "other"
        for key in SERIES
        for s in results.samples(key, include_warmup=True)
    ):
        lines.append(t("measure.summary.machines"))
    largest: dict[tuple[str, int], DiskPoint] = {}
    for point in results.disk:
        if point.n >= largest.get(point.series, point).n:
            largest[point.series] = point
    for point in largest.values():
        lines.append(
            t(
                "measure.summary.disk",
                what=disk_label(point.kind, point.wrote_bytes),
                n=point.n,
                total=human_bytes(point.total_bytes),
                shared=human_bytes(point.shared_bytes),
                each=human_bytes(point.per_instance_bytes / max(point.n, 1)),
            )
        )
    for item in results.unavailable:
        lines.append(
            t(
                "measure.summary.unavailable",
                series=item.series,
                cause=render(item.cause),
            )
        )
        if item.fix:
            lines.append(t("measure.summary.fix", fix=render(item.fix)))
    return "\n".join(lines)


def vm_notes(*parts: Mapping[str, Any]) -> str:
    """Which accelerator the VM used, and why (from the samples' own detail)."""
    notes = {
        render(item.get("detail", {}).get("accel_note", ""))
        for part in parts
        for item in part.get("startup", [])
        if item.get("series") == "vm"
    }
    return "\n".join(sorted(note for note in notes if note))
