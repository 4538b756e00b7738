"""Engine-neutral behaviour against the real engine (Docker or Podman, whichever
``DOCKER_HOST`` / the context names): the course image's name and labels, cleanup
through label filters, image references, engine identity and naming, system df, and a
name conflict recognised by meaning."""

from __future__ import annotations

import platform
import secrets
from collections.abc import Iterator
from typing import Any

import docker.errors
import pytest

from dockcourse import builds, contexts, resources
from dockcourse.engine import connect, engine_info, normalize_arch
from dockcourse.images import (
    build_course_image,
    course_image_labels,
    find_static_busybox,
)

pytestmark = pytest.mark.engine
CHAPTER = "test-neutral"


@pytest.fixture(autouse=True)
def cleaned(client: Any) -> Iterator[None]:
    yield
    removed = resources.clean_chapter(client, CHAPTER)
    assert all(r.removed for r in removed), removed
    assert resources.list_owned(client, chapter=CHAPTER) == []


def _labelled_images(client: Any, **labels: str) -> list[dict[str, Any]]:
    """Images carrying every label, asked one label at a time (as a learner's
    ``docker images --filter label=…`` would), so no engine's filter quirk hides one."""
    found = client.api.images(filters={"label": [f"{resources.LABEL_IMAGE}=true"]})
    return [
        image
        for image in found
        if all((image.get("Labels") or {}).get(k) == v for k, v in labels.items())
    ]


def test_imported_course_image_has_its_name_and_each_label(client: Any) -> None:
    arch = str(client.info().get("Architecture", ""))
    busybox, reason = find_static_busybox(arch)
    if busybox is None:
        pytest.skip(f"no static busybox on this machine: {reason}")
    ref = f"dockcourse/test-neutral-import:{secrets.token_hex(3)}"
    build_course_image(client, busybox, ref)
    try:
        found = client.api.inspect_image(ref)
        assert ref in resources.repo_tags(found)
        labels = found["Config"]["Labels"] or {}
        for key, value in course_image_labels().items():
            assert labels.get(key) == value, (key, labels)
        ran = client.containers.run(ref, ["sh", "-c", "echo ok"], remove=True)
        assert ran.decode().strip() == "ok"
    finally:
        client.api.remove_image(ref)
    with pytest.raises(docker.errors.ImageNotFound):
        client.api.inspect_image(ref)


def test_committed_image_is_found_by_session_and_chapter_and_really_removed(
    client: Any, image_ref: str
) -> None:
    ref = f"dockcourse/test-neutral-commit:{secrets.token_hex(3)}"
    made = builds.run_and_diff(
        client, image_ref, "echo x > /x", chapter=CHAPTER, commit_as=ref
    )
    labels = client.api.inspect_image(ref)["Config"]["Labels"] or {}
    assert labels.get(resources.LABEL_CHAPTER) == CHAPTER
    assert labels.get(resources.LABEL_SESSION) == resources.session_id()
    owned = resources.list_owned(
        client, session=resources.session_id(), chapter=CHAPTER
    )
    assert [item.name for item in owned if item.kind == "image"] == [ref]
    removed = resources.clean_chapter(client, CHAPTER)
    assert [r.item.name for r in removed if r.removed] == [ref]
    # gone from the engine itself, not only from the course's listing
    left = _labelled_images(client, **{resources.LABEL_CHAPTER: CHAPTER})
    assert left == []
    with pytest.raises(docker.errors.ImageNotFound):
        client.api.inspect_image(made["image_id"])


def test_disk_usage_finds_images_whatever_the_id_prefix(
    client: Any, image_ref: str
) -> None:
    rows = builds.disk_usage(client, [image_ref])
    assert [row["image_ref"] for row in rows] == [image_ref]
    wanted = resources.short_id(client.api.inspect_image(image_ref)["Id"])
    assert rows[0]["id"] == wanted
    assert rows[0]["size_bytes"] > 0


def test_engine_identity_is_stable_and_the_same_through_a_second_client(
    client: Any,
) -> None:
    first = contexts.engine_id(client)
    assert first == contexts.engine_id(client)
    other = connect()
    try:
        assert contexts.engine_id(other) == first
    finally:
        other.close()


def test_engine_is_named_for_what_it_is(client: Any) -> None:
    info = engine_info(client)
    components = [
        str(c.get("Name", "")).lower() for c in client.version().get("Components") or []
    ]
    is_podman = any(name.startswith("podman") for name in components)
    assert info.is_podman == is_podman
    assert info.product != "Docker Engine" or not is_podman
    assert info.version in ("?", str(client.version().get("Version")))
    if info.placement == "local":
        assert normalize_arch(info.arch) == normalize_arch(platform.machine())


def test_a_taken_name_is_a_conflict_by_meaning(client: Any, image_ref: str) -> None:
    name = resources.new_name(CHAPTER, "conflict")
    labels = resources.labels(CHAPTER)
    client.api.create_container(image_ref, ["true"], name=name, labels=labels)
    try:
        with pytest.raises(docker.errors.APIError) as caught:
            client.api.create_container(image_ref, ["true"], name=name, labels=labels)
        assert resources.is_name_conflict(caught.value)
    finally:
        client.api.remove_container(name, force=True)


def test_a_missing_image_is_not_a_conflict(client: Any) -> None:
    with pytest.raises(docker.errors.APIError) as caught:
        client.api.create_container(
            f"dockcourse/test-neutral-missing:{secrets.token_hex(3)}", ["true"]
        )
    assert not resources.is_name_conflict(caught.value)
