"""Exercise checks of chapter 08 (the capstone): each inspects the real engine.

The names are this session's (``Session.name``/``image_name``, printed by a cell before
the exercises), so that two notebooks on one engine never collide; objects made with the
plain ``docker`` command in a Terminal under those names pass too (the checks only read).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..lessons.ch08 import NEWS_FILE, PORT_INSIDE, SITE_ROOT
from ..resources import run
from ..text import t
from . import Verdict, failed, inspected, passed, run_check

if TYPE_CHECKING:
    import docker

    from ..session import Session

CHAPTER = "08"


def _serves(cmd: list[str]) -> bool:
    words = " ".join(cmd)
    return "httpd" in words and str(PORT_INSIDE) in words and SITE_ROOT in words


def _page(container: Any, path: str) -> str | None:
    url = f"http://127.0.0.1:{PORT_INSIDE}{path}"
    code, out = container.exec_run(["wget", "-q", "-O", "-", url])
    return out.decode("utf-8", "replace") if code == 0 else None


def inspect_image(client: docker.DockerClient, ref: str, site: Path) -> Verdict:
    found = inspected(client.api.inspect_image, ref)
    if found is None:
        return failed(
            t("check.08.image.missing", ref=ref),
            t("check.08.image.missing_hint", ref=ref),
        )
    config = found.get("Config") or {}
    cmd = [*(config.get("Entrypoint") or []), *(config.get("Cmd") or [])]
    if not _serves(cmd):
        return failed(
            t("check.08.image.cmd", ref=ref, cmd=cmd), t("check.08.image.cmd_hint")
        )
    shown = run(client, ref, ["cat", f"{SITE_ROOT}/index.html"], chapter=CHAPTER)
    want = (
        (site / "index.html").read_text("utf-8")
        if (site / "index.html").exists()
        else ""
    )
    if shown.exit_code != 0 or shown.output.strip() != want.strip():
        return failed(t("check.08.image.page", ref=ref), t("check.08.image.page_hint"))
    return passed(t("check.08.image.ok", ref=ref))


def check_image(session: Session, ref: str, site: Path) -> Verdict:
    """The image ``ref`` serves ``/www`` with busybox httpd on 8080 and holds the
    site folder's ``index.html``."""
    return run_check(
        session,
        t("check.08.image.what", ref=ref),
        lambda c: inspect_image(c, ref, site),
    )


def _mounted(attrs: dict[str, Any], volume: str, target: str) -> bool:
    return any(
        m.get("Type") == "volume" and m.get("Name") == volume
        and m.get("Destination") == target
        for m in attrs.get("Mounts") or []
    )  # fmt: skip


def _bound(attrs: dict[str, Any], port: int) -> bool:
    ports = (attrs.get("HostConfig") or {}).get("PortBindings") or {}
    return any(
        str(b.get("HostPort")) == str(port) and b.get("HostIp") in ("127.0.0.1", "")
        for b in ports.get(f"{PORT_INSIDE}/tcp") or []
    )


def inspect_server(
    client: docker.DockerClient, name: str, image: str, news: str, port: int,
    rebuilt: bool = False,
) -> Verdict:  # fmt: skip
    import docker.errors

    try:
        container = client.containers.get(name)
    except docker.errors.NotFound:
        return failed(t("check.08.server.missing", name=name),
                      t("check.08.server.missing_hint", name=name))  # fmt: skip
    attrs = container.attrs
    if container.status != "running":
        return failed(t("check.08.server.stopped", name=name, status=container.status),
                      t("check.08.server.stopped_hint", name=name))  # fmt: skip
    if not _mounted(attrs, news, f"{SITE_ROOT}/news"):
        return failed(t("check.08.server.volume", name=name, volume=news),
                      t("check.08.server.volume_hint", volume=news))  # fmt: skip
    if not _bound(attrs, port):
        return failed(t("check.08.server.port", name=name, port=port),
                      t("check.08.server.port_hint", port=port))  # fmt: skip
    current = inspected(client.api.inspect_image, image)
    if current is None or attrs.get("Image") != current.get("Id"):
        key = "check.08.rebuilt.old" if rebuilt else "check.08.server.image"
        return failed(t(key, name=name, image=image), t(f"{key}_hint", name=name))
    if not _page(container, f"/news/{NEWS_FILE}"):
        return failed(t("check.08.server.news", name=name, volume=news),
                      t("check.08.server.news_hint", volume=news))  # fmt: skip
    return passed(t("check.08.rebuilt.ok" if rebuilt else "check.08.server.ok",
                    name=name, port=port))  # fmt: skip


def check_server(
    session: Session, name: str, image: str, news: str, port: int
) -> Verdict:
    """``name`` runs ``image`` with the volume ``news`` at /www/news, port 8080 published
    on 127.0.0.1:``port``, and serves ``news.html`` from the volume."""
    return run_check(
        session, t("check.08.server.what", name=name),
        lambda c: inspect_server(c, name, image, news, port),
    )  # fmt: skip


def inspect_rebuilt(
    client: docker.DockerClient, name: str, image: str, news: str, port: int, site: Path
) -> Verdict:
    verdict = inspect_server(client, name, image, news, port, rebuilt=True)
    if not verdict.passed:
        return verdict
    page = _page(client.containers.get(name), "/")
    want = (site / "index.html").read_text("utf-8").strip()
    if page is None or page.strip() != want:
        return failed(
            t("check.08.rebuilt.page", name=name), t("check.08.rebuilt.page_hint")
        )
    return verdict


def check_rebuilt(
    session: Session, name: str, image: str, news: str, port: int, site: Path
) -> Verdict:
    """After the page changed: ``image`` rebuilt, ``name`` replaced by a container of the
    new build, serving the new page and still the news on the volume."""
    return run_check(
        session, t("check.08.rebuilt.what", name=name),
        lambda c: inspect_rebuilt(c, name, image, news, port, site),
    )  # fmt: skip
