"""Message catalogues: every key has a text, placeholders agree across languages."""

from __future__ import annotations

import string

import pytest

from dockcourse.text import LANGUAGES, catalogue, language_from_env, set_language, t


def _fields(template: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(template) if f}


def test_language_from_env() -> None:
    assert language_from_env({"DOCKCOURSE_LANG": "ja"}) == "ja"
    assert language_from_env({"LANG": "ja_JP.UTF-8"}) == "ja"
    assert language_from_env({"LANG": "de_DE.UTF-8"}) == "en"
    assert language_from_env({"DOCKCOURSE_LANG": "en", "LANG": "ja_JP.UTF-8"}) == "en"


def test_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="choose one of"):
        set_language("xx")


def test_missing_key_is_an_error() -> None:
    with pytest.raises(KeyError):
        t("no.such.key")


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if catalogue(lang)])
def test_placeholders_match_english(lang: str) -> None:
    english = catalogue("en")
    for key, text in catalogue(lang).items():
        assert key in english, f"{lang}: {key} is not in the English catalogue"
        assert _fields(text) == _fields(english[key]), (
            f"{lang}: {key} placeholders differ"
        )


def test_columns_count_wide_characters_twice() -> None:
    from dockcourse.text import aligned_lines

    lines = aligned_lines([["名前空間", "x"], ["uts", "y"]])
    assert lines == ["名前空間  x", "uts       y"]
