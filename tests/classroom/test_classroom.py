"""A live classroom on this server, proven isolated (issue 15).

Starts the hub (``classroom/classroom.py up``, what ``./course classroom up`` runs) with an
admin and three learner accounts made for this run, logs each learner in through the hub's
REST API, starts their servers, runs code in a kernel of each server that makes a container
and a volume through the learner's engine, and checks what the design promises: each engine
sees only its own learner's objects; a learner cannot reach another's engine socket, home or
server; ``-v /:/host`` in a learner's container cannot read root's files; the memory limit
holds; the machine's own engine gets nothing; the teacher's view (``classroom progress``)
shows the exercise checks a learner ran in their kernel, and nothing else of theirs;
``down`` leaves only the kept data, ``down --purge`` not even that. Needs root (accounts,
cgroups, loop-mounted homes).
"""

from __future__ import annotations

import json
import os
import pwd
import secrets
import subprocess
import sys
import urllib.error
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TOOL = REPO / "classroom" / "classroom.py"
SYSTEM_PYTHON = "/usr/bin/python3"
LEARNERS = 3
MEMORY_LIMIT = "320m"

pytestmark = [
    pytest.mark.classroom,
    # The first `up` on a server also makes the classroom's venv from PyPI (about 2 min).
    pytest.mark.timeout(600),
    pytest.mark.engine,  # it reads the machine's own engine, to prove it is untouched
    pytest.mark.skipif(
        sys.platform != "linux" or os.geteuid() != 0,
        reason="the classroom test needs root on Linux: it makes accounts, cgroups and "
        "loop-mounted homes (run it as root, e.g. in CI or `sudo ./course test`)",
    ),
]

sys.path.insert(0, str(TOOL.parent))
import hubclient  # noqa: E402

import classroom  # noqa: E402


def free_port_block(size: int = 3) -> int:
    """A base port with ``size`` consecutive free loopback ports (hub, hub API, proxy API)."""
    import socket

    for _ in range(50):
        base = 20000 + secrets.randbelow(20000)
        socks = []
        try:
            for i in range(size):
                s = socket.socket()
                s.bind(("127.0.0.1", base + i))
                socks.append(s)
            return base
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError("no free loopback ports")


@dataclass
class Room:
    config: Path
    room: classroom.Classroom
    token: str  # this run's mark, on everything the test makes
    learners: list[str]
    hosts: dict[str, str]  # learner -> DOCKER_HOST, as its own kernel reports it
    hub: hubclient.Hub

    def tool(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [SYSTEM_PYTHON, str(TOOL), "--config", str(self.config), *args],
            capture_output=True,
            text=True,
            timeout=540,
        )


def as_user(
    name: str, *argv: str, host: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {"DOCKER_HOST": host} if host else None
    return subprocess.run(
        classroom.as_user(name, *argv, env=env),
        capture_output=True,
        text=True,
        timeout=60,
    )


def machine_snapshot() -> dict[str, dict[str, str]]:
    """Every object of the machine's own engine: id -> a description with names/labels."""
    from dockcourse.engine import connect

    c = connect()  # the engine the run was started with (tests marked `engine` keep it)
    try:
        snap: dict[str, dict[str, str]] = {
            "container": {},
            "volume": {},
            "network": {},
            "image": {},
            "created": {},
        }
        for x in c.api.containers(all=True):
            snap["container"][x["Id"]] = json.dumps([x["Names"], x.get("Labels")])
            snap["created"][x["Id"]] = str(x["Created"])
        for v in c.api.volumes().get("Volumes") or []:
            snap["volume"][v["Name"]] = json.dumps(v.get("Labels"))
            snap["created"][v["Name"]] = v.get("CreatedAt", "")
        for n in c.api.networks():
            snap["network"][n["Id"]] = json.dumps([n["Name"], n.get("Labels")])
            snap["created"][n["Id"]] = n.get("Created", "")
        for i in c.api.images(all=True):
            snap["image"][i["Id"]] = json.dumps([i.get("RepoTags"), i.get("Labels")])
        snap["engine"] = {"id": c.info()["ID"]}
        return snap
    finally:
        c.close()


@pytest.fixture(scope="module")
def machine_before() -> dict[str, dict[str, str]]:
    return machine_snapshot()


@pytest.fixture(scope="module")
def room(
    tmp_path_factory: pytest.TempPathFactory, machine_before: dict[str, dict[str, str]]
) -> Iterator[Room]:
    if sys.version_info < (3, 11) and not Path(SYSTEM_PYTHON).exists():
        pytest.skip("the classroom runs on the system Python 3.11+")
    token = secrets.token_hex(3)
    names = [f"dct{token}-{i}" for i in range(LEARNERS + 1)]  # [0] is the admin
    state = Path(f"/var/tmp/dockcourse-classroom-test-{token}")
    config = tmp_path_factory.mktemp("classroom") / "classroom.toml"
    config.write_text(
        f'[hub]\nport = {free_port_block()}\nstate_dir = "{state}"\n'
        f'[admin]\nname = "{names[0]}"\n'
        f'[limits]\nmemory = "{MEMORY_LIMIT}"\ndisk = "1g"\ncontainers = 4\n'
        + "".join(f'[[learners]]\nname = "{n}"\n' for n in names[1:])
    )
    loaded = classroom.load(config)
    r = Room(config, loaded, token, names[1:], {}, hubclient.Hub(loaded.url, ""))
    try:
        up = r.tool("up")
        assert up.returncode == 0, f"classroom up failed:\n{up.stderr}"
        r.hub.admin_token = loaded.token_file.read_text().strip()
        yield r
    finally:
        r.tool("down", "--purge")


def test_learners_log_in_and_get_their_own_server_and_engine(room: Room) -> None:
    hub = room.hub
    # Each account logs in with its own password (PAM), and with no other.
    passwords = dict(
        line.split() for line in room.room.passwords_file.read_text().splitlines()
    )
    a, b = room.learners[0], room.learners[1]
    assert hub.password_login(a, passwords[a])
    assert not hub.password_login(a, passwords[b])
    hub.start_servers(room.learners)
    # Each learner's server answers its own learner through the proxy, and not another.
    for i, name in enumerate(room.learners):
        other = room.learners[(i + 1) % len(room.learners)]
        assert hub.request("GET", f"/user/{name}/api/status", None, hub.log_in(name))
        with pytest.raises(urllib.error.HTTPError) as refused:
            hub.request("GET", f"/user/{name}/api/status", None, hub.log_in(other))
        assert refused.value.code in (302, 403)
    # In each learner's kernel: the course is installed, its engine is rootless and its
    # own; make a container and a volume there.
    code = (
        "import json, os\n"
        "from dockcourse.engine import connect\n"
        "from dockcourse.images import course_image_ref\n"
        "c = connect()\n"
        "labels = {{'io.dockcourse.classroom-test': '{tok}'}}\n"
        "c.volumes.create('vol-{tok}-{me}', labels=labels)\n"
        "c.containers.create(course_image_ref(), ['sleep', '300'],"
        " name='ctr-{tok}-{me}', labels=labels)\n"
        "opts = c.info().get('SecurityOptions') or []\n"
        "print(json.dumps({{'host': os.environ['DOCKER_HOST'], "
        "'rootless': any('rootless' in o for o in opts)}}))\n"
    )
    for name in room.learners:
        report = json.loads(
            room.hub.run_in_kernel(name, code.format(tok=room.token, me=name))
        )
        assert report["rootless"], f"{name}'s engine is not rootless"
        room.hosts[name] = report["host"]
    assert len(set(room.hosts.values())) == len(room.learners), (
        "learners share an engine"
    )


def test_two_learners_run_chapter_00_live_on_their_own_rootless_engines(
    room: Room,
) -> None:
    from dockcourse.text import t

    live = t("banner.live").split("{")[0]
    for name in room.learners[:2]:
        notebook = Path(pwd.getpwnam(name).pw_dir) / "course/en/00_start_here.ipynb"
        cells = json.loads(notebook.read_text())["cells"]
        kernel = room.hub.start_kernel(name)
        try:
            shown = "".join(
                room.hub.execute(name, kernel, "".join(cell["source"]))
                for cell in cells
                if cell["cell_type"] == "code"
            )
        finally:
            room.hub.stop_kernel(name, kernel)
        assert live in shown, f"{name}'s chapter 00 did not run live:\n{shown}"
        assert t("doctor.rootless") in shown


#: In a learner's kernel: chapter 01's first exercise done and checked (three running
#: containers of the course image), its second checked without being done.
_CHECKS_CODE = (
    "from dockcourse import setup\n"
    "from dockcourse.checks.ch01 import check_shared, check_writer\n"
    "course = setup('01')\n"
    "EX = course.name('ex')\n"
    "for i in (1, 2, 3):\n"
    "    course.start(['sleep', '600'], name=f'{EX}-{i}', show=False)\n"
    "print(check_shared(course))\n"
    "print(check_writer(course))\n"
    "course.clean()\n"
)


def _teachers_view(room: Room) -> dict[str, dict[str, dict[str, object]] | None]:
    shown = room.tool("progress", "--json")
    assert shown.returncode == 0, shown.stderr
    assert "root:" not in shown.stdout
    return json.loads(shown.stdout)  # type: ignore[no-any-return]


def test_the_teachers_view_shows_which_checks_each_learner_passed(room: Room) -> None:
    from dockcourse import progress

    a, b, c = room.learners
    assert _teachers_view(room) == {a: {}, b: {}, c: {}}  # nobody has run a check
    out = room.hub.run_in_kernel(a, _CHECKS_CODE)
    assert "✔" in out and "✘" in out, out
    room.hub.run_in_kernel(
        b,
        "from dockcourse import setup\n"
        "from dockcourse.checks.ch01 import check_writer\n"
        "print(check_writer(setup('01')))\n",
    )
    # The record in the learner's home: the checks' names, pass or not, when; no more.
    record = Path(pwd.getpwnam(a).pw_dir) / progress.RELATIVE_PATH
    data = json.loads(record.read_text())
    assert data.keys() == {"format", "checks"}
    assert set(data["checks"]) == {"01.shared", "01.writer"}
    assert os.stat(record).st_uid == pwd.getpwnam(a).pw_uid
    # A learner whose record is a link to a file only root reads shows nothing of it.
    home_c = pwd.getpwnam(c).pw_dir
    link = as_user(
        c,
        "sh",
        "-c",
        f"mkdir -p {home_c}/.local/share/dockcourse && "
        f"ln -s /etc/shadow {home_c}/{progress.RELATIVE_PATH}",
    )
    assert link.returncode == 0, link.stderr
    view = _teachers_view(room)
    assert set(view) == set(room.learners)  # learners only, not the teacher
    seen_a, seen_b = view[a], view[b]
    assert seen_a is not None and seen_b is not None
    assert seen_a["01.shared"]["passed"] is True
    assert seen_a["01.writer"]["passed"] is False
    assert list(seen_b) == ["01.writer"] and seen_b["01.writer"]["passed"] is False
    assert view[c] is None
    table = room.tool("progress")
    assert table.returncode == 0, table.stderr
    rows = {line.split()[0]: line for line in table.stdout.splitlines() if line}
    assert rows[a].split()[1:3] == ["✔", "✘"] and "1/" in rows[a]
    assert rows[b].split()[1:3] == ["·", "✘"] and "0/" in rows[b]
    assert "?" in rows[c] and "root:" not in table.stdout


def test_each_engine_lists_only_its_own_learners_objects(room: Room) -> None:
    code = (
        "import json\nfrom dockcourse.engine import connect\nc = connect()\n"
        "print(json.dumps({'c': sorted(x.name for x in c.containers.list(all=True)),"
        " 'v': sorted(v.name for v in c.volumes.list())}))\n"
    )
    for name in room.learners:
        seen = json.loads(room.hub.run_in_kernel(name, code))
        assert [c for c in seen["c"] if room.token in c] == [f"ctr-{room.token}-{name}"]
        assert [v for v in seen["v"] if room.token in v] == [f"vol-{room.token}-{name}"]


def test_a_learner_cannot_reach_another_learners_engine_or_home(room: Room) -> None:
    a, b = room.learners[0], room.learners[1]
    own = as_user(a, "docker", "volume", "ls", "-q", host=room.hosts[a])
    assert own.returncode == 0 and f"vol-{room.token}-{a}" in own.stdout
    theirs = as_user(a, "docker", "volume", "ls", "-q", host=room.hosts[b])
    assert theirs.returncode != 0 and f"vol-{room.token}-{b}" not in theirs.stdout
    b_home = pwd.getpwnam(b).pw_dir
    assert as_user(b, "ls", b_home).returncode == 0
    assert as_user(a, "ls", b_home).returncode != 0
    assert as_user(a, "cat", f"{b_home}/.profile").returncode != 0
    assert os.stat(b_home).st_mode & 0o777 == 0o700


def test_host_root_is_not_readable_from_a_learners_container(room: Room) -> None:
    a, b = room.learners[0], room.learners[1]
    home = pwd.getpwnam(a).pw_dir
    assert as_user(a, "sh", "-c", f"echo {room.token} > {home}/mine").returncode == 0
    image = f"{json.loads(room.hub.run_in_kernel(a, _IMAGE_CODE))}"

    def in_container(cmd: str) -> subprocess.CompletedProcess[str]:
        return as_user(
            a,
            "docker",
            "run",
            "--rm",
            "-v",
            "/:/host",
            image,
            "sh",
            "-c",
            cmd,
            host=room.hosts[a],
        )

    mine = in_container(f"cat /host{home}/mine")
    assert mine.returncode == 0 and room.token in mine.stdout  # the mount works
    assert in_container("cat /host/etc/shadow").returncode != 0
    assert in_container("ls /host/root").returncode != 0
    assert in_container(f"ls /host{pwd.getpwnam(b).pw_dir}").returncode != 0
    # Files it writes on the host belong to the learner, not to root.
    assert in_container(f"touch /host{home}/made-inside").returncode == 0
    assert os.stat(f"{home}/made-inside").st_uid == pwd.getpwnam(a).pw_uid


_IMAGE_CODE = (
    "import json\nfrom dockcourse.images import course_image_ref\n"
    "print(json.dumps(course_image_ref()))\n"
)


def test_the_memory_limit_holds(room: Room) -> None:
    a = room.learners[0]
    limit = room.room.account(a).limits.memory_bytes
    image = json.loads(room.hub.run_in_kernel(a, _IMAGE_CODE))
    hog = as_user(
        a,
        "docker",
        "run",
        "--rm",
        image,
        "awk",
        'BEGIN { s = "0123456789abcdef"; while (1) s = s s }',
        host=room.hosts[a],
    )
    assert hog.returncode != 0, "a container grew without bound"
    (engine_memory,) = [
        d
        for d in classroom.cgroup_dirs(a, "engine")
        if "memory" in str(d) or classroom.cgroup_v2()
    ]
    if classroom.cgroup_v2():
        peak = int((engine_memory / "memory.peak").read_text())
        hits = (engine_memory / "memory.events").read_text()
        assert "oom_kill 0" not in hits
    else:
        peak = int((engine_memory / "memory.max_usage_in_bytes").read_text())
        assert int((engine_memory / "memory.failcnt").read_text()) > 0
    assert peak <= limit
    # The engine itself survived its container's kill.
    assert as_user(a, "docker", "version", host=room.hosts[a]).returncode == 0


def test_each_home_is_a_disk_of_the_configured_size(room: Room) -> None:
    for name in room.learners:
        st = os.statvfs(pwd.getpwnam(name).pw_dir)
        assert st.f_blocks * st.f_frsize <= room.room.account(name).limits.disk_bytes


def test_the_machines_own_engine_is_untouched(
    room: Room, machine_before: dict[str, dict[str, str]]
) -> None:
    after = machine_snapshot()
    assert after["engine"] == machine_before["engine"]
    marks = [room.token, *room.learners]
    for kind in ("container", "volume", "network", "image"):
        added = set(after[kind]) - set(machine_before[kind])
        ours = [x for x in added if any(m in x + after[kind][x] for m in marks)]
        assert not ours, f"the classroom made {kind}s on the machine's engine: {ours}"
        # Other work shares this engine; what existed well before the test must remain.
        cutoff = datetime.now(timezone.utc) - timedelta(minutes=30)
        for key in set(machine_before[kind]) - set(after[kind]):
            created = machine_before["created"].get(key, "")
            assert not _older_than(created, cutoff), f"{kind} {key} disappeared"


def _older_than(created: str, cutoff: datetime) -> bool:
    if not created:  # images: when one was added cannot be told, so none is judged
        return False
    if created.isdigit():
        return datetime.fromtimestamp(int(created), timezone.utc) < cutoff
    return datetime.fromisoformat(created[:19]).replace(tzinfo=timezone.utc) < cutoff


def test_down_keeps_only_the_learners_data_and_purge_removes_it(room: Room) -> None:
    uids = {pwd.getpwnam(n).pw_uid for n in [room.room.admin.name, *room.learners]}
    down = room.tool("down")
    assert down.returncode == 0, down.stderr
    assert classroom.hub_pid(room.room) is None
    assert not _processes_of(uids), "learners' processes survive `classroom down`"
    for name in room.learners:
        assert not any(d.exists() for d in classroom.learner_cgroups(name))
        assert not classroom.mounted(Path(pwd.getpwnam(name).pw_dir))
        # Kept: the account and its disk, with the volume its engine made.
        disk = room.room.disk_image(name)
        assert disk.exists()
        assert not classroom.disk_users(disk), "the disk is still attached"
        seen = subprocess.run(
            ["debugfs", "-R", "ls -l /.local/share/docker/volumes", str(disk)],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert f"vol-{room.token}-{name}" in seen.stdout
    # The teacher's view still reads the records, from the kept disks.
    view = _teachers_view(room)
    first = view[room.learners[0]]
    assert first is not None and first["01.shared"]["passed"] is True
    purge = room.tool("down", "--purge")
    assert purge.returncode == 0, purge.stderr
    for name in [room.room.admin.name, *room.learners]:
        assert classroom.user_entry(name) is None
        assert not Path(f"/home/{name}").exists()
        assert not room.room.disk_image(name).exists()
    assert not room.room.state_dir.exists()
    assert not _processes_of(uids)


def _processes_of(uids: set[int]) -> list[str]:
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        uid_line = next(line for line in text.splitlines() if line.startswith("Uid:"))
        if int(uid_line.split()[1]) in uids:
            found.append(status.parent.name)
    return found
