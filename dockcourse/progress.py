"""The learner's progress: which exercise checks passed, kept in a small file of their own.

Each time a check runs on a live engine (``checks.run_check``, the call behind every check
cell's verdict), one line of this record changes: the check's name, whether it has passed,
and when. Nothing else of the learner's goes in it, so a classroom's teacher can read it
(``./course classroom progress``) without reading anything else of theirs.

The file is ``$XDG_DATA_HOME/dockcourse/progress.json`` (``~/.local/share/dockcourse/
progress.json``); ``DOCKCOURSE_PROGRESS`` names another file, or ``off`` (the test suite)
for none. Its format, version 1::

    {"format": 1,
     "checks": {"01.shared": {"passed": true, "at": "2026-12-06T08:10:02Z"},
                "01.writer": {"passed": false, "at": "2026-12-06T08:12:40Z"}}}

A check that has passed once stays passed, with the time it first passed (a learner who
cleans up and runs it again has still done the exercise); one that has not passed yet
keeps the time of its latest try. Writing never raises: a read-only home must not break
a check cell. Layer 0: imports only ``text``.
"""

from __future__ import annotations

import ast
import contextlib
import json
import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cache
from importlib import resources
from pathlib import Path

from .text import aligned_lines, t

FORMAT = 1
ENV = "DOCKCOURSE_PROGRESS"
#: Where the record lives under the learner's data folder (what the teacher's view reads).
RELATIVE_PATH = Path(".local") / "share" / "dockcourse" / "progress.json"
#: A record larger than this is not one the checks wrote: it is not read.
MAX_BYTES = 64 * 1024
KEY_RE = re.compile(r"^\d\d\.[a-z][a-z0-9_]{0,40}$")
TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


@dataclass(frozen=True)
class Entry:
    """One check in the record: passed (ever), and when (first pass, or latest try)."""

    passed: bool
    at: str  # UTC, ``2026-12-06T08:10:02Z``


@cache
def exercises() -> dict[str, tuple[str, ...]]:
    """Every chapter's exercise checks, in the order their module defines them: the
    ``check_*`` functions of ``checks/chNN.py`` without ``check_`` (read from the
    source, not imported: this module is below the checks and imports none of them)."""
    folder = resources.files("dockcourse") / "checks"
    found = {}
    for module in sorted(folder.iterdir(), key=lambda p: p.name):
        match = re.fullmatch(r"ch(\d\d)\.py", module.name)
        if not match:
            continue
        tree = ast.parse(module.read_text(encoding="utf-8"))
        found[match.group(1)] = tuple(
            node.name.removeprefix("check_")
            for node in tree.body
            if isinstance(node, ast.FunctionDef) and node.name.startswith("check_")
        )
    return found


def record_path(environ: Mapping[str, str] | None = None) -> Path | None:
    """The learner's record file; None when ``DOCKCOURSE_PROGRESS=off``."""
    env = os.environ if environ is None else environ
    named = env.get(ENV, "").strip()
    if named.lower() == "off":
        return None
    if named:
        return Path(named).expanduser()
    data = env.get("XDG_DATA_HOME", "").strip()
    if data and Path(data).is_absolute():
        return Path(data) / "dockcourse" / "progress.json"
    return Path.home() / RELATIVE_PATH


def key(chapter: str, check: str) -> str:
    """``01.shared``: the name in the record of function ``check_shared`` of chapter 01."""
    return f"{chapter}.{check.removeprefix('check_')}"


def now_utc() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse(text: str | bytes) -> dict[str, Entry]:
    """The entries of a record; whatever is not one (a damaged or foreign file, an
    unknown format) is left out, never raised."""
    if len(text) > MAX_BYTES:
        return {}
    try:
        data = json.loads(text)
    except (ValueError, UnicodeDecodeError):
        return {}
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        return {}
    checks = data.get("checks")
    if not isinstance(checks, dict):
        return {}
    entries = {}
    for name, value in checks.items():
        if not (isinstance(name, str) and KEY_RE.match(name)):
            continue
        if not isinstance(value, dict):
            continue
        passed, at = value.get("passed"), value.get("at")
        if isinstance(passed, bool) and isinstance(at, str) and TIME_RE.match(at):
            entries[name] = Entry(passed, at)
    return entries


def dumps(entries: Mapping[str, Entry]) -> str:
    checks = {
        name: {"passed": e.passed, "at": e.at} for name, e in sorted(entries.items())
    }
    return json.dumps({"format": FORMAT, "checks": checks}, indent=1) + "\n"


def read(path: Path | None = None) -> dict[str, Entry]:
    """The record at ``path`` (default: this user's); empty when there is none."""
    path = path or record_path()
    if path is None:
        return {}
    try:
        with path.open("rb") as file:
            return parse(file.read(MAX_BYTES + 1))
    except OSError:
        return {}


def updated(
    entries: Mapping[str, Entry], name: str, passed: bool, at: str
) -> dict[str, Entry]:
    """``entries`` after check ``name`` said ``passed`` at ``at``: a pass is kept with
    its first time; otherwise the latest try's time."""
    merged = dict(entries)
    before = merged.get(name)
    if before is None or not before.passed:
        merged[name] = Entry(passed, at)
    return merged


def record(chapter: str, check: str, passed: bool, *, path: Path | None = None) -> None:
    """Note in the learner's record what check function ``check`` (``check_shared``) of
    ``chapter`` said now. Any other function (a test calling ``run_check``) is no
    exercise: nothing is noted."""
    path = path or record_path()
    if path is None or not check.startswith("check_"):
        return
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        entries = updated(read(path), key(chapter, check), passed, now_utc())
        # Written whole, then renamed: a kernel killed mid-write leaves the old record.
        fd, tmp = tempfile.mkstemp(prefix=".progress-", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as file:
                file.write(dumps(entries))
            os.replace(tmp, path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)


def _when(at: str) -> str:
    return at.replace("T", " ")[:16] + " UTC"


def table(records: Mapping[str, Mapping[str, Entry] | None]) -> str:
    """The teacher's view: one row per learner (``None``: the record could not be read),
    one column per chapter with a mark per exercise check, in :func:`exercises` order."""
    known_checks = exercises()
    chapters = sorted(
        {*known_checks, *(k[:2] for r in records.values() if r for k in r)}
    )

    def names(chapter: str) -> list[str]:
        known = list(known_checks.get(chapter, ()))
        found = {k[3:] for r in records.values() if r for k in r if k[:2] == chapter}
        return known + sorted(found - set(known))

    marks = {True: "✔", False: "✘"}
    header = [
        t("progress.learner"),
        *(t("progress.chapter", chapter=c) for c in chapters),
        t("progress.passed"),
        t("progress.latest"),
    ]
    rows = [header]
    total = sum(len(names(c)) for c in chapters)
    for learner, entries in records.items():
        if entries is None:
            unknown = ["?"] * len(chapters)
            rows.append([learner, *unknown, "?", t("progress.unreadable")])
            continue
        cells = [
            " ".join(
                marks[entries[f"{c}.{n}"].passed] if f"{c}.{n}" in entries else "·"
                for n in names(c)
            )
            for c in chapters
        ]
        done = sum(e.passed for e in entries.values())
        latest = max((e.at for e in entries.values()), default="")
        rows.append(
            [
                learner,
                *cells,
                f"{done}/{total}",
                _when(latest) if latest else t("progress.never"),
            ]
        )
    legend = t(
        "progress.legend",
        checks="; ".join(f"{c}: {', '.join(names(c))}" for c in chapters),
    )
    return "\n".join([t("progress.title"), *aligned_lines(rows), "", legend])
