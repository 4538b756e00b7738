"""The volume list: the filter, the table (with sizes on demand), the status line and
the selected volume. Sizes (``docker system df -v``, slow) are computed in a thread;
what the thread changes on screen goes through :meth:`VolumeList._from_thread`."""

from __future__ import annotations

import html
import threading
import time
from collections.abc import Callable

import ipywidgets as w

from ... import volumes as vol
from ...text import t
from .bench import Bench, button
from .display import CSS, render_table


class VolumeList(w.VBox):  # type: ignore[misc]
    """``docker volume ls`` as a table to pick a volume from."""

    def __init__(self, bench: Bench) -> None:
        self.bench = bench
        bench.volumes = self
        self.listing: vol.Listing | None = None
        self.sizes: dict[str, int | None] | None = None
        self.sizes_thread: threading.Thread | None = None
        self._ui = threading.Lock()
        self.filter = w.ToggleButtons(
            options=[(t(f"volumes.filter.{f}"), f) for f in vol.FILTERS], value="all"
        )
        self.filter.style.button_width = "auto"
        self.refresh_button = button("volumes.button.refresh", "refresh")
        self.sizes_button = button("volumes.button.sizes", "sizes")
        self.status = w.HTML()
        self.table = w.HTML()
        self.table.add_class(f"{CSS}-listing")
        self.select = w.Dropdown(description=t("volumes.selected"), options=[])
        self.select.add_class(f"{CSS}-select")
        self.select.layout.width = "32em"
        super().__init__([
            w.HBox([self.filter, self.refresh_button, self.sizes_button]),
            bench.allow_learner, self.status, self.table, self.select,
        ])  # fmt: skip
        self.filter.observe(lambda _change: self._on_refresh(), names="value")
        bench.wire(
            (self.refresh_button, self._on_refresh), (self.sizes_button, self._on_sizes)
        )

    # ---------------------------------------------------------------- reading

    def rows(self) -> tuple[vol.VolumeRow, ...]:
        return self.listing.volumes if self.listing else ()

    def row(self, name: str) -> vol.VolumeRow | None:
        return next((r for r in self.rows() if r.name == name), None)

    def selected(self) -> str:
        name = self.select.value
        if not name:
            raise vol.VolumeError(t("volumes.err.none_selected"))
        return str(name)

    # ---------------------------------------------------------------- listing

    def refresh(self, select: str | None = None) -> vol.Listing:
        """List again (a volume made with the CLI appears here after this)."""
        bench = self.bench
        which = str(self.filter.value)
        if bench.live:
            listing = vol.list_volumes(bench.client, which)
        else:
            rec = bench.the_recording().listing
            rows = vol.filter_rows(rec.volumes, which)
            listing = vol.Listing(
                rows, vol.cli_ls(which), 0.0, "recorded", rec.provenance
            )
        with self._ui:
            self.listing = listing
            if not bench.live:
                recorded = bench.the_recording().sizes
                self.sizes = dict(recorded) if self.sizes is not None else None
            elif self.sizes_thread is None:
                self.sizes = None  # a snapshot: stale once the listing changes
            self._render()
        names = [r.name for r in listing.volumes]
        previous = select or self.select.value
        self.select.options = names
        self.select.value = (
            previous if previous in names else (names[0] if names else None)
        )
        if bench.live:
            self.status.value = html.escape(
                t("volumes.status.listed", count=len(names),
                  seconds=f"{listing.elapsed_s:.2f}")
            )  # fmt: skip
        else:
            self.status.value = html.escape(
                t("volumes.status.recorded", count=len(names))
            )
        return listing

    def _render(self) -> None:
        computing = self.sizes_thread is not None and self.sizes_thread.is_alive()
        self.table.value = render_table(self.rows(), self.sizes, computing=computing)

    def _on_refresh(self) -> None:
        listing = self.refresh()
        self.bench.show_command(listing.command)

    # ------------------------------------------------------------------ sizes

    def compute_sizes(self) -> threading.Thread | None:
        """Start computing sizes in a thread; the table updates when they arrive."""
        if not self.bench.live:
            self.sizes = dict(self.bench.the_recording().sizes)
            self._render()
            self.bench.show_command("docker system df -v")
            return None
        if self.sizes_thread is not None and self.sizes_thread.is_alive():
            return self.sizes_thread
        self.sizes_button.disabled = True
        self.status.value = html.escape(t("volumes.status.sizing"))
        thread = threading.Thread(target=self._sizes_worker, daemon=True)
        self.sizes_thread = thread
        thread.start()
        with self._ui:
            self._render()
        self.bench.show_command("docker system df -v")
        return thread

    def _from_thread(self, update: Callable[[], None]) -> None:
        """The one way the sizes thread changes what is on screen: under the lock the
        kernel's own updates of the table take too."""
        with self._ui:
            update()

    def _sizes_worker(self) -> None:
        status = ""
        sizes: dict[str, int | None] | None = None
        try:
            found = vol.volume_sizes(self.bench.client)  # bounded by the timeout
            sizes = dict(found.size_bytes)
            status = t("volumes.status.sized", seconds=f"{found.elapsed_s:.2f}")
        except Exception as exc:  # shown in the status line: this runs off the kernel
            status = t("volumes.err.unexpected", error=f"{type(exc).__name__}: {exc}")
        finally:

            def arrived() -> None:
                if sizes is not None:
                    self.sizes = sizes
                self.status.value = html.escape(status)
                self.sizes_button.disabled = False
                self.sizes_thread = None
                self._render()

            self._from_thread(arrived)

    def _on_sizes(self) -> None:
        self.compute_sizes()
        live = self.bench.live
        self.bench.say(t("volumes.status.sizing" if live else "volumes.recorded.shown"))

    def wait_for_sizes(self, timeout_s: float = 60.0) -> bool:
        """Wait until sizes are computed (tests and benchmarks); True when done."""
        deadline = time.monotonic() + timeout_s
        thread = self.sizes_thread
        if thread is not None:
            thread.join(max(0.0, deadline - time.monotonic()))
        return self.sizes is not None
