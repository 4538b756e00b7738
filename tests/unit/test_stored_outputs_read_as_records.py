"""What a notebook opened without running it shows: the banner and the widgets say
when they were recorded and to run the cell, instead of a claim or a Python repr."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from dockcourse.text import t
from dockcourse.widgets.reset import reset_button
from dockcourse.widgets.volumes import VolumeManager, recorded_stamp

SANITIZE = Path(__file__).resolve().parents[1] / "nbval_sanitize.cfg"


def _sanitize(text: str) -> str:
    from nbval.plugin import get_sanitize_patterns

    for regex, replace in get_sanitize_patterns(SANITIZE.read_text(encoding="utf-8")):
        text = re.sub(regex, replace, text)
    return text


class _NoEngine:
    client = None


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_widgets_carry_a_readable_fallback(
    lang: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dockcourse.text import set_language

    set_language(lang)
    try:
        for widget in (VolumeManager(mode="recorded"), reset_button(_NoEngine())):  # type: ignore[arg-type]
            bundle: Any = widget._repr_mimebundle_()
            plain = bundle["text/plain"]
            assert "application/vnd.jupyter.widget-view+json" in bundle
            assert "children=" not in plain and "Box(" not in plain
            assert recorded_stamp()[:10] in plain  # the day it was recorded
            # the stamp is masked for nbval, so re-running compares equal
            assert _sanitize(plain) == _sanitize(widget.plain_text())
            assert re.search(r"\d{4}-\d\d-\d\d", _sanitize(plain)) is None
    finally:
        set_language(None)


def test_the_banner_in_a_kernel_says_when_it_was_made(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from dockcourse import session as s

    shown: list[Any] = []
    monkeypatch.setattr(s, "_in_kernel", lambda: True)
    monkeypatch.setattr("IPython.display.display", lambda obj, raw: shown.append(obj))
    course = s.Session(chapter="00", mode="recorded", lang="en", image_ref="img")
    s.show_banner(course)
    (bundle,) = shown
    plain = bundle["text/plain"]
    assert plain.startswith(course.banner())
    note = plain.removeprefix(course.banner())
    assert re.fullmatch(
        r"\n— " + re.escape(t("banner.as_of", stamp="@")).replace("@", r"[\d: -]+UTC"),
        note,
    )
    assert _sanitize(plain).endswith(t("banner.as_of", stamp="DATE"))
    assert "text/html" in bundle and "DATE" in _sanitize(bundle["text/html"])
