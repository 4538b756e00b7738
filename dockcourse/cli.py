"""``dockcourse doctor | clean | image | bench | record``.

Each subcommand lives in a module exposing ``configure(parser)`` and ``run(args) -> int``;
this file only wires them. Predictable failures print one clear message, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from importlib import import_module
from pathlib import Path

from ._version import __version__
from .text import t

#: subcommand -> module; its one-line help is ``cli.help.<subcommand>`` in the catalogue
SUBCOMMANDS = {
    "doctor": "dockcourse.cli",
    "clean": "dockcourse.cli",
    "image": "dockcourse.cli",
    "bench": "dockcourse.cli",
    "record": "dockcourse.cli",
}


def configure_doctor(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help=t("cli.help.json"))


def run_doctor(args: argparse.Namespace) -> int:
    from .doctor import render_json, render_text, run_checks

    report = run_checks()
    print(render_json(report) if args.json else render_text(report))
    return report.exit_code


def configure_clean(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dry-run", action="store_true", help=t("cli.help.dry_run"))
    parser.add_argument("--all", action="store_true", help=t("cli.help.all"))
    parser.add_argument("--stale", action="store_true", help=t("cli.help.stale"))
    parser.add_argument("--live-too", action="store_true", help=t("cli.help.live_too"))


def run_clean(args: argparse.Namespace) -> int:
    from . import scratch
    from .engine import connect
    from .resources import clean

    results = clean(
        connect(),
        dry_run=args.dry_run,
        include_course_image=args.all,
        stale_only=args.stale,
        keep_live=not args.live_too,
    )
    # the sessions' scratch folders (bind-mount files, backups) of this user
    results += scratch.clean(
        dry_run=args.dry_run, stale_only=args.stale or not args.live_too
    )
    if not results:
        print(t("cli.clean.nothing"))
    failed = 0
    in_use = [r for r in results if r.error == "in use"]
    results = [r for r in results if r.error != "in use"]
    for r in in_use:
        print(
            t(
                "cli.clean.in_use",
                kind=r.item.kind,
                name=r.item.name,
                chapter=r.item.chapter or "?",
            )
        )
    if in_use:
        print(t("cli.clean.in_use_hint", count=len(in_use)))
    for r in results:
        verb = "would_remove" if args.dry_run else ("removed" if r.removed else "kept")
        row = t(
            "cli.clean.row",
            verb=t(f"cli.clean.{verb}"),
            kind=r.item.kind,
            name=r.item.name,
            chapter=r.item.chapter or "?",
        )
        error = t("cli.clean.error", error=r.error) if r.error else ""
        print(row + ("" if args.dry_run else error))
        failed += not r.removed and not args.dry_run
    return 1 if failed else 0


def configure_image(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--no-pull", action="store_true", help=t("cli.help.no_pull"))


def run_image(args: argparse.Namespace) -> int:
    from .engine import connect
    from .images import ensure_course_image

    result = ensure_course_image(connect(), allow_pull=not args.no_pull)
    source = t(f"cli.image.{result.source}")
    print(
        t(
            "cli.image.done",
            image=result.image_ref,
            source=source,
            seconds=result.elapsed_s,
        )
    )
    return 0


def configure_record(parser: argparse.ArgumentParser) -> None:
    from .measure import record

    record.configure(parser)


def run_record(args: argparse.Namespace) -> int:
    """Measurements, the volume workbench's scene and the engine (``measure.record``).

    The chapters' cells are recorded by ``./course notebooks`` instead, because they
    come from executing the notebooks themselves; both write with ``recorded.save``.
    """
    from .measure import record

    return record.run(args)


def configure_bench(parser: argparse.ArgumentParser) -> None:
    from .measure.bench import PARTS

    parser.add_argument(
        "--quick", action="store_true", help="fewer samples: about a minute on 2 cores"
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("dockcourse-bench"),
        help="directory for results.jsonl, summary.json and the plots "
        "(default: ./dockcourse-bench)",
    )
    parser.add_argument(
        "--series",
        nargs="+",
        metavar="NAME",
        help=f"only these parts: {', '.join(PARTS)}",
    )
    parser.add_argument("--runs", type=int, help="samples per series (after warm-up)")
    parser.add_argument(
        "--vm-accel",
        choices=("auto", "kvm", "tcg"),
        default="auto",
        help="VM accelerator (auto: KVM if QEMU boots with it, else TCG)",
    )
    parser.add_argument(
        "--fresh",
        action="store_true",
        help="start a new run instead of resuming the one in --out",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")


def run_bench(args: argparse.Namespace) -> int:
    """Measure (``measure.bench``), then save the plots and print the table."""
    import time

    from . import plots
    from .measure.bench import (
        RESULTS_FILE,
        SUMMARY_FILE,
        format_table,
        make_plan,
    )
    from .measure.bench import run_bench as measure_all
    from .measure.results import BadInput

    start = time.perf_counter()
    try:
        plan = make_plan(
            quick=args.quick, runs=args.runs, parts=args.series, vm_accel=args.vm_accel
        )
    except BadInput as exc:
        print(f"dockcourse bench: {exc}", file=sys.stderr)
        return 2
    try:
        results = measure_all(
            args.out,
            plan,
            fresh=args.fresh,
            progress=False if args.no_progress else None,
        )
    except BadInput as exc:
        print(f"dockcourse bench: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(
            f"dockcourse bench: interrupted; the samples taken so far are in "
            f"{args.out / RESULTS_FILE} and a rerun resumes them",
            file=sys.stderr,
        )
        return 130
    plots.save_all(results, args.out)
    print()
    print(format_table(results))
    print()
    print(f"{results.label()}")
    print(
        f"wrote {args.out / RESULTS_FILE}, {args.out / SUMMARY_FILE}, startup.png, "
        f"phases.png, disk.png"
        + (", memory.png, density.png, cpu.png" if results.footprint else "")
        + f" in {time.perf_counter() - start:.1f} s"
    )
    return 0 if results.startup or results.disk else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dockcourse", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--version", action="version", version=f"dockcourse {__version__}"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, module_name in SUBCOMMANDS.items():
        help_text = t(f"cli.help.{name}")
        sp = sub.add_parser(name, help=help_text, description=help_text)
        module = import_module(module_name)
        if module_name == __name__:
            configure, run = globals()[f"configure_{name}"], globals()[f"run_{name}"]
        else:
            configure, run = module.configure, module.run
        configure(sp)
        sp.set_defaults(handler=run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    import docker.errors

    from .errors import CourseError

    args = build_parser().parse_args(argv)
    try:
        code: int = args.handler(args)
    except CourseError as exc:
        key = "cli.failed" if exc.fix else "cli.failed_no_fix"
        message = t(key, command=args.command, cause=exc.cause, fix=exc.fix)
        print(message, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(t("cli.interrupted", command=args.command), file=sys.stderr)
        return 130
    except docker.errors.DockerException as exc:  # one we did not predict: no traceback
        print(t("cli.docker_said", command=args.command, error=exc), file=sys.stderr)
        return 1
    return code


if __name__ == "__main__":
    sys.exit(main())
