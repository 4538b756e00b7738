"""Ownership rules: labels, names, and what counts as a stale leftover."""

from __future__ import annotations

import os
import re

from dockcourse.resources import (
    FOREIGN_STALE_AFTER_S,
    LABEL_COURSE,
    LABEL_CREATED,
    LABEL_HOST,
    LABEL_IMAGE,
    LABEL_PID,
    LABEL_ROLE,
    LABEL_SESSION,
    ROLE_COURSE_IMAGE,
    Owned,
    course_filter,
    image_labels,
    is_stale,
    labels,
    new_name,
)

DOCKER_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]+$")


def test_labels_identify_course_session_and_process() -> None:
    found = labels("03")
    assert found[LABEL_COURSE] == "true"
    assert found[LABEL_PID] == str(os.getpid())
    assert found[LABEL_SESSION] == labels("04")[LABEL_SESSION]


def test_names_are_prefixed_unique_and_valid() -> None:
    names = {new_name("06 volumes", "my/weird name!") for _ in range(50)}
    assert len(names) == 50
    assert all(n.startswith("dockcourse-") and DOCKER_NAME.match(n) for n in names)


def test_filter_always_carries_the_course_label() -> None:
    assert course_filter() == {"label": [f"{LABEL_COURSE}=true"]}
    assert f"{LABEL_COURSE}=true" in course_filter(x="y")["label"]


def _item(**lab: str) -> Owned:
    return Owned("container", "id", "name", {LABEL_COURSE: "true", **lab})


def test_stale_when_owner_process_is_gone() -> None:
    item = _item(**{LABEL_HOST: "h", LABEL_PID: "4242", LABEL_CREATED: "100"})
    assert is_stale(item, now=200, host="h", pid_alive=lambda pid: False)
    assert not is_stale(item, now=200, host="h", pid_alive=lambda pid: True)


def test_own_process_is_never_stale() -> None:
    item = _item(**{LABEL_HOST: "h", LABEL_PID: str(os.getpid()), LABEL_CREATED: "0"})
    assert not is_stale(item, now=1e12, host="h", pid_alive=lambda pid: False)


def test_other_hosts_leftovers_wait_a_day() -> None:
    item = _item(**{LABEL_HOST: "laptop", LABEL_PID: "1", LABEL_CREATED: "1000"})
    assert not is_stale(item, now=1000 + FOREIGN_STALE_AFTER_S - 1, host="ci")
    assert is_stale(item, now=1000 + FOREIGN_STALE_AFTER_S + 1, host="ci")


def test_course_image_is_never_stale() -> None:
    lab = {LABEL_ROLE: ROLE_COURSE_IMAGE, LABEL_HOST: "h", LABEL_PID: "7"}
    image = Owned("image", "id", "dockcourse/busybox:1", lab)
    assert not is_stale(image, now=1e12, host="h", pid_alive=lambda pid: False)


def test_container_inheriting_the_image_role_is_still_a_container() -> None:
    # A container inherits its image's labels; it must not pass for the course image.
    item = _item(**{LABEL_ROLE: ROLE_COURSE_IMAGE, LABEL_HOST: "h", LABEL_PID: "7"})
    assert not item.is_course_image
    assert is_stale(item, now=1e12, host="h", pid_alive=lambda pid: False)


def test_image_labels_use_their_own_key() -> None:
    found = image_labels("04")
    assert found[LABEL_COURSE] != "true" and found[LABEL_IMAGE] == "true"


def test_reused_pid_is_stale() -> None:
    item = _item(
        **{LABEL_HOST: "h", LABEL_PID: "4242", "io.dockcourse.pid-start": "100"}
    )
    alive = {"pid_alive": lambda pid: True}
    assert is_stale(item, now=0, host="h", pid_start=lambda pid: "999", **alive)
    assert not is_stale(item, now=0, host="h", pid_start=lambda pid: "100", **alive)
    assert not is_stale(item, now=0, host="h", pid_start=lambda pid: "", **alive)


def test_host_identity_includes_the_pid_namespace() -> None:
    from dockcourse.resources import host_identity, process_start

    identity = host_identity()
    if os.path.exists("/proc/self/ns/pid"):
        assert "/pidns:" in identity
        assert process_start(os.getpid()).isdigit()


def test_image_labels_override_what_images_inherit() -> None:
    found = image_labels("03")
    assert found[LABEL_ROLE] == "chapter" and found[LABEL_COURSE] == ""


def test_no_code_path_prunes() -> None:
    """The engine's prune calls remove what is not the course's; the package never uses
    them (removal goes through the label filter, one resource at a time)."""
    from pathlib import Path

    import dockcourse

    root = Path(dockcourse.__file__).parent
    offenders = [
        f"{path.relative_to(root)}:{number}"
        for path in root.rglob("*.py")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"\.prune(_\w+)?\(|/prune\b|system prune", line)
    ]
    assert offenders == []
