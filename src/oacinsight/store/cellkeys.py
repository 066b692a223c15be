"""SQL for the cell key method: a fixed record key per customer record, summed per cell.

The record key of a row is the first byte of SHA-256 of ``SALT`` followed by the row's
own columns (the columns ``match`` adds are left out, so a raw file and its matched
version give every record the same key), joined with the unit separator: a whole number
0-255, the same on every run.  The method is described in ``docs/profile.md``.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from oacinsight.store.matching import ADDED_COLUMNS, q
from oacinsight.store.profiles import MATCHED_SQL

#: Mixed into every record key; changing it changes every perturbation.
SALT = "oacinsight cell key v1"

__all__ = ["SALT", "cell_keys", "record_keys"]


def record_keys(con: duckdb.DuckDBPyConnection, view: str, columns: list[str]) -> None:
    """``cust_keys``: per output area, the sum of its matched records' keys mod 256."""
    own = [c for c in columns if c not in ADDED_COLUMNS] or ["oa21"]
    text = ", ".join(f"CAST({q(c)} AS VARCHAR)" for c in own)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE cust_keys AS SELECT CAST(oa21 AS VARCHAR) AS oa, "
        "sum(rkey) % 256 AS ckey FROM (SELECT oa21, ('0x' || substr(sha256(concat_ws("
        f"chr(31), ?, {text})), 1, 2))::INTEGER AS rkey FROM {view} "
        f"WHERE match_status IN {MATCHED_SQL} AND oa21 IS NOT NULL) GROUP BY 1",
        [SALT],
    )


_CELLS = """
WITH j AS (
  SELECT o.supergroup, o.group_code, o.subgroup, k.ckey
  FROM (SELECT DISTINCT oa FROM area_oa) a
  JOIN oac_oa o ON o.oa = a.oa
  JOIN cust_keys k ON k.oa = a.oa
)
SELECT 'supergroup' AS level, supergroup AS code, sum(ckey) % 256 AS cell_key FROM j GROUP BY ALL
UNION ALL SELECT 'group', group_code, sum(ckey) % 256 FROM j GROUP BY ALL
UNION ALL SELECT 'subgroup', subgroup, sum(ckey) % 256 FROM j GROUP BY ALL
"""


def cell_keys(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """``level, code, cell_key`` of every OAC cell of the chosen area holding customers."""
    frame = con.execute(_CELLS).df()
    frame["cell_key"] = frame["cell_key"].astype("int64")
    return frame
