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
