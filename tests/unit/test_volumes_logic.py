"""Pure logic of dockcourse.volumes: names, labels, paths, commands, parsing (no daemon)."""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from dockcourse import volumes as vol
from dockcourse.resources import LABEL_COURSE
from dockcourse.text import catalogue

ROOT = Path(vol.__file__).resolve().parent.parent


@pytest.mark.parametrize(
    "name", ["myvolume", "a1", "My.Vol_1-x", "0data", "x" * vol.NAME_MAX, "a-", "a."]
)
def test_docker_accepts_these_names(name: str) -> None:
    assert vol.is_valid_name(name)
    vol.check_name(name)  # does not raise


@pytest.mark.parametrize(
    "name",
    ["a", "-x", ".x", "_x", "my vol", "vol/x", "a:b", "データ", "vol\n", "é1"],
)
def test_docker_refuses_these_names(name: str) -> None:
    assert not vol.is_valid_name(name)
    with pytest.raises(vol.InvalidName) as info:
        vol.check_name(name)
    assert repr(name) in info.value.message


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("", "volumes.err.empty_name"),
        ("x" * (vol.NAME_MAX + 1), "volumes.err.name_too_long"),
        ("x" * 300, "volumes.err.name_too_long"),
        ("0123456789abcdef" * 4, "volumes.err.reserved_name"),
    ],
)
def test_empty_long_and_reserved_names_are_refused_in_one_short_sentence(
    name: str, key: str
) -> None:
    from dockcourse.text import t

    assert not vol.is_valid_name(name)
    with pytest.raises(vol.InvalidName) as info:
        vol.check_name(name)
    short = vol.shorten(name)
    expected = t(key, name=short, length=len(name), max=vol.NAME_MAX)
    assert info.value.message == expected
    assert len(info.value.message) < 200  # never the whole name (three times)


def test_label_lines_parse_like_the_cli() -> None:
    text = "# comment\n\nproject=demo\nurl=http://x/?a=b\nflag\n  spaced = value  \n"
    assert vol.parse_pairs(text, what="label") == {
        "project": "demo",
        "url": "http://x/?a=b",
        "flag": "",
        "spaced": "value",
    }


def test_option_values_keep_their_commas() -> None:
    opts = vol.parse_pairs(
        "type=tmpfs\ndevice=tmpfs\no=size=64m,uid=1000", what="option"
    )
    assert opts == {"type": "tmpfs", "device": "tmpfs", "o": "size=64m,uid=1000"}


@pytest.mark.parametrize(
    ("text", "what", "needle"),
    [
        ("novalue", "option", "needs a value"),
        ("a=1\na=2", "label", "twice"),
        ("=x", "label", "empty"),
        ("my key=x", "option", "spaces"),
        (f"{LABEL_COURSE}=true", "label", "io.dockcourse."),
    ],
)
def test_bad_labels_and_options_are_refused(text: str, what: str, needle: str) -> None:
    with pytest.raises(vol.InvalidSpec) as info:
        vol.parse_pairs(text, what=what)
    assert needle in info.value.message


def test_a_mapping_is_checked_too() -> None:
    with pytest.raises(vol.InvalidSpec):
        vol.parse_pairs({"io.dockcourse.session": "x"}, what="label")
    assert vol.parse_pairs(None, what="label") == {}


@pytest.mark.parametrize(
    ("given", "inside"),
    [
        ("", "/"),
        ("/", "/"),
        ("a/b/", "/a/b"),
        ("//x", "/x"),
        ("../../etc/passwd", "/etc/passwd"),
        ("a/../../..", "/"),
        (" notes ", "/notes"),
    ],
)
def test_paths_never_leave_the_volume(given: str, inside: str) -> None:
    assert vol.volume_path(given) == inside
    assert vol.preview_argv(given)[-1] == "/data" + ("" if inside == "/" else inside)


def test_create_command_is_what_a_learner_would_type() -> None:
    command = vol.cli_create(
        "myvolume",
        user_labels={"project": "my demo", "flag": ""},
        driver_opts=vol.TMPFS_PRESET,
    )
    assert shlex.split(command, comments=True) == [
        "docker", "volume", "create",
        "--label", "project=my demo", "--label", "flag",
        "--label", f"{LABEL_COURSE}=true", "--label", "io.dockcourse.chapter=06",
        "--opt", "type=tmpfs", "--opt", "device=tmpfs", "--opt", "o=size=64m",
        "myvolume",
    ]  # fmt: skip


def test_ls_commands_per_filter() -> None:
    assert vol.cli_ls("all") == "docker volume ls"
    assert vol.cli_ls("in_use") == "docker volume ls --filter dangling=false"
    assert vol.cli_ls("unused") == "docker volume ls --filter dangling=true"
    assert (
        vol.cli_ls("course") == f"docker volume ls --filter label={LABEL_COURSE}=true"
    )


def test_run_commands_mount_at_data() -> None:
    use = vol.cli_use("img:1", "myvolume", "echo hi > a.txt")
    assert shlex.split(use, comments=True) == [
        "docker", "run", "--rm", "--network=none", "-v", "myvolume:/data",
        "--workdir=/data", "img:1", "sh", "-c", "echo hi > a.txt",
    ]  # fmt: skip
    assert "-v myvolume:/data:ro" in vol.cli_browse("img:1", "myvolume", "/sub")
    backup = vol.cli_backup("img:1", "myvolume", "out dir/b.tar").splitlines()
    assert backup[0].startswith("docker create --name=helper")
    assert backup[2] == "docker cp helper:/tmp/backup.tar 'out dir/b.tar'"
    assert backup[-1] == "docker rm helper"
    clone = vol.cli_clone("img:1", "src", "dst").splitlines()
    create = clone[0].partition("  #")[0]
    assert create.startswith("docker volume create") and create.endswith(" dst")
    assert "-v src:/from:ro -v dst:/to" in clone[1]


def _row(name: str, course: bool, users: int = 0) -> vol.VolumeRow:
    user = vol.VolumeUser("abc", "c1", "/data", False, "running")
    return vol.VolumeRow(
        name, "local", "", {LABEL_COURSE: "true"} if course else {}, "", "local", {},
        (user,) * users,
    )  # fmt: skip


def test_filters() -> None:
    rows = [_row("a", True, 1), _row("b", True), _row("c", False, 2), _row("d", False)]
    names = {w: [r.name for r in vol.filter_rows(rows, w)] for w in vol.FILTERS}
    assert names == {
        "all": ["a", "b", "c", "d"],
        "in_use": ["a", "c"],
        "unused": ["b", "d"],
        "course": ["a", "b"],
    }
    with pytest.raises(ValueError):
        vol.filter_rows(rows, "dangling")


def test_users_come_from_volume_mounts_only() -> None:
    containers = [
        {
            "Id": "0123456789abcdef",
            "Names": ["/web"],
            "State": "running",
            "Mounts": [
                {"Type": "volume", "Name": "data", "Destination": "/srv", "RW": False},
                {"Type": "bind", "Source": "/home/me", "Destination": "/src", "RW": True},
                {"Type": "tmpfs", "Destination": "/tmp"},
            ],
        },
        {"Id": "fedcba", "Names": ["/db"], "State": "exited", "Mounts": [
            {"Type": "volume", "Name": "data", "Destination": "/var/lib/db", "RW": True}
        ]},
        {"Id": "nomounts", "Names": ["/x"], "State": "created", "Mounts": None},
    ]  # fmt: skip
    found = vol.users_by_volume(containers)
    assert list(found) == ["data"]
    web, db = found["data"]
    assert (web.container_name, web.container_id, web.read_only) == (
        "web",
        "0123456789ab",
        True,
    )
    assert (db.container_name, db.state, db.read_only) == ("db", "exited", False)
    text = vol.describe_users(found["data"])
    assert "web (running) at /srv, ro" in text and "db (exited)" in text


def test_stat_lines_become_entries() -> None:
    output = (
        "regular file|6|1700000000|/data/sub/hello.txt\n"
        "directory|4096|1700000001|/data/sub/notes\n"
        "regular empty file|0|1700000002|/data/sub/a|b.txt\n"
        "symbolic link|11|1700000003|/data/sub/link\n"
        "socket|0|1700000004|/data/sub/sock\n"
        "find: /data/other: No such file or directory\n"
        "garbage|x|y|/data/sub/bad\n"
    )
    entries = vol.parse_stat_lines(output, "/data/sub/")
    assert [(e.name, e.kind, e.size_bytes) for e in entries] == [
        ("notes", "dir", 4096),
        ("a|b.txt", "file", 0),
        ("hello.txt", "file", 6),
        ("link", "link", 11),
        ("sock", "other", 0),
    ]


def test_backup_file_name_has_a_timestamp() -> None:
    path = vol.default_backup_path("myvolume", now=0)
    assert re.fullmatch(r"myvolume-\d{8}-\d{6}\.tar", path.name)


def test_the_shipped_recording_is_real_and_labelled() -> None:
    recording = vol.load_recording()
    prov = recording.listing.provenance
    assert recording.listing.mode == "recorded" and prov is not None
    assert prov.engine_version and prov.recorded_at and prov.storage_driver
    assert prov.recorded_by and prov.recorded_by in prov.describe()
    rows = recording.listing.volumes
    assert any(r.course_made for r in rows) and any(not r.course_made for r in rows)
    assert any(r.in_use for r in rows)
    assert set(recording.details) == {r.name for r in rows}
    assert any(e.name == "hello.txt" for es in recording.files.values() for e in es)


def test_every_volumes_text_key_is_in_the_english_catalogue() -> None:
    sources = [
        *sorted((ROOT / "volumes").glob("*.py")),
        *sorted((ROOT / "widgets" / "volumes").glob("*.py")),
    ]
    source = "".join(p.read_text() for p in sources)
    keys = set(re.findall(r"[\"'](volumes\.[a-z_.]+[a-z_])[\"']", source)) - {
        "volumes.json"
    }
    keys |= {f"volumes.filter.{f}" for f in vol.FILTERS}
    keys |= {f"volumes.mode.{m}" for m in ("live", "recorded")}
    keys |= {f"volumes.what.{w}" for w in ("label", "option")}
    keys |= {f"volumes.tab.{k}" for k in
             ("create", "inspect", "browse", "use", "backup", "clone", "remove")}  # fmt: skip
    english = catalogue("en")
    assert len(keys) > 80
    assert sorted(keys - set(english)) == []
    raw = json.loads((ROOT / "data" / "text" / "en.json").read_text(encoding="utf-8"))
    assert all(
        isinstance(v, str) and v for k, v in raw.items() if k.startswith("volumes.")
    )


def test_commands_say_which_course_labels_they_do_not_spell_out() -> None:
    from dockcourse.resources import labels

    command = vol.cli_create("myvolume", chapter="06")
    spelled = {w.split("=")[0] for w in shlex.split(command, comments=True)}
    hidden = [k for k in labels("06") if k not in spelled]
    note = command.partition("  # ")[2]
    assert hidden and str(len(hidden)) in note
    assert all(k.removeprefix("io.dockcourse.") in note for k in hidden)
    run_note = vol.cli_use("img:1", "myvolume", "true").partition("  # ")[2]
    assert str(len(labels("06"))) in run_note


def _archive_of(content: bytes, name: str = "backup.tar") -> bytes:
    """What an engine's archive endpoint sends for one file: a tar holding it."""
    import io
    import tarfile

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        info = tarfile.TarInfo(name)
        info.size = len(content)
        tar.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def _streams(*bodies: bytes) -> tuple[Any, list[int]]:
    """``open_chunks`` for _fetch_file: each call streams the next body in 7-byte chunks."""
    import contextlib

    calls: list[int] = []

    @contextlib.contextmanager
    def open_chunks() -> Iterator[Iterable[bytes]]:
        body = bodies[len(calls)]
        calls.append(len(body))
        yield (body[i : i + 7] for i in range(0, len(body), 7))

    return open_chunks, calls


def test_an_empty_or_cut_archive_is_read_again_after_a_pause(tmp_path: Path) -> None:
    """Podman 5 may answer an archive read of a just-exited container with 200 and an
    empty body (its cleanup unmounts the container meanwhile): read it again."""
    inner = b"tar bytes " * 300
    whole = _archive_of(inner)
    open_chunks, calls = _streams(b"", whole[:1000], whole)
    pauses: list[float] = []
    out = tmp_path / "b.tar.part"
    reads = vol.backups._fetch_file(open_chunks, out, (0.5, 1.0, 2.0), pauses.append)
    assert reads == 3 and calls == [0, 1000, len(whole)]
    assert pauses == [0.5, 1.0]
    assert out.read_bytes() == inner


def test_an_archive_that_stays_empty_is_an_error_after_every_pause(
    tmp_path: Path,
) -> None:
    import tarfile

    open_chunks, calls = _streams(b"", b"", b"")
    pauses: list[float] = []
    with pytest.raises(tarfile.ReadError):
        vol.backups._fetch_file(open_chunks, tmp_path / "b", (0.1, 0.2), pauses.append)
    assert len(calls) == 3 and pauses == [0.1, 0.2]


def test_a_good_archive_is_read_once(tmp_path: Path) -> None:
    open_chunks, calls = _streams(_archive_of(b"x" * 5000))
    slept: list[float] = []
    out = tmp_path / "b"
    assert vol.backups._fetch_file(open_chunks, out, sleep=slept.append) == 1
    assert out.read_bytes() == b"x" * 5000 and slept == [] and len(calls) == 1
