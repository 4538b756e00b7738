#!/usr/bin/env python3
"""A live classroom on one server: JupyterHub, and a rootless Docker engine per learner.

    classroom.py [--config FILE] up            make the accounts, seed their engines, start
                                               the hub (idempotent: run it again after a
                                               change to the config file)
    classroom.py [--config FILE] down          stop the hub, every server and every engine;
                                               the learners' homes and engine data stay
    classroom.py [--config FILE] down --purge  the same, then remove the accounts, their
                                               homes, their engines' data and the hub's state
    classroom.py [--config FILE] status [--json]
    classroom.py [--config FILE] progress [--json]
                                               the teacher's view: which exercise checks
                                               each learner has passed, per chapter

The teacher runs it through ``./course classroom ...`` as root. The config file is
``classroom/classroom.toml`` unless ``--config`` or ``CLASSROOM_CONFIG`` names another.
``jupyterhub_config.py`` imports this module for the hub's spawn hooks.

Runs on the system Python (3.11+, for tomllib): learners execute the classroom's venv,
and nothing under /root can be executed by them.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import pwd
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    try:
        import tomli as tomllib  # type: ignore[no-redef]
    except ModuleNotFoundError:
        sys.exit("classroom: needs Python 3.11+ (or: apt-get install python3-tomli)")

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
ROOTLESS = REPO / "scripts" / "engines" / "rootless"
DEFAULT_CONFIG = HERE / "classroom.toml"
CGROUP_FS = Path("/sys/fs/cgroup")
CGROUP_NAME = "dockcourse-classroom"
#: cgroup v1 hierarchies a learner's processes join: limits (memory, cpu, pids) and CPU
#: accounting (cpuacct, for `classroom/measure.py`).
V1_CONTROLLERS = ("memory", "cpu", "pids", "cpuacct")
#: The GECOS field of every account the classroom makes: it never touches another.
MARK = "dockcourse classroom"
NAME_RE = re.compile(r"^[a-z][a-z0-9-]{1,30}$")
SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*$", re.IGNORECASE)
#: Tasks (processes and threads) of an idle rootless engine, and what one running
#: container adds (shim threads + its process; more with a published port): measured
#: here, 37 idle, +11 per `sleep` container, +28 with `-p`.
ENGINE_BASE_TASKS = 64
TASKS_PER_CONTAINER = 24
HUB_PACKAGES = ("jupyterhub>=5,<7", "configurable-http-proxy>=0.4")
SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"


class ConfigError(Exception):
    """The config file is wrong; the message says where and how to fix it."""


def say(text: str) -> None:
    print(f"[classroom] {text}", file=sys.stderr, flush=True)


def parse_size(value: object, where: str) -> int:
    """'512m', '2g', '1.5GiB' or a number of bytes -> bytes."""
    if isinstance(value, int) and value > 0:
        return value
    match = SIZE_RE.match(str(value))
    if not match:
        raise ConfigError(f"{where}: {value!r} is not a size (examples: 512m, 2g)")
    number, unit = float(match.group(1)), match.group(2).lower()
    return int(number * 1024 ** " kmgt".index(unit or " "))


@dataclass(frozen=True)
class Limits:
    cpus: float
    memory_bytes: int  # the learner's engine and all its containers, together
    lab_memory_bytes: int  # JupyterLab and its kernels
    disk_bytes: int  # the learner's home, engine data included
    containers: int  # running containers (through the engine cgroup's task limit)

    @property
    def engine_tasks(self) -> int:
        return ENGINE_BASE_TASKS + TASKS_PER_CONTAINER * self.containers


LIMIT_KEYS = ("cpus", "memory", "lab_memory", "disk", "containers")


def parse_limits(table: dict[str, Any], base: Limits | None, where: str) -> Limits:
    unknown = set(table) - set(LIMIT_KEYS) - {"name"}
    if unknown:
        raise ConfigError(
            f"{where}: unknown keys {sorted(unknown)} (known: {LIMIT_KEYS})"
        )

    def get(key: str, default: object) -> object:
        if key in table:
            return table[key]
        if base is None:
            return default
        return getattr(
            base,
            {
                "memory": "memory_bytes",
                "lab_memory": "lab_memory_bytes",
                "disk": "disk_bytes",
            }.get(key, key),
        )

    cpus = get("cpus", 1.0)
    containers = get("containers", 10)
    if not isinstance(cpus, (int, float)) or not 0 < cpus <= 64:
        raise ConfigError(f"{where}: cpus must be a number of cores, e.g. 1 or 0.5")
    if not isinstance(containers, int) or containers < 1:
        raise ConfigError(f"{where}: containers must be a whole number, 1 or more")
    limits = Limits(
        cpus=float(cpus),
        memory_bytes=parse_size(get("memory", "1g"), f"{where}.memory"),
        lab_memory_bytes=parse_size(get("lab_memory", "1g"), f"{where}.lab_memory"),
        disk_bytes=parse_size(get("disk", "4g"), f"{where}.disk"),
        containers=containers,
    )
    if limits.memory_bytes < 128 * 2**20:
        raise ConfigError(
            f"{where}: memory below 128m leaves the engine itself no room"
        )
    if limits.disk_bytes < 256 * 2**20:
        raise ConfigError(f"{where}: disk below 256m cannot hold the engine's data")
    return limits


@dataclass(frozen=True)
class Account:
    name: str
    admin: bool
    limits: Limits
    first_port: int
    last_port: int

    @property
    def home(self) -> Path:
        return Path("/home") / self.name


@dataclass(frozen=True)
class Classroom:
    config_path: Path
    address: str
    port: int
    state_dir: Path
    venv: Path
    accounts: tuple[Account, ...]

    @property
    def admin(self) -> Account:
        return next(a for a in self.accounts if a.admin)

    @property
    def url(self) -> str:
        return f"http://{self.address}:{self.port}"

    def account(self, name: str) -> Account:
        for acc in self.accounts:
            if acc.name == name:
                return acc
        raise KeyError(name)

    @property
    def token_file(self) -> Path:
        return self.state_dir / "admin-token"

    @property
    def passwords_file(self) -> Path:
        return self.state_dir / "passwords.txt"

    @property
    def record_file(self) -> Path:
        return self.state_dir / "accounts.json"

    @property
    def pid_file(self) -> Path:
        return self.state_dir / "hub.pid"

    def disk_image(self, name: str) -> Path:
        return self.state_dir / "disks" / f"{name}.ext4"


def load(path: Path | str) -> Classroom:
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    hub = data.get("hub", {})
    address = str(hub.get("address", "127.0.0.1"))
    port = hub.get("port", 8000)
    if not isinstance(port, int) or not 1024 <= port <= 65530:
        raise ConfigError(
            f"{path}: [hub] port must be 1024..65530 (it also uses port+1, +2)"
        )
    defaults = parse_limits(data.get("limits", {}), None, f"{path}: [limits]")
    ports = data.get("ports", {})
    first, per = ports.get("first", 20000), ports.get("per_learner", 10)
    if (
        not isinstance(first, int)
        or not isinstance(per, int)
        or first < 1024
        or per < 1
    ):
        raise ConfigError(f"{path}: [ports] first must be >= 1024 and per_learner >= 1")
    admin_name = data.get("admin", {}).get("name")
    learners = data.get("learners", [])
    if not admin_name or not isinstance(learners, list) or not learners:
        raise ConfigError(
            f"{path}: needs [admin] name = ... and at least one [[learners]]"
        )
    entries = [{"name": admin_name}, *learners]
    accounts: list[Account] = []
    for i, entry in enumerate(entries):
        where = f"{path}: " + ("[admin]" if i == 0 else f"learner {i}")
        name = entry.get("name") if isinstance(entry, dict) else None
        if not isinstance(name, str) or not NAME_RE.match(name):
            raise ConfigError(
                f"{where}: name {name!r} must be 2-31 of a-z 0-9 -, from a-z"
            )
        if any(a.name == name for a in accounts):
            raise ConfigError(f"{where}: {name} is listed twice")
        lo = first + i * per
        if lo + per - 1 > 65535:
            raise ConfigError(
                f"{where}: the port range runs past 65535; lower [ports] first"
            )
        limits = parse_limits(entry, defaults, where) if i else defaults
        accounts.append(Account(name, i == 0, limits, lo, lo + per - 1))
    return Classroom(
        config_path=path.resolve(),
        address=address,
        port=port,
        state_dir=Path(hub.get("state_dir", "/var/tmp/dockcourse-classroom")),
        venv=Path(hub.get("venv", "/opt/dockcourse-classroom/venv")),
        accounts=tuple(accounts),
    )


# --- helpers ------------------------------------------------------------------------------


def run(
    *argv: str | Path, check: bool = True, **kw: Any
) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in argv], check=check, text=True, **kw)


def as_user(
    name: str, *argv: str | Path, env: dict[str, str] | None = None
) -> list[str]:
    """argv that runs ``argv`` as ``name`` with a clean environment."""
    home = pwd.getpwnam(name).pw_dir
    base = {"HOME": home, "USER": name, "PATH": SYSTEM_PATH, "LANG": "C.UTF-8"}
    pairs = [f"{k}={v}" for k, v in {**base, **(env or {})}.items()]
    return ["runuser", "-u", name, "--", "env", "-i", *pairs, *map(str, argv)]


def user_entry(name: str) -> pwd.struct_passwd | None:
    try:
        return pwd.getpwnam(name)
    except KeyError:
        return None


def ours(name: str) -> bool:
    entry = user_entry(name)
    return entry is not None and entry.pw_gecos.startswith(MARK)


def engine_host(name: str) -> str:
    out = run(ROOTLESS, "env", name, capture_output=True).stdout.strip()
    return out.split("DOCKER_HOST=", 1)[1]


def cgroup_v2() -> bool:
    return (CGROUP_FS / "cgroup.controllers").exists()


def cgroup_dirs(name: str, part: str) -> list[Path]:
    """The cgroup folders of one learner's ``engine`` or ``lab``, one per hierarchy."""
    if cgroup_v2():
        return [CGROUP_FS / CGROUP_NAME / name / part]
    return [CGROUP_FS / c / CGROUP_NAME / name / part for c in V1_CONTROLLERS]


def learner_cgroups(name: str) -> list[Path]:
    if cgroup_v2():
        return [CGROUP_FS / CGROUP_NAME / name]
    return [CGROUP_FS / c / CGROUP_NAME / name for c in V1_CONTROLLERS]


def cpu_seconds(name: str, part: str) -> float:
    """CPU time used so far by one learner's ``engine`` or ``lab`` cgroup."""
    if cgroup_v2():
        stat = (CGROUP_FS / CGROUP_NAME / name / part / "cpu.stat").read_text()
        return int(stat.split("usage_usec")[1].split()[0]) / 1e6
    usage = CGROUP_FS / "cpuacct" / CGROUP_NAME / name / part / "cpuacct.usage"
    return int(usage.read_text()) / 1e9


def charged_mib(name: str, part: str) -> float:
    """Memory the kernel charges to one learner's ``engine`` or ``lab`` cgroup: its
    processes' memory plus the page cache they brought in first (what its limit counts)."""
    if cgroup_v2():
        usage = CGROUP_FS / CGROUP_NAME / name / part / "memory.current"
    else:
        usage = (
            CGROUP_FS / "memory" / CGROUP_NAME / name / part / "memory.usage_in_bytes"
        )
    return round(int(usage.read_text()) / 2**20, 1)


def write(path: Path, value: object) -> None:
    path.write_text(f"{value}\n")


def make_cgroups(acc: Account) -> None:
    """Root-made cgroups: the limits hold whatever the rootless engine enforces itself."""
    lim = acc.limits
    if cgroup_v2():
        top = CGROUP_FS / CGROUP_NAME
        for folder in (top, top / acc.name):
            folder.mkdir(exist_ok=True)
            write(folder.parent / "cgroup.subtree_control", "+memory +cpu +pids")
        write(top / acc.name / "cgroup.subtree_control", "+memory +cpu +pids")
        learner = top / acc.name
        write(learner / "cpu.max", f"{int(lim.cpus * 100000)} 100000")
        for part, memory in (
            ("engine", lim.memory_bytes),
            ("lab", lim.lab_memory_bytes),
        ):
            (learner / part).mkdir(exist_ok=True)
            write(learner / part / "memory.max", memory)
            write(learner / part / "memory.swap.max", 0)
        write(learner / "engine" / "pids.max", lim.engine_tasks)
        return
    for ctrl in V1_CONTROLLERS:
        for part in ("engine", "lab"):
            (CGROUP_FS / ctrl / CGROUP_NAME / acc.name / part).mkdir(
                parents=True, exist_ok=True
            )
    mem = CGROUP_FS / "memory" / CGROUP_NAME / acc.name
    write(mem / "engine" / "memory.limit_in_bytes", lim.memory_bytes)
    write(mem / "lab" / "memory.limit_in_bytes", lim.lab_memory_bytes)
    cpu = CGROUP_FS / "cpu" / CGROUP_NAME / acc.name
    write(cpu / "cpu.cfs_period_us", 100000)
    write(cpu / "cpu.cfs_quota_us", int(lim.cpus * 100000))
    write(
        CGROUP_FS / "pids" / CGROUP_NAME / acc.name / "engine" / "pids.max",
        lim.engine_tasks,
    )


def cgroup_pids(name: str) -> set[int]:
    found: set[int] = set()
    for top in learner_cgroups(name):
        if top.exists():
            for procs in top.rglob("cgroup.procs"):
                found |= {int(p) for p in procs.read_text().split()}
    return found


def end_cgroup_tasks(name: str, timeout_s: float = 10.0) -> None:
    """End every process in one learner's cgroups: all of them were started for it."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in cgroup_pids(name):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        deadline = time.monotonic() + timeout_s / 2
        while cgroup_pids(name) and time.monotonic() < deadline:
            time.sleep(0.2)
        if not cgroup_pids(name):
            return
    raise RuntimeError(
        f"processes of {name} survive SIGKILL: {sorted(cgroup_pids(name))}"
    )


def remove_cgroups(name: str) -> None:
    for top in learner_cgroups(name):
        if not top.exists():
            continue
        for folder in sorted((p for p in top.rglob("*") if p.is_dir()), reverse=True):
            folder.rmdir()
        top.rmdir()
        with contextlib.suppress(OSError):  # the classroom's folder, if it is empty
            top.parent.rmdir()


def mounted(path: Path) -> bool:
    return run("mountpoint", "-q", path, check=False).returncode == 0


def ensure_account(room: Classroom, acc: Account) -> None:
    """The Linux user, its password, its disk (its home, a loop-mounted ext4 of the size
    the config gives: everything it and its engine store), its port range."""
    entry = user_entry(acc.name)
    if entry is not None and not ours(acc.name):
        raise ConfigError(
            f"user {acc.name} exists and was not made by the classroom: rename that learner"
        )
    record = (
        json.loads(room.record_file.read_text()) if room.record_file.exists() else []
    )
    if entry is None:
        say(f"creating the account {acc.name}")
        run(
            "useradd",
            "-m",
            "-s",
            "/bin/bash",
            "-c",
            f"{MARK} {room.config_path}",
            acc.name,
        )
        password = secrets.token_urlsafe(12)
        run("chpasswd", input=f"{acc.name}:{password}\n")
        with room.passwords_file.open("a") as out:
            out.write(f"{acc.name} {password}\n")
        room.passwords_file.chmod(0o600)
    if acc.name not in record:
        room.record_file.write_text(json.dumps([*record, acc.name]))
    user = pwd.getpwnam(acc.name)
    disk = room.disk_image(acc.name)
    fresh = not disk.exists()
    if fresh:
        disk.parent.mkdir(mode=0o700, exist_ok=True)
        run("truncate", "-s", str(acc.limits.disk_bytes), disk)
        run("mkfs.ext4", "-q", "-m", "0", "-d", "/etc/skel", disk)
    if not mounted(acc.home):
        acc.home.mkdir(exist_ok=True)
        run("mount", "-o", "loop,nosuid,nodev", disk, acc.home)
    if fresh:
        shutil.rmtree(acc.home / "lost+found", ignore_errors=True)
        run("chown", "-R", f"{user.pw_uid}:{user.pw_gid}", acc.home)
    os.chown(acc.home, user.pw_uid, user.pw_gid)
    acc.home.chmod(0o700)
    course = acc.home / "course"
    if not course.exists():  # the learner's own copy: edits stay between logins
        shutil.copytree(
            REPO / "notebooks",
            course,
            ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"),
        )
        run("chown", "-R", f"{user.pw_uid}:{user.pw_gid}", course)


def engine_running(acc: Account) -> bool:
    status = run(ROOTLESS, "status", acc.name, check=False, capture_output=True)
    return status.returncode == 0


def start_engine(room: Classroom, acc: Account) -> str:
    """Start the learner's rootless engine inside its cgroups; returns its DOCKER_HOST."""
    make_cgroups(acc)
    env = {
        **os.environ,
        "DOCKCOURSE_ENGINE_CGROUPS": " ".join(
            map(str, cgroup_dirs(acc.name, "engine"))
        ),
        # Published ports bind loopback unless the learner names another address.
        "DOCKCOURSE_DOCKERD_ARGS": "--ip 127.0.0.1",
    }
    run(ROOTLESS, "start", acc.name, env=env, stdout=subprocess.DEVNULL)
    return engine_host(acc.name)


def stop_engine(acc: Account) -> None:
    run(
        ROOTLESS,
        "stop",
        acc.name,
        check=False,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for folder in cgroup_dirs(acc.name, "engine"):
        procs = folder / "cgroup.procs"
        for pid in procs.read_text().split() if procs.exists() else ():
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(pid), signal.SIGKILL)


def seed_image(room: Classroom, acc: Account, host: str) -> None:
    """The course image, built offline from the host's static busybox, in the learner's
    engine (no registry involved)."""
    argv = as_user(
        acc.name,
        room.venv / "bin" / "dockcourse",
        "image",
        "--no-pull",
        env={"DOCKER_HOST": host},
    )
    out = run(*argv, capture_output=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(
            f"seeding {acc.name}'s engine failed: {out.stdout}{out.stderr}"
        )


def newest_mtime(folder: Path) -> float:
    return max(
        (p.stat().st_mtime for p in folder.rglob("*") if p.is_file()), default=0.0
    )


def ensure_venv(room: Classroom) -> None:
    """JupyterHub, its Python proxy, JupyterLab and the course, in a venv on the system
    Python that every learner can execute."""
    py = room.venv / "bin" / "python"
    if not py.exists():
        say(
            f"creating the classroom's Python environment in {room.venv} (a few minutes)"
        )
        room.venv.parent.mkdir(parents=True, exist_ok=True)
        run("/usr/bin/python3", "-m", "venv", room.venv)
        run(py, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
        run(py, "-m", "pip", "install", "--quiet", *HUB_PACKAGES)
    stamp = room.venv / ".dockcourse-installed"
    source = max(
        newest_mtime(REPO / "dockcourse"), (REPO / "pyproject.toml").stat().st_mtime
    )
    if not stamp.exists() or stamp.stat().st_mtime < source:
        say("installing the course into the classroom's environment")
        # From a copy: building in the repository would leave build/ there.
        source_copy = room.state_dir / "course-source"
        shutil.rmtree(source_copy, ignore_errors=True)
        source_copy.mkdir()
        for name in ("pyproject.toml", "README.md"):
            shutil.copy2(REPO / name, source_copy / name)
        shutil.copytree(
            REPO / "dockcourse",
            source_copy / "dockcourse",
            ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"),
        )
        run(py, "-m", "pip", "install", "--quiet", source_copy)
        shutil.rmtree(source_copy)
        stamp.touch()
    for folder in [room.venv, *room.venv.parents]:  # learners must reach the venv
        if folder == Path("/"):
            break
        folder.chmod(folder.stat().st_mode | 0o005)


# --- the hub ------------------------------------------------------------------------------


def hub_pid(room: Classroom) -> int | None:
    try:
        pid = int(room.pid_file.read_text())
        os.kill(pid, 0)
        return pid
    except (FileNotFoundError, ValueError, ProcessLookupError):
        return None


def api(room: Classroom, method: str, path: str, body: object = None) -> Any:
    request = urllib.request.Request(
        f"{room.url}/hub/api{path}",
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"token {room.token_file.read_text().strip()}"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        text = response.read()
    return json.loads(text) if text else None


def hub_answers(room: Classroom) -> bool:
    try:
        api(room, "GET", "/")
        return True
    except (OSError, urllib.error.URLError):
        return False


def start_hub(room: Classroom) -> None:
    if hub_pid(room) and hub_answers(room):
        if room.config_path.stat().st_mtime <= room.pid_file.stat().st_mtime:
            say(f"the hub already runs: {room.url}")
            return
        # The config changed: restart the hub alone; learners' servers keep running
        # (cleanup_servers is off) and the new hub finds them again.
        say(
            "the config file changed: restarting the hub (learners' servers keep running)"
        )
        stop_hub(room, servers=False)
    if not room.token_file.exists():
        room.token_file.write_text(secrets.token_hex(32))
        room.token_file.chmod(0o600)
    log = (room.state_dir / "hub.log").open("ab")
    env = {
        "PATH": f"{room.venv / 'bin'}:/usr/sbin:/sbin:{SYSTEM_PATH}",
        "CLASSROOM_CONFIG": str(room.config_path),
        "LANG": "C.UTF-8",
    }
    hub = subprocess.Popen(
        [room.venv / "bin" / "jupyterhub", "-f", HERE / "jupyterhub_config.py"],
        cwd=room.state_dir,
        env=env,
        stdout=log,
        stderr=log,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    room.pid_file.write_text(str(hub.pid))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if hub.poll() is not None:
            raise RuntimeError(f"the hub exited; see {room.state_dir / 'hub.log'}")
        if hub_answers(room):
            return
        time.sleep(0.3)
    raise RuntimeError(
        f"the hub did not answer in 60 s; see {room.state_dir / 'hub.log'}"
    )


def stop_hub(room: Classroom, servers: bool = True) -> None:
    pid = hub_pid(room)
    if servers and pid and hub_answers(room):
        # Through the hub first, so each server's post-stop hook stops its engine.
        for user in api(room, "GET", "/users"):
            if user.get("servers"):
                with contextlib.suppress(urllib.error.HTTPError):
                    api(room, "DELETE", f"/users/{user['name']}/server")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if not any(u.get("servers") for u in api(room, "GET", "/users")):
                break
            time.sleep(0.3)
    proxy_pid_file = room.state_dir / "jupyterhub-proxy.pid"
    for pid_ in (pid, read_pid(proxy_pid_file)):
        if pid_ is None:
            continue
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.kill(pid_, sig)
            except ProcessLookupError:
                break
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and alive(pid_):
                time.sleep(0.2)
            if not alive(pid_):
                break
    room.pid_file.unlink(missing_ok=True)


def read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None


def alive(pid: int) -> bool:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except FileNotFoundError:
        return False


# --- commands -----------------------------------------------------------------------------


def preflight() -> None:
    """What `up` needs of the server, each with its fix."""
    missing = [
        tool
        for tool in (
            "useradd",
            "chpasswd",
            "runuser",
            "mkfs.ext4",
            "debugfs",
            "mount",
            "losetup",
            "truncate",
        )
        if shutil.which(tool, path=f"/usr/sbin:/sbin:{SYSTEM_PATH}") is None
    ]
    if missing:
        raise ConfigError(
            f"missing commands {missing}: apt-get install passwd e2fsprogs mount util-linux"
        )
    if not Path("/dev/loop-control").exists():
        raise ConfigError(
            "no loop devices (/dev/loop-control): homes are loop-mounted disks; "
            "in a container, run it with loop devices (e.g. --privileged)"
        )
    probe = CGROUP_FS / ("" if cgroup_v2() else "memory")
    if not os.access(probe, os.W_OK):
        raise ConfigError(f"{probe} is not writable: the per-learner limits need it")


def up(room: Classroom) -> None:
    preflight()
    room.state_dir.mkdir(parents=True, exist_ok=True)
    room.state_dir.chmod(0o700)
    ensure_venv(room)
    for acc in room.accounts:
        ensure_account(room, acc)
        make_cgroups(acc)
        in_use = engine_running(acc)  # a learner's server runs: leave its engine be
        host = start_engine(room, acc)
        try:
            seed_image(room, acc, host)
        finally:
            if not in_use:
                stop_engine(acc)
    start_hub(room)
    say(f"the hub runs: {room.url}  (admin: {room.admin.name})")
    say(f"passwords of the accounts made so far: {room.passwords_file} (root only)")


def recorded_names(room: Classroom) -> list[str]:
    record = (
        json.loads(room.record_file.read_text()) if room.record_file.exists() else []
    )
    return list(dict.fromkeys([*(a.name for a in room.accounts), *record]))


def disk_users(disk: Path) -> str:
    """The loop devices that serve ``disk`` (``losetup -j``), empty when none does."""
    out = run("losetup", "-j", disk, check=False, capture_output=True)
    return out.stdout.strip()


def wait_released(disk: Path, timeout_s: float = 30.0) -> None:
    """Until no loop device serves the learner's disk. ``umount`` ends the mount of the
    home, but a mount namespace the learner's engine made keeps the filesystem alive
    until the kernel has torn down its last, just-killed process; only then is the
    filesystem written out whole and its loop device detached (``mount -o loop`` sets
    autoclear). Reading or mounting the disk before that sees it half-written."""
    deadline = time.monotonic() + timeout_s
    while disk.exists() and disk_users(disk):
        if time.monotonic() > deadline:
            raise RuntimeError(f"{disk} is still in use: {disk_users(disk)}")
        time.sleep(0.2)


def down(room: Classroom, purge: bool) -> None:
    stop_hub(room)
    for name in recorded_names(room):
        if not ours(name):
            continue
        run(
            ROOTLESS,
            "stop",
            name,
            check=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        end_cgroup_tasks(name)
        remove_cgroups(name)
        home = Path(pwd.getpwnam(name).pw_dir)
        if mounted(home):
            run("umount", home)
        wait_released(room.disk_image(name))
        if purge:
            say(f"removing {name}: account, home, engine data")
            run(
                ROOTLESS,
                "purge",
                name,
                check=False,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            if user_entry(name) is not None:
                run("userdel", "-r", name, check=False, stderr=subprocess.DEVNULL)
            room.disk_image(name).unlink(missing_ok=True)
    if purge and room.state_dir.exists():
        shutil.rmtree(room.state_dir)
    say("down" + (", purged" if purge else "; homes and engine data kept"))


def private_mib(pids: set[int]) -> float:
    total = 0
    for pid in pids:
        try:
            text = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        for line in text.splitlines():
            if line.startswith(("Private_Clean:", "Private_Dirty:")):
                total += int(line.split()[1])
    return round(total / 1024, 1)


def status(room: Classroom) -> dict[str, Any]:
    pid = hub_pid(room)
    servers: dict[str, Any] = {}
    if pid and hub_answers(room):
        servers = {
            u["name"]: bool(u.get("servers")) for u in api(room, "GET", "/users")
        }
    learners = {}
    for acc in room.accounts:
        parts = {}
        for part in ("engine", "lab"):
            procs = set()
            for folder in cgroup_dirs(acc.name, part):
                file = folder / "cgroup.procs"
                if file.exists():
                    procs |= {int(p) for p in file.read_text().split()}
            parts[f"{part}_private_mib"] = private_mib(procs)
        learners[acc.name] = {
            "admin": acc.admin,
            "account": ours(acc.name),
            "server": servers.get(acc.name, False),
            "engine": engine_running(acc),
            "ports": f"{acc.first_port}-{acc.last_port}",
            **parts,
        }
    return {"hub": room.url if pid else None, "hub_pid": pid, "learners": learners}


def course_progress() -> Any:
    """``dockcourse.progress`` from this repository: it imports nothing but the
    standard library and the catalogues, so the system Python runs it."""
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    from dockcourse import progress

    return progress


def learner_progress(room: Classroom, acc: Account) -> Any:
    """The entries of one learner's progress record, ``{}`` when there is none yet, None
    when it cannot be read. Only that one file is read: as the learner while their home
    is mounted (so a record that is a link to a file they may not read shows nothing),
    else from their disk image with debugfs, which resolves paths inside that disk."""
    progress = course_progress()
    entry = user_entry(acc.name)
    if entry is None or not ours(acc.name):
        return None
    home = Path(entry.pw_dir)
    relative = progress.RELATIVE_PATH
    limit = str(progress.MAX_BYTES + 1)
    if mounted(home):
        argv = as_user(
            acc.name,
            "sh",
            "-c",
            'test -e "$1" || exit 3; head -c "$2" -- "$1"',
            "sh",
            home / relative,
            limit,
        )
    elif (disk := room.disk_image(acc.name)).exists() and not disk_users(disk):
        argv = ["debugfs", "-R", f"cat /{relative}", str(disk)]
    else:
        return None
    try:
        out = subprocess.run(argv, capture_output=True, timeout=30, check=False)
    except subprocess.TimeoutExpired:
        return None
    if out.returncode == 3:
        return {}
    if out.returncode != 0:
        return None
    return progress.parse(out.stdout[: progress.MAX_BYTES + 1])


def progress_report(room: Classroom) -> dict[str, Any]:
    """Learner -> their record's entries (None: not readable), the admin left out."""
    return {
        acc.name: learner_progress(room, acc) for acc in room.accounts if not acc.admin
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="classroom", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--config", default=os.environ.get("CLASSROOM_CONFIG", DEFAULT_CONFIG)
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("up")
    down_parser = sub.add_parser("down")
    down_parser.add_argument("--purge", action="store_true")
    status_parser = sub.add_parser("status")
    status_parser.add_argument("--json", action="store_true")
    progress_parser = sub.add_parser("progress")
    progress_parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    try:
        room = load(args.config)
    except ConfigError as exc:
        say(str(exc))
        return 2
    if os.geteuid() != 0:
        say(
            "needs root: it makes accounts, cgroups and disks (sudo ./course classroom ...)"
        )
        return 1
    try:
        if args.command == "up":
            up(room)
        elif args.command == "down":
            down(room, args.purge)
        elif args.command == "progress":
            records = progress_report(room)
            if args.json:
                print(
                    json.dumps(
                        {
                            name: None
                            if entries is None
                            else {k: vars(e) for k, e in entries.items()}
                            for name, entries in records.items()
                        },
                        indent=1,
                    )
                )
            else:
                print(course_progress().table(records))
        else:
            report = status(room)
            if args.json:
                print(json.dumps(report, indent=1))
            else:
                print(f"hub: {report['hub'] or 'stopped'}")
                for name, info in report["learners"].items():
                    flags = " ".join(k for k in ("server", "engine") if info[k])
                    if not info["account"]:
                        flags = "no account yet"
                    role = "admin" if info["admin"] else "learner"
                    print(
                        f"  {name:<20} {role:<8} ports {info['ports']}  "
                        f"{flags or 'stopped'}  "
                        f"memory engine {info['engine_private_mib']} MiB, "
                        f"lab {info['lab_private_mib']} MiB (private)"
                    )
    except (ConfigError, RuntimeError, subprocess.CalledProcessError) as exc:
        say(f"failed: {exc}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
