"""Chapter 06's checks pass on a correct answer and fail, with a hint, on wrong ones."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import pytest

from dockcourse import volumes as vol
from dockcourse.checks import ch06
from dockcourse.resources import clean_chapter, course_container

pytestmark = pytest.mark.engine
CHAPTER = "06-test-checks"


@pytest.fixture
def names(client: Any) -> Iterator[tuple[str, str]]:
    """A volume name and a container name of this test only; removed afterwards."""
    tag = secrets.token_hex(3)
    yield f"dockcourse-06-test-ex-{tag}", f"dockcourse-06-test-reader-{tag}"
    clean_chapter(client, CHAPTER)


def _write(client: Any, image_ref: str, volume: str, command: str) -> None:
    used = vol.use_volume(client, image_ref, volume, command, chapter=CHAPTER)
    assert used.exit_code == 0, used.output


def test_volume_passes_on_a_correct_answer(
    client: Any, image_ref: str, names: Any
) -> None:
    volume, _ = names
    vol.create_volume(client, volume, chapter=CHAPTER)
    _write(client, image_ref, volume, "echo hello > hello.txt")
    verdict = ch06.inspect_volume_holds(client, volume, image_ref=image_ref)
    assert verdict.passed, verdict
    assert volume in verdict.detail and "course.clean" not in verdict.detail


def test_volume_fails_when_missing_empty_or_wrong(
    client: Any, image_ref: str, names: Any
) -> None:
    volume, _ = names
    verdict = ch06.inspect_volume_holds(client, volume, image_ref=image_ref)
    assert not verdict and "no volume" in verdict.detail
    assert f"docker volume create {volume}" in verdict.hint
    vol.create_volume(client, volume, chapter=CHAPTER)
    verdict = ch06.inspect_volume_holds(client, volume, image_ref=image_ref)
    assert not verdict and "no /data/hello.txt" in verdict.detail
    assert "echo hello > /data/hello.txt" in verdict.hint
    _write(client, image_ref, volume, "echo hi there > hello.txt")
    verdict = ch06.inspect_volume_holds(client, volume, image_ref=image_ref)
    assert not verdict and "'hi there'" in verdict.detail and "hello" in verdict.hint


def test_a_volume_without_the_course_label_passes_with_a_note(
    client: Any, image_ref: str, names: Any
) -> None:
    volume, _ = names
    client.api.create_volume(volume)  # as `docker volume create` would: unlabelled
    try:
        with course_container(
            client,
            image_ref,
            ["sh", "-c", "echo hello > /data/hello.txt"],
            chapter=CHAPTER,
            volumes={volume: {"bind": "/data", "mode": "rw"}},
        ) as box:
            box.start()
            assert box.wait(timeout=20)["StatusCode"] == 0
        verdict = ch06.inspect_volume_holds(client, volume, image_ref=image_ref)
        assert verdict.passed and f"docker volume rm {volume}" in verdict.detail
    finally:
        client.api.remove_volume(volume)


def _reader(client: Any, image_ref: str, name: str, volumes: dict[str, Any]) -> Any:
    return course_container(
        client, image_ref, ["sleep", "30"], chapter=CHAPTER, name=name, volumes=volumes
    )


def test_reader_passes_on_a_read_only_mount(
    client: Any, image_ref: str, names: Any
) -> None:
    volume, reader = names
    vol.create_volume(client, volume, chapter=CHAPTER)
    with _reader(client, image_ref, reader, {volume: {"bind": "/data", "mode": "ro"}}):
        verdict = ch06.inspect_reader(client, reader, volume)
        assert verdict.passed, verdict
        assert "/data" in verdict.detail and "read-only" in verdict.detail


def test_reader_fails_when_missing_writable_or_elsewhere(
    client: Any, image_ref: str, names: Any
) -> None:
    volume, reader = names
    verdict = ch06.inspect_reader(client, reader, volume)
    assert not verdict and "no container" in verdict.detail and reader in verdict.hint
    vol.create_volume(client, volume, chapter=CHAPTER)
    with _reader(client, image_ref, reader, {volume: {"bind": "/data", "mode": "rw"}}):
        verdict = ch06.inspect_reader(client, reader, volume)
        assert not verdict and "read-write" in verdict.detail
        assert f"{volume}:/data:ro" in verdict.hint
    with _reader(client, image_ref, reader, {}):
        verdict = ch06.inspect_reader(client, reader, volume)
        assert not verdict and "does not mount" in verdict.detail
        assert "nothing" in verdict.detail and "created" in verdict.hint


def test_shell_volume_passes_on_a_note_and_fails_with_a_hint(
    client: Any, image_ref: str, names: Any
) -> None:
    volume, _ = names
    verdict = ch06.inspect_shell_volume(client, volume, image_ref=image_ref)
    assert not verdict and "no volume" in verdict.detail
    assert "docker run -it" in verdict.hint
    vol.create_volume(client, volume, chapter=CHAPTER)
    verdict = ch06.inspect_shell_volume(client, volume, image_ref=image_ref)
    assert not verdict and "/data/note.txt" in verdict.detail
    assert "hostname > /data/note.txt" in verdict.hint
    _write(client, image_ref, volume, ": > note.txt")
    verdict = ch06.inspect_shell_volume(client, volume, image_ref=image_ref)
    assert not verdict and "empty" in verdict.detail
    _write(client, image_ref, volume, "hostname > note.txt")
    verdict = ch06.inspect_shell_volume(client, volume, image_ref=image_ref)
    assert verdict.passed, verdict
    assert "course.clean() removes it" in verdict.detail  # a course volume (%docker)
