"""Exercise checks of chapter 03 (images and layers): each inspects the real engine.

The images are this session's (``course.image_name("mine")``, printed by a cell before
the exercises), so two notebooks on one engine never check each other's work; an image
made in JupyterLab's Terminal with the plain ``docker`` command (no course label) passes
as well: only the final state counts.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..images import course_image_ref
from ..resources import run
from ..text import t
from . import Verdict, failed, inspected, passed, run_check

if TYPE_CHECKING:
    import docker

    from ..session import Session

CHAPTER = "03"
GREETING = "hello layers"
MANIFEST_V2 = "application/vnd.docker.distribution.manifest.v2+json"


def _layers(found: dict[str, Any]) -> list[str]:
    return list((found.get("RootFS") or {}).get("Layers") or [])


def _cat(client: docker.DockerClient, ref: str, path: str) -> tuple[int, str]:
    result = run(client, ref, ["cat", path], chapter=CHAPTER, timeout_s=20)
    return result.exit_code, result.output.strip()


def inspect_mine(client: docker.DockerClient, ref: str) -> Verdict:
    found = inspected(client.api.inspect_image, ref)
    if found is None:
        return failed(
            t("check.03.missing", ref=ref), t("check.03.mine.missing_hint", ref=ref)
        )
    base = _layers(client.api.inspect_image(course_image_ref()))
    layers = _layers(found)
    if layers[: len(base)] != base:
        return failed(
            t("check.03.not_on_base", ref=ref, base=course_image_ref()),
            t("check.03.not_on_base_hint"),
        )
    if len(layers) <= len(base):
        return failed(
            t("check.03.no_new_layer", ref=ref), t("check.03.no_new_layer_hint")
        )
    code, text = _cat(client, ref, "/greeting.txt")
    if code != 0:
        return failed(t("check.03.mine.no_file", ref=ref), t("check.03.mine.hint"))
    if text != GREETING:
        return failed(
            t("check.03.mine.wrong_text", text=text[:80], wanted=GREETING),
            t("check.03.mine.hint"),
        )
    return passed(t("check.03.mine.ok", ref=ref, layers=len(layers)))


def check_mine(session: Session) -> Verdict:
    """This session's ``mine`` image: the course image plus a layer with /greeting.txt."""
    ref = session.image_name("mine")
    return run_check(
        session,
        t("check.03.mine.what", ref=ref),
        lambda client: inspect_mine(client, ref),
    )


def inspect_two(client: docker.DockerClient, ref: str, base_ref: str) -> Verdict:
    base = inspected(client.api.inspect_image, base_ref)
    if base is None:
        return failed(
            t("check.03.missing", ref=base_ref),
            t("check.03.mine.missing_hint", ref=base_ref),
        )
    found = inspected(client.api.inspect_image, ref)
    if found is None:
        return failed(
            t("check.03.missing", ref=ref),
            t("check.03.two.missing_hint", ref=ref, base=base_ref),
        )
    below, layers = _layers(base), _layers(found)
    if layers[: len(below)] != below:
        return failed(
            t("check.03.not_on_base", ref=ref, base=base_ref),
            t("check.03.two.base_hint", base=base_ref),
        )
    if len(layers) <= len(below):
        return failed(
            t("check.03.no_new_layer", ref=ref), t("check.03.no_new_layer_hint")
        )
    code, _ = _cat(client, ref, "/second.txt")
    if code != 0:
        return failed(t("check.03.two.no_file", ref=ref), t("check.03.two.hint"))
    return passed(t("check.03.two.ok", ref=ref, shared=len(below), base=base_ref))


def check_two(session: Session) -> Verdict:
    """This session's ``two`` image: built on ``mine``, sharing all its layers."""
    ref, base = session.image_name("two"), session.image_name("mine")
    return run_check(
        session,
        t("check.03.two.what", ref=ref, base=base),
        lambda client: inspect_two(client, ref, base),
    )


# --- exercise 3: tag, push, rmi, pull through the course's registry ---------------------


def _split(ref: str) -> tuple[str, str]:
    """``localhost:PORT/repo:tag`` → (``repo``, ``tag``)."""
    path = ref.split("/", 1)[1] if "/" in ref else ref
    repository, _, tag = path.rpartition(":")
    return repository, tag


def registry_manifest(
    client: docker.DockerClient, container: str, ref: str
) -> dict[str, Any] | None:
    """The manifest the registry in ``container`` holds for ``ref``, or None: asked from
    a course container that shares the registry's network (``wget`` of
    ``/v2/REPO/manifests/TAG``), so it works wherever the engine runs."""
    repository, tag = _split(ref)
    url = f"http://127.0.0.1:5000/v2/{repository}/manifests/{tag}"
    result = run(
        client,
        course_image_ref(),
        ["wget", "-qO-", "--header", f"Accept: {MANIFEST_V2}", url],
        chapter=CHAPTER,
        timeout_s=20,
        network_mode=f"container:{container}",
    )
    if result.exit_code != 0:
        return None
    try:
        found: dict[str, Any] = json.loads(result.output)
    except ValueError:
        return None
    return found


def _config_digest(manifest: Mapping[str, Any] | None) -> str:
    return str(((manifest or {}).get("config") or {}).get("digest", ""))


def inspect_registry(
    client: docker.DockerClient, registry: Mapping[str, Any], mine_ref: str
) -> Verdict:
    """The final state of exercise 3: the registry holds ``mine`` (the learner's image,
    pushed), this engine no longer has the ``localhost:PORT/mine`` tag (``rmi``), and it
    has ``welcome``, the image the course pushed there (``pull``)."""
    container = str(registry.get("container", ""))
    found = inspected(client.api.inspect_container, container) if container else None
    if not registry.get("running") or found is None:
        return failed(t("check.03.registry.down"), t("check.03.registry.down_hint"))
    if not (found.get("State") or {}).get("Running"):
        return failed(t("check.03.registry.down"), t("check.03.registry.down_hint"))
    remote, welcome = str(registry["mine"]), str(registry["welcome"])
    pushed = _config_digest(registry_manifest(client, container, remote))
    if not pushed:
        return failed(
            t("check.03.registry.not_pushed", ref=remote),
            t("check.03.registry.push_hint", mine=mine_ref, ref=remote),
        )
    mine = inspected(client.api.inspect_image, mine_ref)
    if mine is not None and str(mine["Id"]) != pushed:
        return failed(
            t("check.03.registry.not_mine", ref=remote, mine=mine_ref),
            t("check.03.registry.push_hint", mine=mine_ref, ref=remote),
        )
    if inspected(client.api.inspect_image, remote) is not None:
        return failed(
            t("check.03.registry.still_here", ref=remote),
            t("check.03.registry.rmi_hint", ref=remote),
        )
    pulled = inspected(client.api.inspect_image, welcome)
    if pulled is None:
        return failed(
            t("check.03.registry.not_pulled", ref=welcome),
            t("check.03.registry.pull_hint", ref=welcome),
        )
    held = _config_digest(registry_manifest(client, container, welcome))
    if str(pulled["Id"]) != held:
        return failed(
            t("check.03.registry.not_pulled", ref=welcome),
            t("check.03.registry.pull_hint", ref=welcome),
        )
    return passed(t("check.03.registry.ok", ref=remote, welcome=welcome))


def check_registry(session: Session, registry: Mapping[str, Any]) -> Verdict:
    """Exercise 3, from what ``ch03.start_registry(course)`` returned."""
    mine = session.image_name("mine")
    return run_check(
        session,
        t("check.03.registry.what", ref=str(registry.get("mine", "?"))),
        lambda client: inspect_registry(client, registry, mine),
    )
