"""Recording and replaying what the chapters showed (no daemon)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dockcourse import recorded, transcripts
from dockcourse.resources import RunResult
from dockcourse.text import set_language, t


def test_a_chapter_is_recorded_once_for_every_language(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "runs.jsonl"
    monkeypatch.setenv(transcripts.RECORD_ENV, str(target))
    try:
        for lang in ("en", "ja"):
            set_language(lang)
            transcripts.remember_value(
                "09", "verdict", t("measure.provenance.no_engine")
            )
            transcripts.remember("09", "docker run x", RunResult(0, "hi\n", 0.1))
    finally:
        set_language(None)
    found = transcripts.collect(target)
    assert list(found) == ["09"]  # no per-language entry
    # the sentence is kept as its key, not as the English or Japanese words
    assert found["09"]["values"] == {
        "verdict": {"text": "measure.provenance.no_engine", "params": {}}
    }
    assert list(found["09"]["runs"]) == ["docker run x"]


def test_a_recorded_chapter_replays_in_the_readers_language(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "runs.jsonl"
    monkeypatch.setenv(transcripts.RECORD_ENV, str(target))
    transcripts.remember_value(
        "09", "note", {"n": 3, "why": t("measure.provenance.no_engine", lang="en")}
    )
    transcripts.remember("09", "docker run x", RunResult(0, "hi\n", 0.1))
    provenance = recorded.provenance_now(None, recorded_by="test")
    written = transcripts.save(transcripts.collect(target), provenance, tmp_path)
    assert [p.name for p in written] == ["chapter-09.json"]
    monkeypatch.setattr(recorded, "recorded_dir", lambda: tmp_path)
    transcripts._chapter.cache_clear()
    try:
        for lang in ("en", "ja"):
            set_language(lang)
            value = transcripts.recall_value("09", "note")
            assert value == {"n": 3, "why": t("measure.provenance.no_engine")}
        assert transcripts.recall("09", "docker run x").output == "hi\n"
        assert transcripts.recall("09", "other").exit_code == transcripts.NOT_RECORDED
        assert transcripts.chapter_provenance("09") == provenance
        with pytest.raises(transcripts.NotRecorded) as replaying:
            transcripts.recall_value("09", "missing")
        with pytest.raises(transcripts.NotRecorded) as live:
            transcripts.recall_value("09", "missing", live=True)
        # live, it is this engine that cannot show the step: no word of recorded mode
        assert str(live.value) == t(
            "session.value_not_recorded_live", key="missing", chapter="09"
        )
        assert str(replaying.value) != str(live.value)
    finally:
        set_language(None)
        transcripts._chapter.cache_clear()


def _keys(value: object) -> list[str]:
    if isinstance(value, dict):
        return [k for k, v in value.items() for k in (k, *_keys(v))]
    if isinstance(value, list):
        return [k for v in value for k in _keys(v)]
    return []


def test_no_shipped_recording_is_kept_per_language() -> None:
    names = recorded.names()
    assert any(name.startswith("chapter-") for name in names)
    for name in names:
        assert "@" not in name
        keys = _keys(json.loads(recorded.path_of(name).read_text("utf-8")))
        assert not [k for k in keys if k.endswith(("@ja", "@en"))], name


def test_observe_records_data_with_tokens_and_sentences_as_keys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dockcourse.session import TAG_TOKEN, Session

    target = tmp_path / "runs.jsonl"
    monkeypatch.setenv(transcripts.RECORD_ENV, str(target))
    course = Session(chapter="09", mode="live", lang="ja", tag="abc123")
    value = {
        "name": course.name("box"),
        "said": t("measure.provenance.no_engine", lang="ja"),
    }
    assert course.observe("step()", lambda: value) == value
    recorded_value = transcripts.collect(target)["09"]["values"]["step()"]
    assert recorded_value == {
        "name": f"dockcourse-09-box-{TAG_TOKEN}",
        "said": {"text": "measure.provenance.no_engine", "params": {}},
    }


def _provenance(version: str, cgroup: str) -> recorded.Provenance:
    made = recorded.provenance_now(None, recorded_by="test")
    return recorded.Provenance.from_dict(
        {**made.as_dict(), "engine_version": version, "cgroup_version": cgroup}
    )


def test_another_engines_recording_is_shown_first_and_lacks_fall_back_labelled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A set of another engine's recordings (``recorded/<set>/``) is read first; a value
    that engine could not show (and so never recorded) comes from the main recording,
    labelled with the main recording's provenance; DOCKCOURSE_RECORDING=main or an
    unknown name picks the main folder or the default."""
    old, new = _provenance("20.10", "1"), _provenance("26.1", "2")
    recorded.save(
        "chapter-09",
        old,
        {
            "runs": {
                "docker run x": {"exit_code": 0, "output": "old\n", "elapsed_s": 1}
            },
            "values": {"both": 1, "only-main": 2},
        },
        tmp_path,
    )
    current = tmp_path / recorded.PREFERRED_SETS[0]
    recorded.save("chapter-09", new, {"runs": {}, "values": {"both": 10}}, current)
    monkeypatch.setattr(recorded, "recorded_dir", lambda: tmp_path)
    monkeypatch.delenv(recorded.SET_ENV, raising=False)
    transcripts._chapter.cache_clear()
    try:
        assert recorded.sets() == [current.name]
        assert recorded.chosen_set() == current.name
        assert transcripts.recall_value("09", "both") == 10
        assert transcripts.provenance_of("09", key="both") == new
        assert transcripts.recall_value("09", "only-main") == 2
        assert transcripts.provenance_of("09", key="only-main") == old
        assert transcripts.recall("09", "docker run x").output == "old\n"
        assert transcripts.provenance_of("09", line="docker run x") == old
        assert transcripts.chapter_provenance("09") == new
        assert recorded.set_label(current.name).startswith(f"{current.name} (26.1")
        assert "20.10" in recorded.set_label(recorded.MAIN_SET)
        for chosen, expected in (("main", 1), ("no-such-set", 10)):
            monkeypatch.setenv(recorded.SET_ENV, chosen)
            transcripts._chapter.cache_clear()
            assert transcripts.recall_value("09", "both") == expected
    finally:
        transcripts._chapter.cache_clear()
