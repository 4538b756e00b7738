"""Binder accepts the repository: repo2docker (offline, --no-build) finds our config."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_repo2docker_accepts_the_repository() -> None:
    exe = shutil.which("jupyter-repo2docker") or str(
        Path(sys.executable).parent / "jupyter-repo2docker"
    )
    done = subprocess.run(
        [exe, "--no-build", "--no-run", str(ROOT)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    dockerfile = done.stdout
    assert "binder/environment.yml" in dockerfile
    assert "./binder/postBuild" in dockerfile
    assert 'R2D_ENTRYPOINT="${REPO_DIR}/binder/start"' in dockerfile


def test_binder_scripts_fail_fast_and_force_recorded_mode() -> None:
    post_build = (ROOT / "binder" / "postBuild").read_text()
    assert "set -e" in post_build and "pip install" in post_build
    assert "DOCKCOURSE_MODE=recorded" in (ROOT / "binder" / "start").read_text()
