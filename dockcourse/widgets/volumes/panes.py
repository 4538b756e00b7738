"""The workbench's tabs, one small widget each: create, inspect, browse, use, back up
and restore, clone, remove. Each acts on the selected volume through the shared
:class:`~.bench.Bench` and shows the ``docker`` command of what it does."""

from __future__ import annotations

import html
import json
import posixpath
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import ipywidgets as w

from ... import volumes as vol
from ...resources import LABEL_CHAPTER, LABEL_COURSE, LABEL_SESSION, session_id
from ...text import t
from .bench import Bench, button
from .display import CSS, format_size, is_file, pre, session_state


class CreatePane(w.VBox):  # type: ignore[misc]
    """``docker volume create`` with labels and driver options."""

    def __init__(self, bench: Bench) -> None:
        self.bench = bench
        self.name = w.Text(description=t("volumes.create.name"), placeholder="myvolume")
        self.name.add_class(f"{CSS}-create-name")
        self.labels = w.Textarea(
            description=t("volumes.create.labels"), placeholder="project=demo"
        )
        self.preset = w.Dropdown(
            description=t("volumes.create.preset"),
            options=[
                (t("volumes.preset.none"), ""),
                (t("volumes.preset.tmpfs"), "tmpfs"),
            ],
        )
        self.preset.observe(self._on_preset, names="value")
        self.opts = w.Textarea(
            description=t("volumes.create.options"), placeholder="type=tmpfs"
        )
        self.button = button("volumes.button.create", "create", "primary")
        super().__init__([self.name, self.labels, self.preset, self.opts, self.button])
        bench.wire((self.button, self.create))

    def _on_preset(self, change: Mapping[str, Any]) -> None:
        if change["new"] == "tmpfs":
            self.opts.value = vol.format_pairs(vol.TMPFS_PRESET)
        elif self.opts.value == vol.format_pairs(vol.TMPFS_PRESET):
            self.opts.value = ""

    def create(self) -> None:
        # The same checks in both modes: recorded mode refuses what live would refuse.
        bench = self.bench
        name = self.name.value.strip()
        vol.check_name(name)  # an empty name is refused, never replaced by a random one
        labels = vol.parse_pairs(self.labels.value, what="label")
        opts = vol.parse_pairs(self.opts.value, what="option")
        vol.check_options(opts)
        if bench.recorded(vol.cli_create(name, user_labels=labels, driver_opts=opts,
                                         chapter=bench.chapter)):  # fmt: skip
            return
        created = vol.create_volume(
            bench.client,
            name,
            labels=labels,
            driver_opts=opts,
            image_ref=bench.image_ref,
            chapter=bench.chapter,
        )
        bench.volumes.refresh(select=created.volume.name)
        bench.show_command(created.command)
        bench.say(t("volumes.done.created", name=created.volume.name))


class InspectPane(w.VBox):  # type: ignore[misc]
    """``docker volume inspect`` and the containers that use the volume."""

    def __init__(self, bench: Bench) -> None:
        self.bench = bench
        self.button = button("volumes.button.inspect", "inspect")
        self.view = w.HTML()
        super().__init__([self.button, self.view])
        bench.wire((self.button, self.inspect))

    def inspect(self) -> None:
        bench = self.bench
        name = bench.selected()
        if not bench.live:
            row = bench.row(name)
            details = bench.the_recording().details.get(name, {})
            self.view.value = pre(json.dumps(details, indent=2))
            bench.show_command(vol.cli_inspect(name, in_use=bool(row and row.in_use)))
            bench.say(t("volumes.recorded.shown"))
            return
        found = vol.inspect_volume(bench.client, name)
        users = vol.describe_users(found.volume.users) or t("volumes.inspect.no_users")
        self.view.value = (
            pre(json.dumps(found.details, indent=2))
            + f"<p>{html.escape(t('volumes.inspect.users', users=users))}</p>"
        )
        bench.show_command(found.command)
        bench.say(t("volumes.done.inspected", name=name))


class BrowsePane(w.VBox):  # type: ignore[misc]
    """A folder of the volume, read-only, and the start of a file in it."""

    def __init__(self, bench: Bench) -> None:
        self.bench = bench
        self.path = w.Text(value="/", description=t("volumes.browse.path"))
        self.button = button("volumes.button.list", "browse")
        self.up = button("volumes.button.up", "up")
        self.entries = w.Select(options=[], rows=8)
        self.entries.layout.width = "32em"
        self.open_button = button("volumes.button.open", "open")
        self.preview_view = w.HTML()
        self._shown_path = "/"
        self._entries: dict[str, vol.Entry] = {}
        super().__init__([
            w.HBox([self.path, self.button, self.up]),
            w.HBox([self.entries, self.open_button]),
            self.preview_view,
        ])  # fmt: skip
        bench.wire(
            (self.button, self._on_browse), (self.up, self._on_up),
            (self.open_button, self._on_open),
        )  # fmt: skip

    def list_dir(self, path: str) -> None:
        bench = self.bench
        path = vol.check_volume_path(path)
        name = bench.selected()
        if not bench.live:
            files = bench.the_recording().files
            if path != "/" or name not in files:
                bench.recorded(vol.cli_browse(bench.image_ref, name, path))
                return
            entries = files[name]
            command = vol.cli_browse(bench.image_ref, name, path)
        else:
            browsed = vol.browse(
                bench.client, bench.image_ref, name, path, chapter=bench.chapter
            )
            entries, command = browsed.entries, browsed.command
        self._shown_path = path
        self.path.value = path
        self.entries.options = [
            (
                f"{e.name}/"
                if e.kind == "dir"
                else f"{e.name}  ({format_size(e.size_bytes)})",
                e.name,
            )
            for e in entries
        ]
        self._entries = {e.name: e for e in entries}
        bench.show_command(command)
        bench.say(t("volumes.done.browsed", name=name, path=path, count=len(entries)))

    def _on_browse(self) -> None:
        self.list_dir(self.path.value)

    def _on_up(self) -> None:
        self.list_dir(posixpath.dirname(self._shown_path.rstrip("/")) or "/")

    def _on_open(self) -> None:
        bench = self.bench
        chosen = self.entries.value
        if not chosen:
            raise vol.VolumeError(t("volumes.err.no_entry"))
        entry = self._entries.get(chosen)
        path = posixpath.join(self._shown_path, str(chosen))
        if entry is not None and entry.kind == "dir":
            self.list_dir(path)
            return
        name = bench.selected()
        if bench.recorded(vol.cli_preview(bench.image_ref, name, path)):
            return
        shown = vol.preview(
            bench.client, bench.image_ref, name, path, chapter=bench.chapter
        )
        if shown.binary:
            body = f"<i>{html.escape(t('volumes.preview.binary'))}</i>"
        else:
            more = f"<i>{html.escape(t('volumes.preview.truncated'))}</i>"
            body = pre(shown.text) + (more if shown.truncated else "")
        self.preview_view.value = f"<b>{html.escape(shown.path)}</b>{body}"
        bench.show_command(shown.command)
        bench.say(t("volumes.done.previewed", path=shown.path))


class UsePane(w.VBox):  # type: ignore[misc]
    """A shell command in a container that mounts the volume at ``/data``."""

    def __init__(self, bench: Bench) -> None:
        self.bench = bench
        self.command = w.Text(
            value='echo "hello from $(hostname)" >> hello.txt && ls -l && cat hello.txt',
            description=t("volumes.use.command"),
        )
        self.command.layout.width = "48em"
        self.button = button("volumes.button.run", "run", "primary")
        self.view = w.HTML()
        super().__init__([
            w.HTML(html.escape(t("volumes.use.help"))),
            self.command, self.button, self.view,
        ])  # fmt: skip
        bench.wire((self.button, self.use))

    def use(self) -> None:
        bench = self.bench
        name = bench.selected()
        command_text = self.command.value
        vol.check_shell_command(command_text)
        if not bench.live:
            bench.guard_recorded(name, vol.cli_use(bench.image_ref, name, command_text))
        if bench.recorded(vol.cli_use(bench.image_ref, name, command_text)):
            return
        used = vol.use_volume(
            bench.client, bench.image_ref, name, command_text,
            allow_learner=bench.allow_learner.value, chapter=bench.chapter,
        )  # fmt: skip
        self.view.value = pre(used.output or "")
        bench.show_command(used.command)
        bench.say(t("volumes.done.used", name=name, code=used.exit_code,
                    seconds=f"{used.elapsed_s:.2f}"))  # fmt: skip


class BackupPane(w.VBox):  # type: ignore[misc]
    """A tar file of the volume's files, and a tar file back into the volume."""

    def __init__(self, bench: Bench) -> None:
        self.bench = bench
        self.backup_path = w.Text(
            description=t("volumes.backup.file"), placeholder="myvolume-backup.tar"
        )
        self.backup_button = button("volumes.button.backup", "backup")
        self.restore_path = w.Text(description=t("volumes.restore.file"))
        self.restore_button = button("volumes.button.restore", "restore", "warning")
        super().__init__([
            w.HBox([self.backup_path, self.backup_button]),
            w.HBox([self.restore_path, self.restore_button]),
        ])  # fmt: skip
        bench.wire(
            (self.backup_button, self.backup), (self.restore_button, self.restore)
        )

    def backup(self) -> None:
        """A relative file name goes into the session's scratch folder; a missing or
        unwritable folder is refused before anything runs."""
        bench = self.bench
        name = bench.selected()
        typed = self.backup_path.value.strip()
        if typed:
            path = vol.check_host_path(typed, base=bench.scratch())
        else:
            path = bench.scratch() / vol.default_backup_path(name)
        vol.check_backup_target(path)
        if bench.recorded(vol.cli_backup(bench.image_ref, name, path)):
            return
        done = vol.backup(
            bench.client, bench.image_ref, name, path, chapter=bench.chapter
        )
        self.restore_path.value = str(done.path)
        bench.show_command(done.command)
        bench.say(t("volumes.done.backed_up", name=name, path=done.path,
                    size=format_size(done.size_bytes)))  # fmt: skip

    def _restore_source(self) -> Path:
        """The typed tar file: a relative name is looked for in the scratch folder
        (where backups go), then beside the notebook."""
        typed = self.restore_path.value
        path = vol.check_host_path(typed)
        if not path.is_absolute():
            in_scratch = vol.check_host_path(typed, base=self.bench.scratch())
            if is_file(in_scratch):
                return in_scratch
        return path

    def restore(self) -> None:
        bench = self.bench
        name = bench.selected()
        path = self._restore_source()
        command = vol.cli_restore(bench.image_ref, name, path)
        if not bench.live:
            bench.guard_recorded(name, command)
        # checked in both modes: the file is on this machine
        if not is_file(path):
            raise vol.VolumeError(
                t("volumes.err.not_a_tar", path=vol.shorten(str(path))), command
            )
        if bench.recorded(command):
            return

        def confirmed() -> None:
            done = vol.restore(
                bench.client, bench.image_ref, name, path,
                allow_learner=bench.allow_learner.value, chapter=bench.chapter,
            )  # fmt: skip
            bench.show_command(done.command)
            bench.say(t("volumes.done.restored", name=name, path=done.path))

        bench.ask(
            t("volumes.confirm.restore", path=path, name=name), confirmed, command
        )


class ClonePane(w.VBox):  # type: ignore[misc]
    """A new volume with a copy of the selected volume's files."""

    def __init__(self, bench: Bench) -> None:
        self.bench = bench
        self.name = w.Text(description=t("volumes.clone.name"))
        self.button = button("volumes.button.clone", "clone")
        super().__init__([w.HBox([self.name, self.button])])
        bench.wire((self.button, self.clone))

    def clone(self) -> None:
        bench = self.bench
        source = bench.selected()
        target = self.name.value.strip()
        vol.check_name(target)  # the same check in both modes; empty is refused
        if bench.recorded(
            vol.cli_clone(bench.image_ref, source, target, chapter=bench.chapter)
        ):
            return
        done = vol.clone(
            bench.client, bench.image_ref, source, target, chapter=bench.chapter
        )
        bench.volumes.refresh(select=done.volume.name)
        bench.show_command(done.command)
        bench.say(t("volumes.done.cloned", source=source, name=done.volume.name))


def _unused_command() -> str:
    return (
        f"docker volume ls -q --filter dangling=true --filter label={LABEL_COURSE}=true"
        f" --filter label={LABEL_SESSION}={session_id()}"
    )


class RemovePane(w.VBox):  # type: ignore[misc]
    """``docker volume rm``, one volume or this session's unused ones, after a Yes."""

    def __init__(self, bench: Bench) -> None:
        self.bench = bench
        self.button = button("volumes.button.remove", "remove", "danger")
        self.unused_button = button(
            "volumes.button.remove_unused", "remove-unused", "danger"
        )
        super().__init__([w.HBox([self.button, self.unused_button]), bench.confirm])
        bench.wire((self.button, self.remove), (self.unused_button, self.remove_unused))

    def remove(self) -> None:
        bench = self.bench
        name = bench.selected()
        row = bench.row(name)
        if row is not None and not row.course_made and not bench.allow_learner.value:
            raise vol.LearnerVolume(
                t("volumes.err.learner_volume", name=name), vol.cli_remove(name)
            )
        if bench.recorded(vol.cli_remove(name)):
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

        def confirmed() -> None:
            done = vol.remove_volume(
                bench.client, name, allow_learner=bench.allow_learner.value
            )
            bench.volumes.refresh()
            bench.show_command(done.command)
            bench.say(t("volumes.done.removed", name=name))

        bench.ask(question, confirmed, vol.cli_remove(name))

    def remove_unused(self) -> None:
        if self.bench.recorded(_unused_command()):
            return
        question = t("volumes.confirm.remove_unused")
        self.bench.ask(question, self.remove_unused_now, _unused_command())

    def remove_unused_now(self) -> None:
        """This notebook's unused course volumes only: another notebook on the same
        engine (another session) keeps its own."""
        bench = self.bench
        done = vol.remove_unused(bench.client, session=session_id())
        bench.volumes.refresh()
        bench.show_command(done.command)
        message = t("volumes.done.removed_unused", count=len(done.names))
        for name, why in done.skipped.items():
            message += "\n" + t("volumes.skipped", name=name, why=why)
        bench.say(message)
