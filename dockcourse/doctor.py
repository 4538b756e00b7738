"""``dockcourse doctor``: can the course run live here, and if not, what to do.

Each check reports ok / warn / fail / info with a fix in plain words. The exit code is 0
when the course can run live and 1 when only recorded mode is possible. Used by chapter
00 and by the README's troubleshooting section, which mirrors these messages.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from importlib import metadata
from typing import TYPE_CHECKING

from . import host
from ._version import __version__
from .engine import EngineUnavailable, connect, describe_source, engine_info
from .images import (
    course_image_ref,
    find_static_busybox,
    image_present,
    registry_answers,
)
from .text import t

if TYPE_CHECKING:
    import docker

LOW_DISK_BYTES = 2 * 1024**3
STATUSES = ("ok", "info", "warn", "fail")
_MARKS = {"ok": "✔", "info": "·", "warn": "!", "fail": "✘"}


@dataclass(frozen=True)
class Check:
    key: str
    status: str
    summary: str
    fix: str = ""


@dataclass(frozen=True)
class Report:
    checks: tuple[Check, ...]

    @property
    def live_possible(self) -> bool:
        return not any(c.status == "fail" for c in self.checks)

    @property
    def exit_code(self) -> int:
        return 0 if self.live_possible else 1

    def as_dict(self) -> dict[str, object]:
        return {
            "dockcourse_version": __version__,
            "live_possible": self.live_possible,
            "mode": "live" if self.live_possible else "recorded",
            "checks": [asdict(c) for c in self.checks],
        }


def _engine_checks(client: docker.DockerClient) -> list[Check]:
    info = engine_info(client)
    checks = [
        Check(
            "engine",
            "ok",
            t(
                "doctor.engine_ok",
                version=info.version,
                api=info.api_version,
                where=info.endpoint,
                source=describe_source(info.endpoint_source),
            ),
        ),
        Check(
            "platform",
            "ok",
            t(
                "doctor.platform",
                os=info.os,
                arch=info.arch,
                system=info.operating_system,
                kernel=info.kernel,
            ),
        ),
    ]
    local = (
        platform.machine()
        .lower()
        .replace("amd64", "x86_64")
        .replace("arm64", "aarch64")
    )
    if local and info.arch and local != info.arch.lower():
        checks.append(
            Check(
                "arch",
                "warn",
                t("doctor.arch_mismatch", local=local, engine=info.arch),
                t("doctor.arch_fix"),
            )
        )
    checks.append(
        Check(
            "storage",
            "info",
            t(
                "doctor.storage",
                driver=info.storage_driver,
                cgroup=info.cgroup_version,
                cgdriver=info.cgroup_driver,
            ),
        )
    )
    if info.rootless:
        checks.append(Check("rootless", "info", t("doctor.rootless")))
    checks.append(_disk_check(info.docker_root_dir))
    registry = registry_answers(client)
    checks.append(
        Check("registry", "ok", t("doctor.registry_ok"))
        if registry
        else Check("registry", "info", t("doctor.registry_none"))
    )
    image = course_image_ref()
    if image_present(client, image):
        checks.append(Check("image", "ok", t("doctor.image_present", image=image)))
    else:
        busybox, reason = find_static_busybox(info.arch)
        if busybox is not None:
            checks.append(
                Check(
                    "image",
                    "ok",
                    t("doctor.image_buildable", image=image, busybox=busybox),
                )
            )
        elif registry:
            checks.append(Check("image", "ok", t("doctor.image_pullable", image=image)))
        else:
            checks.append(
                Check(
                    "image",
                    "fail",
                    t("doctor.image_missing", image=image, reason=reason),
                    t("doctor.image_fix"),
                )
            )
    return checks


def _disk_check(docker_root: str) -> Check:
    path = docker_root if os.path.isdir(docker_root) else os.path.expanduser("~")
    free = shutil.disk_usage(path).free
    gib = f"{free / 1024**3:.1f}"
    if free < LOW_DISK_BYTES:
        return Check(
            "disk",
            "warn",
            t("doctor.disk_low", free=gib, path=path),
            t("doctor.disk_fix"),
        )
    return Check("disk", "ok", t("doctor.disk_ok", free=gib, path=path))


def _host_checks() -> list[Check]:
    checks: list[Check] = []
    qemu = host.find_qemu()
    checks.append(
        Check("qemu", "ok", t("doctor.qemu_ok", path=qemu))
        if qemu
        else Check("qemu", "info", t("doctor.qemu_missing"), host.qemu_install_hint())
    )
    kvm = host.probe_kvm()
    checks.append(
        Check(
            "kvm",
            "ok" if kvm.usable else "info",
            t("doctor.kvm_ok" if kvm.usable else "doctor.kvm_no", reason=kvm.reason),
        )
    )
    kernel = host.find_kernel()
    checks.append(
        Check("kernel", "ok", t("doctor.kernel_ok", path=kernel))
        if kernel
        else Check(
            "kernel", "info", t("doctor.kernel_missing"), host.kernel_install_hint()
        )
    )
    unshare_ok, why = host.unshare_available()
    checks.append(
        Check(
            "unshare",
            "ok" if unshare_ok else "info",
            t("doctor.unshare_ok" if unshare_ok else "doctor.unshare_no", reason=why),
        )
    )
    versions = []
    for package in ("docker", "ipywidgets", "jupyterlab", "matplotlib"):
        try:
            versions.append(f"{package} {metadata.version(package)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{package} missing")
    checks.append(
        Check(
            "python",
            "info",
            t(
                "doctor.python",
                python=platform.python_version(),
                packages=", ".join(versions),
            ),
        )
    )
    return checks


def run_checks(environ: Mapping[str, str] | None = None) -> Report:
    """Every check, without raising: a failure is a Check with status 'fail'."""
    checks: list[Check] = []
    try:
        client = connect(environ=environ)
    except EngineUnavailable as exc:
        checks.append(Check("engine", "fail", exc.cause, exc.fix))
        checks.append(Check("mode", "info", t("doctor.recorded_only")))
    else:
        try:
            checks += _engine_checks(client)
        except EngineUnavailable as exc:
            checks.append(Check("engine", "fail", exc.cause, exc.fix))
        finally:
            client.close()
    checks += _host_checks()
    return Report(tuple(checks))


def render_text(report: Report) -> str:
    lines = [t("doctor.title", version=__version__)]
    for check in report.checks:
        lines.append(f" {_MARKS[check.status]} {check.key:<9} {check.summary}")
        if check.fix:
            lines.append(f"   {'':<9} → {check.fix}")
    lines.append(
        t("doctor.verdict_live" if report.live_possible else "doctor.verdict_recorded")
    )
    return "\n".join(lines)


def render_json(report: Report) -> str:
    return json.dumps(report.as_dict(), indent=2, ensure_ascii=False)


def doctor_report() -> Report:
    """``dockcourse doctor`` inside a notebook: prints the report, returns it."""
    report = run_checks()
    print(render_text(report))
    return report
