"""dockcourse: the helper package of a hands-on Docker course.

Importing it does nothing: no connection, no pulls, no matplotlib. Names are loaded on
first use, so ``from dockcourse import setup`` is instant. ``setup()`` in the first cell
of each chapter does the visible work.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from ._version import __version__

#: public name -> module that defines it
_EXPORTS = {
    "setup": "session",
    "Session": "session",
    "CourseError": "errors",
    "EngineUnavailable": "engine",
    "connect": "engine",
    "ensure_image": "images",
    "course_container": "resources",
    "course_volume": "resources",
    "doctor_report": "doctor",
    "reset_button": "widgets.reset",
    "VolumeManager": "widgets.volumes",
    "quiz": "widgets.quiz",
    "measure_process": "measure.startup",
    "measure_namespaces": "measure.startup",
    "measure_container": "measure.startup",
    "measure_vm": "measure.vm",
    "measure_container_disk": "measure.disk",
    "measure_vm_disk": "measure.vm",
    "live_results": "measure.results",
    "load_recorded": "measure.results",
    "plot_startup": "plots",
    "plot_phases": "plots",
    "plot_disk": "plots",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'dockcourse' has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext dockcourse``: the ``%docker`` magics (``setup()`` registers them too)."""
    from .cli_magic import load_ipython_extension as load

    load(ipython)
