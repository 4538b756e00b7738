"""The ``docker`` command a learner would type for what the course does: one renderer.

Every command line the course shows (``course.run``/``course.start``, the volume
workbench, the isolation lessons, ``%docker``) is written here, so that the same action
reads the same everywhere. :func:`docker_run` turns the keyword arguments of docker-py's
``containers.create`` into ``docker run`` flags; :func:`command_line` quotes words as a
shell would need them.

Foundation layer (CONTRIBUTING.md, "Package layers"): no Docker, nothing of the package.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

#: Stands for words a shown command abbreviates (labels); never quoted.
ELLIPSIS = "…"

#: SDK keyword → how ``docker run`` spells it (the ones the course uses). Flags in
#: ``_SPACED`` take their value as the next word (``-v vol:/data``); the others are
#: written ``--flag=value``.
RUN_FLAGS = {
    "name": "--name",
    "network_mode": "--network",
    "hostname": "--hostname",
    "mem_limit": "--memory",
    "memswap_limit": "--memory-swap",
    "nano_cpus": "--cpus",
    "pid_mode": "--pid",
    "user": "--user",
    "working_dir": "--workdir",
    "entrypoint": "--entrypoint",
    "userns_mode": "--userns",
    "ipc_mode": "--ipc",
    "uts_mode": "--uts",
    "read_only": "--read-only",
    "cap_add": "--cap-add",
    "environment": "--env",
    "volumes": "-v",
}
_SPACED = frozenset({"-v", "--env", "--cap-add"})


def command_line(argv: Iterable[str]) -> str:
    """How a learner would type ``argv`` in a shell (the ellipsis stays bare)."""
    return " ".join(a if a == ELLIPSIS else shlex.quote(a) for a in argv)


def _flag(flag: str, value: Any) -> list[str]:
    return [flag, str(value)] if flag in _SPACED else [f"{flag}={value}"]


def run_flags(options: Mapping[str, Any]) -> list[str]:
    """``{"network_mode": "none", "mem_limit": "64m"}`` → ``["--network=none",
    "--memory=64m"]``, in the order given. ``volumes`` maps a source to ``/path``,
    ``/path:ro`` or docker-py's ``{"bind": ..., "mode": ...}``; ``nano_cpus`` is shown
    in CPUs (``--cpus=0.5``); an unknown keyword is spelled from its name."""
    argv: list[str] = []
    for key, value in options.items():
        flag = RUN_FLAGS.get(key)
        if flag is None:
            argv.append(f"--{key.replace('_', '-')}={value}")
        elif value is True:
            argv.append(flag)
        elif key == "nano_cpus":
            argv.append(f"{flag}={int(value) / 1e9:g}")
        elif key == "volumes" and isinstance(value, Mapping):
            for source, spec in value.items():
                if isinstance(spec, Mapping):
                    ro = spec.get("mode", "rw") == "ro"
                    spec = f"{spec.get('bind', '')}" + (":ro" if ro else "")
                argv += _flag(flag, f"{source}:{spec}")
        elif isinstance(value, Mapping):
            argv += [w for k, v in value.items() for w in _flag(flag, f"{k}={v}")]
        elif isinstance(value, (list, tuple)):
            argv += [w for v in value for w in _flag(flag, v)]
        else:
            argv += _flag(flag, value)
    return argv


def docker_run(
    image: str,
    command: Sequence[str],
    options: Mapping[str, Any] | None = None,
    *,
    detach: bool = False,
    rm: bool = True,
    verb: str = "run",
) -> str:
    """``docker run --rm [flags] IMAGE COMMAND...`` for a ``containers.create`` call
    with ``options`` (labels are not spelled out: say so beside the line).

    ``detach`` writes ``-d`` instead of ``--rm`` (``course.start``); ``rm=False`` writes
    neither; ``verb="create"`` writes ``docker create``."""
    argv = ["docker", verb]
    if detach:
        argv.append("-d")
    elif rm and verb == "run":
        argv.append("--rm")
    return command_line([*argv, *run_flags(options or {}), image, *command])
