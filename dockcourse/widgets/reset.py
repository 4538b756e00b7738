"""The reset button of chapter 00: list what the course created, remove it on confirmation.

It does exactly what ``dockcourse clean`` does (course-labelled resources only; the course
image stays), and says so. Used by chapter 00 and offered again in every chapter's last cell.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from ..resources import clean, list_owned, session_id
from ..text import t

if TYPE_CHECKING:
    from ..session import Session


class ResetBox(widgets.VBox):  # type: ignore[misc]
    """The reset widget, with a readable text where it cannot be shown (a notebook
    opened without running it) instead of its Python repr."""

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        bundle = super()._repr_mimebundle_(**kwargs)
        if isinstance(bundle, dict):
            bundle["text/plain"] = self.plain_text()
        return bundle

    def plain_text(self) -> str:
        from .volumes import recorded_stamp

        return t("reset.plain", button=t("reset.button"), stamp=recorded_stamp())


def reset_button(session: Session) -> widgets.VBox:
    """A button that lists the course's resources, then removes them when confirmed."""
    out = widgets.Output()
    start = widgets.Button(
        description=t("reset.button"), icon="trash", layout=widgets.Layout(width="auto")
    )
    confirm = widgets.Button(
        description=t("reset.confirm"),
        button_style="danger",
        layout=widgets.Layout(display="none"),
    )
    cancel = widgets.Button(
        description=t("reset.cancel"), layout=widgets.Layout(display="none")
    )
    hint = widgets.HTML(
        f"<small>{t('reset.learner_safe')} {t('reset.command')}</small>"
    )

    def ask(visible: bool) -> None:
        for button in (confirm, cancel):
            button.layout.display = "" if visible else "none"

    @out.capture(clear_output=True)
    def on_start(_: widgets.Button) -> None:
        if session.client is None:
            print(t("reset.recorded"))
            return
        items = list_owned(session.client)
        if not items:
            print(t("reset.nothing"))
            return
        from .volumes import session_state

        print(t("reset.listing", count=len(items)))
        others = 0
        for item in items:
            line = t(
                "reset.item",
                kind=item.kind,
                name=item.name,
                chapter=item.chapter or "?",
            )
            if item.session and item.session != session_id():  # another notebook's
                state = session_state(item.labels)
                others += state != "gone"
                line += t(
                    "reset.other",
                    session=item.session,
                    alive=t(f"volumes.session.{state}"),
                )
            print(line)
        if others:  # a sweep wider than this notebook: said before the confirmation
            print(t("reset.others_warning", count=others))
        ask(True)

    @out.capture(clear_output=True)
    def on_confirm(_: widgets.Button) -> None:
        ask(False)
        if session.client is None:
            return
        results = clean(session.client)
        print(
            t("reset.done", removed=sum(r.removed for r in results), count=len(results))
        )
        for r in results:
            if not r.removed:
                print(
                    t("reset.kept", kind=r.item.kind, name=r.item.name, error=r.error)
                )

    @out.capture(clear_output=True)
    def on_cancel(_: widgets.Button) -> None:
        ask(False)

    start.on_click(on_start)
    confirm.on_click(on_confirm)
    cancel.on_click(on_cancel)
    return ResetBox([widgets.HBox([start, confirm, cancel]), hint, out])
