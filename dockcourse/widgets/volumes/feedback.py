"""Where the workbench answers: the command box (the ``docker`` command a click ran,
would run, or did not complete) and the message line (one sentence per click)."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import ipywidgets as w

from ...text import t
from .display import CSS, pre


class CommandBox(w.HTML):  # type: ignore[misc]
    """The ``docker`` command of the last click, with what became of it."""

    def __init__(self, mode: str) -> None:
        super().__init__()
        self.add_class(f"{CSS}-command")
        self.mode = mode
        self.last_command = ""

    def clear(self) -> None:
        self.last_command = ""
        self.value = ""

    def show(self, command: str, *, state: str = "ran") -> None:
        """``state``: "ran", "not_run" (refused before anything was sent), "failed"
        (sent, did not complete) or "confirm" (runs when the learner confirms)."""
        self.last_command = command
        if state == "ran" and self.mode == "recorded":
            title = t("volumes.command.would_run")
        else:
            title = t(f"volumes.command.{state}")
        lines = "\n".join(f"$ {line}" for line in command.splitlines())
        self.value = f"<i>{html.escape(title)}</i>{pre(lines)}"


class MessageLine(w.Output):  # type: ignore[misc]
    """One sentence saying what a click did; a click's output replaces the last."""

    def __init__(self) -> None:
        super().__init__()
        self.add_class(f"{CSS}-message")
        self.last_message = ""

    def say(self, message: str) -> None:
        self.last_message = message
        print(message)

    def captured(self, on_click: Callable[[Any], None]) -> Callable[[Any], None]:
        """``on_click`` with what it prints shown here, replacing the last message."""
        wrapped: Callable[[Any], None] = self.capture(clear_output=True)(on_click)
        return wrapped


class ConfirmBar(w.HBox):  # type: ignore[misc]
    """A question with Yes and No; Yes runs what was asked about, once."""

    def __init__(self, button: Callable[..., w.Button]) -> None:
        self.text = w.HTML()
        self.yes = button("volumes.button.yes", "yes", "danger")
        self.no = button("volumes.button.no", "no")
        super().__init__([self.text, self.yes, self.no])
        self.layout.display = "none"
        self._pending: Callable[[], None] | None = None

    def ask(self, question: str, then: Callable[[], None]) -> None:
        self._pending = then
        self.text.value = f"<b>{html.escape(question)}</b>"
        self.layout.display = "flex"

    def withdraw(self) -> None:
        """Another button was pressed: a question still open no longer applies."""
        self._pending = None
        self.layout.display = "none"

    def take(self) -> Callable[[], None] | None:
        """What Yes runs (at most once); the bar closes."""
        then, self._pending = self._pending, None
        self.layout.display = "none"
        return then
