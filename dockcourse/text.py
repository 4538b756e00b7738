"""Every sentence the package shows a learner, looked up by key in one catalogue per language.

The catalogues live in ``dockcourse/data/text/<lang>.json`` and ``<lang>/*.json`` (one
file per chapter, so chapters can be written side by side). The language comes from
``setup(lang=...)``, else ``DOCKCOURSE_LANG``, else the locale (``LANG`` starting with
``ja``), else English. A key missing from a catalogue falls back to English, and a test
fails when that happens, so the fallback is never what a learner relies on.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from functools import cache
from importlib import resources

LANGUAGES = ("en", "ja")
_DEFAULT = "en"
_chosen: str | None = None


def language_from_env(environ: dict[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    explicit = env.get("DOCKCOURSE_LANG", "").strip().lower()
    if explicit in LANGUAGES:
        return explicit
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        if env.get(var, "").lower().startswith("ja"):
            return "ja"
    return _DEFAULT


def set_language(lang: str | None) -> str:
    """Choose the language for everything the package prints; None means from the env."""
    global _chosen
    if lang is not None and lang not in LANGUAGES:
        raise ValueError(
            f"unknown language {lang!r}: choose one of {', '.join(LANGUAGES)}"
        )
    _chosen = lang
    return current_language()


def chosen_language() -> str | None:
    """What ``set_language`` chose; None when the environment decides."""
    return _chosen


def current_language() -> str:
    return _chosen if _chosen is not None else language_from_env()


@cache
def catalogue(lang: str) -> dict[str, str]:
    """``data/text/<lang>.json`` merged with ``data/text/<lang>/*.json`` (one per chapter).

    A key defined in two files is an error: it would make one of them silently lose.
    """
    base = resources.files("dockcourse") / "data" / "text"
    files = [base / f"{lang}.json"]
    folder = base / lang
    if folder.is_dir():
        files += sorted(
            (p for p in folder.iterdir() if p.name.endswith(".json")),
            key=lambda p: p.name,
        )
    merged: dict[str, str] = {}
    for path in files:
        if not path.is_file():
            continue
        data: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
        clash = merged.keys() & data.keys()
        if clash:
            raise ValueError(f"{path.name}: keys defined twice: {sorted(clash)[:5]}")
        merged.update(data)
    return merged


class Text(str):
    """A sentence ``t`` rendered, which remembers its ``key`` and ``fields``: a recording
    keeps those (``recorded.to_data``), never the sentence, and renders them again in the
    reader's language when it is shown."""

    key: str
    fields: dict[str, object]


def t(key: str, /, lang: str | None = None, **fields: object) -> str:
    """The sentence for ``key`` in the current language, with ``fields`` filled in."""
    lang = lang or current_language()
    template = catalogue(lang).get(key) or catalogue(_DEFAULT).get(key)
    if template is None:
        raise KeyError(f"no text for {key!r} in the {_DEFAULT} catalogue")
    said = Text(template.format(**fields) if fields else template)
    said.key, said.fields = key, dict(fields)
    return said


def aligned_lines(rows: Sequence[Sequence[str]], gap: str = "  ") -> list[str]:
    """Rows of cells as aligned text lines, counting wide (CJK) characters as two
    columns, as terminals and monospace notebook output draw them."""
    import unicodedata

    def width(cell: str) -> int:
        return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in cell)

    if not rows:
        return []
    widths = [max(width(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        gap.join(
            cell + " " * (w - width(cell)) for cell, w in zip(row, widths, strict=True)
        ).rstrip()
        for row in rows
    ]
