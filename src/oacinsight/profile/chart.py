"""Index chart of a customer profile: one horizontal bar per OAC group.

Figures are built with :class:`matplotlib.figure.Figure` directly (Agg canvas), so no
pyplot global state is created or leaked.  The chart only ever shows the *published*
numbers: suppressed rows are drawn as grey labels, never as bars of their value.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from oacinsight.errors import OacInsightError
from oacinsight.oac import LEVELS, colour_for
from oacinsight.profile.suppress import SUPPRESSED_FLAG, published_frame

__all__ = ["plot_profile", "save_figure"]

GREY = "#bdbdbd"
INK = "#333333"
#: Axis limit: whiskers or bars beyond it are cut and marked with an arrow head.
MAX_INDEX_SHOWN = 400.0
_PLURAL = {"supergroup": "Supergroups", "group": "Groups", "subgroup": "Subgroups"}
#: Metadata written into SVG/PNG files (no dates, so files are reproducible).
_FILE_METADATA: dict[str, dict[str, Any]] = {
    "svg": {"Date": None, "Creator": "oacinsight", "Format": None, "Type": None},
    "png": {"Software": "oacinsight"},
}


def _chart_input(source: Any) -> tuple[pd.DataFrame, int, float, str]:
    """Table, suppression threshold, confidence and default title of a chart source."""
    if isinstance(source, pd.DataFrame):
        table = source
        threshold = int(table.attrs.get("suppress_below", 10))
        confidence = float(table.attrs.get("confidence", 0.95))
        title = "Customer profile by 2021 Output Area Classification"
    elif hasattr(source, "table") and isinstance(source.table, pd.DataFrame):
        table = source.table
        threshold = int(source.suppress_below)
        confidence = float(source.confidence)
        title = f"Customer profile against {source.base_name}"
    else:
        raise OacInsightError("plot_profile needs a ProfileResult or a profile table")
    missing = {"level", "code", "name", "index", "index_low", "index_high", "flag"}
    missing -= set(table.columns)
    if missing:
        raise OacInsightError(f"not a profile table: missing {', '.join(sorted(missing))}")
    if table.empty:
        raise OacInsightError("the profile table has no rows to plot")
    return table, threshold, confidence, title


def _label(code: Any, name: Any, width: int = 48) -> str:
    """``"code name"``, shortened to ``width`` characters."""
    text = f"{code} {'' if pd.isna(name) else name}".strip()
    return text if len(text) <= width else text[: width - 1] + "…"


def _x_limit(table: pd.DataFrame) -> float:
    """Right edge of the index axis: room for bars and whiskers, at most 400."""
    values = pd.concat([table["index"], table["index_high"]]).astype(float)
    finite = values[np.isfinite(values)]
    top = float(finite.max()) if len(finite) else 100.0
    return min(max(top * 1.08, 150.0), MAX_INDEX_SHOWN)


def _bar_style(flag: str, code: str) -> tuple[str, float]:
    """Colour and opacity of one bar: pale when the interval includes 100."""
    if flag in (SUPPRESSED_FLAG, "no_base"):
        return GREY, 1.0
    return colour_for(code), (1.0 if flag in ("over", "under") else 0.45)


def _whiskers(ax: Axes, rows: pd.DataFrame, y: np.ndarray, xmax: float) -> None:
    """Confidence-interval whiskers, cut at ``xmax`` with an arrow head."""
    idx = rows["index"].to_numpy(dtype=float)
    low = rows["index_low"].to_numpy(dtype=float)
    high = rows["index_high"].to_numpy(dtype=float)
    ok = np.isfinite(idx) & np.isfinite(low) & np.isfinite(high)
    if not ok.any():
        return
    centre = np.minimum(idx[ok], xmax)
    err = np.vstack([centre - np.minimum(low[ok], xmax), np.minimum(high[ok], xmax) - centre])
    ax.errorbar(centre, y[ok], xerr=err, fmt="none", ecolor=INK, elinewidth=1, capsize=2.5)
    cut = ok & (high > xmax)
    if cut.any():
        ax.plot(np.full(cut.sum(), xmax), y[cut], ">", color=INK, markersize=5, clip_on=False)
    for pos, value in zip(y[ok & (idx > xmax)], idx[ok & (idx > xmax)], strict=True):
        ax.text(
            xmax * 0.97,
            pos,
            f"index {value:,.0f}",
            ha="right",
            va="center",
            fontsize=8,
            color="white",
            fontweight="bold",
        )


def _notes(ax: Axes, rows: pd.DataFrame, y: np.ndarray, threshold: int) -> None:
    """Grey text on rows that have no bar: suppressed and no-base rows."""
    for pos, flag in zip(y, rows["flag"], strict=True):
        if flag == SUPPRESSED_FLAG:
            text = f"suppressed (<{threshold})"
        elif flag == "no_base":
            text = "no base (0 in the base)"
        else:
            continue
        ax.text(2, pos, text, va="center", ha="left", fontsize=8, color="#666666", style="italic")


def _draw_panel(
    ax: Axes, rows: pd.DataFrame, level: str | None, xmax: float, threshold: int
) -> None:
    """One tier: bars, whiskers, the line at 100 and the labels."""
    y = np.arange(len(rows), dtype=float)
    flags = rows["flag"].astype(str).tolist()
    codes = rows["code"].astype(str).tolist()
    styles = [_bar_style(f, c) for f, c in zip(flags, codes, strict=True)]
    width = np.minimum(np.nan_to_num(rows["index"].to_numpy(dtype=float), nan=0.0), xmax)
    bars = ax.barh(y, width, height=0.7, color=[s[0] for s in styles], edgecolor="none")
    for bar, (_, alpha) in zip(bars, styles, strict=True):
        bar.set_alpha(alpha)
    _whiskers(ax, rows, y, xmax)
    ax.axvline(100, color=INK, linewidth=1, linestyle="--", zorder=3)
    ax.set_yticks(y, [_label(c, n) for c, n in zip(codes, rows["name"], strict=True)])
    for tick, flag in zip(ax.get_yticklabels(), flags, strict=True):
        if flag in (SUPPRESSED_FLAG, "no_base"):
            tick.set_color("#888888")
    _notes(ax, rows, y, threshold)
    ax.set_xlim(0, xmax)
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.grid(axis="x", color="#e6e6e6", linewidth=0.8)
    ax.set_axisbelow(True)
    ax.spines[["top", "right"]].set_visible(False)
    ax.tick_params(axis="y", length=0, labelsize=9)
    if level is not None:
        ax.set_title(_PLURAL.get(level, level), loc="left", fontsize=10, color=INK)


def plot_profile(result_or_table: Any, *, title: str | None = None) -> Figure:
    """Horizontal bar chart of the index of each group, with confidence whiskers.

    Parameters
    ----------
    result_or_table : ProfileResult or pandas.DataFrame
        A :class:`~oacinsight.profile.ProfileResult` or a ``compute_profile`` table.
        Only published numbers are drawn (suppressed rows are blanked first).
    title : str, optional
        Figure title; a default naming the base is used when omitted.

    Returns
    -------
    matplotlib.figure.Figure
        One bar per row, coloured by supergroup; pale bars have an interval that
        includes 100; a dashed line marks 100.  Several levels give one panel each.
    """
    table, threshold, confidence, default_title = _chart_input(result_or_table)
    shown = published_frame(table)
    levels: list[str | None] = [lv for lv in LEVELS if (shown["level"] == lv).any()] or [None]
    panels = [shown if lv is None else shown[shown["level"] == lv] for lv in levels]
    heights = [max(len(p), 1) for p in panels]
    fig = Figure(
        figsize=(9.0, 1.4 + 0.28 * sum(heights) + 0.45 * len(panels)), layout="constrained"
    )
    FigureCanvasAgg(fig)
    axes = fig.subplots(
        len(panels), 1, squeeze=False, gridspec_kw={"height_ratios": heights}
    ).ravel()
    xmax = _x_limit(shown)
    for ax, rows, lv in zip(axes, panels, levels, strict=True):
        _draw_panel(ax, rows, lv if len(panels) > 1 else None, xmax, threshold)
    axes[-1].set_xlabel("Index (100 = same share of customers as of the base)", fontsize=9)
    if getattr(result_or_table, "disclosure", "suppress") == "cellkey":
        control = (
            "counts have small noise added (cell key method, as in Census 2021); nothing is hidden."
        )
    else:
        control = (
            f"suppressed (<{threshold}): 0 to {threshold - 1} customers, or hidden "
            "so that such a count cannot be narrowed down from the other numbers."
        )
    fig.supxlabel(
        f"Whiskers: {confidence:.0%} confidence interval; pale bars: the interval includes "
        f"100.\n{control}",
        fontsize=8,
        color="#555555",
        x=0.01,
        ha="left",
        linespacing=1.4,
    )
    fig.suptitle(title or default_title, fontsize=12, x=0.01, ha="left")
    return fig


def save_figure(fig: Figure, path: str | Path) -> Path:
    """Write a figure as PNG (150 dpi) or SVG, chosen by the file suffix.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure, e.g. from :func:`plot_profile`.
    path : str or pathlib.Path
        Destination ending in ``.png`` or ``.svg``.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    out = Path(path)
    kind = out.suffix.lower().lstrip(".")
    if kind not in _FILE_METADATA:
        raise OacInsightError(f"cannot save a chart as {out.suffix or 'a file without suffix'}")
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, format=kind, dpi=150, metadata=_FILE_METADATA[kind])
    return out
