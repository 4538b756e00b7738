"""The classroom's config file (classroom/classroom.toml): pure logic, no root, no engine."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

CLASSROOM = Path(__file__).resolve().parents[2] / "classroom"
sys.path.insert(0, str(CLASSROOM))
import classroom  # noqa: E402


def test_the_shipped_config_loads() -> None:
    room = classroom.load(CLASSROOM / "classroom.toml")
    assert room.admin.admin and sum(a.admin for a in room.accounts) == 1
    ranges = [range(a.first_port, a.last_port + 1) for a in room.accounts]
    ports = [p for r in ranges for p in r]
    assert len(ports) == len(set(ports)), "two accounts share a port"


def test_a_learners_own_limits_override_the_defaults(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text(
        '[admin]\nname = "teach"\n[limits]\nmemory = "512m"\ncpus = 0.5\n'
        '[[learners]]\nname = "ada"\n[[learners]]\nname = "bob"\nmemory = "2g"\n'
    )
    room = classroom.load(config)
    assert room.account("ada").limits.memory_bytes == 512 * 2**20
    assert room.account("bob").limits.memory_bytes == 2 * 2**30
    assert room.account("bob").limits.cpus == 0.5


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ('[admin]\nname = "t1"\n', "learners"),
        ('[admin]\nname = "t1"\n[[learners]]\nname = "Root!"\n', "Root!"),
        ('[admin]\nname = "t1"\n[[learners]]\nname = "t1"\n', "twice"),
        ('[admin]\nname = "t1"\n[[learners]]\nname = "a1"\nmemory = "lots"\n', "lots"),
        ('[admin]\nname = "t1"\n[[learners]]\nname = "a1"\nswap = 1\n', "swap"),
        ('[admin]\nname = "t1"\n[[learners]]\nname = "a1"\nmemory = "64m"\n', "128m"),
        ("[admin\n", "TOML"),
    ],
)
def test_a_bad_config_names_what_is_wrong(
    tmp_path: Path, text: str, names: str
) -> None:
    config = tmp_path / "c.toml"
    config.write_text(text)
    with pytest.raises(classroom.ConfigError, match=names.replace("!", "\\!")):
        classroom.load(config)


def test_bad_config_is_a_message_not_a_traceback(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('[admin]\nname = "t1"\n')
    assert classroom.main(["--config", str(config), "status"]) == 2
