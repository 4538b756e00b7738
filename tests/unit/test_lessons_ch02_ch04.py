"""Chapters 02 and 04's lesson steps: keyed by what was asked, data only, and shown in
the reader's language at display time (pure logic, no engine)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

import pytest

from dockcourse.lessons import ch02, ch04
from dockcourse.session import Session
from dockcourse.text import set_language

T = TypeVar("T")

OOM = {
    "name": "dockcourse-02-oom-abcdef",
    "command": "docker run --name=x --memory=32m dockcourse/busybox:0.1.0 tail /dev/zero",
    "engine": "Docker Engine",
    "engine_version": "26.1.5",
    "State": {"Status": "exited", "OOMKilled": False, "ExitCode": 137, "Error": ""},
    "HostConfig": {"Memory": 32 * 2**20, "MemorySwap": 32 * 2**20},
}
USAGE = {
    "engine": "Docker Engine",
    "limit_cpus": 0.5,
    "online_cpus": 2,
    "series": {
        "unlimited": {"t_s": [0.5, 1.5], "cpus": [1.0, 0.98]},
        "limited": {"t_s": [0.5, 1.5], "cpus": [0.5, 0.5]},
    },
    "throttling": {"periods": 20, "throttled_periods": 19},
    "commands": {"unlimited": "docker run -d IMG", "limited": "docker run -d IMG"},
}


class _Recorder(Session):
    """A session that records what ``observe`` was asked instead of measuring."""

    keys: list[str]

    def observe(self, key: str, measure: Callable[[], T], **_: Any) -> T:
        self.keys.append(key)
        return cast(T, {"asked": key})


def test_a_build_is_keyed_by_what_was_asked_not_by_the_sessions_tag() -> None:
    course = _Recorder(chapter="04", mode="recorded", lang="en", tag="abc123")
    course.keys = []
    ch04.build(course, "app", "FROM x\n", files={"a": "1"}, nocache=True)
    ch04.build(course, "app", "FROM x\n", files={"a": "1"})
    assert course.keys == [
        'build("app", "FROM x\\n", files={"a": "1"}, nocache=true)',
        'build("app", "FROM x\\n", files={"a": "1"})',
    ]
    assert all("abc123" not in key for key in course.keys)


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_the_same_data_reads_in_either_language_with_the_same_numbers(
    lang: str,
) -> None:
    set_language(lang)
    try:
        report = ch02.oom_report(OOM)
        assert "tail /dev/zero" in report and "'ExitCode': 137" in report
        assert "Docker Engine 26.1.5" in report  # the note, for this engine
        assert "137" in ch02.oom_summary(OOM) and "32 MiB" in ch02.oom_summary(OOM)
        summary = ch02.cpu_summary(USAGE)
        assert "0.99" in summary and "0.50" in summary and "19" in summary
        assert ch02.cpu_commands(USAGE).count("$ docker run -d") == 2
        runs = {
            "cold": {"cache_hits": 0, "cacheable": 4, "elapsed_s": 2.25},
            "again": {"cache_hits": 4, "cacheable": 4, "elapsed_s": 0.25},
        }
        lines = ch04.cache_summary(runs).splitlines()
        assert len(lines) == 2 and "2.2" in lines[0] and "4" in lines[1]
    finally:
        set_language("en")


def test_no_note_when_the_engine_reported_the_oom_kill() -> None:
    set_language("en")
    reported = {**OOM, "State": {**OOM["State"], "OOMKilled": True}}  # type: ignore[dict-item]
    assert ch02.oom_report(reported).count("\n") == 2
