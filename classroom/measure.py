"""Measure what a live classroom costs on this server (as root, with the classroom's venv):

    /opt/dockcourse-classroom/venv/bin/python classroom/measure.py [--learners 3]

Starts a classroom of its own (accounts made for the run, removed at the end), starts
every learner's server through the hub, and measures the private memory (USS: pages no
other process shares) of each learner's processes, found by the learner's cgroups:
idle (JupyterLab + rootless engine), then with a kernel that has run chapter 01's
set-up and exercise cells (five running containers). Prints JSON and a table.
"""

from __future__ import annotations

import argparse
import json
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import hubclient

import classroom

#: Chapter 01's set-up cell and the cells of its exercises, with the chapter's own names
#: (``course.name``, per session): one container, then three, then one that writes
#: 5 MiB (the measurement cells that boot VMs are left out).
CHAPTER_01 = """
from dockcourse import setup
course = setup("01")
course.start(["sleep", "600"], name=course.name("fresh"))
EX = course.name("ex")
for i in (1, 2, 3):
    course.start(["sleep", "3600"], name=f"{EX}-{i}")
course.start("dd if=/dev/zero of=/data.bin bs=1024 count=5120 && sleep 3600",
             name=course.name("writer"))
print(len(course.require_client().containers.list()))
"""
CLEAN = 'from dockcourse import setup\nsetup("01").clean()\n'


def learner_mib(name: str) -> dict[str, float]:
    parts = {}
    for part in ("engine", "lab"):
        pids: set[int] = set()
        for folder in classroom.cgroup_dirs(name, part):
            procs = folder / "cgroup.procs"
            if procs.exists():
                pids |= {int(p) for p in procs.read_text().split()}
        parts[part] = classroom.private_mib(pids)
    parts["total"] = round(parts["engine"] + parts["lab"], 1)
    for part in ("engine", "lab"):
        parts[f"{part}_charged"] = classroom.charged_mib(name, part)
        parts[f"{part}_cpu_s"] = round(classroom.cpu_seconds(name, part), 1)
    return parts


def used_mib() -> float:
    """The whole machine's memory in use (MemTotal - MemAvailable): other work moves it
    too, so only a difference over a short time says something."""
    info = dict(
        line.split(":", 1) for line in Path("/proc/meminfo").read_text().splitlines()
    )
    kib = int(info["MemTotal"].split()[0]) - int(info["MemAvailable"].split()[0])
    return round(kib / 1024, 1)


def summary(samples: list[dict[str, float]]) -> dict[str, float]:
    return {k: round(statistics.median(s[k] for s in samples), 1) for k in samples[0]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--learners", type=int, default=3)
    parser.add_argument("--settle", type=float, default=20.0, help="seconds idle")
    args = parser.parse_args()
    tag = secrets.token_hex(2)
    names = [f"dcm{tag}-{i}" for i in range(args.learners + 1)]
    work = Path(tempfile.mkdtemp(prefix="dockcourse-classroom-measure-"))
    config = work / "classroom.toml"
    config.write_text(
        f'[hub]\nport = 18900\nstate_dir = "{work / "state"}"\n'
        f'[admin]\nname = "{names[0]}"\n'
        + "".join(f'[[learners]]\nname = "{n}"\n' for n in names[1:])
    )
    tool = [
        sys.executable,
        str(classroom.HERE / "classroom.py"),
        "--config",
        str(config),
    ]
    room = classroom.load(config)
    learners = names[1:]
    result: dict[str, object] = {"learners": len(learners)}
    try:
        subprocess.run([*tool, "up"], check=True)  # first: it may install the course
        subprocess.run([*tool, "down"], check=True)
        before = used_mib()
        began = time.monotonic()
        subprocess.run([*tool, "up"], check=True)
        result["up_s"] = round(time.monotonic() - began, 1)
        hub = hubclient.Hub(room.url, room.token_file.read_text().strip())
        result["servers_ready_s"] = round(hub.start_servers(learners, 180), 1)
        time.sleep(args.settle)
        hub_pids = {p for p in (classroom.hub_pid(room),) if p}
        proxy = classroom.read_pid(room.state_dir / "jupyterhub-proxy.pid")
        hub_pids |= {proxy} if proxy else set()
        result["hub_and_proxy_private_mib"] = classroom.private_mib(hub_pids)
        result["idle"] = summary([learner_mib(n) for n in learners])
        result["idle_machine_delta_mib_per_learner"] = round(
            (used_mib() - before) / len(learners), 1
        )
        kernels = {n: hub.start_kernel(n) for n in learners}
        for name, kernel in kernels.items():
            hub.execute(name, kernel, CHAPTER_01, timeout_s=180)
        time.sleep(5)
        result["chapter_01"] = summary([learner_mib(n) for n in learners])
        result["chapter_01_machine_delta_mib_per_learner"] = round(
            (used_mib() - before) / len(learners), 1
        )
        with open("/proc/loadavg") as load:
            result["load_average_1min"] = float(load.read().split()[0])
        for name, kernel in kernels.items():
            hub.execute(name, kernel, CLEAN, timeout_s=120)
            hub.stop_kernel(name, kernel)
    finally:
        subprocess.run([*tool, "down", "--purge"], check=False)
        subprocess.run(["rm", "-rf", str(work)], check=False)
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
