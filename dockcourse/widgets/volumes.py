"""``VolumeManager``: list, create, inspect, browse, use, back up, restore, clone and
remove volumes, showing the ``docker`` command of every action. Chapter 06 displays it.

Live mode runs each action on the engine through :mod:`dockcourse.volumes`; recorded mode
(no engine, e.g. Binder) shows the listing recorded on a real engine, labelled with its
provenance, and shows the command each action would run instead of running it. Errors
go to the widget's message area, never as a traceback. Sizes (``docker system df -v``,
slow) are computed on demand in a thread, so the widget stays responsive.
"""

from __future__ import annotations

import atexit
import functools
import html
import json
import os
import posixpath
import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol

import ipywidgets as w

from .. import scratch
from .. import volumes as vol
from ..engine import EngineUnavailable, connect
from ..images import course_image_ref, ensure_image
from ..resources import (
    LABEL_CHAPTER,
    LABEL_COURSE,
    LABEL_CREATED,
    LABEL_HOST,
    LABEL_PID,
    LABEL_SESSION,
    Owned,
    host_identity,
    is_stale,
    session_id,
)
from ..text import t

#: CSS classes the browser test (and curious learners) can find the controls by.
CSS = "dockcourse-volumes"


class _SessionLike(Protocol):
    mode: str
    client: Any
    image_ref: str


def format_size(size_bytes: int | None) -> str:
    if size_bytes is None:
        return t("volumes.size.unknown")
    value = float(size_bytes)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"


def created_time(row: vol.VolumeRow) -> str:
    """When the volume was made. The local driver reports its folder's modification
    time as "CreatedAt", which moves whenever a file is added at the top (a restore, a
    write); a course volume carries its real creation time in a label."""
    stamp = row.labels.get(LABEL_CREATED, "") if row.course_made else ""
    if stamp.isdigit():
        made = datetime.fromtimestamp(int(stamp), timezone.utc)
        return made.strftime("%Y-%m-%d %H:%M:%S")
    return row.created.replace("T", " ").removesuffix("Z")


def render_table(
    rows: tuple[vol.VolumeRow, ...],
    sizes: Mapping[str, int | None] | None,
    *,
    computing: bool = False,
) -> str:
    """The listing as an HTML table (names and labels escaped)."""
    if not rows:
        return f"<p><i>{html.escape(t('volumes.table.empty'))}</i></p>"
    head = "".join(
        f"<th style='text-align:left;padding:2px 8px'>{html.escape(t(k))}</th>"
        for k in (
            "volumes.col.name", "volumes.col.owner", "volumes.col.driver",
            "volumes.col.created", "volumes.col.used_by", "volumes.col.size",
            "volumes.col.labels",
        )
    )  # fmt: skip
    body = []
    for r in rows:
        badge = t("volumes.badge.course") if r.course_made else t("volumes.badge.yours")
        color = "#2563eb" if r.course_made else "#b45309"
        users = vol.describe_users(r.users) or "—"
        size = "…" if computing else ""
        if sizes is not None:
            size = format_size(sizes.get(r.name))
        own_labels = {
            k: v for k, v in r.labels.items() if not k.startswith("io.dockcourse.")
        }
        cells = [
            f"<code>{html.escape(r.name)}</code>",
            f"<span style='color:{color};font-weight:bold'>{html.escape(badge)}</span>",
            html.escape(r.driver),
            html.escape(created_time(r)),
            html.escape(users),
            html.escape(size),
            html.escape(", ".join(f"{k}={v}" for k, v in own_labels.items())),
        ]
        tds = "".join(f"<td style='padding:2px 8px'>{c}</td>" for c in cells)
        body.append(f"<tr data-volume='{html.escape(r.name, quote=True)}'>{tds}</tr>")
    return (
        f"<div style='max-height:22em;overflow:auto'><table class='{CSS}-table' "
        f"style='border-collapse:collapse'><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


def session_state(labels: Mapping[str, str]) -> str:
    """Whether the session that made a course object still runs: "alive", "gone", or
    "unknown" (another machine or PID namespace, whose PIDs mean nothing here)."""
    if labels.get(LABEL_HOST) != host_identity() or not labels.get(LABEL_PID):
        return "unknown"
    item = Owned("volume", "", "", dict(labels))
    return "gone" if is_stale(item, now=time.time(), host=host_identity()) else "alive"


def recorded_stamp(now: datetime | None = None) -> str:
    """When a stored output was made, as its fallback text says (UTC, to the minute;
    ``tests/nbval_sanitize.cfg`` masks it)."""
    return (now or datetime.now(timezone.utc)).strftime("%Y-%m-%d %H:%M UTC")


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:  # a name too long, a folder that cannot be read
        return False


def _pre(text: str) -> str:
    return f"<pre style='margin:0;white-space:pre-wrap'>{html.escape(text)}</pre>"


class VolumeManager(w.VBox):  # type: ignore[misc]
    """Docker volumes as a workbench: every button shows its ``docker`` command.

    ``VolumeManager()`` connects to the engine itself; ``VolumeManager(session)`` uses
    the session from ``setup()``. Without an engine (or with ``DOCKCOURSE_MODE=recorded``)
    it shows the recorded listing. Used by chapter 06.
    """

    def __init__(
        self,
        session: _SessionLike | None = None,
        *,
        client: Any = None,
        image_ref: str | None = None,
        mode: str | None = None,
        chapter: str = vol.CHAPTER,
        recording: vol.Recording | None = None,
    ) -> None:
        super().__init__()
        self.add_class(CSS)
        self.chapter = chapter
        self.session = session
        self._own_scratch: Path | None = None
        self.client = client if client is not None else getattr(session, "client", None)
        self.image_ref = image_ref or getattr(session, "image_ref", None) or ""
        env_mode = (
            "recorded" if os.environ.get("DOCKCOURSE_MODE") == "recorded" else None
        )
        self.mode: str = mode or getattr(session, "mode", None) or env_mode or "live"
        self.why_recorded = ""
        if self.mode == "live":
            try:
                if self.client is None:
                    self.client = connect()
                if not self.image_ref:
                    self.image_ref = ensure_image(self.client)
            except EngineUnavailable as exc:
                self.mode, self.why_recorded = "recorded", f"{exc.cause} — {exc.fix}"
            except Exception as exc:  # image could not be made: still show something
                self.mode, self.why_recorded = "recorded", str(exc)
        self.recording: vol.Recording | None = recording
        if self.mode == "recorded":
            self.recording = recording or vol.load_recording()
            self.image_ref = self.image_ref or course_image_ref()
        self.listing: vol.Listing | None = None
        self.sizes: dict[str, int | None] | None = None
        self.sizes_thread: threading.Thread | None = None
        self.last_message = ""
        self.last_command = ""
        self._browse_path = "/"
        self._pending: Callable[[], None] | None = None
        self._build()
        self.refresh()

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

    # ----------------------------------------------------------------- layout

    def _button(self, key: str, css: str, style: str = "") -> w.Button:
        button = w.Button(description=t(key), button_style=style)
        button.add_class(f"{CSS}-{css}")
        button.layout.width = "auto"
        return button

    def _build(self) -> None:
        live = self.mode == "live"
        if live:
            banner = t("volumes.banner.live", image=self.image_ref)
        else:
            assert self.recording is not None
            provenance = self.recording.listing.provenance
            banner = t(
                "volumes.banner.recorded",
                provenance=provenance.describe() if provenance else "?",
            )
            if self.why_recorded:
                banner += " " + t("volumes.banner.why", reason=self.why_recorded)
        color = "#15803d" if live else "#9333ea"
        self.banner = w.HTML(
            f"<div style='border-left:4px solid {color};padding:2px 8px'>"
            f"<b>{html.escape(t('volumes.mode.' + self.mode))}</b> · "
            f"{html.escape(banner)}</div>"
        )
        self.banner.add_class(f"{CSS}-banner")
        self.filter = w.ToggleButtons(
            options=[(t(f"volumes.filter.{f}"), f) for f in vol.FILTERS], value="all"
        )
        self.filter.style.button_width = "auto"
        self.filter.observe(lambda _change: self._on_refresh(), names="value")
        self.refresh_button = self._button("volumes.button.refresh", "refresh")
        self.sizes_button = self._button("volumes.button.sizes", "sizes")
        self.allow_learner = w.Checkbox(
            value=False, description=t("volumes.allow_learner"), indent=False
        )
        self.allow_learner.add_class(f"{CSS}-allow")
        self.allow_learner.layout.width = "auto"
        self.status = w.HTML()
        self.table = w.HTML()
        self.table.add_class(f"{CSS}-listing")
        self.select = w.Dropdown(description=t("volumes.selected"), options=[])
        self.select.add_class(f"{CSS}-select")
        self.select.layout.width = "32em"
        self.out = w.Output()
        self.out.add_class(f"{CSS}-message")
        self.command = w.HTML()
        self.command.add_class(f"{CSS}-command")

        # create
        self.create_name = w.Text(
            description=t("volumes.create.name"), placeholder="myvolume"
        )
        self.create_name.add_class(f"{CSS}-create-name")
        self.create_labels = w.Textarea(
            description=t("volumes.create.labels"), placeholder="project=demo"
        )
        self.create_preset = w.Dropdown(
            description=t("volumes.create.preset"),
            options=[
                (t("volumes.preset.none"), ""),
                (t("volumes.preset.tmpfs"), "tmpfs"),
            ],
        )
        self.create_preset.observe(self._on_preset, names="value")
        self.create_opts = w.Textarea(
            description=t("volumes.create.options"), placeholder="type=tmpfs"
        )
        self.create_button = self._button("volumes.button.create", "create", "primary")
        create_tab = w.VBox([
            self.create_name, self.create_labels, self.create_preset,
            self.create_opts, self.create_button,
        ])  # fmt: skip

        # inspect
        self.inspect_button = self._button("volumes.button.inspect", "inspect")
        self.inspect_view = w.HTML()
        inspect_tab = w.VBox([self.inspect_button, self.inspect_view])

        # browse
        self.browse_path = w.Text(value="/", description=t("volumes.browse.path"))
        self.browse_button = self._button("volumes.button.list", "browse")
        self.browse_up = self._button("volumes.button.up", "up")
        self.browse_entries = w.Select(options=[], rows=8)
        self.browse_entries.layout.width = "32em"
        self.browse_open = self._button("volumes.button.open", "open")
        self.preview_view = w.HTML()
        browse_tab = w.VBox([
            w.HBox([self.browse_path, self.browse_button, self.browse_up]),
            w.HBox([self.browse_entries, self.browse_open]),
            self.preview_view,
        ])  # fmt: skip

        # use
        self.use_command = w.Text(
            value='echo "hello from $(hostname)" >> hello.txt && ls -l && cat hello.txt',
            description=t("volumes.use.command"),
        )
        self.use_command.layout.width = "48em"
        self.use_button = self._button("volumes.button.run", "run", "primary")
        self.use_view = w.HTML()
        use_tab = w.VBox([
            w.HTML(html.escape(t("volumes.use.help"))),
            self.use_command, self.use_button, self.use_view,
        ])  # fmt: skip

        # backup / restore
        self.backup_path = w.Text(
            description=t("volumes.backup.file"), placeholder="myvolume-backup.tar"
        )
        self.backup_button = self._button("volumes.button.backup", "backup")
        self.restore_path = w.Text(description=t("volumes.restore.file"))
        self.restore_button = self._button(
            "volumes.button.restore", "restore", "warning"
        )
        backup_tab = w.VBox([
            w.HBox([self.backup_path, self.backup_button]),
            w.HBox([self.restore_path, self.restore_button]),
        ])  # fmt: skip

        # clone
        self.clone_name = w.Text(description=t("volumes.clone.name"))
        self.clone_button = self._button("volumes.button.clone", "clone")
        clone_tab = w.VBox([w.HBox([self.clone_name, self.clone_button])])

        # remove
        self.remove_button = self._button("volumes.button.remove", "remove", "danger")
        self.remove_unused_button = self._button(
            "volumes.button.remove_unused", "remove-unused", "danger"
        )
        self.confirm_text = w.HTML()
        self.confirm_yes = self._button("volumes.button.yes", "yes", "danger")
        self.confirm_no = self._button("volumes.button.no", "no")
        self.confirm_box = w.HBox(
            [self.confirm_text, self.confirm_yes, self.confirm_no]
        )
        self.confirm_box.layout.display = "none"
        remove_tab = w.VBox([
            w.HBox([self.remove_button, self.remove_unused_button]), self.confirm_box,
        ])  # fmt: skip

        self.tabs = w.Tab(
            children=[
                create_tab,
                inspect_tab,
                browse_tab,
                use_tab,
                backup_tab,
                clone_tab,
                remove_tab,
            ]
        )
        for i, key in enumerate(
            ("create", "inspect", "browse", "use", "backup", "clone", "remove")
        ):
            self.tabs.set_title(i, t(f"volumes.tab.{key}"))

        handlers: list[tuple[w.Button, Callable[[], None]]] = [
            (self.refresh_button, self._on_refresh),
            (self.sizes_button, self._on_sizes),
            (self.create_button, self._on_create),
            (self.inspect_button, self._on_inspect),
            (self.browse_button, self._on_browse),
            (self.browse_up, self._on_up),
            (self.browse_open, self._on_open),
            (self.use_button, self._on_use),
            (self.backup_button, self._on_backup),
            (self.restore_button, self._on_restore),
            (self.clone_button, self._on_clone),
            (self.remove_button, self._on_remove),
            (self.remove_unused_button, self._on_remove_unused),
        ]
        for button, handler in handlers:
            button.on_click(self._action(handler))
        self.confirm_yes.on_click(self._action(self._on_confirm, answers=True))
        self.confirm_no.on_click(self._action(self._on_cancel, answers=True))
        self.children = [
            self.banner,
            w.HBox([self.filter, self.refresh_button, self.sizes_button]),
            self.allow_learner,
            self.status,
            self.table,
            self.select,
            self.tabs,
            w.HTML(f"<b>{html.escape(t('volumes.command.title'))}</b>"),
            self.command,
            self.out,
        ]

    # ------------------------------------------------------------ plumbing

    def _action(
        self, handler: Callable[[], None], *, answers: bool = False
    ) -> Callable[[Any], None]:
        """A click handler whose errors become a message in the widget.

        The command box is cleared first, so it only ever shows what this click ran (or
        would run, or did not complete); any other button withdraws a pending question
        (``answers`` marks Yes/No, which answer it)."""

        def on_click(_button: Any = None) -> None:
            import docker.errors
            import requests

            self._clear_command()
            if not answers:
                self._withdraw()
            try:
                handler()
            except vol.VolumeError as exc:
                if exc.command:
                    state = "failed" if exc.attempted else "not_run"
                    self._show_command(exc.command, state=state)
                self._say(exc.message)
            except EngineUnavailable as exc:
                self._say(f"{exc.cause} — {exc.fix}")
            except requests.exceptions.ConnectionError:
                self._say(t("volumes.err.engine_lost"))
            except docker.errors.APIError as exc:
                self._say(t("volumes.err.engine_refused", error=vol.shorten(
                    str(getattr(exc, "explanation", None) or exc), 500)))  # fmt: skip
            except Exception as exc:  # the learner sees it in words, not a traceback
                self._say(
                    t("volumes.err.unexpected", error=f"{type(exc).__name__}: {exc}")
                )

        captured: Callable[[Any], None] = self.out.capture(clear_output=True)(on_click)
        return functools.wraps(handler)(captured)

    def _say(self, message: str) -> None:
        self.last_message = message
        print(message)

    def _clear_command(self) -> None:
        self.last_command = ""
        self.command.value = ""

    def _show_command(self, command: str, *, state: str = "ran") -> None:
        """``state``: "ran", "not_run" (refused before anything was sent), "failed"
        (sent, did not complete) or "confirm" (runs when the learner confirms)."""
        self.last_command = command
        if state == "ran" and self.mode == "recorded":
            title = t("volumes.command.would_run")
        else:
            title = t(f"volumes.command.{state}")
        lines = "\n".join(f"$ {line}" for line in command.splitlines())
        self.command.value = f"<i>{html.escape(title)}</i>{_pre(lines)}"

    def _recorded(self, command: str) -> bool:
        """In recorded mode: show what would run, say nothing changed, return True."""
        if self.mode != "recorded":
            return False
        self._show_command(command)
        self._say(t("volumes.recorded.nothing_changed"))
        return True

    def _selected(self) -> str:
        name = self.select.value
        if not name:
            raise vol.VolumeError(t("volumes.err.none_selected"))
        return str(name)

    def _rows(self) -> tuple[vol.VolumeRow, ...]:
        return self.listing.volumes if self.listing else ()

    def _row(self, name: str) -> vol.VolumeRow | None:
        return next((r for r in self._rows() if r.name == name), None)

    # ------------------------------------------------------------ listing

    def refresh(self, select: str | None = None) -> vol.Listing:
        """List again (a volume made with the CLI appears here after this)."""
        which = str(self.filter.value)
        if self.mode == "recorded":
            assert self.recording is not None
            rec = self.recording.listing
            rows = vol.filter_rows(rec.volumes, which)
            self.listing = vol.Listing(
                rows, vol.cli_ls(which), 0.0, "recorded", rec.provenance
            )
            self.sizes = dict(self.recording.sizes) if self.sizes is not None else None
        else:
            self.listing = vol.list_volumes(self.client, which)
            if self.sizes_thread is None:
                self.sizes = None  # a snapshot: stale once the listing changes
        self._render()
        names = [r.name for r in self.listing.volumes]
        previous = select or self.select.value
        self.select.options = names
        self.select.value = (
            previous if previous in names else (names[0] if names else None)
        )
        count = len(names)
        if self.mode == "recorded":
            self.status.value = html.escape(t("volumes.status.recorded", count=count))
        else:
            self.status.value = html.escape(
                t(
                    "volumes.status.listed",
                    count=count,
                    seconds=f"{self.listing.elapsed_s:.2f}",
                )
            )
        return self.listing

    def _render(self) -> None:
        computing = self.sizes_thread is not None and self.sizes_thread.is_alive()
        self.table.value = render_table(self._rows(), self.sizes, computing=computing)

    def _on_refresh(self) -> None:
        listing = self.refresh()
        self._show_command(listing.command)

    def compute_sizes(self) -> threading.Thread | None:
        """Start computing sizes in a thread; the table updates when they arrive."""
        if self.mode == "recorded":
            assert self.recording is not None
            self.sizes = dict(self.recording.sizes)
            self._render()
            self._show_command("docker system df -v")
            return None
        if self.sizes_thread is not None and self.sizes_thread.is_alive():
            return self.sizes_thread
        self.sizes_button.disabled = True
        self.status.value = html.escape(t("volumes.status.sizing"))
        thread = threading.Thread(target=self._sizes_worker, daemon=True)
        self.sizes_thread = thread
        thread.start()
        self._render()
        self._show_command("docker system df -v")
        return thread

    def _sizes_worker(self) -> None:
        try:
            sizes = vol.volume_sizes(self.client)  # bounded by the client's timeout
            self.sizes = dict(sizes.size_bytes)
            self.status.value = html.escape(
                t("volumes.status.sized", seconds=f"{sizes.elapsed_s:.2f}")
            )
        except Exception as exc:  # shown in the status line: this runs off the kernel
            self.status.value = html.escape(
                t("volumes.err.unexpected", error=f"{type(exc).__name__}: {exc}")
            )
        finally:
            self.sizes_button.disabled = False
            self.sizes_thread = None
            self._render()

    def _on_sizes(self) -> None:
        self.compute_sizes()
        recorded = self.mode == "recorded"
        self._say(t("volumes.recorded.shown" if recorded else "volumes.status.sizing"))

    # ------------------------------------------------------------ actions

    def _on_preset(self, change: Mapping[str, Any]) -> None:
        if change["new"] == "tmpfs":
            self.create_opts.value = vol.format_pairs(vol.TMPFS_PRESET)
        elif self.create_opts.value == vol.format_pairs(vol.TMPFS_PRESET):
            self.create_opts.value = ""

    def _on_create(self) -> None:
        # The same checks in both modes: recorded mode refuses what live would refuse.
        name = self.create_name.value.strip()
        vol.check_name(name)  # an empty name is refused, never replaced by a random one
        labels = vol.parse_pairs(self.create_labels.value, what="label")
        opts = vol.parse_pairs(self.create_opts.value, what="option")
        vol.check_options(opts)
        if self._recorded(vol.cli_create(name, user_labels=labels, driver_opts=opts,
                                         chapter=self.chapter)):  # fmt: skip
            return
        created = vol.create_volume(
            self.client,
            name,
            labels=labels,
            driver_opts=opts,
            image_ref=self.image_ref,
            chapter=self.chapter,
        )
        self.refresh(select=created.volume.name)
        self._show_command(created.command)
        self._say(t("volumes.done.created", name=created.volume.name))

    def _on_inspect(self) -> None:
        name = self._selected()
        if self.mode == "recorded":
            assert self.recording is not None
            row = self._row(name)
            details = self.recording.details.get(name, {})
            self.inspect_view.value = _pre(json.dumps(details, indent=2))
            self._show_command(vol.cli_inspect(name, in_use=bool(row and row.in_use)))
            self._say(t("volumes.recorded.shown"))
            return
        found = vol.inspect_volume(self.client, name)
        users = vol.describe_users(found.volume.users) or t("volumes.inspect.no_users")
        self.inspect_view.value = (
            _pre(json.dumps(found.details, indent=2))
            + f"<p>{html.escape(t('volumes.inspect.users', users=users))}</p>"
        )
        self._show_command(found.command)
        self._say(t("volumes.done.inspected", name=name))

    def _list_dir(self, path: str) -> None:
        path = vol.check_volume_path(path)
        name = self._selected()
        if self.mode == "recorded":
            assert self.recording is not None
            if path != "/" or name not in self.recording.files:
                self._recorded(vol.cli_browse(self.image_ref, name, path))
                return
            entries = self.recording.files[name]
            command = vol.cli_browse(self.image_ref, name, path)
        else:
            browsed = vol.browse(
                self.client, self.image_ref, name, path, chapter=self.chapter
            )
            entries, command = browsed.entries, browsed.command
        self._browse_path = path
        self.browse_path.value = path
        self.browse_entries.options = [
            (
                f"{e.name}/"
                if e.kind == "dir"
                else f"{e.name}  ({format_size(e.size_bytes)})",
                e.name,
            )
            for e in entries
        ]
        self._entries = {e.name: e for e in entries}
        self._show_command(command)
        self._say(t("volumes.done.browsed", name=name, path=path, count=len(entries)))

    def _on_browse(self) -> None:
        self._list_dir(self.browse_path.value)

    def _on_up(self) -> None:
        self._list_dir(posixpath.dirname(self._browse_path.rstrip("/")) or "/")

    def _on_open(self) -> None:
        chosen = self.browse_entries.value
        if not chosen:
            raise vol.VolumeError(t("volumes.err.no_entry"))
        entry = getattr(self, "_entries", {}).get(chosen)
        path = posixpath.join(self._browse_path, str(chosen))
        if entry is not None and entry.kind == "dir":
            self._list_dir(path)
            return
        name = self._selected()
        if self._recorded(vol.cli_preview(self.image_ref, name, path)):
            return
        shown = vol.preview(
            self.client, self.image_ref, name, path, chapter=self.chapter
        )
        if shown.binary:
            body = f"<i>{html.escape(t('volumes.preview.binary'))}</i>"
        else:
            more = f"<i>{html.escape(t('volumes.preview.truncated'))}</i>"
            body = _pre(shown.text) + (more if shown.truncated else "")
        self.preview_view.value = f"<b>{html.escape(shown.path)}</b>{body}"
        self._show_command(shown.command)
        self._say(t("volumes.done.previewed", path=shown.path))

    def _guard_recorded(self, name: str, command: str) -> None:
        """Recorded mode refuses a change to the learner's own volume, as live does."""
        row = self._row(name)
        if row is not None and not row.course_made and not self.allow_learner.value:
            raise vol.LearnerVolume(t("volumes.err.learner_volume", name=name), command)

    def _on_use(self) -> None:
        name = self._selected()
        command_text = self.use_command.value
        vol.check_shell_command(command_text)
        if self.mode == "recorded":
            self._guard_recorded(name, vol.cli_use(self.image_ref, name, command_text))
        if self._recorded(vol.cli_use(self.image_ref, name, command_text)):
            return
        used = vol.use_volume(
            self.client, self.image_ref, name, command_text,
            allow_learner=self.allow_learner.value, chapter=self.chapter,
        )  # fmt: skip
        self.use_view.value = _pre(used.output or "")
        self._show_command(used.command)
        self._say(t("volumes.done.used", name=name, code=used.exit_code,
                    seconds=f"{used.elapsed_s:.2f}"))  # fmt: skip

    def _on_backup(self) -> None:
        """A relative file name goes into the session's scratch folder; a missing or
        unwritable folder is refused before anything runs."""
        name = self._selected()
        typed = self.backup_path.value.strip()
        if typed:
            path = vol.check_host_path(typed, base=self._scratch())
        else:
            path = self._scratch() / vol.default_backup_path(name)
        vol.check_backup_target(path)
        if self._recorded(vol.cli_backup(self.image_ref, name, path)):
            return
        done = vol.backup(self.client, self.image_ref, name, path, chapter=self.chapter)
        self.restore_path.value = str(done.path)
        self._show_command(done.command)
        self._say(t("volumes.done.backed_up", name=name, path=done.path,
                    size=format_size(done.size_bytes)))  # fmt: skip

    def _scratch(self) -> Path:
        """Where a backup goes when no path is given: the session's scratch folder
        (removed by ``course.clean()`` and ``dockcourse clean``), never the notebook's."""
        folder = getattr(self.session, "scratch", None)
        if isinstance(folder, Path):
            return folder
        if self._own_scratch is None or not self._own_scratch.is_dir():
            self._own_scratch = scratch.make(self.chapter)
            atexit.register(scratch.remove, self._own_scratch)
        return self._own_scratch

    def _restore_source(self) -> Path:
        """The typed tar file: a relative name is looked for in the scratch folder
        (where backups go), then beside the notebook."""
        typed = self.restore_path.value
        path = vol.check_host_path(typed)
        if not path.is_absolute():
            in_scratch = vol.check_host_path(typed, base=self._scratch())
            if _is_file(in_scratch):
                return in_scratch
        return path

    def _on_restore(self) -> None:
        name = self._selected()
        path = self._restore_source()
        command = vol.cli_restore(self.image_ref, name, path)
        if self.mode == "recorded":
            self._guard_recorded(name, command)
        # checked in both modes: the file is on this machine
        if not _is_file(path):
            raise vol.VolumeError(
                t("volumes.err.not_a_tar", path=vol.shorten(str(path))), command
            )
        if self._recorded(command):
            return
        self._ask(
            t("volumes.confirm.restore", path=path, name=name),
            lambda: self._restore(name, path),
            command,
        )

    def _restore(self, name: str, path: Path) -> None:
        done = vol.restore(
            self.client, self.image_ref, name, path,
            allow_learner=self.allow_learner.value, chapter=self.chapter,
        )  # fmt: skip
        self._show_command(done.command)
        self._say(t("volumes.done.restored", name=name, path=done.path))

    def _on_clone(self) -> None:
        source = self._selected()
        target = self.clone_name.value.strip()
        vol.check_name(target)  # the same check in both modes; empty is refused
        if self._recorded(
            vol.cli_clone(self.image_ref, source, target, chapter=self.chapter)
        ):
            return
        done = vol.clone(
            self.client, self.image_ref, source, target, chapter=self.chapter
        )
        self.refresh(select=done.volume.name)
        self._show_command(done.command)
        self._say(t("volumes.done.cloned", source=source, name=done.volume.name))

    def _ask(self, question: str, then: Callable[[], None], command: str) -> None:
        """Ask first; the command box shows what runs on Yes."""
        self._pending = then
        self.confirm_text.value = f"<b>{html.escape(question)}</b>"
        self.confirm_box.layout.display = "flex"
        self._show_command(command, state="confirm")
        self._say(question)

    def _withdraw(self) -> None:
        """Another button was pressed: a question still open no longer applies."""
        self._pending = None
        self.confirm_box.layout.display = "none"

    def _on_cancel(self) -> None:
        self._withdraw()
        self._say(t("volumes.cancelled"))

    def _on_confirm(self) -> None:
        then, self._pending = self._pending, None
        self.confirm_box.layout.display = "none"
        if then is not None:
            then()

    def _on_remove(self) -> None:
        name = self._selected()
        row = self._row(name)
        if row is not None and not row.course_made and not self.allow_learner.value:
            raise vol.LearnerVolume(
                t("volumes.err.learner_volume", name=name), vol.cli_remove(name)
            )
        if self._recorded(vol.cli_remove(name)):
            return
        question = t("volumes.confirm.remove", name=name)
        if row is not None and row.course_made:
            other = row.labels.get(LABEL_SESSION, "")
            if other != session_id():  # another notebook's (another session's) volume
                question = t(
                    "volumes.confirm.remove_other",
                    name=name,
                    session=other or "?",
                    chapter=row.labels.get(LABEL_CHAPTER, "?"),
                    alive=t(f"volumes.session.{session_state(row.labels)}"),
                )
        self._ask(question, lambda: self._remove(name), vol.cli_remove(name))

    def _remove(self, name: str) -> None:
        done = vol.remove_volume(
            self.client, name, allow_learner=self.allow_learner.value
        )
        self.refresh()
        self._show_command(done.command)
        self._say(t("volumes.done.removed", name=name))

    def _on_remove_unused(self) -> None:
        if self.mode == "recorded":
            self._recorded(
                f"docker volume ls -q --filter dangling=true --filter label={LABEL_COURSE}=true"
                f" --filter label={LABEL_SESSION}={session_id()}"
            )
            return
        command = (
            f"docker volume ls -q --filter dangling=true --filter label={LABEL_COURSE}=true"
            f" --filter label={LABEL_SESSION}={session_id()}"
        )
        self._ask(t("volumes.confirm.remove_unused"), self._remove_unused, command)

    def _remove_unused(self) -> None:
        """This notebook's unused course volumes only: another notebook on the same
        engine (another session) keeps its own."""
        done = vol.remove_unused(self.client, session=session_id())
        self.refresh()
        self._show_command(done.command)
        message = t("volumes.done.removed_unused", count=len(done.names))
        for name, why in done.skipped.items():
            message += "\n" + t("volumes.skipped", name=name, why=why)
        self._say(message)

    # ------------------------------------------------------------ for tests

    def wait_for_sizes(self, timeout_s: float = 60.0) -> bool:
        """Wait until sizes are computed (tests and benchmarks); True when done."""
        deadline = time.monotonic() + timeout_s
        thread = self.sizes_thread
        if thread is not None:
            thread.join(max(0.0, deadline - time.monotonic()))
        return self.sizes is not None
