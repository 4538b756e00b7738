#!/usr/bin/env python3
"""Keep the Japanese edition in step with the English one.

The English notebooks are the source of the code. For each ``notebooks/en/NN_x.ipynb`` this
writes ``notebooks/ja/NN_x.ipynb`` with:

* the English code cells, verbatim, except that ``setup("NN")`` becomes
  ``setup("NN", lang="ja")`` (outputs kept when the code did not change);
* the Japanese translation of each Markdown cell, paired with the English cell by cell id;
  an English cell with no translation yet is copied with ``UNTRANSLATED`` at its top, which
  ``tests/unit/test_editions.py`` refuses;
* in each translated cell's metadata, a hash of the English text it translates. When the
  English cell changes, the test names the translation as out of date; after updating
  it, ``--accept ID`` records the new English text as translated.

Then re-execute the Japanese notebooks (``./course notebooks notebooks/ja/...``).

    .venv/bin/python scripts/sync_editions.py          # all chapters
    .venv/bin/python scripts/sync_editions.py --check  # exit 1 if anything would change
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
UNTRANSLATED = "<!-- UNTRANSLATED: translate this cell, then delete this line -->"
_SETUP = re.compile(r"""setup\((["'])(\d\d)\1\)""")


def ja_code(source: str) -> str:
    """The Japanese edition's version of an English code cell."""
    return _SETUP.sub(
        lambda m: f'setup({m.group(1)}{m.group(2)}{m.group(1)}, lang="ja")', source
    )


def english_hash(source: str) -> str:
    return hashlib.sha256(source.encode()).hexdigest()[:16]


def translated_from(cell: nbformat.NotebookNode) -> str:
    """The hash of the English text a Japanese Markdown cell was translated from."""
    return str(cell.get("metadata", {}).get("dockcourse", {}).get("en_sha256", ""))


def sync(
    en_path: Path, ja_path: Path, accept: frozenset[str] = frozenset()
) -> nbformat.NotebookNode:
    en = nbformat.read(en_path, as_version=4)
    old = nbformat.read(ja_path, as_version=4) if ja_path.exists() else None
    old_cells = {c.get("id"): c for c in (old.cells if old else [])}
    ja = copy.deepcopy(en)
    if old is not None:
        ja.metadata = copy.deepcopy(old.metadata)
        ja.metadata["kernelspec"] = en.metadata.get("kernelspec", {})
    cells = []
    for cell in en.cells:
        previous = old_cells.get(cell.get("id"))
        new = copy.deepcopy(cell)
        if cell.cell_type == "code":
            new.source = ja_code(cell.source)
            if previous is not None and previous.source == new.source:
                new.outputs = previous.outputs
                new.execution_count = previous.execution_count
            else:
                new.outputs, new.execution_count = [], None
        elif previous is not None and previous.cell_type == cell.cell_type:
            new.source = previous.source
            new.metadata = copy.deepcopy(previous.get("metadata", {}))
            if not translated_from(previous) or cell.get("id") in accept:
                new.metadata.setdefault("dockcourse", {})["en_sha256"] = english_hash(
                    cell.source
                )
        else:
            new.source = f"{UNTRANSLATED}\n{cell.source}"
        cells.append(new)
    ja.cells = cells
    return ja


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="change nothing; exit 1 on drift"
    )
    parser.add_argument(
        "--accept",
        nargs="*",
        default=[],
        metavar="ID",
        help="cell ids whose Japanese text was updated to match the English",
    )
    parser.add_argument(
        "--only",
        nargs="*",
        default=[],
        metavar="NN",
        help="only these chapters (e.g. 00 02)",
    )
    args = parser.parse_args()
    drift = 0
    for en_path in sorted((ROOT / "notebooks" / "en").glob("[0-9][0-9]_*.ipynb")):
        if args.only and en_path.name[:2] not in args.only:
            continue
        ja_path = ROOT / "notebooks" / "ja" / en_path.name
        ja = sync(en_path, ja_path, frozenset(args.accept))
        text = nbformat.writes(ja)
        text += "" if text.endswith("\n") else "\n"  # as nbformat.write does
        if ja_path.exists() and ja_path.read_text(encoding="utf-8") == text:
            continue
        drift += 1
        print(
            f"{'would update' if args.check else 'updated'} {ja_path.relative_to(ROOT)}"
        )
        if not args.check:
            ja_path.parent.mkdir(parents=True, exist_ok=True)
            ja_path.write_text(text, encoding="utf-8")
    return 1 if args.check and drift else 0


if __name__ == "__main__":
    sys.exit(main())
