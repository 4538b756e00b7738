"""Chapter 02's measurements against the real engine: what they claim is what Docker does."""

from __future__ import annotations

from collections.abc import Iterator
from statistics import mean
from typing import Any

import pytest

from dockcourse import isolation
from dockcourse.resources import list_owned, session_id

pytestmark = pytest.mark.engine


def _docker_engine(client: Any) -> bool:
    """Docker's own engine (not an API-compatible one): /version names it "Engine"."""
    components = client.version().get("Components") or []
    return any(c.get("Name") == "Engine" for c in components)


@pytest.fixture(autouse=True)
def _leaves_nothing_behind(client: Any) -> Iterator[None]:
    before = {o.id for o in list_owned(client, session=session_id(), chapter="02")}
    yield
    after = {o.id for o in list_owned(client, session=session_id(), chapter="02")}
    assert after <= before, "an isolation helper left a container behind"


def test_container_namespaces(
    client: Any,
    image_ref: str,
    engine_shares_kernel: bool,
    engine_is_rootless: bool,
) -> None:
    data = isolation.container_namespaces(client, image_ref)
    a, b, c = (data["containers"][key] for key in ("a", "b", "pid_host"))
    host = data["host"]
    assert set(a) >= {"pid", "net", "mnt", "uts", "ipc", "user"}
    for kind in ("pid", "net", "mnt", "uts", "ipc"):
        assert a[kind] != b[kind], f"two containers share a {kind} namespace"
    for kind in ("net", "mnt", "uts", "ipc"):
        assert c[kind] not in (a[kind], b[kind])
    assert c["pid"] not in (a["pid"], b["pid"])
    assert a["user"] == b["user"] == c["user"], "a container got a user namespace"
    if engine_shares_kernel:
        assert host is not None, (
            "the engine is local: the host's namespaces are readable"
        )
        assert data["host_source"] == "notebook"
    if host is None:
        return
    assert c["pid"] == host["pid"], "--pid=host is the host's PID namespace"
    assert a["uts"] != host["uts"]
    if not engine_is_rootless:
        assert a["user"] == host["user"], "a rootful engine makes no user namespace"
    assert isolation.namespace_table(data).count("host's") >= 4


def test_host_view_finds_the_container_process(
    client: Any,
    image_ref: str,
    engine_shares_kernel: bool,
    engine_is_rootless: bool,
) -> None:
    view = isolation.host_view(client, image_ref)
    assert not client.containers.list(all=True, filters={"name": view["name"]})
    if not engine_shares_kernel:
        assert not view["local"], "the engine runs on another kernel"
        assert view["reason"] in ("desktop", "vm", "remote"), view
        return
    assert view["local"], "engine and tests share this kernel here"
    assert view["cmdline"] == ["sleep", "120"]
    assert view["nspid"][0] == view["state_pid"] and view["nspid"][-1] == 1
    if engine_is_rootless:
        assert view["uid"][0] != "0", "rootless: root inside is a user outside"
    else:
        assert view["uid"][0] == "0", "no user namespace: root inside is UID 0 outside"
    # Its parent is the engine's per-container helper (a shim or conmon, by engine),
    # an ordinary process of this host: not the container's own command, not init.
    assert view["ppid"] > 1 and view["parent"], view
    assert view["parent"] != "sleep"


def test_oom_kill_is_reported_by_inspect(client: Any, image_ref: str) -> None:
    found = isolation.oom_kill(client, image_ref, mem_limit="16m")
    state = found["State"]
    assert state["ExitCode"] == 137, state  # SIGKILL from the kernel's OOM killer
    if _docker_engine(client):
        assert state["OOMKilled"] is True, state
    elif state["OOMKilled"] is not True:
        # an engine that does not pass the kernel's verdict on (Podman 4): the course
        # must say so rather than show "OOMKilled: False" as the lesson's result
        assert isolation.oom_note(found), found
    assert found["HostConfig"]["Memory"] == 16 * 2**20
    assert found["HostConfig"]["MemorySwap"] == 16 * 2**20
    assert "--memory=16m" in found["command"]
    # the hog is the container's main process, not a child of a shell
    assert found["command"].endswith(" tail /dev/zero"), found["command"]


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
    assert found["kept"] in (0, 300), "a weight is kept as asked or dropped"
    if found["kept"] == 0:
        assert found["warnings"], "the engine dropped the weight without saying why"
