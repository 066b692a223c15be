"""Expected demand per output area, LSOA, ward and local authority, and observed
against expected (pure: frames in, frames out)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from oacinsight.errors import InputFileError
from oacinsight.need.stats import gamma_interval, poisson_interval

__all__ = ["AREA_TYPES", "EXPECTED_COLUMNS", "attach_observed", "expected_demand", "rate_moments"]

AREA_TYPES: tuple[str, ...] = ("oa", "lsoa", "ward", "lad")
#: Published columns of ``expected.csv`` (the first twelve are the issue's contract).
EXPECTED_COLUMNS: tuple[str, ...] = (
    "area_code",
    "area_type",
    "name",
    "residents",
    "expected",
    "expected_low",
    "expected_high",
    "observed",
    "ratio",
    "ratio_low",
    "ratio_high",
    "shortfall",
    "households",
    "base",
    "expected_rate",
    "lad",
)
_LEVEL_COLUMN = {"supergroup": "supergroup", "group": "group_code", "subgroup": "subgroup"}


def rate_moments(rates: pd.DataFrame, level: str) -> pd.DataFrame:
    """``mean, var`` of the rate of each group of ``level``, indexed by code."""
    t = rates[rates["level"] == level].set_index("code")
    shape = t["post_shape"].astype(float)
    scale = t["post_scale"].astype(float)
    var = np.where((scale > 0) & np.isfinite(shape), shape * scale**2, 0.0)
    return pd.DataFrame({"mean": t["rate_shrunk"].astype(float), "var": var}, index=t.index)


def expected_demand(
    oas: pd.DataFrame,
    moments: pd.DataFrame,
    level: str,
    names: dict[str, str],
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Expected demand (rate × base summed over groups) with its interval, per area.

    ``oas`` is :func:`oacinsight.store.need.area_oas` output.  The rate of each group
    is uncertain (a gamma posterior); within a group the same rate multiplies every
    OA's base, so the variance of an area is ``Σ_g (Σ_{OA∈a,g} base)² var_g``.
    """
    col = _LEVEL_COLUMN[level]
    missing = sorted(set(pd.unique(oas[col].astype(object))) - set(moments.index))
    if missing:
        raise InputFileError(
            f"no rate for OAC {level} {', '.join(missing[:5])}, which the area holds"
        )
    frame = oas.assign(oa_code=oas["oa"])
    frames = []
    for kind, key in zip(AREA_TYPES, ("oa_code", "lsoa", "ward", "lad"), strict=True):
        frames.append(_aggregate(frame, key, kind, col, moments, confidence))
    out = pd.concat(frames, ignore_index=True)
    out.insert(2, "name", _names(out, names))
    return out


def _names(out: pd.DataFrame, names: dict[str, str]) -> pd.Series:
    """The name of each area where known, else its code (blank for an output area)."""
    codes = out["area_code"].to_numpy(dtype=object)
    name = np.where((out["area_type"] == "oa").to_numpy(dtype=bool), "", codes).astype(object)
    if names:
        known = np.asarray(list(names.values()), dtype=object)
        pos = pd.Index(list(names), dtype=object).get_indexer(pd.Index(codes, dtype=object))
        found = pos >= 0
        found[found] = pd.notna(known[pos[found]])
        name[found] = known[pos[found]]
    return pd.Series(name, index=out.index, dtype=object)


def _aggregate(
    frame: pd.DataFrame, key: str, kind: str, col: str, moments: pd.DataFrame, confidence: float
) -> pd.DataFrame:
    f = frame[frame[key].notna()]
    if kind == "oa":
        return _per_oa(f, col, moments, confidence)
    cells = f.groupby([key, col], sort=False, observed=True)["base"].sum().reset_index()
    m = moments.reindex(cells[col])
    cells["mean"] = cells["base"].to_numpy() * m["mean"].to_numpy()
    cells["var"] = cells["base"].to_numpy() ** 2 * m["var"].to_numpy()
    g = cells.groupby(key, sort=True, observed=True)[["mean", "var"]].sum()
    grouped = f.groupby(key, sort=True, observed=True)
    totals = grouped[["residents", "households", "base"]].sum(min_count=1)
    totals["lad"] = grouped["lad"].first()
    low, high = gamma_interval(g["mean"].to_numpy(), g["var"].to_numpy(), confidence)
    return _frame(g.index, kind, totals, g["mean"].to_numpy(), low, high)


def _per_oa(f: pd.DataFrame, col: str, moments: pd.DataFrame, confidence: float) -> pd.DataFrame:
    """One group per OA: the OA's interval is its group rate's interval × its base."""
    gl, gh = gamma_interval(moments["mean"].to_numpy(), moments["var"].to_numpy(), confidence)
    pos = moments.index.get_indexer(pd.Index(f[col]))
    b = f["base"].to_numpy(dtype=float)
    totals = f.set_index("oa")[["residents", "households", "base", "lad"]]
    return _frame(
        f["oa"], "oa", totals, b * moments["mean"].to_numpy()[pos], b * gl[pos], b * gh[pos]
    )


def _frame(
    codes, kind: str, totals: pd.DataFrame, mean: np.ndarray, low: np.ndarray, high: np.ndarray
) -> pd.DataFrame:
    out = pd.DataFrame(
        {
            "area_code": np.asarray(codes, dtype=object),
            "area_type": kind,
            "residents": totals["residents"].to_numpy(dtype=float),
            "expected": mean,
            "expected_low": low,
            "expected_high": high,
            "households": totals["households"].to_numpy(dtype=float),
            "base": totals["base"].fillna(0.0).to_numpy(dtype=float),
            "lad": totals["lad"].to_numpy(dtype=object),
        }
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        out["expected_rate"] = np.where(out["base"] > 0, out["expected"] / out["base"], np.nan)
    return out


def attach_observed(
    expected: pd.DataFrame,
    oas: pd.DataFrame,
    observed: pd.Series,
    kind: str,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Add ``observed, ratio, ratio_low, ratio_high, shortfall``.

    ``observed`` is a count per area code of type ``kind`` (``oa``, ``lsoa``, ``ward``
    or ``lad``); counts are summed to the types that contain it (OA → LSOA, ward,
    district; LSOA and ward → district).  Ratio = observed / expected with the exact
    Poisson interval of the observed count divided by the expected value.
    """
    out = expected.copy()
    out["observed"] = np.nan
    key = {"oa": "oa", "lsoa": "lsoa", "ward": "ward", "lad": "lad"}[kind]
    inside = set(oas[key].dropna())
    outside = [c for c in observed.index if c not in inside]
    if outside:
        raise InputFileError(
            f"{len(outside):,} observed {kind} code(s) lie outside the chosen area "
            f"(e.g. {outside[0]}); choose a wider --area or remove them"
        )
    columns = list(dict.fromkeys([key, "lsoa", "ward", "lad"]))
    base = oas[columns].astype(object)
    base = base if kind == "oa" else base.drop_duplicates(key)
    targets = {"oa": AREA_TYPES, "lsoa": ("lsoa", "lad"), "ward": ("ward", "lad"), "lad": ("lad",)}[
        kind
    ]
    base["obs"] = base[key].map(observed).fillna(0.0)
    for t in targets:
        col = "oa" if t == "oa" else t
        sums = base.groupby(col)["obs"].sum()
        rows = out["area_type"] == t
        out.loc[rows, "observed"] = out.loc[rows, "area_code"].map(sums).fillna(0.0).to_numpy()
    return _ratios(out, confidence)


def _ratios(out: pd.DataFrame, confidence: float) -> pd.DataFrame:
    obs = out["observed"].to_numpy(dtype=float)
    exp = out["expected"].to_numpy(dtype=float)
    has = np.isfinite(obs) & (exp > 0)
    low, high = poisson_interval(np.where(np.isfinite(obs), obs, 0.0), confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["ratio"] = np.where(has, obs / exp, np.nan)
        out["ratio_low"] = np.where(has, low / exp, np.nan)
        out["ratio_high"] = np.where(has, high / exp, np.nan)
    out["shortfall"] = np.where(np.isfinite(obs), exp - obs, np.nan)
    return out
