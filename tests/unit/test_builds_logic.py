"""dockcourse.builds: the pure parts (log parsing, names, labels, contexts, formats)."""

from __future__ import annotations

import pytest

from dockcourse import builds
from dockcourse.resources import LABEL_COURSE, LABEL_IMAGE, LABEL_ROLE

LOG = [
    "Step 1/4 : FROM dockcourse/busybox:0.1.0",
    " ---> 5103286c55fc",
    "Step 2/4 : RUN sleep 1",
    " ---> Using cache",
    " ---> 0b2a9a817783",
    "Step 3/4 : COPY app.txt /app/",
    " ---> a0561b99cdc9",
    'Step 4/4 : LABEL io.dockcourse.chapter="04"',
    " ---> Running in c3e73207f364",
    "Successfully built 06f1bcba0f57",
]


def test_parse_log_marks_cached_steps() -> None:
    steps = builds.parse_log(LOG)
    assert [s["step"] for s in steps] == [1, 2, 3, 4]
    assert [s["cached"] for s in steps] == [False, True, False, False]
    assert steps[2]["instruction"] == "COPY app.txt /app/"


def test_log_lines_and_error() -> None:
    lines, error = builds.log_lines(
        [{"stream": "Step 1/1 : FROM x\n"}, {"stream": "\n"}, {"error": "boom\n"}]
    )
    assert lines == ["Step 1/1 : FROM x"]
    assert error == "boom"


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("dockcourse/ch04-hello:1", ("dockcourse/ch04-hello", "1")),
        ("dockcourse/x", ("dockcourse/x", "latest")),
    ],
)
def test_check_ref_accepts_course_names(ref: str, expected: tuple[str, str]) -> None:
    assert builds.check_ref(ref) == expected


@pytest.mark.parametrize(
    "ref", ["busybox:1", "hello", "dockcourse/:1", "dockcourse/A:1"]
)
def test_check_ref_refuses_other_names(ref: str) -> None:
    with pytest.raises(builds.BadRef):
        builds.check_ref(ref)


def test_course_image_labels_blank_inherited_ones_and_stay_fixed() -> None:
    labels = builds.course_image_labels("04")
    assert labels[LABEL_IMAGE] == "true"
    assert labels[LABEL_ROLE] != "course-image" and labels[LABEL_COURSE] == ""
    assert builds.course_image_labels("04") == labels  # a rebuild hits the cache


def test_label_instruction_is_one_step() -> None:
    line = builds.label_instruction({"b": "2", "a": "1"})
    assert line == 'LABEL a="1" b="2"'


def test_context_files_follow_dockerignore() -> None:
    files: dict[str, str | bytes] = {
        "app.txt": "a",
        "secret.env": "s",
        "logs/x.log": "l",
    }
    assert builds.context_files(files) == ["app.txt", "logs/x.log", "secret.env"]
    files[".dockerignore"] = "secret.env\nlogs/\n"
    assert builds.context_files(files) == [".dockerignore", "app.txt"]


def test_write_context_refuses_paths_outside(tmp_path: object) -> None:
    from pathlib import Path

    with pytest.raises(ValueError, match="outside"):
        builds.write_context(Path(str(tmp_path)), "", {"../evil": "x"})


def test_format_build_abbreviates_the_label_step() -> None:
    text = builds.format_build({"tag": "dockcourse/a:1", "log": LOG, "nocache": True})
    assert text.startswith("$ docker build --no-cache -t dockcourse/a:1 .")
    assert "Step 4/4 : LABEL io.dockcourse.*=…" in text


def test_elf_header_names_the_cpu() -> None:
    from dockcourse.images import elf_facts

    head = builds.elf_header("arm64") + bytes(64)
    assert elf_facts(head) == (True, 183)
    assert builds.other_arch("x86_64") == "arm64"
    assert builds.other_arch("aarch64") == "amd64"


def test_formats_of_history_and_disk() -> None:
    rows = [{"id": "", "created_by": "x" * 100, "size_bytes": 5, "comment": ""}]
    assert "<missing>" in builds.format_history(rows)
    disk = [
        {
            "image_ref": "dockcourse/a:1",
            "size_bytes": 10,
            "shared_bytes": 4,
            "unique_bytes": 6,
            "layers": ["sha256:" + "a" * 64],
        }
    ]
    assert "SHARED SIZE" in builds.format_disk(disk)
    assert "aaaaaaaaaaaa" in builds.layer_table(disk)
