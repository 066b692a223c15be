"""SQL for the cell key method: a fixed record key per customer record, summed per cell.

The record key of a row is the first byte of SHA-256 of ``SALT`` followed by the row's
own columns (the columns ``match`` adds are left out, so a raw file and its matched
version give every record the same key), joined with the unit separator: a whole number
0-255, the same on every run.  The method is described in ``docs/profile.md``.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from oacinsight.store import registered
from oacinsight.store.matching import ADDED_COLUMNS, Matched, Rows, q
from oacinsight.store.profiles import MATCHED_SQL

#: Mixed into every record key; changing it changes every perturbation.
SALT = "oacinsight cell key v1"

__all__ = ["SALT", "cell_keys", "record_keys"]


def record_keys(
    con: duckdb.DuckDBPyConnection, source: Rows | Matched, columns: list[str]
) -> pd.DataFrame:
    """``oa, ckey``: per output area, the sum of its matched records' keys mod 256."""
    name = source.view if isinstance(source, Matched) else source.table
    own = [c for c in columns if c not in ADDED_COLUMNS] or ["oa21"]
    text = ", ".join(f"CAST({q(c)} AS VARCHAR)" for c in own)
    return con.execute(
        "SELECT CAST(oa21 AS VARCHAR) AS oa, CAST(sum(rkey) % 256 AS BIGINT) AS ckey "
        "FROM (SELECT oa21, ('0x' || substr(sha256(concat_ws("
        f"chr(31), ?, {text})), 1, 2))::INTEGER AS rkey FROM temp.{q(name)} "
        f"WHERE match_status IN {MATCHED_SQL} AND oa21 IS NOT NULL) GROUP BY 1",
        [SALT],
    ).df()


_CELLS = """
WITH j AS (
  SELECT o.supergroup, o.group_code, o.subgroup, k.ckey
  FROM (SELECT DISTINCT oa FROM {area}) a
  JOIN oac_oa o ON o.oa = a.oa
  JOIN {keys} k ON k.oa = a.oa
)
SELECT 'supergroup' AS level, supergroup AS code, sum(ckey) % 256 AS cell_key FROM j GROUP BY ALL
UNION ALL SELECT 'group', group_code, sum(ckey) % 256 FROM j GROUP BY ALL
UNION ALL SELECT 'subgroup', subgroup, sum(ckey) % 256 FROM j GROUP BY ALL
"""


def cell_keys(con: duckdb.DuckDBPyConnection, oas: list[str], keys: pd.DataFrame) -> pd.DataFrame:
    """``level, code, cell_key`` of every OAC cell of the area ``oas`` holding customers,
    from the per-OA keys ``keys`` (``oa, ckey``, :func:`record_keys`)."""
    area = pd.DataFrame({"oa": pd.Series(oas, dtype=object)})
    keys = keys.loc[keys["oa"].notna() & keys["ckey"].notna(), ["oa", "ckey"]]
    with registered(con, area=area, keys=keys.astype({"ckey": "int64"})) as names:
        frame = con.execute(_CELLS.format(**names)).df()
    frame["cell_key"] = frame["cell_key"].astype("int64")
    return frame
