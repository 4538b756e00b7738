"""The learner's progress record (dockcourse/progress.py): its format, how a check's
verdict updates it, and the teacher's table. No engine."""

from __future__ import annotations

import importlib
import inspect
import json
import os
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from dockcourse import progress
from dockcourse.checks import Verdict, failed, passed, run_check
from dockcourse.text import set_language

CHECKS = Path(progress.__file__).parent / "checks"


def test_the_record_is_in_the_learners_data_folder() -> None:
    home = Path.home()
    assert progress.record_path({}) == home / ".local/share/dockcourse/progress.json"
    assert str(progress.RELATIVE_PATH) == ".local/share/dockcourse/progress.json"
    assert progress.record_path({"XDG_DATA_HOME": "/x/data"}) == Path(
        "/x/data/dockcourse/progress.json"
    )
    assert progress.record_path({"XDG_DATA_HOME": "relative"}) == (
        home / progress.RELATIVE_PATH
    )
    assert progress.record_path({"DOCKCOURSE_PROGRESS": "/t/p.json"}) == Path(
        "/t/p.json"
    )
    assert progress.record_path({"DOCKCOURSE_PROGRESS": "off"}) is None


def test_the_test_suite_writes_no_record_of_whoever_runs_it() -> None:
    assert progress.record_path() is None


def test_the_record_format(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "progress.json"
    progress.record("01", "check_shared", True, path=path)
    progress.record("01", "check_writer", False, path=path)
    data = json.loads(path.read_text())
    assert data.keys() == {"format", "checks"}
    assert data["format"] == 1
    assert data["checks"].keys() == {"01.shared", "01.writer"}
    for entry in data["checks"].values():
        assert entry.keys() == {"passed", "at"}
        assert progress.TIME_RE.match(entry["at"])
    assert data["checks"]["01.shared"]["passed"] is True
    assert data["checks"]["01.writer"]["passed"] is False
    assert os.stat(path).st_mode & 0o077 == 0, "the record is the learner's alone"
    assert [p.name for p in path.parent.iterdir()] == ["progress.json"]
    assert progress.read(path) == progress.parse(path.read_text())


def test_a_pass_is_kept_with_its_first_time_and_a_try_updates_its_time() -> None:
    first = progress.updated({}, "01.shared", False, "2026-01-01T10:00:00Z")
    second = progress.updated(first, "01.shared", False, "2026-01-01T10:05:00Z")
    assert second["01.shared"] == progress.Entry(False, "2026-01-01T10:05:00Z")
    won = progress.updated(second, "01.shared", True, "2026-01-01T10:09:00Z")
    assert won["01.shared"] == progress.Entry(True, "2026-01-01T10:09:00Z")
    again = progress.updated(won, "01.shared", False, "2026-01-02T09:00:00Z")
    assert again["01.shared"] == progress.Entry(True, "2026-01-01T10:09:00Z")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "not json",
        "[]",
        '{"format": 2, "checks": {"01.shared": {"passed": true, "at": "x"}}}',
        '{"format": 1, "checks": []}',
        '{"format": 1}',
        '{"format": 1, "checks": {"../../etc": {"passed": true,'
        ' "at": "2026-01-01T10:00:00Z"}}}',
        '{"format": 1, "checks": {"01.shared": {"passed": "yes",'
        ' "at": "2026-01-01T10:00:00Z"}}}',
        '{"format": 1, "checks": {"01.shared": {"passed": true, "at": "root:x:0"}}}',
        "{" + " " * progress.MAX_BYTES + "}",
    ],
)
def test_what_is_not_a_record_reads_as_no_entries(text: str) -> None:
    assert progress.parse(text) == {}
    assert progress.parse(text.encode()) == {}


def test_a_damaged_record_is_replaced_not_raised(tmp_path: Path) -> None:
    path = tmp_path / "progress.json"
    path.write_text("{half a reco")
    progress.record("02", "check_hermit", True, path=path)
    assert list(progress.read(path)) == ["02.hermit"]


def test_writing_never_raises(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    progress.record("01", "check_shared", True, path=blocker / "sub" / "p.json")
    assert progress.read(blocker / "sub" / "p.json") == {}


def test_only_check_functions_are_noted(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    progress.record("01", "inspect_shared", True, path=path)
    assert not path.exists()


def _session(client: object) -> Any:
    return SimpleNamespace(chapter="03", client=client)


def check_demo(session: Any, verdict: Verdict) -> Verdict:
    """Stands for a chapter's ``check_*`` function: named like one."""
    return run_check(session, "what", lambda client: verdict)


def test_a_live_verdict_is_noted_under_its_check_function(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "p.json"
    monkeypatch.setenv("DOCKCOURSE_PROGRESS", str(path))
    check_demo(_session(object()), failed("no", "hint"))
    assert progress.read(path)["03.demo"].passed is False
    check_demo(_session(object()), passed("yes"))
    assert progress.read(path)["03.demo"].passed is True


def test_recorded_mode_notes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "p.json"
    monkeypatch.setenv("DOCKCOURSE_PROGRESS", str(path))
    verdict = check_demo(_session(None), passed("yes"))
    assert verdict.status == "recorded"
    assert not path.exists()


def test_the_exercises_are_the_chapters_check_functions() -> None:
    found = progress.exercises()
    chapters = sorted(p.stem[2:] for p in CHECKS.glob("ch[0-9][0-9].py"))
    assert list(found) == chapters and "01" in found and "06" in found
    assert found["01"][:2] == ("shared", "writer")
    for chapter, names in found.items():
        module = importlib.import_module(f"dockcourse.checks.ch{chapter}")
        assert names, f"chapter {chapter} has no check"
        for name in names:
            assert callable(getattr(module, f"check_{name}")), (chapter, name)


class _RefusingClient:
    """An engine that refuses every call: each check still gives a verdict."""

    def __getattr__(self, name: str) -> Any:
        import docker.errors

        raise docker.errors.DockerException(f"no engine here ({name})")


def test_every_chapter_check_is_noted_under_its_own_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """run_check notes its caller's name: each ``check_*`` must call it itself."""
    from dockcourse.session import Session

    path = tmp_path / "p.json"
    monkeypatch.setenv("DOCKCOURSE_PROGRESS", str(path))
    for chapter, names in progress.exercises().items():
        module = importlib.import_module(f"dockcourse.checks.ch{chapter}")
        for name in names:
            check = getattr(module, f"check_{name}")
            session = Session(
                chapter=chapter, mode="live", lang="en", client=_RefusingClient()
            )
            required = [
                {} if "Mapping" in str(p.annotation) else "x"
                for p in list(inspect.signature(check).parameters.values())[1:]
                if p.default is inspect.Parameter.empty
            ]
            assert check(session, *required).status == "fail", (chapter, name)
            assert f"{chapter}.{name}" in progress.read(path), (chapter, name)
    assert len(progress.read(path)) == sum(map(len, progress.exercises().values()))


def _records() -> dict[str, dict[str, progress.Entry] | None]:
    return {
        "ada": {
            "01.shared": progress.Entry(True, "2026-12-06T08:10:02Z"),
            "01.writer": progress.Entry(False, "2026-12-06T08:12:40Z"),
            "04.order": progress.Entry(True, "2026-12-06T09:00:00Z"),
        },
        "grace": {},
        "bob": None,
    }


def test_the_teachers_table_marks_each_check_per_chapter() -> None:
    lines = progress.table(_records()).splitlines()
    rows = {line.split()[0]: line.split() for line in lines[2:5]}
    assert lines[1].split()[:3] == ["learner", "ch", "01"]
    checks = progress.exercises()
    total = sum(len(v) for v in checks.values())
    ada = rows["ada"]
    assert ada[1:3] == ["✔", "✘"]  # chapter 01: shared passed, writer tried
    before_04 = 1 + sum(len(v) for c, v in checks.items() if c < "04")
    order = before_04 + checks["04"].index("order")
    assert ada[order] == "✔" and ada[before_04] == "·"  # 04: order passed, hello not
    assert f"2/{total}" in ada and "2026-12-06" in ada and "09:00" in ada
    assert f"0/{total}" in rows["grace"]
    assert "?" in rows["bob"] and "✔" not in rows["bob"]
    assert "01: shared, writer" in lines[-1]


def test_the_teachers_table_in_japanese() -> None:
    set_language("ja")
    text = progress.table(_records())
    assert "受講者" in text and "第 01 章" in text and "記録を読めません" in text
