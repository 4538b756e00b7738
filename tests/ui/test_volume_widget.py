"""VolumeManager in JupyterLab in a real browser: a volume created with the widget's own
controls exists on the engine with the course label, and every widget renders."""

from __future__ import annotations

import secrets
import time
from typing import Any

import nbformat
import pytest

from dockcourse.resources import LABEL_COURSE

pytestmark = [pytest.mark.ui, pytest.mark.engine]
CSS = "dockcourse-volumes"
WIDGET_TIMEOUT_MS = 90_000  # kernel start + engine connection + course image


def write_notebook(path: Any) -> None:
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {
        "name": "python3", "display_name": "Python 3", "language": "python",
    }  # fmt: skip
    notebook.cells.append(
        nbformat.v4.new_code_cell(
            "from dockcourse import VolumeManager\nVolumeManager()"
        )
    )
    nbformat.write(notebook, path)


def run_first_cell(page: Any, attempts: int = 4) -> None:
    """Run the first cell; again if JupyterLab dropped the request (it can, while the
    kernel connection is still settling: the prompt then stays ``[ ]:``)."""
    page.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=60_000)
    indicator = page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']")
    indicator.first.wait_for(timeout=60_000)
    prompt = page.locator(".jp-Notebook .jp-Cell .jp-InputPrompt").first
    for _ in range(attempts):
        page.locator(".jp-Notebook .jp-Cell .cm-content").first.click()
        page.keyboard.press("Shift+Enter")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if prompt.inner_text().strip() not in ("[ ]:", ""):
                return  # running ([*]) or done ([1])
            time.sleep(0.2)
    pytest.fail("JupyterLab never ran the cell")


def test_create_a_volume_through_the_widget(lab: Any, page: Any, client: Any) -> None:
    import docker.errors

    write_notebook(lab.root / "volumes.ipynb")
    name = f"ui-test-{secrets.token_hex(4)}"
    try:
        page.goto(lab.tree_url("volumes.ipynb"))
        field = page.locator(f".{CSS}-create-name input")
        try:
            run_first_cell(page)
            field.wait_for(timeout=WIDGET_TIMEOUT_MS)
        except Exception:
            page.screenshot(path=str(lab.root / "failed.png"), full_page=True)
            pytest.fail(f"no widget; the page says: {page.inner_text('body')[-1500:]}")
        assert page.locator(f".{CSS}-banner").inner_text().startswith("live")
        field.fill(name)
        page.locator(f"button.{CSS}-create").click()
        page.get_by_text(f"Created volume {name}.").wait_for(timeout=30_000)
        command = page.locator(f".{CSS}-command").inner_text()
        assert f"docker volume create --label {LABEL_COURSE}=true" in command
        assert name in page.locator(f".{CSS}-listing").inner_text()

        labels = client.api.inspect_volume(name)["Labels"]
        assert labels[LABEL_COURSE] == "true"
        assert "Error displaying widget" not in page.content()
        page.screenshot(path=str(lab.root / "volume-widget.png"), full_page=True)
    finally:
        try:
            if client.api.inspect_volume(name)["Labels"].get(LABEL_COURSE) == "true":
                client.api.remove_volume(name)
        except docker.errors.NotFound:
            pass
