"""Exercise checks of chapter 04 (Dockerfile): each inspects the real engine.

The images are this session's (``Session.image_name``: ``dockcourse/ch04-hello:TAG``…),
printed by a cell before the exercises, so two notebooks on one engine never build over
each other's; an image built in a Terminal with that name passes too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..builds import build
from ..commands import docker_run
from ..resources import run
from ..text import t
from . import Verdict, failed, inspected, passed, run_check

if TYPE_CHECKING:
    import docker

    from ..session import Session

CHAPTER = "04"
#: The exercises' images, as purposes of ``Session.image_name``.
HELLO = "hello"
GREET = "greet"
ORDER = "order"


def _config(client: docker.DockerClient, ref: str) -> dict[str, Any] | None:
    found = inspected(client.api.inspect_image, ref)
    return None if found is None else found["Config"] or {}


def _run(client: docker.DockerClient, ref: str, args: Sequence[str]) -> tuple[int, str]:
    result = run(client, ref, list(args), chapter=CHAPTER, timeout_s=20)
    return result.exit_code, result.output.strip()


def inspect_hello(client: docker.DockerClient, ref: str) -> Verdict:
    config = _config(client, ref)
    if config is None:
        return failed(
            t("check.04.missing", ref=ref), t("check.04.hello.missing_hint", ref=ref)
        )
    code, output = _run(client, ref, [])
    if code != 0 or output != "hello":
        return failed(
            t("check.04.hello.wrong", ref=ref, code=code, output=output[:80] or "∅",
              cmd=config.get("Cmd"), entrypoint=config.get("Entrypoint")),
            t("check.04.hello.hint"),
        )  # fmt: skip
    return passed(t("check.04.hello.ok", ref=ref, cmd=config.get("Cmd")))


def check_hello(session: Session, ref: str | None = None) -> Verdict:
    """``docker run IMAGE`` (no arguments) prints ``hello``; IMAGE is ``ref`` or
    ``session.image_name("hello")``."""
    chosen = ref or session.image_name(HELLO)
    return run_check(
        session,
        t("check.04.hello.what", ref=chosen),
        lambda client: inspect_hello(client, chosen),
    )


def inspect_greet(client: docker.DockerClient, ref: str) -> Verdict:
    config = _config(client, ref)
    if config is None:
        return failed(
            t("check.04.missing", ref=ref), t("check.04.greet.missing_hint", ref=ref)
        )
    if not config.get("Entrypoint"):
        return failed(
            t("check.04.greet.no_entrypoint", ref=ref), t("check.04.greet.hint")
        )
    for args, wanted in ((["Alice"], "hello Alice"), ([], "hello world")):
        code, output = _run(client, ref, args)
        if code != 0 or output != wanted:
            shown = docker_run(ref, args)
            return failed(
                t("check.04.greet.wrong", command=shown, output=output[:80] or "∅",
                  wanted=wanted),
                t("check.04.greet.hint"),
            )  # fmt: skip
    return passed(
        t(
            "check.04.greet.ok",
            entrypoint=config.get("Entrypoint"),
            cmd=config.get("Cmd"),
        )
    )


def check_greet(session: Session, ref: str | None = None) -> Verdict:
    """ENTRYPOINT + CMD: ``run IMAGE Alice`` → ``hello Alice``, no args → ``hello world``;
    IMAGE is ``ref`` or ``session.image_name("greet")``."""
    chosen = ref or session.image_name(GREET)
    return run_check(
        session,
        t("check.04.greet.what", ref=chosen),
        lambda client: inspect_greet(client, chosen),
    )


def inspect_order(client: docker.DockerClient, dockerfile: str, ref: str) -> Verdict:
    """Build ``dockerfile`` with app.txt, change app.txt, build again: the slow step
    (the RUN with ``sleep``) must come from the cache the second time."""
    if "sleep" not in dockerfile or "app.txt" not in dockerfile:
        return failed(t("check.04.order.incomplete"), t("check.04.order.hint"))
    results = []
    for version in ("1", "2"):
        files = {"app.txt": f"app version {version}\n"}
        result = build(client, dockerfile, tag=ref, chapter=CHAPTER, files=files)
        if result["error"]:
            return failed(
                t("check.04.order.error", error=result["error"][:200]),
                t("check.04.order.hint"),
            )
        results.append(result)
    slow = [s for s in results[1]["steps"] if "sleep" in s["instruction"]]
    if not slow or not all(s["cached"] for s in slow):
        return failed(
            t("check.04.order.rebuilt", step=slow[0]["instruction"] if slow else "?"),
            t("check.04.order.hint"),
        )
    return passed(t("check.04.order.ok"))


def check_order(session: Session, dockerfile: str, ref: str | None = None) -> Verdict:
    """After app.txt changes, the slow RUN step is still taken from the cache; built as
    ``ref`` or ``session.image_name("order")``."""
    chosen = ref or session.image_name(ORDER)
    return run_check(
        session,
        t("check.04.order.what", ref=chosen),
        lambda client: inspect_order(client, dockerfile, chosen),
    )
