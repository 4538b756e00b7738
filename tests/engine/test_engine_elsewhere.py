"""The course's answers hold on whichever engine the tests run against, local or in a VM
(Docker Desktop, colima, the project's own VM engine: ``scripts/engines/vm``).

Which kind it is is found out (``engine_shares_kernel``: the kernel's boot ID seen in a
container), never taken from the endpoint, and each test checks the branch that applies.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from dockcourse import isolation
from dockcourse.measure import startup

pytestmark = pytest.mark.engine


def test_namespace_table_has_a_host_reference_on_every_engine(
    client: Any, image_ref: str, engine_shares_kernel: bool
) -> None:
    data = isolation.container_namespaces(client, image_ref)
    a, b, c = (data["containers"][key] for key in ("a", "b", "pid_host"))
    host = data["host"]
    assert host is not None, "no host reference: pid/user/time would read 'own'"
    if not engine_shares_kernel:
        assert data["host_source"] == "engine"
        assert "mnt" not in host, "a container never shares the host's mnt"
    assert c["pid"] == host["pid"], "--pid=host is the engine host's PID namespace"
    assert a["pid"] != host["pid"] and b["pid"] != host["pid"]
    assert a["user"] == b["user"] == host["user"]
    assert a["time"] == host["time"], "Docker makes no time namespace"
    assert a["uts"] != host["uts"] and a["net"] != host["net"]
    table = isolation.namespace_table(data).splitlines()
    rows = {line.split()[0]: line.split()[1:] for line in table[1:9]}
    assert rows["pid"][2] == "host's" and rows["pid"][:2] == ["own", "own"]
    assert rows["user"] == ["host's"] * 3
    assert rows["time"] == ["host's"] * 3


def test_host_view_reason_follows_the_evidence(
    client: Any, image_ref: str, engine_shares_kernel: bool, engine_endpoint: Any
) -> None:
    view = isolation.host_view(client, image_ref)
    text = isolation.host_view_lines(view)
    if view["local"]:
        assert engine_shares_kernel
        assert view["cmdline"] == ["sleep", "120"]
        return
    if engine_shares_kernel:
        assert view["reason"] == "hidden"
        return
    assert view["reason"] != "hidden"
    assert "shares this kernel" not in text
    assert view["kernel"] == client.info()["KernelVersion"]
    if view["reason"] != "desktop":
        here = isolation.endpoint_is_on_this_machine(engine_endpoint.url)
        assert view["reason"] == ("vm" if here else "remote")
        assert view["kernel"] in text


def test_engine_kernel_is_found_out(
    client: Any, image_ref: str, engine_shares_kernel: bool
) -> None:
    where = startup.engine_kernel(client, image_ref, "01")
    assert where == ("this" if engine_shares_kernel else "other")


class _ShiftedClock:
    """The ``time`` module as a machine whose clock is ``shift_s`` off the engine's."""

    def __init__(self, shift_s: float) -> None:
        self.shift_s = shift_s

    def time(self) -> float:
        return time.time() + self.shift_s

    def time_ns(self) -> int:
        return time.time_ns() + int(self.shift_s * 1e9)

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)


@pytest.mark.parametrize("shift_s", [1.5, -1.5])
def test_engine_events_survive_a_clock_skew(
    client: Any, image_ref: str, shift_s: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A VM's clock a second or more off the notebook's (seen on TCG guests) used to
    lose the first container's ``create`` event."""
    real_offset, _ = startup.engine_clock_offset(client)
    monkeypatch.setattr(startup, "time", _ShiftedClock(shift_s))
    samples = startup.measure_container(
        client, 2, warmup=1, image_ref=image_ref, progress=False
    )
    for sample in samples:
        assert float(sample.detail["engine_clock_offset_s"]) == pytest.approx(
            real_offset - shift_s, abs=0.5
        )
        create_to_destroy = float(sample.detail["engine_create_to_destroy_s"])
        assert 0 < create_to_destroy <= sample.elapsed_s * 1.5
        assert float(sample.detail["engine_create_to_start_s"]) > 0
        first = sample.detail["first_output_after_start_s"]
        # placed in this machine's time: within the sample, not shifted by the skew
        assert first == "" or abs(float(first)) < sample.elapsed_s
