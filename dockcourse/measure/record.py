"""``dockcourse record``: make the recordings recorded mode (Binder) shows.

Runs the full benchmark (or ``--quick``) on a live engine, builds the volume workbench's
scene, and writes, with ``recorded.save`` (the one writer) and one :class:`Provenance`,
the recordings ``measurements``, ``volumes`` and ``engine`` into
``dockcourse/data/recorded/`` (or ``--into DIR``). Every plot or listing drawn from them
says "recorded", with that provenance (engine and API version, storage driver, kernel,
CPU model, date, run id; the VM accelerator is in the VM samples).

What the chapters' cells show (``chapter-NN``) is recorded by ``./course notebooks``
(``scripts/execute_notebooks.py``), with the same writer, because it comes from
executing the notebooks themselves.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from .. import recorded
from ..text import t
from .bench import format_table, make_plan, run_bench
from .results import RECORDED_NAME, BadInput, load_recorded, results_data

#: Who wrote a recording, as its provenance says.
WRITER = "dockcourse record"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quick", action="store_true", help="the quick plan (~1 min)")
    parser.add_argument(
        "--into",
        type=Path,
        default=None,
        help="where to write the recordings (default: the package's data/recorded/)",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")


def run(args: argparse.Namespace) -> int:
    from .. import volumes
    from ..engine import connect, engine_info
    from ..images import ensure_image

    target_dir: Path = args.into or recorded.recorded_dir()
    client = connect()  # EngineUnavailable → one clear message from cli.main
    with tempfile.TemporaryDirectory(prefix="dockcourse-record-") as tmp:
        try:
            results = run_bench(
                Path(tmp),
                make_plan(quick=args.quick),
                fresh=True,
                progress=False if args.no_progress else None,
            )
        except BadInput as exc:
            print(f"dockcourse record: {exc}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            print(
                "dockcourse record: interrupted; nothing was written", file=sys.stderr
            )
            return 130
    missing = [u.series for u in results.unavailable]
    if any(part.startswith("container") for part in missing):
        print(
            f"dockcourse record: the container series did not run "
            f"({', '.join(missing)}); not writing a recording without them",
            file=sys.stderr,
        )
        return 1
    engine = engine_info(client)
    provenance = recorded.provenance_now(
        engine, run_id=results.run_id, recorded_by=WRITER
    )
    scene = volumes.record(client, ensure_image(client))
    written = [
        recorded.save(RECORDED_NAME, provenance, results_data(results), target_dir),
        recorded.save(recorded.VOLUMES, provenance, scene, target_dir),
        recorded.record_engine(engine, provenance, target_dir),
    ]
    check = load_recorded(directory=target_dir)
    print(format_table(check))
    print()
    for path in written:
        print(t("cli.record.installed", path=path))
    print(f"({check.label()})")
    return 0
