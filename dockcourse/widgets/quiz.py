"""Quiz questions as widgets; their text comes from the catalogues (``quiz.<id>.*``).

``quiz("02.pid", answer=1)`` shows ``quiz.02.pid.q`` with the options ``quiz.02.pid.a0``,
``a1``... (as many as the catalogue has) and, once answered, ``quiz.02.pid.explain``.
The code cell is the same in every edition; only the catalogue differs. Used by 01–06.
"""

from __future__ import annotations

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


def quiz(quiz_id: str, answer: int) -> widgets.VBox:
    """One multiple-choice question with a Check button and an explanation."""
    options = quiz_options(quiz_id)
    if not 0 <= answer < len(options):
        raise ValueError(f"quiz {quiz_id!r}: answer {answer} is not one of the options")
    question = widgets.HTML(f"<b>{t(f'quiz.{quiz_id}.q')}</b>")
    choice = widgets.RadioButtons(
        options=[(text, index) for index, text in enumerate(options)],
        value=None,
        layout=widgets.Layout(width="max-content"),
    )
    button = widgets.Button(description=t("quiz.check"))
    out = widgets.Output()

    @out.capture(clear_output=True)
    def on_check(_: widgets.Button) -> None:
        if choice.value is None:
            print(t("quiz.choose"))
        elif choice.value == answer:
            print(t("quiz.right"), t(f"quiz.{quiz_id}.explain"))
        else:
            print(t("quiz.wrong"))

    button.on_click(on_check)
    return widgets.VBox([question, choice, button, out])
