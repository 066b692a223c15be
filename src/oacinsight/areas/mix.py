"""OAC mix of an area: residents in each supergroup, group and subgroup, with indexes.

The index arithmetic is the profile core's (:func:`oacinsight.profile.compute_profile`):
the area's residents play the part of the "customers" and the parent area's (or
England and Wales's) residents the part of the base, so
``index = 100 × (area % in the group) ÷ (comparison % in the group)``.  Census counts
are a full count, so the core's confidence intervals are not published here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from oacinsight.oac import LEVELS
from oacinsight.profile import compute_profile

__all__ = ["MIX_COLUMNS", "group_residents", "largest", "most_over_represented", "oac_mix"]

#: Columns of ``oac_mix.csv`` (a published contract).
MIX_COLUMNS: tuple[str, ...] = (
    "level",
    "code",
    "name",
    "residents",
    "pct",
    "parent_pct",
    "national_pct",
    "index_vs_parent",
    "index_vs_national",
)
_LEVEL_COLUMNS = {"supergroup": "supergroup", "group": "group_code", "subgroup": "subgroup"}


def group_residents(rows: pd.DataFrame) -> dict[str, pd.Series]:
    """Residents per OAC code at each level (``{'supergroup': Series, ...}``)."""
    res = rows["residents"].fillna(0.0).astype(float)
    return {lv: res.groupby(rows[col]).sum() for lv, col in _LEVEL_COLUMNS.items()}


def _counts(
    codes: pd.DataFrame, area: dict[str, pd.Series], base: dict[str, pd.Series]
) -> pd.DataFrame:
    """``compute_profile`` input: area residents as customers, comparison as the base."""
    out = codes.copy()
    out["customers"] = [
        round(float(area[lv].get(code, 0.0)))
        for lv, code in zip(codes["level"], codes["code"], strict=True)
    ]
    out["base"] = [
        float(base[lv].get(code, 0.0))
        for lv, code in zip(codes["level"], codes["code"], strict=True)
    ]
    return out


Counts = pd.DataFrame | dict[str, pd.Series]


def oac_mix(
    rows: Counts, parent_rows: Counts, national_rows: Counts, names: dict[tuple[str, str], str]
) -> pd.DataFrame:
    """The OAC mix table of an area at the three tiers.

    Parameters
    ----------
    rows, parent_rows, national_rows : pandas.DataFrame or dict
        Output areas (with ``residents`` and OAC codes) of the area, its parent and
        England and Wales, or their :func:`group_residents`.
    names : dict
        ``(level, code) -> name``.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`MIX_COLUMNS`; every OAC code found nationally, supergroups first.
        ``pct`` columns are percentages of the residents of each area (summing to 100
        within a level); an index is blank where the comparison share is 0.
    """
    area, parent, national = (
        r if isinstance(r, dict) else group_residents(r) for r in (rows, parent_rows, national_rows)
    )
    codes = pd.DataFrame(
        [
            (lv, code, names.get((lv, code), code), code[:-1] if lv != "supergroup" else None)
            for lv in LEVELS
            for code in sorted(national[lv].index)
        ],
        columns=["level", "code", "name", "parent"],
    )
    vs_parent = compute_profile(_counts(codes, area, parent), suppress_below=0)
    vs_nation = compute_profile(_counts(codes, area, national), suppress_below=0)
    out = pd.DataFrame(
        {
            "level": vs_parent["level"],
            "code": vs_parent["code"],
            "name": vs_parent["name"],
            "residents": vs_parent["customers"].astype("int64"),
            "pct": vs_parent["customer_pct"],
            "parent_pct": vs_parent["base_pct"],
            "national_pct": vs_nation["base_pct"].to_numpy(),
            "index_vs_parent": vs_parent["index"],
            "index_vs_national": vs_nation["index"].to_numpy(),
        }
    )
    return out.loc[:, list(MIX_COLUMNS)].reset_index(drop=True)


def largest(mix: pd.DataFrame, level: str, n: int = 1) -> pd.DataFrame:
    """The ``n`` codes of a level holding most of the area's residents."""
    part = mix[mix["level"] == level]
    return part.sort_values(["residents", "code"], ascending=[False, True]).head(n)


def most_over_represented(
    mix: pd.DataFrame, level: str = "group", min_pct: float = 5.0
) -> pd.Series | None:
    """The code with the highest index against the nation among those holding at least
    ``min_pct`` % of the area's residents (None if there is none)."""
    part = mix[(mix["level"] == level) & (mix["pct"] >= min_pct)]
    part = part[np.isfinite(part["index_vs_national"].astype(float))]
    if part.empty:
        return None
    return part.sort_values(["index_vs_national", "code"], ascending=[False, True]).iloc[0]
