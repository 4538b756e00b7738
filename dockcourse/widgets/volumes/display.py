"""How the volume workbench shows things: sizes, creation times, the listing as an
HTML table, whether another session is alive, preformatted text. Data in, text out."""

from __future__ import annotations

import html
import time
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path

from ... import volumes as vol
from ...resources import (
    LABEL_CREATED,
    LABEL_HOST,
    LABEL_PID,
    Owned,
    host_identity,
    is_stale,
)
from ...text import t
from ...units import human_bytes

#: CSS classes the browser test (and curious learners) can find the controls by.
CSS = "dockcourse-volumes"


def format_size(size_bytes: int | None) -> str:
    if size_bytes is None:
        return t("volumes.size.unknown")
    return human_bytes(size_bytes)


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


def is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:  # a name too long, a folder that cannot be read
        return False


def pre(text: str) -> str:
    return f"<pre style='margin:0;white-space:pre-wrap'>{html.escape(text)}</pre>"
