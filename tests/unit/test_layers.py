"""The package's import graph has no upward arrow.

The layers are the table under "Package layers" in CONTRIBUTING.md (the one place they
are written down; README points there). Every module of ``dockcourse`` is read with
``ast``: module-level imports, imports inside functions and ``TYPE_CHECKING`` blocks,
relative imports (``from . import x``, ``from ..plots import y``) and
``import_module("dockcourse.…")`` calls. A module may import its own layer or lower.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "dockcourse"
CONTRIBUTING = ROOT / "CONTRIBUTING.md"
ROW = re.compile(r"^\|\s*(\d+)\s*\|[^|]*\|(?P<modules>[^|]*)\|\s*$")


def documented_layers(text: str) -> dict[str, int]:
    """``{"engine": 1, "measure/*": 6, "__init__": 9, ...}`` from the table."""
    section = text.split("## Package layers", 1)[1].split("\n## ", 1)[0]
    layers: dict[str, int] = {}
    for line in section.splitlines():
        match = ROW.match(line.strip())
        if match:
            for name in re.findall(r"`([^`]+)`", match["modules"]):
                assert name not in layers, f"{name} is in two layers"
                layers[name] = int(match[1])
    return layers


LAYERS = documented_layers(CONTRIBUTING.read_text("utf-8"))


def module_name(path: Path) -> str:
    """``dockcourse/measure/bench.py`` → ``dockcourse.measure.bench``."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def is_package(path: Path) -> bool:
    return path.name == "__init__.py"


def layer_of(module: str, layers: dict[str, int] = LAYERS) -> int | None:
    """The layer of ``dockcourse.x.y``: ``x/*`` covers the package and its modules;
    the top package itself is ``__init__``."""
    parts = module.split(".")[1:]
    if not parts:
        return layers.get("__init__")
    if len(parts) > 1 or f"{parts[0]}/*" in layers:
        return layers.get(f"{parts[0]}/*")
    return layers.get(parts[0])


def _exists(module: str) -> bool:
    rel = Path(*module.split("."))
    return (ROOT / rel.with_suffix(".py")).is_file() or (
        ROOT / rel / "__init__.py"
    ).is_file()


def imported_modules(source: str, module: str, package: bool) -> set[str]:
    """Every ``dockcourse`` module that ``source`` (the module ``module``) imports."""
    tree = ast.parse(source)
    here = module if package else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("dockcourse"))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            if not target.startswith("dockcourse"):
                continue
            # ``from pkg import mod`` imports the module ``pkg.mod``; any other name
            # is an attribute of ``pkg`` itself
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                found.add(sub if _exists(sub) else target)
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "id", getattr(node.func, "attr", ""))
            == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and str(node.args[0].value).startswith("dockcourse")
        ):
            found.add(str(node.args[0].value))
    found.discard(module)
    return found


def upward_imports(
    source: str, module: str, package: bool = False, layers: dict[str, int] = LAYERS
) -> list[str]:
    own = layer_of(module, layers)
    assert own is not None, f"{module} has no layer in CONTRIBUTING.md"
    return [
        f"{module} (layer {own}) imports {target} (layer {layer_of(target, layers)})"
        for target in sorted(imported_modules(source, module, package))
        if (layer_of(target, layers) or 0) > own
    ]


MODULES = sorted(PACKAGE.rglob("*.py"))


def test_the_table_has_every_layer() -> None:
    assert sorted(set(LAYERS.values())) == list(range(10))
    assert LAYERS["engine"] < LAYERS["resources"] < LAYERS["images"]
    assert LAYERS["images"] < LAYERS["recorded"] < LAYERS["session"]
    assert LAYERS["session"] < LAYERS["measure/*"] < LAYERS["plots"]
    assert LAYERS["plots"] < LAYERS["widgets/*"] < LAYERS["cli"]


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_every_module_has_a_layer(path: Path) -> None:
    assert layer_of(module_name(path)) is not None, (
        f"{module_name(path)}: add it to the 'Package layers' table in CONTRIBUTING.md"
    )


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_imports_upward(path: Path) -> None:
    source = path.read_text("utf-8")
    assert upward_imports(source, module_name(path), is_package(path)) == []


def test_every_import_target_has_a_layer() -> None:
    unknown = {
        target
        for path in MODULES
        for target in imported_modules(
            path.read_text("utf-8"), module_name(path), is_package(path)
        )
        if layer_of(target) is None
    }
    assert unknown == set()


LAYERS_FOR_TESTS = {"text": 0, "engine": 1, "measure/*": 6, "plots": 7, "cli": 9}


@pytest.mark.parametrize(
    ("source", "module", "package"),
    [
        ("from ..plots import human_bytes", "dockcourse.measure.bench", False),
        ("def f():\n    from .. import plots\n", "dockcourse.measure.bench", False),
        ("from . import plots", "dockcourse.engine", False),
        ("import dockcourse.plots", "dockcourse.engine", False),
        ("from dockcourse import cli", "dockcourse.text", False),
        ("from .. import cli", "dockcourse.measure", True),
        ("import_module('dockcourse.plots')", "dockcourse.engine", False),
        (
            "from typing import TYPE_CHECKING\n"
            "if TYPE_CHECKING:\n    from .measure.bench import Plan\n",
            "dockcourse.engine",
            False,
        ),
    ],
)
def test_an_upward_import_is_caught(source: str, module: str, package: bool) -> None:
    assert upward_imports(source, module, package, LAYERS_FOR_TESTS) != []


@pytest.mark.parametrize(
    ("source", "module"),
    [
        ("from .text import t\nfrom . import engine", "dockcourse.engine"),
        (
            "from .results import Results\nfrom ..engine import connect",
            "dockcourse.measure.bench",
        ),
        ("from .measure.results import Results", "dockcourse.plots"),
        ("import docker\nfrom os import path", "dockcourse.text"),
    ],
)
def test_a_downward_or_sideways_import_passes(source: str, module: str) -> None:
    assert upward_imports(source, module, False, LAYERS_FOR_TESTS) == []


def test_readme_points_at_the_table() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    assert "Package layers" in readme
