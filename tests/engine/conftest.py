from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _learner_resources_survive(learner: Any) -> None:
    """Every engine test runs with the learner's own resources present."""


@pytest.fixture
def docker_cli(engine_endpoint: Any) -> Iterator[Callable[..., str]]:
    """The plain ``docker`` CLI on the tests' engine, as a learner types it in JupyterLab's
    Terminal (no course label). ``undo=[...]`` is run at the end, in reverse order, so a
    test removes exactly what it made."""
    cli = shutil.which("docker")
    if cli is None:
        pytest.skip("no docker CLI installed: the Terminal path cannot be shown here")
    if engine_endpoint.tls is not None:
        pytest.skip(f"{engine_endpoint.url} needs TLS: not passed to the CLI here")
    env = {**os.environ, "DOCKER_HOST": str(engine_endpoint.url)}
    env.pop("DOCKER_CONTEXT", None)
    made: list[list[str]] = []

    def docker(*args: str, undo: list[str] | None = None) -> str:
        if undo:
            made.append(undo)
        done = subprocess.run(
            [cli, *args], env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    yield docker
    for undo in reversed(made):
        subprocess.run([cli, *undo], env=env, capture_output=True, timeout=60)
