"""`import dockcourse` does nothing: no connection, no heavy imports."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path


def test_import_loads_no_docker_or_matplotlib() -> None:
    code = (
        "import sys, dockcourse\n"
        "heavy = [m for m in ('docker', 'requests', 'matplotlib', 'ipywidgets') "
        "if m in sys.modules]\n"
        "print(','.join(heavy))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert out.stdout.strip() == ""


def test_import_opens_no_connection() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "docker.sock")
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(path)
        server.listen(1)
        server.settimeout(0.5)
        env = {**os.environ, "DOCKER_HOST": f"unix://{path}"}
        code = "import dockcourse; from dockcourse import setup, connect, ensure_image"
        subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=60)
        try:
            conn, _ = server.accept()
        except TimeoutError:
            conn = None
        finally:
            server.close()
        assert conn is None, "importing dockcourse connected to the engine socket"


def test_lazy_names_resolve() -> None:
    import dockcourse

    assert callable(dockcourse.setup)
    assert "setup" in dir(dockcourse)


def test_every_export_resolves() -> None:
    import dockcourse

    for name in dockcourse.__all__:
        assert getattr(dockcourse, name) is not None, name
