"""The volume workbench of chapter 06 (:class:`VolumeManager`), one job per module:

- ``manager``: ``VolumeManager``, which composes the parts below;
- ``bench``: what the parts share (mode, engine, selected volume, click handling);
- ``listing``: the volume list and its sizes (computed in a thread);
- ``panes``: one small widget per tab (create, inspect, browse, use, backup, clone,
  remove);
- ``feedback``: the command box, the message line and the Yes/No bar;
- ``display``: data to text (the table, sizes, times).

Live mode runs each action on the engine through :mod:`dockcourse.volumes`; recorded mode
(no engine, e.g. Binder) shows the listing recorded on a real engine, labelled with its
provenance, and shows the command each action would run instead of running it. Errors
go to the widget's message area, never as a traceback.
"""

from __future__ import annotations

from .display import (
    CSS,
    created_time,
    format_size,
    recorded_stamp,
    render_table,
    session_state,
)
from .manager import VolumeManager

__all__ = [
    "CSS",
    "VolumeManager",
    "created_time",
    "format_size",
    "recorded_stamp",
    "render_table",
    "session_state",
]
