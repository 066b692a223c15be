"""SQL behind profiles against a local classification (``profile --classification``).

The OA → code lookup (``oa, supergroup, group_code, subgroup``, columns named as in
``oac_oa``), the names (``level, code, name``), the area's output areas, the customers
and the base per output area are values passed in, registered for one statement only
(:func:`oacinsight.store.registered`), as for the OAC in :mod:`oacinsight.store.profiles`.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from oacinsight.store import registered

__all__ = ["cell_keys", "group_counts"]

_LEVEL_COLUMNS = (("supergroup", "supergroup"), ("group", "group_code"), ("subgroup", "subgroup"))


def _lookup_frame(lookup: pd.DataFrame) -> pd.DataFrame:
    """The lookup with text columns (None for tiers not built)."""
    out = pd.DataFrame({"oa": lookup["oa"].astype(str)})
    for _, column in _LEVEL_COLUMNS:
        out[column] = lookup[column].astype("string") if column in lookup else None
    return out.astype("string")


def _tiers(lookup: pd.DataFrame) -> list[tuple[str, str, str | None]]:
    """(level, column, parent column) of the tiers the lookup holds."""
    out: list[tuple[str, str, str | None]] = []
    parent = None
    for level, column in _LEVEL_COLUMNS:
        if column in lookup and lookup[column].notna().all():
            out.append((level, column, parent))
            parent = column
    return out


def _area(oas: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"oa": pd.Series(oas, dtype=object)})


def group_counts(
    con: duckdb.DuckDBPyConnection,
    lookup: pd.DataFrame,
    names: pd.DataFrame,
    oas: list[str],
    customers: pd.DataFrame,
    base: pd.DataFrame,
) -> pd.DataFrame:
    """Customers and base per local cluster of the area ``oas`` (``compute_profile``
    input): ``level, code, name, parent, customers, base``, every tier the lookup holds.
    ``customers``: ``oa, customers``; ``base``: ``oa, base``."""
    parts = [
        f"SELECT '{level}' AS level, {col} AS code, {parent or 'NULL'} AS parent, "
        f"sum(customers) AS customers, sum(base) AS base FROM j GROUP BY ALL"
        for level, col, parent in _tiers(lookup)
    ]
    sql = f"""
WITH j AS (
  SELECT o.supergroup, o.group_code, o.subgroup,
         coalesce(c.customers, 0) AS customers, coalesce(b.base, 0) AS base
  FROM (SELECT DISTINCT oa FROM {{area}}) a
  JOIN {{local_oa}} o ON o.oa = a.oa
  LEFT JOIN {{cust}} c ON c.oa = a.oa
  LEFT JOIN {{base}} b ON b.oa = a.oa
), t AS ({" UNION ALL ".join(parts)})
SELECT t.level, t.code, coalesce(n.name, t.code) AS name, CAST(t.parent AS VARCHAR) AS parent,
       CAST(round(t.customers) AS BIGINT) AS customers, t.base
FROM t LEFT JOIN (SELECT level, code, min(name) AS name FROM {{local_names}} GROUP BY ALL) n
  ON n.level = t.level AND n.code = t.code
ORDER BY CASE t.level WHEN 'supergroup' THEN 1 WHEN 'group' THEN 2 ELSE 3 END,
         length(t.code), t.code
"""
    frames = {
        "area": _area(oas),
        "local_oa": _lookup_frame(lookup),
        "local_names": names[["level", "code", "name"]].astype("string"),
        "cust": customers[["oa", "customers"]],
        "base": base[["oa", "base"]],
    }
    with registered(con, **frames) as t:
        return con.execute(sql.format(**t)).df()


def cell_keys(
    con: duckdb.DuckDBPyConnection, lookup: pd.DataFrame, oas: list[str], keys: pd.DataFrame
) -> pd.DataFrame:
    """``level, code, cell_key`` of every local cluster of the area ``oas`` holding
    customers, from the per-OA keys ``keys`` (``oa, ckey``; the cell key method of
    :mod:`oacinsight.store.cellkeys`, local codes)."""
    parts = [
        f"SELECT '{level}' AS level, {col} AS code, sum(ckey) % 256 AS cell_key FROM j GROUP BY ALL"
        for level, col, _ in _tiers(lookup)
    ]
    sql = f"""
WITH j AS (
  SELECT o.supergroup, o.group_code, o.subgroup, k.ckey
  FROM (SELECT DISTINCT oa FROM {{area}}) a
  JOIN {{local_oa}} o ON o.oa = a.oa
  JOIN {{keys}} k ON k.oa = a.oa
)
{" UNION ALL ".join(parts)}
"""
    keys = keys.loc[keys["oa"].notna() & keys["ckey"].notna(), ["oa", "ckey"]]
    frames = {
        "area": _area(oas),
        "local_oa": _lookup_frame(lookup),
        "keys": keys.astype({"ckey": "int64"}),
    }
    with registered(con, **frames) as t:
        frame = con.execute(sql.format(**t)).df()
    frame["cell_key"] = frame["cell_key"].astype("int64")
    return frame
