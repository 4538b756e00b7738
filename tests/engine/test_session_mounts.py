"""What a chapter mounts, on the real engine: a named volume only if the course made it
(never one the engine would create on the fly), bind mounts of the session's scratch
folder only where the engine sees it, and two sessions running chapter 06 at once."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dockcourse import scratch
from dockcourse.resources import new_name
from dockcourse.session import Session, VolumeRefused, setup

pytestmark = pytest.mark.engine
CHAPTER = "06-test"


@pytest.fixture
def course(
    client: Any, image_ref: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Session]:
    monkeypatch.setenv(scratch.ROOT_ENV, str(tmp_path / "scratch"))
    session = setup(CHAPTER, mode="live", quiet=True)
    assert session.live
    yield session
    session.clean()


def _exists(client: Any, name: str) -> bool:
    import docker.errors

    try:
        client.api.inspect_volume(name)
    except docker.errors.NotFound:
        return False
    return True


def test_a_missing_volume_is_refused_and_not_created(
    client: Any, course: Session
) -> None:
    name = course.name("never-made")
    for action in (
        lambda: course.run("true", volumes={name: {"bind": "/data"}}),
        lambda: course.start(
            ["sleep", "5"], name=course.name("c"), volumes=[f"{name}:/d"]
        ),
    ):
        with pytest.raises(VolumeRefused, match=name):
            action()
        assert not _exists(client, name)


def test_a_volume_without_the_course_label_is_refused(
    client: Any, course: Session
) -> None:
    name = new_name(CHAPTER, "unlabelled")
    client.api.create_volume(name)  # made here, without labels: a learner's volume
    try:
        with pytest.raises(VolumeRefused, match="not the course"):
            course.run("true", volumes={name: {"bind": "/data"}})
        assert (client.api.inspect_volume(name).get("Labels") or {}) == {}
    finally:
        client.api.remove_volume(name)


def test_a_course_volume_is_mounted(client: Any, course: Session) -> None:
    from dockcourse import volumes as vol

    name = course.name("mine")
    vol.create_volume(client, name, chapter=CHAPTER)
    result = course.run(
        "echo hi > /data/f && cat /data/f", volumes={name: {"bind": "/data"}}
    )
    assert (result.exit_code, result.output) == (0, "hi\n")


def test_bind_mount_of_the_scratch_folder_reaches_it_when_the_probe_says_so(
    course: Session,
) -> None:
    sees = course.engine_sees_files()
    result = course.run(
        "echo built > /s/out.txt", volumes={str(course.scratch): {"bind": "/s"}}
    )
    assert (course.scratch / "out.txt").exists() == sees
    if sees:
        assert result.exit_code == 0


def test_session_clean_removes_the_scratch_folder_it_reports(course: Session) -> None:
    folder = course.scratch
    (folder / "backup").mkdir()
    removed = course.clean()
    assert (scratch.KIND, str(folder), True) in [
        (r.item.kind, r.item.id, r.removed) for r in removed
    ]
    assert not folder.exists()


_CHILD = textwrap.dedent(
    """
    import json, sys, time
    from dockcourse import setup
    from dockcourse import volumes as vol
    course = setup("06", mode="live", quiet=True)
    name = course.name("myvolume")
    vol.create_volume(course.require_client(), name)
    src = course.scratch / "src"
    src.mkdir()
    (src / "app.sh").write_text("echo app\\n")
    time.sleep(1.0)
    data = course.run("echo hello > /data/h && cat /data/h", show=False,
                      volumes={name: {"bind": "/data"}})
    app = course.run("sh /src/app.sh", show=False,
                     volumes={str(src): {"bind": "/src"}})
    folder = str(course.scratch)
    removed = course.clean()
    print(json.dumps({"name": name, "data": data.output, "app": app.output,
                      "sees": course.engine_sees_files(), "folder": folder,
                      "removed": [r.item.name for r in removed if r.removed]}))
    """
)


def test_two_sessions_run_chapter_06_at_the_same_time(
    client: Any, tmp_path: Path
) -> None:
    env = {**os.environ, scratch.ROOT_ENV: str(tmp_path / "scratch")}
    children = [
        subprocess.Popen(
            [sys.executable, "-c", _CHILD],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(2)
    ]
    found = []
    for child in children:
        out, err = child.communicate(timeout=120)
        assert child.returncode == 0, err[-2000:]
        found.append(json.loads(out.strip().splitlines()[-1]))
    assert found[0]["name"] != found[1]["name"]
    assert found[0]["folder"] != found[1]["folder"]
    for one in found:
        assert one["data"] == "hello\n"
        assert one["app"] == "app\n" or not one["sees"]
        assert one["name"] in one["removed"]
        assert not _exists(client, one["name"])
        assert not Path(one["folder"]).exists()


@pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("unshare") is None,
    reason="a private mount namespace (an engine that cannot see the files) needs root",
)
def test_an_engine_that_cannot_see_the_files_gets_no_bind_and_says_so(
    client: Any, tmp_path: Path
) -> None:
    """The scratch folder sits on a tmpfs mounted in this process's own mount namespace:
    the engine looks for it at the same path and finds nothing (as with an engine in a
    VM). The bind-mount cell shows the recorded result; nothing is made there."""
    hidden = tmp_path / "hidden"
    hidden.mkdir()
    hidden.chmod(0o755)
    child = textwrap.dedent(
        """
        import json
        from dockcourse import setup
        course = setup("06", mode="live", quiet=True)
        src = course.scratch / "src"
        src.mkdir()
        (src / "app.sh").write_text("echo app version 1\\n")
        sees = course.engine_sees_files()
        course.run("sh /src/app.sh", volumes={str(src): {"bind": "/src"}})
        print(json.dumps({"sees": sees, "folder": str(course.scratch)}))
        course.clean()
        """
    )
    script = tmp_path / "child.py"
    script.write_text(child)
    done = subprocess.run(
        [
            "unshare", "-m", "--propagation", "private", "sh", "-c",
            f'mount -t tmpfs tmpfs "{hidden}" && exec "$0" "$1"',
            sys.executable, str(script),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, scratch.ROOT_ENV: str(hidden / "scratch")},
    )  # fmt: skip
    if done.returncode != 0 and "mount" in done.stderr and "permission" in done.stderr:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()[:200]}")
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(
        [line for line in done.stdout.splitlines() if line.startswith("{")][-1]
    )
    assert report["sees"] is False
    assert "was not run" in done.stdout
    assert list(hidden.iterdir()) == []  # the engine made no folder of that name here


def test_dockcourse_clean_lists_the_scratch_folders(
    client: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    """``dockcourse clean --dry-run`` reports this user's scratch folders with the
    engine's resources (removing them is ``scratch.clean``, tested without an engine;
    a real ``dockcourse clean`` here would also remove other sessions' resources)."""
    from dockcourse.cli import main

    monkeypatch.setenv(scratch.ROOT_ENV, str(tmp_path / "scratch"))
    folders = [scratch.make(CHAPTER), scratch.make(CHAPTER)]
    main(["clean", "--dry-run", "--live-too"])  # this test's session is still running
    listed = capsys.readouterr().out
    for folder in folders:
        assert f"would remove folder    {folder}" in listed
        assert folder.exists()
