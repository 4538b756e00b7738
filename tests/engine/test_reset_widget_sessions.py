"""The reset widget lists everything the course made on the engine, so a notebook's
reset is a sweep wider than its own session: it must say which items belong to other
notebooks that may still run, before the confirmation (and Cancel removes nothing)."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest

from dockcourse.resources import LABEL_SESSION, labels, new_name, session_id
from dockcourse.text import t
from dockcourse.widgets.reset import reset_button

pytestmark = pytest.mark.engine
CHAPTER = "00-reset"


class _Session:
    def __init__(self, client: Any) -> None:
        self.client = client


def test_other_notebooks_items_are_named_before_confirming(
    client: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    other = "0ther5e5"
    assert other != session_id()
    name = new_name(CHAPTER, "other")
    # labelled with this process's pid: a session that is still running
    client.api.create_volume(name, labels={**labels(CHAPTER), LABEL_SESSION: other})
    try:
        box = reset_button(_Session(client))  # type: ignore[arg-type]
        start, confirm, cancel = box.children[0].children
        capsys.readouterr()
        start.click()
        said = capsys.readouterr().out
        line = next(x for x in said.splitlines() if name in x)
        alive = t("volumes.session.alive")
        assert line.endswith(t("reset.other", session=other, alive=alive))
        warning = t("reset.others_warning", count=1).split("1")[1]
        assert warning in said
        assert confirm.layout.display != "none"
        cancel.click()  # never confirm here: the engine is shared
        assert name in {v["Name"] for v in client.api.volumes()["Volumes"] or []}
    finally:
        with contextlib.suppress(Exception):
            client.api.remove_volume(name)
