"""The four charts of an area profile, drawn from its published tables only."""

from __future__ import annotations

from typing import TYPE_CHECKING

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from oacinsight.oac import colour_for
from oacinsight.reports.charts import CHART_STYLE, new_figure

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from oacinsight.areas.result import AreaProfile

__all__ = ["deprivation_chart", "indicator_chart", "mix_chart", "scale_chart"]

AREA = "#1f3b57"
PARENT = "#e08214"
NATION = "#7f7f7f"


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _handles(parent: str, national: str) -> list[Line2D]:
    return [
        Line2D([], [], color=AREA, marker="s", linestyle="", markersize=5, label="This area"),
        Line2D(
            [], [], color=PARENT, marker="D", linestyle="", markersize=4, label=_short(parent, 26)
        ),
        Line2D(
            [],
            [],
            color=NATION,
            marker="|",
            linestyle="",
            markersize=8,
            markeredgewidth=1.6,
            label=_short(national, 26),
        ),
    ]


def _layout(
    fig: Figure,
    title: str,
    left: float,
    handles: list[Line2D] | None = None,
    bottom: float = 0.15,
    right: float = 0.88,
) -> None:
    """Title at the top left, legend in one row under it, fixed margins (fast, stable)."""
    fig.suptitle(title, x=0.01, y=0.985, ha="left", va="top", fontsize=8, fontweight="bold")
    top = 0.89
    if handles:
        fig.legend(
            handles=handles,
            loc="upper left",
            bbox_to_anchor=(0.0, 0.93),
            ncols=len(handles),
            handletextpad=0.3,
            columnspacing=1.0,
            fontsize=6.3,
        )
        top = 0.82
    fig.subplots_adjust(left=left, right=right, top=top, bottom=bottom)


def _value_column(ax, y: np.ndarray, values: pd.Series, fmt: str = "{:.0f}%") -> None:
    """The area's values as a column of text right of the plot."""
    for yi, v in zip(y, values, strict=True):
        if np.isfinite(v):
            ax.text(
                1.02,
                yi,
                fmt.format(v),
                transform=ax.get_yaxis_transform(),
                va="center",
                fontsize=6.3,
                color=AREA,
                fontweight="bold",
            )


def _comparisons(
    ax: Axes,
    y: np.ndarray,
    value: pd.Series,
    parent: pd.Series,
    national: pd.Series,
    sizes: tuple[int, int],
) -> None:
    """Parent diamonds, England and Wales ticks, the value column and the x range."""
    ax.scatter(parent, y, marker="D", s=sizes[0], color=PARENT, zorder=3)
    ax.scatter(national, y, marker="|", s=sizes[1], linewidths=1.6, color=NATION, zorder=3)
    _value_column(ax, y, value.astype(float))
    top = np.nanmax(pd.concat([value, parent, national]).to_numpy(dtype=float))
    ax.set_xlim(0, float(top) * 1.05 + 1 if np.isfinite(top) else 100)


def mix_chart(p: AreaProfile, size: tuple[float, float] = (3.6, 2.7)) -> Figure:
    """Residents by OAC supergroup: area bars, parent diamonds, England and Wales ticks."""
    with mpl.rc_context(CHART_STYLE):
        fig = new_figure(*size)
        ax = fig.add_subplot()
        m = p.oac_mix[p.oac_mix["level"] == "supergroup"].iloc[::-1]
        y = np.arange(len(m))
        ax.barh(y, m["pct"], color=[colour_for(c) for c in m["code"]], height=0.7)
        _comparisons(ax, y, m["pct"], m["parent_pct"], m["national_pct"], sizes=(14, 90))
        ax.set_yticks(
            y, [_short(f"{c} {n}", 31) for c, n in zip(m["code"], m["name"], strict=True)]
        )
        ax.set_xlabel("% of usual residents")
        _layout(
            fig,
            "Kinds of neighbourhood: residents by OAC supergroup",
            0.44,
            _handles(p.parent_label, p.national_name),
            bottom=0.13,
        )
    return fig


def deprivation_chart(p: AreaProfile, size: tuple[float, float] = (3.6, 2.2)) -> Figure:
    """Residents by IMD decile of their nation (1 = most deprived 10% of LSOAs)."""
    with mpl.rc_context(CHART_STYLE):
        fig = new_figure(*size)
        ax = fig.add_subplot()
        d = p.deprivation
        if d.empty:
            ax.text(0.5, 0.5, "No deprivation rank known", ha="center", va="center")
            ax.set_axis_off()
            return fig
        nation = d.groupby("nation")["residents"].sum().idxmax()
        d = d[d["nation"] == nation]
        x = d["decile"].to_numpy()
        ax.bar(x, d["pct"], color=[_decile_colour(v) for v in x], width=0.75)
        if d["parent_pct"].notna().any() and p.parent_code != "K04000001":
            ax.plot(
                x,
                d["parent_pct"],
                marker="D",
                markersize=3.5,
                color=PARENT,
                lw=1,
                label=_short(p.parent_label, 26),
            )
            ax.legend(loc="upper right", fontsize=6.3)
        ax.axhline(10, color=NATION, lw=0.8, ls="--")
        ax.text(10.45, 10, "10%:\nevenly\nspread", fontsize=5.5, color=NATION, va="center")
        ax.set_xticks(range(1, 11))
        ax.set_xlim(0.4, 11.4)
        ax.set_xlabel(f"IMD decile in {nation} (1 = most deprived 10% of LSOAs)")
        ax.set_ylabel("% of residents")
        _layout(
            fig, "Deprivation: residents by IMD decile of their LSOA", 0.12, bottom=0.2, right=0.9
        )
    return fig


def _decile_colour(decile: float) -> str:
    ramp = [
        "#8c2d04",
        "#cc4c02",
        "#ec7014",
        "#fe9929",
        "#fec44f",
        "#c7e9b4",
        "#7fcdbb",
        "#41b6c4",
        "#1d91c0",
        "#225ea8",
    ]
    return ramp[int(decile) - 1]


def _rates(p: AreaProfile) -> pd.DataFrame:
    return p.indicators[p.indicators["unit"].str.startswith("%")].iloc[::-1]


def indicator_chart(p: AreaProfile, size: tuple[float, float] = (3.6, 3.0)) -> Figure:
    """Census indicators: the area against its parent and England and Wales."""
    with mpl.rc_context(CHART_STYLE):
        fig = new_figure(*size)
        ax = fig.add_subplot()
        r = _rates(p)
        y = np.arange(len(r))
        ax.barh(y, r["value"], color=AREA, height=0.55, alpha=0.85)
        _comparisons(ax, y, r["value"], r["parent_value"], r["national_value"], sizes=(13, 80))
        ax.set_yticks(y, [_short(str(t), 28) for t in r["short_label"]])
        ax.set_xlabel("% of the people or households each question covers")
        _layout(
            fig,
            "Census 2021 indicators",
            0.36,
            _handles(p.parent_label, p.national_name),
            bottom=0.12,
        )
    return fig


def scale_chart(p: AreaProfile, size: tuple[float, float] = (3.6, 3.0)) -> Figure:
    """The scale effect: range over output areas and LSOAs around the whole-area value."""
    with mpl.rc_context(CHART_STYLE):
        fig = new_figure(*size)
        ax = fig.add_subplot()
        s = p.scale[p.scale["unit"].str.startswith("%")]
        keys = list(dict.fromkeys(s["indicator"]))[::-1]
        shorts = dict(zip(p.indicators["indicator"], p.indicators["short_label"], strict=True))
        for yi, key in enumerate(keys):
            part = s[s["indicator"] == key].set_index("level")
            oa, ls, whole = (part.loc[lv] for lv in ("output area", "LSOA", "whole area"))
            ax.plot([oa["min"], oa["max"]], [yi, yi], color="#c6dbef", lw=5, solid_capstyle="butt")
            ax.plot(
                [ls["min"], ls["max"]], [yi, yi], color="#4292c6", lw=2.2, solid_capstyle="butt"
            )
            ax.scatter([whole["median"]], [yi], color=AREA, s=16, zorder=3)
        ax.set_yticks(range(len(keys)), [_short(str(shorts.get(k, k)), 28) for k in keys])
        ax.set_xlim(0, 100)
        ax.set_xlabel("%")
        _layout(
            fig,
            "What the average hides: range across small areas",
            0.36,
            [
                Line2D([], [], color="#c6dbef", lw=5, label="output areas"),
                Line2D([], [], color="#4292c6", lw=2.2, label="LSOAs"),
                Line2D([], [], color=AREA, marker="o", ls="", markersize=4, label="whole area"),
            ],
            bottom=0.12,
            right=0.97,
        )
    return fig
