"""SQL behind profiles against a local classification (``profile --classification``).

The OA → code lookup (``oa, supergroup, group_code, subgroup``, columns named as in
``oac_oa``) and the names (``level, code, name``) are values passed in, registered for
one statement and dropped; the temporary tables of :mod:`oacinsight.store.profiles`
(``area_oa``, ``cust_oa``, ``base_oa``, ``cust_keys``) are read as for the OAC.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import duckdb
import pandas as pd

__all__ = ["cell_keys", "group_counts", "outside_classification", "restrict_area"]

_LEVEL_COLUMNS = (("supergroup", "supergroup"), ("group", "group_code"), ("subgroup", "subgroup"))


@contextmanager
def _registered(con: duckdb.DuckDBPyConnection, **frames: pd.DataFrame) -> Iterator[None]:
    for name, frame in frames.items():
        con.register(name, frame)
    try:
        yield
    finally:
        for name in frames:
            con.unregister(name)


def _lookup_frame(lookup: pd.DataFrame) -> pd.DataFrame:
    """The lookup with text columns (None for tiers not built)."""
    out = pd.DataFrame({"oa": lookup["oa"].astype(str)})
    for _, column in _LEVEL_COLUMNS:
        out[column] = lookup[column].astype("string") if column in lookup else None
    return out.astype("string")


def outside_classification(con: duckdb.DuckDBPyConnection, lookup: pd.DataFrame) -> tuple[int, int]:
    """(output areas of ``area_oa`` without a local code, matched customers in them)."""
    with _registered(con, _local_oa=_lookup_frame(lookup)):
        row = con.execute(
            "SELECT count(*), coalesce(sum(c.customers), 0) FROM (SELECT DISTINCT oa FROM "
            "area_oa) a LEFT JOIN cust_oa c ON c.oa = a.oa "
            "WHERE a.oa NOT IN (SELECT oa FROM _local_oa)"
        ).fetchall()[0]
    return int(row[0]), int(row[1])


def restrict_area(con: duckdb.DuckDBPyConnection, lookup: pd.DataFrame) -> int:
    """Keep in ``area_oa`` only the output areas the classification codes; return
    how many are kept."""
    with _registered(con, _local_oa=_lookup_frame(lookup)):
        con.execute(
            "CREATE OR REPLACE TEMP TABLE area_oa AS SELECT DISTINCT oa FROM area_oa "
            "WHERE oa IN (SELECT oa FROM _local_oa)"
        )
    return int(con.execute("SELECT count(*) FROM area_oa").fetchall()[0][0])


def _tiers(lookup: pd.DataFrame) -> list[tuple[str, str, str | None]]:
    """(level, column, parent column) of the tiers the lookup holds."""
    out: list[tuple[str, str, str | None]] = []
    parent = None
    for level, column in _LEVEL_COLUMNS:
        if column in lookup and lookup[column].notna().all():
            out.append((level, column, parent))
            parent = column
    return out


def group_counts(
    con: duckdb.DuckDBPyConnection, lookup: pd.DataFrame, names: pd.DataFrame
) -> pd.DataFrame:
    """Customers and base per local cluster of the area (``compute_profile`` input):
    ``level, code, name, parent, customers, base``, every tier the lookup holds."""
    parts = [
        f"SELECT '{level}' AS level, {col} AS code, {parent or 'NULL'} AS parent, "
        f"sum(customers) AS customers, sum(base) AS base FROM j GROUP BY ALL"
        for level, col, parent in _tiers(lookup)
    ]
    sql = f"""
WITH j AS (
  SELECT o.supergroup, o.group_code, o.subgroup,
         coalesce(c.customers, 0) AS customers, coalesce(b.base, 0) AS base
  FROM (SELECT DISTINCT oa FROM area_oa) a
  JOIN _local_oa o ON o.oa = a.oa
  LEFT JOIN cust_oa c ON c.oa = a.oa
  LEFT JOIN base_oa b ON b.oa = a.oa
), t AS ({" UNION ALL ".join(parts)})
SELECT t.level, t.code, coalesce(n.name, t.code) AS name, CAST(t.parent AS VARCHAR) AS parent,
       CAST(round(t.customers) AS BIGINT) AS customers, t.base
FROM t LEFT JOIN (SELECT level, code, min(name) AS name FROM _local_names GROUP BY ALL) n
  ON n.level = t.level AND n.code = t.code
ORDER BY CASE t.level WHEN 'supergroup' THEN 1 WHEN 'group' THEN 2 ELSE 3 END,
         length(t.code), t.code
"""
    local_names = names[["level", "code", "name"]].astype("string")
    with _registered(con, _local_oa=_lookup_frame(lookup), _local_names=local_names):
        return con.execute(sql).df()


def cell_keys(con: duckdb.DuckDBPyConnection, lookup: pd.DataFrame) -> pd.DataFrame:
    """``level, code, cell_key`` of every local cluster of the area holding customers
    (the cell key method of :mod:`oacinsight.store.cellkeys`, local codes)."""
    parts = [
        f"SELECT '{level}' AS level, {col} AS code, sum(ckey) % 256 AS cell_key FROM j GROUP BY ALL"
        for level, col, _ in _tiers(lookup)
    ]
    sql = f"""
WITH j AS (
  SELECT o.supergroup, o.group_code, o.subgroup, k.ckey
  FROM (SELECT DISTINCT oa FROM area_oa) a
  JOIN _local_oa o ON o.oa = a.oa
  JOIN cust_keys k ON k.oa = a.oa
)
{" UNION ALL ".join(parts)}
"""
    with _registered(con, _local_oa=_lookup_frame(lookup)):
        frame = con.execute(sql).df()
    frame["cell_key"] = frame["cell_key"].astype("int64")
    return frame
