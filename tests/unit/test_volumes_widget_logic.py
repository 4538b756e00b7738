"""Pure helpers of the volume widget: table rendering and sizes (no daemon)."""

from __future__ import annotations

import html

import pytest

from dockcourse import volumes as vol
from dockcourse.resources import LABEL_COURSE
from dockcourse.text import t
from dockcourse.widgets.volumes import VolumeManager, format_size, render_table


def test_sizes_read_like_docker() -> None:
    assert format_size(None) == "unknown"
    assert format_size(0) == "0 B"
    assert format_size(1023) == "1023 B"
    assert format_size(1536) == "1.5 KiB"
    assert format_size(5 * 1024**3) == "5 GiB"


def test_table_escapes_names_and_labels_and_badges_owners() -> None:
    rows = (
        vol.VolumeRow("course-vol", "local", "2024-01-02T03:04:05Z",
                      {LABEL_COURSE: "true", "note": "<b>x</b>"}, "", "local", {}),
        vol.VolumeRow("mine", "local", "", {}, "", "local", {}, (
            vol.VolumeUser("id", "<script>", "/data", True, "running"),)),
    )  # fmt: skip
    html = render_table(rows, {"course-vol": 2048}, computing=False)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "note=&lt;b&gt;x&lt;/b&gt;" in html
    assert LABEL_COURSE not in html  # the badge says it instead
    assert ">course<" in html and ">yours<" in html
    assert (
        "2 KiB" in html and "unknown" in html
    )  # sizes known: a missing one is unknown
    assert "2024-01-02 03:04:05" in html


def test_table_while_sizes_are_computed() -> None:
    rows = (vol.VolumeRow("v1", "local", "", {}, "", "local", {}),)
    assert "…" in render_table(rows, None, computing=True)
    assert "…" not in render_table(rows, None, computing=False)
    assert "no volumes" in render_table((), None)


def test_recorded_mode_needs_no_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKCOURSE_MODE", "recorded")
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    vm = VolumeManager()
    assert vm.mode == "recorded" and vm.client is None
    # The banner names the engine and the day of the shipped recording, whatever they are.
    provenance = vm.recording.listing.provenance  # type: ignore[union-attr]
    assert provenance is not None and provenance.engine_version
    banner = html.unescape(vm.banner.value)
    assert t("volumes.banner.recorded", provenance=provenance.describe()) in banner
    assert provenance.engine_version in banner and provenance.recorded_at in banner
    assert len(vm.select.options) == len(vm.recording.listing.volumes)  # type: ignore[union-attr]
    vm.create_name.value = "myvolume"
    vm.create_button.click()
    assert (
        vm.last_command.startswith("docker volume create")
        and "myvolume" in vm.last_command
    )
    assert "nothing was changed" in vm.last_message
    vm.create_name.value = "-bad"
    vm.create_button.click()  # validated even when nothing would run
    assert "not a valid volume name" in vm.last_message
    vm.filter.value = "in_use"
    assert all(vm._row(n).in_use for n in vm.select.options)  # type: ignore[union-attr]
    vm.inspect_button.click()
    assert "Mountpoint" in vm.inspect_view.value and "recorded" in vm.last_message


def test_without_an_engine_the_widget_falls_back_to_recorded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("DOCKCOURSE_MODE", raising=False)
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    vm = VolumeManager()
    assert vm.mode == "recorded"
    assert "/nonexistent/docker.sock" in vm.why_recorded
    assert "no Docker engine" in vm.banner.value
