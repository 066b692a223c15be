"""Comparator areas: the areas of the same kind most like the one profiled.

Each candidate area is described by its *features*: the share of its residents in each
of the 21 OAC groups (the OAC mix) and its census indicator values (density as
``log10``).  Every feature is standardised over the pool of candidates (the area
included): ``z = (x - mean) / sd``; features that do not vary are dropped and a missing
value counts as the mean (``z = 0``).  The distance is a standardised Euclidean
distance with the two blocks weighted equally::

    d = sqrt( w_mix × mean over mix features of Δz²  +  w_ind × mean over indicators of Δz² )

with ``(w_mix, w_ind)`` = (1, 0) for ``by='mix'``, (0, 1) for ``by='indicators'`` and
(½, ½) for ``by='both'``.  ``d = 0`` is identical; ``d ≈ 1.4`` is as different as two
areas drawn at random.  Ties are broken by code, so the list is reproducible.  The table
also gives ``mix_difference_pct``, half the sum of the absolute differences of the group
shares: the percentage of residents that would have to be in another group for the two
mixes to be the same.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from oacinsight.areas.deprivation import with_deciles
from oacinsight.areas.indicators import DENSITY_KIND, Indicator, indicator_values
from oacinsight.errors import OacInsightError

__all__ = ["COMPARE_BY", "MIN_RESIDENTS", "comparator_table", "feature_pool", "majority_of"]

COMPARE_BY: dict[str, tuple[float, float]] = {
    "mix": (1.0, 0.0),
    "indicators": (0.0, 1.0),
    "both": (0.5, 0.5),
}
#: Smallest candidate kept, by kind: fragments of areas that the loaded postcode files
#: only partly cover would otherwise be compared with whole areas.
MIN_RESIDENTS: dict[str, float] = {
    "ward": 1_000.0,
    "lad": 10_000.0,
    "region": 0.0,
    "lsoa": 0.0,
    "msoa": 0.0,
}


def majority_of(frame: pd.DataFrame, key: str, column: str) -> pd.Series:
    """For each value of ``key``, the ``column`` value holding most residents."""
    part = frame[frame[key].notna() & frame[column].notna()]
    sums = part.groupby([key, column])["residents"].sum().reset_index()
    sums = sums.sort_values([key, "residents", column], ascending=[True, False, True])
    return sums.drop_duplicates(key).set_index(key)[column]


def features_of(
    rows: pd.DataFrame, key: str | pd.Series, indicators: Sequence[Indicator], groups: Sequence[str]
) -> pd.DataFrame:
    """Feature and key-figure columns per value of ``key`` (one row per area)."""
    keys = rows[key] if isinstance(key, str) else key
    res = rows["residents"].fillna(0.0).astype(float)
    shares = pd.crosstab(keys, rows["group_code"], values=res, aggfunc="sum").fillna(0.0)
    totals = res.groupby(keys).sum()
    shares = 100.0 * shares.reindex(columns=list(groups), fill_value=0.0).div(totals, axis=0)
    shares.columns = [f"mix_{g}" for g in shares.columns]
    values = indicator_values(rows, indicators, by=keys)
    values.columns = [f"ind_{c}" for c in values.columns]
    out = shares.join(values, how="left")
    out["residents"] = totals
    if "ts0410001" in rows.columns:
        out["households"] = rows["ts0410001"].astype(float).groupby(keys).sum()
    dec = with_deciles(rows)
    known = dec["imd_decile"].notna()
    ranked = res.where(known, 0.0).groupby(keys).sum()
    poor = res.where(known & (dec["imd_decile"] <= 2), 0.0).groupby(keys).sum()
    out["most_deprived_20_pct"] = (100.0 * poor / ranked).where(ranked > 0)
    sup = rows["supergroup"]
    by_sup = pd.crosstab(keys, sup, values=res, aggfunc="sum").fillna(0.0)
    out["largest_supergroup"] = by_sup.idxmax(axis=1)
    out["largest_supergroup_pct"] = 100.0 * by_sup.max(axis=1) / totals
    return out


def feature_pool(
    frame: pd.DataFrame, column: str, indicators: Sequence[Indicator], groups: Sequence[str]
) -> pd.DataFrame:
    """Features of every area of a kind in the frame, with its majority LAD / region /
    nation (for ``within``)."""
    rows = frame[frame[column].notna() & frame["group_code"].notna()]
    pool = features_of(rows, column, indicators, groups)
    for other in ("lad", "region", "nation"):
        pool[f"in_{other}"] = (
            pool.index.to_series().map(majority_of(rows, column, other))
            if other != column
            else pool.index.to_series()
        )
    return pool


def _standardised(table: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    x = table[columns].astype(float)
    sd = x.std(ddof=0)
    keep = sd[(sd > 0) & sd.notna()].index
    z = (x[keep] - x[keep].mean()) / sd[keep]
    return z.fillna(0.0)


def _log_density(table: pd.DataFrame, indicators: Sequence[Indicator]) -> pd.DataFrame:
    out = table.copy()
    for ind in indicators:
        if ind.kind == DENSITY_KIND and f"ind_{ind.key}" in out:
            out[f"ind_{ind.key}"] = np.log10(out[f"ind_{ind.key}"].astype(float).clip(lower=0.1))
    return out


def distances(
    area: pd.Series, pool: pd.DataFrame, indicators: Sequence[Indicator], by: str
) -> pd.DataFrame:
    """Distance and mix difference of every pool area from ``area`` (a features row)."""
    if by not in COMPARE_BY:
        raise OacInsightError(f"unknown comparison {by!r}; use {', '.join(COMPARE_BY)}")
    w_mix, w_ind = COMPARE_BY[by]
    table = _log_density(pd.concat([area.to_frame().T, pool]), indicators)
    mix_cols = [c for c in table.columns if c.startswith("mix_")]
    ind_cols = [c for c in table.columns if c.startswith("ind_")]
    d2 = pd.Series(0.0, index=table.index)
    for weight, cols in ((w_mix, mix_cols), (w_ind, ind_cols)):
        if weight == 0 or not cols:
            continue
        z = _standardised(table, cols)
        if z.shape[1]:
            diff = z.iloc[1:].to_numpy() - z.iloc[0].to_numpy()
            d2.iloc[1:] += weight * (diff**2).mean(axis=1)
    mix = table[mix_cols].astype(float).fillna(0.0)
    tvd = 0.5 * (mix.iloc[1:] - mix.iloc[0]).abs().sum(axis=1)
    return pd.DataFrame(
        {"distance": np.sqrt(d2.iloc[1:]), "mix_difference_pct": tvd}, index=pool.index
    )


def comparator_table(
    area_code: str,
    area_features: pd.Series,
    pool: pd.DataFrame,
    indicators: Sequence[Indicator],
    *,
    n: int,
    by: str,
    within: str | None,
    min_residents: float,
) -> tuple[pd.DataFrame, str]:
    """The ``n`` most similar areas, with the profiled area as row ``rank 0``.

    Returns
    -------
    table, description : pandas.DataFrame, str
        The table (rank, code, distance, mix difference, key figures, indicator
        values) and one sentence saying what was compared with what.
    """
    if n < 0:
        raise OacInsightError(f"--comparators must be 0 or more, got {n}")
    cand = pool[pool.index != area_code]
    cand = cand[cand["residents"] >= min_residents]
    if within:
        inside = (
            (cand["in_lad"] == within)
            | (cand["in_region"] == within)
            | (cand["in_nation"] == within)
        )
        cand = cand[inside]
    dist = (
        distances(area_features, cand, indicators, by)
        if len(cand)
        else pd.DataFrame(columns=["distance", "mix_difference_pct"])
    )
    ranked = cand.join(dist).reset_index(names="code")
    ranked = ranked.sort_values(["distance", "code"], kind="mergesort").head(n)
    ranked.insert(0, "rank", range(1, len(ranked) + 1))
    me = area_features.to_frame().T.assign(
        code=area_code, rank=0, distance=0.0, mix_difference_pct=0.0
    )
    table = pd.concat([me, ranked], ignore_index=True)
    description = (
        f"{len(cand):,} candidate areas"
        + (f" in {within}" if within else "")
        + (f" with at least {min_residents:,.0f} residents" if min_residents else "")
        + f"; distance by {_BY_TEXT[by]}"
    )
    return table, description


_BY_TEXT = {
    "mix": "OAC group mix",
    "indicators": "census indicators",
    "both": "OAC group mix and census indicators (equal weight)",
}
