"""Parquet outputs with the same bytes whatever produced the rows.

DuckDB's parallel Parquet writer cuts row groups where its threads' batches end (the
``ROW_GROUP_SIZE`` it is given is a minimum, reached within a vector of 2,048 rows), so
the same rows in the same order can be written with other row-group boundaries, and so
other bytes, when they come from another plan (the default engine's lookup, or the Spark
engine's result read back).  :func:`write_select` streams the rows of a query from DuckDB
as Arrow batches and writes them with one writer (Arrow's) in row groups of exactly
:data:`ROW_GROUP_ROWS` rows (the last one shorter): the bytes depend only on the rows,
their order and their types.  Column types Arrow cannot write to Parquet (DuckDB's
``INTERVAL``, unions) fall back to DuckDB's own writer.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from oacinsight.store import _sql_str

#: Rows per row group of a Parquet output (DuckDB's default row-group size).
ROW_GROUP_ROWS = 122_880

__all__ = ["ROW_GROUP_ROWS", "write_select"]


def write_select(
    con: duckdb.DuckDBPyConnection,
    select: str,
    path: Path,
    row_group_rows: int | None = None,
) -> None:
    """Write the rows of the query ``select`` to ``path`` as Parquet (snappy), in row
    groups of exactly ``row_group_rows`` rows (default :data:`ROW_GROUP_ROWS`)."""
    size = int(row_group_rows or ROW_GROUP_ROWS)
    reader = con.sql(select).to_arrow_reader(size)
    try:
        writer = pq.ParquetWriter(str(path), reader.schema, compression="snappy")
    except (pa.ArrowNotImplementedError, pa.ArrowInvalid, TypeError):
        reader.close()
        con.execute(
            f"COPY ({select}) TO '{_sql_str(path)}' "
            f"(FORMAT parquet, ROW_GROUP_SIZE {max(size, 2048)})"
        )
        return
    with writer:
        pending: list[pa.RecordBatch] = []
        held = 0
        for batch in reader:
            pending.append(batch)
            held += batch.num_rows
            while held >= size:
                table = pa.Table.from_batches(pending, reader.schema)
                writer.write_table(table.slice(0, size), row_group_size=size)
                pending = table.slice(size).to_batches()
                held -= size
        if held:
            writer.write_table(pa.Table.from_batches(pending, reader.schema), row_group_size=size)
