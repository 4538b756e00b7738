"""Measurements as observed data: JSON-able, unavailable parts kept, mode labelled."""

from __future__ import annotations

import json

from dockcourse.measure.observed import (
    observed,
    results_from,
    run_provenance,
    summary,
    vm_notes,
)
from dockcourse.measure.results import (
    DiskPoint,
    MeasurementUnavailable,
    StartupSample,
)
from dockcourse.text import set_language, t


def samples(series: str, values: list[float], **detail: str) -> list[StartupSample]:
    return [
        StartupSample(series, i, i == 0, v, "exit", "now", {}, dict(detail))
        for i, v in enumerate(values)
    ]


def test_observed_is_json_and_round_trips_with_the_mode() -> None:
    set_language("en")
    part = observed(samples, "process", [9.0, 0.001, 0.002, 0.003])
    disk = observed(lambda: [DiskPoint("containers", 0, 2, 10, 10, 0, "now")])
    json.dumps([part, disk])
    run = run_provenance(None)
    for mode in ("live", "recorded"):
        results = results_from(run, part, disk, mode=mode)
        assert results.mode == mode
        assert results.run_id == run["run_id"]
        assert len(results.samples("process")) == 3  # the warm-up is left out
        assert results.disk[0].total_bytes == 10
    label = results_from(run, part, mode="recorded").label()
    assert label.startswith(t("measure.label.recorded"))


def test_unavailable_series_is_reported_with_its_fix() -> None:
    set_language("en")

    def broken() -> list[StartupSample]:
        raise MeasurementUnavailable("vm", "QEMU is not installed", "install qemu")

    part = observed(broken)
    assert part["unavailable"][0]["cause"] == "QEMU is not installed"
    text = summary(part, observed(samples, "process", [1.0, 0.001, 0.001]))
    assert "n = 2" in text
    assert "QEMU is not installed" in text and "install qemu" in text


def test_vm_notes_say_which_accelerator_and_why() -> None:
    part = observed(samples, "vm", [2.0, 2.1], accel="tcg", accel_note="TCG: no KVM")
    assert vm_notes(part) == "TCG: no KVM"
