"""SQL of the 2011 Output Area Classification: its names (loaded by
``loaders.load_oac11_names``), and the 2011 group of a
postcode or an output area from the postcode directory's ``oac11`` column.

The 2011 OAC was published per 2011 output area; the postcode directories (NSPL, ONSPD)
carry each postcode's 2011 subgroup in ``oac11``.  An output area's 2011 subgroup is the
one most of its postcodes carry (live postcodes first).  Codes are kept as published,
upper case: ``7``, ``7A``, ``7A2``.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from oacinsight.store import registered

__all__ = ["has_oac11", "names", "oa_subgroups", "postcode_subgroups"]


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    row = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND NOT temporary", [name]
    ).fetchall()
    return bool(row[0][0])


def names(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """``level, code, name`` of the 2011 OAC (empty when the names were never loaded)."""
    if not _has_table(con, "oac11_names"):
        return pd.DataFrame(columns=["level", "code", "name"])
    return con.execute(
        "SELECT level, code, min(name) AS name FROM oac11_names GROUP BY ALL ORDER BY 1, 2"
    ).df()


def has_oac11(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the store's postcode directory kept its ``oac11`` column, with values."""
    if not _has_table(con, "postcodes"):
        return False
    cols = {r[0] for r in con.execute("DESCRIBE postcodes").fetchall()}
    if "oac11" not in cols:
        return False
    row = con.execute(
        "SELECT count(*) FROM (SELECT 1 FROM postcodes WHERE oac11 IS NOT NULL LIMIT 1)"
    ).fetchall()
    return bool(row[0][0])


_PC_OAC11 = """
SELECT l.pc_key, any_value(p.oac11) AS oac11
FROM pc_lookup l JOIN postcodes p ON p.pc_key = l.pc_key
 AND p.edition IS NOT DISTINCT FROM l.edition
WHERE l.pc_key IN (SELECT pc_key FROM _keys)
GROUP BY 1
"""


def postcode_subgroups(con: duckdb.DuckDBPyConnection, keys: list[str]) -> pd.DataFrame:
    """``pc_key, oac11``: the directory's 2011 subgroup of each postcode, from the same
    directory row ``match`` uses (``pc_key`` is the postcode without spaces, upper case)."""
    with registered(con, keys=pd.DataFrame({"pc_key": pd.Series(keys, dtype=object)})) as t:
        return con.execute(_PC_OAC11.replace("_keys", t["keys"])).df()


_OA_OAC11 = """
WITH pc AS (
  SELECT l.oa11, l.oa21, l.doterm, any_value(p.oac11) AS oac11
  FROM pc_lookup l JOIN postcodes p ON p.pc_key = l.pc_key
   AND p.edition IS NOT DISTINCT FROM l.edition
  WHERE p.oac11 IS NOT NULL AND ({where})
  GROUP BY l.pc_key, l.oa11, l.oa21, l.doterm
)
SELECT {key} AS oa,
       upper(coalesce(mode(oac11) FILTER (WHERE doterm IS NULL), mode(oac11))) AS oac11
FROM pc GROUP BY 1
"""


def oa_subgroups(
    con: duckdb.DuckDBPyConnection, oas: list[str] | None = None, *, by: str = "oa11"
) -> pd.DataFrame:
    """``oa, oac11``: the 2011 subgroup most postcodes of each output area carry.

    ``by`` is ``oa11`` (the 2011 output area code the directory gives) or ``oa21`` (the
    2021 output area ``match`` gives).  ``oas`` limits the areas (all when None).
    """
    if by not in ("oa11", "oa21"):
        raise ValueError(f"by must be oa11 or oa21, not {by!r}")
    if oas is None:
        return con.execute(_OA_OAC11.format(where="true", key=by)).df()
    with registered(con, oas=pd.DataFrame({"oa": pd.Series(oas, dtype=object)})) as t:
        sql = _OA_OAC11.format(where=f"l.{by} IN (SELECT oa FROM {t['oas']})", key=by)
        return con.execute(sql).df()
