#!/usr/bin/env python3
"""The compatibility matrix: every chapter, both editions, on every engine target we can start.

    ./course test --matrix                         every target, every chapter, both editions
    ./course test --matrix --targets podman,vm --chapters 00,03,06
    ./course test --matrix --passes answers        the official answers only (quicker)

Targets (each started by its own script in scripts/engines/ and stopped again if we started it):

    docker-root   the engine DOCKER_HOST/the current context names, as root
    docker-user   the same engine, as an ordinary user in the docker group
    rootless      rootless Docker of an ordinary user (scripts/engines/rootless)
    podman        Podman's Docker-compatible socket (scripts/engines/podman)
    vm            Docker in a QEMU VM, reached over 127.0.0.1 (scripts/engines/vm)
    vm-podman     Podman 5 in the same VM, through its Docker-compatible API

Each chapter runs top to bottom with nbval in lax mode (no cell may raise; stored outputs,
which come from one engine, are not compared), in two passes (``--passes``, both by
default): ``answers``, with the official answers (tests/solutions.json) put into the
exercise cells, where every exercise check must say ✔; and ``none``, with nothing typed
(pytest's ``--exercise-solutions=none``), where no check may say ✔ and the chapter must
still run to its end. A chapter is ✔ on a target only if every pass that ran passed.
Before and after each target a learner's own unlabelled volume ``myvolume`` is checked to
keep its files: an engine's own ``myvolume`` is only read (a shared engine, docker-user's,
may hold a learner's), and one the matrix makes, holding a file, is removed after. The
result is written to ``docs/compatibility.json`` and ``docs/compatibility.md``, and the
README's table between its matrix markers is replaced, with the date. On an engine the
matrix started itself (rootless, Podman, the VM), ``dockcourse clean --all`` then runs as the
learner and nothing with the course's labels may be left (asked with the plain CLI). A
target that cannot be started here is reported as "not run" with the reason, never as
passed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import fcntl
import hashlib
import json
import os
import pwd
import re
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ENGINES = ROOT / "scripts" / "engines"
DOCS = ROOT / "docs"
STATE = Path("/var/tmp/dockcourse-engines")
# A venv ordinary users can run (not under /root), one per checkout it installs from.
SYSTEM_VENV = STATE / f"venv-{hashlib.sha256(str(ROOT).encode()).hexdigest()[:8]}"
LEARNER = "dockcourse-learner"
ROOTLESS_USER = "dockcourse-rootless"
README_START = "<!-- matrix:start -->"
README_END = "<!-- matrix:end -->"
ALL_TARGETS = ("docker-root", "docker-user", "rootless", "podman", "vm", "vm-podman")
CHAPTER_TIMEOUT_S = 1200
MARKER_VOLUME = "myvolume"
# pass name -> (pytest arguments, what it proves, for the table's heading)
PASSES = {
    "answers": ([], "with the official answers typed, every exercise check must say ✔"),
    "none": (
        ["--exercise-solutions=none"],
        "with nothing typed, no exercise check may say ✔",
    ),
}


@dataclass
class PassResult:
    name: str  # a key of PASSES
    passed: bool
    seconds: float
    error: str = ""


@dataclass
class ChapterResult:
    notebook: str
    passed: bool  # every pass that ran passed
    seconds: float  # all passes together
    error: str = ""  # the first failed pass's first error, prefixed with its name
    # Results written before passes existed ran the official answers only.
    passes: list[PassResult] = field(
        default_factory=lambda: [PassResult("answers", True, 0.0)]
    )

    @classmethod
    def from_json(cls, item: dict[str, Any]) -> ChapterResult:
        item = dict(item)
        passes = item.pop("passes", None)
        found = cls(**item)
        if passes is None:
            found.passes = [
                PassResult("answers", found.passed, found.seconds, found.error)
            ]
        else:
            found.passes = [PassResult(**p) for p in passes]
        return found

    @classmethod
    def of(cls, notebook: str, passes: list[PassResult]) -> ChapterResult:
        failed = [p for p in passes if not p.passed]
        return cls(
            notebook,
            passed=not failed,
            seconds=round(sum(p.seconds for p in passes), 1),
            error=f"{failed[0].name}: {failed[0].error}" if failed else "",
            passes=passes,
        )

    def pass_names(self) -> list[str]:
        return [p.name for p in self.passes]


@dataclass
class TargetResult:
    target: str
    ran: bool
    reason: str = ""
    engine: str = ""
    user: str = "root"
    chapters: list[ChapterResult] = field(default_factory=list)
    learner_volume_survived: bool | None = None
    #: course objects left after ``dockcourse clean --all`` (None: not checked)
    left_after_clean: int | None = None
    date: str = ""
    commit: str = ""


def say(message: str) -> None:
    print(f"[matrix] {message}", flush=True)


def run(
    argv: list[str], env: dict[str, str] | None = None, timeout: float = 600
) -> str:
    done = subprocess.run(
        argv, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(
            (done.stderr or done.stdout).strip().splitlines()[-1:] or ["?"]
        )
    return done.stdout


def engine_env(base: dict[str, str], docker_host: str | None) -> dict[str, str]:
    env = dict(base)
    env.pop("DOCKCOURSE_MODE", None)
    if docker_host:
        env["DOCKER_HOST"] = docker_host
    return env


def describe_engine(env: dict[str, str]) -> str:
    fmt = (
        "{{.ServerVersion}} · {{.OperatingSystem}} · {{.Driver}} · "
        "cgroup v{{.CgroupVersion}} · {{.Architecture}}"
    )
    try:
        info = run(["docker", "info", "--format", fmt], env=env, timeout=60).strip()
        opts = run(
            ["docker", "info", "--format", "{{.SecurityOptions}}"], env=env
        ).strip()
    except (RuntimeError, subprocess.TimeoutExpired, FileNotFoundError) as exc:
        return f"unknown ({exc})"
    return info + (" · rootless" if "rootless" in opts else "")


def script_env(script: str, *env_args: str) -> str:
    """Start an engine script and return its DOCKER_HOST (from ``script env``)."""
    path = ENGINES / script
    if not path.exists():
        raise RuntimeError(f"scripts/engines/{script} does not exist")
    run([str(path), "start"], timeout=1800)
    line = run([str(path), "env", *env_args]).strip().splitlines()[-1]
    return line.split("DOCKER_HOST=", 1)[1].strip().strip("'\"")


def ensure_user(name: str, groups: list[str]) -> None:
    try:
        pwd.getpwnam(name)
    except KeyError:
        run(
            [
                "useradd",
                "-m",
                "-s",
                "/bin/bash",
                *(["-G", ",".join(groups)] if groups else []),
                name,
            ]
        )
    home = Path(pwd.getpwnam(name).pw_dir)
    home.chmod(0o700)
    for group in groups:
        run(["usermod", "-aG", group, name])


def system_venv() -> Path:
    """A venv on the system Python that ordinary users can execute, with the course installed."""
    python = SYSTEM_VENV / "bin" / "python"
    stamp = SYSTEM_VENV / ".installed"
    pyproject = ROOT / "pyproject.toml"
    if (
        python.exists()
        and stamp.exists()
        and stamp.stat().st_mtime >= pyproject.stat().st_mtime
    ):
        return python
    say(f"making a venv ordinary users can run: {SYSTEM_VENV}")
    SYSTEM_VENV.parent.mkdir(parents=True, exist_ok=True)
    run(["/usr/bin/python3", "-m", "venv", str(SYSTEM_VENV)])
    run(
        [str(python), "-m", "pip", "install", "-q", "-e", f"{ROOT}[test]"], timeout=1800
    )
    for path in [SYSTEM_VENV, *SYSTEM_VENV.rglob("*")]:
        if path.is_dir():
            path.chmod(0o755)
    stamp.touch()
    return python


def has_learner_volume(env: dict[str, str]) -> bool:
    found = subprocess.run(
        ["docker", "volume", "inspect", MARKER_VOLUME],
        env=env,
        capture_output=True,
        check=False,
    )
    return found.returncode == 0


def learner_files(env: dict[str, str]) -> str | None:
    """The files of the engine's ``myvolume`` (path and checksum per line), read through a
    read-only mount, or None when the engine has no such volume."""
    from dockcourse.images import course_image_ref

    if not has_learner_volume(env):
        return None
    return run(
        [
            *("docker", "run", "--rm", "-v", f"{MARKER_VOLUME}:/data:ro"),
            course_image_ref(),
            *("sh", "-c", "cd /data && find . -type f | sort | xargs -r md5sum"),
        ],
        env=env,
        timeout=120,
    )


def make_learner_volume(env: dict[str, str]) -> None:
    """A learner's own unlabelled ``myvolume`` holding one file, for an engine that has
    none (a learner's own is never written, only read: the target may be a shared
    engine, e.g. docker-user)."""
    from dockcourse.images import course_image_ref

    run(["docker", "volume", "create", MARKER_VOLUME], env=env)
    run(
        [
            *("docker", "run", "--rm", "-v", f"{MARKER_VOLUME}:/data"),
            course_image_ref(),
            *("sh", "-c", "echo mine > /data/learner.txt"),
        ],
        env=env,
        timeout=120,
    )


#: What ``dockcourse clean --all`` must leave of the course: nothing with these labels.
COURSE_FILTERS = (
    ("ps", "-aq", "--filter", "label=io.dockcourse.course"),
    ("volume", "ls", "-q", "--filter", "label=io.dockcourse.course"),
    ("images", "-q", "--filter", "label=io.dockcourse.course"),
    ("images", "-q", "--filter", "label=io.dockcourse.image"),
)


def course_left_after_clean(python: Path, env: dict[str, str], user: str) -> int:
    """Run ``dockcourse clean --all`` as the learner, then count what still carries the
    course's labels (containers, volumes, images), asked of the engine with the plain CLI
    (Podman's two-label image filter is unreliable: one label per query)."""
    argv = as_user([str(python), "-m", "dockcourse", "clean", "--all"], env, user)
    subprocess.run(argv, env=env, capture_output=True, timeout=600, check=False)
    left: set[str] = set()
    for query in COURSE_FILTERS:
        left |= set(run(["docker", *query], env=env, timeout=120).split())
    return len(left)


def run_chapters(
    result: TargetResult,
    python: Path,
    env: dict[str, str],
    notebooks: list[Path],
    user: str,
    passes: list[str],
) -> None:
    pytest = [
        str(python),
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        "-q",
        "--nbval-lax",
        "--nbval-current-env",
        f"--rootdir={ROOT}",
    ]
    for nb in notebooks:
        rel = str(nb.relative_to(ROOT))
        runs = [
            run_pass(name, [*pytest, *PASSES[name][0], str(nb)], env, user)
            for name in passes
        ]
        chapter = ChapterResult.of(rel, runs)
        result.chapters.append(chapter)
        verdicts = ", ".join(
            f"{p.name} {'pass' if p.passed else 'FAIL'} {p.seconds:.0f} s" for p in runs
        )
        say(
            f"  {'pass' if chapter.passed else 'FAIL'} {rel} ({verdicts})"
            + ("" if chapter.passed else ": " + chapter.error)
        )


def as_user(argv: list[str], env: dict[str, str], user: str) -> list[str]:
    """``argv`` run as ``user`` (root: as it is) with only the engine's and the course's
    variables of ``env``."""
    if user != "root":
        home = pwd.getpwnam(user).pw_dir
        keep = {
            k: v
            for k, v in env.items()
            if k.startswith(("DOCKER_", "DOCKCOURSE_", "PYTEST_ADDOPTS"))
        }
        argv = [
            "runuser",
            "-u",
            user,
            "--",
            "env",
            "-i",
            f"HOME={home}",
            f"USER={user}",
            "PATH=/usr/local/bin:/usr/bin:/bin",
            "LANG=C.UTF-8",
            *(f"{k}={v}" for k, v in keep.items()),
            *argv,
        ]
    return argv


def run_pass(name: str, argv: list[str], env: dict[str, str], user: str) -> PassResult:
    """One pass of one chapter under pytest + nbval, as ``user``."""
    argv = as_user(argv, env, user)
    start = time.monotonic()
    try:
        done = subprocess.run(
            argv,
            env=env,
            capture_output=True,
            text=True,
            timeout=CHAPTER_TIMEOUT_S,
            cwd="/tmp",
            check=False,
        )
        ok, output = done.returncode == 0, done.stdout + done.stderr
    except subprocess.TimeoutExpired:
        ok, output = False, f"timed out after {CHAPTER_TIMEOUT_S} s"
    seconds = time.monotonic() - start
    return PassResult(name, ok, round(seconds, 1), "" if ok else first_error(output))


ANSI = re.compile(r"\x1b\[[0-9;]*m")


def first_error(output: str) -> str:
    lines = [ANSI.sub("", ln).strip() for ln in output.splitlines() if ln.strip()]
    for ln in lines:
        if ln.startswith(("E ", "FAILED")) or "Error:" in ln or "Exception" in ln:
            return ln[:200]
    return (lines[-1] if lines else "failed")[:200]


def start_target(name: str) -> tuple[str | None, str, bool]:
    """(DOCKER_HOST or None for the default, the user to run as, started-by-us)."""
    if name == "docker-root":
        return os.environ.get("DOCKER_HOST"), "root", False
    if name == "docker-user":
        if os.environ.get("DOCKER_HOST", "unix://").startswith("unix://") is False:
            raise RuntimeError("the default engine is not a local socket")
        ensure_user(LEARNER, ["docker"])
        return os.environ.get("DOCKER_HOST"), LEARNER, False
    if name == "rootless":
        return script_env("rootless"), ROOTLESS_USER, True
    if name in ("podman", "vm"):
        return script_env(name), "root", True
    if name == "vm-podman":
        return script_env("vm", "--podman"), "root", True
    raise RuntimeError(f"unknown target {name}")


def stop_target(name: str) -> None:
    script = "vm" if name == "vm-podman" else name
    if script in ("rootless", "podman", "vm") and (ENGINES / script).exists():
        subprocess.run(
            [str(ENGINES / script), "stop"], capture_output=True, check=False
        )


def current_commit() -> str:
    try:
        out = run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"]).strip()
        dirty = run(
            [
                "git",
                "-C",
                str(ROOT),
                "status",
                "--porcelain",
                "--",
                "dockcourse",
                "notebooks",
            ]
        ).strip()
    except (RuntimeError, FileNotFoundError):
        return "unknown"
    return out + ("+changes" if dirty else "")


def merged(results: list[TargetResult]) -> list[TargetResult]:
    """This run's targets, plus those an earlier run recorded and this one did not run."""
    path = DOCS / "compatibility.json"
    if not path.exists():
        return results
    try:
        old = json.loads(path.read_text(encoding="utf-8")).get("targets", [])
    except ValueError:
        return results
    by_name = {r.target: r for r in results}
    kept = []
    for item in old:
        chapters = [ChapterResult.from_json(c) for c in item.pop("chapters", [])]
        new = by_name.get(item.get("target", ""))
        if new is None:
            kept.append(TargetResult(**item, chapters=chapters))
        elif new.ran:
            # A run of some chapters keeps the earlier results of the others, dated.
            done = {c.notebook for c in new.chapters}
            earlier = [c for c in chapters if c.notebook not in done]
            new.chapters = sorted(new.chapters + earlier, key=lambda c: c.notebook)
            if earlier:
                older = str(item.get("commit", "")).replace(" (other chapters: ", ", ")
                new.commit = f"{new.commit}, {older.rstrip(')')}"
    order = {name: i for i, name in enumerate(ALL_TARGETS)}
    return sorted(results + kept, key=lambda r: order.get(r.target, 99))


def passes_ran(results: list[TargetResult]) -> list[str]:
    """Every pass any chapter in the table ran, in PASSES' order."""
    found = {p for r in results if r.ran for c in r.chapters for p in c.pass_names()}
    return [name for name in PASSES if name in found]


def cell(chapter: ChapterResult | None, ran: list[str]) -> str:
    """A chapter's cell: ✔ only if every pass it ran passed; the passes it ran, when
    they are fewer than the table's heading names."""
    if chapter is None:
        return "–"
    mark = "✔" if chapter.passed else "✘"
    mine = chapter.pass_names()
    if [name for name in ran if name in mine] != ran:
        mark += " (" + ", ".join(f"`{name}`" for name in mine) + " only)"
    return mark


def heading(today: str, ran: list[str]) -> str:
    what = "; ".join(f"`{name}`: {PASSES[name][1]}" for name in ran)
    passes = "one pass" if len(ran) == 1 else f"{len(ran)} passes"
    return (
        f"Compatibility matrix, last run on {today} by `./course test --matrix`: each "
        f"chapter top to bottom, {passes} ({what}); in every pass no cell may raise, "
        "and a learner's own `myvolume` must survive:"
    )


def write_outputs(results: list[TargetResult], notebooks: list[Path]) -> str:
    """Merge this run into the matrix and write it; one writer at a time (runs of
    different targets may finish together)."""
    DOCS.mkdir(exist_ok=True)
    with open(DOCS / ".compatibility.lock", "w", encoding="utf-8") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _write_outputs(results, notebooks)


def _write_outputs(results: list[TargetResult], notebooks: list[Path]) -> str:
    today = dt.date.today().isoformat()
    commit = current_commit()
    for r in results:
        r.date, r.commit = today, commit
    results = merged(results)
    DOCS.mkdir(exist_ok=True)
    (DOCS / "compatibility.json").write_text(
        json.dumps(
            {"date": today, "targets": [asdict(r) for r in results]},
            indent=1,
            ensure_ascii=False,
        )
        + "\n",
        encoding="utf-8",
    )
    # Every chapter any target has a result for (this run's and earlier runs').
    names = sorted(
        {
            c.notebook.removeprefix("notebooks/").removesuffix(".ipynb")
            for r in results
            for c in r.chapters
        }
        | {
            str(nb.relative_to(ROOT / "notebooks")).removesuffix(".ipynb")
            for nb in notebooks
        }
    )
    head = "| chapter | " + " | ".join(r.target for r in results) + " |"
    rows = [head, "|" + "---|" * (len(results) + 1)]
    ran = passes_ran(results)
    for name in names:
        cells = []
        for r in results:
            if not r.ran:
                cells.append("not run")
                continue
            c = next(
                (c for c in r.chapters if c.notebook.endswith(name + ".ipynb")), None
            )
            cells.append(cell(c, ran))
        rows.append(f"| {name} | " + " | ".join(cells) + " |")
    lines = [heading(today, ran), "", *rows, ""]
    for r in results:
        survived = {True: "kept", False: "NOT kept", None: "not checked"}[
            r.learner_volume_survived
        ]
        cleaned = {
            None: "",
            0: "after `dockcourse clean --all` nothing of the course left; ",
        }.get(
            r.left_after_clean,
            f"after `dockcourse clean --all` **{r.left_after_clean} course objects "
            "left**; ",
        )
        detail = (
            f"{r.engine}; as {r.user}; learner's `myvolume`: {survived}; {cleaned}"
            f"run {r.date} at {r.commit}"
            if r.ran
            else f"not run: {r.reason}"
        )
        lines.append(f"* **{r.target}**: {detail}")
        for c in r.chapters:
            for p in c.passes:
                if not p.passed:
                    lines.append(f"  * ✘ {c.notebook}, pass `{p.name}`: `{p.error}`")
    table = "\n".join(lines) + "\n"
    (DOCS / "compatibility.md").write_text(
        "# Engine compatibility\n\n" + table, encoding="utf-8"
    )
    readme = ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    if README_START in text and README_END in text:
        before, rest = text.split(README_START, 1)
        _, after = rest.split(README_END, 1)
        readme.write_text(
            f"{before}{README_START}\n{table}{README_END}{after}", encoding="utf-8"
        )
    return table


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", default=",".join(ALL_TARGETS))
    parser.add_argument("--chapters", default="", help="e.g. 00,03,06 (default: all)")
    parser.add_argument("--editions", default="en,ja")
    parser.add_argument(
        "--passes",
        default=",".join(PASSES),
        help="answers (official answers typed), none (nothing typed), or both "
        "(default: answers,none)",
    )
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    targets = [t for t in args.targets.split(",") if t]
    chapters = {c for c in args.chapters.split(",") if c}
    passes = [p for p in args.passes.split(",") if p]
    if not passes or set(passes) - set(PASSES):
        parser.error(f"--passes: one or more of {', '.join(PASSES)}")
    notebooks = sorted(
        nb
        for ed in args.editions.split(",")
        for nb in (ROOT / "notebooks" / ed).glob("*.ipynb")
        if not chapters or nb.name[:2] in chapters
    )
    is_root = os.geteuid() == 0
    results: list[TargetResult] = []
    for name in targets:
        result = TargetResult(name, ran=False)
        results.append(result)
        if name != "docker-root" and not is_root:
            result.reason = "starting this target needs root"
            say(f"{name}: not run ({result.reason})")
            continue
        if shutil.which("docker") is None:
            result.reason = "no docker CLI"
            continue
        try:
            say(f"{name}: starting")
            host, user, started = start_target(name)
        except (RuntimeError, subprocess.TimeoutExpired, OSError) as exc:
            result.reason = f"could not start: {exc}"
            say(f"{name}: not run ({result.reason})")
            stop_target(name)
            continue
        try:
            env = engine_env(dict(os.environ), host)
            python = Path(sys.executable) if user == "root" else system_venv()
            result.ran, result.user, result.engine = True, user, describe_engine(env)
            say(f"{name}: {result.engine} (as {user})")
            run([str(python), "-m", "dockcourse", "image"], env=env, timeout=900)
            # A learner's own myvolume is only read; one we make is removed after.
            made = not has_learner_volume(env)
            try:
                try:
                    if made:
                        make_learner_volume(env)
                    files = learner_files(env)
                except (RuntimeError, subprocess.TimeoutExpired) as exc:
                    files = None
                    say(f"{name}: `myvolume` not checked ({exc})")
                run_chapters(result, python, env, notebooks, user, passes)
                # Only on an engine this run started: on a shared one (docker-root,
                # docker-user) other notebooks' objects may rightly still be there.
                try:
                    if started:
                        result.left_after_clean = course_left_after_clean(
                            python, env, user
                        )
                        say(
                            f"{name}: left after `dockcourse clean --all`: "
                            f"{result.left_after_clean}"
                        )
                except (RuntimeError, subprocess.TimeoutExpired) as exc:
                    say(f"{name}: `dockcourse clean --all` not checked ({exc})")
                if files is not None:
                    try:
                        # the clean took the course image, which reads the volume:
                        # back first, then myvolume must have come through it all
                        if started:
                            run(
                                [str(python), "-m", "dockcourse", "image"],
                                env=env,
                                timeout=900,
                            )
                        after = learner_files(env)
                    except (RuntimeError, subprocess.TimeoutExpired):
                        after = None
                    result.learner_volume_survived = after == files
            finally:
                if made:
                    subprocess.run(
                        ["docker", "volume", "rm", MARKER_VOLUME],
                        env=env,
                        capture_output=True,
                        check=False,
                    )
        except (RuntimeError, subprocess.TimeoutExpired, OSError) as exc:
            result.reason = f"stopped: {exc}"
            say(f"{name}: {result.reason}")
        finally:
            if started:
                stop_target(name)
    table = write_outputs(results, notebooks) if not args.no_write else ""
    print(table)
    failed = (
        any(not c.passed for r in results for c in r.chapters)
        or any(r.learner_volume_survived is False for r in results)
        or any(r.left_after_clean for r in results)
    )
    # CI sets DOCKCOURSE_REQUIRE_TARGETS=1: there a target that did not run is a failure.
    if os.environ.get("DOCKCOURSE_REQUIRE_TARGETS") == "1":
        for r in results:
            if not r.ran or r.reason:
                say(f"{r.target}: required but {r.reason or 'not run'}")
                failed = True

    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
