"""A real kernel (jupyter_client) shut down after setup(): its session's container and
volume are removed by the exit hook (dockcourse.session.clean_at_exit), not by a later
setup()'s stale sweep."""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any

import pytest

from dockcourse.resources import LABEL_COURSE, LABEL_SESSION

pytestmark = pytest.mark.engine

CODE = """
import json
import dockcourse
from dockcourse import volumes as vol
from dockcourse.resources import session_id
course = dockcourse.setup("06-kexit", mode="live", quiet=True)
volume = course.name("kexit")
vol.create_volume(course.client, volume, chapter="06-kexit")
container = course.start("sleep 300", name=course.name("kexit-c"), show=False)
print("RESULT " + json.dumps([session_id(), volume, container]))
"""


def _owned(client: Any, session: str) -> list[str]:
    flt = {"label": [f"{LABEL_COURSE}=true", f"{LABEL_SESSION}={session}"]}
    names = [c["Names"][0] for c in client.api.containers(all=True, filters=flt)]
    found = client.api.volumes(filters=flt).get("Volumes") or []
    return names + [v["Name"] for v in found]


def _run(kc: Any, code: str, timeout_s: float = 120) -> str:
    msg_id = kc.execute(code)
    out: list[str] = []
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        msg = kc.get_iopub_msg(timeout=timeout_s)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind, content = msg["msg_type"], msg["content"]
        if kind == "stream":
            out.append(content["text"])
        elif kind == "error":
            raise AssertionError("\n".join(content["traceback"]))
        elif kind == "status" and content["execution_state"] == "idle":
            return "".join(out)
    raise AssertionError(f"no answer within {timeout_s} s")


def test_shutting_the_kernel_down_removes_the_sessions_resources(
    client: Any, image_ref: str
) -> None:
    from jupyter_client.manager import KernelManager

    km = KernelManager(kernel_name="python3")
    # the kernel runs this interpreter (the venv's), with this engine's DOCKER_HOST
    km.kernel_spec.argv[0] = sys.executable
    km.start_kernel(env={**os.environ, "DOCKCOURSE_MODE": "live"})
    session = ""
    try:
        kc = km.client()
        kc.start_channels()
        kc.wait_for_ready(timeout=60)
        output = _run(kc, CODE)
        line = next(x for x in output.splitlines() if x.startswith("RESULT "))
        session, volume, container = json.loads(line.removeprefix("RESULT "))
        made = _owned(client, session)
        assert volume in made and f"/{container}" in made  # the test can fail
        kc.stop_channels()
        km.shutdown_kernel(now=False)  # a shutdown request, as Jupyter's menu sends
        assert not km.is_alive()
        assert _owned(client, session) == []
    finally:
        if km.is_alive():
            km.shutdown_kernel(now=True)
        if session:  # whatever is left (only if the test failed): ours, by label
            from dockcourse.resources import clean

            clean(client, session=session)
