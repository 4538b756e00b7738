"""Chapter 03's checks pass on a correct answer and fail, with a hint, on wrong ones."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import pytest

from dockcourse import builds
from dockcourse.checks import ch03
from dockcourse.resources import clean_chapter

pytestmark = pytest.mark.engine
CHAPTER = "03-test-checks"


@pytest.fixture
def refs(client: Any) -> Iterator[tuple[str, str]]:
    tag = secrets.token_hex(3)
    yield f"dockcourse/test-ch03-mine-{tag}:1", f"dockcourse/test-ch03-two-{tag}:1"
    clean_chapter(client, CHAPTER)


def _commit(client: Any, image: str, command: str, ref: str) -> None:
    builds.run_and_diff(client, image, command, chapter=CHAPTER, commit_as=ref)


def test_mine_passes_on_a_correct_answer(
    client: Any, image_ref: str, refs: Any
) -> None:
    mine, two = refs
    _commit(client, image_ref, "echo hello layers > /greeting.txt", mine)
    assert ch03.inspect_mine(client, mine).passed
    _commit(client, mine, "echo two > /second.txt", two)
    assert ch03.inspect_two(client, two, mine).passed


def test_mine_fails_when_missing_or_wrong(
    client: Any, image_ref: str, refs: Any
) -> None:
    mine, _ = refs
    verdict = ch03.inspect_mine(client, mine)
    assert not verdict and "no image" in verdict.detail and verdict.hint
    _commit(client, image_ref, "echo hello > /greeting.txt", mine)
    verdict = ch03.inspect_mine(client, mine)
    assert (
        not verdict and "'hello'" in verdict.detail and "hello layers" in verdict.hint
    )
    _commit(client, image_ref, "echo hi > /other.txt", mine)
    verdict = ch03.inspect_mine(client, mine)
    assert not verdict and "no /greeting.txt" in verdict.detail


def test_two_fails_when_not_built_on_mine(
    client: Any, image_ref: str, refs: Any
) -> None:
    mine, two = refs
    _commit(client, image_ref, "echo hello layers > /greeting.txt", mine)
    _commit(client, image_ref, "echo two > /second.txt", two)
    verdict = ch03.inspect_two(client, two, mine)
    assert not verdict and "does not start with the layers" in verdict.detail
    assert mine in verdict.hint
    _commit(client, mine, "echo x > /x.txt", two)
    verdict = ch03.inspect_two(client, two, mine)
    assert not verdict and "no /second.txt" in verdict.detail
