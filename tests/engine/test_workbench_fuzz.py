"""Arbitrary text in every field of the volume workbench, and as ``dockcourse`` CLI
arguments (Hypothesis, fixed budget): nothing raises, nothing the learner made is
touched, and every message is a catalogue sentence.

Recorded mode runs the same checks as live mode and never reaches the engine, so it gets
the large budget; the live widget gets a small one (a valid path or name starts a helper
container or makes a volume)."""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Iterator
from functools import cache
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dockcourse import volumes as vol
from dockcourse.resources import LABEL_COURSE, LABEL_SESSION, session_id
from dockcourse.text import catalogue, current_language
from dockcourse.widgets.volumes import VolumeManager

pytestmark = pytest.mark.engine
CHAPTER = "06-fuzz"
#: Unlabelled objects older than this are nobody's test fixture: none may go missing.
OLD_S = 3600

# Text as a learner (or a paste) could produce it: any code point, often short.
TEXT = (
    st.text(max_size=80)
    | st.text(max_size=400)
    | st.sampled_from(
        [
            "",
            " ",
            "..",
            "/",
            "~",
            "a" * 300,
            "x=y",
            "type=tmpfs",
            "\x00",
            "/nonexistent/x",
        ]
    )
)
#: Names that pass Docker's rule or nearly do (too long, a reserved form).
NAMES = TEXT | st.from_regex(r"[a-zA-Z0-9][a-zA-Z0-9_.-]{1,70}", fullmatch=True)
FIELDS = st.fixed_dictionaries(
    {
        "create_name": NAMES,
        "create_labels": TEXT,
        "create_opts": TEXT,
        "browse_path": TEXT,
        "backup_path": TEXT,
        "restore_path": TEXT,
        "clone_name": NAMES,
        "use_command": TEXT,
    }
)
SETTINGS = settings(
    max_examples=200,
    deadline=None,
    database=None,  # no .hypothesis folder in the repository
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
LIVE_SETTINGS = settings(
    max_examples=15,
    deadline=None,
    database=None,  # no .hypothesis folder in the repository
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@cache
def _patterns(lang: str) -> tuple[re.Pattern[str], ...]:
    """Each catalogue sentence as a regex: its {fields} match any text."""
    found = []
    for value in catalogue(lang).values():
        parts = re.split(r"\{[^{}]*\}", value)
        found.append(re.compile(".*".join(re.escape(p) for p in parts), re.DOTALL))
    return tuple(found)


UNEXPECTED = "volumes.err.unexpected"


def assert_catalogue_message(message: str) -> None:
    """One or more lines, each block a catalogue sentence; never the 'unexpected' one."""
    lang = current_language()
    unexpected = catalogue(lang)[UNEXPECTED].split("{")[0]
    assert unexpected not in message, message
    assert "Traceback" not in message, message
    assert any(p.fullmatch(message) for p in _patterns(lang)), message


def _click_all(vm: VolumeManager, fields: dict[str, str], target: str) -> None:
    for attr, value in fields.items():
        getattr(vm, attr).value = value
    buttons = [
        vm.create_button, vm.browse_button, vm.backup_button, vm.restore_button,
        vm.clone_button, vm.use_button, vm.remove_button,
    ]  # fmt: skip
    for button in buttons:
        if target in vm.select.options:
            vm.select.value = target
        button.click()
        assert_catalogue_message(vm.last_message)
        assert "ran:" not in vm.command.value or vm.mode == "live"
        if vm.confirm_box.layout.display != "none":
            vm.confirm_no.click()  # never confirm: a question is all a fuzzed click gets


def test_recorded_workbench_takes_any_text(client: Any) -> None:
    vm = VolumeManager(mode="recorded", chapter=CHAPTER)
    target = vm.select.options[0]

    @SETTINGS
    @given(FIELDS)
    def check(fields: dict[str, str]) -> None:
        _click_all(vm, fields, target)

    start = time.monotonic()
    check()
    assert time.monotonic() - start < 60


# ---------------------------------------------------------------------- live engine


def _unlabelled(client: Any) -> dict[str, dict[str, Any]]:
    """The engine's unlabelled (not course-made) volumes and containers, by key."""
    now = time.time()
    found: dict[str, dict[str, Any]] = {}
    for v in client.api.volumes().get("Volumes") or []:
        if (v.get("Labels") or {}).get(LABEL_COURSE) != "true":
            found[f"volume {v['Name']}"] = v
    for c in client.api.containers(all=True):
        if (c.get("Labels") or {}).get(LABEL_COURSE) != "true":
            c["_old"] = now - float(c.get("Created", now)) > OLD_S
            found[f"container {c['Id']}"] = c
    return found


def _old(item: dict[str, Any]) -> bool:
    if "_old" in item:
        return bool(item["_old"])
    created = str(item.get("CreatedAt") or "")
    with contextlib.suppress(ValueError):
        from datetime import datetime

        stamp = datetime.fromisoformat(created.replace("Z", "+00:00"))
        return time.time() - stamp.timestamp() > OLD_S
    return False


def _our_course_volumes(client: Any) -> set[str]:
    flt = {"label": [f"{LABEL_COURSE}=true", f"{LABEL_SESSION}={session_id()}"]}
    return {v["Name"] for v in client.api.volumes(filters=flt).get("Volumes") or []}


@pytest.fixture
def course_volume(client: Any) -> Iterator[str]:
    made = vol.create_volume(client, chapter=CHAPTER).volume.name
    yield made
    with contextlib.suppress(Exception):
        client.api.remove_volume(made)


def test_live_workbench_takes_any_text(
    client: Any, image_ref: str, learner: Any, course_volume: str
) -> None:
    before_ours = _our_course_volumes(client)
    before = _unlabelled(client)
    mine = client.api.inspect_volume(learner.volume)
    vm = VolumeManager(client=client, image_ref=image_ref, chapter=CHAPTER)
    try:

        @LIVE_SETTINGS
        @given(FIELDS, st.booleans())
        def check(fields: dict[str, str], on_learner: bool) -> None:
            vm.refresh()
            _click_all(vm, fields, learner.volume if on_learner else course_volume)

        start = time.monotonic()
        check()
        assert time.monotonic() - start < 60
        after = _unlabelled(client)
        # the learner's volume: still there, unchanged (a restore would change its time)
        assert client.api.inspect_volume(learner.volume) == mine
        gone = [k for k, v in before.items() if k not in after and _old(v)]
        assert gone == []
        # nothing unlabelled was made on the fly from a name typed into a field
        assert not {k for k in after if k not in before and k.startswith("volume ")}
    finally:
        vm.wait_for_sizes(30)
        for name in _our_course_volumes(client) - before_ours:  # made by a valid name
            with contextlib.suppress(Exception):
                vol.remove_volume(client, name)


# ------------------------------------------------------------------------------ CLI

#: What a fuzzed command line may run: only what changes nothing.
HARMLESS = {("clean", True)}


@SETTINGS
@given(
    st.lists(TEXT, max_size=4)
    | st.tuples(st.sampled_from(["clean", "doctor", "image", "record", "bench"]),
                st.lists(TEXT, max_size=3)).map(lambda x: [x[0], *x[1]])
)  # fmt: skip
def test_cli_takes_any_arguments(argv: list[str]) -> None:
    from dockcourse.cli import build_parser, main

    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # argparse's refusal (its usage text), or --help
        assert exc.code in (0, 2)
        return
    if (args.command, bool(getattr(args, "dry_run", False))) not in HARMLESS:
        return  # parsed: a real command, not run here (it would change the engine)
    assert main(argv) in (0, 1)
