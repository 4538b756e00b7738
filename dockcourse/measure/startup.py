"""Start-up time, from a plain process to a container: the left half of the spectrum.

- ``measure_process``: fork + exec of ``busybox true`` (the floor).
- ``measure_namespaces``: the same program in fresh pid/mount/uts/ipc/net namespaces
  (``unshare``), when the host allows it.
- ``measure_container``: a container from the course image, split into phases
  (create, start, first output, exit, remove) from the SDK calls' own durations and the
  engine's log timestamp of the first output line; the engine's event timestamps
  (create, start, die, destroy, in ``timeNano``) are attached to each sample too.
  ``network="none"`` or ``"bridge"``; ``cold=True`` runs each sample from an image
  built just before it (the first start after the image appears).

The engine may run on another machine (Docker Desktop, colima, a VM) whose clock is
not this one's: the engine's timestamps (events, log lines) are turned into this
machine's time with the offset measured by :func:`engine_clock_offset`, and each
container sample says in ``engine_kernel`` whether the engine runs on this kernel
("this") or another ("other"), from the kernel's boot ID, so that the ladder can say
when its rungs ran on two machines.

Every sample is handed to ``on_sample`` as soon as it is taken (the run file appends
it).
Containers carry the course labels and are removed even on Ctrl-C. Used by chapter 01.
"""

from __future__ import annotations

import io
import secrets
import subprocess
import tarfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from .. import host, resources
from ..text import t
from .results import (
    CONTAINER_PHASES,
    SERIES,
    BadInput,
    MeasurementUnavailable,
    StartupSample,
    check_runs,
    now_iso,
    progress_bar,
    series_caption,
)

if TYPE_CHECKING:
    import docker

PROCESS_TIMEOUT_S = 10.0
#: Seconds a measured container may run before the sample is abandoned.
CONTAINER_TIMEOUT_S = 30.0
BUILD_TIMEOUT_S = 60.0
EVENTS_TIMEOUT_S = 10.0
#: Extra seconds around an events query: the series label makes a wide window harmless.
EVENTS_MARGIN_S = 5.0
#: How many ``/info`` round trips estimate the engine's clock offset (the fastest wins).
CLOCK_PROBES = 3
CHAPTER = "01"
#: Groups the containers of one series so the engine's events can be fetched at once.
LABEL_SERIES = "io.dockcourse.measure"
COMMAND = ["echo", "ready"]
NETWORKS = ("none", "bridge")
COLD_REPO = f"{resources.IMAGE_PREFIX}measure-cold"

OnSample = Callable[[StartupSample], None]


def _busybox() -> Path:
    import platform

    from ..images import find_static_busybox

    found, reason = find_static_busybox(platform.machine())
    if found is None:
        raise MeasurementUnavailable(
            "process",
            t("measure.busybox_missing.cause", reason=reason),
            t("measure.busybox_missing.fix"),
        )
    return found


def _time_command(
    argv: list[str],
    *,
    fails_as: str = "process",
    timeout_s: float = PROCESS_TIMEOUT_S,
) -> float:
    start = time.perf_counter()
    done = subprocess.run(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        timeout=timeout_s,
        check=False,
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip()
        raise MeasurementUnavailable(
            fails_as,
            t(
                "measure.command_failed.cause",
                command=" ".join(argv),
                message=message or done.returncode,
            ),
        )
    return elapsed


def _measure_command(
    series: str,
    argv: list[str],
    runs: int,
    warmup: int,
    start_index: int,
    on_sample: OnSample | None,
    progress: bool | None,
    detail: dict[str, str],
    *,
    fails_as: str = "process",
    timeout_s: float = PROCESS_TIMEOUT_S,
) -> list[StartupSample]:
    """Time ``argv`` from spawn to exit, ``warmup + runs`` times (process, namespaces,
    the ``docker run`` a learner types). A failing command raises MeasurementUnavailable
    for the series ``fails_as``."""
    check_runs(runs)
    if warmup < 0:
        raise BadInput(t("measure.bad.warmup", value=warmup))
    samples: list[StartupSample] = []
    total = warmup + runs
    with progress_bar(total - start_index, series_caption(series), progress) as bar:
        for index in range(start_index, total):
            elapsed = _time_command(argv, fails_as=fails_as, timeout_s=timeout_s)
            sample = StartupSample(
                series=series,
                index=index,
                warmup=index < warmup,
                elapsed_s=elapsed,
                endpoint=SERIES[series][1],
                taken_at=now_iso(),
                detail={"command": " ".join(argv), **detail},
            )
            samples.append(sample)
            if on_sample is not None:
                on_sample(sample)
            bar.update(1)
    return samples


def measure_process(
    runs: int = 20,
    *,
    warmup: int = 2,
    start_index: int = 0,
    on_sample: OnSample | None = None,
    progress: bool | None = None,
) -> list[StartupSample]:
    """Time fork + exec + exit of ``busybox true``: the floor of the spectrum."""
    check_runs(runs)
    return _measure_command(
        "process",
        [str(_busybox()), "true"],
        runs,
        warmup,
        start_index,
        on_sample,
        progress,
        {},
    )


def measure_namespaces(
    runs: int = 20,
    *,
    warmup: int = 2,
    start_index: int = 0,
    on_sample: OnSample | None = None,
    progress: bool | None = None,
) -> list[StartupSample]:
    """Time ``unshare --pid --fork --mount --uts --ipc --net busybox true``.

    MeasurementUnavailable (with the reason) where namespaces cannot be created:
    macOS/Windows (Docker's Linux runs in a VM there), or no privileges.
    """
    check_runs(runs)
    program = [str(_busybox()), "true"]
    argv, how = host.unshare_command(program)
    if argv is None:
        raise MeasurementUnavailable(
            "namespaces",
            how,
            t("measure.namespaces.fix"),
        )
    return _measure_command(
        "namespaces",
        [*argv, *program],
        runs,
        warmup,
        start_index,
        on_sample,
        progress,
        {"how": how},
    )


# ---------------------------------------------------------------- containers


@dataclass(frozen=True)
class ContainerTiming:
    """One container's call durations (``time.perf_counter``, seconds)."""

    container_id: str
    create_s: float  # create call duration
    start_s: float  # start call duration
    wait_s: float  # wait call duration (start returned → exit seen)
    remove_s: float  # remove call duration
    first_output_after_start_s: float | None  # engine log timestamp − start returned
    wall_total_s: float  # first call → remove returned, instrumentation excluded
    instrumentation_s: float  # the log-timestamp query, left out of the total


def split_phases(t: ContainerTiming) -> dict[str, float]:
    """The five phases, in time order, each ending at its event.

    create: until the create call returned; start: until the start call returned (the
    engine reports the container started); first output: until the engine's timestamp
    of the first log line; exit: until wait returned; remove: the remove call. The
    program often prints before ``start`` has returned (it runs while the engine is
    still answering); then "first output" is 0 and the sample's detail says so. The
    phases add up to the four calls' durations.
    """
    first = t.first_output_after_start_s
    first = 0.0 if first is None else min(max(first, 0.0), t.wait_s)
    values = (t.create_s, t.start_s, first, t.wait_s - first, t.remove_s)
    return dict(zip(CONTAINER_PHASES, values, strict=True))


def parse_log_time(line: bytes) -> int | None:
    """Epoch nanoseconds of a ``docker logs --timestamps`` line, None if absent."""
    stamp = line.split(b" ", 1)[0].decode("ascii", "replace").strip()
    if not stamp.endswith("Z") or "T" not in stamp:
        return None
    stamp = stamp[:-1]
    whole, _, fraction = stamp.partition(".")
    try:
        base = datetime.strptime(whole, "%Y-%m-%dT%H:%M:%S").replace(
            tzinfo=timezone.utc
        )
    except ValueError:
        return None
    digits = (fraction + "000000000")[:9]
    if not digits.isdigit():
        return None
    return int(base.timestamp()) * 1_000_000_000 + int(digits)


def engine_clock_offset(client: docker.DockerClient) -> tuple[float, float]:
    """(offset, uncertainty) in seconds: the engine's clock minus this machine's, from
    ``/info``'s ``SystemTime`` against the middle of the fastest of a few round trips,
    and half that round trip.

    The offset is 0.0 when it is within the uncertainty (the same clock, as for an
    engine on this kernel), or when the engine does not say its time.
    """
    from ..isolation import parse_docker_time

    best: tuple[float, float] | None = None
    for _ in range(CLOCK_PROBES):
        before = time.time()
        stamp = str(client.api.info().get("SystemTime") or "")
        after = time.time()
        try:
            engine_now = parse_docker_time(stamp)
        except ValueError:
            return 0.0, 0.0
        trip = after - before
        offset = engine_now - (before + after) / 2
        if best is None or trip < best[0]:
            best = (trip, offset)
    assert best is not None
    trip, offset = best
    uncertainty = trip / 2 + 0.002
    return (offset if abs(offset) > uncertainty else 0.0), uncertainty


def engine_kernel(client: docker.DockerClient, image_ref: str, chapter: str) -> str:
    """ "this" when containers run on this machine's kernel, "other" when on another
    (a VM, another machine), "" when it cannot be told: compared by boot ID."""
    try:
        found = resources.run(
            client, image_ref, ["cat", host.BOOT_ID_FILE], chapter=chapter
        )
    except Exception:  # evidence for a note, never a reason to lose the series
        return ""
    same = host.same_kernel(found.output) if found.exit_code == 0 else None
    return "" if same is None else "this" if same else "other"


def time_container(
    client: docker.DockerClient,
    image_ref: str,
    *,
    network: str,
    series_tag: str,
    chapter: str = CHAPTER,
    clock_offset_s: float = 0.0,
) -> ContainerTiming:
    """Create, start, wait for, and remove one labelled container, timing each call.

    ``clock_offset_s``: the engine's clock minus this machine's
    (:func:`engine_clock_offset`), to place the engine's log timestamp in our time.
    """
    import requests

    name = resources.new_name(chapter, "startup")
    container_labels = {**resources.labels(chapter), LABEL_SERIES: series_tag}
    host_config = client.api.create_host_config(network_mode=network)
    removed = False
    try:
        wall_ns, perf_ns = time.time_ns(), time.perf_counter_ns()
        t0 = time.perf_counter()
        cid = client.api.create_container(
            image_ref,
            COMMAND,
            name=name,
            labels=container_labels,
            host_config=host_config,
        )["Id"]
        t1 = time.perf_counter()
        client.api.start(cid)
        t2 = time.perf_counter()
        try:
            status = client.api.wait(cid, timeout=CONTAINER_TIMEOUT_S)
        except (requests.exceptions.ReadTimeout, requests.exceptions.ConnectionError):
            raise MeasurementUnavailable(
                "container",
                t("measure.container_timeout.cause", seconds=CONTAINER_TIMEOUT_S),
                t("measure.container_timeout.fix"),
            ) from None
        t3 = time.perf_counter()
        logs = client.api.logs(cid, stdout=True, stderr=True, timestamps=True, tail=5)
        t4 = time.perf_counter()
        client.api.remove_container(cid, v=True)
        t5 = time.perf_counter()
        removed = True
    finally:
        if not removed:
            resources.remove_container_if_ours(client, name)  # Ctrl-C path
    if status.get("StatusCode") != 0:
        raise MeasurementUnavailable(
            "container",
            t(
                "measure.container_status.cause",
                command=" ".join(COMMAND),
                status=status.get("StatusCode"),
                output=logs.decode("utf-8", "replace").strip(),
            ),
        )
    first_ns = parse_log_time(logs.splitlines()[0]) if logs.strip() else None
    first_after_start: float | None = None
    if first_ns is not None:
        first_ns -= int(clock_offset_s * 1e9)
        first_perf_s = (perf_ns + (first_ns - wall_ns)) / 1e9
        first_after_start = first_perf_s - t2
    return ContainerTiming(
        container_id=cid,
        create_s=t1 - t0,
        start_s=t2 - t1,
        wait_s=t3 - t2,
        remove_s=t5 - t4,
        first_output_after_start_s=first_after_start,
        wall_total_s=(t5 - t0) - (t4 - t3),
        instrumentation_s=t4 - t3,
    )


def engine_events(
    client: docker.DockerClient,
    series_tag: str,
    since_s: float,
    until_s: float,
    *,
    clock_offset_s: float = 0.0,
    uncertainty_s: float = 0.0,
) -> dict[str, dict[str, int]]:
    """Container id → {action: timeNano} from the engine's event log, in one query.

    ``since_s`` and ``until_s`` are this machine's time; the engine filters by its own
    clock, so they are shifted by ``clock_offset_s`` (engine minus here). ``since`` is
    widened by :data:`EVENTS_MARGIN_S` (the series label already selects exactly the
    series' containers, so a wider window costs nothing), ``until`` by the offset's
    ``uncertainty_s`` (the engine waits for an ``until`` in its future, so only that
    much). The timestamps returned are the engine's own.
    """
    from ..engine import call_timeout

    found: dict[str, dict[str, int]] = {}
    since_s = since_s + clock_offset_s - EVENTS_MARGIN_S
    until_s = until_s + clock_offset_s + uncertainty_s
    with call_timeout(client, EVENTS_TIMEOUT_S + abs(clock_offset_s)):
        stream = client.events(
            since=int(since_s),
            # a float "seconds.fraction": an ``until`` in the future makes the engine
            # wait for it, so it is exactly now (the destroy events are logged already)
            until=f"{until_s:.6f}",
            decode=True,
            filters={"type": "container", "label": f"{LABEL_SERIES}={series_tag}"},
        )
        try:
            for event in stream:
                action = str(event.get("Action") or event.get("status") or "")
                action = "destroy" if action == "remove" else action  # Podman's word
                cid = str(event.get("id") or event.get("Actor", {}).get("ID", ""))
                if action in ("create", "start", "die", "destroy") and cid:
                    found.setdefault(cid, {})[action] = int(event.get("timeNano", 0))
        finally:
            stream.close()
    return found


def _engine_detail(events: dict[str, int]) -> dict[str, str]:
    detail: dict[str, str] = {}
    pairs = (
        ("create", "start"),
        ("start", "die"),
        ("die", "destroy"),
        ("create", "destroy"),
    )
    for a, b in pairs:
        if a in events and b in events:
            detail[f"engine_{a}_to_{b}_s"] = f"{(events[b] - events[a]) / 1e9:.6f}"
    return detail


@contextmanager
def fresh_image(
    client: docker.DockerClient, base_ref: str, chapter: str = CHAPTER
) -> Iterator[str]:
    """An image that has just appeared: the course image plus a one-file layer.

    Removed at the end of the block. The new layer has never been mounted, so the first
    container from it starts "cold" as far as the storage driver is concerned.
    """
    import docker.errors

    from ..engine import call_timeout

    tag = f"{COLD_REPO}:{secrets.token_hex(4)}"
    # The labels go in one LABEL line *before* the COPY: the classic builder turns each
    # ``labels=`` entry into a LABEL step after the last line, each an intermediate
    # container committed over the new layer (7 labels: about 7 s on fuse-overlayfs,
    # and 7 mounts of the layer that should never have been mounted). Here the COPY is
    # the last step, so its layer is made and never mounted before the sample. Image
    # labels (``LABEL_IMAGE``), so that a clean-up after Ctrl-C finds the image.
    from ..builds import label_instruction

    label_line = label_instruction(resources.image_labels(chapter, role="measure"))
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, data in (
            (
                "Dockerfile",
                f"FROM {base_ref}\n{label_line}\nCOPY nonce /nonce\n",
            ),
            ("nonce", secrets.token_hex(16)),
        ):
            info = tarfile.TarInfo(name)
            encoded = data.encode()
            info.size = len(encoded)
            tar.addfile(info, io.BytesIO(encoded))
    buffer.seek(0)
    try:
        with call_timeout(client, BUILD_TIMEOUT_S):
            log = list(
                client.api.build(
                    fileobj=buffer,
                    custom_context=True,
                    tag=tag,
                    rm=True,
                    forcerm=True,
                    decode=True,
                )
            )
        errors = [str(chunk["error"]) for chunk in log if "error" in chunk]
        if errors:
            raise MeasurementUnavailable(
                "container-cold", t("measure.cold_build.cause", error=errors[0])
            )
        yield tag
    finally:
        with suppress(docker.errors.NotFound, docker.errors.APIError):
            client.api.remove_image(tag, noprune=False)


def measure_container(
    client: docker.DockerClient,
    runs: int = 5,
    *,
    network: str = "none",
    cold: bool = False,
    warmup: int = 1,
    image_ref: str | None = None,
    chapter: str = CHAPTER,
    start_index: int = 0,
    on_sample: OnSample | None = None,
    on_engine_detail: OnSample | None = None,
    progress: bool | None = None,
    where: str | None = None,
) -> list[StartupSample]:
    """Start ``warmup + runs`` containers one after another; one phased sample each.

    ``on_sample`` gets each sample as soon as it is taken; the engine's event
    timestamps are fetched once at the end of the series and each completed sample is
    then passed to ``on_engine_detail`` (and returned).

    ``network``: "none" (``--network none``) or "bridge" (the default network).
    ``cold=True``: every sample uses an image built just before it (build not timed);
    no warm-up then. Series: "container-none", "container-bridge", "container-cold".
    ``where``: :func:`engine_kernel`'s answer when the caller has it already (one probe
    container per run instead of one per series); asked here when None.
    """
    check_runs(runs)
    if network not in NETWORKS:
        raise BadInput(f"network must be one of {', '.join(NETWORKS)}, not {network!r}")
    if warmup < 0:
        raise BadInput(t("measure.bad.warmup", value=warmup))
    if cold:
        warmup = 0
    if image_ref is None:
        from ..images import ensure_image

        image_ref = ensure_image(client)
    series = "container-cold" if cold else f"container-{network}"
    tag = secrets.token_hex(6)
    total = warmup + runs
    pending: list[tuple[StartupSample, str]] = []
    if where is None:
        where = engine_kernel(client, image_ref, chapter)
    offset, uncertainty = engine_clock_offset(client)
    since = time.time()
    with progress_bar(total - start_index, series_caption(series), progress) as bar:
        for index in range(start_index, total):
            if cold:
                with fresh_image(client, image_ref, chapter) as fresh:
                    timing = time_container(
                        client,
                        fresh,
                        network=network,
                        series_tag=tag,
                        chapter=chapter,
                        clock_offset_s=offset,
                    )
            else:
                timing = time_container(
                    client,
                    image_ref,
                    network=network,
                    series_tag=tag,
                    chapter=chapter,
                    clock_offset_s=offset,
                )
            sample = StartupSample(
                series=series,
                index=index,
                warmup=index < warmup,
                elapsed_s=timing.wall_total_s,
                endpoint=SERIES[series][1],
                taken_at=now_iso(),
                phases_s=split_phases(timing),
                detail={
                    "network": network,
                    "image_ref": image_ref,
                    "cold": str(cold).lower(),
                    "command": " ".join(COMMAND),
                    "container_id": timing.container_id[:12],
                    "engine_kernel": where,
                    "engine_clock_offset_s": f"{offset:.6f}",
                    "instrumentation_s": f"{timing.instrumentation_s:.6f}",
                    "printed_before_start_returned": str(
                        (timing.first_output_after_start_s or 0.0) < 0
                    ).lower(),
                    "first_output_after_start_s": (
                        ""
                        if timing.first_output_after_start_s is None
                        else f"{timing.first_output_after_start_s:.6f}"
                    ),
                },
            )
            pending.append((sample, timing.container_id))
            if on_sample is not None:
                on_sample(sample)
            bar.update(1)
    # The engine's own timestamps, fetched once for the series (no cost per sample).
    try:
        events = engine_events(
            client,
            tag,
            since,
            time.time(),
            clock_offset_s=offset,
            uncertainty_s=uncertainty,
        )
    except Exception:  # events are extra detail; a failure must not lose the samples
        events = {}
    samples: list[StartupSample] = []
    for sample, cid in pending:
        extra = _engine_detail(events.get(cid, {}))
        final = StartupSample(
            sample.series,
            sample.index,
            sample.warmup,
            sample.elapsed_s,
            sample.endpoint,
            sample.taken_at,
            sample.phases_s,
            {**sample.detail, **extra},
        )
        samples.append(final)
        if on_engine_detail is not None and extra:
            on_engine_detail(final)
    return samples
