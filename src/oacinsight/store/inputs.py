"""SQL that loads a user's file (an :class:`~oacinsight.tabular.InputSource`) as a
temporary table named by the caller, every record a row, in file order, or fails loudly.

The table is scratch space of one job: :func:`oacinsight.store.matching.loaded_input`
gives it a unique name and drops it when the job ends.

A CSV is read with DuckDB's sniffer off (it would skip or reorder lines it thinks are a
preamble): the delimiter and header come from :mod:`oacinsight.reader`, every column is
text, and the strict parser refuses ragged rows instead of guessing.  When it refuses, or
when the row count differs from the count known independently, the reader's normalised
copy is loaded instead; a count that still differs is an error, never a silent loss.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from oacinsight.errors import InputFileError
from oacinsight.store import _sql_str
from oacinsight.tabular import InputSource

DEFAULT_LINE_BYTES = 2_097_152


def q(name: str) -> str:
    """Quote an identifier."""
    return '"' + name.replace('"', '""') + '"'


def create_inp(con: duckdb.DuckDBPyConnection, src: InputSource, table: str) -> InputSource:
    """Create the temporary table ``table`` from ``src``; return the source actually
    loaded.  The caller drops the table (also when this fails)."""
    if src.format == "parquet":
        con.execute(
            f"CREATE TEMP TABLE {q(table)} AS SELECT * FROM read_parquet('{_sql_str(src.path)}')"
        )
    elif src.format == "frame":
        view = f"{table}_frame"
        con.register(view, src.frame)
        try:
            con.execute(f"CREATE TEMP TABLE {q(table)} AS SELECT * FROM {q(view)}")
        finally:
            con.unregister(view)
    else:
        src = _create_csv(con, src, table)
    if src.report.records is None:
        src.report.records = _count(con, table)
    return src


def _create_csv(con: duckdb.DuckDBPyConnection, src: InputSource, table: str) -> InputSource:
    try:
        _read_csv(con, src, table)
        if src.expected_rows is not None and _count(con, table) != src.expected_rows:
            raise duckdb.InvalidInputException("row count differs")
    except duckdb.InterruptException:
        raise
    except duckdb.Error:
        if src.fallback is None:
            raise
        con.execute(f"DROP TABLE IF EXISTS temp.{q(table)}")
        src = src.fallback()
        _read_csv(con, src, table)
    if src.normalised and _count(con, table) != src.expected_rows:
        raise InputFileError(
            f"{src.name}: {src.expected_rows:,} records were found but "
            f"{_count(con, table):,} could be loaded; please report this file"
        )
    return src


def _read_csv(con: duckdb.DuckDBPyConnection, src: InputSource, table: str) -> None:
    header = list(src.header or ())
    columns = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(header)))
    line = max(DEFAULT_LINE_BYTES, src.max_line_bytes or 0)
    options = (
        f"header={'false' if src.normalised else 'true'}, auto_detect=false, "
        f"columns={{{columns}}}, delim='{_sql_str(src.delimiter)}', quote='\"', "
        f"escape='\"', skip=0, strict_mode=true, max_line_size={line}, "
        f"buffer_size={max(32 << 20, 2 * line)}"
    )
    if src.normalised:
        options += ", null_padding=true, parallel=false, new_line='\\n'"
    select = ", ".join(f"c{i} AS {q(name)}" for i, name in enumerate(header))
    con.execute(
        f"CREATE TEMP TABLE {q(table)} AS SELECT {select} "
        f"FROM read_csv('{_sql_str(src.path)}', {options})"
    )


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    return int(con.execute(f"SELECT count(*) FROM temp.{q(table)}").fetchall()[0][0])


def read_text_frame(src: InputSource) -> pd.DataFrame:
    """The whole input as a DataFrame of text (for checks that need every cell in memory),
    read by the same loader as ``match``."""
    con = duckdb.connect()
    try:
        create_inp(con, src, "inp")  # a private in-memory database, closed below
        columns = [r[0] for r in con.execute("DESCRIBE temp.inp").fetchall()]
        select = ", ".join(f"CAST({q(c)} AS VARCHAR) AS {q(c)}" for c in columns) or "*"
        return con.execute(f"SELECT {select} FROM temp.inp").df()
    except duckdb.InterruptException:
        raise KeyboardInterrupt from None
    except duckdb.Error as exc:
        raise InputFileError(
            f"{src.name}: cannot be read; check it opens in a spreadsheet "
            "and save it again as CSV (UTF-8)"
        ) from exc
    finally:
        con.close()
