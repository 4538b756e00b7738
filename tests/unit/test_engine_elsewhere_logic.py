"""Pure logic for an engine that is not on this machine's kernel (a VM, colima, Docker
Desktop, a remote host): locality from evidence, the host reference of chapter 02's
namespace table, the engine's clock, and chapter 01's note that the ladder spans two
machines."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from dockcourse import host, isolation
from dockcourse.measure import startup
from dockcourse.measure.observed import summarize
from dockcourse.measure.results import Results, StartupSample
from dockcourse.recorded import Provenance


def test_same_kernel_compares_boot_ids(tmp_path: Path) -> None:
    ours = tmp_path / "boot_id"
    ours.write_text("2f0c6a1e-0000-4000-8000-000000000001\n")
    assert host.same_kernel("2f0c6a1e-0000-4000-8000-000000000001\n", str(ours))
    assert host.same_kernel("2f0c6a1e-0000-4000-8000-000000000002", str(ours)) is False
    assert host.same_kernel("", str(ours)) is None
    assert host.same_kernel("anything", str(tmp_path / "missing")) is None


@pytest.mark.parametrize(
    ("url", "here"),
    [
        ("unix:///var/run/docker.sock", True),
        ("unix:///home/u/.colima/default/docker.sock", True),
        ("tcp://127.0.0.1:23750", True),
        ("tcp://localhost:2375", True),
        ("tcp://[::1]:2375", True),
        ("ssh://user@127.0.0.2", True),
        ("tcp://10.0.0.5:2376", False),
        ("ssh://builder.example.org", False),
    ],
)
def test_endpoint_is_on_this_machine(url: str, here: bool) -> None:
    assert isolation.endpoint_is_on_this_machine(url) is here


def _data(source: str | None) -> dict[str, Any]:
    """Chapter 02's namespace data as a VM engine gives it: the host reference comes
    from a helper container, without mnt."""
    engine = {"cgroup": 1, "ipc": 2, "net": 3, "pid": 4, "time": 5, "user": 6, "uts": 7}

    def container(n: int, pid: int) -> dict[str, int]:
        return {
            "cgroup": 10 + n,
            "ipc": 20 + n,
            "mnt": 30 + n,
            "net": 40 + n,
            "pid": pid,
            "time": 5,
            "user": 6,
            "uts": 70 + n,
        }

    return {
        "containers": {
            "a": container(1, 51),
            "b": container(2, 52),
            "pid_host": container(3, 4),
        },
        "host": engine if source else None,
        "host_source": source,
    }


def test_namespace_table_with_the_engines_host_as_reference() -> None:
    table = isolation.namespace_table(_data("engine"))
    lines = table.splitlines()
    rows = {line.split()[0]: line.split()[1:] for line in lines[1:9]}
    assert rows["pid"] == ["own", "own", "host's"]
    assert rows["user"] == ["host's"] * 3
    assert rows["time"] == ["host's"] * 3
    assert rows["mnt"] == ["own"] * 3  # never shared, and not in the reference
    assert rows["cgroup"] == ["own"] * 3
    assert "helper container" in lines[-1] and "--cgroupns=host" in lines[-1]
    ids = isolation.namespace_table(_data("engine"), ids=True)
    assert "engine's host" in ids.splitlines()[0]
    assert "this notebook" not in ids.splitlines()[0]
    assert "helper container" not in ids, "the note comes once, under the second table"


def test_namespace_table_of_recorded_data_without_a_source_is_the_notebooks() -> None:
    data = _data("engine")
    del data["host_source"]
    ids = isolation.namespace_table(data, ids=True)
    assert "this notebook (host)" in ids.splitlines()[0]
    assert "helper container" not in ids


def test_namespace_table_in_japanese_names_the_engines_host() -> None:
    from dockcourse.text import set_language

    set_language("ja")
    try:
        ids = isolation.namespace_table(_data("engine"), ids=True)
    finally:
        set_language("en")
    assert "エンジンのホスト" in ids.splitlines()[0]


@pytest.mark.parametrize("reason", ["vm", "remote", "hidden"])
def test_host_view_lines_name_the_evidence(reason: str) -> None:
    view = {
        "name": "x",
        "state_pid": 7,
        "local": False,
        "reason": reason,
        "kernel": "6.12.99-cloud-amd64",
        "endpoint": "tcp://127.0.0.1:23750",
    }
    text = isolation.host_view_lines(view).splitlines()[2]
    if reason == "hidden":
        assert "shares this kernel" in text
    else:
        assert "6.12.99-cloud-amd64" in text and "tcp://127.0.0.1:23750" in text
        assert "shares this kernel" not in text


class _Api:
    """An engine API that answers ``/info`` with a clock ``skew_s`` off this one's."""

    def __init__(self, skew_s: float, stamp: bool = True) -> None:
        self.skew_s = skew_s
        self.stamp = stamp

    def info(self) -> dict[str, str]:
        if not self.stamp:
            return {}
        now = datetime.now(timezone.utc) + timedelta(seconds=self.skew_s)
        return {"SystemTime": now.strftime("%Y-%m-%dT%H:%M:%S.%f000Z")}


class _Client:
    def __init__(self, api: _Api) -> None:
        self.api = api


@pytest.mark.parametrize("skew_s", [-1.0, 2.5])
def test_engine_clock_offset_finds_a_skew(skew_s: float) -> None:
    offset, uncertainty = startup.engine_clock_offset(_Client(_Api(skew_s)))  # type: ignore[arg-type]
    assert offset == pytest.approx(skew_s, abs=0.05)
    assert 0 < uncertainty < 0.5


def test_engine_clock_offset_is_zero_for_the_same_clock() -> None:
    assert startup.engine_clock_offset(_Client(_Api(0.0)))[0] == 0.0  # type: ignore[arg-type]
    assert startup.engine_clock_offset(_Client(_Api(3.0, stamp=False))) == (0.0, 0.0)  # type: ignore[arg-type]


def _sample(series: str, where: str) -> StartupSample:
    return StartupSample(
        series=series,
        index=0,
        warmup=False,
        elapsed_s=0.3,
        endpoint="exit",
        taken_at="2026-12-06T04:00:00+00:00",
        detail={"engine_kernel": where} if where else {},
    )


def _results(*samples: StartupSample) -> Results:
    provenance = Provenance("-", "")
    return Results(provenance, {}, startup=samples)


def test_summary_says_when_the_ladder_spans_two_machines() -> None:
    other = summarize(
        _results(_sample("process", ""), _sample("container-none", "other"))
    )
    assert "two machines" in other
    same = summarize(
        _results(_sample("process", ""), _sample("container-none", "this"))
    )
    assert "two machines" not in same
    unknown = summarize(_results(_sample("container-none", "")))
    assert "two machines" not in unknown
