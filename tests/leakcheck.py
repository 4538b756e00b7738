"""``--engine-leak-check``: the engine is left as it was found.

A pytest plugin, loaded by the root ``conftest.py`` for every run in the repository, so
that ``pytest notebooks …`` (the no-answers pass) can use it as ``pytest tests …`` does.
"""

from __future__ import annotations

import pytest

# With --engine-leak-check, the whole run (unit, engine and browser tests, and every chapter
# executed by nbval) is bracketed by a snapshot of ALL the engine's containers, images,
# volumes and networks, not only the course's. Anything new at the end, except the course
# image, fails the run; so does anything missing (something the course must not touch).


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--engine-leak-check",
        action="store_true",
        help="fail the run if it leaves or removes any engine resource",
    )


def _engine_snapshot() -> set[str]:
    from dockcourse.engine import connect
    from dockcourse.images import course_image_ref

    c = connect()
    try:
        found = {
            f"container {x['Id'][:12]} {x['Names']}" for x in c.api.containers(all=True)
        }
        found |= {f"volume {v['Name']}" for v in c.api.volumes().get("Volumes") or []}
        found |= {f"network {n['Name']}" for n in c.api.networks()}
        for image in c.api.images(all=True):
            tags = image.get("RepoTags") or []
            if course_image_ref() not in tags:
                found.add(f"image {image['Id'][7:19]} {tags}")
        return found
    finally:
        c.close()


def pytest_sessionstart(session: pytest.Session) -> None:
    if session.config.getoption("--engine-leak-check"):
        session.config.stash[_BEFORE] = _engine_snapshot()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not session.config.getoption("--engine-leak-check"):
        return
    before = session.config.stash[_BEFORE]
    after = _engine_snapshot()
    added, removed = sorted(after - before), sorted(before - after)
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if not (added or removed):
        if reporter:
            reporter.write_line(
                f"engine leak check: {len(after)} resources, none "
                "added or removed by this run"
            )
        return
    lines = [f"  left behind: {x}" for x in added] + [
        f"  removed: {x}" for x in removed
    ]
    if reporter:
        reporter.write_line("engine leak check FAILED:\n" + "\n".join(lines), red=True)
    session.exitstatus = pytest.ExitCode.TESTS_FAILED


_BEFORE = pytest.StashKey[set[str]]()
