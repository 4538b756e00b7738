"""Chapter 08's checks (the capstone) on the real engine, with the site made as a learner
makes it in JupyterLab's Terminal: the plain ``docker`` CLI, no course label. A right
answer passes, each wrong one fails with its own message, and nothing is left behind."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dockcourse.checks import ch08
from dockcourse.lessons.ch08 import free_port
from dockcourse.resources import LABEL_COURSE
from dockcourse.text import t

pytestmark = pytest.mark.engine
SERVE = '["httpd", "-f", "-p", "8080", "-h", "/www"]'


def _site(folder: Path, base: str, page: str, cmd: str = SERVE) -> Path:
    folder.mkdir(exist_ok=True)
    (folder / "index.html").write_text(page)
    (folder / "Dockerfile").write_text(
        f"FROM {base}\nCOPY index.html /www/index.html\nCMD {cmd}\n"
    )
    return folder


def test_a_site_made_in_the_terminal_passes_and_wrong_ones_fail(
    client: Any, image_ref: str, docker_cli: Callable[..., str], tmp_path: Path
) -> None:
    tag = secrets.token_hex(3)
    image, news, server = (
        f"learner-site:{tag}",
        f"learner-news-{tag}",
        f"learner-web-{tag}",
    )
    site, port = _site(tmp_path / "site", image_ref, "<h1>v1</h1>\n"), free_port()

    assert not ch08.inspect_image(client, image, site).passed  # nothing built yet
    first = docker_cli("build", "-q", "-t", image, str(site)).strip()
    docker_cli("image", "inspect", first, undo=["rmi", "-f", first])  # the old build
    docker_cli("image", "inspect", image, undo=["rmi", "-f", image])
    assert LABEL_COURSE not in (
        client.api.inspect_image(image)["Config"]["Labels"] or {}
    )
    assert ch08.inspect_image(client, image, site).passed

    docker_cli("volume", "create", news, undo=["volume", "rm", "-f", news])
    docker_cli("run", "--rm", "-v", f"{news}:/news", image_ref, "sh", "-c",
               "echo '<p>kept</p>' > /news/news.html")  # fmt: skip
    run = ["run", "-d", "--name", server, "-v", f"{news}:/www/news"]
    # Wrong: the port is not published.
    docker_cli(*run, image, undo=["rm", "-f", server])
    verdict = ch08.inspect_server(client, server, image, news, port)
    assert verdict.detail == t("check.08.server.port", name=server, port=port)
    docker_cli("rm", "-f", server)
    docker_cli(*run, "-p", f"127.0.0.1:{port}:8080", image)
    assert ch08.inspect_server(client, server, image, news, port).passed

    # The page changes and the image is rebuilt, but the old container still runs.
    _site(site, image_ref, "<h1>v2</h1>\n")
    assert not ch08.inspect_image(client, image, site).passed  # stale until rebuilt
    docker_cli("build", "-q", "-t", image, str(site))
    old = ch08.inspect_rebuilt(client, server, image, news, port, site)
    assert old.detail == t("check.08.rebuilt.old", name=server, image=image)
    docker_cli("rm", "-f", server)
    docker_cli(*run, "-p", f"127.0.0.1:{port}:8080", image)
    assert ch08.inspect_rebuilt(client, server, image, news, port, site).passed
    docker_cli("rm", "-f", server)


def test_an_image_that_does_not_serve_fails_with_its_command(
    client: Any, image_ref: str, docker_cli: Callable[..., str], tmp_path: Path
) -> None:
    tag = secrets.token_hex(3)
    image = f"learner-site:{tag}"
    site = _site(tmp_path / "s", image_ref, "<h1>x</h1>\n", cmd='["sleep", "60"]')
    docker_cli("build", "-q", "-t", image, str(site), undo=["rmi", "-f", image])
    verdict = ch08.inspect_image(client, image, site)
    assert not verdict.passed and "sleep" in verdict.detail
