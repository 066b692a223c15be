"""Deprivation of an area: how its residents spread across the deciles of the IMD.

The postcode directory's ``imd`` is the rank of the postcode's LSOA (2011 LSOAs) in its
own nation's Index of Multiple Deprivation: England 1 to 32,844, Wales 1 to 1,909,
1 = most deprived.  Each output area takes the rank (and LSOA) of most of its
postcodes, live ones first.  Deciles are per nation: ``decile = ceil(10 × rank ÷ N)``,
so decile 1 is the most deprived 10% of that nation's LSOAs.  English and Welsh ranks
are never compared with each other.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = [
    "DEPRIVATION_COLUMNS",
    "IMD_SIZES",
    "deprivation_summary",
    "deprivation_table",
    "lsoa_table",
    "with_deciles",
]

#: Number of LSOAs ranked by each nation's index (as in the postcode directory).
IMD_SIZES: dict[str, int] = {"E92000001": 32_844, "W92000004": 1_909}
NATION_NAMES: dict[str, str] = {"E92000001": "England", "W92000004": "Wales"}
INDEX_NAMES: dict[str, str] = {"E92000001": "English IMD", "W92000004": "Welsh WIMD"}
DEPRIVATION_COLUMNS: tuple[str, ...] = (
    "nation",
    "decile",
    "lsoas",
    "residents",
    "pct",
    "parent_pct",
)


def with_deciles(rows: pd.DataFrame) -> pd.DataFrame:
    """``rows`` with an ``imd_decile`` column (NaN where the rank is unknown or invalid)."""
    out = rows.copy()
    size = out["nation"].map(IMD_SIZES).astype(float)
    rank = pd.to_numeric(out["imd_rank"], errors="coerce").astype(float)
    valid = (rank >= 1) & (rank <= size)
    out["imd_decile"] = np.where(valid, np.ceil(10.0 * rank / size), np.nan)
    return out


def lsoa_table(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per LSOA (2011, as ranked) of the area: rank, decile, residents in the area."""
    d = with_deciles(rows)
    d = d[d["imd_decile"].notna()]
    out = (
        d.groupby(["nation", "lsoa11", "imd_rank", "imd_decile"], dropna=False)
        .agg(output_areas=("oa", "size"), residents=("residents", "sum"))
        .reset_index()
    )
    out["nation"] = out["nation"].map(NATION_NAMES).fillna(out["nation"])
    out["imd_decile"] = out["imd_decile"].astype(int)
    out["imd_rank"] = out["imd_rank"].astype(int)
    return out.sort_values(["nation", "imd_rank"]).reset_index(drop=True)


def _distribution(rows: pd.DataFrame) -> pd.DataFrame:
    d = with_deciles(rows)
    d = d[d["imd_decile"].notna()]
    if d.empty:
        return pd.DataFrame(
            columns=["lsoas", "residents", "pct"],
            index=pd.MultiIndex.from_tuples([], names=["nation", "imd_decile"]),
        )
    g = d.groupby(["nation", "imd_decile"])
    out = pd.DataFrame({"lsoas": g["imd_rank"].nunique(), "residents": g["residents"].sum()})
    total = d.groupby("nation")["residents"].sum()
    out["pct"] = 100.0 * out["residents"] / out.index.get_level_values(0).map(total.to_dict())
    return out


def deprivation_table(rows: pd.DataFrame, parent_rows: pd.DataFrame | None) -> pd.DataFrame:
    """Residents of the area in each IMD decile of their nation, with the parent's shares.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`DEPRIVATION_COLUMNS`: every decile 1-10 of each nation the area
        is in; ``pct`` is the share of the area's residents (with a known rank) in that
        nation; ``parent_pct`` the same for the parent area.
    """
    area = _distribution(rows)
    parent = _distribution(parent_rows) if parent_rows is not None else None
    nations = sorted(area.index.get_level_values(0).unique())
    records = []
    for nation in nations:
        for decile in range(1, 11):
            key = (nation, float(decile))
            got = area.loc[key] if key in area.index else None
            par = parent.loc[key] if parent is not None and key in parent.index else None
            records.append(
                (
                    NATION_NAMES.get(nation, nation),
                    decile,
                    int(got["lsoas"]) if got is not None else 0,
                    int(got["residents"]) if got is not None else 0,
                    float(got["pct"]) if got is not None else 0.0,
                    float(par["pct"])
                    if par is not None
                    else (0.0 if parent is not None else float("nan")),
                )
            )
    return pd.DataFrame(records, columns=list(DEPRIVATION_COLUMNS))


def deprivation_summary(rows: pd.DataFrame) -> dict[str, float | int | str]:
    """Headline deprivation figures of a set of output areas.

    Returns
    -------
    dict
        ``lsoas`` (ranked LSOAs touched), ``pct_decile_1`` and ``pct_deciles_1_2``
        (% of residents with a known rank living in the most deprived 10% / 20% of their
        nation's LSOAs), ``pct_deciles_9_10``, ``median_decile`` (of residents),
        ``residents_unranked`` and ``nations`` (names).
    """
    d = with_deciles(rows)
    known = d[d["imd_decile"].notna()]
    res = known["residents"].astype(float)
    total = float(res.sum())
    out: dict[str, float | int | str] = {
        "lsoas": int(known[["nation", "imd_rank"]].drop_duplicates().shape[0]),
        "residents_unranked": int(d.loc[d["imd_decile"].isna(), "residents"].sum()),
        "nations": ", ".join(NATION_NAMES.get(n, n) for n in sorted(known["nation"].unique())),
    }
    if total <= 0:
        out.update(
            pct_decile_1=float("nan"),
            pct_deciles_1_2=float("nan"),
            pct_deciles_9_10=float("nan"),
            median_decile=float("nan"),
        )
        return out
    dec = known["imd_decile"]
    out["pct_decile_1"] = 100.0 * float(res[dec == 1].sum()) / total
    out["pct_deciles_1_2"] = 100.0 * float(res[dec <= 2].sum()) / total
    out["pct_deciles_9_10"] = 100.0 * float(res[dec >= 9].sum()) / total
    order = known.assign(r=res).sort_values("imd_decile")
    cum = order["r"].cumsum()
    out["median_decile"] = int(order.loc[cum >= total / 2.0, "imd_decile"].iloc[0])
    return out
