"""Parquet outputs: row groups of a fixed size, the same bytes however the rows arrive."""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from oacinsight.store.parquet_out import write_select


def _groups(path) -> list[int]:
    md = pq.ParquetFile(path).metadata
    return [md.row_group(i).num_rows for i in range(md.num_row_groups)]


def test_row_groups_are_cut_at_fixed_rows_whatever_the_source_batches(tmp_path):
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE t AS SELECT i, 'pc' || (i % 97) AS s, i * 0.5 AS x FROM range(10000) r(i)"
    )
    # the same rows from an Arrow table cut into odd batches (not multiples of anything)
    table = con.sql("SELECT * FROM t ORDER BY i").to_arrow_table()
    odd = pa.Table.from_batches(
        [b for start in range(0, 10000, 1777) for b in table.slice(start, 1777).to_batches()]
    )
    con.register("odd", odd)
    write_select(con, "SELECT * FROM t ORDER BY i", tmp_path / "a.parquet", 3000)
    write_select(con, "SELECT * FROM odd", tmp_path / "b.parquet", 3000)
    assert (
        _groups(tmp_path / "a.parquet")
        == _groups(tmp_path / "b.parquet")
        == [
            3000,
            3000,
            3000,
            1000,
        ]
    )
    assert (tmp_path / "a.parquet").read_bytes() == (tmp_path / "b.parquet").read_bytes()
    back = pq.read_table(tmp_path / "a.parquet")
    assert back["i"].to_pylist() == list(range(10000))
    assert back["s"][9999].as_py() == f"pc{9999 % 97}"


def test_types_arrow_cannot_write_fall_back_to_duckdb(tmp_path):
    con = duckdb.connect()
    out = tmp_path / "iv.parquet"
    write_select(con, "SELECT INTERVAL 3 DAY AS d, 7 AS n", out)
    got = duckdb.sql(f"SELECT d, n FROM read_parquet('{out}')").fetchall()
    assert got[0][1] == 7 and got[0][0].days == 3
