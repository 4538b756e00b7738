"""Talk to a classroom's hub as the teacher's scripts and the classroom test do: its REST
API with the admin service's token, a learner's server through the proxy with the
learner's own token, and code run in a kernel of that server (the Jupyter messaging
protocol over the server's websocket; needs tornado, which JupyterLab brings)."""

from __future__ import annotations

import asyncio
import http.cookiejar
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from datetime import datetime, timezone
from typing import Any


class KernelError(Exception):
    """The code raised in the learner's kernel; the message is its exception."""


class Hub:
    def __init__(self, url: str, admin_token: str) -> None:
        self.url = url
        self.admin_token = admin_token
        self.user_tokens: dict[str, str] = {}

    def request(
        self, method: str, path: str, body: object = None, token: str = ""
    ) -> Any:
        req = urllib.request.Request(
            self.url + path,
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"token {token or self.admin_token}"},
        )
        with urllib.request.urlopen(req, timeout=30) as response:
            text = response.read()
        return json.loads(text) if text else None

    def api(self, method: str, path: str, body: object = None) -> Any:
        return self.request(method, f"/hub/api{path}", body)

    def server(self, name: str) -> dict[str, Any]:
        servers = self.api("GET", f"/users/{name}")["servers"]
        return servers.get("", {})  # type: ignore[no-any-return]

    def start_servers(self, names: list[str], timeout_s: float = 120) -> float:
        """Start the servers of ``names``; returns the seconds until all were ready."""
        started = time.monotonic()
        for name in names:
            self.api("POST", f"/users/{name}/server")  # 201, or 202 still starting
        while not all(self.server(n).get("ready") for n in names):
            if time.monotonic() - started > timeout_s:
                raise TimeoutError(f"servers not ready in {timeout_s:.0f} s")
            time.sleep(0.5)
        return time.monotonic() - started

    def log_in(self, name: str) -> str:
        """A token of the learner's own (what logging in gives a browser)."""
        if name not in self.user_tokens:
            body = {"note": "classroom", "expires_in": 3600}
            token = self.api("POST", f"/users/{name}/tokens", body)["token"]
            self.user_tokens[name] = token
        return self.user_tokens[name]

    def password_login(self, name: str, password: str) -> bool:
        """Log in through the hub's login form, as a browser does; True if it worked."""
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        with opener.open(f"{self.url}/hub/login", timeout=30) as page:
            form = page.read().decode()
        xsrf = re.search(r'name="_xsrf" value="([^"]+)"', form)
        fields = {"username": name, "password": password}
        if xsrf:
            fields["_xsrf"] = xsrf.group(1)
        try:
            with opener.open(
                f"{self.url}/hub/login",
                data=urllib.parse.urlencode(fields).encode(),
                timeout=60,
            ) as response:
                response.read()
        except urllib.error.HTTPError:
            return False
        return any(c.name.startswith("jupyterhub-hub-login") for c in jar)

    def start_kernel(self, name: str) -> str:
        kernel = self.request(
            "POST", f"/user/{name}/api/kernels", {"name": "python3"}, self.log_in(name)
        )
        return str(kernel["id"])

    def stop_kernel(self, name: str, kernel_id: str) -> None:
        self.request(
            "DELETE", f"/user/{name}/api/kernels/{kernel_id}", None, self.log_in(name)
        )

    def execute(
        self, name: str, kernel_id: str, code: str, timeout_s: float = 90
    ) -> str:
        """Run ``code`` in the learner's kernel; returns what it printed and displayed
        (as text)."""
        return asyncio.run(self._execute(name, kernel_id, code, timeout_s))

    def run_in_kernel(self, name: str, code: str) -> str:
        """Run ``code`` in a new kernel of ``name``'s server, then shut the kernel down."""
        kernel_id = self.start_kernel(name)
        try:
            return self.execute(name, kernel_id, code)
        finally:
            self.stop_kernel(name, kernel_id)

    async def _execute(
        self, name: str, kernel_id: str, code: str, timeout_s: float
    ) -> str:
        from tornado.httpclient import HTTPRequest
        from tornado.websocket import websocket_connect

        ws = await websocket_connect(
            HTTPRequest(
                self.url.replace("http", "ws", 1)
                + f"/user/{name}/api/kernels/{kernel_id}/channels",
                headers={"Authorization": f"token {self.log_in(name)}"},
            )
        )
        msg_id = uuid.uuid4().hex
        header = {
            "msg_id": msg_id,
            "msg_type": "execute_request",
            "username": name,
            "session": uuid.uuid4().hex,
            "version": "5.3",
            "date": datetime.now(timezone.utc).isoformat(),
        }
        content = {
            "code": code,
            "silent": False,
            "store_history": False,
            "user_expressions": {},
            "allow_stdin": False,
            "stop_on_error": True,
        }
        message = {"header": header, "parent_header": {}, "metadata": {}}
        message |= {"content": content, "channel": "shell", "buffers": []}
        ws.write_message(json.dumps(message))
        out: list[str] = []
        deadline = time.monotonic() + timeout_s
        try:
            while time.monotonic() < deadline:
                raw = await asyncio.wait_for(ws.read_message(), timeout=timeout_s)
                if raw is None:
                    raise KernelError(f"{name}'s kernel closed its websocket")
                msg = json.loads(raw)
                if msg.get("parent_header", {}).get("msg_id") != msg_id:
                    continue
                kind, body = msg["msg_type"], msg["content"]
                if kind == "stream":
                    out.append(body["text"])
                elif kind in ("execute_result", "display_data"):
                    out.append(body.get("data", {}).get("text/plain", "") + "\n")
                elif kind == "error":
                    raise KernelError(f"{name}: {body['ename']}: {body['evalue']}")
                elif kind == "status" and body["execution_state"] == "idle":
                    return "".join(out)
            raise TimeoutError(f"{name}'s kernel did not finish in {timeout_s:.0f} s")
        finally:
            ws.close()
