"""The learner's own `docker run --rm`, timed whole, on the engine the course uses."""

from __future__ import annotations

import shutil

import pytest

from dockcourse.engine import connect
from dockcourse.images import ensure_image
from dockcourse.measure.cli_run import cli_command, measure_container_cli
from dockcourse.resources import course_filter

pytestmark = pytest.mark.engine


@pytest.mark.skipif(shutil.which("docker") is None, reason="no docker CLI installed")
def test_docker_run_as_typed_is_timed_and_leaves_nothing() -> None:
    client = connect()
    image = ensure_image(client)
    samples = measure_container_cli(3, warmup=1, image_ref=image, chapter="01-test")
    assert [s.warmup for s in samples] == [True, False, False, False]
    assert all(s.elapsed_s > 0 and s.series == "container-cli" for s in samples)
    leftover = client.api.containers(  # --rm: every container removed itself
        all=True, filters=course_filter(**{"io.dockcourse.chapter": "01-test"})
    )
    assert leftover == []


def test_the_command_carries_the_course_labels() -> None:
    argv = cli_command("img:1", "01")
    assert argv[:5] == ["docker", "run", "--rm", "--network", "none"]
    assert argv[-2:] == ["img:1", "true"]
    assert "io.dockcourse.course=true" in argv
