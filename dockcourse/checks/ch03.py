"""Exercise checks of chapter 03 (images and layers): each inspects the real engine."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..images import course_image_ref
from ..resources import run
from ..text import t
from . import Verdict, failed, inspected, passed, run_check

if TYPE_CHECKING:
    import docker

    from ..session import Session

CHAPTER = "03"
MINE = "dockcourse/ch03-mine:1"
TWO = "dockcourse/ch03-two:1"
GREETING = "hello layers"


def _layers(found: dict[str, Any]) -> list[str]:
    return list((found.get("RootFS") or {}).get("Layers") or [])


def _cat(client: docker.DockerClient, ref: str, path: str) -> tuple[int, str]:
    result = run(client, ref, ["cat", path], chapter=CHAPTER, timeout_s=20)
    return result.exit_code, result.output.strip()


def inspect_mine(client: docker.DockerClient, ref: str = MINE) -> Verdict:
    found = inspected(client.api.inspect_image, ref)
    if found is None:
        return failed(t("check.03.missing", ref=ref), t("check.03.mine.missing_hint"))
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
    """``dockcourse/ch03-mine:1``: the course image plus a layer with /greeting.txt."""
    return run_check(session, t("check.03.mine.what", ref=MINE), inspect_mine)


def inspect_two(
    client: docker.DockerClient, ref: str = TWO, base_ref: str = MINE
) -> Verdict:
    base = inspected(client.api.inspect_image, base_ref)
    if base is None:
        return failed(
            t("check.03.missing", ref=base_ref), t("check.03.mine.missing_hint")
        )
    found = inspected(client.api.inspect_image, ref)
    if found is None:
        return failed(t("check.03.missing", ref=ref), t("check.03.two.missing_hint"))
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
    """``dockcourse/ch03-two:1``: built on ch03-mine, sharing all its layers."""
    return run_check(session, t("check.03.two.what", ref=TWO, base=MINE), inspect_two)
