"""Chapter 01's comparison says which is larger from the data, in both languages, and
its steps are keyed by what was asked (never by a name carrying the session's tag)."""

from __future__ import annotations

import pytest

from dockcourse.lessons import ch01, ch07
from dockcourse.measure.results import DiskPoint, FootprintPoint, Results, StartupSample
from dockcourse.recorded import Provenance
from dockcourse.session import Session, step_key
from dockcourse.text import set_language

NOW = "2026-12-06T00:00:00Z"


def _startup(series: str, seconds: float, accel: str = "") -> list[StartupSample]:
    detail = {"accel": accel} if accel else {}
    return [
        StartupSample(series, i, False, seconds, "exit", NOW, {}, detail)
        for i in range(3)
    ]


def _results(
    *, process: float, container: float, vm: float, accel: str = "tcg", vm_disk: int
) -> Results:
    startup = [
        *_startup("process", process),
        *_startup("container-none", container),
        *_startup("vm", vm, accel),
    ]
    disk = [
        DiskPoint("containers", 0, 10, 2_000_000, 2_000_000, 0, NOW),
        DiskPoint("containers", 1 << 20, 10, 12_000_000, 2_000_000, 10 << 20, NOW),
        DiskPoint("vm-linked", 0, 10, vm_disk, vm_disk, 0, NOW),
        DiskPoint("vm-full", 0, 10, 170_000_000, 0, 170_000_000, NOW),
    ]
    footprint = [
        FootprintPoint("process", "memory_bytes", 1, 300_000, "pss", NOW),
        FootprintPoint("container", "memory_bytes", 1, 3_000_000, "pss", NOW),
        FootprintPoint(
            "vm", "memory_bytes", 1, 60_000_000, "pss", NOW, {"accel": accel}
        ),
        FootprintPoint("vm", "memory_bytes", 1, 9_000_000, "guest_meminfo", NOW),
    ]
    return Results(
        Provenance("run", NOW),
        {},
        tuple(startup),
        tuple(disk),
        footprint=tuple(footprint),
    )


@pytest.fixture(autouse=True)
def english() -> None:
    set_language("en")


def test_the_comparison_follows_the_data_when_the_vm_is_slower() -> None:
    text = ch01.comparison(
        _results(process=0.002, container=0.4, vm=4.0, vm_disk=20_000_000)
    )
    assert "VM (TCG, software emulation)" in text
    assert "a container took 200× as long as a process" in text
    assert "took 10× as long as a container" in text
    assert "10 VMs as linked clones used 10× as much as 10 containers" in text
    assert "one idle container used 10× as much as a process" in text
    assert "software emulation (TCG)" in text  # the TCG sentence


def test_the_comparison_follows_the_data_when_the_vm_is_faster() -> None:
    text = ch01.comparison(
        _results(process=0.002, container=0.4, vm=0.1, accel="kvm", vm_disk=2_050_000)
    )
    assert "VM (KVM) took 4.0× less time than a container" in text
    assert "used about as much as 10 containers" in text
    assert "as long as a container" not in text
    assert "software emulation" not in text


def test_the_comparison_names_the_linked_clones_not_the_full_copies() -> None:
    text = ch01.comparison(
        _results(process=0.002, container=0.4, vm=4.0, vm_disk=20_000_000)
    )
    assert "19.1 MiB" in text  # linked clones, N = 10
    assert "162 MiB" not in text  # full copies are not the fair comparison


def test_the_comparison_in_japanese_says_the_same() -> None:
    set_language("ja")
    text = ch01.comparison(
        _results(process=0.002, container=0.4, vm=0.1, accel="kvm", vm_disk=2_050_000)
    )
    assert "コンテナの 4.0 分の 1 の時間" in text
    assert "コンテナ 10 個とほぼ同じ量" in text


def test_a_missing_quantity_shows_a_dash_and_no_sentence() -> None:
    results = Results(Provenance("run", NOW), {}, tuple(_startup("process", 0.002)))
    text = ch01.comparison(results)
    assert "–" in text
    assert "took" not in text


@pytest.mark.parametrize(
    ("value", "than", "said"),
    [(10, 1, "10× as long as x"), (1.05, 1, "about as long as x"), (1, 4, "4.0× less")],
)
def test_relation_picks_its_words_from_the_ratio(
    value: float, than: float, said: str
) -> None:
    assert said in ch01.relation(value, than, "x", "time")


def test_steps_are_keyed_by_what_was_asked() -> None:
    assert step_key("container", (), {"network": "none", "runs": 5}) == (
        'container(network="none", runs=5)'
    )
    assert step_key("writable_layer", ("fresh",), {}) == 'writable_layer("fresh")'


def test_recorded_checks_name_this_sessions_containers() -> None:
    from dockcourse.checks.ch01 import check_shared, check_writer

    course = Session(chapter="01", mode="recorded", lang="en")
    assert course.name("ex") + "-" in str(check_shared(course))
    assert course.name("writer") in str(check_writer(course))


def test_chapter_07_lists_published_figures_with_their_sources() -> None:
    figures = ch07.published_figures()
    assert [f.id for f in figures] and {f.id for f in figures} <= set(ch07.PUBLISHED)
    lines = ch07.published_table(figures).splitlines()
    assert len(lines) == len(figures)
    assert all("http" in line for line in lines)


def test_chapter_01_headlines_name_linked_clones_and_software_emulation() -> None:
    from dockcourse.measure.describe import headline
    from dockcourse.plots import _disk_headline
    from dockcourse.plots_footprint import headline_memory

    results = _results(process=0.002, container=0.4, vm=4.0, vm_disk=20_000_000)
    assert "software emulation" in headline(results)
    assert "linked clones" in _disk_headline(results)
    assert "VM (TCG, software emulation)" in headline_memory(results)
    kvm = _results(process=0.002, container=0.4, vm=0.3, accel="kvm", vm_disk=1)
    assert "software emulation" not in headline(kvm) + headline_memory(kvm)
    assert "KVM" in headline(kvm) and "VM (KVM)" in headline_memory(kvm)


def test_the_start_up_title_names_the_rungs_measured() -> None:
    from dockcourse.plots import startup_title

    results = _results(process=0.002, container=0.4, vm=4.0, vm_disk=1)
    assert startup_title(results) == "Start-up time: process → container → VM"
