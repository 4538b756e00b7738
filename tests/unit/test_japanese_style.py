"""The Japanese edition follows one house style (CONTRIBUTING.md, "Japanese style guide").

What a machine can check is checked here, over every Japanese catalogue value
(``data/text/ja.json``, ``data/text/ja/*.json``) and every Japanese notebook's Markdown and
stored outputs (``notebooks/ja/*.ipynb``):

* no English sentence reaches the learner (commands, identifiers, paths, units, code spans,
  tool output, titles and "quoted" text are not sentences, see ``english_sentences``);
* none of the variants the guide rejected (原典, サーバー, あなた, ふつう, セクション, 1つ,
  03章, —, an ASCII colon or parenthesis right after Japanese text, …);
* core terms glossed with their English once per chapter, never in messages.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest

from dockcourse.text import catalogue

ROOT = Path(__file__).resolve().parents[2]
TEXT = ROOT / "dockcourse" / "data" / "text"
JA_NOTEBOOKS = sorted((ROOT / "notebooks" / "ja").glob("[0-9][0-9]_*.ipynb"))

KANA_KANJI = "\u3041-\u309f\u30a1-\u30fa\u30fc-\u30ff\u4e00-\u9fff\u3005"  # かな, 漢字, 々 (not ・)
JAPANESE = re.compile(f"[{KANA_KANJI}]")
#: Japanese text for the punctuation rules: kana, kanji and full-width closing marks.
JAPANESE_END = f"[{KANA_KANJI}）」』]"

# --------------------------------------------------------------------------- detector

#: English words that hold a sentence together. A run of plain words is a sentence only
#: when it has some of these: "docker run --rm" and "Docker Engine" have none.
FUNCTION_WORDS = frozenset(
    {
        "a",
        "an",
        "the",
        "of",
        "to",
        "in",
        "on",
        "at",
        "by",
        "for",
        "from",
        "with",
        "within",
        "without",
        "into",
        "onto",
        "over",
        "under",
        "about",
        "after",
        "before",
        "than",
        "then",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "am",
        "do",
        "does",
        "did",
        "done",
        "not",
        "no",
        "nor",
        "can",
        "cannot",
        "could",
        "would",
        "should",
        "will",
        "shall",
        "may",
        "might",
        "must",
        "has",
        "have",
        "had",
        "having",
        "this",
        "that",
        "these",
        "those",
        "it",
        "its",
        "there",
        "here",
        "and",
        "or",
        "but",
        "if",
        "when",
        "while",
        "because",
        "so",
        "as",
        "i",
        "you",
        "your",
        "we",
        "our",
        "they",
        "their",
        "he",
        "she",
        "his",
        "her",
        "which",
        "who",
        "what",
        "where",
        "how",
    }
)
_WORD = re.compile(r"[A-Za-z]+(?:'[a-z]+)?[.,;:!?]?")
_NUMBER = re.compile(r"[-+]?\d+(?:[.,]\d+)*[.,;:]?")
_ASCII_RUN = re.compile(r"[\x20-\x7e]+")


def english_sentences(text: str) -> list[str]:
    """The English sentences in ``text``: runs of at least four plain words (numbers may
    sit between them) of which at least two are function words ("the", "did", "not"…).

    A token that is not a plain word (a flag ``--rm``, a path, ``KEY=value``, an
    identifier with ``_`` or ``/``, a placeholder) ends the run, so commands, paths and
    identifiers are never sentences. Japanese text ends a run too.
    """
    runs: list[list[str]] = []
    for run in _ASCII_RUN.findall(text):
        words: list[str] = []
        for token in run.split():
            if _WORD.fullmatch(token):
                words.append(token.rstrip(".,;:!?"))
            elif not _NUMBER.fullmatch(token):
                runs.append(words)
                words = []
        runs.append(words)
    return [
        " ".join(words)
        for words in runs
        if len(words) >= 4 and sum(w.lower() in FUNCTION_WORDS for w in words) >= 2
    ]


@pytest.mark.parametrize(
    "text",
    [
        "VM が起動しませんでした：the guest did not reach init within 4 s",
        "the guest did not reach init within 4 s",
        "エンジンの警告：Your kernel does not support Block I/O weight",
        "I am process 1 in here",
        "コンテナ（container）が見つかりません。This is not a course container.",
    ],
)
def test_detector_finds_english_sentences(text: str) -> None:
    assert english_sentences(text)


@pytest.mark.parametrize(
    "text",
    [
        "docker run --rm dockcourse/busybox:0.1.0 sh -c 'echo hello > /data/hello.txt'",
        "$ docker run --rm --network none <course image> echo ready",
        "Docker Engine 20.10.24+dfsg1（API 1.41）が応答しています",
        "Step 2/6 : RUN sleep 1 && echo tools installed > /tools.txt",
        "Successfully tagged dockcourse/ch04-app:1",
        "Current DOCKER_HOST based configuration",
        "ストレージドライバ fuse-overlayfs · cgroup v1 · Docker Desktop や colima",
        "--cpus=0.5 では 100 ms ごとに 50 ms まで",
        "64 MiB、0.5 CPU、4.19 MB",
    ],
)
def test_detector_passes_commands_identifiers_and_units(text: str) -> None:
    assert english_sentences(text) == []


# --------------------------------------------------------------------------- sources


def catalogue_values() -> Iterator[tuple[str, str]]:
    """(file:key, value) of every Japanese catalogue value."""
    files = [TEXT / "ja.json", *sorted((TEXT / "ja").glob("*.json"))]
    for path in files:
        data: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
        for key, value in data.items():
            yield f"{path.relative_to(TEXT)}:{key}", value


CATALOGUE = dict(catalogue_values())

#: Catalogue values that reproduce a tool's own English output verbatim (the course
#: prints what `docker context ...` prints when it runs the step without the CLI).
TOOL_OUTPUT_KEYS = {
    "ja/ch05.json:contexts.default_description",
    "ja/ch05.json:contexts.exists",
    "ja/ch05.json:contexts.created",
    "ja/ch05.json:contexts.missing",
}

#: Titles of works and other English names quoted in Japanese prose.
ALLOWED_PHRASES = ("The future of Linux Containers", "platform as a service")


def markdown_cells(path: Path) -> Iterator[tuple[str, str]]:
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            yield str(cell.get("id")), cell.source


def prose(markdown: str) -> str:
    """The Japanese prose of a Markdown cell: without code blocks and spans, HTML tags,
    link targets, URLs, quotations of 原文 (``>`` blocks) and emphasis markers. Code
    spans become ``C`` so that the spacing rules still see where they stand."""
    text = re.sub(
        r"^ {0,3}(```|~~~).*?^ {0,3}\1[^\n]*$", "", markdown, flags=re.M | re.S
    )
    text = "\n".join(
        line for line in text.splitlines() if not line.lstrip().startswith(">")
    )
    text = re.sub(r"`+[^`\n]*`+", "C", text)
    text = re.sub(r"\]\([^)]*\)", "]", text)
    text = re.sub(r"https?://\S+", "URL", text)
    text = re.sub(r"</?[a-zA-Z][^>]*>", "", text)
    return text.replace("**", "").replace("*", "")


def stored_output_texts(path: Path) -> Iterator[tuple[str, str]]:
    """(cell id, text) of every stored output a learner reads."""
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if output.output_type == "stream":
                yield str(cell.get("id")), output.text
            elif output.output_type == "error":
                yield str(cell.get("id")), f"{output.ename}: {output.evalue}"
            else:
                for mime in ("text/plain", "text/markdown", "text/html"):
                    if mime in output.get("data", {}):
                        yield str(cell.get("id")), output.data[mime]


def _ids(paths: list[Path]) -> list[str]:
    return [p.name for p in paths]


# --------------------------------------------------------------------------- rules

#: (rule, pattern) that must not match a catalogue value or the prose of a Markdown cell.
FORBIDDEN: list[tuple[str, re.Pattern[str]]] = [
    ("原文, not 原典", re.compile("原典")),
    ("サーバ, as 原文 writes it", re.compile("サーバー")),
    (
        "コンピュータ/ドライバ/レイヤ/フォルダ",
        re.compile("コンピューター|ドライバー|レイヤー|フォルダー"),
    ),
    ("no あなた: お使いの, 自分の, 現在のユーザー", re.compile("あなた")),
    ("普通, not ふつう", re.compile("ふつう")),
    ("節, not セクション", re.compile("セクション")),
    ("誤記, not 書き誤り", re.compile("書き誤り")),
    ("full-width colon after Japanese text", re.compile(f"{JAPANESE_END}:")),
    ("full-width parenthesis after Japanese text", re.compile(f"[{KANA_KANJI}]\\(")),
    ("―― (U+2015 twice), not the em dash —", re.compile("\u2014")),
    ("―― comes in pairs", re.compile("(?<!\u2015)\u2015(?!\u2015)")),
    ("no space around ――", re.compile(" \u2015\u2015|\u2015\u2015 ")),
    ("no space after a full-width colon", re.compile("： ")),
    ("第 NN 章, not NN章 or NN 章", re.compile(r"(?<!第 )(?<![\d.])\d{1,2} ?章")),
    ("第 NN 章 with spaces", re.compile(r"第\d|\d章")),
]

#: Rules on the raw Markdown (emphasis markers included).
SKELETON = re.compile(r"\*\*(目標|所要時間)(\*\*。|：\*\*)")
_PUNCT = "）」』。、？！："


def unrendered_bold(markdown: str) -> list[str]:
    """Closing ``**`` that CommonMark does not close: right after full-width punctuation
    and followed by a letter (``**カーネル（kernel）**向け`` stays literal)."""
    text = re.sub(r"`+[^`\n]*`+", "C", markdown)
    found = []
    for m in re.finditer(r"\*\*", text):
        closing = text[: m.start()].count("**") % 2 == 1
        before = text[m.start() - 1 : m.start()]
        after = text[m.end() : m.end() + 1]
        if (
            closing
            and before in _PUNCT
            and after
            and not (after.isspace() or after in _PUNCT + "*（「")
        ):
            found.append(text[max(0, m.start() - 12) : m.end() + 6])
    return found


#: Half-width letters and digits are separated from kana/kanji by a space ("1 つ",
#: "Docker エンジン"). Checked on our own prose only, not on quotations of 原文.
SPACING = re.compile(f"[A-Za-z0-9][{KANA_KANJI}]|[{KANA_KANJI}][A-Za-z0-9]")

#: Core terms are glossed in the chapter, once; never in a catalogue message.
CORE_GLOSS = re.compile(
    r"(コンテナ|イメージ|レイヤ|ボリューム|名前空間|レジストリ)（"
    r"(container|image|layer|volume|namespace|registry)s?）"
)


def _violations(text: str) -> list[str]:
    return [
        f"{rule}: …{m.string[max(0, m.start() - 12) : m.end() + 12]}…"
        for rule, pattern in FORBIDDEN
        for m in pattern.finditer(text)
    ]


def _unquoted(text: str) -> str:
    """Text without 「…」 quotations and 『…』 titles (they may quote 原文 with its own
    spacing)."""
    text = re.sub(r"『[^『』]*』", "『』", text)
    return re.sub(r"「[^「」]*(「[^「」]*」[^「」]*)*」", "「」", text)


@pytest.mark.parametrize("rule, pattern", FORBIDDEN, ids=[r for r, _ in FORBIDDEN])
def test_forbidden_patterns_catch_their_variant(
    rule: str, pattern: re.Pattern[str]
) -> None:
    """Every rule catches at least one example of what it forbids (no rule that cannot
    fail), and lets the house form through."""
    bad, good = {
        "原文, not 原典": ("原典には", "原文には"),
        "サーバ, as 原文 writes it": ("クラウドのサーバー", "クラウドのサーバ"),
        "コンピュータ/ドライバ/レイヤ/フォルダ": ("レイヤーの中", "レイヤの中"),
        "no あなた: お使いの, 自分の, 現在のユーザー": (
            "あなたのエンジン",
            "お使いのエンジン",
        ),
        "普通, not ふつう": ("ふつうのプロセス", "普通のプロセス"),
        "節, not セクション": ("セクション 5 の表", "5 節の表"),
        "誤記, not 書き誤り": ("の書き誤りです", "の誤記です"),
        "full-width colon after Japanese text": ("エンジン: linux", "エンジン：linux"),
        "full-width parenthesis after Japanese text": (
            "イメージ(image)",
            "イメージ（image）",
        ),
        "―― (U+2015 twice), not the em dash —": (
            "何か — 終了コード",
            "何か――終了コード",
        ),
        "―― comes in pairs": ("何か―終了", "何か――終了"),
        "no space around ――": ("ファイル ―― /etc", "ファイル――/etc"),
        "no space after a full-width colon": ("エンジン： linux", "エンジン：linux"),
        "第 NN 章, not NN章 or NN 章": ("（03 章）", "（第 03 章）"),
        "第 NN 章 with spaces": ("第03章", "第 03 章"),
    }[rule]
    assert pattern.search(bad) and not pattern.search(good)


def test_markdown_rules_catch_their_variant() -> None:
    assert SKELETON.search("**目標**。Docker") and SKELETON.search("**目標：** Docker")
    assert not SKELETON.search("**目標**：Docker")
    assert unrendered_bold("**1 つの OS のカーネル（kernel）**向けの機械語")
    assert unrendered_bold("原文の **「使える」** は") == []
    assert unrendered_bold("**カーネル**（kernel）向け、**`DOCKER_HOST`**：") == []


def test_spacing_and_gloss_rules_catch_their_variant() -> None:
    assert SPACING.search("2つのコンテナ") and SPACING.search("Dockerエンジン")
    assert not SPACING.search("2 つのコンテナ、Docker エンジン、イメージ（image）")
    assert _unquoted("原文の「Linuxカーネル」は") == "原文の「」は"
    assert _unquoted("原文『Docker運用について』には") == "原文『』には"
    quoted = "エンジンの警告：「Your kernel does not support Block I/O weight」"
    assert english_sentences(quoted) and not english_sentences(_unquoted(quoted))
    assert CORE_GLOSS.search("コースのイメージ（image）")
    assert not CORE_GLOSS.search("コースのイメージ")


@pytest.mark.parametrize("where", sorted(CATALOGUE))
def test_catalogue_value(where: str) -> None:
    value = CATALOGUE[where]
    text = re.sub(r"`[^`]*`", "C", value)
    assert _violations(text) == []
    assert SPACING.findall(_unquoted(re.sub(r"\{[^}]*\}", "", text))) == [], (
        "half-width letters and digits need a space beside Japanese text"
    )
    assert CORE_GLOSS.findall(value) == [], "catalogue messages do not gloss core terms"
    if where not in TOOL_OUTPUT_KEYS:
        assert english_sentences(value) == []


def test_catalogue_has_every_key_in_japanese() -> None:
    assert set(catalogue("en")) <= set(catalogue("ja"))


@pytest.mark.parametrize("path", JA_NOTEBOOKS, ids=_ids(JA_NOTEBOOKS))
def test_markdown(path: Path) -> None:
    problems: list[str] = []
    glosses: Counter[str] = Counter()
    for cell_id, source in markdown_cells(path):
        text = prose(source)
        problems += [f"{cell_id}: {v}" for v in _violations(text)]
        problems += [
            f"{cell_id}: write **目標**： (colon outside bold)"
            for _ in SKELETON.finditer(source)
        ]
        problems += [
            f"{cell_id}: bold not closed: {b}" for b in unrendered_bold(source)
        ]
        problems += [
            f"{cell_id}: space needed: {m}" for m in SPACING.findall(_unquoted(text))
        ]
        unquoted = re.sub(r'"[^"\n]*"', "Q", text)
        for phrase in ALLOWED_PHRASES:
            unquoted = unquoted.replace(phrase, "T")
        problems += [f"{cell_id}: English: {s}" for s in english_sentences(unquoted)]
        glosses.update(m.group(0) for m in CORE_GLOSS.finditer(source))
    problems += [f"glossed {n} times: {g}" for g, n in glosses.items() if n > 1]
    assert problems == []


def _english_templates() -> list[str]:
    """Literal parts of English catalogue values that are sentences: if one shows up in
    a Japanese output, the package printed English where it had a Japanese text."""
    parts = []
    for value in catalogue("en").values():
        for part in re.split(r"\{[^}]*\}", value):
            if english_sentences(part):
                parts.append(part.strip())
    return parts


_TQDM = re.compile(r"^(?P<desc>[^\n]*?):\s+(\d+%\||\d+\s*\S*\s*\[)", re.M)
_TQDM_UNIT = re.compile(r"\[[^\]]*?(?P<unit>[A-Za-z]{2,})/s\]")


@pytest.mark.parametrize("path", JA_NOTEBOOKS, ids=_ids(JA_NOTEBOOKS))
def test_stored_outputs(path: Path) -> None:
    """Lines with Japanese text hold no English sentence (outside 「…」, where a message
    quotes the engine's own words); no output holds a sentence of the English catalogue;
    progress bars have Japanese captions and units. Outputs change when a chapter is
    re-executed (``scripts/execute_notebooks.py``), not when the catalogue changes."""
    templates = _english_templates()
    problems: list[str] = []
    for cell_id, text in stored_output_texts(path):
        for line in text.splitlines():
            if JAPANESE.search(line):  # a tool's own words may be quoted in 「…」
                problems += [
                    f"{cell_id}: English: {s}"
                    for s in english_sentences(_unquoted(line))
                ]
        problems += [
            f"{cell_id}: English catalogue text: {p}" for p in templates if p in text
        ]
        for m in _TQDM.finditer(text):
            desc = m.group("desc").strip()
            if " " in desc and not JAPANESE.search(desc):
                problems.append(f"{cell_id}: English progress caption: {desc}")
        problems += [
            f"{cell_id}: English progress unit: {m.group('unit')}/s"
            for m in _TQDM_UNIT.finditer(text)
        ]
    assert problems == []


def test_published_figures_are_described_in_both_languages() -> None:
    """Plots and tables describe published figures from the catalogues; the English
    text is the CSV's own, so the two cannot drift apart."""
    from dockcourse.measure.results import load_published
    from dockcourse.text import set_language

    figures = load_published()
    assert figures
    for figure in figures:
        assert catalogue("en").get(f"published.{figure.id}") == figure.what
        assert f"published.{figure.id}" in catalogue("ja")
    try:
        set_language("ja")
        assert figures[0].description() == catalogue("ja")[f"published.{figures[0].id}"]
    finally:
        set_language(None)
