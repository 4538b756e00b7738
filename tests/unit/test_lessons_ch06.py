"""Chapter 06's lesson display: data in, text out, true for what ran (no engine)."""

from __future__ import annotations

from typing import Any

import pytest

from dockcourse import transcripts
from dockcourse.lessons import ch06
from dockcourse.session import Session
from dockcourse.text import set_language


def _owner(uid: int, me: int) -> dict[str, Any]:
    return {
        "name": "out.txt",
        "uid": uid,
        "gid": uid,
        "mode": "-rw-r--r--",
        "me": me,
        "can_write": uid == me,
        "rootless": False,
    }


@pytest.mark.parametrize(
    ("uid", "me", "says", "not_says"),
    [
        (0, 1000, "belongs to root (uid 0), not to you", "rootless is safer"),
        (0, 0, "so does this notebook (uid 0)", "rootless is safer"),
        (1000, 1000, "rootless is safer", "belongs to root"),
        (100000, 1000, "userns-remap", "belongs to root"),
    ],
)
def test_the_owner_note_says_what_ran(
    uid: int, me: int, says: str, not_says: str
) -> None:
    note = ch06.owner_note(_owner(uid, me))
    assert f"-rw-r--r-- {uid} {uid} out.txt" in note.splitlines()[0]
    assert says in note and not_says not in note


@pytest.mark.parametrize("uid", [0, 1000, 100000])
def test_the_owner_note_reads_in_japanese(uid: int) -> None:
    set_language("ja")
    note = ch06.owner_note(_owner(uid, 1000))
    assert "所有者" in note and "root" in note


def test_the_terminal_steps_give_the_exact_lines() -> None:
    course = Session("06", "recorded", "en", image_ref="dockcourse/busybox:1")
    volume = course.name("shell")
    steps = ch06.terminal_steps(course, volume)
    assert f"docker run -it --rm -v {volume}:/data dockcourse/busybox:1 sh" in steps
    assert "hostname > /data/note.txt" in steps and "exit" in steps
    assert f"docker volume rm {volume}" in steps
    assert "myvolume" not in steps  # never the learner's own name


def test_displays_render_recorded_data() -> None:
    found = {
        "volume": "v",
        "path": "/",
        "image": "img:1",
        "entries": [["hello.txt", "file", 6]],
    }
    listing = ch06.browse_listing(found).splitlines()
    assert listing[0].startswith("$ docker run --rm") and "v:/data:ro" in listing[0]
    assert listing[1].split() == ["hello.txt", "file", "6", "B"]
    done = {"volume": "v", "restored": "r", "tar": "/s/b.tar", "image": "img:1"}
    commands = ch06.backup_commands(done)
    assert "docker cp helper:/tmp/backup.tar /s/b.tar" in commands
    assert "docker volume create" in commands and commands.rstrip().endswith(
        "rm helper"
    )


def test_a_step_key_holds_no_session_tag(monkeypatch: pytest.MonkeyPatch) -> None:
    """A recording made by one session replays in another: the key of a step called
    with ``course.name(...)`` carries a token, not the session's tag."""
    asked: list[str] = []

    def recall_value(chapter: str, key: str, *, live: bool = False) -> dict[str, Any]:
        asked.append(key)
        return {}

    monkeypatch.setattr(transcripts, "recall_value", recall_value)
    course = Session("06", "recorded", "en")
    ch06.browse(course, course.name("myvolume"))
    assert asked == ['browse("dockcourse-06-myvolume-{session-tag}")']
