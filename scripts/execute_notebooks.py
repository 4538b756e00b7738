#!/usr/bin/env python3
"""Re-execute the course notebooks on the live engine and store their outputs.

This is the one way stored outputs are made (never by hand): nbval compares against them.
The same run records what every ``Session.run`` printed, with the engine's provenance, as
the recorded dataset that recorded mode (Binder) shows: ``dockcourse/data/recorded/``.

    .venv/bin/python scripts/execute_notebooks.py            # every notebook
    .venv/bin/python scripts/execute_notebooks.py notebooks/en/00_start_here.ipynb
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
CELL_TIMEOUT_S = 120


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument(
        "--no-record", action="store_true", help="do not update the recorded dataset"
    )
    args = parser.parse_args()
    from dockcourse import recorded, transcripts
    from dockcourse.engine import connect
    from dockcourse.images import ensure_image
    from dockcourse.resources import list_owned

    client = connect()
    ensure_image(client)
    before = {(o.kind, o.id) for o in list_owned(client)}
    notebooks = [p.resolve() for p in args.notebooks] or sorted(
        ROOT.glob("notebooks/*/[0-9][0-9]_*.ipynb")
    )
    with tempfile.TemporaryDirectory() as tmp:
        runs_file = Path(tmp) / "runs.jsonl"
        runs_file.touch()
        os.environ["DOCKCOURSE_MODE"] = "live"
        os.environ[transcripts.RECORD_ENV] = str(runs_file)
        for path in notebooks:
            start = time.perf_counter()
            nb = nbformat.read(path, as_version=4)
            NotebookClient(
                nb,
                timeout=CELL_TIMEOUT_S,
                kernel_name="python3",
                record_timing=False,
                resources={"metadata": {"path": str(path.parent)}},
            ).execute()
            nbformat.write(nb, path)
            print(f"{path.relative_to(ROOT)}: {time.perf_counter() - start:.1f} s")
        if not args.no_record:
            provenance = recorded.provenance_now(client)
            existing: dict[str, object] = {}
            with contextlib.suppress(recorded.RecordingMissing):
                _, existing = recorded.load("runs")
            # Each chapter keeps the provenance of the run that recorded it.
            fresh = {
                chapter: {"provenance": provenance.as_dict(), **entries}
                for chapter, entries in transcripts.collect(str(runs_file)).items()
            }
            merged = {**existing, **fresh}
            print(
                "recorded:", recorded.save("runs", provenance, merged).relative_to(ROOT)
            )
            print(
                "recorded:",
                recorded.record_engine(client, provenance).relative_to(ROOT),
            )
    left = [o for o in list_owned(client) if (o.kind, o.id) not in before]
    for item in left:
        print(
            f"LEFT BEHIND: {item.kind} {item.name} (chapter {item.chapter})",
            file=sys.stderr,
        )
    return 1 if left else 0


if __name__ == "__main__":
    sys.exit(main())
