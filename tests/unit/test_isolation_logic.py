"""Chapter 02's pure helpers: parsing /proc, comparing namespaces, CPU rates, labels."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from dockcourse import isolation
from dockcourse.recorded import Provenance
from dockcourse.text import set_language

LISTING = """cgroup cgroup:[4026531835]
ipc ipc:[4026532182]
mnt mnt:[4026532180]
net net:[4026532184]
pid pid:[4026532183]
pid_for_children pid:[4026532183]
time time:[4026531834]
time_for_children time:[4026531834]
user user:[4026531837]
uts uts:[4026532181]
"""


@pytest.fixture(autouse=True)
def _english() -> None:
    set_language("en")


def test_parse_ns_listing_keeps_the_eight_kinds() -> None:
    found = isolation.parse_ns_listing(LISTING)
    assert list(found) == list(isolation.NS_KINDS)
    assert found["net"] == 4026532184
    assert "pid_for_children" not in found


def test_parse_ns_listing_skips_noise() -> None:
    assert isolation.parse_ns_listing("readlink: permission denied\n\n") == {}


def test_own_namespaces_reads_this_process() -> None:
    found = isolation.own_namespaces()
    assert {"pid", "net", "mnt", "uts"} <= set(found)
    assert all(value > 0 for value in found.values())


def test_own_namespaces_of_a_missing_process_is_empty(tmp_path: Path) -> None:
    assert isolation.own_namespaces(str(tmp_path / "nope")) == {}


def _table(host: dict[str, int] | None) -> dict[str, Any]:
    base = {kind: 100 + i for i, kind in enumerate(isolation.NS_KINDS)}
    shared = {"cgroup", "time", "user"}
    a = {k: (v if k in shared else v + 1000) for k, v in base.items()}
    b = {k: (v if k in shared else v + 2000) for k, v in base.items()}
    c = {k: (v if k in shared | {"pid"} else v + 3000) for k, v in base.items()}
    return {"containers": {"a": a, "b": b, "pid_host": c}, "host": host and base}


def test_relation() -> None:
    assert isolation.relation(5, 5, {}) == "host"
    assert isolation.relation(5, 6, {"A": 5}) == "same:A"
    assert isolation.relation(5, None, {"A": 4}) == "own"
    assert isolation.relation(None, 5, {}) == "?"


def test_namespace_table_says_whose_each_namespace_is() -> None:
    base = {kind: 100 + i for i, kind in enumerate(isolation.NS_KINDS)}
    table = isolation.namespace_table(_table(base))
    rows = {line.split()[0]: line.split()[1:] for line in table.splitlines()[1:]}
    assert rows["pid"] == ["own", "own", "host's"]
    assert rows["user"] == ["host's", "host's", "host's"]
    assert rows["uts"] == ["own", "own", "own"]
    assert table.splitlines()[0].split("  ")[0] == "namespace"


def test_namespace_table_without_the_host_compares_columns() -> None:
    table = isolation.namespace_table(_table(None))
    rows = {line.split()[0]: line for line in table.splitlines()[1:-1]}
    assert "same as container A" in rows["user"]
    assert rows["net"].split()[1:] == ["own", "own", "own"]
    assert "not on this machine" in table.splitlines()[-1]


def test_namespace_table_with_ids_prints_the_numbers() -> None:
    base = {kind: 100 + i for i, kind in enumerate(isolation.NS_KINDS)}
    table = isolation.namespace_table(_table(base), ids=True)
    assert "this notebook (host)" in table.splitlines()[0]
    pid_row = next(line for line in table.splitlines() if line.startswith("pid"))
    assert pid_row.split()[-2:] == [str(base["pid"]), str(base["pid"])]


def test_container_is_local_needs_the_container_in_the_cgroup(tmp_path: Path) -> None:
    (tmp_path / "42").mkdir()
    (tmp_path / "42" / "cgroup").write_text("0::/docker/abc123\n")
    assert isolation.container_is_local("abc123", 42, str(tmp_path))
    assert not isolation.container_is_local("def456", 42, str(tmp_path))
    assert not isolation.container_is_local("abc123", 43, str(tmp_path))
    assert not isolation.container_is_local("abc123", 0, str(tmp_path))


def test_parse_docker_time_keeps_nanoseconds() -> None:
    first = isolation.parse_docker_time("2026-11-28T04:32:07.518644184Z")
    second = isolation.parse_docker_time("2026-11-28T04:32:08.018644184Z")
    assert second - first == pytest.approx(0.5, abs=1e-6)
    assert isolation.parse_docker_time("2026-11-28T04:32:07Z") == pytest.approx(
        first - 0.518644184, abs=1e-6
    )


def test_cpu_rates_is_cpu_time_over_wall_time() -> None:
    samples = [
        {"read": 10.0, "cpu_ns": 0},
        {"read": 11.0, "cpu_ns": 500_000_000},
        {"read": 11.0, "cpu_ns": 600_000_000},  # same instant: skipped
        {"read": 13.0, "cpu_ns": 2_600_000_000},
    ]
    rates = isolation.cpu_rates(samples, start=10.0)
    assert rates == {"t_s": [0.5, 2.0], "cpus": [0.5, 1.0]}
    assert isolation.cpu_rates(samples[:1], start=0.0) == {"t_s": [], "cpus": []}


def test_host_view_lines_local() -> None:
    view = {
        "name": "dockcourse-02-proc-abcdef",
        "state_pid": 4242,
        "local": True,
        "cmdline": ["sleep", "120"],
        "nspid": [4242, 1],
        "uid": ["0", "0", "0", "0"],
        "ppid": 4200,
        "parent": "containerd-shim-runc-v2",
    }
    text = isolation.host_view_lines(view)
    assert "docker inspect --format '{{.State.Pid}}' dockcourse-02-proc-abcdef" in text
    assert "/proc/4242/cmdline on the host: sleep 120" in text
    assert "4242 on the host, 1 inside" in text
    assert "containerd-shim-runc-v2" in text


@pytest.mark.parametrize("reason", ["desktop", "remote", "hidden"])
def test_host_view_lines_explains_why_not(reason: str) -> None:
    view = {"name": "x", "state_pid": 7, "local": False, "reason": reason}
    lines = isolation.host_view_lines(view).splitlines()
    assert lines[1] == "7"
    assert len(lines) == 3 and len(lines[2]) > 40


def test_run_label_live_and_recorded() -> None:
    engine = SimpleNamespace(
        product="Docker Engine",
        version="27.0.1",
        os="linux",
        arch="aarch64",
        cgroup_version="2",
        ncpu=8,
    )
    live = SimpleNamespace(live=True, engine=engine, provenance=None)
    assert isolation.run_label(live).startswith("LIVE on Docker Engine 27.0.1")  # type: ignore[arg-type]
    provenance = Provenance.from_dict(
        {"engine_version": "20.10.24", "recorded_at": "2026-11-28T04:00:00+00:00"}
    )
    recorded = SimpleNamespace(live=False, engine=None, provenance=provenance)
    label = isolation.run_label(recorded)  # type: ignore[arg-type]
    assert label.startswith("RECORDED") and "20.10.24" in label


def test_parse_docker_time_refuses_other_text() -> None:
    with pytest.raises(ValueError, match="not a Docker timestamp"):
        isolation.parse_docker_time("0001-01-01")
