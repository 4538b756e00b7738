"""Quiz questions as widgets; everything they say comes from the catalogues.

``quiz("02.pid")`` shows ``quiz.02.pid.q`` with the options ``quiz.02.pid.a0``, ``a1``...
(as many as the catalogue has), in an order shuffled once per learner and question (a
re-run shows the same order). The right option's index is ``quiz.02.pid.answer`` in the
catalogue, never in the notebook. After any answer the widget says whether it was right,
names the answer, and shows ``quiz.02.pid.explain`` and, for each wrong option ``k``,
``quiz.02.pid.why<k>``. Opened without a kernel, the stored output shows the question and
its options as text and HTML. The code cell is the same in every edition. Used by 00–06.
"""

from __future__ import annotations

import getpass
import hashlib
import html
import os
import random
from typing import Any

import ipywidgets as widgets

from ..text import catalogue, t


def quiz_options(quiz_id: str) -> list[str]:
    """The options of a question in the current language, in catalogue order.

    The English catalogue says how many there are; every other language has the same
    keys (``tests/unit/test_editions.py``)."""
    english = catalogue("en")
    options: list[str] = []
    while f"quiz.{quiz_id}.a{len(options)}" in english:
        options.append(t(f"quiz.{quiz_id}.a{len(options)}"))
    if not options:
        raise KeyError(f"no options for quiz {quiz_id!r} in the catalogue")
    return options


def quiz_answer(quiz_id: str) -> int:
    """The index (catalogue order) of the right option: ``quiz.<id>.answer``."""
    found = catalogue("en").get(f"quiz.{quiz_id}.answer")
    if found is None or not str(found).isdigit():
        raise KeyError(f"no answer for quiz {quiz_id!r} in the catalogue")
    return int(found)


def learner_seed() -> str:
    """A value that stays the same for one learner across runs and kernels: the
    JupyterHub user when there is one, else the operating-system user."""
    user = os.environ.get("JUPYTERHUB_USER", "")
    if not user:
        try:
            user = getpass.getuser()
        except (KeyError, OSError):
            user = str(os.getuid()) if hasattr(os, "getuid") else "learner"
    return user


def option_order(quiz_id: str, count: int, seed: str | None = None) -> list[int]:
    """Catalogue indices in the order this learner sees them (stable per learner)."""
    key = f"{learner_seed() if seed is None else seed}\0{quiz_id}".encode()
    order = list(range(count))
    random.Random(hashlib.sha256(key).hexdigest()).shuffle(order)
    return order


def feedback(quiz_id: str, chosen: int) -> list[str]:
    """What the learner reads after choosing option ``chosen`` (catalogue index)."""
    options = quiz_options(quiz_id)
    answer = quiz_answer(quiz_id)
    lines = [t("quiz.right") if chosen == answer else t("quiz.wrong")]
    lines.append(t("quiz.answer_is", answer=options[answer]))
    lines.append(t(f"quiz.{quiz_id}.explain"))
    order = option_order(quiz_id, len(options))
    lines.extend(
        t("quiz.why_not", option=options[k], why=t(f"quiz.{quiz_id}.why{k}"))
        for k in order
        if k != answer
    )
    return lines


class Quiz(widgets.VBox):  # type: ignore[misc]
    """A question with its options; stored without a kernel, it reads as text."""

    quiz_id: str = ""

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle: dict[str, Any] = dict(super()._repr_mimebundle_(**kwargs) or {})
        options = quiz_options(self.quiz_id)
        shown = [options[k] for k in option_order(self.quiz_id, len(options))]
        question = t(f"quiz.{self.quiz_id}.q")
        plain_question = question.replace("<code>", "`").replace("</code>", "`")
        bundle["text/plain"] = "\n".join(
            [plain_question, *(f"  ○ {text}" for text in shown), t("quiz.unrun")]
        )
        bundle["text/html"] = (
            f"<p><b>{question}</b></p><ul>"
            + "".join(f"<li>{html.escape(text)}</li>" for text in shown)
            + f"</ul><p><i>{html.escape(t('quiz.unrun'))}</i></p>"
        )
        return bundle


def quiz(quiz_id: str, answer: int | None = None) -> Quiz:
    """One multiple-choice question with a Check button; after any answer, the right
    one, the explanation and why each other option is wrong.

    ``answer`` is accepted for notebooks written before the answer moved into the
    catalogue; it must agree with ``quiz.<id>.answer``."""
    options = quiz_options(quiz_id)
    right = quiz_answer(quiz_id)
    if not 0 <= right < len(options):
        raise ValueError(f"quiz {quiz_id!r}: answer {right} is not one of the options")
    if answer is not None and answer != right:
        raise ValueError(f"quiz {quiz_id!r}: answer {answer} != catalogue's {right}")
    question = widgets.HTML(f"<b>{t(f'quiz.{quiz_id}.q')}</b>")
    choice = widgets.RadioButtons(
        options=[(options[k], k) for k in option_order(quiz_id, len(options))],
        value=None,
        layout=widgets.Layout(width="max-content"),
    )
    button = widgets.Button(description=t("quiz.check"))
    out = widgets.Output()

    @out.capture(clear_output=True)
    def on_check(_: widgets.Button) -> None:
        if choice.value is None:
            print(t("quiz.choose"))
        else:
            print("\n".join(feedback(quiz_id, int(choice.value))))

    button.on_click(on_check)
    box = Quiz([question, choice, button, out])
    box.quiz_id = quiz_id
    return box
