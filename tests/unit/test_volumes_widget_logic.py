"""Pure helpers of the volume widget: table rendering and sizes (no daemon)."""

from __future__ import annotations

from dockcourse import volumes as vol
from dockcourse.resources import LABEL_COURSE
from dockcourse.widgets.volumes import format_size, render_table


def test_sizes_read_like_docker() -> None:
    assert format_size(None) == "unknown"
    assert format_size(0) == "0 B"
    assert format_size(1023) == "1023 B"
    assert format_size(1536) == "1.5 KiB"
    assert format_size(5 * 1024**3) == "5.0 GiB"


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
        "2.0 KiB" in html and "unknown" in html
    )  # sizes known: a missing one is unknown
    assert "2024-01-02 03:04:05" in html


def test_table_while_sizes_are_computed() -> None:
    rows = (vol.VolumeRow("v1", "local", "", {}, "", "local", {}),)
    assert "…" in render_table(rows, None, computing=True)
    assert "…" not in render_table(rows, None, computing=False)
    assert "no volumes" in render_table((), None)
