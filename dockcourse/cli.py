"""``dockcourse doctor | clean | image | bench | record``.

Each subcommand lives in a module exposing ``configure(parser)`` and ``run(args) -> int``;
this file only wires them. Predictable failures print one clear message, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from importlib import import_module

from ._version import __version__

#: subcommand -> (module, one-line help)
SUBCOMMANDS = {
    "doctor": ("dockcourse.cli", "check that the course can run live here"),
    "clean": ("dockcourse.cli", "remove what the course created (only that)"),
    "image": ("dockcourse.cli", "make sure the course image exists; print its name"),
    "bench": (
        "dockcourse.measure.bench",
        "measure start-up and disk, write JSON and plots",
    ),
    "record": ("dockcourse.cli", "record the datasets recorded mode shows"),
}


def configure_doctor(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def run_doctor(args: argparse.Namespace) -> int:
    from .doctor import render_json, render_text, run_checks

    report = run_checks()
    print(render_json(report) if args.json else render_text(report))
    return report.exit_code


def configure_clean(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dry-run", action="store_true", help="list, remove nothing")
    parser.add_argument("--all", action="store_true", help="the course image too")
    parser.add_argument(
        "--stale",
        action="store_true",
        help="only leftovers of sessions whose process is gone",
    )


def run_clean(args: argparse.Namespace) -> int:
    from .engine import connect
    from .resources import clean

    results = clean(
        connect(),
        dry_run=args.dry_run,
        include_course_image=args.all,
        stale_only=args.stale,
    )
    if not results:
        print("nothing to clean: the engine holds no course resources")
    failed = 0
    for r in results:
        verb = "would remove" if args.dry_run else ("removed" if r.removed else "KEPT")
        print(
            f"{verb:<12} {r.item.kind:<9} {r.item.name}  (chapter {r.item.chapter or '?'})"
            + (f": {r.error}" if r.error and not args.dry_run else "")
        )
        failed += not r.removed and not args.dry_run
    return 1 if failed else 0


def configure_image(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--no-pull", action="store_true", help="never try a registry")


def run_image(args: argparse.Namespace) -> int:
    from .engine import connect
    from .images import ensure_course_image

    result = ensure_course_image(connect(), allow_pull=not args.no_pull)
    print(f"{result.image_ref} ({result.source}, {result.elapsed_s:.1f} s)")
    return 0


def configure_record(parser: argparse.ArgumentParser) -> None:
    from .measure import record

    record.configure(parser)


def run_record(args: argparse.Namespace) -> int:
    """Measurements (``measure.record``), then the volume listing (``volumes.record``).

    The chapters' command outputs are recorded by ``./course notebooks`` instead, because
    they come from executing the notebooks themselves.
    """
    from . import recorded, volumes
    from .engine import connect
    from .images import ensure_image
    from .measure import record

    code = record.run(args)
    if code != 0:
        return code
    client = connect()
    target = (args.into or recorded.recorded_dir()) / "volumes.json"
    print(f"installed {volumes.record(client, ensure_image(client), target)}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dockcourse", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--version", action="version", version=f"dockcourse {__version__}"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (module_name, help_text) in SUBCOMMANDS.items():
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
    from .engine import EngineUnavailable
    from .images import ImageUnavailable

    args = build_parser().parse_args(argv)
    try:
        code: int = args.handler(args)
    except (EngineUnavailable, ImageUnavailable) as exc:
        print(f"dockcourse {args.command}: {exc.cause}\n  → {exc.fix}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"dockcourse {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # an engine error we did not predict: still no traceback
        import docker.errors

        if isinstance(exc, docker.errors.DockerException):
            print(f"dockcourse {args.command}: Docker said: {exc}", file=sys.stderr)
            return 1
        raise
    return code


if __name__ == "__main__":
    sys.exit(main())
