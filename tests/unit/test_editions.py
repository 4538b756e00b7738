"""The English and Japanese editions cannot drift apart silently."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat
import pytest

from dockcourse.text import catalogue

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
from sync_editions import (  # noqa: E402
    UNTRANSLATED,
    english_hash,
    ja_code,
    translated_from,
)

EN = {p.name for p in (ROOT / "notebooks" / "en").glob("[0-9][0-9]_*.ipynb")}
JA = {p.name for p in (ROOT / "notebooks" / "ja").glob("[0-9][0-9]_*.ipynb")}
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def test_every_chapter_exists_in_both_editions() -> None:
    assert EN, "no English chapters"
    assert sorted(EN - JA) == [], "chapters missing from notebooks/ja"
    assert sorted(JA - EN) == [], "chapters only in notebooks/ja"


@pytest.mark.parametrize("name", sorted(EN & JA))
def test_code_cells_identical_and_prose_translated(name: str) -> None:
    en = nbformat.read(ROOT / "notebooks" / "en" / name, as_version=4)
    ja = nbformat.read(ROOT / "notebooks" / "ja" / name, as_version=4)
    assert [(c.get("id"), c.cell_type) for c in ja.cells] == [
        (c.get("id"), c.cell_type) for c in en.cells
    ], "cells differ in order, ids or types: run scripts/sync_editions.py"
    setup_seen = False
    for e, j in zip(en.cells, ja.cells, strict=True):
        if e.cell_type == "code":
            assert j.source == ja_code(e.source), f"code cell {e.get('id')} differs"
            setup_seen |= 'lang="ja"' in j.source
        else:
            assert UNTRANSLATED not in j.source, f"cell {e.get('id')} is untranslated"
            assert translated_from(j) == english_hash(e.source), (
                f"cell {e.get('id')}: the English text changed after it was translated; "
                "update the Japanese, then scripts/sync_editions.py --accept ID"
            )
            if JAPANESE.search(e.source) is None and e.source.strip():
                assert JAPANESE.search(j.source), f"cell {e.get('id')} is not Japanese"
    assert setup_seen, "the Japanese setup() call must pass lang='ja'"


def output_kinds(cell: nbformat.NotebookNode) -> set[str]:
    """What a cell shows, by kind: "stream:stdout", "error", "display_data:image/png"…"""
    kinds = set()
    for output in cell.get("outputs", []):
        if output.output_type == "stream":
            kinds.add(f"stream:{output.name}")
        elif output.output_type == "error":
            kinds.add("error")
        else:
            kinds |= {f"{output.output_type}:{mime}" for mime in output.get("data", {})}
    return kinds


@pytest.mark.parametrize("name", sorted(EN & JA))
def test_both_editions_store_the_same_kinds_of_output(name: str) -> None:
    """The same code shows the same things in both languages: a plot in one edition and
    none in the other, a warning or an error in one only, is a bug of that edition."""
    en = nbformat.read(ROOT / "notebooks" / "en" / name, as_version=4)
    ja = nbformat.read(ROOT / "notebooks" / "ja" / name, as_version=4)
    differ = {
        e.get("id"): {
            "en only": sorted(output_kinds(e) - output_kinds(j)),
            "ja only": sorted(output_kinds(j) - output_kinds(e)),
        }
        for e, j in zip(en.cells, ja.cells, strict=True)
        if e.cell_type == "code" and output_kinds(e) != output_kinds(j)
    }
    assert differ == {}, (
        "cells store different kinds of output in the two editions; re-execute both "
        "editions (scripts/execute_notebooks.py) and look at the one that lacks them"
    )


def test_output_kinds_tell_a_picture_from_its_caption() -> None:
    plot = nbformat.v4.new_code_cell(
        "plot()",
        outputs=[
            nbformat.v4.new_output(
                "display_data", data={"image/png": "iVBO", "text/plain": "<Figure>"}
            ),
            nbformat.v4.new_output("stream", name="stderr", text="careful\n"),
        ],
    )
    lost = nbformat.v4.new_code_cell(
        "plot()",
        outputs=[
            nbformat.v4.new_output("display_data", data={"text/plain": "<Figure>"})
        ],
    )
    assert output_kinds(plot) == {
        "display_data:image/png",
        "display_data:text/plain",
        "stream:stderr",
    }
    assert output_kinds(plot) - output_kinds(lost) == {
        "display_data:image/png",
        "stream:stderr",
    }


def test_every_message_key_has_a_japanese_text() -> None:
    missing = sorted(catalogue("en").keys() - catalogue("ja").keys())
    assert missing == [], (
        f"{len(missing)} keys missing from the ja catalogue: {missing[:10]}"
    )


def test_no_japanese_key_without_an_english_one() -> None:
    assert sorted(catalogue("ja").keys() - catalogue("en").keys()) == []


def test_sync_keeps_translations_and_flags_changed_english(tmp_path: Path) -> None:
    from sync_editions import sync

    en = nbformat.v4.new_notebook()
    en.cells = [
        nbformat.v4.new_markdown_cell("Hello", id="m1"),
        nbformat.v4.new_code_cell('course = setup("07")', id="c1"),
        nbformat.v4.new_markdown_cell("New", id="m2"),
    ]
    ja_old = nbformat.v4.new_notebook()
    ja_old.cells = [nbformat.v4.new_markdown_cell("こんにちは", id="m1")]
    en_path, ja_path = tmp_path / "en.ipynb", tmp_path / "ja.ipynb"
    nbformat.write(en, en_path)
    nbformat.write(ja_old, ja_path)
    ja = sync(en_path, ja_path)
    assert ja.cells[0].source == "こんにちは"
    assert translated_from(ja.cells[0]) == english_hash("Hello")
    assert ja.cells[1].source == 'course = setup("07", lang="ja")'
    assert ja.cells[2].source.startswith(UNTRANSLATED)
    nbformat.write(ja, ja_path)
    en.cells[0].source = "Hello, world"
    nbformat.write(en, en_path)
    stale = sync(en_path, ja_path)
    assert translated_from(stale.cells[0]) != english_hash("Hello, world")
    fresh = sync(en_path, ja_path, frozenset({"m1"}))
    assert translated_from(fresh.cells[0]) == english_hash("Hello, world")
