"""SQL of ``data export`` and of the Spark engine's hand-over with the store.

``data export DIR`` writes every table of the store as one Parquet file (``<table>.parquet``)
so that another engine (Spark) can read the reference data from any path it reads.
:func:`open_exported` does the reverse on a driver: an in-memory store holding the
exported tables, on which the core's profile code runs unchanged.

The Spark engine hands its work to and from DuckDB through Parquet files:
:func:`write_keys` writes the postcodes of a loaded input (a
:class:`~oacinsight.store.matching.Rows`) with their row numbers, and
:func:`spark_matched` reads the added columns back in input order and gives the same
:class:`~oacinsight.store.matching.Matched` handle as :func:`.matching.matched`.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from oacinsight.store import Store, _sql_str
from oacinsight.store.matching import (
    ADDED_COLUMNS,
    INTERNAL_COLUMNS,
    Matched,
    Rows,
    _drop,
    _scratch_name,
    joined,
    q,
)

__all__ = [
    "export_table",
    "open_exported",
    "spark_matched",
    "store_editions",
    "write_keys",
]


def export_table(con: duckdb.DuckDBPyConnection, table: str, path: Path) -> int:
    """Write one store table to ``path`` as Parquet (zstd); return its row count."""
    con.execute(
        f"COPY (SELECT * FROM {q(table)}) TO '{_sql_str(path)}' "
        "(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880)"
    )
    return int(con.execute(f"SELECT count(*) FROM {q(table)}").fetchall()[0][0])


def store_editions(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """Editions of what is loaded, by kind of file (from ``provenance``)."""
    present = {
        r[0]
        for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE NOT temporary"
        ).fetchall()
    }
    if "provenance" not in present:
        return {}
    rows = con.execute(
        "SELECT kind, list(DISTINCT edition ORDER BY edition) FROM provenance "
        "WHERE edition IS NOT NULL GROUP BY 1 ORDER BY 1"
    ).fetchall()
    return {str(k): [str(e) for e in v] for k, v in rows}


def open_exported(
    folder: Path,
    tables: list[str],
    frames: dict[str, object] | None = None,
    views: Collection[str] = (),
) -> Store:
    """An in-memory store holding the exported ``tables`` of ``folder``.

    ``frames`` gives tables already read (Arrow tables or DataFrames, e.g. read by Spark
    from a remote path); the others are read from ``folder/<table>.parquet`` (those named in
    ``views`` as views on their Parquet files, so that each query reads only the rows
    and columns it needs; the others loaded into memory).
    """
    store = Store(folder / "reference.duckdb")
    con = duckdb.connect(":memory:")
    for table in tables:
        if frames and table in frames:
            con.register("_exported", frames[table])
            con.execute(f"CREATE TABLE {q(table)} AS SELECT * FROM _exported")
            con.unregister("_exported")
        else:
            path = folder / f"{table}.parquet"
            kind = "VIEW" if table in views else "TABLE"
            con.execute(
                f"CREATE {kind} {q(table)} AS SELECT * FROM read_parquet('{_sql_str(path)}')"
            )
    store._con = con  # a store made here, not opened from a file
    return store


def write_keys(
    con: duckdb.DuckDBPyConnection,
    rows: Rows,
    columns: list[str],
    path: Path,
    numbers: tuple[str, ...] = (),
) -> None:
    """Write ``_row`` (input order) and ``columns`` of the loaded input ``rows`` as text,
    to Parquet, named ``c0``, ``c1``... in the order given (any input name is safe in
    Spark), then ``numbers`` read as numbers as the default engine reads coordinates
    (``TRY_CAST(... AS DOUBLE)``), named ``n0``, ``n1``..."""
    exprs = [f"CAST({q(c)} AS VARCHAR) AS c{i}" for i, c in enumerate(columns)]
    exprs += [f"TRY_CAST({q(c)} AS DOUBLE) AS n{i}" for i, c in enumerate(numbers)]
    con.execute(
        f"COPY (SELECT {', '.join(['rowid AS _row', *exprs])} FROM temp.{q(rows.table)}) "
        f"TO '{_sql_str(path)}' (FORMAT parquet)"
    )


@contextmanager
def spark_matched(
    con: duckdb.DuckDBPyConnection, rows: Rows, postcode_column: str, folder: Path
) -> Iterator[Matched]:
    """The :class:`~oacinsight.store.matching.Matched` handle of ``rows`` from the
    Parquet files Spark wrote in ``folder`` (``_row``, the added columns and
    ``_laua_name`` and ``_by_coords``), as
    :func:`oacinsight.store.matching.matched` makes it; its table and
    views are dropped when the ``with`` block ends."""
    work, res, view = _scratch_name("rows"), _scratch_name("res"), _scratch_name("matched")
    # the types of the default engine's columns: those of pc_lookup (text otherwise)
    types = {r[0]: r[1] for r in con.execute("DESCRIBE pc_lookup").fetchall()}
    added = ", ".join(
        f"CAST({q(c)} AS {types.get(c.lstrip('_'), 'VARCHAR')}) AS {q(c)}"
        for c in (*ADDED_COLUMNS, "_laua_name")
    )
    glob = _sql_str(folder / "*.parquet")
    try:
        con.execute(
            f"CREATE TEMP TABLE {q(work)} AS SELECT {added}, _by_coords "
            f"FROM read_parquet('{glob}') ORDER BY _row"
        )
        columns = ", ".join(q(c) for c in (*ADDED_COLUMNS, *INTERNAL_COLUMNS))
        con.execute(f"CREATE TEMP VIEW {q(res)} AS SELECT {columns} FROM temp.{q(work)}")
        yield joined(con, rows, res, view, postcode_column)
    finally:
        _drop(con, "VIEW", view)
        _drop(con, "VIEW", res)
        _drop(con, "TABLE", work)
