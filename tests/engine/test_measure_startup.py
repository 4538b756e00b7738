"""Start-up series against the real engine and host: counts, phases, cleanup, Ctrl-C."""

from __future__ import annotations

from typing import Any

import pytest

from dockcourse import resources
from dockcourse.measure import startup
from dockcourse.measure.results import CONTAINER_PHASES, series_stats

pytestmark = pytest.mark.engine


def measured_containers_left(client: Any) -> list[str]:
    """Containers this session's measurements made that still exist."""
    found = client.api.containers(
        all=True,
        filters={
            "label": [
                f"{resources.LABEL_SESSION}={resources.session_id()}",
                startup.LABEL_SERIES,
            ]
        },
    )
    return [c["Id"] for c in found]


def test_process_and_namespaces_series() -> None:
    process = startup.measure_process(4, warmup=1, progress=False)
    assert [s.index for s in process] == [0, 1, 2, 3, 4]
    assert [s.warmup for s in process] == [True, False, False, False, False]
    assert all(0 < s.elapsed_s < startup.PROCESS_TIMEOUT_S for s in process)
    namespaces = startup.measure_namespaces(4, warmup=1, progress=False)
    assert len(namespaces) == 5
    assert "--pid" in namespaces[0].detail["command"]
    assert "--net" in namespaces[0].detail["command"]


@pytest.mark.parametrize("network", ["none", "bridge"])
def test_container_samples_have_ordered_phases_that_sum_to_the_total(
    client: Any, image_ref: str, network: str
) -> None:
    taken: list[Any] = []
    samples = startup.measure_container(
        client,
        3,
        network=network,
        warmup=1,
        image_ref=image_ref,
        progress=False,
        on_sample=taken.append,
    )
    assert len(samples) == len(taken) == 4
    assert samples[0].warmup and not any(s.warmup for s in samples[1:])
    for sample in samples:
        assert sample.series == f"container-{network}"
        assert list(sample.phases_s) == list(CONTAINER_PHASES)
        assert all(value >= 0 for value in sample.phases_s.values())
        assert sample.phases_s["start"] > 0 and sample.phases_s["create"] > 0
        assert sum(sample.phases_s.values()) == pytest.approx(
            sample.elapsed_s, rel=0.05
        )
        assert sample.detail["network"] == network
        # the engine's own timestamps, from its event log
        create_to_destroy = float(sample.detail["engine_create_to_destroy_s"])
        assert 0 < create_to_destroy <= sample.elapsed_s * 1.5
        assert float(sample.detail["engine_create_to_start_s"]) > 0
    assert measured_containers_left(client) == []


def test_a_container_is_slower_than_a_process(client: Any, image_ref: str) -> None:
    process = series_stats(startup.measure_process(5, progress=False))
    container = series_stats(
        startup.measure_container(client, 3, image_ref=image_ref, progress=False)
    )
    assert process is not None and container is not None
    assert container.median_s > 5 * process.median_s


def test_cold_sample_uses_a_fresh_image_and_removes_it(
    client: Any, image_ref: str
) -> None:
    before = {i["Id"] for i in client.api.images(all=True)}
    samples = startup.measure_container(
        client, 1, cold=True, image_ref=image_ref, progress=False
    )
    assert [s.series for s in samples] == ["container-cold"]
    assert not samples[0].warmup
    after = {i["Id"] for i in client.api.images(all=True)}
    assert after - before == set()
    assert not client.api.images(name=startup.COLD_REPO)


def test_ctrl_c_in_the_middle_of_a_sample_leaves_no_container(
    client: Any, image_ref: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The container is created and started for real; Ctrl-C lands while waiting."""
    real_wait = client.api.wait

    def interrupted_wait(*args: Any, **kwargs: Any) -> Any:
        real_wait(*args, **kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr(client.api, "wait", interrupted_wait)
    with pytest.raises(KeyboardInterrupt):
        startup.measure_container(client, 2, image_ref=image_ref, progress=False)
    monkeypatch.undo()
    assert measured_containers_left(client) == []
