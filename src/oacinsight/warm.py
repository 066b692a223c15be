"""Import heavy modules on a background thread while the caller does other work.

A command that needs a slow-to-import module only later (``scipy.special`` for need's
intervals, ~0.15 s) can start importing it while the store is opened and queried
(DuckDB releases the GIL); the later ``import`` then finds it loaded, or waits for the
import under way (Python's import lock), so the result is the same either way.
"""

from __future__ import annotations

import importlib
import sys
import threading

__all__ = ["warm"]


def warm(*modules: str) -> threading.Thread | None:
    """Start importing ``modules`` on a thread (none when all are loaded already).

    The thread is not a daemon: the interpreter waits for a started import at exit
    rather than stop it halfway.  A failed import is left for the caller's own import
    to report.
    """
    missing = [m for m in modules if m not in sys.modules]
    if not missing:
        return None
    thread = threading.Thread(target=_load, args=(missing,), name="oacinsight-warm")
    thread.start()
    return thread


def _load(modules: list[str]) -> None:
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception:  # reported by the caller's own import
            return
