"""Charts comparing the slices of a profile: heat map, small multiples, trend.

Built on :class:`matplotlib.figure.Figure` (Agg canvas, no pyplot state), from
published numbers only: hidden cells are drawn grey and marked, never coloured by their
value.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import Normalize
from matplotlib.figure import Figure

from oacinsight.oac import colour_for
from oacinsight.profile.chart import GREY, INK
from oacinsight.profile.suppress import SUPPRESSED_FLAG

if TYPE_CHECKING:
    from oacinsight.profile.comparison import ComparisonResult

__all__ = ["plot_heat_map", "plot_small_multiples", "plot_trend"]

#: The colour scale runs over log2(index / 100) from -LIMIT to +LIMIT (index 25 to 400).
LIMIT = 2.0
CMAP = "RdBu_r"


def _figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height))
    FigureCanvasAgg(fig)
    return fig


def _top(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["level"] == frame["level"].iloc[0]].reset_index(drop=True)


def _label(code: object, name: object, width: int = 34) -> str:
    text = f"{code} {name}"
    return text if len(text) <= width else text[: width - 1] + "…"


def plot_heat_map(result: ComparisonResult) -> Figure:
    """Index by group (rows) × slice (columns), diverging colours centred on 100."""
    columns = [("all customers", result.overall), *result.slices]
    frames = [_top(p.published_frame()) for _, p in columns]
    rows = frames[0]
    index = np.array([f["index"].to_numpy(dtype=float) for f in frames]).T
    hidden = np.array([(f["flag"] == SUPPRESSED_FLAG).to_numpy() for f in frames]).T
    flags = np.array([f["flag"].to_numpy(dtype=object) for f in frames]).T
    fig = _figure(max(6.0, 1.6 + 0.9 * len(columns)), max(3.4, 2.2 + 0.38 * len(rows)))
    ax = fig.add_axes((0.32, 0.26, 0.58, 0.64))
    with np.errstate(divide="ignore", invalid="ignore"):
        shade = np.clip(np.log2(index / 100.0), -LIMIT, LIMIT)
    norm = Normalize(-LIMIT, LIMIT)
    image = ax.imshow(np.ma.masked_invalid(np.where(hidden, np.nan, shade)), cmap=CMAP, norm=norm,
                      aspect="auto")  # fmt: skip
    ax.set_facecolor(GREY)
    for i, j in np.ndindex(index.shape):
        if hidden[i, j]:
            ax.text(
                j, i, "hidden", ha="center", va="center", fontsize=6.5, color=INK, style="italic"
            )
        elif math.isfinite(index[i, j]):
            mark = "*" if flags[i, j] in ("over", "under") else ""
            dark = abs(shade[i, j]) > 1.2
            ax.text(j, i, f"{index[i, j]:.0f}{mark}", ha="center", va="center", fontsize=7.5,
                    color="white" if dark else INK)  # fmt: skip
    ax.set_xticks(range(len(columns)), [str(n)[:22] for n, _ in columns], rotation=35,
                  ha="right", fontsize=7.5)  # fmt: skip
    labels = [_label(c, n) for c, n in zip(rows["code"], rows["name"], strict=True)]
    ax.set_yticks(range(len(rows)), labels, fontsize=7.5)
    bar = fig.colorbar(image, ax=ax, fraction=0.04, pad=0.02)
    ticks = [-2, -1, 0, 1, 2]
    bar.set_ticks(ticks, labels=[f"{100 * 2.0**t:.0f}" for t in ticks])
    bar.ax.tick_params(labelsize=7)
    ax.set_title(f"Index by {result.column}: 100 = as the {result.overall.base_name}", fontsize=9)
    note = (
        "* the whole interval is on one side of 100; grey 'hidden': too few customers to "
        "publish (or could reveal a cell that has)"
    )
    fig.text(0.01, 0.01, note, fontsize=6.5, color=INK)
    return fig


def plot_small_multiples(result: ComparisonResult, *, columns: int = 3) -> Figure:
    """One small index chart per slice (top level shown), on a shared axis."""
    n = len(result.slices)
    ncols = min(columns, n)
    nrows = math.ceil(n / ncols)
    first = _top(result.overall.published_frame())
    fig = _figure(3.4 * ncols + 1.2, 0.32 * len(first) * nrows + 1.0 * nrows + 0.6)
    axes = fig.subplots(nrows, ncols, sharex=True, sharey=True, squeeze=False)
    xmax = 300.0
    for k, (name, prof) in enumerate(result.slices):
        ax = axes[k // ncols][k % ncols]
        top = _top(prof.published_frame())
        y = np.arange(len(top))[::-1]
        shown = ~(top["flag"] == SUPPRESSED_FLAG).to_numpy()
        idx = top["index"].to_numpy(dtype=float)
        colours = [colour_for(c) for c in top["code"]]
        alpha = [1.0 if f in ("over", "under") else 0.45 for f in top["flag"]]
        for yi, value, colour, a, ok in zip(y, idx, colours, alpha, shown, strict=True):
            if ok and math.isfinite(value):
                ax.barh(yi, min(value, xmax), color=colour, alpha=a, height=0.7)
            else:
                ax.text(2, yi, "hidden", va="center", fontsize=6, color="#777777", style="italic")
        low = np.clip(top["index_low"].to_numpy(dtype=float), 0, xmax)
        high = np.clip(top["index_high"].to_numpy(dtype=float), 0, xmax)
        ax.hlines(y[shown], low[shown], high[shown], color=INK, linewidth=0.8)
        ax.axvline(100, color=INK, linestyle="--", linewidth=0.7)
        ax.set_title(f"{name} ({prof.n_in_area:,})", fontsize=8)
        ax.set_xlim(0, xmax)
        labels = [_label(c, nm, 24) for c, nm in zip(top["code"], top["name"], strict=True)]
        ax.set_yticks(y, labels, fontsize=6.5)
        ax.tick_params(axis="x", labelsize=6.5)
    for k in range(n, nrows * ncols):
        axes[k // ncols][k % ncols].set_visible(False)
    fig.suptitle(f"Index by {result.column} (bars cut at {xmax:.0f}; lines: intervals)", fontsize=9)
    fig.tight_layout()
    return fig


def plot_trend(result: ComparisonResult) -> Figure:
    """Each group's index over the periods, with its interval (``--period`` only)."""
    periods = result.period_slices()
    fig = _figure(8.0, 4.6)
    ax = fig.add_axes((0.08, 0.14, 0.62, 0.76))
    x = np.arange(len(periods))
    frames = [_top(p.published_frame()) for _, p in periods]
    if frames:
        for i in range(len(frames[0])):
            code, name = frames[0]["code"].iat[i], frames[0]["name"].iat[i]
            ok = np.array([f["flag"].iat[i] != SUPPRESSED_FLAG for f in frames])
            val = np.array([f["index"].iat[i] for f in frames], dtype=float)
            low = np.array([f["index_low"].iat[i] for f in frames], dtype=float)
            high = np.array([f["index_high"].iat[i] for f in frames], dtype=float)
            val, low, high = (np.where(ok, v, np.nan) for v in (val, low, high))
            offset = (i - len(frames[0]) / 2) * 0.02
            ax.errorbar(x + offset, val, yerr=[val - low, high - val], color=colour_for(str(code)),
                        marker="o", markersize=3, linewidth=1.2, capsize=2,
                        label=_label(code, name, 30))  # fmt: skip
    ax.axhline(100, color=INK, linestyle="--", linewidth=0.7)
    ax.set_xticks(x, [n for n, _ in periods], rotation=35, ha="right", fontsize=7.5)
    ax.set_ylabel("index (100 = as the base)", fontsize=8)
    ax.set_title(f"Index over time by {result.column} ({result.freq})", fontsize=9)
    ax.legend(fontsize=6.5, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    fig.text(0.01, 0.01, "Points hidden where the count is too small to publish; bars: "
             f"{result.overall.confidence:.0%} intervals.", fontsize=6.5, color=INK)  # fmt: skip
    return fig
