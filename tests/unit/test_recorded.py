"""One record/replay mechanism: one Provenance, one format, one writer, one reader, and
recordings that hold data, so that every language shows the same numbers (no daemon)."""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import re
from pathlib import Path

import pytest

import dockcourse
from dockcourse import recorded
from dockcourse.measure.observed import observed, results_from, summarize
from dockcourse.measure.results import (
    DiskPoint,
    MeasurementUnavailable,
    Results,
    StartupSample,
    load_recorded,
    results_data,
)
from dockcourse.text import set_language, t

PACKAGE = Path(dockcourse.__file__).parent


def _modules() -> list[str]:
    return [
        m.name
        for m in pkgutil.walk_packages([str(PACKAGE)], prefix="dockcourse.")
        if not m.name.endswith("__main__")
    ]


def test_the_package_has_one_provenance_class() -> None:
    defined = [
        path.relative_to(PACKAGE).as_posix()
        for path in PACKAGE.rglob("*.py")
        if re.search(r"^class Provenance\b", path.read_text("utf-8"), re.M)
    ]
    assert defined == ["recorded.py"]
    found = set()
    for name in _modules():
        module = importlib.import_module(name)
        for _, value in inspect.getmembers(module, inspect.isclass):
            if value.__name__ == "Provenance" and value.__module__.startswith(
                "dockcourse"
            ):
                found.add(value)
    assert found == {recorded.Provenance}


def test_provenance_reads_the_older_field_names() -> None:
    old_measure = {
        "run_id": "r1",
        "date": "2026-11-28T04:34:34.027+00:00",
        "host_kernel": "6.1",
        "cpu_count": 2,
        "engine_version": "no engine",
        "engine_os": "Debian",
    }
    p = recorded.Provenance.from_dict(old_measure)
    assert (p.recorded_at[:10], p.engine_version, p.engine_operating_system) == (
        "2026-11-28",
        "",
        "Debian",
    )
    old_volumes = {"os": "linux", "arch": "x86_64", "recorded_at": "x", "run_id": "v"}
    assert recorded.Provenance.from_dict(old_volumes).engine_os_arch == "linux/x86_64"
    assert recorded.Provenance.from_dict({"os_arch": "a/b"}).engine_os_arch == "a/b"


def test_every_label_renders_from_the_one_provenance() -> None:
    p = recorded.provenance_now(
        {"version": "20.10", "api_version": "1.41", "os": "linux", "arch": "x86_64"},
        run_id="r1",
        recorded_by="test",
    )
    for lang in ("en", "ja"):
        set_language(lang)
        try:
            for label in (p.label(), p.short(), p.describe()):
                assert "20.10" in label and "{" not in label
        finally:
            set_language(None)


def _run() -> Results:
    samples = [
        StartupSample("container-none", i, i == 0, v, "exit", "now")
        for i, v in enumerate([0.9, 0.266, 0.25, 0.31, 0.228, 0.3])
    ]
    disk = [
        DiskPoint("containers", 0, 5, 2_000_000, 2_000_000, 0, "now"),
        DiskPoint(
            "vm-linked", 1024 * 1024, 5, 30_000_000, 9_000_000, 21_000_000, "now"
        ),
    ]
    part = observed(lambda: [*samples, *disk])
    why = observed(_unavailable)
    return results_from(recorded.provenance_now(None).as_dict(), part, why)


def _unavailable() -> list[StartupSample]:
    raise MeasurementUnavailable(
        "vm",
        t("measure.tool_missing.cause", tool="qemu-img"),
        t("measure.tool_missing.fix", package="qemu-utils"),
    )


def test_the_format_round_trips_through_the_writer_and_the_reader(
    tmp_path: Path,
) -> None:
    run = _run()
    path = recorded.save(
        recorded.MEASUREMENTS, run.provenance, results_data(run), tmp_path
    )
    payload = json.loads(path.read_text("utf-8"))
    assert payload["format"] == recorded.FORMAT
    assert set(payload) == {"format", "name", "provenance", "data"}
    back = load_recorded(directory=tmp_path)
    assert back.mode == "recorded"
    assert back.provenance == run.provenance
    assert back.startup == run.startup
    assert back.disk == run.disk
    assert results_data(back) == results_data(run)
    # a cause is kept as its key and fields, and shown in the reader's language
    cause = payload["data"]["unavailable"][0]["cause"]
    assert cause == {
        "text": "measure.tool_missing.cause",
        "params": {"tool": "qemu-img"},
    }
    set_language("ja")
    try:
        shown = str(back.unavailable[0].cause)
        assert shown == t("measure.tool_missing.cause", tool="qemu-img")
        assert shown != t("measure.tool_missing.cause", lang="en", tool="qemu-img")
    finally:
        set_language(None)


def test_a_recording_in_another_format_is_refused(tmp_path: Path) -> None:
    (tmp_path / "engine.json").write_text(json.dumps({"provenance": {}, "data": {}}))
    with pytest.raises(recorded.RecordingFormat):
        recorded.load("engine", tmp_path)
    with pytest.raises(recorded.RecordingMissing):
        recorded.load("nothing", tmp_path)


def _numbers(text: str) -> list[str]:
    return re.findall(r"\d+(?:\.\d+)?", text)


def _both_languages(results: Results) -> tuple[str, str]:
    shown = []
    for lang in ("en", "ja"):
        set_language(lang)
        try:
            shown.append(summarize(results))
        finally:
            set_language(None)
    return shown[0], shown[1]


def test_one_recorded_run_shows_the_same_medians_in_english_and_japanese(
    tmp_path: Path,
) -> None:
    run = _run()
    recorded.save(recorded.MEASUREMENTS, run.provenance, results_data(run), tmp_path)
    english, japanese = _both_languages(load_recorded(directory=tmp_path))
    assert english != japanese  # each in its own words
    assert _numbers(english) == _numbers(japanese)
    assert "266 ms" in english and "266 ms" in japanese  # the median, warm-up left out


def test_the_shipped_recordings_read_the_same_numbers_in_every_language() -> None:
    english, japanese = _both_languages(load_recorded())
    assert _numbers(english) and _numbers(english) == _numbers(japanese)
    chapter = recorded.load(recorded.chapter_name("01")).data["values"]
    parts = [v for v in chapter.values() if isinstance(v, dict) and "startup" in v]
    if parts:  # the chapter's own measurements, replayed in both languages
        replay = results_from(recorded.provenance_now(None).as_dict(), *parts)
        english, japanese = _both_languages(replay)
        assert _numbers(english) == _numbers(japanese)


def test_disk_series_are_identifiers_not_sentences() -> None:
    for point in load_recorded().disk:
        assert point.kind in ("containers", "vm-linked", "vm-full")
        assert isinstance(point.wrote_bytes, int)


def test_to_data_keeps_sentences_as_keys_and_exceptions_as_text() -> None:
    said = t("measure.tool_missing.cause", tool="x")
    assert recorded.to_data({"a": [said]}) == {
        "a": [{"text": "measure.tool_missing.cause", "params": {"tool": "x"}}]
    }
    assert recorded.to_data(ValueError(said))["text"] == "measure.tool_missing.cause"
    assert recorded.to_data(ValueError("engine said no")) == "engine said no"
    assert recorded.to_data((1, None, True, Path("/x"))) == [1, None, True, "/x"]
    assert recorded.render(recorded.to_data(said)) == said


def test_the_machines_load_is_said_on_measurement_plots_when_known() -> None:
    from dockcourse.recorded import Provenance
    from dockcourse.text import set_language, t

    quiet = Provenance(run_id="r", recorded_at="2026-12-06T08:00:00", cpu_count=2)
    busy = Provenance(
        run_id="r", recorded_at="2026-12-06T08:00:00", cpu_count=2, load_avg="10.7"
    )
    try:
        for lang in ("en", "ja"):
            set_language(lang)
            said = t("measure.provenance.load", load="10.7", cpus=2)
            assert busy.short() == quiet.short() + said
            assert "10.7" not in quiet.short()
    finally:
        set_language("en")
    assert Provenance.from_dict(busy.as_dict()) == busy
