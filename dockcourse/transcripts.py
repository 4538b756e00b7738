"""What a chapter's cells did on a real engine, so recorded mode can show it honestly.

While the notebooks are executed for the record (``scripts/execute_notebooks.py`` sets
``DOCKCOURSE_RECORD_RUNS`` to a file), every ``Session.run`` appends its command line and
result there (:func:`remember`), and every ``Session.observe`` (every lesson step) its key
and value (:func:`remember_value`). The script then writes them, one recording per
chapter, with :func:`save` (``recorded.save``: recording ``chapter-NN``). In recorded mode
``Session.run`` and ``Session.observe`` look the same command line or key up instead.

A value is data, never a sentence (``recorded.to_data`` keeps a sentence of the catalogue
as its key and fields), so a chapter is recorded once, for every language. Used by every
chapter.
"""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

from . import recorded
from .errors import CourseError
from .resources import RunResult
from .text import t

RECORD_ENV = "DOCKCOURSE_RECORD_RUNS"
#: The exit code ``recall`` gives a command that was never recorded.
NOT_RECORDED = -1


def _append(entry: dict[str, Any]) -> None:
    target = os.environ.get(RECORD_ENV)
    if not target:
        return
    with open(target, "a", encoding="utf-8") as f:
        f.write(json.dumps(recorded.to_data(entry), ensure_ascii=False) + "\n")


def remember(chapter: str, line: str, result: RunResult) -> None:
    """Append one run to the recording file, when a recording is under way."""
    _append(
        {
            "chapter": chapter,
            "command": line,
            "exit_code": result.exit_code,
            "output": result.output,
            "elapsed_s": result.elapsed_s,
            "oom_killed": result.oom_killed,
        }
    )


def remember_value(chapter: str, key: str, value: Any) -> None:
    """Append one observed value (JSON-able data) to the recording file, when recording."""
    _append({"chapter": chapter, "key": key, "value": value})


def collect(path: str | Path) -> dict[str, dict[str, dict[str, Any]]]:
    """The recording file as {chapter: {"runs": {command line: result}, "values": {key:
    value}}}; when a command or key was recorded twice, the last one wins."""
    found: dict[str, dict[str, dict[str, Any]]] = {}
    with open(path, encoding="utf-8") as f:
        for raw in f:
            if not raw.strip():
                continue
            entry = json.loads(raw)
            chapter = found.setdefault(entry.pop("chapter"), {"runs": {}, "values": {}})
            if "key" in entry:
                chapter["values"][entry["key"]] = entry["value"]
            else:
                chapter["runs"][entry.pop("command")] = entry
    return found


def save(
    collected: dict[str, dict[str, dict[str, Any]]],
    provenance: recorded.Provenance,
    directory: Path | None = None,
) -> list[Path]:
    """Each chapter of :func:`collect` as its recording ``chapter-NN`` (replacing that
    chapter's previous recording, and only that one)."""
    written = [
        recorded.save(recorded.chapter_name(chapter), provenance, entries, directory)
        for chapter, entries in sorted(collected.items())
    ]
    _chapter.cache_clear()
    return written


@cache
def _chapter(chapter: str) -> tuple[recorded.RecordedFile, ...]:
    """The chapter's recordings, the chosen set's first (``recorded.load_all``)."""
    try:
        return tuple(recorded.load_all(recorded.chapter_name(chapter)))
    except recorded.RecordingMissing:
        return ()


def _entry(chapter: str, part: str, key: str) -> tuple[Any, recorded.Provenance] | None:
    """``key`` of ``part`` ("runs" or "values") from the first recording that holds it,
    with that recording's provenance: a value one engine could not show (and so did not
    record) comes from the recording of an engine that did, labelled as that one."""
    for found in _chapter(chapter):
        entries = found.data.get(part, {}) if isinstance(found.data, dict) else {}
        if key in entries:
            return entries[key], found.provenance
    return None


def chapter_provenance(chapter: str) -> recorded.Provenance | None:
    """Where this chapter was recorded (each chapter keeps its own)."""
    found = _chapter(chapter)
    return found[0].provenance if found else None


def provenance_of(
    chapter: str, *, key: str = "", line: str = ""
) -> recorded.Provenance | None:
    """Where the recorded value ``key`` (or run ``line``) shown comes from."""
    entry = _entry(chapter, "values", key) if key else _entry(chapter, "runs", line)
    return entry[1] if entry else chapter_provenance(chapter)


class NotRecorded(CourseError, LookupError):
    """Recorded mode asked for a value no recording holds."""


def recall_value(chapter: str, key: str, *, live: bool = False) -> Any:
    """The recorded value of ``key``. ``live``: asked because this engine cannot show it
    (a rootless engine, files the engine does not see), which the message says instead
    of speaking of recorded mode."""
    entry = _entry(chapter, "values", key)
    if entry is None:
        which = (
            "session.value_not_recorded_live" if live else "session.value_not_recorded"
        )
        raise NotRecorded(t(which, key=key, chapter=chapter))
    return recorded.rendered(entry[0])


def recall(chapter: str, line: str) -> RunResult:
    """The recorded result of ``line``; a clear placeholder if it was never recorded."""
    found = _entry(chapter, "runs", line)
    if found is None:
        return RunResult(NOT_RECORDED, t("session.not_recorded") + "\n", 0.0)
    entry = found[0]
    return RunResult(
        int(entry["exit_code"]),
        str(entry["output"]),
        float(entry["elapsed_s"]),
        bool(entry.get("oom_killed")),
    )
