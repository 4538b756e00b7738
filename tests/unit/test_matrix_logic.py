"""scripts/matrix.py's pure logic: a chapter's verdict over its passes, the table's cells
and heading, and reading results written before passes existed."""

from __future__ import annotations

import sys
from dataclasses import asdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
from matrix import (  # noqa: E402
    PASSES,
    ChapterResult,
    PassResult,
    TargetResult,
    cell,
    heading,
    passes_ran,
)

NB = "notebooks/en/03_images.ipynb"


def test_a_chapter_passes_only_if_every_pass_passed() -> None:
    both = ChapterResult.of(
        NB, [PassResult("answers", True, 10.0), PassResult("none", True, 5.04)]
    )
    assert both.passed and both.seconds == 15.0 and both.error == ""
    bad = ChapterResult.of(
        NB, [PassResult("answers", True, 10.0), PassResult("none", False, 5.0, "E x")]
    )
    assert not bad.passed
    assert bad.error == "none: E x"  # the failed pass, named, and its first error


def test_results_written_before_passes_read_as_the_answers_pass() -> None:
    old = {"notebook": NB, "passed": False, "seconds": 3.0, "error": "E y"}
    chapter = ChapterResult.from_json(old)
    assert chapter.pass_names() == ["answers"]
    assert chapter.passes[0] == PassResult("answers", False, 3.0, "E y")
    new = ChapterResult.of(NB, [PassResult("none", True, 1.0)])
    assert ChapterResult.from_json(asdict(new)) == new


def test_cells_name_their_passes_when_fewer_than_the_heading() -> None:
    both = ChapterResult.of(
        NB, [PassResult("answers", True, 1.0), PassResult("none", True, 1.0)]
    )
    one = ChapterResult.of(NB, [PassResult("answers", True, 1.0)])
    target = TargetResult("podman", ran=True, chapters=[both, one])
    ran = passes_ran([target])
    assert ran == list(PASSES)
    assert cell(both, ran) == "✔"
    assert cell(one, ran) == "✔ (`answers` only)"
    assert cell(None, ran) == "–"
    failed = ChapterResult.of(
        NB, [PassResult("answers", True, 1.0), PassResult("none", False, 1.0, "E")]
    )
    assert cell(failed, ran) == "✘"
    assert cell(one, ["answers"]) == "✔"


def test_the_heading_says_which_passes_ran() -> None:
    two = heading("2026-12-06", ["answers", "none"])
    assert "2 passes" in two and "`answers`" in two and "`none`" in two
    one = heading("2026-12-06", ["answers"])
    assert "one pass" in one and "`none`" not in one
