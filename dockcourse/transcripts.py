"""What ``Session.run`` printed on a real engine, so recorded mode can show it honestly.

While the notebooks are executed for the record (``scripts/execute_notebooks.py --record``
sets ``DOCKCOURSE_RECORD_RUNS`` to a file), every ``Session.run`` appends its command line
and result there; the script then stores them, with provenance, as the recorded dataset
``runs``. In recorded mode ``Session.run`` looks the same command line up instead of
running it. Used by every chapter.
"""

from __future__ import annotations

import json
import os
from functools import cache
from typing import Any

from . import recorded
from .resources import RunResult
from .text import current_language, t

RECORD_ENV = "DOCKCOURSE_RECORD_RUNS"
#: The exit code ``recall`` gives a command that was never recorded.
NOT_RECORDED = -1


def recording_key(chapter: str) -> str:
    """Observed values are kept per language: a value may hold catalogue text (a verdict,
    a table heading), and the English edition must not replay Japanese. Command outputs
    (``remember``/``recall``) do not depend on the language and are kept per chapter."""
    lang = current_language()
    return chapter if lang == "en" else f"{chapter}@{lang}"


def _entry(chapter: str) -> dict[str, Any]:
    """This language's recorded values of the chapter, else the English ones."""
    runs = _recorded_runs()
    found: dict[str, Any] = runs.get(recording_key(chapter)) or runs.get(chapter, {})
    return found


def remember(chapter: str, line: str, result: RunResult) -> None:
    """Append one run to the recording file, when a recording is under way."""
    target = os.environ.get(RECORD_ENV)
    if not target:
        return
    entry = {
        "chapter": chapter,
        "command": line,
        "exit_code": result.exit_code,
        "output": result.output,
        "elapsed_s": result.elapsed_s,
        "oom_killed": result.oom_killed,
    }
    with open(target, "a", encoding="utf-8") as f:
        f.write(json.dumps(entry, ensure_ascii=False) + "\n")


def remember_value(chapter: str, key: str, value: Any) -> None:
    """Append one observed value (JSON-able) to the recording file, when recording."""
    target = os.environ.get(RECORD_ENV)
    if not target:
        return
    with open(target, "a", encoding="utf-8") as f:
        f.write(
            json.dumps(
                {"chapter": recording_key(chapter), "key": key, "value": value},
                ensure_ascii=False,
            )
            + "\n"
        )


def collect(path: str) -> dict[str, dict[str, dict[str, Any]]]:
    """The recording file as {chapter: {"runs": {command line: result}, "values": {key:
    value}}}; when a command or key was recorded twice, the last one wins."""
    found: dict[str, dict[str, dict[str, Any]]] = {}
    with open(path, encoding="utf-8") as f:
        for raw in f:
            entry = json.loads(raw)
            chapter = found.setdefault(entry.pop("chapter"), {"runs": {}, "values": {}})
            if "key" in entry:
                chapter["values"][entry["key"]] = entry["value"]
            else:
                chapter["runs"][entry.pop("command")] = entry
    return found


@cache
def _recorded_runs() -> dict[str, dict[str, Any]]:
    """{chapter: {"provenance": {...}, "runs": {command line: result}}}."""
    try:
        _, data = recorded.load("runs")
    except recorded.RecordingMissing:
        return {}
    runs: dict[str, dict[str, Any]] = data
    return runs


def chapter_provenance(chapter: str) -> recorded.Provenance | None:
    """Where this chapter's commands were recorded (each chapter keeps its own)."""
    found = _entry(chapter).get("provenance")
    return recorded.Provenance.from_dict(found) if found else None


class NotRecorded(LookupError):
    """Recorded mode asked for a value no recording holds."""


def recall_value(chapter: str, key: str) -> Any:
    values = _entry(chapter).get("values", {})
    if key not in values:
        raise NotRecorded(t("session.value_not_recorded", key=key, chapter=chapter))
    return values[key]


def recall(chapter: str, line: str) -> RunResult:
    """The recorded result of ``line``; a clear placeholder if it was never recorded."""
    entry = _recorded_runs().get(chapter, {}).get("runs", {}).get(line)
    if entry is None:
        return RunResult(NOT_RECORDED, t("session.not_recorded") + "\n", 0.0)
    return RunResult(
        int(entry["exit_code"]),
        str(entry["output"]),
        float(entry["elapsed_s"]),
        bool(entry.get("oom_killed")),
    )
