"""A store on a cursor of another store's connection: one job, one thread.

DuckDB's cursors share their database but each has its own temporary tables, so the
web app runs each request's store work on its own cursor (see :meth:`Store.cursor`).
"""

from __future__ import annotations

import threading

from oacinsight.store import Store

_LOCK = threading.Lock()


class CursorStore(Store):
    """A :class:`Store` view on a new cursor of ``parent``'s connection, sharing its
    :attr:`~Store.cache`; closing it closes the cursor only."""

    def __init__(self, parent: Store) -> None:
        super().__init__(parent.path, read_only=parent.read_only,
                         memory_limit=parent.memory_limit)
        self.cache = parent.cache
        with _LOCK:  # the parent connection is opened once, cursors made one by one
            con = parent.con.cursor()
        if parent.read_only:
            con.execute("USE ref")
        self._con = con

    def close(self) -> None:
        """Close the cursor only (the parent store and its cache stay open)."""
        if self._con is not None:
            self._con.close()
            self._con = None
