"""dockcourse.volumes against the real engine: every action, its refusals, and that no
helper container survives any of them."""

from __future__ import annotations

import shlex
import subprocess
import tarfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import pytest

from dockcourse import volumes as vol
from dockcourse.resources import (
    LABEL_CHAPTER,
    LABEL_COURSE,
    LABEL_SESSION,
    course_container,
    new_name,
    session_id,
)

pytestmark = pytest.mark.engine
CHAPTER = "06-test"
HOLDER_CHAPTER = "06-holder"


def _exists(client: Any, name: str) -> bool:
    import docker.errors

    try:
        client.api.inspect_volume(name)
    except docker.errors.NotFound:
        return False
    return True


@pytest.fixture(autouse=True)
def no_helper_survives(client: Any) -> Iterator[None]:
    """After every test, no container of this session's helpers is left."""
    yield
    flt = {"label": [f"{LABEL_SESSION}={session_id()}", f"{LABEL_CHAPTER}={CHAPTER}"]}
    left = client.api.containers(all=True, filters=flt)
    assert left == [], f"helper containers survived: {[c['Names'] for c in left]}"


@pytest.fixture
def made(client: Any) -> Iterator[list[str]]:
    """Names of volumes a test made (course-made or not); removed at the end."""
    names: list[str] = []
    yield names
    for name in names:
        with suppress(Exception):
            client.api.remove_volume(name, force=True)


@pytest.fixture
def new_volume(client: Any, made: list[str]) -> Callable[..., str]:
    def make(**kwargs: Any) -> str:
        created = vol.create_volume(client, chapter=CHAPTER, **kwargs)
        made.append(created.volume.name)
        return created.volume.name

    return make


@contextmanager
def holder(
    client: Any, image_ref: str, volume: str, *, ro: bool = False
) -> Iterator[Any]:
    """A running container that mounts ``volume`` at /srv (removed at the end)."""
    mode = "ro" if ro else "rw"
    with course_container(
        client, image_ref, ["sleep", "60"], chapter=HOLDER_CHAPTER,
        volumes={volume: {"bind": "/srv", "mode": mode}}, network_disabled=True,
    ) as container:  # fmt: skip
        container.start()
        yield container


def _cli(*args: str) -> str:
    done = subprocess.run(
        ["docker", *args], capture_output=True, text=True, timeout=30, check=True
    )
    return done.stdout


def test_create_labels_list_and_cli_agree(
    client: Any, new_volume: Callable[..., str]
) -> None:
    name = new_volume(name=new_name(CHAPTER, "mine"), labels="project=demo\nflag")
    attrs = client.api.inspect_volume(name)
    assert attrs["Labels"][LABEL_COURSE] == "true"
    assert attrs["Labels"]["project"] == "demo" and attrs["Labels"]["flag"] == ""
    assert name in _cli("volume", "ls", "-q").split()
    listed = {r.name: r for r in vol.list_volumes(client).volumes}
    assert listed[name].course_made and not listed[name].in_use
    assert name in {r.name for r in vol.list_volumes(client, "course").volumes}
    assert name in {r.name for r in vol.list_volumes(client, "unused").volumes}
    assert name not in {r.name for r in vol.list_volumes(client, "in_use").volumes}


def test_empty_name_gets_a_course_name(
    client: Any, new_volume: Callable[..., str]
) -> None:
    name = new_volume(name="")
    assert name.startswith("dockcourse-") and _exists(client, name)


def test_a_volume_made_with_the_cli_is_listed(client: Any, made: list[str]) -> None:
    name = new_name(CHAPTER, "cli")
    made.append(name)
    assert name not in {r.name for r in vol.list_volumes(client).volumes}
    _cli("volume", "create", name)
    row = {r.name: r for r in vol.list_volumes(client).volumes}[name]
    assert not row.course_made  # made by hand: the learner's
    engine_says = client.api.inspect_volume(name)
    assert (row.driver, row.mountpoint) == (
        engine_says["Driver"], engine_says["Mountpoint"])  # fmt: skip


def test_invalid_names_are_refused_before_the_engine(client: Any) -> None:
    for name in ("-x", "a", "my vol", "a/b"):
        with pytest.raises(vol.InvalidName):
            vol.create_volume(client, name, chapter=CHAPTER)
        assert not _exists(client, name.strip())


def test_existing_names_are_never_adopted(
    client: Any, learner: Any, new_volume: Callable[..., str]
) -> None:
    before = client.api.inspect_volume(learner.volume)
    with pytest.raises(vol.VolumeExists) as info:
        vol.create_volume(client, learner.volume, chapter=CHAPTER)
    assert "yours" in info.value.message
    assert client.api.inspect_volume(learner.volume) == before  # not relabelled
    ours = new_volume()
    with pytest.raises(vol.VolumeExists) as info:
        vol.create_volume(client, ours, chapter=CHAPTER)
    assert "made by the course" in info.value.message


def test_bad_driver_options_leave_no_volume(client: Any, image_ref: str) -> None:
    name = new_name(CHAPTER, "bad")
    with pytest.raises(vol.InvalidSpec) as info:
        vol.create_volume(client, name, driver_opts="foo=bar", image_ref=image_ref,
                          chapter=CHAPTER)  # fmt: skip
    assert "foo" in info.value.message and not _exists(client, name)
    bogus = "type=tmpfs\ndevice=tmpfs\no=nonsense=1"
    with pytest.raises(vol.InvalidSpec) as info:
        vol.create_volume(client, name, driver_opts=bogus, image_ref=image_ref,
                          chapter=CHAPTER)  # fmt: skip
    assert "cannot be mounted" in info.value.message and not _exists(client, name)
    with pytest.raises(vol.InvalidSpec):
        vol.create_volume(client, name, labels=f"{LABEL_COURSE}=false", chapter=CHAPTER)
    assert not _exists(client, name)


def test_tmpfs_preset_keeps_nothing_between_containers(
    client: Any, image_ref: str, new_volume: Callable[..., str]
) -> None:
    name = new_volume(driver_opts=vol.TMPFS_PRESET, image_ref=image_ref)
    assert client.api.inspect_volume(name)["Options"] == vol.TMPFS_PRESET
    wrote = vol.use_volume(client, image_ref, name, "echo x > a && grep tmpfs /proc/mounts",
                           chapter=CHAPTER)  # fmt: skip
    assert wrote.exit_code == 0 and "/data" in wrote.output
    assert vol.browse(client, image_ref, name, chapter=CHAPTER).entries == ()
    assert vol.volume_sizes(client).size_bytes.get(name, None) is None  # "unknown"


def test_data_outlives_the_container(
    client: Any, image_ref: str, new_volume: Callable[..., str]
) -> None:
    name = new_volume()
    used = vol.use_volume(client, image_ref, name,
                          "echo hello > hello.txt && mkdir -p notes && echo n > notes/a",
                          chapter=CHAPTER)  # fmt: skip
    assert used.exit_code == 0
    assert f"-v {name}:/data" in used.command and "docker run --rm" in used.command
    again = vol.use_volume(client, image_ref, name, "cat hello.txt", chapter=CHAPTER)
    assert again.output == "hello\n"
    browsed = vol.browse(client, image_ref, name, "/", chapter=CHAPTER)
    assert [(e.name, e.kind, e.size_bytes) for e in browsed.entries][1] == (
        "hello.txt", "file", 6)  # fmt: skip
    assert browsed.entries[0].name == "notes" and browsed.entries[0].kind == "dir"
    assert f"{name}:/data:ro" in browsed.command
    sub = vol.browse(client, image_ref, name, "notes/../notes", chapter=CHAPTER)
    assert sub.path == "/notes" and [e.name for e in sub.entries] == ["a"]
    shown = vol.preview(client, image_ref, name, "/hello.txt", chapter=CHAPTER)
    assert (shown.text, shown.truncated, shown.binary) == ("hello\n", False, False)
    failed = vol.use_volume(client, image_ref, name, "exit 3", chapter=CHAPTER)
    assert failed.exit_code == 3
    assert vol.volume_sizes(client).size_bytes[name] >= 8


def test_browse_and_preview_errors_and_big_files(
    client: Any, image_ref: str, new_volume: Callable[..., str]
) -> None:
    name = new_volume()
    vol.use_volume(client, image_ref, name,
                   "mkdir d && head -c 20000 /dev/zero | tr '\\0' a > big.txt "
                   "&& printf 'a\\0b' > bin", chapter=CHAPTER)  # fmt: skip
    with pytest.raises(vol.HelperFailed):
        vol.browse(client, image_ref, name, "/missing", chapter=CHAPTER)
    with pytest.raises(vol.HelperFailed):
        vol.preview(client, image_ref, name, "/d", chapter=CHAPTER)
    big = vol.preview(client, image_ref, name, "big.txt", chapter=CHAPTER)
    assert big.truncated and len(big.text) == vol.PREVIEW_MAX_BYTES
    assert vol.preview(client, image_ref, name, "bin", chapter=CHAPTER).binary
    with pytest.raises(vol.VolumeNotFound):
        vol.browse(client, image_ref, new_name(CHAPTER, "nope"), chapter=CHAPTER)


def test_backup_restore_round_trip(
    client: Any, image_ref: str, new_volume: Callable[..., str], tmp_path: Path
) -> None:
    name = new_volume()
    vol.use_volume(client, image_ref, name,
                   "echo one > one.txt && mkdir -p sub && echo two > sub/two.txt",
                   chapter=CHAPTER)  # fmt: skip
    target = tmp_path / "backup.tar"
    done = vol.backup(client, image_ref, name, target, chapter=CHAPTER)
    assert done.path == target and done.size_bytes == target.stat().st_size > 0
    with tarfile.open(target) as tar:
        assert {"./one.txt", "./sub/two.txt"} <= set(tar.getnames())
    assert "docker cp" in done.command and f"{name}:/data:ro" in done.command
    with pytest.raises(vol.VolumeError):  # never overwrites without being asked
        vol.backup(client, image_ref, name, target, chapter=CHAPTER)
    vol.use_volume(client, image_ref, name, "rm -rf ./* && echo keep > keep.txt",
                   chapter=CHAPTER)  # fmt: skip
    restored = vol.restore(client, image_ref, name, target, chapter=CHAPTER)
    assert "tar -xf /tmp/backup.tar -C /data" in restored.command
    out = vol.use_volume(client, image_ref, name, "cat one.txt sub/two.txt keep.txt",
                         chapter=CHAPTER)  # fmt: skip
    assert out.output == "one\ntwo\nkeep\n"
    not_tar = tmp_path / "x.txt"
    not_tar.write_text("no")
    with pytest.raises(vol.VolumeError):
        vol.restore(client, image_ref, name, not_tar, chapter=CHAPTER)


def test_clone_copies_and_leaves_the_source(
    client: Any, image_ref: str, learner: Any, new_volume: Callable[..., str],
    made: list[str],
) -> None:  # fmt: skip
    source = new_volume()
    vol.use_volume(client, image_ref, source, "echo a > a && mkdir s && echo b > s/b",
                   chapter=CHAPTER)  # fmt: skip
    target = new_name(CHAPTER, "clone")
    made.append(target)
    cloned = vol.clone(client, image_ref, source, target, chapter=CHAPTER)
    assert cloned.volume.name == target and cloned.volume.course_made
    out = vol.use_volume(client, image_ref, target, "cat a s/b", chapter=CHAPTER)
    assert out.output == "a\nb\n"
    assert f"-v {source}:/from:ro" in cloned.command
    with pytest.raises(vol.VolumeExists):
        vol.clone(client, image_ref, source, target, chapter=CHAPTER)
    # cloning reads the learner's volume: allowed, and it stays as it was
    before = client.api.inspect_volume(learner.volume)
    copy = vol.clone(client, image_ref, learner.volume, chapter=CHAPTER)
    made.append(copy.volume.name)
    assert client.api.inspect_volume(learner.volume) == before


def test_a_volume_in_use_is_not_removed_and_the_container_is_named(
    client: Any, image_ref: str, new_volume: Callable[..., str]
) -> None:
    name = new_volume()
    with holder(client, image_ref, name, ro=True) as container:
        row = {r.name: r for r in vol.list_volumes(client, "in_use").volumes}[name]
        (user,) = row.users
        assert (user.container_name, user.destination, user.read_only, user.state) == (
            container.name, "/srv", True, "running")  # fmt: skip
        with pytest.raises(vol.VolumeInUse) as info:
            vol.remove_volume(client, name)
        assert container.name in info.value.message
        assert info.value.users[0].container_name == container.name
        assert _exists(client, name)
        inspected = vol.inspect_volume(client, name)
        assert f"--filter volume={name}" in inspected.command
    removed = vol.remove_volume(client, name)
    assert removed.command == f"docker volume rm {name}" and not _exists(client, name)


def test_the_learners_volume_is_read_only_without_the_opt_in(
    client: Any, image_ref: str, learner: Any, made: list[str], tmp_path: Path
) -> None:
    name = learner.volume
    before = client.api.inspect_volume(name)
    with pytest.raises(vol.LearnerVolume):
        vol.use_volume(client, image_ref, name, "touch x", chapter=CHAPTER)
    with pytest.raises(vol.LearnerVolume):
        vol.remove_volume(client, name)
    backup = vol.backup(client, image_ref, name, tmp_path / "l.tar", chapter=CHAPTER)
    with pytest.raises(vol.LearnerVolume):
        vol.restore(client, image_ref, name, backup.path, chapter=CHAPTER)
    assert vol.browse(client, image_ref, name, chapter=CHAPTER).entries == ()
    assert vol.inspect_volume(client, name).details == before
    assert client.api.inspect_volume(name) == before
    # with the opt-in, an unlabelled volume (made here, for this test) can be changed
    own = new_name(CHAPTER, "own")
    client.api.create_volume(own)
    made.append(own)
    used = vol.use_volume(client, image_ref, own, "touch x && ls", allow_learner=True,
                          chapter=CHAPTER)  # fmt: skip
    assert used.output == "x\n"
    vol.remove_volume(client, own, allow_learner=True)
    assert not _exists(client, own)


def test_remove_unused_touches_course_volumes_only(
    client: Any, image_ref: str, learner: Any, new_volume: Callable[..., str],
    made: list[str],
) -> None:  # fmt: skip
    unused, busy = new_volume(), new_volume()
    plain = new_name(CHAPTER, "plain")
    client.api.create_volume(plain)
    made.append(plain)
    with holder(client, image_ref, busy):
        done = vol.remove_unused(client, session=session_id())
    assert unused in done.names and busy not in done.names
    assert not _exists(client, unused)
    assert _exists(client, busy) and _exists(client, plain)
    assert _exists(client, learner.volume)
    # the command shown lists the course's dangling volumes, then removes exactly those
    assert done.command.splitlines()[-1] == shlex.join(
        ["docker", "volume", "rm", *done.names])  # fmt: skip
    assert "label=io.dockcourse.course=true" in done.command
