"""Can this notebook look into a volume's ``Mountpoint``? (chapter 06, section 6)"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..text import t


def _locked_folder(path: str) -> str:
    """The first folder on the way to ``path`` this process may not enter."""
    parts = Path(path).parts
    for i in range(1, len(parts) + 1):
        folder = str(Path(*parts[:i]))
        if os.path.isdir(folder) and not os.access(folder, os.X_OK):
            return folder
    return str(Path(path).parent)


def _user() -> str:
    try:
        import pwd

        return f"{pwd.getpwuid(os.geteuid()).pw_name} (uid {os.geteuid()})"
    except (ImportError, KeyError, AttributeError):
        return "?"


def mountpoint_view(path: str, engine_sees_files: bool) -> dict[str, Any]:
    """Can this notebook look into a volume's ``Mountpoint``? (chapter 06, section 6)

    It depends on where the engine runs (``engine_sees_files``: the bind-mount probe of
    ``Session.engine_sees_files``) and on who runs the notebook. The answer is data
    (``state`` one of open, root_only, elsewhere, hidden), rendered by
    :func:`describe_mountpoint`, so a recorded answer reads in every language.
    """
    view: dict[str, Any] = {"path": path, "user": _user()}
    if not engine_sees_files:
        return {**view, "state": "elsewhere"}
    try:
        files = sorted(os.listdir(path))
    except PermissionError:
        return {**view, "state": "root_only", "locked": _locked_folder(path)}
    except OSError:
        return {**view, "state": "hidden"}
    return {**view, "state": "open", "files": files}


def describe_mountpoint(view: Mapping[str, Any]) -> str:
    """One sentence: what :func:`mountpoint_view` found."""
    state = str(view.get("state", "hidden"))
    if state not in ("open", "root_only", "elsewhere", "hidden"):
        state = "hidden"
    files = ", ".join(str(f) for f in view.get("files") or [])
    return t(
        f"volumes.mountpoint.{state}",
        path=view.get("path", "?"),
        user=view.get("user", "?"),
        locked=view.get("locked", "?"),
        files=files or t("volumes.mountpoint.empty"),
    )
