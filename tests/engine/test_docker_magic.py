"""``%docker`` in a real IPython shell, running the real ``docker`` CLI on the engine under
test: what it makes carries the course's labels and is cleaned up, what it refuses is
not run and survives, a Ctrl-C or a timeout leaves no container behind, and what it
printed is recorded and replayed through the course's one recording mechanism."""

from __future__ import annotations

import _thread
import json
import secrets
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker.errors
import pytest

from dockcourse import cli_magic, dockercli, recorded, resources, tagledger, transcripts
from dockcourse.session import Session, setup
from dockcourse.text import t

pytestmark = pytest.mark.engine
CHAPTER = "00-test-magic"


@pytest.fixture(scope="module")
def shell() -> Any:
    from IPython.testing.globalipapp import start_ipython

    return start_ipython()


@pytest.fixture(autouse=True)
def _cli_present() -> None:
    """Missing is a failure, not a skip (scripts/system-requirements installs it)."""
    if shutil.which("docker") is None:
        pytest.fail(
            "these tests run the docker CLI, and none is on PATH", pytrace=False
        )


@pytest.fixture(autouse=True)
def _own_ledger(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """This run's tags go to a ledger of its own, not the user's."""
    monkeypatch.setenv(tagledger.FILE_ENV, str(tmp_path / "tags.jsonl"))


@pytest.fixture
def course(shell: Any, client: Any) -> Iterator[Session]:
    """A live session of a test chapter, registered as the magic's session by setup()."""
    session = setup(CHAPTER, lang="en", mode="live", quiet=True)
    assert session.live
    yield session
    removed = session.clean()
    assert all(r.removed for r in removed), removed
    assert resources.list_owned(client, chapter=CHAPTER) == []


def magic(shell: Any, capsys: pytest.CaptureFixture[str], line: str) -> str:
    """Run ``%docker line`` in the shell; what it printed (stdout and stderr)."""
    shell.run_line_magic("docker", line)
    captured = capsys.readouterr()
    return captured.out + captured.err


def last() -> cli_magic.Outcome:
    return cli_magic.last[-1]


def suffix() -> str:
    return secrets.token_hex(3)


def test_setup_registers_the_magics(shell: Any, course: Session) -> None:
    assert shell.find_line_magic("docker") is not None
    assert shell.find_cell_magic("docker") is not None
    assert cli_magic._current is course
    shell.magics_manager.magics["line"].pop("docker")
    shell.run_line_magic("load_ext", "dockcourse")
    assert shell.find_line_magic("docker") is not None


def test_a_container_s_life_with_the_learner_s_name(
    shell: Any, course: Session, client: Any, image_ref: str, capsys: Any
) -> None:
    name = f"web-{suffix()}"  # the learner's name, kept: no dockcourse- prefix added
    script = "echo ready; exec sleep 300"
    shown = magic(shell, capsys, f"run -d --name {name} {image_ref} sh -c '{script}'")
    assert last().status == "ran" and last().exit_code == 0, shown
    assert "--label io.dockcourse.course=true" in shown
    labels = client.api.inspect_container(name)["Config"]["Labels"]
    assert labels[resources.LABEL_COURSE] == "true"
    assert labels[resources.LABEL_SESSION] == resources.session_id()
    assert labels[resources.LABEL_CHAPTER] == CHAPTER

    assert name in magic(shell, capsys, "ps")
    deadline = time.monotonic() + 20
    while "ready" not in magic(shell, capsys, f"logs {name}"):
        assert time.monotonic() < deadline, "the container never logged"
        time.sleep(0.3)
    assert "inside" in magic(shell, capsys, f"exec {name} echo inside")
    magic(shell, capsys, f"stop -t 1 {name}")
    assert last().exit_code == 0
    assert client.api.inspect_container(name)["State"]["Running"] is False
    magic(shell, capsys, f"rm {name}")
    assert last().exit_code == 0
    with pytest.raises(docker.errors.NotFound):
        client.api.inspect_container(name)


def test_a_volume_it_creates_is_the_course_s_and_cleanup_removes_it(
    shell: Any, course: Session, client: Any, capsys: Any
) -> None:
    name = f"data-{suffix()}"
    magic(shell, capsys, f"volume create {name}")
    assert last().exit_code == 0
    labels = client.api.inspect_volume(name)["Labels"]
    assert labels[resources.LABEL_COURSE] == "true"
    assert labels[resources.LABEL_CHAPTER] == CHAPTER
    course.clean()
    with pytest.raises(docker.errors.NotFound):
        client.api.inspect_volume(name)


def test_build_from_a_dockerfile_in_the_scratch_folder(
    shell: Any, course: Session, client: Any, image_ref: str, capsys: Any
) -> None:
    folder = course.scratch / "site"
    folder.mkdir()
    (folder / "hello.txt").write_text("built by the learner\n")
    (folder / "Dockerfile").write_text(
        f'FROM {image_ref}\nCOPY hello.txt /hello.txt\nCMD ["cat", "/hello.txt"]\n'
    )
    tag = f"learner-site-{suffix()}:1"
    shown = magic(shell, capsys, f"build -t {tag} {folder}")
    assert last().exit_code == 0, shown
    labels = client.api.inspect_image(tag)["Config"]["Labels"]
    assert labels[resources.LABEL_IMAGE] == "true"
    assert labels[resources.LABEL_SESSION] == resources.session_id()
    assert [o.name for o in tagledger.owned()] == [tag]
    assert "built by the learner" in magic(shell, capsys, f"run --rm {tag}")
    course.clean()
    with pytest.raises(docker.errors.NotFound):
        client.api.inspect_image(tag)


def test_a_rebuild_with_the_same_tag_leaves_no_old_build_behind(
    shell: Any, course: Session, client: Any, image_ref: str, capsys: Any
) -> None:
    """The capstone rebuilds its image under the same name: the first build, left without
    a name by the course's own rebuild, goes with cleanup; a learner's image tagged the
    same way by hand stays (it was never built by the course)."""
    folder = course.scratch / "rebuilt"
    folder.mkdir()
    (folder / "Dockerfile").write_text(f'FROM {image_ref}\nCMD ["echo", "one"]\n')
    tag = f"learner-rebuilt-{suffix()}:1"
    magic(shell, capsys, f"build -t {tag} {folder}")
    first = client.api.inspect_image(tag)["Id"]
    (folder / "Dockerfile").write_text(f'FROM {image_ref}\nCMD ["echo", "two"]\n')
    magic(shell, capsys, f"build -t {tag} {folder}")
    assert client.api.inspect_image(tag)["Id"] != first
    assert client.api.inspect_image(first)["RepoTags"] in ([], ["<none>:<none>"])
    course.clean()
    for gone in (first, tag):
        with pytest.raises(docker.errors.NotFound):
            client.api.inspect_image(gone)


def test_a_tag_it_makes_is_untagged_by_cleanup_and_the_image_stays(
    shell: Any, course: Session, client: Any, image_ref: str, capsys: Any
) -> None:
    tag = f"myapp-{suffix()}:1"
    image_id = client.api.inspect_image(image_ref)["Id"]
    magic(shell, capsys, f"tag {image_ref} {tag}")
    assert last().exit_code == 0
    assert client.api.inspect_image(tag)["Id"] == image_id
    removed = course.clean()
    assert any(r.item.kind == tagledger.KIND and r.item.name == tag for r in removed)
    with pytest.raises(docker.errors.NotFound):
        client.api.inspect_image(tag)
    assert client.api.inspect_image(image_ref)["Id"] == image_id


@pytest.fixture
def nothing_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to start the CLI fails the test."""

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError(f"the CLI was started: {args}")

    monkeypatch.setattr(cli_magic.subprocess, "Popen", refuse)


def test_rm_of_the_learner_s_own_objects_is_refused_and_they_survive(
    shell: Any,
    course: Session,
    client: Any,
    learner: Any,
    capsys: Any,
    nothing_runs: None,
) -> None:
    for line, kind, name in (
        (f"rm -f {learner.container}", "container", learner.container),
        (f"container rm {learner.container}", "container", learner.container),
        (f"volume rm {learner.volume}", "volume", learner.volume),
        (f"network rm {learner.network}", "network", learner.network),
        (f"rmi -f {learner.image}", "image", learner.image),
    ):
        shown = magic(shell, capsys, line)
        assert last().status == "refused", shown
        assert shown.startswith(f"$ docker {line}\n")
        if kind == "image":
            expected = t("dockercli.not_course_image", name=name)
        else:
            expected = t(
                "dockercli.not_course", kind=t(f"dockercli.kind.{kind}"), name=name
            )
        assert expected in shown
    client.api.inspect_container(learner.container)
    client.api.inspect_volume(learner.volume)
    client.api.inspect_network(learner.network)
    client.api.inspect_image(learner.image)


def test_prunes_and_host_mounts_are_refused_before_anything_runs(
    shell: Any, course: Session, image_ref: str, capsys: Any, nothing_runs: None
) -> None:
    for line in ("system prune -af", "volume prune -f", "image prune -a"):
        shown = magic(shell, capsys, line)
        assert last().status == "refused"
        assert "$ docker" not in shown
    shown = magic(shell, capsys, f"run --rm -v /:/host {image_ref} ls /host")
    assert last().status == "refused"
    shown = magic(shell, capsys, f"run -it --rm {image_ref} sh")
    assert last().status == "terminal"
    assert f"-it --rm {image_ref} sh" in shown


def test_a_learner_volume_is_not_mounted(
    shell: Any,
    course: Session,
    image_ref: str,
    learner: Any,
    capsys: Any,
    nothing_runs: None,
) -> None:
    magic(shell, capsys, f"run --rm -v {learner.volume}:/data {image_ref} ls /data")
    assert last().status == "refused"
    missing = f"nothere-{suffix()}"
    magic(shell, capsys, f"run --rm -v {missing}:/data {image_ref} ls /data")
    assert last().status == "refused"


def test_the_scratch_folder_may_be_mounted(
    shell: Any, course: Session, image_ref: str, capsys: Any
) -> None:
    shown = magic(
        shell, capsys, f"run --rm -v {course.scratch}:/data {image_ref} ls /data"
    )
    assert last().status == "ran" and last().exit_code == 0, shown


def _course_containers(client: Any, token: str) -> list[Any]:
    flt = {"label": [f"{dockercli.LABEL_COMMAND}={token}"]}
    return list(client.api.containers(all=True, filters=flt))


def _interrupt_when_running(client: Any, stop: threading.Event) -> None:
    """Ctrl-C (a KeyboardInterrupt in the main thread) once a course container of this
    session is running ``sleep``."""
    deadline = time.monotonic() + 30
    flt = {"label": [f"{resources.LABEL_SESSION}={resources.session_id()}"]}
    while not stop.is_set() and time.monotonic() < deadline:
        running = [
            c
            for c in client.api.containers(filters=flt)
            if dockercli.LABEL_COMMAND in (c.get("Labels") or {})
        ]
        if running:
            _thread.interrupt_main()
            return
        time.sleep(0.2)


def test_ctrl_c_stops_the_cli_and_its_rm_container_is_gone(
    shell: Any, course: Session, client: Any, image_ref: str, capsys: Any
) -> None:
    stop = threading.Event()
    watcher = threading.Thread(target=_interrupt_when_running, args=(client, stop))
    watcher.start()
    started = time.monotonic()
    try:
        plan_line = f"run --rm {image_ref} sleep 120"
        outcome = cli_magic.run_line(course, plan_line)
    finally:
        stop.set()
        watcher.join()
    assert outcome.status == "interrupted"
    assert time.monotonic() - started < 60
    flt = {"label": [f"{resources.LABEL_SESSION}={resources.session_id()}"]}
    left = [
        c
        for c in client.api.containers(all=True, filters=flt)
        if dockercli.LABEL_COMMAND in (c.get("Labels") or {})
    ]
    assert left == []


def test_a_timeout_stops_the_command_and_its_container(
    shell: Any, course: Session, client: Any, image_ref: str, capsys: Any
) -> None:
    shown = magic(shell, capsys, f"--timeout 3 run --rm {image_ref} sleep 120")
    assert last().status == "timeout", shown
    assert t("dockercli.timeout", seconds="3") in shown
    flt = {"label": [f"{resources.LABEL_CHAPTER}={CHAPTER}"]}
    assert client.api.containers(all=True, filters=flt) == []


def test_without_a_cli_it_says_how_to_get_one(
    shell: Any, course: Session, image_ref: str, capsys: Any, monkeypatch: Any
) -> None:
    monkeypatch.setenv(cli_magic.CLI_ENV, f"no-such-docker-{suffix()}")
    shown = magic(shell, capsys, f"run --rm {image_ref} echo hi-{suffix()}")
    assert t("dockercli.no_cli") in shown
    assert last().status == "not_recorded"
    assert t("dockercli.not_recorded") in shown


def test_outputs_are_recorded_and_replayed_by_the_typed_line(
    shell: Any,
    course: Session,
    image_ref: str,
    capsys: Any,
    monkeypatch: Any,
    tmp_path: Path,
) -> None:
    runs = tmp_path / "runs.jsonl"
    runs.touch()
    monkeypatch.setenv(transcripts.RECORD_ENV, str(runs))
    word = f"hello-{suffix()}"
    typed = f"run --rm {image_ref} echo {word}"
    magic(shell, capsys, typed)
    entries = [json.loads(x) for x in runs.read_text().splitlines()]
    assert [(e["command"], e["output"]) for e in entries] == [
        (f"docker {typed}", f"{word}\n")
    ]
    # replayed in recorded mode from the same recording, labelled as recorded
    stored = tmp_path / "recorded"
    transcripts.save(
        transcripts.collect(runs), recorded.provenance_now(course.engine), stored
    )
    monkeypatch.setattr(recorded, "recorded_dir", lambda: stored)
    monkeypatch.setattr(transcripts, "_chapter", transcripts._chapter.__wrapped__)
    monkeypatch.setattr(course, "mode", "recorded")
    shown = magic(shell, capsys, typed)
    assert last().status == "recorded"
    label = t("dockercli.recorded", where="\0").split("\0")[0]
    assert label and label in shown
    assert shown.splitlines()[-1] == word
    magic(shell, capsys, f"run --rm {image_ref} echo never-{suffix()}")
    assert last().status == "not_recorded"


def test_a_cell_runs_line_by_line_and_stops_at_the_first_failure(
    shell: Any, course: Session, image_ref: str, capsys: Any
) -> None:
    cell = (
        f"run --rm {image_ref} echo one\n"
        f"run --rm {image_ref} sh -c 'exit 3'\n"
        f"run --rm {image_ref} echo three\n"
    )
    shell.run_cell_magic("docker", "", cell)
    out = capsys.readouterr().out
    assert [o.exit_code for o in cli_magic.last] == [0, 3]
    assert "one\n" in out.splitlines(keepends=True)


class _Clocked:
    """A stream that notes when each line reached it."""

    def __init__(self) -> None:
        self.lines: list[tuple[float, str]] = []

    def write(self, text: str) -> int:
        self.lines.append((time.monotonic(), text))
        return len(text)

    def flush(self) -> None:
        pass


def test_output_is_streamed_line_by_line_as_it_comes(
    course: Session, image_ref: str
) -> None:
    out, err = _Clocked(), _Clocked()
    script = "echo first; echo warn >&2; sleep 2; echo second"
    outcome = cli_magic.run_line(
        course,
        f"run --rm {image_ref} sh -c '{script}'",
        out=out,
        err=err,
    )
    assert outcome.exit_code == 0
    when = {text.strip(): at for at, text in out.lines + err.lines}
    assert when["second"] - when["first"] > 1.0  # printed before the container ended
    assert [text for _, text in err.lines] == ["warn\n"]


def test_host_access_borrowing_and_terminal_only_commands_are_refused(
    shell: Any,
    course: Session,
    client: Any,
    image_ref: str,
    learner: Any,
    capsys: Any,
    nothing_runs: None,
) -> None:
    refused = {
        f"run --rm --privileged {image_ref} true": "--allow-host",
        f"run --rm --pid host {image_ref} ps": "--allow-host",
        f"run --rm --network=host {image_ref} true": "--allow-host",
        f"run --rm --cap-add SYS_ADMIN {image_ref} true": "--allow-host",
        f"run --rm -v /var/run/docker.sock:/s {image_ref} true": "the engine's socket",
        f"--allow-host run --rm -v /run/docker.sock:/s {image_ref} true": (
            "the engine's socket"
        ),
        "compose up -d": "JupyterLab's Terminal",
        "swarm init": "JupyterLab's Terminal",
        f"run --rm --volumes-from {learner.container} {image_ref} ls": "would lend this container",
        f"run --rm --network {learner.network} {image_ref} true": "would lend this container",
        f"update --memory 64m {learner.container}": "does not change it",
        f"rename {learner.container} renamed-{suffix()}": "does not change it",
        f"network connect {learner.network} {learner.container}": "does not change it",
        f"build {course.scratch}": "without a name",
        "load": "standard input",
    }
    for line, says in refused.items():
        shown = magic(shell, capsys, line)
        assert last().status == "refused", (line, shown)
        assert says in shown and "Nothing was run" in shown, (line, shown)
    client.api.inspect_container(learner.container)  # not renamed
    assert client.api.inspect_container(learner.container)["HostConfig"]["Memory"] == 0


def test_with_the_opt_in_a_host_namespace_is_the_learner_s_choice(
    shell: Any, course: Session, image_ref: str, capsys: Any
) -> None:
    shown = magic(shell, capsys, f"--allow-host run --rm --pid host {image_ref} true")
    assert last().status == "ran" and last().exit_code == 0, shown


def _ledger_entries() -> list[dict[str, Any]]:
    path = tagledger.ledger_path()
    return (
        [json.loads(x) for x in path.read_text().splitlines()] if path.exists() else []
    )


def test_import_is_labelled_recorded_and_removed_by_cleanup(
    shell: Any, course: Session, client: Any, image_ref: str, capsys: Any
) -> None:
    box, archive = f"rootfs-{suffix()}", course.scratch / "rootfs.tar"
    tag = f"imported-{suffix()}:1"
    magic(shell, capsys, f"create --name {box} {image_ref} true")
    magic(shell, capsys, f"export -o {archive} {box}")
    assert last().exit_code == 0 and archive.stat().st_size > 0
    shown = magic(shell, capsys, f"import {archive} {tag}")
    assert last().status == "ran" and last().exit_code == 0, shown
    assert "--change" in shown
    labels = client.api.inspect_image(tag)["Config"]["Labels"]
    assert labels[resources.LABEL_IMAGE] == "true"
    assert labels[resources.LABEL_SESSION] == resources.session_id()
    assert [(e["tag"], e["made_by"]) for e in _ledger_entries()] == [(tag, "import")]
    course.clean()
    with pytest.raises(docker.errors.NotFound):
        client.api.inspect_image(tag)


def test_load_is_recorded_and_untagged_and_a_learner_s_tag_survives(
    shell: Any, course: Session, client: Any, image_ref: str, learner: Any, capsys: Any
) -> None:
    tag, archive = f"loaded-{suffix()}:1", course.scratch / "loaded.tar"
    image_id = client.api.inspect_image(image_ref)["Id"]
    magic(shell, capsys, f"tag {image_ref} {tag}")
    magic(shell, capsys, f"save -o {archive} {tag}")
    assert last().exit_code == 0
    magic(shell, capsys, f"rmi {tag}")
    assert last().exit_code == 0
    with pytest.raises(docker.errors.NotFound):
        client.api.inspect_image(tag)
    shown = magic(shell, capsys, f"load -i {archive}")
    assert last().status == "ran" and last().exit_code == 0, shown
    assert client.api.inspect_image(tag)["Id"] == image_id
    assert (tag, "load") in [(e["tag"], e["made_by"]) for e in _ledger_entries()]

    theirs, learner_id = (
        course.scratch / "theirs.tar",
        client.api.inspect_image(learner.image)["Id"],
    )
    magic(shell, capsys, f"save -o {theirs} {learner.image}")  # reading is fine
    assert last().exit_code == 0
    shown = magic(shell, capsys, f"load -i {theirs}")
    assert last().status == "refused", shown
    assert t("dockercli.tag_taken", tag=learner.image, command="load") in shown

    course.clean()
    with pytest.raises(docker.errors.NotFound):
        client.api.inspect_image(tag)
    assert client.api.inspect_image(image_ref)["Id"] == image_id
    assert client.api.inspect_image(learner.image)["Id"] == learner_id


def test_a_run_that_pulls_its_image_records_the_tag_for_cleanup(
    shell: Any, course: Session, client: Any, capsys: Any
) -> None:
    """``run`` of an image the engine lacks pulls it, like ``pull`` does: the tag goes to
    the ledger, and cleanup untags it (chapter 03's registry, on 127.0.0.1)."""
    from dockcourse.lessons import ch03 as lesson

    if lesson.registry_binary()[0] is None:
        pytest.skip("no registry program here (Debian: apt install docker-registry)")
    registry = lesson.start_registry(course)
    assert registry["running"], lesson.registry_summary(registry)
    welcome = registry["welcome"]
    assert client.api.images(name=welcome) == []  # the course removed its copy
    shown = magic(shell, capsys, f"run --rm {welcome} true")
    assert last().status == "ran" and last().exit_code == 0, shown
    assert (dockercli.full_tag(welcome), "pull") in [
        (e["tag"], e["made_by"]) for e in _ledger_entries()
    ]
    course.clean()
    with pytest.raises(docker.errors.NotFound):
        client.api.inspect_image(welcome)
