"""dockcourse.builds against the real engine: builds, the cache, commit, diff, disk,
and that everything made here is found and removed by the chapter's clean-up."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from typing import Any

import docker.errors
import pytest

from dockcourse import builds
from dockcourse.resources import clean_chapter, list_owned

pytestmark = pytest.mark.engine
CHAPTER = "04-test-builds"


@pytest.fixture
def ref() -> Iterator[str]:
    yield f"dockcourse/test-builds-{secrets.token_hex(3)}:1"


@pytest.fixture(autouse=True)
def cleaned(client: Any) -> Iterator[None]:
    yield
    removed = clean_chapter(client, CHAPTER)
    assert all(r.removed for r in removed), removed
    assert list_owned(client, chapter=CHAPTER) == []


def test_rebuild_hits_the_cache_and_a_changed_copy_busts_it(
    client: Any, image_ref: str, ref: str
) -> None:
    dockerfile = f'FROM {image_ref}\nRUN echo slow > /s\nCOPY a.txt /a.txt\nCMD ["cat", "/a.txt"]\n'
    first = builds.build(client, dockerfile, tag=ref, chapter=CHAPTER,
                         files={"a.txt": "1"}, nocache=True)  # fmt: skip
    assert first["error"] == "" and first["cache_hits"] == 0
    again = builds.build(
        client, dockerfile, tag=ref, chapter=CHAPTER, files={"a.txt": "1"}
    )
    # every step after FROM came from the cache (RUN and COPY at least: a builder that
    # logs CMD and LABEL as steps of their own counts those too)
    assert again["cacheable"] >= 2
    assert again["cache_hits"] == again["cacheable"]
    assert again["image_id"] == first["image_id"]
    changed = builds.build(
        client, dockerfile, tag=ref, chapter=CHAPTER, files={"a.txt": "2"}
    )
    steps = changed["steps"]
    kinds = [s["instruction"].split()[0].upper() for s in steps]
    assert kinds[:3] == ["FROM", "RUN", "COPY"], kinds
    # before the changed file: from the cache; from its COPY on: built again
    assert steps[1]["cached"], steps
    assert not any(s["cached"] for s in steps[2:]), steps
    # the superseded image of the first build is gone, not left as <none>
    with pytest.raises(docker.errors.NotFound):
        client.api.inspect_image(first["image_id"])
    owned = list_owned(client, chapter=CHAPTER)
    assert [o.name for o in owned] == [ref]


def test_a_failing_build_reports_its_error(
    client: Any, image_ref: str, ref: str
) -> None:
    result = builds.build(
        client, f"FROM {image_ref}\nRUN exit 3\n", tag=ref, chapter=CHAPTER
    )
    # every builder words it its own way; each says the build failed and names the code
    assert result["error"].strip()
    assert re.search(r"\b3\b", result["error"]), result["error"]
    assert result["image_id"] == ""


def test_dockerignore_keeps_files_out(client: Any, image_ref: str, ref: str) -> None:
    files = {"keep.txt": "k", "secret.env": "s", ".dockerignore": "secret.env\n"}
    dockerfile = f"FROM {image_ref}\nCOPY . /ctx/\nRUN ls /ctx\n"
    result = builds.build(client, dockerfile, tag=ref, chapter=CHAPTER, files=files)
    assert "keep.txt" in result["log"] and "secret.env" not in result["log"]
    assert result["sent_files"] == [".dockerignore", "keep.txt"]


def test_commit_diff_history_and_shared_disk(
    client: Any, image_ref: str, ref: str
) -> None:
    made = builds.run_and_diff(
        client, image_ref, "echo hi > /hi.txt; rm /bin/hostname; echo x >> /etc/group",
        chapter=CHAPTER, commit_as=ref,
    )  # fmt: skip
    kinds = {d["path"]: d["kind"] for d in made["diff"]}
    assert kinds["/hi.txt"] == "A" and kinds["/bin/hostname"] == "D"
    assert kinds["/etc/group"] == "C"
    rows = builds.history(client, ref)
    assert len(rows) == len(builds.history(client, image_ref)) + 1
    disk = builds.disk_usage(client, [image_ref, ref])
    assert disk[1]["layers"][: len(disk[0]["layers"])] == disk[0]["layers"]
    assert disk[1]["shared_bytes"] >= disk[0]["size_bytes"]
    assert disk[1]["unique_bytes"] == disk[1]["size_bytes"] - disk[1]["shared_bytes"]
    assert list_owned(client, chapter=CHAPTER)[0].name == ref


def test_foreign_image_is_refused_by_the_kernel(client: Any, ref: str) -> None:
    from dockcourse.resources import run

    facts = builds.foreign_image(client, ref, chapter=CHAPTER)
    assert facts["binary_arch"] != facts["architecture"]
    result = run(client, ref, [], chapter=CHAPTER)
    assert result.exit_code != 0
    assert "exec format error" in result.output


def test_containers_of_one_image(client: Any, image_ref: str) -> None:
    rows = builds.containers_of(client, image_ref, 2, chapter=CHAPTER)
    assert len({r["container"] for r in rows}) == 2
    assert len({r["image"] for r in rows}) == 1


def test_refuses_names_outside_the_course(client: Any, image_ref: str) -> None:
    with pytest.raises(builds.BadRef):
        builds.build(client, f"FROM {image_ref}\n", tag="busybox:mine", chapter=CHAPTER)
