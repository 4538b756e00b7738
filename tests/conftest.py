"""Shared fixtures. The learner's own resources are made once and must survive everything."""

from __future__ import annotations

import io
import secrets
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest


@pytest.fixture(scope="session")
def client() -> Iterator[Any]:
    """The real engine. Missing is a failure, not a skip: these tests prove Docker results."""
    from dockcourse.engine import EngineUnavailable, connect

    try:
        docker_client = connect()
    except EngineUnavailable as exc:
        pytest.fail(f"engine tests need a Docker engine: {exc}")
    yield docker_client
    docker_client.close()


@pytest.fixture(scope="session")
def image_ref(client: Any) -> str:
    from dockcourse.images import ensure_image

    return ensure_image(client)


@dataclass(frozen=True)
class LearnerResources:
    """Unlabelled things a learner made by hand; the course must never touch them."""

    volume: str
    container: str
    image: str
    network: str


def _tiny_image_tar() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        data = b"the learner's own file\n"
        info = tarfile.TarInfo("hello.txt")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@pytest.fixture(scope="session")
def learner(client: Any, image_ref: str) -> Iterator[LearnerResources]:
    """Made at the start of the engine tests, checked after the last test of the run."""
    tag = secrets.token_hex(3)
    res = LearnerResources(
        volume=f"learner-vol-{tag}",
        container=f"learner-ctr-{tag}",
        image=f"learner-img-{tag}:1",
        network=f"learner-net-{tag}",
    )
    client.volumes.create(res.volume)
    client.networks.create(res.network)
    client.api.import_image_from_data(
        _tiny_image_tar(), repository=res.image.split(":")[0], tag="1"
    )
    # Same image as the course, but the learner's container: unlabelled.
    client.api.create_container(image_ref, ["sh"], name=res.container)
    yield res
    missing = []
    for kind, getter, name in (
        ("volume", client.volumes.get, res.volume),
        ("container", client.containers.get, res.container),
        ("image", client.images.get, res.image),
        ("network", client.networks.get, res.network),
    ):
        try:
            getter(name)
        except Exception:
            missing.append(f"{kind} {name}")
    client.api.remove_container(res.container, force=True)
    client.api.remove_volume(res.volume)
    client.api.remove_image(res.image)
    client.networks.get(res.network).remove()
    assert not missing, f"the course removed the learner's own resources: {missing}"


# --- The engine is left as it was found --------------------------------------------------
# With --engine-leak-check, the whole run (unit, engine and browser tests, and every chapter
# executed by nbval) is bracketed by a snapshot of ALL the engine's containers, images,
# volumes and networks, not only the course's. Anything new at the end, except the course
# image, fails the run; so does anything missing (something the course must not touch).


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--engine-leak-check",
        action="store_true",
        help="fail the run if it leaves or removes any engine resource",
    )


def _engine_snapshot() -> set[str]:
    from dockcourse.engine import connect
    from dockcourse.images import course_image_ref

    c = connect()
    try:
        found = {
            f"container {x['Id'][:12]} {x['Names']}" for x in c.api.containers(all=True)
        }
        found |= {f"volume {v['Name']}" for v in c.api.volumes().get("Volumes") or []}
        found |= {f"network {n['Name']}" for n in c.api.networks()}
        for image in c.api.images(all=True):
            tags = image.get("RepoTags") or []
            if course_image_ref() not in tags:
                found.add(f"image {image['Id'][7:19]} {tags}")
        return found
    finally:
        c.close()


def pytest_sessionstart(session: pytest.Session) -> None:
    if session.config.getoption("--engine-leak-check"):
        session.config.stash[_BEFORE] = _engine_snapshot()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not session.config.getoption("--engine-leak-check"):
        return
    before = session.config.stash[_BEFORE]
    after = _engine_snapshot()
    added, removed = sorted(after - before), sorted(before - after)
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if not (added or removed):
        if reporter:
            reporter.write_line(
                f"engine leak check: {len(after)} resources, none "
                "added or removed by this run"
            )
        return
    lines = [f"  left behind: {x}" for x in added] + [
        f"  removed: {x}" for x in removed
    ]
    if reporter:
        reporter.write_line("engine leak check FAILED:\n" + "\n".join(lines), red=True)
    session.exitstatus = pytest.ExitCode.TESTS_FAILED


_BEFORE = pytest.StashKey[set[str]]()
