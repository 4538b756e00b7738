"""Records, run files (append, interrupt, resume), statistics and published figures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dockcourse.measure.results import (
    BadInput,
    DiskPoint,
    StartupSample,
    Unavailable,
    check_runs,
    check_series,
    host_provenance,
    load_published,
    load_results,
    open_run,
    parse_published,
    phase_medians,
    quantile,
    series_stats,
)


def sample(
    series: str,
    index: int,
    elapsed_s: float,
    *,
    warmup: bool = False,
    phases: dict[str, float] | None = None,
) -> StartupSample:
    return StartupSample(
        series=series,
        index=index,
        warmup=warmup,
        elapsed_s=elapsed_s,
        endpoint="process exit",
        taken_at="2026-01-01T00:00:00+00:00",
        phases_s=phases or {},
        detail={"k": "v"},
    )


@pytest.mark.parametrize("runs", [0, -3, 1.5, True, "5"])
def test_runs_must_be_a_positive_whole_number(runs: object) -> None:
    with pytest.raises(BadInput, match="at least 1"):
        check_runs(runs)  # type: ignore[arg-type]


def test_runs_accepts_positive() -> None:
    assert check_runs(3) == 3


def test_unknown_series_names_the_known_ones() -> None:
    with pytest.raises(BadInput, match=r"unknown series 'vmm'.*container-none"):
        check_series(["process", "vmm"])


def test_quantile_matches_linear_interpolation() -> None:
    assert quantile([4.0, 1.0, 3.0, 2.0], 0.5) == 2.5
    assert quantile([1.0, 2.0, 3.0, 4.0, 5.0], 0.25) == 2.0
    assert quantile([7.0], 0.75) == 7.0


def test_stats_leave_warmups_out() -> None:
    samples = [sample("process", 0, 100.0, warmup=True)] + [
        sample("process", i, v) for i, v in enumerate([1.0, 2.0, 3.0], start=1)
    ]
    stats = series_stats(samples)
    assert stats is not None
    assert (stats.count, stats.median_s, stats.max_s) == (3, 2.0, 3.0)
    assert series_stats([sample("process", 0, 1.0, warmup=True)]) is None


def test_phase_medians_keep_phase_order() -> None:
    samples = [
        sample("container-none", 0, 0.3, phases={"create": 0.1, "start": 0.2}),
        sample("container-none", 1, 0.5, phases={"create": 0.3, "start": 0.2}),
        sample("container-none", 2, 9.9, warmup=True, phases={"create": 9.0}),
    ]
    assert phase_medians(samples) == {"create": pytest.approx(0.2), "start": 0.2}


def test_run_file_appends_and_reads_back(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    provenance = host_provenance("run-1")
    with open_run(path, provenance=provenance, settings={"quick": True}) as run:
        run.add_sample(sample("process", 0, 0.001))
        run.add_disk(DiskPoint("containers", 0, 1, 10, 10, 0, "now"))
        run.add_unavailable(Unavailable("vm", "no QEMU", "apt-get install", "now"))
        # written at once: readable while the run is still open
        assert load_results(path).samples("process")[0].elapsed_s == 0.001
    results = load_results(path)
    assert results.run_id == "run-1"
    assert results.disk[0].total_bytes == 10
    assert [u.series for u in results.unavailable] == ["vm"]
    assert results.provenance.cpu_model


def test_interrupted_last_line_is_ignored_and_run_resumes(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    settings = {"quick": True}
    with open_run(path, provenance=host_provenance("run-1"), settings=settings) as run:
        run.add_sample(sample("process", 0, 0.001))
        run.add_sample(sample("process", 1, 0.002))
    with path.open("a") as f:
        f.write('{"type": "startup", "series": "proc')  # Ctrl-C mid-write
    resumed = open_run(path, provenance=host_provenance("run-2"), settings=settings)
    try:
        assert resumed.run_id == "run-1"
        assert resumed.done("process") == 2
        resumed.add_sample(sample("process", 2, 0.003))
    finally:
        resumed.close()
    assert [s.index for s in load_results(path).samples("process")] == [0, 1, 2]


def test_other_settings_start_a_new_run_and_keep_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    with open_run(
        path, provenance=host_provenance("a"), settings={"quick": True}
    ) as run:
        run.add_sample(sample("process", 0, 0.001))
    with open_run(
        path, provenance=host_provenance("b"), settings={"quick": False}
    ) as run:
        assert run.done("process") == 0
    assert load_results(path).run_id == "b"
    assert load_results(tmp_path / "results.previous.jsonl").run_id == "a"


def test_amended_detail_is_merged_on_load(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    with open_run(path, provenance=host_provenance("r"), settings={}) as run:
        first = sample("container-none", 0, 0.3)
        run.add_sample(first)
        run.amend_detail(
            StartupSample(
                **{**first.__dict__, "detail": {"engine_start_to_die_s": "0.02"}}
            )
        )
    detail = load_results(path).samples("container-none")[0].detail
    assert detail == {"k": "v", "engine_start_to_die_s": "0.02"}


def test_a_file_without_header_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text(json.dumps({"type": "startup"}) + "\n")
    with pytest.raises(BadInput, match="not a dockcourse run"):
        load_results(path)
    with pytest.raises(BadInput, match="cannot read"):
        load_results(tmp_path / "missing.jsonl")


def test_published_keeps_only_verified_rows_and_converts_units() -> None:
    rows = [
        {
            "id": "a",
            "value_low": "125",
            "value_high": "125",
            "unit": "ms",
            "verified": "yes",
            "what": "x",
            "source": "S",
            "year": "2020",
        },
        {
            "id": "b",
            "value_low": "1",
            "value_high": "2",
            "unit": "s",
            "verified": "corrected",
        },
        {
            "id": "c",
            "value_low": "5",
            "value_high": "5",
            "unit": "ms",
            "verified": "unverified",
        },
        {
            "id": "d",
            "value_low": "226.75",
            "value_high": "226.75",
            "unit": "MiB",
            "verified": "yes",
        },
    ]
    figures = {f.id: f for f in parse_published(rows)}
    assert set(figures) == {"a", "b", "d"}
    assert figures["a"].low == pytest.approx(0.125)
    assert figures["a"].citation() == "S, 2020"
    assert (figures["b"].low, figures["b"].high) == (1.0, 2.0)
    assert figures["d"].quantity == "disk"
    assert figures["d"].low == pytest.approx(226.75 * 1024**2)


def test_shipped_published_figures_load_with_citations() -> None:
    figures = load_published()
    assert any(f.quantity == "time" for f in figures)
    assert all(f.verified in ("yes", "corrected") for f in figures)
    assert all(f.source and f.url.startswith("http") for f in figures)


def test_a_run_file_keeps_causes_and_notes_as_keys_shown_in_each_language(
    tmp_path: Path,
) -> None:
    from dockcourse.text import set_language, t

    path = tmp_path / "r.jsonl"
    cause = t("measure.tool_missing.cause", lang="en", tool="qemu-img")
    with open_run(path, provenance=host_provenance("r"), settings={}) as run:
        run.add_unavailable(Unavailable("vm-disk", cause, "", "now"))
        note = t("measure.vm.note.tcg", why=t("measure.vm.kvm_booted"))
        run.add_sample(
            StartupSample("vm", 0, False, 2.0, "exit", "now", {}, {"accel_note": note})
        )
    text = path.read_text("utf-8")
    assert "qemu-img" in text and cause not in text  # the key, not the sentence
    set_language("ja")
    try:
        back = load_results(path)
        assert str(back.unavailable[0].cause) == t(
            "measure.tool_missing.cause", tool="qemu-img"
        )
        assert str(back.startup[0].detail["accel_note"]) == t(
            "measure.vm.note.tcg", why=t("measure.vm.kvm_booted")
        )
    finally:
        set_language(None)
