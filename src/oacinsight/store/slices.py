"""SQL behind profiles by a column or a period (``profile --by`` / ``--period``).

The slices of a file are counted in pandas from its matched rows; the store is asked only
which output areas of the profiled area carry which OAC subgroup, so that a slice counts
exactly the customers the overall profile counts.
"""

from __future__ import annotations

import pandas as pd

from oacinsight.store import Store
from oacinsight.store.profiles import area_oas

_COLUMNS = ("oa", "supergroup", "group_code", "subgroup")


def area_subgroups(store: Store, codes: list[str]) -> pd.DataFrame:
    """``oa, supergroup, group_code, subgroup`` of every output area (with an OAC)
    inside any of ``codes``."""
    oas = area_oas(store, codes)
    if not oas:
        return pd.DataFrame({c: pd.Series(dtype=str) for c in _COLUMNS})
    return store.con.execute(
        "SELECT DISTINCT CAST(oa AS VARCHAR) AS oa, CAST(supergroup AS VARCHAR) AS supergroup, "
        "CAST(group_code AS VARCHAR) AS group_code, CAST(subgroup AS VARCHAR) AS subgroup "
        "FROM oac_oa WHERE oa IN (SELECT unnest(?))",
        [oas],
    ).df()
