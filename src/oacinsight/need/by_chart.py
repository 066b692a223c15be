"""The heat map of ``need --by``: each group's stabilised rate in each slice, relative to
that slice's average rate (100 = the slice's average), on the profile's diverging scale
(:mod:`oacinsight.profile.compare_chart`: log scale, index 25 to 400).

Drawn from published numbers only (``rate_shrunk``, the base and the slice totals,
never a hidden count).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from oacinsight.need.by_result import NeedByResult

__all__ = ["rates_heat_map", "relative_rates"]


def relative_rates(result: NeedByResult) -> pd.DataFrame:
    """Group (rows) × slice (columns): ``rate_shrunk`` ÷ the slice's average rate × 100
    (its customers in the area ÷ the base of the area)."""
    wide = result.wide_frame()
    tier = result.overall.rates
    total_base = float(tier.loc[tier["level"] == result.overall.level, "base"].sum())
    counts = result.slice_frame().set_index(result.label_column)["customers_in_area"]
    out = wide[["code", "name"]].copy()
    for column in wide.columns[3:]:
        average = float(counts[column]) / total_base
        out[column] = 100 * wide[column] / average if average > 0 else np.nan
    return out


def rates_heat_map(result: NeedByResult) -> Figure:
    """The heat map (a matplotlib figure, Agg canvas)."""
    from matplotlib.colors import Normalize

    from oacinsight.profile.compare_chart import CMAP, LIMIT
    from oacinsight.reports.charts import new_figure

    table = relative_rates(result)
    values = table.iloc[:, 2:].to_numpy(dtype=float)
    rows, cols = values.shape
    width = max(6.5, 3.6 + 0.9 * cols)
    fig = new_figure(width, max(3.2, 1.5 + 0.3 * rows))
    ax = fig.add_axes((2.6 / width, 0.2, 1 - 3.6 / width, 0.68))
    with np.errstate(divide="ignore", invalid="ignore"):
        shade = np.clip(np.log2(values / 100.0), -LIMIT, LIMIT)
    image = ax.imshow(shade, cmap=CMAP, norm=Normalize(-LIMIT, LIMIT), aspect="auto")
    for i, j in np.ndindex(values.shape):
        if np.isfinite(values[i, j]):
            colour = "white" if abs(shade[i, j]) > 1.2 else "black"
            ax.text(j, i, f"{values[i, j]:.0f}", ha="center", va="center", fontsize=7,
                    color=colour)  # fmt: skip
    ax.set_xticks(range(cols), [str(c)[:22] for c in table.columns[2:]], rotation=35,
                  ha="right", fontsize=7.5)  # fmt: skip
    names = [f"{c} {n}"[:32] for c, n in zip(table["code"], table["name"], strict=True)]
    ax.set_yticks(range(rows), names, fontsize=7.5)
    bar = fig.colorbar(image, ax=ax, fraction=0.04, pad=0.02)
    ticks = [-2, -1, 0, 1, 2]
    bar.set_ticks(ticks, labels=[f"{100 * 2.0**t:.0f}" for t in ticks])
    bar.ax.tick_params(labelsize=7)
    ax.set_title(f"Rate of need by OAC {result.overall.level} and {result.column}\n"
                 "(100 = the slice's average rate)", fontsize=8.5)  # fmt: skip
    return fig
