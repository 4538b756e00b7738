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
# The learner's own unlabelled volume ``myvolume`` holding data (the source text's name,
# and the name a learner is most likely to have used) is there for the whole run: made
# for it if the engine has none (and removed after), only read if it has; its files must
# be exactly the same at the end (issue 11).

LEARNER_VOLUME = "myvolume"
_FILES = "cd /data && find . -type f | sort | xargs -r md5sum"


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


def _learner_volume(write: bool) -> str:
    """The files of the learner's ``myvolume`` (path and checksum per line), read by a
    throw-away container that mounts it read-only; with ``write``, first made holding a
    file (only when the engine has no such volume: a learner's own is never written)."""
    import docker.errors

    from dockcourse.engine import connect
    from dockcourse.images import ensure_course_image

    c = connect()
    try:
        image = ensure_course_image(c).image_ref
        if write:
            c.volumes.create(LEARNER_VOLUME)
            c.containers.run(
                image,
                [
                    "sh",
                    "-c",
                    "mkdir -p /data/notes && echo my own notes > /data/notes/a.txt",
                ],
                volumes={LEARNER_VOLUME: {"bind": "/data", "mode": "rw"}},
                remove=True,
            )
        try:
            c.volumes.get(LEARNER_VOLUME)
        except docker.errors.NotFound:
            return "(gone)"
        out = c.containers.run(
            image,
            ["sh", "-c", _FILES],
            volumes={LEARNER_VOLUME: {"bind": "/data", "mode": "ro"}},
            remove=True,
        )
        return out.decode("utf-8", "replace") if isinstance(out, bytes) else str(out)
    finally:
        c.close()


def _has_learner_volume() -> bool:
    import docker.errors

    from dockcourse.engine import connect

    c = connect()
    try:
        c.volumes.get(LEARNER_VOLUME)
        return True
    except docker.errors.NotFound:
        return False
    finally:
        c.close()


def pytest_sessionstart(session: pytest.Session) -> None:
    if session.config.getoption("--engine-leak-check"):
        made = not _has_learner_volume()
        session.config.stash[_MADE] = made
        session.config.stash[_FILES_BEFORE] = _learner_volume(write=made)
        session.config.stash[_BEFORE] = _engine_snapshot()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not session.config.getoption("--engine-leak-check"):
        return
    before = set(session.config.stash[_BEFORE])
    files_before = session.config.stash[_FILES_BEFORE]
    files_after = _learner_volume(write=False)
    if session.config.stash[_MADE] and files_after != "(gone)":
        from dockcourse.engine import connect

        c = connect()
        try:
            c.api.remove_volume(LEARNER_VOLUME)
        finally:
            c.close()
        before.discard(f"volume {LEARNER_VOLUME}")
    after = _engine_snapshot()
    added, removed = sorted(after - before), sorted(before - after)
    if files_after != files_before:
        removed.append(f"the files of the learner's {LEARNER_VOLUME}: {files_after!r}")
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if not (added or removed):
        if reporter:
            reporter.write_line(
                f"engine leak check: {len(after)} resources, none "
                f"added or removed by this run; the learner's {LEARNER_VOLUME} "
                "kept its files"
            )
        return
    lines = [f"  left behind: {x}" for x in added] + [
        f"  removed: {x}" for x in removed
    ]
    if reporter:
        reporter.write_line("engine leak check FAILED:\n" + "\n".join(lines), red=True)
    session.exitstatus = pytest.ExitCode.TESTS_FAILED


_BEFORE = pytest.StashKey[set[str]]()
_MADE = pytest.StashKey[bool]()
_FILES_BEFORE = pytest.StashKey[str]()
