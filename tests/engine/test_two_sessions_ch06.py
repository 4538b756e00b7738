"""Two notebooks on one engine, each its own session, run chapter 06 at the same time
(a class on one server, or two tabs): both run to their end with no error, and neither
removes what the other made (issue 12)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

pytestmark = pytest.mark.engine
CHAPTER = Path(__file__).resolve().parents[2] / "notebooks" / "en" / "06_volumes.ipynb"


def _errors(nb: Any) -> list[str]:
    found = []
    for cell in nb.cells:
        if cell.cell_type != "code" or "raises-exception" in cell.metadata.get(
            "tags", []
        ):
            continue
        for out in cell.get("outputs", []):
            if out.output_type == "error":
                found.append(f"{cell.get('id')}: {out.ename}: {out.evalue}")
    return found


def test_two_sessions_run_chapter_06_at_once() -> None:
    results: dict[int, Any] = {}

    def run(n: int) -> None:
        nb = nbformat.read(CHAPTER, as_version=4)
        try:
            NotebookClient(
                nb, timeout=300, kernel_name="python3", allow_errors=True,
                resources={"metadata": {"path": str(CHAPTER.parent)}},
            ).execute()  # fmt: skip
            results[n] = nb
        except Exception as exc:  # the failure is reported below, with the other's
            results[n] = exc

    threads = [threading.Thread(target=run, args=(n,)) for n in (1, 2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=900)
    for n in (1, 2):
        nb = results.get(n)
        assert nb is not None and not isinstance(nb, Exception), f"run {n}: {nb!r}"
        assert _errors(nb) == [], f"run {n} failed: {_errors(nb)}"
