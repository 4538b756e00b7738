"""JupyterHub for a live classroom: one rootless Docker engine per learner.

Started by ``classroom.py up`` (``./course classroom up``) with CLASSROOM_CONFIG naming the
classroom's config file; the hub runs as root in the classroom's state folder. Each
learner's JupyterLab runs as the learner (LocalProcessSpawner), in a cgroup of its own;
the pre-spawn hook starts the learner's engine in another and sets DOCKER_HOST, the
post-stop hook stops it. Accounts log in with their Linux password (PAM).
"""

import asyncio
import os
import sys
from pathlib import Path

from jupyterhub.spawner import LocalProcessSpawner

sys.path.insert(0, str(Path(__file__).resolve().parent))
import classroom

c = get_config()  # type: ignore[name-defined]  # noqa: F821
room = classroom.load(os.environ["CLASSROOM_CONFIG"])
venv_bin = room.venv / "bin"

c.JupyterHub.bind_url = room.url
c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{room.port + 1}"
c.JupyterHub.db_url = f"sqlite:///{room.state_dir / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(room.state_dir / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(room.state_dir / "jupyterhub.pid")
# `classroom down` stops the servers itself; a hub restarted after a config change keeps them.
c.JupyterHub.cleanup_servers = False
c.ConfigurableHTTPProxy.command = [str(venv_bin / "configurable-http-proxy")]
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{room.port + 2}"
c.ConfigurableHTTPProxy.pid_file = str(room.state_dir / "jupyterhub-proxy.pid")

c.Authenticator.allowed_users = {a.name for a in room.accounts}
c.Authenticator.admin_users = {room.admin.name}
# The teacher's `classroom status` and `down` (and the classroom test) use this token.
c.JupyterHub.services = [
    {"name": "classroom", "api_token": room.token_file.read_text().strip()}
]
c.JupyterHub.load_roles = [
    {
        "name": "classroom-admin",
        "scopes": ["admin:users", "admin:servers", "tokens", "access:servers"],
        "services": ["classroom"],
    }
]


class ClassroomSpawner(LocalProcessSpawner):  # type: ignore[misc]
    """LocalProcessSpawner whose server (and every kernel it starts) joins the learner's
    ``lab`` cgroup before it runs, so the lab's memory and CPU limits hold."""

    def make_preexec_fn(self, name):  # type: ignore[no-untyped-def]
        become_user = super().make_preexec_fn(name)
        cgroups = classroom.cgroup_dirs(name, "lab")

        def preexec() -> None:
            for folder in cgroups:  # still root here, after fork, before exec
                with open(folder / "cgroup.procs", "w") as procs:
                    procs.write(str(os.getpid()))
            become_user()

        return preexec


async def start_engine(spawner):  # type: ignore[no-untyped-def]
    acc = room.account(spawner.user.name)
    await asyncio.to_thread(classroom.ensure_account, room, acc)
    host = await asyncio.to_thread(classroom.start_engine, room, acc)
    spawner.environment.update(
        {
            "DOCKER_HOST": host,
            # The learner's share of the host's port space (published ports bind loopback).
            "DOCKCOURSE_PORTS": f"{acc.first_port}-{acc.last_port}",
            "PATH": f"{venv_bin}:{classroom.SYSTEM_PATH}",
        }
    )


async def stop_engine(spawner):  # type: ignore[no-untyped-def]
    await asyncio.to_thread(classroom.stop_engine, room.account(spawner.user.name))


c.JupyterHub.spawner_class = ClassroomSpawner
c.Spawner.cmd = [str(venv_bin / "jupyterhub-singleuser")]
c.Spawner.notebook_dir = "~"
c.Spawner.default_url = "/lab/tree/course/en/00_start_here.ipynb"
c.Spawner.pre_spawn_hook = start_engine
c.Spawner.post_stop_hook = stop_engine
c.Spawner.start_timeout = 60
c.Spawner.http_timeout = 60
c.Spawner.env_keep = ["LANG"]
