"""Chapter 04's checks pass on a correct answer and fail, with a hint, on wrong ones."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import pytest

from dockcourse import builds
from dockcourse.checks import ch04
from dockcourse.resources import clean_chapter

pytestmark = pytest.mark.engine
CHAPTER = "04-test-checks"


@pytest.fixture
def ref(client: Any) -> Iterator[str]:
    yield f"dockcourse/test-ch04-{secrets.token_hex(3)}:1"
    clean_chapter(client, CHAPTER)
    clean_chapter(
        client, ch04.CHAPTER
    )  # the order check builds with the chapter's labels


def _build(client: Any, text: str, ref: str) -> None:
    assert builds.build(client, text, tag=ref, chapter=CHAPTER)["error"] == ""


def test_hello(client: Any, image_ref: str, ref: str) -> None:
    verdict = ch04.inspect_hello(client, ref)
    assert not verdict and "no image" in verdict.detail
    _build(client, f'FROM {image_ref}\nCMD ["echo", "hi"]\n', ref)
    verdict = ch04.inspect_hello(client, ref)
    assert not verdict and "'hi'" in verdict.detail and "CMD" in verdict.hint
    _build(client, f'FROM {image_ref}\nCMD ["echo", "hello"]\n', ref)
    assert ch04.inspect_hello(client, ref).passed


def test_greet(client: Any, image_ref: str, ref: str) -> None:
    _build(client, f'FROM {image_ref}\nCMD ["echo", "hello", "world"]\n', ref)
    verdict = ch04.inspect_greet(client, ref)
    assert not verdict and "no ENTRYPOINT" in verdict.detail and verdict.hint
    _build(client, f'FROM {image_ref}\nENTRYPOINT ["echo", "hello"]\n', ref)
    verdict = ch04.inspect_greet(client, ref)
    assert not verdict and "'hello world'" in verdict.detail
    _build(
        client, f'FROM {image_ref}\nENTRYPOINT ["echo", "hello"]\nCMD ["world"]\n', ref
    )
    assert ch04.inspect_greet(client, ref).passed


def test_order(client: Any, image_ref: str, ref: str) -> None:
    slow = "RUN sleep 0.2 && echo tools > /tools.txt"
    copy = "COPY app.txt /app/app.txt"
    bad = f"FROM {image_ref}\n{copy}\n{slow}\n"
    verdict = ch04.inspect_order(client, bad, ref)
    assert (
        not verdict and "ran again" in verdict.detail and "before COPY" in verdict.hint
    )
    good = f"FROM {image_ref}\n{slow}\n{copy}\n"
    assert ch04.inspect_order(client, good, ref).passed
    verdict = ch04.inspect_order(client, f"FROM {image_ref}\n{slow}\n", ref)
    assert not verdict and "app.txt" in verdict.detail
    verdict = ch04.inspect_order(
        client, f"FROM {image_ref}\n{slow}\nCOPY app.txt nope/ x\n", ref
    )
    assert not verdict
