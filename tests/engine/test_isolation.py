"""Chapter 02's measurements against the real engine: what they claim is what Docker does."""

from __future__ import annotations

from collections.abc import Iterator
from statistics import mean
from typing import Any

import pytest

from dockcourse import isolation
from dockcourse.resources import list_owned, session_id

pytestmark = pytest.mark.engine


@pytest.fixture(autouse=True)
def _leaves_nothing_behind(client: Any) -> Iterator[None]:
    before = {o.id for o in list_owned(client, session=session_id(), chapter="02")}
    yield
    after = {o.id for o in list_owned(client, session=session_id(), chapter="02")}
    assert after <= before, "an isolation helper left a container behind"


def test_container_namespaces(client: Any, image_ref: str) -> None:
    data = isolation.container_namespaces(client, image_ref)
    a, b, c = (data["containers"][key] for key in ("a", "b", "pid_host"))
    host = data["host"]
    assert set(a) >= {"pid", "net", "mnt", "uts", "ipc", "user"}
    for kind in ("pid", "net", "mnt", "uts", "ipc"):
        assert a[kind] != b[kind], f"two containers share a {kind} namespace"
    for kind in ("net", "mnt", "uts", "ipc"):
        assert c[kind] not in (a[kind], b[kind])
    assert c["pid"] not in (a["pid"], b["pid"])
    assert a["user"] == b["user"] == c["user"], "Docker made a user namespace"
    assert host is not None, "this engine is local: the host's namespaces are readable"
    assert c["pid"] == host["pid"], "--pid=host is the host's PID namespace"
    assert a["user"] == host["user"]
    assert a["uts"] != host["uts"]
    assert isolation.namespace_table(data).count("host's") >= 4


def test_host_view_finds_the_container_process(client: Any, image_ref: str) -> None:
    view = isolation.host_view(client, image_ref)
    assert view["local"], "engine and tests share this kernel here"
    assert view["cmdline"] == ["sleep", "120"]
    assert view["nspid"][0] == view["state_pid"] and view["nspid"][-1] == 1
    assert view["uid"][0] == "0", "no user namespace: root inside is UID 0 outside"
    assert view["parent"].startswith("containerd-shim")
    assert not client.containers.list(all=True, filters={"name": view["name"]})


def test_oom_kill_is_reported_by_inspect(client: Any, image_ref: str) -> None:
    found = isolation.oom_kill(client, image_ref, mem_limit="16m")
    assert found["State"]["OOMKilled"] is True
    assert found["State"]["ExitCode"] == 137
    assert found["HostConfig"]["Memory"] == 16 * 2**20
    assert found["HostConfig"]["MemorySwap"] == 16 * 2**20
    assert "--memory=16m" in found["command"]


def test_sample_cpu_stays_under_the_limit(client: Any, image_ref: str) -> None:
    usage = isolation.sample_cpu(
        client, image_ref, cpus=0.25, samples=3, progress=False
    )
    limited = usage["series"]["limited"]
    assert len(limited["cpus"]) >= 2
    assert limited["t_s"] == sorted(limited["t_s"])
    # The CFS quota allows 25 ms per 100 ms period; a sample can straddle periods.
    assert mean(limited["cpus"]) <= 0.25 * 1.15
    assert max(usage["series"]["unlimited"]["cpus"]) > 0
    assert usage["online_cpus"] >= 1
    assert "--cpus=0.25" in usage["commands"]["limited"]


def test_blkio_weight_is_reported(client: Any, image_ref: str) -> None:
    found = isolation.blkio_weight_warnings(client, image_ref, weight=300)
    assert found["asked"] == 300
    # Either the engine kept the weight, or it said why it dropped it.
    assert found["kept"] == 300 or found["warnings"]
