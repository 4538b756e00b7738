"""What a ``%docker`` line means and whether the course runs it: pure logic, no engine
(``dockcourse.dockercli``; the ownership checks of ``cli_magic.check`` against a fake
client that answers like the SDK)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import docker.errors
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dockcourse import cli_magic, dockercli, resources, tagledger
from dockcourse.dockercli import (
    ELLIPSIS,
    LABEL_COMMAND,
    DockerCommandRefused,
    NeedsTerminal,
    plan,
)
from dockcourse.text import t

CHAPTER = "00"
IMAGE = "dockcourse/busybox:0.1.0"


def planned(line: str, **kwargs: Any) -> dockercli.Plan:
    options, words = dockercli.magic_options(dockercli.split(line))
    kwargs.setdefault("allow_host", options.allow_host)
    return plan(words, chapter=CHAPTER, **kwargs)


def refusal(line: str, **kwargs: Any) -> DockerCommandRefused:
    with pytest.raises(DockerCommandRefused) as caught:
        planned(line, **kwargs)
    return caught.value


def labels_after(argv: tuple[str, ...], start: int) -> dict[str, str]:
    """The ``--label k=v`` pairs that follow ``argv[start]``, up to the first other."""
    found: dict[str, str] = {}
    i = start
    while i + 1 < len(argv) and argv[i] == "--label":
        key, _, value = argv[i + 1].partition("=")
        found[key] = value
        i += 2
    return found


# --- Reading the text -------------------------------------------------------------------


@pytest.mark.parametrize(
    "line", ["run 'unbalanced", 'ps --format "{{.Names}}', "ps \\"]
)
def test_unbalanced_quotes_are_refused_with_the_catalogue_message(line: str) -> None:
    assert refusal(line).key == "dockercli.bad_quotes"


@pytest.mark.parametrize("line", ["", "   ", "docker"])
def test_an_empty_command_is_refused(line: str) -> None:
    assert refusal(line).key == "dockercli.empty"


def test_an_unknown_subcommand_is_refused_with_a_suggestion() -> None:
    caught = refusal("rnu --rm busybox")
    assert caught.key == "dockercli.unknown"
    assert caught.fields["hint"] == t("dockercli.did_you_mean", name="run")
    assert refusal("volume frobnicate x").key == "dockercli.unknown_sub"
    assert refusal("zzzzzz").fields["hint"] == ""


def test_a_leading_docker_is_accepted() -> None:
    assert planned("docker ps -a").argv == ("docker", "ps", "-a")


def test_magic_options_come_first_and_are_not_passed_to_docker() -> None:
    options, words = dockercli.magic_options(
        dockercli.split("--allow-host-mount --timeout 5 docker ps")
    )
    assert options.allow_host and options.timeout_s == 5
    assert words == ["ps"]
    options, _ = dockercli.magic_options(["--timeout=2.5", "ps"])
    assert options.timeout_s == 2.5


@pytest.mark.parametrize(
    "bad", ["--timeout", "--timeout=abc", "--timeout=-1", "--timeout=nan"]
)
def test_a_bad_timeout_is_refused(bad: str) -> None:
    with pytest.raises(DockerCommandRefused) as caught:
        dockercli.magic_options([bad])
    assert caught.value.key == "dockercli.bad_timeout"


def test_cell_lines_join_continuations_and_skip_comments() -> None:
    cell = "# make a volume\nvolume create v1\n\nrun --rm \\\n  busybox \\\n  echo hi\n"
    assert dockercli.cell_lines(cell) == [
        "volume create v1",
        "run --rm busybox echo hi",
    ]


def test_the_recording_key_is_what_was_typed_without_labels() -> None:
    p = planned("run   --rm  --name web  busybox echo 'a b'")
    assert p.key == "docker run --rm --name web busybox echo 'a b'"
    assert "--label" in p.argv and "--label" not in p.key


# --- Labels -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "head"),
    [
        (f"run --rm {IMAGE} echo hi", ("docker", "run")),
        (f"container run -d {IMAGE} sleep 9", ("docker", "container", "run")),
        (f"create --name c1 {IMAGE}", ("docker", "create")),
        ("volume create v1", ("docker", "volume", "create")),
        ("network create n1", ("docker", "network", "create")),
    ],
)
def test_resources_get_the_course_labels_right_after_the_subcommand(
    line: str, head: tuple[str, ...]
) -> None:
    p = planned(line)
    assert p.argv[: len(head)] == head
    found = labels_after(p.argv, len(head))
    expected = resources.labels(CHAPTER)
    volatile = {resources.LABEL_CREATED}  # a clock reading
    assert {k: v for k, v in found.items() if k not in volatile | {LABEL_COMMAND}} == {
        k: v for k, v in expected.items() if k not in volatile
    }
    assert found[resources.LABEL_COURSE] == "true"
    # and what the learner typed follows, unchanged
    rest = p.argv[len(head) + 2 * len(found) :]
    assert rest == p.typed[len(head) - 1 :]


def test_run_and_create_mark_their_container_with_a_command_token() -> None:
    first, second = planned(f"run --rm {IMAGE} true"), planned(f"create {IMAGE}")
    for p in (first, second):
        assert p.labels[LABEL_COMMAND] == p.command_token != ""
    assert first.command_token != second.command_token
    assert planned("volume create v").command_token == ""


def test_build_labels_the_image_as_the_course_s_image() -> None:
    p = planned("build -t myapp:1 .")
    found = labels_after(p.argv, 2)
    assert found[resources.LABEL_IMAGE] == "true"
    # blank, so that a learner's container from this image does not pass for the course's
    assert found[resources.LABEL_COURSE] == ""
    assert found[resources.LABEL_CHAPTER] == CHAPTER
    assert p.argv[-3:] == ("-t", "myapp:1", ".")
    aliased = planned("image build -t x .")
    assert aliased.command == ("build",)
    assert aliased.argv[:4] == ("docker", "image", "build", "--label")


def test_commit_labels_with_one_change_per_label() -> None:
    p = planned("commit c1 myapp:2")
    changes = [p.argv[i + 1] for i, a in enumerate(p.argv) if a == "--change"]
    expected = resources.image_labels(CHAPTER)
    assert len(changes) == len(expected)
    assert f'LABEL {resources.LABEL_IMAGE}="true"' in changes
    assert f'LABEL {resources.LABEL_COURSE}=""' in changes
    assert all(c.startswith("LABEL ") and c.count("=") == 1 for c in changes)
    assert p.argv[-2:] == ("c1", "myapp:2")


@pytest.mark.parametrize(
    "line",
    [
        "ps -a",
        "logs web",
        "exec web echo hi",
        "stop web",
        "images",
        "volume ls",
        "tag a b",
    ],
)
def test_commands_that_create_nothing_run_as_typed(line: str) -> None:
    p = planned(line)
    assert p.argv == ("docker", *line.split()) == p.shown
    assert p.hidden_labels == 0


def test_the_shown_command_abbreviates_the_labels_and_says_how_many() -> None:
    p = planned(f"run --rm {IMAGE} echo hello")
    assert p.shown[:4] == ("docker", "run", "--label", f"{resources.LABEL_COURSE}=true")
    assert p.shown[4] == ELLIPSIS
    assert p.shown[5:] == ("--rm", IMAGE, "echo", "hello")
    assert p.hidden_labels == len(p.labels) - 1
    assert p.shown_line.startswith(
        "docker run --label io.dockcourse.course=true … --rm"
    )


def test_the_learner_s_name_is_kept() -> None:
    p = planned(f"run -d --name web {IMAGE} sleep 60")
    assert p.name == "web"
    assert p.argv[p.argv.index("--name") : p.argv.index("--name") + 2] == (
        "--name",
        "web",
    )
    assert planned(f"run -d --name=web2 {IMAGE}").name == "web2"


# --- Policy -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "system prune",
        "system prune -af --volumes",
        "volume prune -f",
        "image prune -a",
        "container prune",
        "network prune",
        "builder prune --all",
    ],
)
def test_every_prune_is_refused(line: str) -> None:
    assert refusal(line).key == "dockercli.prune"


@pytest.mark.parametrize(
    "line", ["-H tcp://10.0.0.1:2375 ps", "--context other ps", "--host=x ps"]
)
def test_pointing_at_another_engine_is_refused(line: str) -> None:
    assert refusal(line).key == "dockercli.other_engine"


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ("rm -f web db", "container"),
        ("container rm web", "container"),
        ("container remove web", "container"),
        ("rmi myapp:1", "image"),
        ("image rm myapp:1", "image"),
        ("volume rm -f v1", "volume"),
        ("network remove n1", "network"),
    ],
)
def test_removals_name_what_the_engine_must_be_asked_about(
    line: str, kind: str
) -> None:
    p = planned(line)
    assert p.removes == kind
    assert p.targets and all(not x.startswith("-") for x in p.targets)


def test_rm_options_after_names_are_not_targets() -> None:
    assert planned("rm web -f --volumes").targets == ("web",)


@pytest.mark.parametrize(
    "spec",
    ["/:/host", "/etc:/etc:ro", "~/:/home", "../..:/up"],
)
def test_host_folders_outside_the_allowed_roots_are_refused(
    spec: str, tmp_path: Path
) -> None:
    caught = refusal(f"run --rm -v {spec} {IMAGE} ls", allowed_roots=[str(tmp_path)])
    assert caught.key == "dockercli.host_mount"


def test_mount_syntax_is_refused_too(tmp_path: Path) -> None:
    line = f"run --rm --mount type=bind,source=/,target=/host {IMAGE} ls"
    assert refusal(line, allowed_roots=[str(tmp_path)]).key == "dockercli.host_mount"


def test_folders_inside_the_allowed_root_are_mounted(tmp_path: Path) -> None:
    (tmp_path / "site").mkdir()
    p = planned(
        f"run --rm -v {tmp_path}/site:/www {IMAGE} ls", allowed_roots=[str(tmp_path)]
    )
    assert p.volumes == ()
    relative = planned(
        f"run --rm -v ./site:/www {IMAGE} ls",
        allowed_roots=[str(tmp_path)],
        cwd=str(tmp_path),
    )
    assert relative.command == ("run",)


def test_a_link_out_of_the_allowed_root_is_refused(tmp_path: Path) -> None:
    (tmp_path / "escape").symlink_to("/")
    line = f"run --rm -v {tmp_path}/escape:/host {IMAGE} ls"
    assert refusal(line, allowed_roots=[str(tmp_path)]).key == "dockercli.host_mount"
    # a root that is a prefix of the path's name is not its parent
    (tmp_path / "root-and-more").mkdir()
    line = f"run --rm -v {tmp_path}/root-and-more:/x {IMAGE} ls"
    assert (
        refusal(line, allowed_roots=[str(tmp_path / "root")]).key
        == "dockercli.host_mount"
    )


def test_the_cell_can_opt_in_to_a_host_mount(tmp_path: Path) -> None:
    p = planned(
        f"--allow-host-mount run --rm -v /:/host {IMAGE} ls",
        allowed_roots=[str(tmp_path)],
    )
    assert p.command == ("run",)


def test_named_volumes_are_listed_for_the_engine_check_and_anonymous_ones_not() -> None:
    p = planned(
        f"run --rm -v data:/data -v /anon --mount source=v2,target=/m {IMAGE} ls"
    )
    assert p.volumes == ("data", "v2")


def test_arguments_after_the_image_belong_to_the_container() -> None:
    p = planned(f"run --rm {IMAGE} sh -c 'ls -v /:/x' -it")
    assert p.volumes == () and p.command == ("run",)


# --- Terminal ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        f"run -it --rm {IMAGE} sh",
        f"run -ti {IMAGE} sh",
        f"run -i -t {IMAGE} sh",
        f"run --interactive --tty {IMAGE} sh",
        f"run --rm -it -v myvolume:/data {IMAGE} sh",
        f"container run -t {IMAGE} sh",
        "exec -it web sh",
        "attach web",
        "start -ai web",
    ],
)
def test_commands_that_need_a_terminal_are_sent_there(line: str) -> None:
    with pytest.raises(NeedsTerminal) as caught:
        planned(line, allowed_roots=[])
    assert caught.value.command.startswith("docker ")
    assert caught.value.key == "dockercli.terminal"


def test_the_terminal_command_keeps_the_labels_and_the_engine() -> None:
    with pytest.raises(NeedsTerminal) as caught:
        plan(
            ["run", "-it", "--rm", IMAGE, "sh"],
            chapter=CHAPTER,
            terminal_prefix=("docker", "--context", "colima"),
        )
    command = caught.value.command
    assert command.startswith(
        "docker --context colima run --label io.dockcourse.course=true"
    )
    assert command.endswith(f"-it --rm {IMAGE} sh")


@pytest.mark.parametrize(
    "line",
    [
        f"run -dit {IMAGE} sh",
        f"run -i {IMAGE} cat",
        f"run --tty=false {IMAGE} sh",
        "exec -d web sh",
    ],
)
def test_detached_or_tty_less_commands_run_in_the_cell(line: str) -> None:
    assert planned(line).command in (("run",), ("exec",))


# --- Tags -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "tags"),
    [
        (f"tag {IMAGE} myapp", ("myapp:latest",)),
        (f"image tag {IMAGE} localhost:5000/myapp:2", ("localhost:5000/myapp:2",)),
        ("build -t a -t b:2 --tag=c:3 .", ("a:latest", "b:2", "c:3")),
        ("commit web myapp:1", ("myapp:1",)),
        ("import site.tar myapp:3", ("myapp:3",)),
        ("image import https://example.org/rootfs.tar.gz web", ("web:latest",)),
        (f"run --pull always {IMAGE} true", (IMAGE,)),
        (f"run --rm {IMAGE} true", ()),
        ("pull localhost:5000/welcome:1", ("localhost:5000/welcome:1",)),
        ("image pull busybox", ("busybox:latest",)),
        ("ps", ()),
    ],
)
def test_the_tags_a_command_makes_are_known_before_it_runs(
    line: str, tags: tuple[str, ...]
) -> None:
    assert planned(line).new_tags == tags


def test_image_ids_are_told_from_tags() -> None:
    assert dockercli.looks_like_id("0123456789ab")
    assert dockercli.looks_like_id("sha256:" + "a" * 64)
    assert not dockercli.looks_like_id("myapp:1")


# --- Expansion in the magic line --------------------------------------------------------


def test_python_values_expand_and_go_templates_stay() -> None:
    ns = {"name": "web-1", "course": type("C", (), {"tag": "abc"})()}
    assert cli_magic.expand("logs {name}", ns) == "logs web-1"
    assert cli_magic.expand("run --name x-{course.tag} i", ns) == "run --name x-abc i"
    line = "ps --format '{{.Names}}' {missing} {1+1}"
    assert cli_magic.expand(line, ns) == line


# --- Host access, the engine's socket, objects no label marks --------------------------


@pytest.mark.parametrize(
    ("line", "option", "what"),
    [
        (f"run --rm --privileged {IMAGE} true", "--privileged", "privileged"),
        (f"run --rm --pid=host {IMAGE} ps", "--pid host", "pid"),
        (f"run --rm --pid host {IMAGE} ps", "--pid host", "pid"),
        (f"create --network=host {IMAGE}", "--network host", "network"),
        (f"run --rm --net host {IMAGE} true", "--net host", "network"),
        (f"run --rm --ipc host {IMAGE} true", "--ipc host", "ipc"),
        (f"run --rm --uts=host {IMAGE} hostname", "--uts host", "uts"),
        (f"run --rm --userns host {IMAGE} id", "--userns host", "userns"),
        (f"run --rm --cgroupns host {IMAGE} true", "--cgroupns host", "cgroupns"),
        (
            f"run --rm --cap-add SYS_ADMIN {IMAGE} true",
            "--cap-add SYS_ADMIN",
            "cap_add",
        ),
        (f"run --rm --device /dev/sda {IMAGE} true", "--device /dev/sda", "device"),
        (
            f"run --rm --security-opt seccomp=unconfined {IMAGE} true",
            "--security-opt seccomp=unconfined",
            "security_opt",
        ),
        ("exec --privileged web true", "--privileged", "privileged"),
    ],
)
def test_host_namespaces_and_privileges_need_the_cell_s_opt_in(
    line: str, option: str, what: str
) -> None:
    caught = refusal(line)
    assert caught.key == "dockercli.host_access"
    assert caught.fields["option"] == option
    assert caught.fields["what"] == t(
        f"dockercli.host_what.{what}", value=option.partition(" ")[2]
    )
    assert "--allow-host" in str(caught)
    for opt_in in ("--allow-host", "--allow-host-mount"):  # the first name still works
        args = tuple(line.split()[1:])
        assert planned(f"{opt_in} {line}").argv[-len(args) :] == args


@pytest.mark.parametrize(
    "line",
    [
        f"run --rm --network none {IMAGE} true",
        f"run --rm --network=bridge {IMAGE} true",
        f"run --rm --cap-drop ALL {IMAGE} true",
        f"run --rm --security-opt no-new-privileges {IMAGE} true",
        f"run --rm {IMAGE} sh -c 'ps --pid=host --privileged'",  # the container's
        "exec web ps",
    ],
)
def test_what_keeps_the_container_isolated_runs_without_an_opt_in(line: str) -> None:
    assert planned(line).argv[0] == "docker"


@pytest.mark.parametrize(
    "spec",
    [
        "/var/run/docker.sock:/var/run/docker.sock",
        "/run/docker.sock:/s",
        "/var/run:/host-run",
        "/tmp/elsewhere/podman.sock:/s",
    ],
)
def test_the_engine_s_socket_is_refused_even_with_the_opt_in(spec: str) -> None:
    for opt_in in ("", "--allow-host "):
        caught = refusal(f"{opt_in}run --rm -v {spec} {IMAGE} true")
        assert caught.key == "dockercli.engine_socket"
    mount = "type=bind,source=/var/run/docker.sock,target=/s"
    assert refusal(f"run --rm --mount {mount} {IMAGE} true").key == (
        "dockercli.engine_socket"
    )
    assert refusal(f"run --rm --use-api-socket {IMAGE} true").key == (
        "dockercli.engine_socket"
    )


def test_the_session_s_own_socket_is_refused_wherever_it_is(tmp_path: Path) -> None:
    sock = tmp_path / "engine" / "my.sock"
    caught = refusal(
        f"--allow-host run --rm -v {sock}:/s {IMAGE} true",
        engine_sockets=[str(sock)],
    )
    assert caught.key == "dockercli.engine_socket"
    # and the host folder it is in, which holds it
    assert (
        refusal(
            f"--allow-host run --rm -v {sock.parent}:/s {IMAGE} true",
            engine_sockets=[str(sock)],
        ).key
        == "dockercli.engine_socket"
    )
    # a whole-host mount is the host-mount opt-in's business, not the socket's
    assert planned(f"--allow-host run --rm -v /:/host {IMAGE} ls").argv[0] == "docker"


@pytest.mark.parametrize(
    ("line", "borrows"),
    [
        (f"run --rm --volumes-from web {IMAGE} ls", [("container", "web")]),
        (f"run --rm --volumes-from web:ro {IMAGE} ls", [("container", "web")]),
        (f"run --rm --pid container:web {IMAGE} ps", [("container", "web")]),
        (f"run --rm --network=container:web {IMAGE} true", [("container", "web")]),
        (f"run --rm --ipc container:web {IMAGE} true", [("container", "web")]),
        (f"create --network mynet {IMAGE}", [("network", "mynet")]),
        (f"create --network name=mynet,alias=a {IMAGE}", [("network", "mynet")]),
        (f"run --rm --link db:db {IMAGE} true", [("container", "db")]),
        (f"run --rm --network none {IMAGE} true", []),
    ],
)
def test_what_a_container_borrows_is_named_for_the_engine_check(
    line: str, borrows: list[tuple[str, str]]
) -> None:
    assert [(kind, name) for kind, name, _ in planned(line).borrows] == borrows


@pytest.mark.parametrize(
    ("line", "changes"),
    [
        (
            "update --memory 64m web other",
            [("container", "web"), ("container", "other")],
        ),
        ("container update --restart no web", [("container", "web")]),
        ("rename web site", [("container", "web")]),
        ("network connect mynet web", [("network", "mynet"), ("container", "web")]),
        (
            "network connect --alias a mynet web",
            [("network", "mynet"), ("container", "web")],
        ),
        (
            "network disconnect -f mynet web",
            [("network", "mynet"), ("container", "web")],
        ),
        ("stop web", []),
    ],
)
def test_what_a_command_changes_is_named_for_the_engine_check(
    line: str, changes: list[tuple[str, str]]
) -> None:
    assert list(planned(line).changes) == changes


@pytest.mark.parametrize(
    ("line", "what"),
    [
        ("compose up -d", "compose"),
        ("compose ls", "compose"),
        ("swarm init", "swarm"),
        ("service create busybox", "swarm"),
        ("stack deploy -c x.yml s", "swarm"),
        ("secret create s f", "swarm"),
        ("plugin install vieux/sshfs", "plugin"),
        ("buildx create --use", "buildx"),
    ],
)
def test_what_no_label_can_mark_is_sent_to_the_terminal(line: str, what: str) -> None:
    caught = refusal(line)
    assert caught.key == "dockercli.elsewhere"
    assert caught.fields["what"] == t(f"dockercli.elsewhere_what.{what}")
    assert "Terminal" in str(caught)


@pytest.mark.parametrize(
    "line", ["buildx ls", "buildx build -t x .", "build --help", "volume --help"]
)
def test_buildx_s_reading_commands_and_help_run(line: str) -> None:
    assert planned(line).argv == ("docker", *line.split()) or planned(line).labels


@pytest.mark.parametrize(
    ("line", "key"),
    [
        ("build .", "dockercli.unnamed_image"),
        ("commit web", "dockercli.unnamed_image"),
        ("import site.tar", "dockercli.unnamed_image"),
        ("import - myapp:1", "dockercli.stdin"),
        ("load", "dockercli.stdin"),
        ("load < site.tar", "dockercli.stdin"),
        ("pull -a busybox", "dockercli.pull_all_tags"),
        ("pull --all-tags busybox", "dockercli.pull_all_tags"),
    ],
)
def test_images_without_a_name_or_from_stdin_are_refused(line: str, key: str) -> None:
    assert refusal(line).key == key


def test_a_build_that_only_exports_files_needs_no_name() -> None:
    assert planned("build -o out .").new_tags == ()


def test_import_gets_the_course_labels_as_changes_and_its_tag_is_known() -> None:
    p = planned("image import site.tar myapp:1")
    assert p.command == ("import",)
    changes = [p.argv[i + 1] for i, a in enumerate(p.argv) if a == "--change"]
    assert f'LABEL {resources.LABEL_IMAGE}="true"' in changes
    assert len(changes) == len(resources.image_labels(CHAPTER))
    assert p.argv[-2:] == ("site.tar", "myapp:1")
    assert p.new_tags == ("myapp:1",)


def _save_archive(path: Path, manifest: Any, name: str = "manifest.json") -> Path:
    import io
    import tarfile

    data = json.dumps(manifest).encode()
    with tarfile.open(path, "w") as tar:
        info = tarfile.TarInfo(name)
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return path


def test_load_reads_the_tags_its_archive_would_make(tmp_path: Path) -> None:
    archive = _save_archive(
        tmp_path / "site.tar",
        [{"Config": "c.json", "RepoTags": ["site:1", "localhost:5000/site"]}],
    )
    p = planned(f"load -i {archive}")
    assert p.new_tags == ("site:1", "localhost:5000/site:latest")
    assert planned("image load --input=site.tar", cwd=str(tmp_path)).new_tags == (
        "site:1",
        "localhost:5000/site:latest",
    )
    old = _save_archive(tmp_path / "old.tar", {"site": {"2": "abc"}}, "repositories")
    assert planned(f"load -i {old}").new_tags == ("site:2",)


def test_load_of_an_unnamed_or_unreadable_archive_is_refused(tmp_path: Path) -> None:
    unnamed = _save_archive(
        tmp_path / "id.tar", [{"Config": "blobs/sha256/0123456789abcdef0123"}]
    )
    assert refusal(f"load -i {unnamed}").key == "dockercli.load_untagged"
    (tmp_path / "junk.tar").write_text("not a tar")
    for name in ("junk.tar", "missing.tar"):
        caught = refusal(f"load -i {tmp_path / name}")
        assert caught.key == "dockercli.load_unreadable"
    assert refusal(f"load -i {_save_archive(tmp_path / 'x.tar', 7)}").key == (
        "dockercli.load_unreadable"
    )


def test_a_run_names_its_image_so_that_a_pull_is_recorded() -> None:
    assert planned(f"run --rm {IMAGE} true").image == IMAGE
    assert planned("create busybox").image == "busybox:latest"
    assert planned("run --rm 0123456789ab true").image == ""
    assert planned("ps").image == ""


# --- Ownership checks (fake SDK) --------------------------------------------------------


class _FakeAPI:
    def __init__(self, objects: dict[str, dict[str, Any]]) -> None:
        self.objects = objects
        self.removed: list[str] = []

    def _get(self, name: str) -> dict[str, Any]:
        if name not in self.objects:
            raise docker.errors.NotFound(f"no {name}")
        return self.objects[name]

    def inspect_container(self, name: str) -> dict[str, Any]:
        return {"Config": {"Labels": self._get(name)}}

    def inspect_volume(self, name: str) -> dict[str, Any]:
        return {"Labels": self._get(name)}

    def inspect_network(self, name: str) -> dict[str, Any]:
        return {"Labels": self._get(name)}

    def inspect_image(self, name: str) -> dict[str, Any]:
        found = self._get(name)
        return {"Id": found["id"], "Config": {"Labels": found.get("labels")}}

    def remove_image(self, name: str, noprune: bool = False) -> None:
        self._get(name)
        self.removed.append(name)
        del self.objects[name]


class _FakeClient:
    def __init__(self, objects: dict[str, dict[str, Any]]) -> None:
        self.api = _FakeAPI(objects)


@pytest.fixture
def ledger(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "tags.jsonl"
    monkeypatch.setenv(tagledger.FILE_ENV, str(path))
    return path


def test_rm_of_an_unlabelled_object_is_refused_and_of_the_course_s_allowed(
    ledger: Path,
) -> None:
    ours = resources.labels(CHAPTER)
    client: Any = _FakeClient(
        {"web": ours, "mine": {}, "half": {resources.LABEL_COURSE: "true"}}
    )
    cli_magic.check(client, planned("rm -f web gone"))  # gone: the CLI says so
    for line in ("rm web mine", "rm half", "volume rm mine", "network rm mine"):
        with pytest.raises(DockerCommandRefused) as caught:
            cli_magic.check(client, planned(line))
        assert caught.value.key == "dockercli.not_course"


def test_rmi_is_allowed_only_for_tags_the_course_made(ledger: Path) -> None:
    course_image = {
        "id": "sha256:" + "c" * 64,
        "labels": {resources.LABEL_IMAGE: "true"},
    }
    client: Any = _FakeClient(
        {
            "myapp:1": {"id": "sha256:" + "1" * 64},
            "yours:1": {
                "id": "sha256:" + "2" * 64,
                "labels": {resources.LABEL_IMAGE: "true"},
            },
            "dockcourse/ch00-x:1": course_image,
            IMAGE: course_image,
        }
    )
    tagledger.record("myapp:1", "sha256:" + "1" * 64, CHAPTER)
    cli_magic.check(client, planned("rmi myapp:1 dockcourse/ch00-x:1"))
    keys = {
        "rmi yours:1": "dockercli.not_course_image",
        "rmi 0123456789ab": "dockercli.rmi_by_id",
        f"rmi {IMAGE}": "dockercli.course_image",
        f"tag {IMAGE} yours:1": "dockercli.tag_taken",
        f"tag busybox {IMAGE}": "dockercli.course_image",
    }
    for line, key in keys.items():
        with pytest.raises(DockerCommandRefused) as caught:
            cli_magic.check(client, planned(line))
        assert caught.value.key == key, line
    cli_magic.check(client, planned(f"tag {IMAGE} myapp:1"))  # the course's own: moved


def test_mounted_volumes_must_exist_and_be_the_course_s(ledger: Path) -> None:
    client: Any = _FakeClient({"ours": resources.labels(CHAPTER), "myvolume": {}})
    cli_magic.check(client, planned(f"run --rm -v ours:/d {IMAGE} ls"))
    for line, key in (
        (f"run --rm -v myvolume:/d {IMAGE} ls", "dockercli.volume_not_course"),
        (f"run --rm -v nothere:/d {IMAGE} ls", "dockercli.volume_missing"),
    ):
        with pytest.raises(DockerCommandRefused) as caught:
            cli_magic.check(client, planned(line))
        assert caught.value.key == key


def test_borrowed_and_changed_objects_must_be_the_course_s(ledger: Path) -> None:
    ours = resources.labels(CHAPTER)
    client: Any = _FakeClient({"web": ours, "mine": {}, "net": ours, "theirs": {}})
    for line in (
        f"run --rm --volumes-from web {IMAGE} ls",
        f"run --rm --pid container:web --network net {IMAGE} ps",
        f"run --rm --volumes-from gone {IMAGE} ls",  # the CLI says "No such container"
        "update --memory 64m web",
        "rename web site",
        "network connect net web",
    ):
        cli_magic.check(client, planned(line))
    borrowing = {
        f"run --rm --volumes-from mine {IMAGE} ls": "dockercli.not_course_borrow",
        f"run --rm --network theirs {IMAGE} true": "dockercli.not_course_borrow",
        f"run --rm --pid container:mine {IMAGE} ps": "dockercli.not_course_borrow",
        "update --memory 64m web mine": "dockercli.not_course_change",
        "rename mine site": "dockercli.not_course_change",
        "network connect theirs web": "dockercli.not_course_change",
        "network disconnect net mine": "dockercli.not_course_change",
    }
    for line, key in borrowing.items():
        with pytest.raises(DockerCommandRefused) as caught:
            cli_magic.check(client, planned(line))
        assert caught.value.key == key, line
        assert "mine" in str(caught.value) or "theirs" in str(caught.value)


def test_load_and_import_may_not_take_a_learner_s_tag(
    ledger: Path, tmp_path: Path
) -> None:
    archive = _save_archive(tmp_path / "a.tar", [{"RepoTags": ["yours:1"]}])
    client: Any = _FakeClient({"yours:1": {"id": "sha256:" + "2" * 64}})
    for line in (f"load -i {archive}", "import rootfs.tar yours:1"):
        with pytest.raises(DockerCommandRefused) as caught:
            cli_magic.check(client, planned(line))
        assert caught.value.key == "dockercli.tag_taken"
    cli_magic.check(client, planned("import rootfs.tar free:1"))


def test_cleanup_untags_only_tags_that_still_name_their_image(ledger: Path) -> None:
    client: Any = _FakeClient(
        {"kept:1": {"id": "sha256:new"}, "made:1": {"id": "sha256:a"}}
    )
    tagledger.record("made:1", "sha256:a", CHAPTER)
    tagledger.record("kept:1", "sha256:old", CHAPTER)  # since moved by the learner
    tagledger.record("other:1", "sha256:b", "01")  # another chapter
    dry = tagledger.untag(
        client, session=resources.session_id(), chapter=CHAPTER, dry_run=True
    )
    assert [r.item.name for r in dry] == ["made:1"] and client.api.removed == []
    done = tagledger.untag(client, session=resources.session_id(), chapter=CHAPTER)
    assert [(r.item.name, r.removed) for r in done] == [("made:1", True)]
    assert client.api.removed == ["made:1"]
    left = [json.loads(x)["tag"] for x in ledger.read_text().splitlines()]
    assert left == ["other:1"]  # the moved tag is forgotten, the other chapter's kept


# --- Nothing but the course's refusal escapes -------------------------------------------

_WORDS = st.sampled_from(
    [
        "docker",
        "run",
        "create",
        "rm",
        "rmi",
        "volume",
        "network",
        "image",
        "container",
        "system",
        "builder",
        "prune",
        "create",
        "build",
        "commit",
        "tag",
        "exec",
        "start",
        "-it",
        "-d",
        "-dit",
        "-v",
        "--mount",
        "--name",
        "--rm",
        "-t",
        "-f",
        "--",
        "-",
        "--label",
        "-H",
        "--context",
        "--timeout",
        "--allow-host-mount",
        "--allow-host",
        "--privileged",
        "--pid",
        "--pid=host",
        "--network",
        "host",
        "container:x",
        "--volumes-from",
        "--cap-add",
        "--device",
        "load",
        "import",
        "pull",
        "compose",
        "buildx",
        "update",
        "rename",
        "connect",
        "-i",
        "/var/run/docker.sock:/s",
        "/:/host",
        "type=bind,source=/,target=/x",
        "a:b",
        "x",
        "busybox",
        "--tty=false",
        "-p8080:80",
        "'",
        '"',
        "\\",
        "=",
        "~",
        ".",
        "..",
        "{{.Names}}",
        "sha256:",
        "\x00",
        "ü",
    ]
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text())
def test_any_text_is_planned_or_refused_never_anything_else(text: str) -> None:
    _try(text)


#: Words as the parser meets them: known ones, arbitrary ones, and mount-like ones.
_ANY_WORD = st.one_of(
    _WORDS,
    st.text(max_size=6),
    st.builds("{}:{}".format, st.text(max_size=6), st.text(max_size=6)),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_ANY_WORD, max_size=12))
def test_any_docker_ish_words_are_planned_or_refused(words: list[str]) -> None:
    _try(" ".join(words))
    _try_words(words)


def _try(text: str) -> None:
    try:
        for line in dockercli.cell_lines(text) or [text]:
            options, words = dockercli.magic_options(dockercli.split(line))
            _try_words(words, options.allow_host)
    except DockerCommandRefused as exc:
        assert str(exc)


def _try_words(words: list[str], allow: bool = False) -> None:
    try:
        result = plan(
            words,
            chapter=CHAPTER,
            allowed_roots=[os.getcwd()],
            allow_host=allow,
        )
    except DockerCommandRefused as exc:
        assert str(exc)
        return
    assert result.argv[0] == "docker"
    assert result.key.startswith("docker")


_SOURCES = st.builds(
    "{}{}".format, st.sampled_from(["/", "./", "~", "../", ""]), st.text(max_size=8)
)


@settings(max_examples=300, deadline=None)
@given(_SOURCES, st.text(max_size=6), st.sampled_from(["-v", "--mount"]))
def test_any_mount_is_planned_or_refused(source: str, target: str, flag: str) -> None:
    spec = (
        f"{source}:{target}" if flag == "-v" else f"type=bind,src={source},dst={target}"
    )
    _try_words(["run", "--rm", flag, spec, IMAGE])


# --- Where the CLI runs -----------------------------------------------------------------


class _Engine:
    def __init__(self, endpoint: str, source: str) -> None:
        self.endpoint, self.endpoint_source = endpoint, source


class _Session:
    def __init__(self, endpoint: str, source: str) -> None:
        self.engine = _Engine(endpoint, source)


def test_the_cli_is_pointed_at_the_session_s_engine_explicitly(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DOCKER_CONTEXT", "somewhere-else")
    session: Any = _Session("tcp://127.0.0.1:2375", "DOCKER_HOST")
    env = cli_magic.cli_env(session)
    assert env["DOCKER_HOST"] == "tcp://127.0.0.1:2375" and "DOCKER_CONTEXT" not in env
    assert cli_magic.terminal_prefix(session) == (
        "DOCKER_HOST=tcp://127.0.0.1:2375",
        "docker",
    )
    monkeypatch.setenv("DOCKER_HOST", "unix:///elsewhere.sock")
    session = _Session("unix:///run/colima.sock", "context colima")
    env = cli_magic.cli_env(session)
    assert env["DOCKER_CONTEXT"] == "colima" and "DOCKER_HOST" not in env
    assert cli_magic.terminal_prefix(session) == ("docker", "--context", "colima")
    session = _Session("unix:///some/engine.sock", "default")
    assert cli_magic.cli_env(session)["DOCKER_HOST"] == "unix:///some/engine.sock"
    assert cli_magic.terminal_prefix(session) == ("docker",)


def test_without_a_session_the_magic_says_to_run_setup_first() -> None:
    import io

    out = io.StringIO()
    assert cli_magic.run_lines(None, ["ps"], out=out) == []
    assert out.getvalue().strip() == t("dockercli.no_session")
