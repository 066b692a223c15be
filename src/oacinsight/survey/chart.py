"""Chart of a survey result: per question, the share by OAC group with its interval,
the overall share as a line, under-represented groups marked.

Only published numbers are drawn: a suppressed group is a grey label, never a point.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from oacinsight.oac import colour_for
from oacinsight.reports.charts import new_figure

__all__ = ["plot_survey"]

INK = "#333333"
UNDER = "#b00020"


def _label(code: str, name: Any, width: int = 44) -> str:
    text = f"{code} {'' if pd.isna(name) else name}".strip()
    return text if len(text) <= width else text[: width - 1] + "…"


def _panel(ax, rows: pd.DataFrame, overall: pd.DataFrame, question: str) -> None:
    groups = rows[rows["level"] != "overall"].reset_index(drop=True)
    y = np.arange(len(groups), dtype=float)
    share = groups["share"].to_numpy(dtype=float)
    low = groups["share_low"].to_numpy(dtype=float)
    high = groups["share_high"].to_numpy(dtype=float)
    ok = np.isfinite(share)
    for i in np.flatnonzero(ok).tolist():
        colour = colour_for(str(groups.at[i, "code"]))
        ax.plot([low[i], high[i]], [y[i], y[i]], color=colour, linewidth=2.2)
        ax.plot(share[i], y[i], "o", color=colour, markeredgecolor=INK, markersize=6)
    for i, flag in enumerate(groups["flag"].astype(str)):
        if not ok[i]:
            text = "suppressed (small count)" if flag == "suppressed" else "no respondents"
            ax.text(0.01, y[i], text, va="center", fontsize=8, color="#777777", style="italic")
        elif "under_represented" in flag:
            ax.text(
                1.01,
                y[i],
                "under-represented",
                va="center",
                fontsize=7.5,
                color=UNDER,
                transform=ax.get_yaxis_transform(),
            )
    _overall_lines(ax, overall)
    ax.set_yticks(y, [_label(c, n) for c, n in zip(groups["code"], groups["name"], strict=True)])
    for tick, flag in zip(ax.get_yticklabels(), groups["flag"].astype(str), strict=True):
        if "under_represented" in flag:
            tick.set_color(UNDER)
    ax.set_xlim(0, 1)
    ax.set_ylim(len(groups) - 0.5, -0.5)
    ax.xaxis.set_major_formatter(lambda v, _pos: f"{v:.0%}")
    ax.grid(axis="x", color="#e6e6e6")
    ax.set_axisbelow(True)
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_title(question, loc="left", fontsize=10)


def _overall_lines(ax, overall: pd.DataFrame) -> None:
    styles = {"all": ("--", "overall"), "all_poststratified": (":", "post-stratified")}
    for code, (style, label) in styles.items():
        row = overall[overall["code"] == code]
        if len(row) and np.isfinite(float(row["share"].iloc[0])):
            value = float(row["share"].iloc[0])
            ax.axvline(value, color=INK, linestyle=style, linewidth=1, label=f"{label} {value:.0%}")
    ax.legend(loc="lower right", fontsize=7.5, frameon=False)


def plot_survey(published: pd.DataFrame, *, title: str, confidence: float) -> Figure:
    """One panel per question: the share of positive answers by group, from the
    *published* table (suppressed rows already blanked)."""
    questions = list(dict.fromkeys(published["question"]))
    sizes = [
        max(int(((published["question"] == q) & (published["level"] != "overall")).sum()), 1)
        for q in questions
    ]
    fig = new_figure(9.5, 1.2 + 0.3 * sum(sizes) + 0.6 * len(questions))
    axes = fig.subplots(
        len(questions), 1, squeeze=False, gridspec_kw={"height_ratios": sizes}
    ).ravel()
    for ax, q in zip(axes, questions, strict=True):
        rows = published[published["question"] == q]
        _panel(ax, rows, rows[rows["level"] == "overall"], str(q))
    axes[-1].set_xlabel("Share of positive answers (weighted)", fontsize=9)
    fig.suptitle(title, fontsize=12, x=0.01, ha="left")
    fig.supxlabel(
        f"Lines: {confidence:.0%} confidence intervals. Red: groups under-"
        "represented among respondents. Grey: hidden small counts.",
        fontsize=8,
        color="#555555",
        x=0.01,
        ha="left",
    )
    fig.set_layout_engine("constrained")
    return fig
