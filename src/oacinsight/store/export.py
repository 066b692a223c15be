"""SQL of ``data export`` and of the Spark engine's hand-over with the store.

``data export DIR`` writes every table of the store as one Parquet file (``<table>.parquet``)
so that another engine (Spark) can read the reference data from any path it reads.
:func:`open_exported` does the reverse on a driver: an in-memory store holding the
exported tables, on which the core's profile code runs unchanged.

The Spark engine hands its work to and from DuckDB through Parquet files:
:func:`write_keys` writes the postcodes of the loaded input (``temp.inp``) with their
row numbers, :func:`load_spark_rows` reads the added columns back in input order and
builds the views ``res`` and ``matched`` exactly as :mod:`.matching` does, and
:func:`set_customers` fills ``cust_oa`` (and ``cust_keys``) from counts made in Spark.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from oacinsight.store import Store, _sql_str
from oacinsight.store.matching import ADDED_COLUMNS, INTERNAL_COLUMNS, q

__all__ = [
    "export_table",
    "load_spark_rows",
    "open_exported",
    "set_customers",
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
    folder: Path, tables: list[str], frames: dict[str, object] | None = None
) -> Store:
    """An in-memory store holding the exported ``tables`` of ``folder``.

    ``frames`` gives tables already read (Arrow tables or DataFrames, e.g. read by Spark
    from a remote path); the others are read from ``folder/<table>.parquet``.
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
            con.execute(
                f"CREATE TABLE {q(table)} AS SELECT * FROM read_parquet('{_sql_str(path)}')"
            )
    store._con = con  # a store made here, not opened from a file
    return store


def write_keys(con: duckdb.DuckDBPyConnection, columns: list[str], path: Path) -> None:
    """Write ``_row`` (input order) and ``columns`` of ``temp.inp`` as text, to Parquet,
    named ``c0``, ``c1``... in the order given (any input name is safe in Spark)."""
    text = ", ".join(f"CAST({q(c)} AS VARCHAR) AS c{i}" for i, c in enumerate(columns))
    con.execute(
        f"COPY (SELECT rowid AS _row{', ' if text else ''}{text} FROM temp.inp) "
        f"TO '{_sql_str(path)}' (FORMAT parquet)"
    )


def _drop_rows(con: duckdb.DuckDBPyConnection) -> None:
    kinds = con.execute(
        "SELECT table_type FROM information_schema.tables WHERE table_name = '_rows'"
    ).fetchall()
    for (kind,) in kinds:
        con.execute("DROP VIEW _rows" if "VIEW" in kind else "DROP TABLE temp._rows")


def load_spark_rows(con: duckdb.DuckDBPyConnection, columns: list[str], folder: Path) -> None:
    """``_rows``, ``res`` and ``matched`` from the Parquet files Spark wrote in ``folder``
    (``_row`` and the added columns); ``columns`` are the input's."""
    _drop_rows(con)
    # the types of the default engine's columns: those of pc_lookup (text otherwise)
    types = {r[0]: r[1] for r in con.execute("DESCRIBE pc_lookup").fetchall()}
    added = ", ".join(
        f"CAST({q(c)} AS {types.get(c.lstrip('_'), 'VARCHAR')}) AS {q(c)}"
        for c in (*ADDED_COLUMNS, *INTERNAL_COLUMNS)
    )
    glob = _sql_str(folder / "*.parquet")
    con.execute(
        f"CREATE TEMP TABLE _rows AS SELECT {added}, false AS _by_coords "
        f"FROM read_parquet('{glob}') ORDER BY _row"
    )
    con.execute(
        "CREATE OR REPLACE TEMP VIEW res AS SELECT "
        + ", ".join(q(c) for c in (*ADDED_COLUMNS, *INTERNAL_COLUMNS))
        + " FROM _rows"
    )
    originals = ", ".join(
        f"i.{q(c)} AS {q(c + '_input' if c in ADDED_COLUMNS or c in INTERNAL_COLUMNS else c)}"
        for c in columns
    )
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW matched AS SELECT {originals}, r.* "
        "FROM temp.inp i POSITIONAL JOIN temp.res r"
    )


def set_customers(
    con: duckdb.DuckDBPyConnection, customers: pd.DataFrame, keys: pd.DataFrame | None = None
) -> None:
    """``cust_oa(oa, customers)`` (and ``cust_keys(oa, ckey)``) from counts per output
    area made elsewhere (columns ``oa, customers`` and ``oa, ckey``)."""
    con.register("_cust", customers)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE cust_oa AS SELECT CAST(oa AS VARCHAR) AS oa, "
        "CAST(customers AS BIGINT) AS customers FROM _cust"
    )
    con.unregister("_cust")
    if keys is not None:
        con.register("_keys", keys)
        con.execute(
            "CREATE OR REPLACE TEMP TABLE cust_keys AS SELECT CAST(oa AS VARCHAR) AS oa, "
            "CAST(ckey AS BIGINT) AS ckey FROM _keys"
        )
        con.unregister("_keys")
