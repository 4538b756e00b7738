"""Recording and replaying what the chapters showed (no daemon)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockcourse import transcripts
from dockcourse.resources import RunResult
from dockcourse.text import set_language


def test_values_are_recorded_per_language_and_runs_per_chapter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "runs.jsonl"
    monkeypatch.setenv(transcripts.RECORD_ENV, str(target))
    try:
        for lang, verdict in (("en", "Correct"), ("ja", "正解")):
            set_language(lang)
            transcripts.remember_value("09", "verdict", verdict)
            transcripts.remember("09", "docker run x", RunResult(0, "hi\n", 0.1))
    finally:
        set_language(None)
    found = transcripts.collect(str(target))
    assert found["09"]["values"] == {"verdict": "Correct"}
    assert found["09@ja"]["values"] == {"verdict": "正解"}
    assert list(found["09"]["runs"]) == ["docker run x"]
    assert found["09@ja"]["runs"] == {}  # a command line is recorded once, in English
