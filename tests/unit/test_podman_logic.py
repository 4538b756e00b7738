"""Engine-neutral logic (Docker, Podman, BuildKit): the pure parts, no engine."""

from __future__ import annotations

import pytest

from dockcourse import builds, contexts, resources
from dockcourse.engine import (
    Endpoint,
    engine_placement,
    engine_product,
    normalize_arch,
)

# A Podman 4.3 build through the Docker-compatible API: the first build, then again.
PODMAN_LOG = [
    "STEP 1/4: FROM dockcourse/busybox:0.1.0",
    "STEP 2/4: RUN sleep 1",
    "--> 63190aa9e98",
    "STEP 3/4: COPY app.txt /app/",
    "--> Using cache 921c7d4cea5f4f6020fddf54ac2530712948ea64a85902b3d05e48c576d82308",
    "--> 921c7d4cea5",
    'STEP 4/4: LABEL "io.dockcourse.chapter"="04"',
    "COMMIT docker.io/dockcourse/x:1",
    "--> afc90520214",
    "Successfully tagged docker.io/dockcourse/x:1",
]
# ``docker build --progress=plain`` with BuildKit.
BUILDKIT_LOG = [
    "#1 [internal] load build definition from Dockerfile",
    "#1 DONE 0.0s",
    "#4 [1/4] FROM docker.io/dockcourse/busybox:0.1.0",
    "#4 DONE 0.0s",
    "#6 [2/4] RUN sleep 1",
    "#6 CACHED",
    "#7 [3/4] COPY app.txt /app/",
    "#8 [4/4] LABEL io.dockcourse.chapter=04",
    "#7 [3/4] COPY app.txt /app/",
    "#7 DONE 0.1s",
    "#9 exporting to image",
]


def test_parse_log_reads_podman_steps_and_cache_marks() -> None:
    steps = builds.parse_log(PODMAN_LOG)
    assert [s["step"] for s in steps] == [1, 2, 3, 4]
    assert [s["cached"] for s in steps] == [False, False, True, False]
    assert steps[1]["instruction"] == "RUN sleep 1"


def test_parse_log_reads_buildkit_steps_by_vertex() -> None:
    steps = builds.parse_log(BUILDKIT_LOG)
    assert [s["instruction"] for s in steps] == [
        "FROM docker.io/dockcourse/busybox:0.1.0",
        "RUN sleep 1",
        "COPY app.txt /app/",
        "LABEL io.dockcourse.chapter=04",
    ]
    assert [s["cached"] for s in steps] == [False, True, False, False]


def test_parse_log_reads_a_multi_stage_podman_build() -> None:
    steps = builds.parse_log(
        [
            "[1/2] STEP 1/2: FROM a AS build",
            "--> Using cache 1",
            "[2/2] STEP 1/1: FROM b",
        ]
    )
    assert [(s["step"], s["cached"]) for s in steps] == [(1, True), (1, False)]


def test_format_build_abbreviates_the_course_label_step_of_any_builder() -> None:
    shown = builds.format_build(
        {"tag": "dockcourse/x:1", "log": PODMAN_LOG, "error": ""}
    ).splitlines()
    assert f"STEP 4/4: {builds.LABEL_STEP_SHOWN}" in shown
    classic = builds.format_build(
        {
            "tag": "x",
            "log": ['Step 2/2 : LABEL io.dockcourse.chapter="04"'],
            "error": "",
        }
    )
    assert classic.splitlines()[1] == f"Step 2/2 : {builds.LABEL_STEP_SHOWN}"


def test_label_changes_give_one_label_per_line() -> None:
    changes = builds.label_changes({"b": "2", "a": "1"})
    assert changes == ['LABEL a="1"', 'LABEL b="2"']


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("docker.io/dockcourse/busybox:0.1.0", "dockcourse/busybox:0.1.0"),
        ("localhost/dockcourse/x:1", "dockcourse/x:1"),
        ("docker.io/library/busybox:1.36", "busybox:1.36"),
        ("dockcourse/x:1", "dockcourse/x:1"),
        ("quay.io/podman/hello:latest", "quay.io/podman/hello:latest"),
    ],
)
def test_normalize_ref(ref: str, expected: str) -> None:
    assert resources.normalize_ref(ref) == expected


def test_repo_tags_are_normalised_without_none() -> None:
    image = {"RepoTags": ["docker.io/dockcourse/a:1", "<none>:<none>", "localhost/b:2"]}
    assert resources.repo_tags(image) == ["dockcourse/a:1", "b:2"]
    assert resources.repo_tags({"RepoTags": None}) == []


def test_filters_send_one_label_and_check_the_rest_here() -> None:
    flt = resources.course_filter(**{resources.LABEL_SESSION: "s1"})
    assert resources.first_label_only(flt) == {"label": [flt["label"][0]]}
    ours = {resources.LABEL_COURSE: "true", resources.LABEL_SESSION: "s1"}
    other = {resources.LABEL_COURSE: "true", resources.LABEL_SESSION: "s2"}
    assert resources.matches(ours, flt)
    assert not resources.matches(other, flt)
    assert not resources.matches(None, flt)


def test_short_id_ignores_the_algorithm_prefix() -> None:
    assert resources.short_id("sha256:0123456789abcdef") == "0123456789ab"
    assert resources.short_id("0123456789abcdef") == "0123456789ab"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("amd64", "x86_64"),
        ("x86_64", "x86_64"),
        ("ARM64", "aarch64"),
        ("s390x", "s390x"),
    ],
)
def test_normalize_arch(given: str, expected: str) -> None:
    assert normalize_arch(given) == expected


def test_engine_product_names_podman_docker_and_docker_desktop() -> None:
    podman = {"Components": [{"Name": "Podman Engine", "Version": "4.3.1"}]}
    docker = {"Components": [{"Name": "Engine", "Version": "20.10.24"}]}
    desktop = {"Platform": {"Name": "Docker Desktop 4.30.0 (149282)"}, **docker}
    assert engine_product(podman, {}) == "Podman"
    assert (
        engine_product(docker, {"DockerRootDir": "/var/lib/docker"}) == "Docker Engine"
    )
    assert engine_product(desktop, {}) == "Docker Desktop"


def test_engine_placement() -> None:
    here = Endpoint("unix:///run/x.sock", "DOCKER_HOST")
    tcp_local = Endpoint("tcp://127.0.0.1:2375", "DOCKER_HOST")
    remote = Endpoint("ssh://me@build-box.example", "DOCKER_HOST")
    same, other = {"KernelVersion": "6.1.0"}, {"KernelVersion": "6.12.0"}
    assert engine_placement(here, same, local_kernel="6.1.0") == "local"
    assert engine_placement(here, other, local_kernel="6.1.0") == "vm"
    assert engine_placement(here, {}, local_kernel="6.1.0") == ""
    assert engine_placement(tcp_local, other, local_kernel="6.1.0") == "vm"
    assert engine_placement(remote, same, local_kernel="6.1.0") == "remote"


def test_engine_identity_uses_a_stable_id_and_ignores_a_random_one() -> None:
    docker_info = {"ID": "ABCD", "Name": "host"}
    assert contexts.identity_from(docker_info, docker_info) == "id:ABCD"
    first = {"ID": "0c65e880", "Name": "vm", "DockerRootDir": "/var/lib/containers"}
    second = {**first, "ID": "7f1d2e3a"}
    assert contexts.identity_from(first, second) == contexts.identity_from(
        second, first
    )
    elsewhere = {**first, "Name": "other"}
    assert contexts.identity_from(first, second) != contexts.identity_from(
        elsewhere, elsewhere
    )


def test_oom_flag_missing_only_for_a_sigkill_under_a_limit_without_the_flag() -> None:
    from dockcourse.isolation import oom_flag_missing

    def result(oom: bool, code: int, memory: int) -> dict[str, object]:
        return {
            "State": {"OOMKilled": oom, "ExitCode": code},
            "HostConfig": {"Memory": memory},
        }

    assert oom_flag_missing(result(False, 137, 32 * 2**20))
    assert not oom_flag_missing(result(True, 137, 32 * 2**20))
    assert not oom_flag_missing(result(False, 0, 32 * 2**20))
    assert not oom_flag_missing(result(False, 137, 0))


def test_the_oom_note_blames_only_what_the_data_shows_per_engine() -> None:
    """Podman 4.3 does not set OOMKilled; any other engine (Docker on cgroup v2) is
    not said to lack an API: the note says what was seen, rendered at display time."""
    from dockcourse.isolation import oom_note
    from dockcourse.text import set_language

    set_language("en")

    def result(engine: str, oom: bool) -> dict[str, object]:
        return {
            "engine": engine,
            "engine_version": "4.3.1" if engine == "Podman" else "26.1.5",
            "State": {"OOMKilled": oom, "ExitCode": 137},
            "HostConfig": {"Memory": 32 * 2**20},
        }

    assert oom_note(result("Docker Engine", True)) == ""
    podman = oom_note(result("Podman", False))
    assert podman.startswith("Podman 4.3.1 left State.OOMKilled false")
    assert "Podman 4.3 is known not to set OOMKilled" in podman
    docker = oom_note(result("Docker Engine", False))
    assert docker.startswith("Docker Engine 26.1.5 left State.OOMKilled false")
    assert "API" not in docker and "Podman" not in docker


def test_throttling_missing_only_when_no_period_was_counted() -> None:
    from dockcourse.isolation import throttling_missing

    series = {"limited": {"t_s": [0.5, 1.5], "cpus": [0.5, 0.5]}}
    counted = {"periods": 20, "throttled_periods": 19}
    assert throttling_missing(
        {"limit_cpus": 0.5, "series": series, "throttling": {"periods": 0}}
    )
    assert not throttling_missing(
        {"limit_cpus": 0.5, "series": series, "throttling": counted}
    )
    assert not throttling_missing(
        {"limit_cpus": 0.5, "series": {"limited": {"cpus": []}}, "throttling": {}}
    )
