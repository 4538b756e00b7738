"""Faults under a learner's hands, on the real engine: a helper container that will not
stop, a Ctrl-C in the middle of a backup or restore, a full disk. Each ends with a
catalogue sentence that says what was left, and leaves nothing half-made behind."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dockcourse import volumes as vol
from dockcourse.resources import LABEL_CHAPTER, LABEL_COURSE, LABEL_SESSION, session_id
from dockcourse.text import t

pytestmark = pytest.mark.engine
CHAPTER = "06-fault"


def _helpers(client: Any) -> list[str]:
    """This session's containers of this test chapter (helpers must all be gone)."""
    flt = {"label": [f"{LABEL_COURSE}=true", f"{LABEL_SESSION}={session_id()}",
                     f"{LABEL_CHAPTER}={CHAPTER}"]}  # fmt: skip
    return [c["Names"][0] for c in client.api.containers(all=True, filters=flt)]


@pytest.fixture
def volume(client: Any, image_ref: str) -> Iterator[str]:
    name = vol.create_volume(client, chapter=CHAPTER).volume.name
    yield name
    with contextlib.suppress(Exception):
        client.api.remove_volume(name)
    assert _helpers(client) == []


def test_a_helper_that_ignores_term_is_killed_and_the_learner_told(
    client: Any, image_ref: str, volume: str
) -> None:
    stubborn = "trap '' TERM INT; while :; do sleep 1; done"
    start = time.monotonic()
    with pytest.raises(vol.HelperFailed) as info:
        vol.use_volume(client, image_ref, volume, stubborn, timeout_s=3,
                       chapter=CHAPTER)  # fmt: skip
    took = time.monotonic() - start
    assert info.value.message == t("volumes.err.timeout", seconds="3")
    assert _helpers(client) == []  # killed and removed, not left running
    assert took < 3 + 10  # killed: not waited out


def _fill(client: Any, image_ref: str, volume: str, mib: int) -> None:
    done = vol.use_volume(
        client, image_ref, volume,
        f"dd if=/dev/zero of=big bs=1024 count={mib * 1024} 2>/dev/null; echo ok > a.txt",
        chapter=CHAPTER,
    )  # fmt: skip
    assert done.exit_code == 0, done.output


def test_ctrl_c_during_a_backup_leaves_no_tar(
    client: Any, image_ref: str, volume: str, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    _fill(client, image_ref, volume, 4)
    real = vol.backups._StreamReader.readinto
    calls = {"n": 0}

    def interrupted(self: Any, buffer: Any) -> int:
        calls["n"] += 1
        if calls["n"] == 3:  # some of the tar is on disk by now
            raise KeyboardInterrupt
        return real(self, buffer)

    monkeypatch.setattr(vol.backups._StreamReader, "readinto", interrupted)
    target = tmp_path / "b.tar"
    with pytest.raises(vol.Interrupted) as info:
        vol.backup(client, image_ref, volume, target, chapter=CHAPTER)
    assert calls["n"] >= 3  # the interrupt landed mid-transfer
    assert info.value.message == t(
        "volumes.err.backup_interrupted", name=volume, path=target
    )
    assert list(tmp_path.iterdir()) == []  # no tar, no .part
    assert _helpers(client) == []


def test_ctrl_c_during_a_restore_says_what_the_volume_holds(
    client: Any, image_ref: str, volume: str, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    _fill(client, image_ref, volume, 1)
    backup = vol.backup(client, image_ref, volume, tmp_path / "b.tar", chapter=CHAPTER)
    real = vol.backups._start_and_wait

    def interrupted(client: Any, container: Any, timeout_s: float) -> None:
        container.start()
        raise KeyboardInterrupt  # while tar unpacks

    monkeypatch.setattr(vol.backups, "_start_and_wait", interrupted)
    with pytest.raises(vol.Interrupted) as info:
        vol.restore(client, image_ref, volume, backup.path, chapter=CHAPTER)
    assert info.value.message == t("volumes.err.restore_interrupted", name=volume)
    assert _helpers(client) == []
    monkeypatch.setattr(vol.backups, "_start_and_wait", real)
    vol.restore(client, image_ref, volume, backup.path, chapter=CHAPTER)  # completes
    again = vol.use_volume(client, image_ref, volume, "cat a.txt", chapter=CHAPTER)
    assert again.output.strip() == "ok"


@pytest.fixture
def tiny_folder(tmp_path: Path) -> Iterator[Path]:
    """A 256 KiB file system (tmpfs) to back up into: it fills up."""
    folder = tmp_path / "tiny"
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(folder)],
        capture_output=True, check=False,
    )  # fmt: skip
    if mounted.returncode != 0 or not shutil.which("umount"):
        pytest.skip(f"cannot mount a tiny tmpfs here: {mounted.stderr!r}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=False)


def test_a_full_disk_during_a_backup_is_said_and_leaves_nothing(
    client: Any, image_ref: str, volume: str, tiny_folder: Path
) -> None:
    _fill(client, image_ref, volume, 1)
    target = tiny_folder / "b.tar"
    with pytest.raises(vol.HelperFailed) as info:
        vol.backup(client, image_ref, volume, target, chapter=CHAPTER)
    import errno
    import os

    assert info.value.message == t(
        "volumes.err.write_failed", path=target, error=os.strerror(errno.ENOSPC)
    )
    assert list(tiny_folder.iterdir()) == []


def test_a_full_tmpfs_volume_is_refused_with_the_engines_words(
    client: Any, image_ref: str, tmp_path: Path
) -> None:
    """A volume quota (tmpfs size=) reached by a restore: a clear message, helper gone."""
    source = vol.create_volume(client, chapter=CHAPTER).volume.name
    small = vol.create_volume(
        client, driver_opts={"type": "tmpfs", "device": "tmpfs", "o": "size=256k"},
        image_ref=image_ref, chapter=CHAPTER,
    ).volume.name  # fmt: skip
    try:
        _fill(client, image_ref, source, 1)
        backup = vol.backup(client, image_ref, source, tmp_path / "s.tar",
                            chapter=CHAPTER)  # fmt: skip
        with pytest.raises(vol.HelperFailed) as info:
            vol.restore(client, image_ref, small, backup.path, chapter=CHAPTER)
        prefix = t("volumes.err.helper", output="@").partition("@")[0]
        assert info.value.message.startswith(prefix)
        assert "space" in info.value.message.lower()  # the engine's (tar's) reason
        assert _helpers(client) == []
    finally:
        for name in (source, small):
            with contextlib.suppress(Exception):
                client.api.remove_volume(name)
