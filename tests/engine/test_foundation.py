"""The foundation against the real engine: connect, image, ownership, cleanup, doctor."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from typing import Any

import docker.errors
import pytest

from dockcourse import resources
from dockcourse.engine import (
    MIN_API_VERSION,
    EngineUnavailable,
    api_at_least,
    connect,
    engine_info,
)
from dockcourse.images import ensure_course_image, image_present
from dockcourse.resources import (
    LABEL_IMAGE,
    NameTaken,
    clean,
    course_container,
    course_volume,
    list_owned,
    session_id,
)

pytestmark = pytest.mark.engine
CHAPTER = "test-foundation"


def _cli(
    *args: str, env: dict[str, str] | None = None, user: str | None = None
) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "dockcourse", *args]
    if user:
        cmd = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups", *cmd]
    return subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def test_engine_info_is_real(client: Any) -> None:
    info = engine_info(client)
    assert info.version and api_at_least(info.api_version, MIN_API_VERSION)
    assert info.os == "linux" and info.storage_driver
    assert info.cgroup_version in ("1", "2")


def test_missing_socket_is_a_clear_error() -> None:
    with pytest.raises(EngineUnavailable) as err:
        connect(environ={"DOCKER_HOST": "unix:///nonexistent.sock"})
    assert err.value.kind == "no_daemon" and "/nonexistent.sock" in err.value.cause


def test_doctor_exits_0_here() -> None:
    done = _cli("doctor")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "LIVE" in done.stdout
    report = json.loads(_cli("doctor", "--json").stdout)
    assert report["live_possible"] is True
    keys = {c["key"] for c in report["checks"]}
    assert {"engine", "registry", "image", "qemu", "kvm", "disk"} <= keys


def test_doctor_without_engine_exits_1_without_traceback() -> None:
    done = _cli("doctor", env={"DOCKER_HOST": "unix:///nonexistent.sock"})
    assert done.returncode == 1
    assert "Traceback" not in done.stdout + done.stderr
    assert "no Docker engine socket at /nonexistent.sock" in done.stdout
    assert "RECORDED" in done.stdout


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to become another user")
def test_doctor_on_a_socket_it_may_not_open_exits_1(engine_endpoint: Any) -> None:
    # nobody is in no group, so the engine's socket refuses it (root it never refuses).
    socket_path = engine_endpoint.unix_path
    if socket_path is None:
        pytest.skip(f"the engine is not on a unix socket here ({engine_endpoint.url})")
    if os.stat(socket_path).st_mode & 0o006 == 0o006:
        pytest.skip(f"{socket_path} is open to every user: nothing is refused")
    done = _cli("doctor", user="65534")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert f"permission denied on {socket_path}" in done.stdout
    assert "docker' group" in done.stdout and "Do not chmod" in done.stdout


def test_image_is_built_offline_and_says_ok(client: Any) -> None:
    ref = f"dockcourse/busybox:test-{session_id()}"
    try:
        result = ensure_course_image(client, image_ref=ref)
        assert result.source in ("built", "pulled")
        out = client.containers.run(ref, ["sh", "-c", "echo ok"], remove=True)
        assert out == b"ok\n"
        labels = client.images.get(ref).labels
        assert labels[LABEL_IMAGE] == "true"
        assert ensure_course_image(client, image_ref=ref).source == "present"
    finally:
        client.api.remove_image(ref)


def test_dockerfile_fallback_builds_a_working_image(client: Any) -> None:
    from pathlib import Path

    from dockcourse.images import build_course_image, find_static_busybox

    busybox, reason = find_static_busybox(engine_info(client).arch)
    assert busybox is not None, reason
    ref = f"dockcourse/busybox:fallback-{session_id()}"
    try:
        build_course_image(client, Path(busybox), ref, use_import=False)
        assert (
            client.containers.run(ref, ["sh", "-c", "echo ok"], remove=True) == b"ok\n"
        )
    finally:
        client.api.remove_image(ref)


def test_container_is_removed_when_the_cell_is_interrupted(
    client: Any, image_ref: str
) -> None:
    name = resources.new_name(CHAPTER, "interrupt")
    with (
        pytest.raises(KeyboardInterrupt),
        course_container(
            client, image_ref, ["sleep", "30"], chapter=CHAPTER, name=name
        ) as c,
    ):
        c.start()
        raise KeyboardInterrupt
    with pytest.raises(docker.errors.NotFound):
        client.containers.get(name)


def test_namesake_of_the_learner_is_never_removed(
    client: Any, image_ref: str, learner: Any
) -> None:
    with (
        pytest.raises(docker.errors.APIError),
        course_container(
            client, image_ref, ["true"], chapter=CHAPTER, name=learner.container
        ),
    ):
        pass
    client.containers.get(learner.container)  # still there
    with (
        pytest.raises(NameTaken),
        course_volume(client, chapter=CHAPTER, name=learner.volume),
    ):
        pass
    client.volumes.get(learner.volume)


def test_run_reports_output_exit_code_and_oom(client: Any, image_ref: str) -> None:
    result = resources.run(
        client, image_ref, ["sh", "-c", "echo hi; exit 3"], chapter=CHAPTER
    )
    assert (result.exit_code, result.output) == (3, "hi\n")
    assert not list_owned(client, session=session_id(), chapter=CHAPTER)


def test_clean_removes_only_course_resources(
    client: Any, image_ref: str, learner: Any
) -> None:
    with course_volume(client, chapter=CHAPTER, keep=True) as vol:
        pass
    net = client.networks.create(
        resources.new_name(CHAPTER, "n"), labels=resources.labels(CHAPTER)
    )
    ctr = client.containers.create(
        image_ref,
        ["true"],
        labels=resources.labels(CHAPTER),
        name=resources.new_name(CHAPTER, "c"),
    )
    dry = clean(client, dry_run=True, session=session_id(), chapter=CHAPTER)
    assert {r.item.name for r in dry} >= {vol.name, net.name, ctr.name}
    client.volumes.get(vol.name)  # a dry run removes nothing
    removed = clean(client, session=session_id(), chapter=CHAPTER)
    assert all(r.removed for r in removed)
    for getter, name in (
        (client.volumes.get, vol.name),
        (client.networks.get, net.name),
        (client.containers.get, ctr.name),
    ):
        with pytest.raises(docker.errors.NotFound):
            getter(name)


def test_clean_cli_spares_the_learner_and_the_course_image(
    client: Any, image_ref: str, learner: Any
) -> None:
    # something of the course to clean, so that the dry run has something to list
    with course_volume(client, chapter=CHAPTER, keep=True) as ours:
        pass
    done = _cli("clean", "--dry-run")
    assert done.returncode == 0, done.stderr
    assert ours.name in done.stdout
    assert learner.volume not in done.stdout and learner.container not in done.stdout
    client.volumes.get(ours.name)  # a dry run removes nothing
    # This test's process is a notebook still running: plain clean keeps what it made.
    done = _cli("clean")
    assert done.returncode == 0, done.stdout + done.stderr
    assert ours.name in done.stdout
    client.volumes.get(ours.name)
    done = _cli("clean", "--live-too")
    assert done.returncode == 0, done.stdout + done.stderr
    with pytest.raises(docker.errors.NotFound):
        client.volumes.get(ours.name)
    assert image_present(client, image_ref)
    for getter, name in (
        (client.volumes.get, learner.volume),
        (client.containers.get, learner.container),
        (client.images.get, learner.image),
        (client.networks.get, learner.network),
    ):
        getter(name)


def test_stale_sweep_removes_a_crashed_sessions_leftovers(
    client: Any, image_ref: str
) -> None:
    crash = textwrap.dedent(f"""
        import os
        from dockcourse.engine import connect
        from dockcourse import resources
        c = connect()
        ctr = c.containers.create({image_ref!r}, ["sleep", "60"],
                                  labels=resources.labels({CHAPTER!r}),
                                  name=resources.new_name({CHAPTER!r}, "crash"))
        ctr.start()
        print(ctr.name, resources.session_id(), flush=True)
        os._exit(9)  # dies without cleaning up, like a killed kernel
    """)
    done = subprocess.run(
        [sys.executable, "-c", crash], capture_output=True, text=True, timeout=60
    )
    name, crashed_session = done.stdout.split()
    assert client.containers.get(name).status == "running"
    swept = resources.sweep_stale(client)
    assert name in {r.item.name for r in swept if r.removed}
    assert all(r.item.session != session_id() for r in swept)
    with pytest.raises(docker.errors.NotFound):
        client.containers.get(name)
    assert not list_owned(client, session=crashed_session)


def test_real_ctrl_c_mid_cell_leaves_no_container(client: Any, image_ref: str) -> None:
    """SIGINT (what Jupyter's interrupt sends) while a container runs inside the block."""
    import signal
    import time

    name = resources.new_name(CHAPTER, "sigint")
    code = textwrap.dedent(f"""
        import time
        from dockcourse.engine import connect
        from dockcourse.resources import course_container
        c = connect()
        with course_container(c, {image_ref!r}, ["sleep", "60"], chapter={CHAPTER!r},
                              name={name!r}) as ctr:
            ctr.start()
            print("started", flush=True)
            time.sleep(60)
    """)
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "started"
    assert client.containers.get(name).status == "running"
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert "KeyboardInterrupt" in err
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            client.containers.get(name)
        except docker.errors.NotFound:
            return
        time.sleep(0.2)
    pytest.fail("the container survived the interrupt")


def test_no_busybox_and_no_registry_says_what_to_install(
    client: Any, tmp_path: Any
) -> None:
    from dockcourse.images import ImageUnavailable

    with pytest.raises(ImageUnavailable) as err:
        ensure_course_image(
            client,
            image_ref=f"dockcourse/busybox:none-{session_id()}",
            environ={"DOCKCOURSE_BUSYBOX": str(tmp_path / "nope")},
        )
    assert "busybox-static" in err.value.fix
    assert "DOCKCOURSE_BUSYBOX" in err.value.fix


def test_setup_is_live_here_and_recorded_without_engine(
    capsys: Any, client: Any
) -> None:
    from dockcourse import setup

    live = setup("test-foundation", lang="en")
    assert live.mode == "live" and live.client is not None
    banner = capsys.readouterr().out
    assert "LIVE: " in banner and f"{engine_info(client).version} (API" in banner
    env = {
        **os.environ,
        "DOCKER_HOST": "unix:///nonexistent.sock",
        "DOCKCOURSE_MODE": "",
    }
    code = "from dockcourse import setup; s = setup('00'); print('MODE', s.mode)"
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert "MODE recorded" in done.stdout and "RECORDED" in done.stdout
    assert "Traceback" not in done.stderr


def test_run_output_is_stdout_then_stderr_every_time(
    client: Any, image_ref: str
) -> None:
    outputs = {
        resources.run(
            client,
            image_ref,
            ["sh", "-c", "echo out1; echo err >&2; echo out2"],
            chapter=CHAPTER,
        ).output
        for _ in range(3)
    }
    assert outputs == {"out1\nout2\nerr\n"}
