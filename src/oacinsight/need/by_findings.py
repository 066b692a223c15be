"""Plain-language findings of ``need --by`` / ``--period``: how concentrated each slice's
need is (the campaign reach at 20% of households), where each slice's rate is highest
and lowest relative to its own average (the heat map's numbers), and how far each
slice's target list agrees with the whole file's.

Built from published numbers only (the gains curves, ``rate_shrunk`` and the target
lists), so a finding never reveals a hidden count.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from oacinsight.need.by_result import NeedByResult

__all__ = ["need_by_findings"]

#: The share of households contacted at which the slices' reach is compared.
REACH_AT = 0.2


def need_by_findings(result: NeedByResult) -> list[str]:
    """The findings, most general first: reach, then each slice's highest and lowest
    group, then the overlap of the target lists."""
    if not result.slices:
        return []
    return [*_reach(result), *_groups(result), *_targets(result)]


def _what(result: NeedByResult) -> str:
    return ("periods of" if result.kind == "period" else "values of") + f" {result.column!r}"


def _reach(result: NeedByResult) -> list[str]:
    reach = [(n, r.reach(REACH_AT)["expected"]) for n, r in result.slices]
    reach = [(n, x) for n, x in reach if np.isfinite(x)]
    if not reach:
        return []
    low = min(reach, key=lambda t: t[1])
    high = max(reach, key=lambda t: t[1])
    whole = result.overall.reach(REACH_AT)["expected"]
    if len(reach) == 1 or low[1] == high[1]:
        return [
            f"Contacting {REACH_AT:.0%} of households in target-list order reaches "
            f"{high[1]:.0%} of the expected need of {high[0]} (whole file: {whole:.0%})."
        ]
    return [
        f"Contacting {REACH_AT:.0%} of households in target-list order reaches from "
        f"{low[1]:.0%} of the expected need ({low[0]}) to {high[1]:.0%} ({high[0]}); "
        f"whole file {whole:.0%}. The need of {high[0]} is the most concentrated in a few "
        f"areas, that of {low[0]} the most spread out."
    ]


def _groups(result: NeedByResult) -> list[str]:
    """Per slice: the groups with the highest and lowest rate relative to the slice's
    average rate (100 = average), as on the heat map."""
    from oacinsight.need.by_chart import relative_rates

    table = relative_rates(result)
    labels = [f"{c} ({n})" for c, n in zip(table["code"], table["name"], strict=True)]
    level = result.overall.level
    out = []
    for name, _ in result.slices:
        values = table[name].to_numpy(dtype=float)
        if not np.isfinite(values).any():
            continue
        hi, lo = int(np.nanargmax(values)), int(np.nanargmin(values))
        out.append(
            f"{name}: the rate is highest in {level} {labels[hi]}, {values[hi] / 100:.1f} "
            f"times the slice's average rate, and lowest in {labels[lo]}, "
            f"{values[lo] / 100:.1f} times."
        )
    return out


def _targets(result: NeedByResult) -> list[str]:
    overall = set(result.overall.targets["area_code"])
    if not overall:
        return []
    kind = {"oa": "output area", "lsoa": "LSOA"}.get(result.overall.rules.area_type, "ward")
    shared = []
    for name, r in result.slices:
        mine = set(r.targets["area_code"])
        if mine:
            shared.append(f"{name} {len(mine & overall)} of {len(mine)}")
    if not shared:
        return []
    return [
        f"Target {kind}s shared with the whole file's list of {len(overall)}: "
        + "; ".join(shared)
        + f". Where few are shared, a campaign for one of the {_what(result)} should "
        "use that slice's own target list."
    ]
