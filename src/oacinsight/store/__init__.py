"""The reference store: one embedded DuckDB file holding the official ONS data.

All SQL in oacinsight lives in this package.  :class:`Store` owns the connection;
the functions in :mod:`.loaders`, :mod:`.lookup` and :mod:`.matching` take a store and
do one job each.  Every load runs in one transaction, so a failure leaves the previous
contents intact.
"""

from __future__ import annotations

import os
import re
import secrets
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from oacinsight.errors import StoreError
from oacinsight.paths import resolve_store_path

PROVENANCE_DDL = """
CREATE TABLE IF NOT EXISTS provenance (
    kind VARCHAR, target VARCHAR, file_name VARCHAR, file_path VARCHAR, edition VARCHAR,
    row_count BIGINT, sha256 VARCHAR, columns_used VARCHAR, loaded_at TIMESTAMP
)
"""
META_DDL = "CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)"
#: Layout of the store's own tables.  A store stamped with a higher layout was made by a
#: newer oacinsight and is refused rather than misread.
STORE_LAYOUT = 1


_CURSOR_LOCK = threading.Lock()


class Store:
    """An oacinsight reference store (a DuckDB database file).

    Parameters
    ----------
    path : str or path-like, optional
        The database file.  Default: ``$OACINSIGHT_STORE`` or the user data directory.
    read_only : bool, default False
        Open for reading only.  Matching and profiling read; only ingest writes.
        A read-only store is attached to an in-memory database, so temporary work
        tables never touch the file and several readers can share it.
    memory_limit : str, default "2GB"
        DuckDB's memory limit; larger work spills to a temporary folder.
    """

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        read_only: bool = False,
        memory_limit: str = "2GB",
    ) -> None:
        self.path = resolve_store_path(path)
        self.read_only = read_only
        self.memory_limit = memory_limit
        self._con: duckdb.DuckDBPyConnection | None = None
        #: Work kept between calls on this store (e.g. the postcode lookup as Arrow).
        self.cache: dict[str, Any] = {}

    # -- connection -------------------------------------------------------------------
    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        """The open connection (opened on first use)."""
        if self._con is None:
            self._con = self._connect()
        return self._con

    def _connect(self) -> duckdb.DuckDBPyConnection:
        spill = Path(tempfile.gettempdir()) / "oacinsight-spill"
        config: dict[str, str | bool | int | float | list[str]] = {
            "memory_limit": self.memory_limit,
            "temp_directory": str(spill),
        }
        if self.read_only and not self.path.exists():
            raise StoreError(
                f"no store at {self.path}: load the official files first with "
                "'oacinsight data ingest PATH' (or run 'oacinsight demo')"
            )
        if self.path.is_dir():
            raise StoreError(
                f"the store {self.path} is a folder, not a store file: give "
                "--store a file name such as store.duckdb"
            )
        if not self.read_only and self.path.exists() and not _writable(self.path):
            raise StoreError(
                f"the store {self.path} is read-only (no permission to write "
                "it): loading needs a store you can write; copy it or give "
                "another --store"
            )
        con: duckdb.DuckDBPyConnection | None = None
        try:
            if self.read_only:
                con = duckdb.connect(":memory:", config=config)
                con.execute(f"ATTACH '{_sql_str(self.path)}' AS ref (READ_ONLY)")
                con.execute("USE ref")
            else:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                con = duckdb.connect(str(self.path), config=config)
            _check_size(con, self.path)
            _check_layout(con, self.path, stamp=not self.read_only)
            if not self.read_only:
                con.execute(PROVENANCE_DDL)
        except (duckdb.Error, OSError, StoreError) as exc:
            if con is not None:
                con.close()
            if isinstance(exc, StoreError):
                raise
            raise StoreError(explain_open_error(self.path, exc)) from exc
        return con

    def close(self) -> None:
        """Close the connection (safe to call twice)."""
        self.cache.clear()
        if self._con is not None:
            self._con.close()
            self._con = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def cursor(self) -> Iterator[Store]:
        """This store on a DuckDB cursor of its own, for one job on one thread.

        The cursor shares the database (and :attr:`cache`) but has its own temporary
        tables, so several jobs (e.g. web requests) can run at once.  Closing it leaves
        this store open.
        """
        view = CursorStore(self)
        try:
            yield view
        finally:
            view.close()

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """Run a block atomically: everything or nothing is written."""
        con = self.con
        con.execute("BEGIN TRANSACTION")
        try:
            yield con
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")

    # -- small queries --------------------------------------------------------------------
    def has_table(self, name: str) -> bool:
        """Whether a table or view of this name exists in the store."""
        row = self.con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND NOT temporary",
            [name],
        ).fetchall()
        if row and row[0][0]:
            return True
        row = self.con.execute(
            "SELECT count(*) FROM duckdb_views() WHERE view_name = ? AND NOT temporary", [name]
        ).fetchall()
        return bool(row and row[0][0])

    def tables(self) -> list[str]:
        """Names of the tables in the store."""
        rows = self.con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE NOT temporary ORDER BY 1"
        ).fetchall()
        return [r[0] for r in rows]

    def query_df(self, sql: str, params: list[Any] | None = None) -> pd.DataFrame:
        """Run a read query and return a DataFrame (used inside the store package)."""
        return self.con.execute(sql, params or []).df()

    def status(self) -> pd.DataFrame:
        """What is loaded: one row per ingested file, newest first."""
        if not self.has_table("provenance"):
            return pd.DataFrame(
                columns=["kind", "target", "file_name", "edition", "row_count", "loaded_at"]
            )
        return self.query_df(
            "SELECT kind, target, file_name, edition, row_count, sha256, columns_used, "
            "loaded_at FROM provenance ORDER BY kind, file_name"
        )

    def record_provenance(self, con: duckdb.DuckDBPyConnection, row: dict[str, Any]) -> None:
        """Replace the provenance of one (kind, file) with ``row`` (inside a transaction)."""
        con.execute(
            "DELETE FROM provenance WHERE kind = ? AND file_name = ?",
            [row["kind"], row["file_name"]],
        )
        con.execute(
            "INSERT INTO provenance VALUES (?, ?, ?, ?, ?, ?, ?, ?, current_timestamp)",
            [
                row["kind"],
                row["target"],
                row["file_name"],
                row.get("file_path"),
                row.get("edition"),
                row["row_count"],
                row.get("sha256"),
                row.get("columns_used"),
            ],
        )


class CursorStore(Store):
    """A :class:`Store` view on a new cursor of ``parent``'s connection, sharing its
    :attr:`~Store.cache`; closing it closes the cursor only.

    DuckDB's cursors share their database but each has its own temporary tables, so the
    web app runs each request's store work on its own cursor (see :meth:`Store.cursor`).
    """

    def __init__(self, parent: Store) -> None:
        super().__init__(parent.path, read_only=parent.read_only, memory_limit=parent.memory_limit)
        self.cache = parent.cache
        with _CURSOR_LOCK:  # the parent connection is opened once, cursors made one by one
            con = parent.con.cursor()
        if parent.read_only:
            con.execute("USE ref")
        self._con = con

    def close(self) -> None:
        """Close the cursor only (the parent store and its cache stay open)."""
        if self._con is not None:
            self._con.close()
            self._con = None


@contextmanager
def open_store(
    store: Store | str | os.PathLike[str] | None, *, read_only: bool = True
) -> Iterator[Store]:
    """A store for the ``with`` block, whatever the caller passed.

    A :class:`Store` is used as it is and left open (its owner closes it); a path, or
    None for the default store (:func:`oacinsight.paths.resolve_store_path`), is opened
    (read-only unless ``read_only=False``) and closed when the block ends.
    """
    if isinstance(store, Store):
        yield store
        return
    opened = Store(store, read_only=read_only)
    try:
        yield opened
    finally:
        opened.close()


@contextmanager
def registered(con: duckdb.DuckDBPyConnection, **frames: Any) -> Iterator[dict[str, str]]:
    """Frames (pandas or Arrow) visible to SQL on ``con`` for the ``with`` block only,
    under names no other job uses: yields ``{keyword: quoted name}`` for the SQL text.

    This is how store functions join values they are given: nothing outlives the call.
    """
    names = {key: f"_{key}_{secrets.token_hex(6)}" for key in frames}
    try:
        for key, frame in frames.items():
            con.register(names[key], frame)
        yield {key: f'"{name}"' for key, name in names.items()}
    finally:
        for name in names.values():
            with suppress(duckdb.Error):
                con.unregister(name)


def scratch_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Temporary tables and views left on ``con`` (none once every job has ended)."""
    tables = con.execute("SELECT table_name FROM duckdb_tables() WHERE temporary").fetchall()
    views = con.execute(
        "SELECT view_name FROM duckdb_views() WHERE temporary AND NOT internal"
    ).fetchall()
    return sorted(str(r[0]) for r in [*tables, *views])


def _writable(path: Path) -> bool:
    return os.access(path, os.W_OK)


def _check_size(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """A store file shorter than the blocks it uses was cut short (a copy that stopped
    part-way, a full disk): refuse it now rather than fail on the first query.  (Free
    blocks at the end may be trimmed from the file, so only used blocks are counted.)"""
    if Path(f"{path}.wal").exists():
        return  # blocks still to be replayed from the write-ahead log: sizes differ
    row = con.execute(
        "SELECT block_size, used_blocks FROM pragma_database_size() "
        "WHERE database_name = current_database()"
    ).fetchall()
    if row and path.stat().st_size < _HEADERS + int(row[0][0]) * int(row[0][1]):
        raise StoreError(
            f"the store {path} is damaged (cut short or corrupt): it has "
            f"{path.stat().st_size:,} bytes where its blocks need "
            f"{_HEADERS + int(row[0][0]) * int(row[0][1]):,}; move it away and ingest the "
            "official files again, or restore a backup"
        )


#: DuckDB's file starts with three 4 KiB headers, then its blocks.
_HEADERS = 3 * 4096


def _check_layout(con: duckdb.DuckDBPyConnection, path: Path, stamp: bool) -> None:
    """Refuse a store made by a newer oacinsight; stamp a writable one with this layout."""
    has_meta = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'meta' AND NOT temporary"
    ).fetchall()[0][0]
    rows = (
        con.execute("SELECT value FROM meta WHERE key = 'store_layout'").fetchall()
        if has_meta
        else []
    )
    found = rows[0][0] if rows else None
    if found is not None and not (str(found).isdigit() and int(found) <= STORE_LAYOUT):
        raise StoreError(
            f"the store {path} was made by a newer version of oacinsight (store layout "
            f"{found}; this version reads layout {STORE_LAYOUT} and older): upgrade "
            "oacinsight, or build a new store with 'oacinsight data ingest'"
        )
    if stamp and found is None:
        con.execute(META_DDL)
        con.execute("INSERT OR IGNORE INTO meta VALUES ('store_layout', ?)", [str(STORE_LAYOUT)])


def explain_open_error(path: Path, exc: BaseException) -> str:
    """One line saying why a store could not be opened, and what to do."""
    text = str(exc)
    if "Could not set lock" in text or "Conflicting lock" in text:
        m = re.search(r"held in (.+?) \(PID (\d+)\)", text)
        who = f" ({Path(m.group(1)).name}, process {m.group(2)})" if m else ""
        return (
            f"the store {path} is in use by another program{who}: close it (another "
            "ingest, the web app, a Python session) and try again"
        )
    if "not a valid DuckDB database" in text or "not a DuckDB database" in text:
        return (
            f"the store {path} is not an oacinsight store (not a DuckDB database, or "
            "damaged beyond reading): give the right --store, or move it away and "
            "ingest the official files again"
        )
    if re.search(r"version number|newer version|serializ|storage version", text, re.I):
        return (
            f"the store {path} was written by a newer version of oacinsight or DuckDB: "
            "upgrade oacinsight, or build a new store with 'oacinsight data ingest'"
        )
    if re.search(r"read enough bytes|checksum|corrupt|truncat", text, re.I):
        return (
            f"the store {path} is damaged (cut short or corrupt): move it away and "
            "ingest the official files again, or restore a backup"
        )
    if re.search(r"permission denied|read-only file system|read.only", text, re.I):
        return (
            f"the store {path} cannot be written (read-only file or folder): loading "
            "needs a store you can write; give another --store"
        )
    return f"cannot open the store {path}: {_first_line(exc)}"


def query_fraction(con: duckdb.DuckDBPyConnection) -> Callable[[], float]:
    """The share done (0-1, negative when none is running) of the query running on
    ``con``, to poll from another thread for progress reports."""
    con.execute("SET enable_progress_bar = true")
    con.execute("SET enable_progress_bar_print = false")
    return lambda: con.query_progress() / 100


def _sql_str(value: object) -> str:
    """Escape a value for a single-quoted SQL literal."""
    return str(value).replace("'", "''")


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


__all__ = ["Store"]
