"""Plain-language sentences about a profile, generated only from its published numbers."""

from __future__ import annotations

import pandas as pd

HOW_TO_READ = (
    "An index of 100 means a group's share of customers equals its share of the base. "
    "150 means half as many customers again as the base would suggest; 50 means half as "
    "many. The whiskers show the confidence interval: where it includes 100 (a pale bar) "
    "the difference could be chance. Grey rows are hidden because they hold too few "
    "customers to publish."
)


def _ratio_words(index: float) -> str:
    ratio = index / 100
    if ratio >= 1.95:
        return f"about {ratio:.1f} times the expected number"
    if ratio >= 1.05:
        return f"about {100 * (ratio - 1):.0f}% more than expected"
    return f"about {100 * (1 - ratio):.0f}% fewer than expected"


def _names(rows: pd.DataFrame) -> str:
    parts = [f"{r.name} ({r.index:.0f})" for r in rows.itertuples()]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def summarise(published: pd.DataFrame, base_name: str) -> list[str]:
    """Sentences for the top tier of a published profile (suppressed rows never named).

    Parameters
    ----------
    published : pandas.DataFrame
        :meth:`ProfileResult.published_frame` output.
    base_name : str
        What customers were compared with.
    """
    top = published[published["level"] == published["level"].iloc[0]]
    shown = top[top["flag"].isin(["over", "under", "not_significant"])]
    over = shown[shown["flag"] == "over"].sort_values("index", ascending=False)
    under = shown[shown["flag"] == "under"].sort_values("index")
    out = []
    if len(over):
        first = over.iloc[0]
        out.append(f"Customers are most over-represented in {first['name']}: index "
                   f"{first['index']:.0f}, {_ratio_words(first['index'])} from the {base_name}.")
        if len(over) > 1:
            out.append(f"Also over-represented: {_names(over.iloc[1:4])}.")
    if len(under):
        first = under.iloc[0]
        out.append(f"They are most under-represented in {first['name']}: index "
                   f"{first['index']:.0f}, {_ratio_words(first['index'])}.")
    same = shown[shown["flag"] == "not_significant"]
    if len(same):
        out.append(f"In {_names(same)} the difference from the base could be chance.")
    hidden = int((top["flag"] == "suppressed").sum())
    if hidden:
        out.append(f"{hidden} group{'s are' if hidden > 1 else ' is'} hidden to protect "
                   "small numbers.")
    return out
