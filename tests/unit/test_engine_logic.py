"""Pure logic of engine.py: endpoint resolution and failure classification (no daemon)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests

from dockcourse.engine import (
    Endpoint,
    EngineUnavailable,
    api_at_least,
    classify,
    resolve_endpoint,
)

SOCK = Endpoint("unix:///var/run/docker.sock", "default")


def test_docker_host_wins_over_context(tmp_path: Path) -> None:
    env = {
        "DOCKER_HOST": "tcp://10.0.0.1:2375",
        "DOCKER_CONTEXT": "colima",
        "DOCKER_CONFIG": str(tmp_path),
    }
    assert resolve_endpoint(env) == Endpoint("tcp://10.0.0.1:2375", "DOCKER_HOST")


def test_default_socket_without_host_or_context(tmp_path: Path) -> None:
    endpoint = resolve_endpoint({"DOCKER_CONFIG": str(tmp_path)})
    assert endpoint.source == "default"
    assert endpoint.unix_path == "/var/run/docker.sock"


def _write_context(config_dir: Path, name: str, host: str) -> None:
    import hashlib

    meta = config_dir / "contexts" / "meta" / hashlib.sha256(name.encode()).hexdigest()
    meta.mkdir(parents=True)
    (meta / "meta.json").write_text(
        json.dumps(
            {
                "Name": name,
                "Metadata": {},
                "Endpoints": {"docker": {"Host": host, "SkipTLSVerify": False}},
            }
        )
    )


def test_current_context_from_config(
    tmp_path: Path,
) -> None:
    # Contexts are read from the DOCKER_CONFIG given, like the CLI (Desktop, colima);
    # the process environment is deliberately not consulted.
    _write_context(tmp_path, "colima", "unix:///home/me/.colima/default/docker.sock")
    (tmp_path / "config.json").write_text(json.dumps({"currentContext": "colima"}))
    endpoint = resolve_endpoint({"DOCKER_CONFIG": str(tmp_path)})
    assert endpoint.source == "context colima"
    assert endpoint.unix_path == "/home/me/.colima/default/docker.sock"


def test_missing_context_is_a_clear_error(
    tmp_path: Path,
) -> None:
    with pytest.raises(EngineUnavailable) as info:
        resolve_endpoint({"DOCKER_CONTEXT": "nope", "DOCKER_CONFIG": str(tmp_path)})
    assert "docker context ls" in info.value.fix


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (PermissionError(13, "Permission denied"), "permission"),
        (FileNotFoundError(2, "No such file"), "no_daemon"),
        (ConnectionRefusedError(111, "refused"), "no_daemon"),
        (requests.exceptions.ReadTimeout("read timed out"), "timeout"),
        (TimeoutError(), "timeout"),
        (ValueError("something odd"), "other"),
    ],
)
def test_classify_direct(exc: BaseException, kind: str) -> None:
    assert classify(exc, SOCK).kind == kind


def test_classify_digs_through_sdk_wrapping() -> None:
    # docker-py raises DockerException from requests' ConnectionError, which carries
    # urllib3's ProtocolError in args, which carries the PermissionError in args.
    from docker.errors import DockerException

    inner = PermissionError(13, "Permission denied")
    wrapped = requests.exceptions.ConnectionError(
        ConnectionError("Connection aborted.", inner)
    )
    try:
        try:
            raise wrapped
        except requests.exceptions.ConnectionError as e:
            raise DockerException(
                f"Error while fetching server API version: {e}"
            ) from e
    except DockerException as outer:
        result = classify(outer, SOCK)
    assert result.kind == "permission"
    assert "docker' group" in result.fix
    assert "chmod" in result.fix and "Do not chmod" in result.fix


def test_api_versions_compare_numerically() -> None:
    assert api_at_least("1.41", "1.40")
    assert api_at_least("1.100", "1.40")
    assert not api_at_least("1.39", "1.40")
    assert not api_at_least("garbage", "1.40")


def test_context_with_tls_material(tmp_path: Path) -> None:
    import hashlib

    _write_context(tmp_path, "remote", "tcp://192.0.2.10:2376")
    digest = hashlib.sha256(b"remote").hexdigest()
    tls = tmp_path / "contexts" / "tls" / digest / "docker"
    tls.mkdir(parents=True)
    for name in ("ca.pem", "cert.pem", "key.pem"):
        (tls / name).write_text("not a real pem")
    endpoint = resolve_endpoint(
        {"DOCKER_CONTEXT": "remote", "DOCKER_CONFIG": str(tmp_path)}
    )
    assert endpoint.url == "tcp://192.0.2.10:2376"
    assert endpoint.tls is not None and endpoint.tls.cert == (
        str(tls / "cert.pem"),
        str(tls / "key.pem"),
    )


def test_broken_context_file_is_a_clear_error(tmp_path: Path) -> None:
    import hashlib

    meta = tmp_path / "contexts" / "meta" / hashlib.sha256(b"bad").hexdigest()
    meta.mkdir(parents=True)
    (meta / "meta.json").write_text("{not json")
    with pytest.raises(EngineUnavailable) as info:
        resolve_endpoint({"DOCKER_CONTEXT": "bad", "DOCKER_CONFIG": str(tmp_path)})
    assert "cannot be read" in info.value.cause
