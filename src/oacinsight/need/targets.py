"""Target lists and campaign reach (gains curve), from expected demand.

Areas are ranked by the shortfall (expected − observed) when observed counts are
given, else by the expected rate (expected per unit of base): where need is high and
take-up low.  A campaign contacting areas in that order reaches, after a share ``h``
of the households, the share ``G(h)`` of the expected need (or of the shortfall);
contacting at random reaches ``h``, so the lift is ``G(h) / h``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from oacinsight.errors import OacInsightError

__all__ = [
    "GAINS_COLUMNS",
    "TARGET_COLUMNS",
    "TargetRules",
    "gains_curve",
    "postcode_list",
    "ranked",
    "reach_at",
    "target_list",
]

TARGET_COLUMNS: tuple[str, ...] = (
    "rank",
    "area_code",
    "area_type",
    "name",
    "households",
    "expected",
    "expected_low",
    "expected_high",
    "observed",
    "ratio",
    "ratio_low",
    "ratio_high",
    "shortfall",
    "expected_rate",
)
GAINS_COLUMNS: tuple[str, ...] = (
    "rank",
    "area_code",
    "name",
    "households",
    "households_share",
    "expected_share",
    "shortfall_share",
    "lift_expected",
    "lift_shortfall",
)


@dataclass(frozen=True)
class TargetRules:
    """Which areas make the target list."""

    area_type: str = "lsoa"
    top: int = 20
    min_expected: float = 10.0
    max_ratio: float = 1.0
    min_shortfall: float = 0.0

    def check(self) -> None:
        """Refuse impossible rules with a one-line reason."""
        if self.area_type not in ("oa", "lsoa", "ward"):
            raise OacInsightError(f"--target-type must be oa, lsoa or ward, not {self.area_type!r}")
        if self.top < 1:
            raise OacInsightError(f"--top must be 1 or more, not {self.top}")
        if self.min_expected < 0 or self.max_ratio < 0:
            raise OacInsightError("--min-expected and --max-ratio must be 0 or more")


def ranked(expected: pd.DataFrame, area_type: str, has_observed: bool) -> pd.DataFrame:
    """Every area of ``area_type`` in campaign order (best first), with ``rank``."""
    t = expected[expected["area_type"] == area_type].copy()
    key = "shortfall" if has_observed else "expected_rate"
    t = t.sort_values(
        [key, "expected", "area_code"],
        ascending=[False, False, True],
        na_position="last",
        kind="mergesort",
    )
    t["rank"] = np.arange(1, len(t) + 1)
    return t.reset_index(drop=True)


def target_list(order: pd.DataFrame, rules: TargetRules, has_observed: bool) -> pd.DataFrame:
    """The first ``top`` areas of ``order`` that pass the thresholds."""
    keep = order["expected"] >= rules.min_expected
    if has_observed:
        keep &= (order["ratio"] <= rules.max_ratio) & (order["shortfall"] > rules.min_shortfall)
    return order[keep].head(rules.top).reset_index(drop=True)


def _contacts(order: pd.DataFrame) -> np.ndarray:
    """Households per area (the base where households are not loaded)."""
    h = order["households"].astype(float)
    return np.where(h.notna(), h, order["base"].astype(float))


def gains_curve(order: pd.DataFrame, has_observed: bool) -> pd.DataFrame:
    """Cumulative shares of households, expected need and shortfall, in campaign order."""
    hh = np.nan_to_num(_contacts(order))
    exp = order["expected"].to_numpy(dtype=float)
    out = pd.DataFrame(
        {
            "rank": order["rank"],
            "area_code": order["area_code"],
            "name": order["name"],
            "households": hh,
        }
    )
    out["households_share"] = np.cumsum(hh) / hh.sum() if hh.sum() > 0 else np.nan
    out["expected_share"] = np.cumsum(exp) / exp.sum() if exp.sum() > 0 else np.nan
    if has_observed:
        gap = np.clip(np.nan_to_num(order["shortfall"].to_numpy(dtype=float)), 0, None)
        out["shortfall_share"] = np.cumsum(gap) / gap.sum() if gap.sum() > 0 else np.nan
    else:
        out["shortfall_share"] = np.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        out["lift_expected"] = out["expected_share"] / out["households_share"]
        out["lift_shortfall"] = out["shortfall_share"] / out["households_share"]
    return out


def reach_at(gains: pd.DataFrame, share: float, column: str = "expected_share") -> float:
    """The share of ``column`` reached after contacting ``share`` of the households
    (linear between areas; NaN when the column is empty)."""
    x = np.concatenate([[0.0], gains["households_share"].to_numpy(dtype=float)])
    y = np.concatenate([[0.0], gains[column].to_numpy(dtype=float)])
    if not len(gains) or np.isnan(y[-1]):
        return float("nan")
    return float(np.interp(share, x, y))


def postcode_list(
    targets: pd.DataFrame,
    oas: pd.DataFrame,
    oa_expected: pd.DataFrame,
    postcodes: pd.DataFrame,
    area_type: str,
) -> pd.DataFrame:
    """Live postcodes of the target areas with their estimated households and expected
    need: each OA's values shared equally among its live postcodes (the postcode
    directory carries no household counts)."""
    key = {"oa": "oa", "lsoa": "lsoa", "ward": "ward"}[area_type]
    chosen = (
        oas[oas[key].isin(targets["area_code"])][["oa", key]].rename(columns={key: "area_code"})
        if key != "oa"
        else oas[oas["oa"].isin(targets["area_code"])][["oa"]].assign(area_code=lambda d: d["oa"])
    )
    chosen = chosen.astype(object)
    per = oa_expected.set_index("area_code")[["expected", "households"]]
    pcs = postcodes.merge(chosen, on="oa")
    n = pcs.groupby("oa")["postcode"].transform("count").astype(float)
    pcs["expected"] = pcs["oa"].map(per["expected"]).to_numpy() / n
    pcs["households"] = pcs["oa"].map(per["households"]).to_numpy() / n
    rank = targets.set_index("area_code")["rank"]
    pcs["area_rank"] = pcs["area_code"].map(rank)
    pcs = pcs.sort_values(
        ["area_rank", "expected", "postcode"], ascending=[True, False, True], kind="mergesort"
    )
    return pcs[
        ["area_rank", "area_code", "postcode", "oa", "households", "expected", "lat", "long"]
    ].reset_index(drop=True)
