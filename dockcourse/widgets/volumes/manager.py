"""``VolumeManager``: the volume workbench, composed of small widgets (the list, one
pane per tab, the command box and the message line) that share one
:class:`~.bench.Bench`. Chapter 06 displays it."""

from __future__ import annotations

import html
import os
import sys
import threading
import weakref
from typing import Any

import ipywidgets as w

from ... import volumes as vol
from ...engine import connect
from ...errors import CourseError
from ...images import course_image_ref, ensure_image
from ...text import t
from .bench import Bench, SessionLike
from .display import CSS, recorded_stamp
from .listing import VolumeList
from .panes import (
    BackupPane,
    BrowsePane,
    ClonePane,
    CreatePane,
    InspectPane,
    RemovePane,
    UsePane,
)

#: The tabs, in order, by catalogue key.
TABS = ("create", "inspect", "browse", "use", "backup", "clone", "remove")


def _where(
    session: SessionLike | None, client: Any, image_ref: str | None, mode: str | None
) -> tuple[str, Any, str, str]:
    """(mode, client, image_ref, why recorded): live when an engine and the course
    image answer, else recorded with the reason."""
    client = client if client is not None else getattr(session, "client", None)
    image_ref = image_ref or getattr(session, "image_ref", None) or ""
    env_mode = "recorded" if os.environ.get("DOCKCOURSE_MODE") == "recorded" else None
    chosen: str = mode or getattr(session, "mode", None) or env_mode or "live"
    if chosen != "live":
        return chosen, client, image_ref, ""
    import docker.errors

    try:
        if client is None:
            client = connect()
        if not image_ref:
            image_ref = ensure_image(client)
    except CourseError as exc:  # no engine, or no course image: recorded
        return "recorded", client, image_ref, str(exc)
    except docker.errors.DockerException as exc:  # the engine refused the image
        return "recorded", client, image_ref, str(exc)
    return "live", client, image_ref, ""


class VolumeManager(w.VBox):  # type: ignore[misc]
    """Docker volumes as a workbench: every button shows its ``docker`` command.

    ``VolumeManager()`` connects to the engine itself; ``VolumeManager(session)`` uses
    the session from ``setup()``. Without an engine (or with ``DOCKCOURSE_MODE=recorded``)
    it shows the recorded listing. Used by chapter 06.
    """

    def __init__(
        self,
        session: SessionLike | None = None,
        *,
        client: Any = None,
        image_ref: str | None = None,
        mode: str | None = None,
        chapter: str = vol.CHAPTER,
        recording: vol.Recording | None = None,
    ) -> None:
        super().__init__()
        self.add_class(CSS)
        mode, client, image_ref, self.why_recorded = _where(
            session, client, image_ref, mode
        )
        if mode == "recorded":
            recording = recording or vol.load_recording()
            image_ref = image_ref or course_image_ref()
        self.bench = Bench(
            mode=mode, client=client, image_ref=image_ref, chapter=chapter,
            recording=recording, session=session,
        )  # fmt: skip
        self.volumes = VolumeList(self.bench)
        self.create_pane = CreatePane(self.bench)
        self.inspect_pane = InspectPane(self.bench)
        self.browse_pane = BrowsePane(self.bench)
        self.use_pane = UsePane(self.bench)
        self.backup_pane = BackupPane(self.bench)
        self.clone_pane = ClonePane(self.bench)
        self.remove_pane = RemovePane(self.bench)
        self._name_parts()
        self.banner = self._banner()
        self.tabs = w.Tab(children=[
            self.create_pane, self.inspect_pane, self.browse_pane, self.use_pane,
            self.backup_pane, self.clone_pane, self.remove_pane,
        ])  # fmt: skip
        for i, key in enumerate(TABS):
            self.tabs.set_title(i, t(f"volumes.tab.{key}"))
        confirm = self.bench.confirm
        confirm.yes.on_click(self.bench.action(self._on_confirm, answers=True))
        confirm.no.on_click(self.bench.action(self._on_cancel, answers=True))
        self.children = [
            self.banner,
            self.volumes,
            self.tabs,
            w.HTML(f"<b>{html.escape(t('volumes.command.title'))}</b>"),
            self.command,
            self.out,
        ]
        self.refresh()
        self.follow_cells()

    def _name_parts(self) -> None:
        """The controls under the names tests and notebooks use (``vm.use_button``)."""
        lst, bench = self.volumes, self.bench
        self.filter, self.refresh_button = lst.filter, lst.refresh_button
        self.sizes_button, self.status = lst.sizes_button, lst.status
        self.table, self.select = lst.table, lst.select
        self.allow_learner = bench.allow_learner
        self.command, self.out = bench.command, bench.messages
        self.confirm_box, self.confirm_text = bench.confirm, bench.confirm.text
        self.confirm_yes, self.confirm_no = bench.confirm.yes, bench.confirm.no
        c = self.create_pane
        self.create_name, self.create_labels = c.name, c.labels
        self.create_preset, self.create_opts = c.preset, c.opts
        self.create_button = c.button
        self.inspect_button = self.inspect_pane.button
        self.inspect_view = self.inspect_pane.view
        b = self.browse_pane
        self.browse_path, self.browse_button, self.browse_up = b.path, b.button, b.up
        self.browse_entries, self.browse_open = b.entries, b.open_button
        self.preview_view = b.preview_view
        u = self.use_pane
        self.use_command, self.use_button, self.use_view = u.command, u.button, u.view
        k = self.backup_pane
        self.backup_path, self.backup_button = k.backup_path, k.backup_button
        self.restore_path, self.restore_button = k.restore_path, k.restore_button
        self.clone_name = self.clone_pane.name
        self.clone_button = self.clone_pane.button
        self.remove_button = self.remove_pane.button
        self.remove_unused_button = self.remove_pane.unused_button

    def _banner(self) -> w.HTML:
        """Live (on which image) or recorded (from where, and why)."""
        if self.mode == "live":
            text = t("volumes.banner.live", image=self.image_ref)
        else:
            provenance = self.bench.the_recording().listing.provenance
            text = t(
                "volumes.banner.recorded",
                provenance=provenance.describe() if provenance else "?",
            )
            if self.why_recorded:
                text += " " + t("volumes.banner.why", reason=self.why_recorded)
        color = "#15803d" if self.mode == "live" else "#9333ea"
        banner = w.HTML(
            f"<div style='border-left:4px solid {color};padding:2px 8px'>"
            f"<b>{html.escape(t('volumes.mode.' + self.mode))}</b> · "
            f"{html.escape(text)}</div>"
        )
        banner.add_class(f"{CSS}-banner")
        return banner

    # ------------------------------------------------------- shared state

    @property
    def mode(self) -> str:
        return self.bench.mode

    @property
    def client(self) -> Any:
        return self.bench.client

    @property
    def image_ref(self) -> str:
        return self.bench.image_ref

    @property
    def chapter(self) -> str:
        return self.bench.chapter

    @property
    def session(self) -> SessionLike | None:
        return self.bench.session

    @property
    def recording(self) -> vol.Recording | None:
        return self.bench.recording

    @property
    def listing(self) -> vol.Listing | None:
        return self.volumes.listing

    @property
    def sizes(self) -> dict[str, int | None] | None:
        return self.volumes.sizes

    @property
    def sizes_thread(self) -> threading.Thread | None:
        return self.volumes.sizes_thread

    @property
    def last_message(self) -> str:
        return str(self.bench.messages.last_message)

    @property
    def last_command(self) -> str:
        return str(self.bench.command.last_command)

    # ------------------------------------------------------------ listing

    def refresh(self, select: str | None = None) -> vol.Listing:
        """List again (a volume made with the CLI appears here after this)."""
        return self.volumes.refresh(select)

    def compute_sizes(self) -> threading.Thread | None:
        """Start computing sizes in a thread; the table updates when they arrive."""
        return self.volumes.compute_sizes()

    def wait_for_sizes(self, timeout_s: float = 60.0) -> bool:
        """Wait until sizes are computed (tests and benchmarks); True when done."""
        return self.volumes.wait_for_sizes(timeout_s)

    def _rows(self) -> tuple[vol.VolumeRow, ...]:
        return self.volumes.rows()

    def _row(self, name: str) -> vol.VolumeRow | None:
        return self.volumes.row(name)

    def _remove_unused(self) -> None:
        """What a confirmed "remove unused" runs."""
        self.remove_pane.remove_unused_now()

    def _on_confirm(self) -> None:
        then = self.bench.confirm.take()
        if then is not None:
            then()

    def _on_cancel(self) -> None:
        self.bench.confirm.withdraw()
        self.bench.say(t("volumes.cancelled"))

    # ------------------------------------------------------ the notebook

    def follow_cells(self, events: Any = None) -> None:
        """After each notebook cell, list again if the engine's volumes changed (a later
        cell removed one, ``course.clean()``...), so that after Run All the table shows
        what is there now. ``events``: IPython's event manager (the notebook's own by
        default; nothing to follow outside IPython or in recorded mode)."""
        if events is None and "IPython" in sys.modules:
            from IPython import get_ipython

            events = getattr(get_ipython(), "events", None)
        if events is None or self.mode != "live":
            return
        ref = weakref.ref(self)

        def after_cell(*_args: Any) -> None:
            manager = ref()
            if manager is None or manager.comm is None:  # gone, or closed
                events.unregister("post_run_cell", after_cell)
            else:
                manager.relist_if_changed()

        events.register("post_run_cell", after_cell)

    def relist_if_changed(self) -> bool:
        """Refresh when the engine's volumes, or the containers using them, differ
        from the table's; True when it did."""
        if self.mode != "live":
            return False
        try:
            listing = vol.list_volumes(self.client, str(self.filter.value))
        except Exception:  # engine gone: the next click says so, not every cell
            return False

        def seen(rows: tuple[vol.VolumeRow, ...]) -> list[tuple[str, list[str]]]:
            return [(r.name, sorted(u.container_id for u in r.users)) for r in rows]

        if seen(listing.volumes) == seen(self._rows()):
            return False
        self.refresh()
        return True

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        """The widget, plus a readable text for where it cannot be shown (a notebook
        opened without running it): what it is, when and where its listing came from."""
        bundle = super()._repr_mimebundle_(**kwargs)
        if isinstance(bundle, dict):
            bundle["text/plain"] = self.plain_text()
        return bundle

    def plain_text(self) -> str:
        names = [r.name for r in self._rows()]
        shown = ", ".join(names[:8]) + (" …" if len(names) > 8 else "")
        return "\n".join([
            t("volumes.plain.head", chapter=self.chapter, stamp=recorded_stamp()),
            t(f"volumes.plain.{self.mode}", count=len(names), names=shown or "—"),
        ])  # fmt: skip
