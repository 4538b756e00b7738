"""What every part of the volume workbench shares: where actions run (mode, engine,
image, chapter), the selected volume, where results are shown, and how a click's
errors become a sentence instead of a traceback."""

from __future__ import annotations

import atexit
import functools
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import ipywidgets as w

from ... import scratch
from ... import volumes as vol
from ...errors import CourseError
from ...text import t
from .display import CSS
from .feedback import CommandBox, ConfirmBar, MessageLine

if TYPE_CHECKING:
    from .listing import VolumeList


class SessionLike(Protocol):
    mode: str
    client: Any
    image_ref: str


def button(key: str, css: str, style: str = "") -> w.Button:
    """A button labelled from the catalogue, findable by its CSS class."""
    made = w.Button(description=t(key), button_style=style)
    made.add_class(f"{CSS}-{css}")
    made.layout.width = "auto"
    return made


class Bench:
    """The shared state and services of the workbench's parts (not a widget)."""

    def __init__(
        self,
        *,
        mode: str,
        client: Any,
        image_ref: str,
        chapter: str,
        recording: vol.Recording | None,
        session: SessionLike | None,
    ) -> None:
        self.mode = mode
        self.client = client
        self.image_ref = image_ref
        self.chapter = chapter
        self.recording = recording
        self.session = session
        self.command = CommandBox(mode)
        self.messages = MessageLine()
        self.confirm = ConfirmBar(button)
        self.allow_learner = w.Checkbox(
            value=False, description=t("volumes.allow_learner"), indent=False
        )
        self.allow_learner.add_class(f"{CSS}-allow")
        self.allow_learner.layout.width = "auto"
        self.volumes: VolumeList  # set by VolumeList, which needs this bench
        self._own_scratch: Path | None = None

    @property
    def live(self) -> bool:
        return self.mode == "live"

    def the_recording(self) -> vol.Recording:
        assert self.recording is not None
        return self.recording

    # ---------------------------------------------------------------- clicks

    def action(
        self, handler: Callable[[], None], *, answers: bool = False
    ) -> Callable[[Any], None]:
        """A click handler whose errors become a message in the widget.

        The command box is cleared first, so it only ever shows what this click ran (or
        would run, or did not complete); any other button withdraws a pending question
        (``answers`` marks Yes/No, which answer it)."""

        def on_click(_button: Any = None) -> None:
            import docker.errors
            import requests

            self.command.clear()
            if not answers:
                self.confirm.withdraw()
            try:
                handler()
            except vol.VolumeError as exc:
                if exc.command:
                    state = "failed" if exc.attempted else "not_run"
                    self.show_command(exc.command, state=state)
                self.say(exc.message)
            except CourseError as exc:  # no engine any more, among others
                self.say(str(exc))
            except requests.exceptions.ConnectionError:
                self.say(t("volumes.err.engine_lost"))
            except docker.errors.APIError as exc:
                self.say(t("volumes.err.engine_refused", error=vol.shorten(
                    str(getattr(exc, "explanation", None) or exc), 500)))  # fmt: skip
            except Exception as exc:  # the learner sees it in words, not a traceback
                self.say(
                    t("volumes.err.unexpected", error=f"{type(exc).__name__}: {exc}")
                )

        return functools.wraps(handler)(self.messages.captured(on_click))

    def wire(self, *pairs: tuple[w.Button, Callable[[], None]]) -> None:
        for clicked, handler in pairs:
            clicked.on_click(self.action(handler))

    def say(self, message: str) -> None:
        self.messages.say(message)

    def show_command(self, command: str, *, state: str = "ran") -> None:
        self.command.show(command, state=state)

    def recorded(self, command: str) -> bool:
        """In recorded mode: show what would run, say nothing changed, return True."""
        if self.live:
            return False
        self.show_command(command)
        self.say(t("volumes.recorded.nothing_changed"))
        return True

    def ask(self, question: str, then: Callable[[], None], command: str) -> None:
        """Ask first; the command box shows what runs on Yes."""
        self.confirm.ask(question, then)
        self.show_command(command, state="confirm")
        self.say(question)

    # ------------------------------------------------------------- the volume

    def selected(self) -> str:
        return self.volumes.selected()

    def row(self, name: str) -> vol.VolumeRow | None:
        return self.volumes.row(name)

    def guard_recorded(self, name: str, command: str) -> None:
        """Recorded mode refuses a change to the learner's own volume, as live does."""
        row = self.row(name)
        if row is not None and not row.course_made and not self.allow_learner.value:
            raise vol.LearnerVolume(t("volumes.err.learner_volume", name=name), command)

    def scratch(self) -> Path:
        """Where a backup goes when no path is given: the session's scratch folder
        (removed by ``course.clean()`` and ``dockcourse clean``), never the notebook's."""
        folder = getattr(self.session, "scratch", None)
        if isinstance(folder, Path):
            return folder
        if self._own_scratch is None or not self._own_scratch.is_dir():
            self._own_scratch = scratch.make(self.chapter)
            atexit.register(scratch.remove, self._own_scratch)
        return self._own_scratch
