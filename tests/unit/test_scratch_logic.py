"""The course's scratch folder, the session's names and recordings, and what chapter 06
says about a volume's mount point: pure logic, no engine."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from dockcourse import resources, scratch
from dockcourse import volumes as vol
from dockcourse.session import (
    SCRATCH_TOKEN,
    TAG_TOKEN,
    Session,
    bind_sources,
    named_volumes,
)
from dockcourse.text import set_language


@pytest.fixture
def base(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "scratch-base"
    monkeypatch.setenv(scratch.ROOT_ENV, str(folder))
    return folder


def test_scratch_folder_is_private_owned_and_listed(base: Path) -> None:
    folder = scratch.make("06")
    assert folder.parent == base
    assert folder.stat().st_mode & 0o777 == 0o700
    assert base.stat().st_mode & 0o077 == 0
    owner = scratch.owner_of(folder)
    assert (
        owner is not None and owner[resources.LABEL_SESSION] == resources.session_id()
    )
    assert [item.id for item in scratch.list_folders()] == [str(folder)]
    assert scratch.list_folders()[0].kind == scratch.KIND


def test_two_folders_of_one_session_never_meet(base: Path) -> None:
    assert scratch.make("06") != scratch.make("06")


def test_clean_removes_folders_with_their_files_and_reports_them(base: Path) -> None:
    folder = scratch.make("06")
    (folder / "src").mkdir()
    (folder / "src" / "app.sh").write_text("echo 1\n")
    dry = scratch.clean(dry_run=True)
    assert [r.item.id for r in dry] == [str(folder)] and folder.exists()
    done = scratch.clean()
    assert [(r.item.id, r.removed) for r in done] == [(str(folder), True)]
    assert not folder.exists()


def test_stale_only_keeps_live_sessions_folders(base: Path) -> None:
    live = scratch.make("06")
    dead = scratch.make("06")
    owner = json.loads((dead / scratch.OWNER_FILE).read_text())
    owner[resources.LABEL_PID] = "999999999"  # no such process
    (dead / scratch.OWNER_FILE).write_text(json.dumps(owner))
    removed = scratch.clean(stale_only=True)
    assert [r.item.id for r in removed] == [str(dead)]
    assert live.exists() and not dead.exists()


def test_a_folder_without_owner_file_is_not_the_courses(base: Path) -> None:
    base.mkdir(mode=0o700)
    (base / "mine").mkdir()
    assert scratch.list_folders() == []
    assert scratch.clean() == []
    assert (base / "mine").exists()


def test_a_base_folder_others_can_enter_is_made_private(base: Path) -> None:
    base.mkdir(mode=0o755)
    base.chmod(0o755)
    scratch.make("06")
    assert base.stat().st_mode & 0o077 == 0


def test_session_clean_removes_its_scratch_folder(base: Path) -> None:
    course = Session(chapter="06", mode="recorded", lang="en")
    folder = course.scratch
    (folder / "backup").mkdir()
    removed = course.clean()
    assert [(r.item.kind, r.removed) for r in removed] == [(scratch.KIND, True)]
    assert not folder.exists()


def test_names_carry_the_session_tag() -> None:
    a = Session(chapter="06", mode="recorded", lang="en")
    b = Session(chapter="06", mode="recorded", lang="en")
    assert a.name("myvolume") != b.name("myvolume")
    assert a.name("myvolume") == f"dockcourse-06-myvolume-{a.tag}"
    assert vol.is_valid_name(a.name("ex-reader"))
    assert a.image_name("committed") == f"dockcourse/ch06-committed:{a.tag}"


def test_recordings_hold_tokens_and_replay_with_this_session(base: Path) -> None:
    a = Session(chapter="06", mode="recorded", lang="en")
    b = Session(chapter="06", mode="recorded", lang="en")
    line = (
        f"docker run -v {a.name('v')}:/data -v {a.scratch}/src:/src {a.image_name('c')}"
    )
    recorded = a._to_record({"line": line, "more": [line]})
    assert a.tag not in json.dumps(recorded) and str(a.scratch) not in json.dumps(
        recorded
    )
    assert TAG_TOKEN in recorded["line"] and SCRATCH_TOKEN in recorded["line"]
    replayed = b._from_record(recorded)
    assert replayed["line"] == (
        f"docker run -v {b.name('v')}:/data -v {b.scratch}/src:/src {b.image_name('c')}"
    )
    assert replayed["more"] == [replayed["line"]]


def test_a_hex_run_that_is_not_the_tag_stays() -> None:
    a = Session(chapter="06", mode="recorded", lang="en")
    text = f"sha256:{a.tag}ff00 id={a.tag}"
    assert a._to_record(text) == text


def test_mount_options_are_sorted_into_volumes_and_binds() -> None:
    from docker.types import Mount

    options = {
        "volumes": {"named": {"bind": "/data"}, "/abs/src": {"bind": "/src"}},
        "mounts": [
            Mount("/m", "other", type="volume"),
            Mount("/b", "/host", type="bind"),
            Mount("/anon", None, type="volume"),
        ],
    }
    assert named_volumes(options) == ["named", "other"]
    assert bind_sources(options) == ["/abs/src", "/host"]
    assert named_volumes({"volumes": ["vol:/data:ro", "/h:/x"]}) == ["vol"]
    assert bind_sources({"volumes": ["vol:/data:ro", "/h:/x"]}) == ["/h"]


def test_mountpoint_view_says_what_it_found(tmp_path: Path) -> None:
    (tmp_path / "hello.txt").write_text("hello\n")
    seen = vol.mountpoint_view(str(tmp_path), True)
    assert seen["state"] == "open" and seen["files"] == ["hello.txt"]
    assert "hello.txt" in vol.describe_mountpoint(seen)
    elsewhere = vol.mountpoint_view(str(tmp_path), False)
    assert elsewhere["state"] == "elsewhere"
    hidden = vol.mountpoint_view(str(tmp_path / "nope"), True)
    assert hidden["state"] == "hidden"


def test_mountpoint_view_names_the_folder_only_root_may_enter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(path: str) -> list[str]:
        raise PermissionError(13, "Permission denied", path)

    monkeypatch.setattr(vol.mountpoint.os, "listdir", refuse)
    monkeypatch.setattr(
        vol.mountpoint.os, "access", lambda p, mode: not str(p).endswith("locked")
    )
    target = tmp_path / "locked" / "volumes" / "v" / "_data"
    target.mkdir(parents=True)
    seen = vol.mountpoint_view(str(target), True)
    assert seen["state"] == "root_only"
    assert seen["locked"] == str(tmp_path / "locked")
    assert str(tmp_path / "locked") in vol.describe_mountpoint(seen)


@pytest.mark.parametrize("lang", ["en", "ja"])
@pytest.mark.parametrize("state", ["open", "root_only", "elsewhere", "hidden", "odd"])
def test_every_mountpoint_state_reads_in_both_languages(lang: str, state: str) -> None:
    set_language(lang)
    text = vol.describe_mountpoint(
        {"state": state, "path": "/p/_data", "user": "u", "locked": "/p", "files": []}
    )
    assert "/p" in text and "{" not in text


def test_private_dir_refuses_a_folder_of_someone_else(tmp_path: Path) -> None:
    link = tmp_path / "link"
    link.symlink_to(tmp_path)
    assert scratch._private_dir(link) is None
    assert scratch._private_dir(tmp_path / "fresh") == tmp_path / "fresh"
    assert os.stat(tmp_path / "fresh").st_mode & 0o777 == 0o700
