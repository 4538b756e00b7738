"""Images the learner makes: Dockerfile builds, ``docker commit``, layers and disk.

Everything here takes a client and returns JSON-able data (dicts, lists, numbers,
strings), so a chapter can pass it through ``Session.observe`` and show the same thing
live and recorded. The ``format_*`` functions turn that data into what the equivalent
``docker`` command prints. Every image made here is tagged ``dockcourse/...`` and carries
:func:`course_image_labels` (so ``Session.clean`` removes it). Used by chapters 03
(commit, diff, history, disk) and 04 (builds, the cache, ``.dockerignore``).

Builds go through the Engine API's ``/build`` endpoint, which is the *legacy* builder on
Docker and Buildah on Podman; the ``docker build`` CLI uses BuildKit by default since
Docker Engine 23.0. The three print different logs (``Step 2/5 : …`` and ``---> Using
cache``; ``STEP 2/5: …`` and ``--> Using cache …``; ``#5 [2/5] …`` and ``#5 CACHED``);
:func:`parse_log` reads all three. Their cache rules for ``COPY`` and ``RUN`` are the
ones shown here.
"""

from __future__ import annotations

import re
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .engine import call_timeout
from .errors import CourseError
from .resources import (
    IMAGE_PREFIX,
    LABEL_SESSION,
    course_container,
    full_image_id,
    image_labels,
    normalize_ref,
    session_id,
)
from .units import docker_size

if TYPE_CHECKING:
    import docker

BUILD_TIMEOUT_S = 60.0
RUN_TIMEOUT_S = 30.0
#: ``docker diff`` kinds, as the Engine API numbers them.
DIFF_KINDS = {0: "C", 1: "A", 2: "D"}
#: A step's first line: the classic builder (``Step 2/5 : RUN …``), Buildah/Podman
#: (``STEP 2/5: RUN …``, in a multi-stage build ``[1/2] STEP 2/5: RUN …``) and BuildKit's
#: plain progress (``#6 [2/5] RUN …``, ``#6 [build 2/5] RUN …``).
STEP = re.compile(
    r"^(?:Step (?P<n>\d+)/(?P<m>\d+) : "
    r"|(?:\[\d+/\d+\] )?STEP (?P<pn>\d+)/(?P<pm>\d+): "
    r"|#(?P<vertex>\d+) \[(?:[^\]\s]+ )?(?P<bn>\d+)/(?P<bm>\d+)\] )(?P<instruction>.*)$"
)
#: The classic builder's (``---> Using cache``) and Buildah's (``--> Using cache ID``).
CACHE_MARK = re.compile(r"^-{2,3}> Using cache\b")
#: BuildKit: ``#6 CACHED`` for the step whose vertex is 6.
BUILDKIT_CACHED = re.compile(r"^#(\d+) CACHED$")
#: How the label step the course appends to every Dockerfile is shown.
LABEL_STEP_SHOWN = "LABEL io.dockcourse.*=…"


class BadRef(CourseError, ValueError):
    """An image reference the course may not create (not ``dockcourse/<name>:<tag>``)."""


def check_ref(ref: str) -> tuple[str, str]:
    """``dockcourse/name:tag`` → (repository, tag); anything else is refused."""
    repository, _, tag = ref.rpartition(":")
    if "/" in tag or not repository:
        repository, tag = ref, "latest"
    if not repository.startswith(IMAGE_PREFIX) or not re.fullmatch(
        r"[a-z0-9][a-z0-9._/-]*", repository[len(IMAGE_PREFIX) :] or "-"
    ):
        raise BadRef(f"course images are named {IMAGE_PREFIX}<name>:<tag>, not {ref!r}")
    if not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}", tag):
        raise BadRef(f"{tag!r} is not a valid tag")
    return repository, tag


@cache
def _labels_for(session: str, chapter: str) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(image_labels(chapter).items()))


def course_image_labels(chapter: str) -> dict[str, str]:
    """``image_labels(chapter)``, fixed for this session (so a rebuild hits the cache)."""
    return dict(_labels_for(session_id(), chapter))


def label_instruction(labels: Mapping[str, str]) -> str:
    """One ``LABEL`` line (one build step) for all the labels."""
    pairs = " ".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    return f"LABEL {pairs}"


def label_changes(labels: Mapping[str, str]) -> list[str]:
    """``--change`` lines for ``docker commit`` / ``import``: one ``LABEL`` per label,
    because Podman reads a ``LABEL`` with several pairs there as one label."""
    return [f'LABEL {key}="{value}"' for key, value in sorted(labels.items())]


def _is_course_label(instruction: str) -> bool:
    """The label step the course appends (Buildah quotes the keys: ``LABEL "io…"``)."""
    return instruction.replace('"', "").startswith("LABEL io.dockcourse.")


def match_step(line: str) -> tuple[int, int, str, str] | None:
    """(step, of, instruction, BuildKit vertex or "") when ``line`` starts a build step
    in any of the three logs; None otherwise."""
    found = STEP.match(line.strip())
    if not found:
        return None
    number = found["n"] or found["pn"] or found["bn"]
    total = found["m"] or found["pm"] or found["bm"]
    return int(number), int(total), found["instruction"], found["vertex"] or ""


def parse_log(lines: Sequence[str]) -> list[dict[str, Any]]:
    """Steps of a build log (classic builder, Buildah/Podman or BuildKit): number,
    instruction, and whether it came from the cache."""
    steps: list[dict[str, Any]] = []
    by_vertex: dict[str, dict[str, Any]] = {}
    for line in lines:
        text = line.strip()
        found = match_step(text)
        if found:
            number, _, instruction, vertex = found
            if vertex and vertex in by_vertex:
                continue  # BuildKit repeats a step's header when its output resumes
            step = {"step": number, "instruction": instruction, "cached": False}
            steps.append(step)
            if vertex:
                by_vertex[vertex] = step
            continue
        cached = BUILDKIT_CACHED.match(text)
        if cached:
            if cached[1] in by_vertex:
                by_vertex[cached[1]]["cached"] = True
        elif CACHE_MARK.match(text) and steps:
            steps[-1]["cached"] = True
    return steps


def log_lines(chunks: Sequence[Mapping[str, Any]]) -> tuple[list[str], str]:
    """The build stream's text as lines, and its error (empty when it succeeded)."""
    text = "".join(str(chunk.get("stream", "")) for chunk in chunks)
    error = next((str(c["error"]).strip() for c in chunks if "error" in c), "")
    return [line for line in text.splitlines() if line.strip()], error


def write_context(
    root: Path, dockerfile: str, files: Mapping[str, str | bytes]
) -> None:
    """A build context on disk: the Dockerfile and ``files`` (relative paths)."""
    (root / "Dockerfile").write_text(dockerfile, encoding="utf-8")
    for name, content in files.items():
        target = (root / name).resolve()
        if root.resolve() not in target.parents:
            raise ValueError(f"{name!r} is outside the build context")
        target.parent.mkdir(parents=True, exist_ok=True)
        data = content.encode() if isinstance(content, str) else content
        target.write_bytes(data)


def sent_files(root: Path) -> list[str]:
    """What ``docker build`` sends of ``root``: every file not excluded by
    ``.dockerignore`` (the client applies it; the legacy daemon does not)."""
    from docker.utils.build import exclude_paths

    ignore = root / ".dockerignore"
    patterns: list[str] = []
    if ignore.is_file():
        patterns = [
            line.strip()
            for line in ignore.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")
        ]
    paths: set[str] = exclude_paths(str(root), patterns)
    return sorted(p for p in paths if (root / p).is_file())


def context_files(files: Mapping[str, str | bytes]) -> list[str]:
    """The files of a build context that ``docker build`` would send (after
    ``.dockerignore``, when ``files`` has one), without building anything."""
    with tempfile.TemporaryDirectory(prefix="dockcourse-context-") as tmp:
        root = Path(tmp)
        write_context(root, "", files)
        return [name for name in sent_files(root) if name != "Dockerfile"]


def _image_id(client: docker.DockerClient, ref: str) -> str:
    import docker.errors

    try:
        return str(client.api.inspect_image(ref)["Id"])
    except docker.errors.ImageNotFound:
        return ""


def _drop_superseded(client: docker.DockerClient, image_id: str) -> None:
    """A rebuild moves the tag; the old image, if this session built it and nothing
    else tags or uses it, would stay as ``<none>`` forever: remove it."""
    import docker.errors

    with suppress(docker.errors.APIError):
        found = client.api.inspect_image(image_id)
        labels = found.get("Config", {}).get("Labels") or {}
        if not found.get("RepoTags") and labels.get(LABEL_SESSION) == session_id():
            client.api.remove_image(image_id, noprune=False)


@contextmanager
def _progress(tag: str) -> Iterator[Callable[[str], None]]:
    """A tqdm bar advanced by each ``Step n/m`` of the build log, in notebooks and
    terminals (builds take seconds); silent elsewhere."""
    if not (sys.stderr.isatty() or "ipykernel" in sys.modules):
        yield lambda _: None
        return
    from tqdm.auto import tqdm

    from .text import t

    bar = tqdm(total=0, desc=tag, unit=t("build.progress.unit"), leave=False)

    def advance(text: str) -> None:
        found = match_step(text)
        if found:
            bar.total = found[1]
            bar.update(1)

    try:
        yield advance
    finally:
        bar.close()


def build(
    client: docker.DockerClient,
    dockerfile: str,
    *,
    tag: str,
    chapter: str,
    files: Mapping[str, str | bytes] | None = None,
    nocache: bool = False,
    timeout_s: float = BUILD_TIMEOUT_S,
) -> dict[str, Any]:
    """``docker build -t TAG .`` of ``dockerfile`` and ``files``, timed.

    The course's labels are one ``LABEL`` step appended to the Dockerfile. Returns the
    tag, image id, elapsed_s, the log lines, the steps (with ``cached``), the files sent,
    and ``error`` (empty on success).
    """
    check_ref(tag)
    previous = _image_id(client, tag)
    labelled = (
        f"{dockerfile.rstrip()}\n{label_instruction(course_image_labels(chapter))}\n"
    )
    with tempfile.TemporaryDirectory(prefix="dockcourse-build-") as tmp:
        root = Path(tmp)
        write_context(root, labelled, files or {})
        sent = sent_files(root)
        start = time.perf_counter()
        with call_timeout(client, timeout_s), _progress(tag) as bar:
            chunks = []
            for chunk in client.api.build(
                path=tmp, tag=tag, rm=True, forcerm=True, decode=True, nocache=nocache
            ):
                chunks.append(chunk)
                bar(str(chunk.get("stream", "")))
        elapsed = time.perf_counter() - start
    lines, error = log_lines(chunks)
    image_id = "" if error else _image_id(client, tag)
    if previous and image_id and previous != image_id:
        _drop_superseded(client, previous)
    steps = parse_log(lines)
    return {
        "cacheable": sum(1 for s in steps if not s["instruction"].startswith("FROM ")),
        "tag": tag,
        "image_id": image_id,
        "elapsed_s": elapsed,
        "nocache": nocache,
        "dockerfile": dockerfile,
        "log": lines,
        "steps": steps,
        "cache_hits": sum(1 for s in steps if s["cached"]),
        "sent_files": [name for name in sent if name != "Dockerfile"],
        "error": error,
    }


def build_command(result: Mapping[str, Any]) -> str:
    extra = " --no-cache" if result.get("nocache") else ""
    return f"docker build{extra} -t {result['tag']} ."


def format_build(result: Mapping[str, Any]) -> str:
    """The command and the build log, with the course's label step abbreviated."""
    out = [f"$ {build_command(result)}"]
    for line in result["log"]:
        found = match_step(line)
        if found and _is_course_label(found[2]):
            head = line.strip()[: len(line.strip()) - len(found[2])]
            line = f"{head}{LABEL_STEP_SHOWN}"
        out.append(line)
    if result.get("error"):
        out.append(f"ERROR: {result['error']}")
    return "\n".join(out)


# --- chapter 03: containers, commit, diff, history, disk -------------------------


def _wait(container: Any, timeout_s: float) -> int:
    status = container.wait(timeout=timeout_s)
    return int(status.get("StatusCode", -1))


def diff_of(client: docker.DockerClient, container_id: str) -> list[dict[str, str]]:
    """``docker diff``: what the container's writable layer changed (A, C, D)."""
    changes = client.api.diff(container_id) or []
    return [
        {"kind": DIFF_KINDS.get(int(c["Kind"]), "?"), "path": str(c["Path"])}
        for c in sorted(changes, key=lambda c: str(c["Path"]))
    ]


def _size_rw(client: docker.DockerClient, container_id: str) -> int:
    found = client.api.containers(all=True, size=True, filters={"id": container_id})
    return int(found[0].get("SizeRw") or 0) if found else 0


def run_and_diff(
    client: docker.DockerClient,
    image_ref: str,
    command: str,
    *,
    chapter: str,
    commit_as: str | None = None,
    message: str = "",
    timeout_s: float = RUN_TIMEOUT_S,
) -> dict[str, Any]:
    """Run ``sh -c command`` in a new container, then read its ``docker diff`` and the
    size of its writable layer; with ``commit_as``, ``docker commit`` it into that image.
    The container is removed."""
    if commit_as:
        repository, tag = check_ref(commit_as)
    with course_container(
        client, image_ref, ["sh", "-c", command], chapter=chapter
    ) as c:
        c.start()
        exit_code = _wait(c, timeout_s)
        output = c.logs(stdout=True, stderr=True).decode("utf-8", "replace")
        result: dict[str, Any] = {
            "image_ref": image_ref,
            "command": command,
            "exit_code": exit_code,
            "output": output,
            "diff": diff_of(client, c.id),
            "size_rw_bytes": _size_rw(client, c.id),
        }
        if commit_as:
            labels = course_image_labels(chapter)
            changes = label_changes(labels)
            previous = _image_id(client, commit_as)
            made = client.api.commit(
                c.id, repository=repository, tag=tag, message=message, changes=changes
            )
            result["image_id"] = full_image_id(str(made["Id"]))
            result["tag"] = commit_as
            if previous and previous != result["image_id"]:
                _drop_superseded(client, previous)
    return result


def format_diff(result: Mapping[str, Any]) -> str:
    return "\n".join(f"{d['kind']} {d['path']}" for d in result["diff"])


def image_facts(client: docker.DockerClient, image_ref: str) -> dict[str, Any]:
    """``docker image inspect`` reduced to what chapter 03 teaches."""
    found = client.api.inspect_image(image_ref)
    config = found.get("Config") or {}
    return {
        "image_ref": image_ref,
        "id": str(found["Id"]),
        "size_bytes": int(found.get("Size", 0)),
        "os": str(found.get("Os", "")),
        "architecture": str(found.get("Architecture", "")),
        "variant": str(found.get("Variant", "") or ""),
        "layers": list((found.get("RootFS") or {}).get("Layers") or []),
        "cmd": config.get("Cmd"),
        "entrypoint": config.get("Entrypoint"),
    }


def history(client: docker.DockerClient, image_ref: str) -> list[dict[str, Any]]:
    """``docker history``: newest first, one row per instruction or commit."""
    rows = []
    for entry in client.api.history(image_ref):
        image_id = str(entry.get("Id", ""))
        rows.append(
            {
                "id": image_id.split(":")[-1][:12] if image_id != "<missing>" else "",
                "created_by": str(entry.get("CreatedBy", "")),
                "size_bytes": int(entry.get("Size", 0)),
                "comment": str(entry.get("Comment", "")),
                "tags": [normalize_ref(str(tag)) for tag in entry.get("Tags") or []],
            }
        )
    return rows


def _cut(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def format_history(rows: Sequence[Mapping[str, Any]], *, width: int = 44) -> str:
    """Rows as ``docker history`` prints them (IDs as the legacy builder keeps them)."""
    out = [f"{'IMAGE':<14}{'CREATED BY':<{width + 2}}{'SIZE':>9}  COMMENT"]
    for row in rows:
        created = _cut(row["created_by"], width)
        out.append(
            f"{row['id'] or '<missing>':<14}{created:<{width + 2}}"
            f"{docker_size(row['size_bytes']):>9}  {row['comment']}"
        )
    return "\n".join(out)


DF_WAIT_S = 30.0


def _df(client: docker.DockerClient) -> dict[str, Any]:
    """``docker system df``; the engine runs one at a time and refuses a second
    ("a disk usage operation is already running"), so wait for the other one."""
    import docker.errors

    deadline = time.monotonic() + DF_WAIT_S
    while True:
        try:
            found: dict[str, Any] = client.api.df()
            return found
        except docker.errors.APIError as exc:
            if "already running" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def disk_usage(
    client: docker.DockerClient, refs: Sequence[str]
) -> list[dict[str, Any]]:
    """Per image, what ``docker system df -v`` shows: size, shared size (layers another
    image also uses), unique size, the number of containers, and the layer IDs."""
    wanted = {_bare_id(client.api.inspect_image(ref)["Id"]): ref for ref in refs}
    rows = []
    for image in _df(client).get("Images") or []:
        ref = wanted.get(_bare_id(image["Id"]))
        if ref is None:
            continue
        size, shared = int(image.get("Size", 0)), int(image.get("SharedSize", 0))
        rows.append(
            {
                "image_ref": ref,
                "id": str(image["Id"]).split(":")[-1][:12],
                "size_bytes": size,
                "shared_bytes": max(shared, 0),
                "unique_bytes": size - max(shared, 0),
                "containers": int(image.get("Containers", 0)),
                "layers": list(
                    client.api.inspect_image(ref).get("RootFS", {}).get("Layers") or []
                ),
            }
        )
    return sorted(rows, key=lambda row: list(refs).index(row["image_ref"]))


def _bare_id(image_id: object) -> str:
    """An image id without its algorithm: Podman's ``system df`` leaves ``sha256:`` out."""
    return str(image_id).rpartition(":")[2]


def format_disk(rows: Sequence[Mapping[str, Any]]) -> str:
    """Rows as the images part of ``docker system df -v`` prints them."""
    out = [f"{'IMAGE':<30}{'SIZE':>10}{'SHARED SIZE':>13}{'UNIQUE SIZE':>13}"]
    for row in rows:
        out.append(
            f"{row['image_ref']:<30}{docker_size(row['size_bytes']):>10}"
            f"{docker_size(row['shared_bytes']):>13}"
            f"{docker_size(row['unique_bytes']):>13}"
        )
    return "\n".join(out)


def layer_table(rows: Sequence[Mapping[str, Any]]) -> str:
    """Each image's layers (short diff IDs), bottom layer first: equal IDs are one
    layer on disk."""
    out = []
    for row in rows:
        ids = " ".join(layer.split(":")[-1][:12] for layer in row["layers"])
        out.append(f"{row['image_ref']:<30}{ids}")
    return "\n".join(out)


def containers_of(
    client: docker.DockerClient, image_ref: str, count: int, *, chapter: str
) -> list[dict[str, str]]:
    """Start ``count`` containers from one image; each reports its hostname and the
    image it was made from. All are removed."""
    rows = []
    for _ in range(count):
        with course_container(
            client, image_ref, ["sh", "-c", "hostname"], chapter=chapter
        ) as c:
            c.start()
            _wait(c, RUN_TIMEOUT_S)
            rows.append(
                {
                    "container": c.id[:12],
                    "hostname": c.logs().decode().strip(),
                    "image": str(client.api.inspect_container(c.id)["Image"]),
                }
            )
    return rows


# --- chapter 03: registries and platforms -----------------------------------------


def registry_facts(
    client: docker.DockerClient, image_ref: str = "busybox:latest"
) -> dict[str, Any]:
    """Whether a registry answers, and the platforms its manifest list offers for
    ``image_ref`` (``docker buildx imagetools inspect``; nothing is downloaded)."""
    from .images import registry_answers

    if not registry_answers(client):
        return {"answers": False, "image_ref": image_ref, "platforms": []}
    with call_timeout(client, 15.0):
        found = client.api.inspect_distribution(image_ref)
    platforms = sorted(
        "/".join(
            part
            for part in (p.get("os"), p.get("architecture"), p.get("variant"))
            if part
        )
        for p in found.get("Platforms") or []
    )
    return {
        "answers": True,
        "image_ref": image_ref,
        "digest": str((found.get("Descriptor") or {}).get("digest", "")),
        "platforms": platforms,
    }


def try_pull(
    client: docker.DockerClient, upstream: str, tag: str, *, chapter: str
) -> dict[str, Any]:
    """:func:`registry_facts`, and when a registry answers, :func:`pull_labelled`."""
    facts = registry_facts(client, upstream)
    if facts["answers"]:
        facts["pulled"] = pull_labelled(client, upstream, tag, chapter=chapter)
    return facts


def pull_labelled(
    client: docker.DockerClient, upstream: str, tag: str, *, chapter: str
) -> dict[str, Any]:
    """``docker pull upstream``, kept as ``tag`` with the course's labels (a one-line
    build, no new layer); the upstream tag is removed again unless it was there."""
    import docker.errors

    check_ref(tag)
    had = bool(client.api.images(name=upstream, quiet=True))
    repository, _, version = upstream.partition(":")
    start = time.perf_counter()
    with call_timeout(client, BUILD_TIMEOUT_S):
        pulled = list(
            client.api.pull(
                repository, tag=version or "latest", stream=True, decode=True
            )
        )
    elapsed = time.perf_counter() - start
    _, error = log_lines(pulled)
    if error:
        raise docker.errors.APIError(error)
    result = build(client, f"FROM {upstream}\n", tag=tag, chapter=chapter)
    if not had:
        client.api.remove_image(upstream, noprune=True)
    return {**result, "pull_elapsed_s": elapsed, "upstream": upstream}


#: ELF ``e_machine`` numbers of the CPUs chapter 03 names.
ELF_MACHINE = {"amd64": 62, "arm64": 183, "riscv64": 243}


def elf_header(arch: str) -> bytes:
    """The 64 bytes an ELF executable starts with, for ``arch``: all the kernel reads
    before it refuses a program built for another CPU (``exec format error``)."""
    import struct

    head = bytearray(64)
    head[:7] = b"\x7fELF\x02\x01\x01"  # 64-bit, little-endian, version 1
    struct.pack_into("<HHIQ", head, 16, 2, ELF_MACHINE[arch], 1, 0x400000)
    struct.pack_into("<H", head, 52, 64)
    return bytes(head)


def other_arch(engine_arch: str) -> str:
    """A CPU architecture that is not the engine's (arm64 for amd64 engines)."""
    return "amd64" if engine_arch in ("aarch64", "arm64") else "arm64"


def foreign_image(
    client: docker.DockerClient, tag: str, *, chapter: str, arch: str | None = None
) -> dict[str, Any]:
    """An image whose only program, ``/hello``, is (the header of) a Linux executable
    for another CPU than the engine's: ``docker import`` of a one-file filesystem."""
    import io
    import tarfile

    repository, version = check_ref(tag)
    arch = arch or other_arch(str(client.info().get("Architecture", "")))
    buffer = io.BytesIO()
    data = elf_header(arch)
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        info = tarfile.TarInfo("hello")
        info.size, info.mode = len(data), 0o755
        tar.addfile(info, io.BytesIO(data))
    changes = ['CMD ["/hello"]', *label_changes(course_image_labels(chapter))]
    with call_timeout(client, BUILD_TIMEOUT_S):
        # ``repo=name:tag``: Podman ignores a separate ``tag=`` on import (podman#18597).
        client.api.import_image_from_data(
            buffer.getvalue(), repository=f"{repository}:{version}", changes=changes
        )
    return {**image_facts(client, tag), "binary_arch": arch}
