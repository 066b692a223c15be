"""Plain-language sentences about a profile, generated only from its published numbers.

Rules (tested in ``tests/test_profile_words.py``):

- the direction of the words follows the index: above 100 is "more" or "times", below
  100 is "fewer", never a negative percentage;
- a headline finding quotes its interval and its count: "index 184 (119–248), 13
  customers";
- the group named "most over-represented" is the one whose interval's *lower* bound is
  highest (the most over-represented we can be confident of), and "most
  under-represented" the one whose *upper* bound is lowest; the sentence says so;
- a finding resting on fewer than :data:`SMALL_COUNT` customers or a base below
  :data:`SMALL_BASE` is never the headline; it is listed with a caution.
"""

from __future__ import annotations

import math

import pandas as pd

#: Fewer customers than this in a group: the finding carries a caution.
SMALL_COUNT = 20
#: A base (residents, households) below this in a group: the finding carries a caution.
SMALL_BASE = 1000

HOW_TO_READ = (
    "An index of 100 means a group's share of customers equals its share of the base. "
    "150 means half as many customers again as the base would suggest; 50 means half as "
    "many. The whiskers show the confidence interval: where it includes 100 (a pale bar) "
    "the difference could be chance. Grey rows are hidden because they hold too few "
    "customers to publish (or could reveal a group that does)."
)


def ratio_words(index: float) -> str:
    """How an index compares with the expected number, in words, sign-safe.

    ``184`` → "about 1.8 times the expected number" (from 1.95 times, "about 2.0
    times"), ``104`` → "about 4% more than expected", ``60`` → "about 40% fewer than
    expected", ``100`` → "about the expected number".
    """
    if not math.isfinite(index) or index < 0:
        return "not known"
    if index >= 195:
        return f"about {math.floor(index / 10 + 0.5) / 10:.1f} times the expected number"
    percent = math.floor(abs(index - 100) + 0.5)  # half up, as people round
    if percent == 0:
        return "about the expected number"
    if index > 100:
        return f"about {percent}% more than expected"
    return f"about {percent}% fewer than expected"


def _count(value: float) -> str:
    n = int(value)
    return f"{n:,} customer{'' if n == 1 else 's'}"


def finding(row: pd.Series) -> str:
    """``index 184 (119–248), 13 customers`` for one published row."""
    return (
        f"index {row['index']:.0f} ({row['index_low']:.0f}–{row['index_high']:.0f}), "
        f"{_count(row['customers'])}"
    )


def is_small(row: pd.Series) -> bool:
    """True when a finding rests on few customers or a small base."""
    return bool(row["customers"] < SMALL_COUNT or row["base"] < SMALL_BASE)


def caution(row: pd.Series) -> str:
    """Why a finding is uncertain, or ``""``."""
    reasons = []
    if row["customers"] < SMALL_COUNT:
        reasons.append(f"only {_count(row['customers'])}")
    if row["base"] < SMALL_BASE:
        reasons.append(f"a base of only {row['base']:,.0f}")
    return f"treat with caution: {' and '.join(reasons)}" if reasons else ""


def _names(rows: pd.DataFrame) -> str:
    parts = [f"{r.name} ({r.index:.0f})" for r in rows.itertuples()]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _headline(rows: pd.DataFrame, over: bool, base_name: str) -> list[str]:
    """The headline sentence of one direction, and the cautioned ones after it."""
    if rows.empty:
        return []
    small = rows.apply(is_small, axis=1)
    solid, weak = rows[~small], rows[small]
    out = []
    if len(solid):
        key = "index_low" if over else "index_high"
        solid = solid.sort_values(key, ascending=not over, kind="stable")
        first = solid.iloc[0]
        word = "over" if over else "under"
        bound = "lower" if over else "upper"
        out.append(
            f"Customers are most {word}-represented in {first['name']}: {finding(first)}; "
            f"{ratio_words(first['index'])} from the {base_name} (the group whose interval's "
            f"{bound} end is furthest from 100)."
        )
        if len(solid) > 1:
            out.append(f"Also {word}-represented: {_names(solid.iloc[1:4])}.")
    for _, row in weak.iterrows():
        direction = "over" if over else "under"
        out.append(
            f"{row['name']} looks {direction}-represented ({finding(row)}; "
            f"{ratio_words(row['index'])}), but {caution(row)}."
        )
    return out


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
    out = _headline(shown[shown["flag"] == "over"], True, base_name)
    out += _headline(shown[shown["flag"] == "under"], False, base_name)
    same = shown[shown["flag"] == "not_significant"]
    if len(same):
        out.append(f"In {_names(same)} the difference from the base could be chance.")
    hidden = int((top["flag"] == "suppressed").sum())
    if hidden:
        out.append(
            f"{hidden} group{'s are' if hidden > 1 else ' is'} hidden to protect small numbers."
        )
    return out
