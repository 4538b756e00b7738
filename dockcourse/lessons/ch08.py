"""Chapter 08's lesson steps (the capstone: a small web site) and their display.

The learner builds a web server image from a Dockerfile they write (busybox ``httpd``),
keeps the site's news on a volume, publishes the server's port on 127.0.0.1, then changes
the page, rebuilds and replaces the container while the news stays. Their work is done
with ``%docker`` (or ``docker`` in JupyterLab's Terminal) and checked by
:mod:`dockcourse.checks.ch08`. What is here:

- :func:`free_port`: a port on 127.0.0.1 nobody listens on, for ``-p 127.0.0.1:PORT:8080``;
- :func:`visit` (a step): a page as a browser on this machine gets it through the
  published port, or, when the engine's ports are not this machine's (an engine in a VM
  or elsewhere), from inside the server container; :func:`page_report` shows it.
"""

from __future__ import annotations

import socket
import urllib.error
import urllib.request
from typing import Any

from ..session import Session, step
from ..text import t

__all__ = ["NEWS_FILE", "PORT_INSIDE", "SITE_ROOT", "free_port", "page_report", "visit"]

CHAPTER = "08"
#: Where the server listens inside its container, and the folder it serves.
PORT_INSIDE = 8080
SITE_ROOT = "/www"
#: The page the learner puts on the news volume (mounted at /www/news).
NEWS_FILE = "news.html"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now (the kernel picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _published_port(attrs: dict[str, Any]) -> int | None:
    ports = (attrs.get("NetworkSettings") or {}).get("Ports") or {}
    for binding in ports.get(f"{PORT_INSIDE}/tcp") or []:
        if binding.get("HostPort"):
            return int(binding["HostPort"])
    return None


def _from_inside(course: Session, container: Any, path: str) -> dict[str, Any]:
    url = f"http://127.0.0.1:{PORT_INSIDE}{path}"
    code, out = container.exec_run(["wget", "-q", "-O", "-", url])
    text = out.decode("utf-8", "replace") if isinstance(out, bytes) else str(out)
    if code != 0:
        return {"reached": False, "via": "inside", "why": "http", "detail": text[-200:]}
    return {"reached": True, "via": "inside", "body": text}


@step()
def visit(course: Session, server: str, path: str = "/") -> dict[str, Any]:
    """``path`` of the site served by the container ``server``, as data: reached or not,
    how (``published``: from this machine through the published port; ``inside``: from
    inside the container, when the engine's ports are not this machine's), the body."""
    import docker.errors

    client = course.require_client()
    try:
        container = client.containers.get(server)
    except docker.errors.NotFound:
        return {"reached": False, "via": "", "why": "no-container", "detail": server}
    if container.status != "running":
        return {"reached": False, "via": "", "why": "not-running", "detail": server}
    port = _published_port(container.attrs)
    engine = course.engine
    if port is not None and engine is not None and engine.placement != "remote":
        try:
            with urllib.request.urlopen(
                f"http://127.0.0.1:{port}{path}", timeout=5
            ) as r:
                body = r.read().decode("utf-8", "replace")
            return {"reached": True, "via": "published", "port": port, "body": body}
        except (OSError, urllib.error.URLError):
            pass  # not reachable from here: ask from inside, and say so
    return _from_inside(course, container, path)


def page_report(page: dict[str, Any]) -> str:
    """What :func:`visit` found, in the reader's language."""
    if not page.get("reached"):
        return t(
            f"ch08.visit.{page.get('why') or 'http'}", detail=page.get("detail", "")
        )
    head = t(
        "ch08.visit.published" if page["via"] == "published" else "ch08.visit.inside",
        port=page.get("port", ""),
    )
    return f"{head}\n{page['body'].rstrip()}"
