"""The four charts of an area profile, drawn from its published tables only."""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from oacinsight.oac import colour_for
from oacinsight.reports.charts import CHART_STYLE, new_figure

if TYPE_CHECKING:
    from oacinsight.areas.result import AreaProfile

__all__ = ["deprivation_chart", "indicator_chart", "mix_chart", "scale_chart"]

AREA = "#1f3b57"
PARENT = "#e08214"
NATION = "#7f7f7f"


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _legend(ax, area: str, parent: str) -> None:
    handles = [
        Line2D([], [], color=AREA, marker="s", linestyle="", markersize=5, label=area),
        Line2D([], [], color=PARENT, marker="D", linestyle="", markersize=4, label=parent),
        Line2D([], [], color=NATION, marker="|", linestyle="", markersize=8,
               markeredgewidth=1.6, label="England and Wales"),
    ]
    ax.legend(handles=handles, loc="lower right", ncols=1, handletextpad=0.3)


def mix_chart(p: AreaProfile, size: tuple[float, float] = (3.6, 2.7)) -> Figure:
    """Residents by OAC supergroup: area bars, parent diamonds, England and Wales ticks."""
    with mpl.rc_context(CHART_STYLE):
        fig = new_figure(*size)
        ax = fig.add_subplot()
        m = p.oac_mix[p.oac_mix["level"] == "supergroup"].iloc[::-1]
        y = np.arange(len(m))
        ax.barh(y, m["pct"], color=[colour_for(c) for c in m["code"]], height=0.7)
        ax.scatter(m["parent_pct"], y, marker="D", s=14, color=PARENT, zorder=3)
        ax.scatter(m["national_pct"], y, marker="|", s=90, linewidths=1.6, color=NATION,
                   zorder=3)
        for yi, v in zip(y, m["pct"], strict=True):
            ax.text(v + 0.8, yi, f"{v:.0f}%", va="center", fontsize=6, color="#333333")
        ax.set_yticks(y, [_short(f"{c} {n}", 34) for c, n in zip(m["code"], m["name"],
                                                                  strict=True)])
        top = float(np.nanmax(m[["pct", "parent_pct", "national_pct"]].to_numpy()))
        ax.set_xlim(0, top * 1.18 + 2)
        ax.set_xlabel("% of usual residents")
        ax.set_title("Kinds of neighbourhood (OAC supergroups)")
        _legend(ax, "This area", _short(p.parent_label, 24))
        fig.tight_layout(pad=0.4)
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
            ax.plot(x, d["parent_pct"], marker="D", markersize=3.5, color=PARENT, lw=1,
                    label=_short(p.parent_label, 24))
            ax.legend(loc="upper right")
        ax.axhline(10, color=NATION, lw=0.8, ls="--")
        ax.text(10.45, 10, "10%:\nevenly\nspread", fontsize=5.5, color=NATION, va="center")
        ax.set_xticks(range(1, 11))
        ax.set_xlim(0.4, 11.4)
        ax.set_xlabel(f"IMD decile in {nation} (1 = most deprived 10% of LSOAs)")
        ax.set_ylabel("% of residents")
        ax.set_title("Deprivation: residents by decile of the IMD")
        fig.tight_layout(pad=0.4)
    return fig


def _decile_colour(decile: float) -> str:
    ramp = ["#8c2d04", "#cc4c02", "#ec7014", "#fe9929", "#fec44f", "#c7e9b4", "#7fcdbb",
            "#41b6c4", "#1d91c0", "#225ea8"]
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
        ax.barh(y, r["value"], color=AREA, height=0.55, alpha=0.9)
        ax.scatter(r["parent_value"], y, marker="D", s=13, color=PARENT, zorder=3)
        ax.scatter(r["national_value"], y, marker="|", s=80, linewidths=1.6, color=NATION,
                   zorder=3)
        for yi, v in zip(y, r["value"], strict=True):
            if np.isfinite(v):
                ax.text(v + 1, yi, f"{v:.0f}%", va="center", fontsize=5.8, color="#333333")
        ax.set_yticks(y, ["\n".join(textwrap.wrap(t, 30))[:64] for t in r["label"]],
                      fontsize=5.8)
        top = np.nanmax(r[["value", "parent_value", "national_value"]].to_numpy())
        ax.set_xlim(0, float(top) * 1.15 + 3 if np.isfinite(top) else 100)
        ax.set_xlabel("% (of the population each question covers)")
        ax.set_title("Census 2021 indicators")
        _legend(ax, "This area", _short(p.parent_label, 24))
        fig.tight_layout(pad=0.4)
    return fig


def scale_chart(p: AreaProfile, size: tuple[float, float] = (3.6, 3.0)) -> Figure:
    """The scale effect: range over output areas and LSOAs around the whole-area value."""
    with mpl.rc_context(CHART_STYLE):
        fig = new_figure(*size)
        ax = fig.add_subplot()
        s = p.scale[p.scale["unit"].str.startswith("%")]
        keys = list(dict.fromkeys(s["indicator"]))[::-1]
        labels = []
        for yi, key in enumerate(keys):
            part = s[s["indicator"] == key].set_index("level")
            labels.append(_short(str(part["label"].iloc[0]), 30))
            oa, ls, whole = (part.loc[lv] for lv in ("output area", "LSOA", "whole area"))
            ax.plot([oa["min"], oa["max"]], [yi, yi], color="#c6dbef", lw=5,
                    solid_capstyle="butt")
            ax.plot([ls["min"], ls["max"]], [yi, yi], color="#4292c6", lw=2.2,
                    solid_capstyle="butt")
            ax.scatter([whole["median"]], [yi], color=AREA, s=16, zorder=3)
        ax.set_yticks(range(len(keys)), labels, fontsize=5.8)
        ax.set_xlim(0, 100)
        ax.set_xlabel("%")
        ax.set_title("What the average hides: range across output areas and LSOAs")
        ax.legend(handles=[
            Line2D([], [], color="#c6dbef", lw=5, label="output areas (min-max)"),
            Line2D([], [], color="#4292c6", lw=2.2, label="LSOAs (min-max)"),
            Line2D([], [], color=AREA, marker="o", ls="", markersize=4, label="whole area"),
        ], loc="lower right")
        fig.tight_layout(pad=0.4)
    return fig
