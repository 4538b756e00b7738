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
from .engine import (
    EngineUnavailable,
    connect,
    describe_source,
    engine_info,
    normalize_arch,
)
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
                product=info.product,
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
    local = normalize_arch(platform.machine())
    engine_arch = normalize_arch(info.arch)
    if local and engine_arch and engine_arch != "?" and local != engine_arch:
        checks.append(
            Check(
                "arch",
                "warn",
                t("doctor.arch_mismatch", local=local, engine=engine_arch),
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
    if info.placement in ("vm", "remote"):
        checks.append(
            Check("placement", "info", t(f"doctor.placement_{info.placement}"))
        )
    # An engine in a VM or elsewhere keeps its data on that machine's disk, which this
    # notebook cannot measure: say so instead of reporting this machine's free space.
    checks.append(
        Check("disk", "info", t("doctor.disk_elsewhere", root=info.docker_root_dir))
        if info.placement in ("vm", "remote")
        else _disk_check(info.docker_root_dir)
    )
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


def _kvm_boots_a_guest(device_ok: str) -> tuple[bool, str]:
    """KVM is called usable only after a real guest reached init with it.

    ``/dev/kvm`` can open and create a VM while QEMU's guest still hangs (nested
    virtualization): the same short trial boot as the VM baseline decides (≤ 4 s).
    """
    from .measure import vm  # the VM baseline's own trial; imported only when needed
    from .measure.results import BadInput, MeasurementUnavailable

    try:
        setup = vm.prepare()
    except (MeasurementUnavailable, BadInput):
        return (
            True,
            device_ok,
        )  # no kernel or busybox to try with: the device check only
    try:
        chosen, _note, first = vm._choose_accel(setup, "kvm", vm.KVM_TRIAL_TIMEOUT_S)
    except MeasurementUnavailable as exc:
        return False, exc.cause
    init_s = f"{first.init_s:.2f}" if first is not None else "?"
    return chosen == "kvm", t("doctor.kvm_booted", seconds=init_s)


def _host_checks() -> list[Check]:
    checks: list[Check] = []
    qemu = host.find_qemu()
    checks.append(
        Check("qemu", "ok", t("doctor.qemu_ok", path=qemu))
        if qemu
        else Check("qemu", "info", t("doctor.qemu_missing"), host.qemu_install_hint())
    )
    kvm = host.probe_kvm()
    usable, reason = kvm.usable, kvm.reason
    if usable and qemu:
        usable, reason = _kvm_boots_a_guest(reason)
    checks.append(
        Check(
            "kvm",
            "ok" if usable else "info",
            t("doctor.kvm_ok" if usable else "doctor.kvm_no", reason=reason),
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
