"""Charts and maps of need: the gains curve and a static map (matplotlib, offline)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from oacinsight.maps.choropleth import NO_DATA, MapValues
from oacinsight.reports.charts import new_figure

__all__ = ["RAMP", "TARGET_COLOUR", "gains_figure", "need_map_values"]

#: Light to dark: quintiles of the expected rate.
RAMP = ("#fef0d9", "#fdcc8a", "#fc8d59", "#e34a33", "#b30000")
TARGET_COLOUR = "#2c7fb8"


def gains_figure(gains: pd.DataFrame, has_observed: bool, reach20: float) -> Figure:
    """Cumulative share of need (and shortfall) reached against households contacted."""
    fig = new_figure(6.0, 4.2)
    ax = fig.subplots()
    x = np.concatenate([[0.0], gains["households_share"].to_numpy(dtype=float)])
    ax.plot(
        [0, 100], [0, 100], color="#999999", linestyle="--", linewidth=1, label="contact at random"
    )
    ax.plot(
        100 * x,
        100 * np.concatenate([[0.0], gains["expected_share"].to_numpy(float)]),
        color="#b30000",
        linewidth=1.8,
        label="expected need reached",
    )
    if has_observed:
        ax.plot(
            100 * x,
            100 * np.concatenate([[0.0], gains["shortfall_share"].to_numpy(float)]),
            color=TARGET_COLOUR,
            linewidth=1.8,
            label="shortfall reached",
        )
    if np.isfinite(reach20):
        ax.axvline(20, color="#666666", linewidth=0.6)
        ax.annotate(
            f"20% of households → {100 * reach20:.0f}%",
            (20, 100 * reach20),
            xytext=(24, max(5, 100 * reach20 - 12)),
            fontsize=8,
        )
    ax.set_xlim(0, 100)
    ax.set_ylim(0, 100)
    ax.set_xlabel("households contacted, in target-list order (%)")
    ax.set_ylabel("cumulative share reached (%)")
    ax.set_title("Campaign reach (gains curve)", loc="left")
    ax.legend(loc="lower right", frameon=False, fontsize=8)
    fig.tight_layout()
    return fig


def need_map_values(codes: pd.Series, rates: pd.Series, targets: set[str]) -> MapValues:
    """Colours per code: quintile of the expected rate, target areas in blue."""
    values = rates.astype(float).to_numpy()
    finite = values[np.isfinite(values)]
    cuts = np.quantile(finite, [0.2, 0.4, 0.6, 0.8]) if len(finite) else np.zeros(4)
    ramp = np.array(RAMP, dtype=object)
    colour = ramp[np.searchsorted(cuts, np.nan_to_num(values), side="right")]
    colour[~np.isfinite(values)] = NO_DATA
    code_list = [str(c) for c in codes]
    colour[np.isin(code_list, list(targets))] = TARGET_COLOUR
    shown = [None if not np.isfinite(v) else float(v) for v in values]
    areas = {c: {"value": v, "colour": k} for c, v, k in zip(code_list, shown, colour, strict=True)}
    legend = [{"colour": TARGET_COLOUR, "label": "in a target area"}]
    legend += [
        {"colour": c, "label": f"expected rate, quintile {i + 1}"} for i, c in enumerate(RAMP)
    ]
    return MapValues(
        measure="expected_rate",
        label="Areas of likely need",
        legend=legend,
        areas=areas,
        explanation="Darker: more expected need per head. Blue: target areas.",
    )
