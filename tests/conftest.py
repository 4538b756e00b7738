"""Shared fixtures. The learner's own resources are made once and must survive everything."""

from __future__ import annotations

import io
import os
import secrets
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

#: The environment the run started with: the engine the tests use is the one it names
#: (DOCKER_HOST, else DOCKER_CONTEXT / the current docker context, else the default
#: socket), resolved the way the course resolves it. Fixtures that change the environment
#: for one test cannot change which engine "the course's engine" is.
_STARTUP_ENV = dict(os.environ)

#: Fixtures that reach the engine; a test that uses one carries the ``engine`` marker.
ENGINE_FIXTURES = frozenset(
    {
        "client",
        "image_ref",
        "learner",
        "engine_endpoint",
        "engine_url",
        "engine_shares_kernel",
        "engine_is_rootless",
    }
)
#: Where a test that is not marked ``engine`` finds "the engine": nowhere.
NO_ENGINE = "unix:///nonexistent/dockcourse-unit-tests-have-no-engine.sock"
_HERE = Path(__file__).parent


def _needs_engine(item: pytest.Item) -> bool:
    path = Path(str(item.path))
    in_engine_dirs = any(path.is_relative_to(_HERE / sub) for sub in ("engine", "ui"))
    return in_engine_dirs or bool(
        ENGINE_FIXTURES & set(getattr(item, "fixturenames", ()))
    )


def pytest_runtest_setup(item: pytest.Item) -> None:
    """A test that needs an engine and lacks the marker fails before it reaches one."""
    if _needs_engine(item) and item.get_closest_marker("engine") is None:
        pytest.fail(
            f"{item.nodeid} needs a Docker engine but has no `engine` marker "
            "(add `pytestmark = pytest.mark.engine`)",
            pytrace=False,
        )


@pytest.fixture(autouse=True)
def _pinned_language(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test reads English unless it asks for another language: what a test checks
    never depends on the machine's LANG, here or in a subprocess it starts."""
    from dockcourse.text import set_language

    monkeypatch.setenv("DOCKCOURSE_LANG", "en")
    set_language("en")
    yield
    set_language(None)


@pytest.fixture(autouse=True)
def _no_engine_without_the_marker(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A test without the ``engine`` marker finds no engine, on every machine: a unit
    test that quietly needs one fails here, not only where no engine runs."""
    if request.node.get_closest_marker("engine") is None:
        monkeypatch.setenv("DOCKER_HOST", NO_ENGINE)
        monkeypatch.delenv("DOCKER_CONTEXT", raising=False)


@pytest.fixture(scope="session")
def engine_endpoint() -> Any:
    """The endpoint of the engine under test, resolved from the environment the run
    started with (``dockcourse.engine.resolve_endpoint``): never a fixed socket."""
    from dockcourse.engine import EngineUnavailable, resolve_endpoint

    try:
        return resolve_endpoint(_STARTUP_ENV)
    except EngineUnavailable as exc:
        pytest.fail(f"engine tests need a Docker engine: {exc}")


@pytest.fixture(scope="session")
def engine_url(engine_endpoint: Any) -> str:
    """The engine's address, for a context the tests make to it (``--docker host=``)."""
    if engine_endpoint.tls is not None:
        pytest.skip(
            f"{engine_endpoint.url} needs TLS: a host-only context cannot reach it"
        )
    return str(engine_endpoint.url)


@pytest.fixture(scope="session")
def engine_shares_kernel(client: Any, image_ref: str) -> bool:
    """Whether the engine runs its containers on this machine's kernel (a local engine)
    or elsewhere (a VM: Docker Desktop, colima, a remote host). Found out, not assumed:
    the kernel's boot ID is the same inside a container as outside it."""
    mine = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    theirs = client.containers.run(
        image_ref,
        ["cat", "/proc/sys/kernel/random/boot_id"],
        remove=True,
        network_disabled=True,
    )
    return bool(theirs.decode().strip() == mine)


@pytest.fixture(scope="session")
def engine_is_rootless(client: Any) -> bool:
    """Whether the engine maps container root to an unprivileged user (rootless Docker,
    rootless Podman, userns-remap), from what the engine says about itself."""
    options = client.info().get("SecurityOptions") or []
    return any("rootless" in o or "userns" in o for o in options)


@pytest.fixture(scope="session")
def client() -> Iterator[Any]:
    """The real engine. Missing is a failure, not a skip: these tests prove Docker results."""
    from dockcourse.engine import EngineUnavailable, connect

    try:
        docker_client = connect(environ=_STARTUP_ENV)
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
    # name:tag in one: Podman ignores a separate tag= on import (podman#18597)
    client.api.import_image_from_data(_tiny_image_tar(), repository=res.image)
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
