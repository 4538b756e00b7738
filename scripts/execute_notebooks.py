#!/usr/bin/env python3
"""Re-execute the course notebooks on the live engine and store their outputs.

This is the one way stored outputs are made (never by hand): nbval compares against them.
The same run records what every ``Session.run``, ``Session.observe`` and lesson step
(``session.step``) did, with the engine's provenance, as the recordings ``chapter-NN`` that
recorded mode (Binder) shows, written with ``recorded.save`` (the writer ``dockcourse
record`` uses) into ``dockcourse/data/recorded/``.

    .venv/bin/python scripts/execute_notebooks.py            # every notebook
    .venv/bin/python scripts/execute_notebooks.py notebooks/en/00_start_here.ipynb
    # one notebook, stored and recorded elsewhere (a trial run):
    .venv/bin/python scripts/execute_notebooks.py notebooks/en/00_start_here.ipynb \\
        --out /tmp/executed --record-into /tmp/recorded

Exercise cells are stored empty (``tests/solutions_inject.py``): each chapter runs twice,
first with the official answers injected (tests/solutions.json), only so that what they do
is recorded too (recorded mode shows it to a learner who types them), then as stored, with
no answer: the outputs stored are what a learner who has typed nothing sees.

What is stored is lean (:func:`lean`): what a reader of the stored notebook sees, and no more.
Progress bars vanish when their cell finishes (``leave=False``), so they are not stored; the
state of the widgets that stay (quizzes, the volume manager) keeps only the models those
outputs show and only the values that differ from the widget's defaults (as ipywidgets'
own ``embed`` with ``drop_defaults``); plots are stored at a fixed DPI as palette PNGs.
"""

from __future__ import annotations

import argparse
import base64
import copy
import io
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests import solutions_inject as exercises  # noqa: E402

CELL_TIMEOUT_S = 120
#: 72 dpi keeps the plots' smallest annotations (7.5 pt) 7.5 px high (still readable at
#: the size JupyterLab shows them) and the course's 18 notebooks under half the size the
#: 14 of them once had (issue 10); a learner's own run draws at matplotlib's 100 dpi.
PLOT_DPI = 72
#: A plot has a few hundred colours, mostly antialiasing shades. An octree palette of 256
#: keeps every colour within 15/255 of the original (nothing a reader can see; median cut
#: merges the series' colours at 128) and stores about a quarter of the RGBA PNG's bytes.
PNG_COLOURS = 256
KERNEL_ARGS = [
    f"--InlineBackend.print_figure_kwargs={{'bbox_inches': 'tight', 'dpi': {PLOT_DPI}}}"
]
VIEW = "application/vnd.jupyter.widget-view+json"
STATE = "application/vnd.jupyter.widget-state+json"
MODEL_REF = "IPY_MODEL_"
PROGRESS_MODELS = {"FloatProgressModel", "IntProgressModel"}
IGNORE_OUTPUT = "nbval-ignore-output"


def lean(nb: Any) -> None:
    """Keep what a reader of the stored notebook sees, and no more (in place)."""
    state = nb.metadata.get("widgets", {}).get(STATE, {}).get("state", {})
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [
                o for o in map(_lean_output(cell, state), cell.outputs) if o
            ]
    kept = _reachable(_shown_models(nb), state)
    if kept:
        nb.metadata.widgets[STATE]["state"] = {
            model_id: drop_defaults(state[model_id]) for model_id in sorted(kept)
        }
    else:
        nb.metadata.pop("widgets", None)


def _lean_output(cell: Any, state: dict[str, Any]) -> Any:
    compared = IGNORE_OUTPUT not in cell.metadata.get("tags", [])

    def lean_one(output: Any) -> Any:
        data = output.get("data", {})
        if "image/png" in data:
            data["image/png"] = compact_png(data["image/png"])
        model_id = data.get(VIEW, {}).get("model_id")
        if model_id is None:
            return output
        if model_id in state and not is_progress_bar(model_id, state):
            return output
        # A progress bar (or a view whose model was never stored): no widget left to
        # show. nbval compares the text of a cell that is not ignored, so there the
        # text stays (tqdm's one-line bar, not a Python repr); elsewhere nothing stays.
        del data[VIEW]
        return output if compared and data.get("text/plain") else None

    return lean_one


def is_progress_bar(model_id: str, state: dict[str, Any]) -> bool:
    """tqdm's notebook bar: a box whose children include a progress model."""
    children = state.get(model_id, {}).get("state", {}).get("children", [])
    return any(
        state.get(child.removeprefix(MODEL_REF), {}).get("model_name")
        in PROGRESS_MODELS
        for child in children
        if isinstance(child, str)
    )


def _shown_models(nb: Any) -> Iterator[str]:
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            yield from _model_refs(output)


def _model_refs(value: Any) -> Iterator[str]:
    """Model ids a value refers to: "IPY_MODEL_<id>" strings and widget views (an
    Output widget stores the views it shows in its own state)."""
    if isinstance(value, str):
        if value.startswith(MODEL_REF):
            yield value.removeprefix(MODEL_REF)
    elif isinstance(value, dict):
        view = value.get(VIEW)
        if isinstance(view, dict) and "model_id" in view:
            yield view["model_id"]
        for item in value.values():
            yield from _model_refs(item)
    elif isinstance(value, list):
        for item in value:
            yield from _model_refs(item)


def _reachable(roots: Iterator[str], state: dict[str, Any]) -> set[str]:
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        model_id = todo.pop()
        if model_id in state and model_id not in seen:
            seen.add(model_id)
            todo.extend(_model_refs(state[model_id]))
    return seen


def _defaults() -> dict[tuple[str, str], dict[str, Any]]:
    """(model module, model name) -> {synced trait: default} from ipywidgets' own classes
    (the front end's models have the same defaults), keeping only the values every class
    of one model agrees on."""
    import ipywidgets
    import traitlets

    def classes(cls: type) -> Iterator[type]:
        for sub in cls.__subclasses__():
            if sub.__module__.startswith("ipywidgets."):
                yield sub
            yield from classes(sub)

    found: dict[tuple[str, str], dict[str, Any]] = {}
    for cls in sorted(set(classes(ipywidgets.Widget)), key=lambda c: c.__qualname__):
        traits = cls.class_traits(sync=True)  # type: ignore[attr-defined]
        values = {}
        for name, trait in traits.items():
            value = trait.default_value
            if value is traitlets.Undefined and isinstance(trait, traitlets.Container):
                value = trait.default()
            if value is not traitlets.Undefined:
                values[name] = value
        key = (values.get("_model_module", ""), values.get("_model_name", ""))
        known = found.setdefault(key, values)
        found[key] = {k: v for k, v in known.items() if k in values and values[k] == v}
    return found


_DEFAULTS: dict[tuple[str, str], dict[str, Any]] = {}


def drop_defaults(entry: dict[str, Any]) -> dict[str, Any]:
    """One stored model without the values the front end fills in by itself."""
    if not _DEFAULTS:
        _DEFAULTS.update(_defaults())
    defaults = _DEFAULTS.get(
        (entry.get("model_module", ""), entry.get("model_name", ""))
    )
    if defaults is None:
        return entry
    state = {
        key: value
        for key, value in entry["state"].items()
        if not (key in defaults and _same_json(defaults[key], value))
    }
    return {**entry, "state": state}


def _same_json(default: Any, value: Any) -> bool:
    if isinstance(default, tuple):
        default = list(default)
    return type(default) is type(value) and default == value


def compact_png(encoded: str) -> str:
    """A plot's PNG as a 256-colour palette PNG (when opaque and smaller)."""
    from PIL import Image

    image = Image.open(io.BytesIO(base64.b64decode(encoded)))
    if image.mode == "P" or (image.mode == "RGBA" and image.getextrema()[3][0] < 255):
        return encoded
    palette = image.convert("RGB").quantize(
        colors=PNG_COLOURS,
        method=Image.Quantize.FASTOCTREE,
        dither=Image.Dither.NONE,
    )
    out = io.BytesIO()
    palette.save(out, format="PNG", optimize=True)
    smaller = base64.b64encode(out.getvalue()).decode("ascii")
    return smaller + "\n" if len(smaller) < len(encoded) else encoded


def execute(nb: Any, path: Path) -> None:
    NotebookClient(
        nb,
        timeout=CELL_TIMEOUT_S,
        kernel_name="python3",
        record_timing=False,
        extra_arguments=KERNEL_ARGS,
        resources={"metadata": {"path": str(path.parent)}},
    ).execute()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument(
        "--no-record", action="store_true", help="do not write the chapters' recordings"
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="write the executed notebooks here (as <edition>/<name>.ipynb) instead of "
        "in place",
    )
    parser.add_argument(
        "--record-into",
        type=Path,
        default=None,
        help="write the recordings here instead of dockcourse/data/recorded/",
    )
    args = parser.parse_args()
    from dockcourse import recorded, transcripts
    from dockcourse.engine import connect, engine_info
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
            filled = copy.deepcopy(nb)
            if exercises.inject(filled, path.stem, exercises.load()):
                execute(filled, path)  # recorded, never stored
            emptied = exercises.empty_exercises(nb)
            if emptied:
                print(f"{path.name}: exercise cells emptied: {', '.join(emptied)}")
            execute(nb, path)
            lean(nb)
            target = (
                path if args.out is None else args.out / path.parent.name / path.name
            )
            target.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, target)
            print(f"{_shown(target)}: {time.perf_counter() - start:.1f} s")
        if not args.no_record:
            # One recording per chapter, with the provenance of this run; the chapters
            # not run here keep theirs. Both editions record into the same chapter (the
            # values are data, the same in every language): the last run wins.
            engine = engine_info(client)
            provenance = recorded.provenance_now(
                engine, recorded_by="execute_notebooks"
            )
            found = transcripts.collect(runs_file)
            for written in transcripts.save(found, provenance, args.record_into):
                print("recorded:", _shown(written))
            engine_file = recorded.record_engine(engine, provenance, args.record_into)
            print("recorded:", _shown(engine_file))
    left = [o for o in list_owned(client) if (o.kind, o.id) not in before]
    for item in left:
        print(
            f"LEFT BEHIND: {item.kind} {item.name} (chapter {item.chapter})",
            file=sys.stderr,
        )
    return 1 if left else 0


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


if __name__ == "__main__":
    sys.exit(main())
