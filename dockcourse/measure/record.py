"""``dockcourse record``: make the recorded dataset that recorded mode (Binder) plots.

Runs the full benchmark (or ``--quick``) on a live engine, then installs the run file as
``dockcourse/data/recorded/measurements.jsonl`` (or ``--into DIR``) next to the engine
description the banner shows (``engine.json``). The file carries its provenance (engine
and API version, storage driver, kernel, CPU model, date, run id; the VM accelerator is
in the VM samples), and every plot drawn from it says "recorded" with that provenance.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from .bench import RESULTS_FILE, format_table, make_plan, run_bench
from .results import RECORDED_NAME, BadInput, load_results


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quick", action="store_true", help="the quick plan (~1 min)")
    parser.add_argument(
        "--into",
        type=Path,
        default=None,
        help="where to install the dataset (default: the package's data/recorded/)",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")


def run(args: argparse.Namespace) -> int:
    from .. import recorded
    from ..engine import connect

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
                "dockcourse record: interrupted; nothing was installed", file=sys.stderr
            )
            return 130
        missing = [u.series for u in results.unavailable]
        if any(part.startswith("container") for part in missing):
            print(
                f"dockcourse record: the container series did not run "
                f"({', '.join(missing)}); not installing a dataset without them",
                file=sys.stderr,
            )
            return 1
        target_dir.mkdir(parents=True, exist_ok=True)
        target = target_dir / RECORDED_NAME
        shutil.copyfile(Path(tmp) / RESULTS_FILE, target)
    provenance = recorded.provenance_now(client, run_id=results.run_id)
    recorded.record_engine(client, provenance, target_dir)
    check = load_results(target, mode="recorded")
    print(format_table(check))
    print(f"\ninstalled {target} ({check.label()})")
    return 0
