"""Recorded results: what recorded mode (no engine, e.g. mybinder.org) shows, with provenance.

A recorded file is ``dockcourse/data/recorded/<name>.json`` holding ``{"provenance": {...},
"data": ...}``. It is written by ``dockcourse record`` from a real run on a named engine and
is never edited by hand. Every recorded figure or listing the course shows carries
``provenance_label()``. Used by every chapter in recorded mode.
"""

from __future__ import annotations

import datetime as dt
import json
import platform
import secrets
import socket
from dataclasses import asdict, dataclass, fields
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._version import __version__
from .engine import engine_info
from .text import t

if TYPE_CHECKING:
    import docker


@dataclass(frozen=True)
class Provenance:
    """Where and when a recorded result was measured."""

    engine_version: str
    api_version: str
    os_arch: str
    storage_driver: str
    cgroup_version: str
    kernel: str
    operating_system: str
    host: str
    cpu_model: str
    recorded_at: str  # ISO 8601, UTC
    dockcourse_version: str
    run_id: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Provenance:
        known = {f.name for f in fields(cls)}
        return cls(**{k: str(data.get(k, "?")) for k in known})


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def provenance_now(
    client: docker.DockerClient, run_id: str | None = None
) -> Provenance:
    """Provenance of a recording about to be made on ``client``'s engine."""
    info = engine_info(client)
    return Provenance(
        engine_version=info.version,
        api_version=info.api_version,
        os_arch=f"{info.os}/{info.arch}",
        storage_driver=info.storage_driver,
        cgroup_version=info.cgroup_version,
        kernel=info.kernel,
        operating_system=info.operating_system,
        host=socket.gethostname(),
        cpu_model=_cpu_model(),
        recorded_at=dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
        dockcourse_version=__version__,
        run_id=run_id or secrets.token_hex(4),
    )


def provenance_label(p: Provenance) -> str:
    """One line for a banner or a plot: 'recorded on Docker 20.10.24 (linux/x86_64...)'."""
    return t(
        "recorded.label",
        version=p.engine_version,
        os_arch=p.os_arch,
        driver=p.storage_driver,
        cgroup=p.cgroup_version,
        date=p.recorded_at[:10],
        host=p.host,
    )


def recorded_dir() -> Path:
    return Path(str(resources.files("dockcourse") / "data" / "recorded"))


def save(
    name: str, provenance: Provenance, data: Any, directory: Path | None = None
) -> Path:
    target = (directory or recorded_dir()) / f"{name}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    payload = {"provenance": provenance.as_dict(), "data": data}
    target.write_text(json.dumps(payload, indent=1, ensure_ascii=False) + "\n", "utf-8")
    return target


class RecordingMissing(Exception):
    """The package ships no recording of this name (a packaging mistake)."""


def load(name: str, directory: Path | None = None) -> tuple[Provenance, Any]:
    source = (directory or recorded_dir()) / f"{name}.json"
    try:
        payload = json.loads(source.read_text("utf-8"))
    except FileNotFoundError:
        raise RecordingMissing(
            f"no recorded result {name!r} in {source.parent}; run `dockcourse record` "
            "on a machine with Docker"
        ) from None
    return Provenance.from_dict(payload["provenance"]), payload["data"]


def record_engine(
    client: docker.DockerClient, provenance: Provenance, directory: Path | None = None
) -> Path:
    """What the banner shows in recorded mode: the engine the recording was made on."""
    return save("engine", provenance, engine_info(client).as_dict(), directory)
