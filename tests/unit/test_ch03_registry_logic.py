"""Chapter 03's own registry, without an engine: where its program is looked for, the
root filesystem it is imported from, and the names the exercise uses."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

from dockcourse.checks import ch03 as checks
from dockcourse.lessons import ch03


def test_the_registry_program_is_found_by_env_then_by_name(tmp_path: Path) -> None:
    program = tmp_path / "docker-registry"
    program.write_bytes(b"\x7fELF")
    program.chmod(0o755)
    assert ch03.registry_binary({"DOCKCOURSE_REGISTRY": str(program)}) == (program, "")
    assert ch03.registry_binary({"PATH": str(tmp_path)}) == (program, "")
    missing, looked = ch03.registry_binary({"PATH": str(tmp_path / "none")})
    assert missing is None and "docker-registry" in looked
    gone = str(tmp_path / "gone")
    assert ch03.registry_binary({"DOCKCOURSE_REGISTRY": gone}) == (None, gone)


def test_the_rootfs_holds_program_libraries_and_config(tmp_path: Path) -> None:
    program, lib = tmp_path / "registry", tmp_path / "libc.so.6"
    program.write_bytes(b"program")
    lib.write_bytes(b"library")
    data = ch03.registry_rootfs(program, [str(lib)])
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        names = set(tar.getnames())
        config = tar.extractfile("etc/docker/registry/config.yml")
        assert config is not None and b"addr: :5000" in config.read()
        assert tar.getmember("registry").mode == 0o755
    assert {"registry", str(lib).lstrip("/"), "var/lib/registry", "tmp"} <= names


def test_names_in_the_registry() -> None:
    ref = ch03.remote_ref("localhost:32768", "mine", "a1b2c3")
    assert ref == "localhost:32768/mine:a1b2c3"
    assert checks._split(ref) == ("mine", "a1b2c3")


def test_the_summary_says_what_to_install_when_there_is_no_program() -> None:
    text = ch03.registry_summary({"running": False, "reason": "missing", "looked": "x"})
    assert "apt-get install docker-registry" in text
