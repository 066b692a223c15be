"""A plain-language summary of an area profile, generated from its numbers only.

Every sentence states a number from the profile's tables and compares like with like
(the area with its parent area or England and Wales).  Differences are called "higher"
or "lower" only when they are at least :data:`MIN_POINTS` percentage points and
:data:`MIN_RELATIVE` of the comparison value; smaller ones are not mentioned.  Nothing
is said about causes, trends or statistical significance (census counts are a full
count, not a sample).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, TypeGuard

import pandas as pd

from oacinsight.areas.mix import largest, most_over_represented

if TYPE_CHECKING:
    from oacinsight.areas.result import AreaProfile

__all__ = ["MIN_POINTS", "MIN_RELATIVE", "plain_summary"]

MIN_POINTS = 3.0
MIN_RELATIVE = 0.15


def _pct(value: float) -> str:
    return f"{value:.0f}%" if value >= 1 or value == 0 else f"{value:.1f}%"


def _lower(label: str) -> str:
    """A label in running text: first letter lower-case unless it is an acronym."""
    return label if label[:2].isupper() else label[:1].lower() + label[1:]


def _ok(value: Any) -> TypeGuard[float]:
    """Whether a figure is known (not None, not NaN)."""
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def _population(p: AreaProfile) -> str:
    article = "an" if p.kind in ("lsoa", "msoa") else "a"
    if not p.is_whole:
        text = (
            f"The part of {p.title} ({p.kind_label}) held in the store, not the whole "
            f"{p.kind_label}, has {p.residents:,.0f} usual residents"
        )
    else:
        text = f"{p.title} is {article} {p.kind_label} of {p.residents:,.0f} usual residents"
    if _ok(p.households):
        text += f" in {p.households:,.0f} households"
    return text + f" (Census 2021), in {p.output_areas:,} output areas."


def _mix(p: AreaProfile) -> list[str]:
    out = []
    top = largest(p.oac_mix, "supergroup").iloc[0]
    out.append(
        f"The most common kind of neighbourhood is '{top['name']}': {_pct(top['pct'])} of "
        f"residents live in such output areas, against {_pct(top['parent_pct'])} in "
        f"{p.parent_label} and {_pct(top['national_pct'])} in {p.national_name}."
    )
    over = most_over_represented(p.oac_mix, "group")
    if over is not None and over["index_vs_national"] >= 150:
        times = over["index_vs_national"] / 100.0
        out.append(
            f"'{over['name']}' neighbourhoods ({_pct(over['pct'])} of residents) are "
            f"{times:.1f} times as common here as in {p.national_name} "
            f"({_pct(over['national_pct'])})."
        )
    return out


def _deprivation(p: AreaProfile) -> list[str]:
    dep, par = p.deprivation_summary, p.parent_deprivation_summary
    share = dep.get("pct_deciles_1_2")
    if not _ok(share) or not dep.get("lsoas"):
        return [
            "No deprivation rank is known for this area's neighbourhoods (the postcode "
            "directory gives none)."
        ]
    nation = dep.get("nations") or "their nation"
    text = (
        f"{_pct(share)} of residents live in neighbourhoods (LSOAs) among the most "
        f"deprived 20% in {nation.replace(', ', ' or ')}"
    )
    if _ok(par.get("pct_deciles_1_2")) and p.parent_code != "K04000001":
        text += f", against {_pct(par['pct_deciles_1_2'])} in {p.parent_label}"
    text += f"; {_pct(dep['pct_deciles_9_10'])} live in the least deprived 20%."
    return [text]


def _differs(value: float, base: float) -> bool:
    return (
        _ok(value)
        and _ok(base)
        and abs(value - base) >= MIN_POINTS
        and abs(value - base) >= MIN_RELATIVE * abs(base)
    )


def _indicators(p: AreaProfile) -> list[str]:
    rates = p.indicators[p.indicators["unit"].str.startswith("%")].copy()
    rates["gap"] = (rates["value"] - rates["parent_value"]).abs()
    rates = rates[
        [_differs(v, b) for v, b in zip(rates["value"], rates["parent_value"], strict=True)]
    ]
    if rates.empty:
        return [
            f"On the census indicators shown, the {p.kind_label} is within "
            f"{MIN_POINTS:.0f} points of {p.parent_label}."
        ]
    parts = []
    for _, r in rates.sort_values(["gap", "indicator"], ascending=[False, True]).head(3).iterrows():
        word = "higher" if r["value"] > r["parent_value"] else "lower"
        parts.append(
            f"the share of {_lower(r['label'])} is {word} ({_pct(r['value'])} "
            f"against {_pct(r['parent_value'])})"
        )
    return [f"Compared with {p.parent_label}: " + "; ".join(parts) + "."]


def _scale(p: AreaProfile) -> list[str]:
    s = p.scale[
        (p.scale["level"] == "output area")
        & (p.scale["units"] >= 3)
        & p.scale["unit"].str.startswith("%")
    ]
    if s.empty:
        return []
    s = s.assign(spread=s["max"] - s["min"]).sort_values(
        ["spread", "indicator"], ascending=[False, True]
    )
    r = s.iloc[0]
    whole = p.scale[
        (p.scale["indicator"] == r["indicator"]) & (p.scale["level"] == "whole area")
    ].iloc[0]
    return [
        f"Averages hide differences: the share of {_lower(r['label'])} is "
        f"{_pct(whole['min'])} for the whole {p.kind_label} but ranges from "
        f"{_pct(r['min'])} to {_pct(r['max'])} across its {int(r['units'])} output areas."
    ]


def _comparators(p: AreaProfile) -> list[str]:
    c = p.comparators
    if not isinstance(c, pd.DataFrame) or c.empty or (c["rank"] > 0).sum() == 0:
        return []
    names = [str(n) for n in c.loc[c["rank"] > 0, "name"].head(3)]
    return [f"The most similar areas of the same kind in the store are {', '.join(names)}."]


def plain_summary(p: AreaProfile) -> list[str]:
    """Sentences describing the profile, each backed by a number in its tables."""
    lines = [
        _population(p),
        *_mix(p),
        *_deprivation(p),
        *_indicators(p),
        *_scale(p),
        *_comparators(p),
    ]
    if "postcodes lie" in p.membership:
        lines.append(
            "Its output areas were placed in it by where most of their postcodes "
            "lie, as no official lookup is loaded."
        )
    return lines
