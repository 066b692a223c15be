"""The reference store: one embedded DuckDB file holding the official ONS data.

All SQL in oacinsight lives in this package.  :class:`Store` owns the connection;
the functions in :mod:`.loaders`, :mod:`.lookup` and :mod:`.matching` take a store and
do one job each.  Every load runs in one transaction, so a failure leaves the previous
contents intact.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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
        config = {"memory_limit": self.memory_limit, "temp_directory": str(spill)}
        if self.read_only:
            if not self.path.exists():
                raise StoreError(
                    f"no store at {self.path}: load the official files first with "
                    "'oacinsight data ingest PATH' (or run 'oacinsight demo')"
                )
            con = duckdb.connect(":memory:", config=config)
            try:
                con.execute(f"ATTACH '{_sql_str(self.path)}' AS ref (READ_ONLY)")
            except duckdb.Error as exc:
                raise StoreError(f"cannot open the store {self.path}: {_first_line(exc)}") from exc
            con.execute("USE ref")
            return con
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            con = duckdb.connect(str(self.path), config=config)
        except duckdb.Error as exc:
            raise StoreError(f"cannot open the store {self.path}: {_first_line(exc)}") from exc
        con.execute(PROVENANCE_DDL)
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
                row["kind"], row["target"], row["file_name"], row.get("file_path"),
                row.get("edition"), row["row_count"], row.get("sha256"),
                row.get("columns_used"),
            ],
        )


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
