"""A hidden customer count cannot be worked back from the model numbers need publishes.

With the shrinkage fitted on every count, a hidden group's raw rate followed from its
shrunk rate, its weight and its parent's rate (``y = ((shrunk − (1−w)·parent)/w)·base``),
and φ̂ moved with it.  The model is now fitted on the published counts only: moving
customers between two hidden groups of one family (every published count unchanged)
must leave every published number unchanged."""

from __future__ import annotations

import numpy as np
import pandas as pd

from oacinsight.need import disclose
from oacinsight.need import rates as rt

MODEL = ["rate_shrunk", "shrunk_low", "shrunk_high", "shrink_weight"]


def _counts() -> pd.DataFrame:
    rows = []
    subs = {
        "1a1": (40, 9000), "1a2": (4, 8000), "1a3": (3, 7000), "1b1": (55, 9000),
        "1b2": (61, 9500), "2a1": (5, 6000), "2a2": (6, 6500), "2a3": (70, 9900),
        "2b1": (33, 8000), "2b2": (48, 7700), "3a1": (90, 12000), "3a2": (2, 5000),
        "3a3": (8, 6000),
    }  # fmt: skip
    for level, width in (("supergroup", 1), ("group", 2), ("subgroup", 3)):
        agg: dict[str, list[int]] = {}
        for code, (y, n) in subs.items():
            agg.setdefault(code[:width], [0, 0])
            agg[code[:width]][0] += y
            agg[code[:width]][1] += n
        for code, (y, n) in sorted(agg.items()):
            rows.append({"level": level, "code": code, "name": code, "customers": y, "base": n})
    return pd.DataFrame(rows)


def _published(counts: pd.DataFrame, hide: np.ndarray | None) -> tuple[pd.DataFrame, dict]:
    rates, phi = rt.from_counts(counts, 0.95, hidden=hide)
    return disclose.published_rates(rates, 10), phi


def _move_between_hidden_siblings(counts: pd.DataFrame, hide: np.ndarray) -> pd.DataFrame:
    """Two hidden subgroups of one group: one customer moved from one to the other."""
    sub = counts[(counts["level"] == "subgroup") & hide]
    fam = sub.groupby(sub["code"].str[:2]).filter(lambda f: len(f) >= 2)
    assert len(fam) >= 2, "the example needs two hidden siblings"
    a, b = fam.index[:2]
    moved = counts.copy()
    moved.loc[a, "customers"] -= 1
    moved.loc[b, "customers"] += 1
    return moved


def test_published_model_does_not_move_with_hidden_counts():
    counts = rt.in_tier_order(_counts())
    hide = disclose.rates_hidden(counts, 10)
    moved = _move_between_hidden_siblings(counts, hide)
    assert (disclose.rates_hidden(moved, 10) == hide).all()  # same published pattern
    before, phi_before = _published(counts, hide)
    after, phi_after = _published(moved, hide)
    pd.testing.assert_frame_equal(before, after)
    assert phi_before == phi_after
    # the published mask is the one the model was fitted with
    assert (before["customers"].isna().to_numpy() == hide).all()


def test_the_old_fit_on_every_count_leaked_it():
    """The same move changes what the old fit (every count, hidden or not) publishes,
    and its shrunk rate gives the hidden count back exactly: the test can fail."""
    counts = rt.in_tier_order(_counts())
    hide = disclose.rates_hidden(counts, 10)
    before, _ = _published(counts, None)
    after, _ = _published(_move_between_hidden_siblings(counts, hide), None)
    assert not before[MODEL].equals(after[MODEL])
    rates, _ = rt.from_counts(counts, 0.95)
    raw = dict(zip(rates["code"], rates["rate"], strict=True))
    raw["all"] = float(counts[counts["level"] == "supergroup"]["customers"].sum()) / float(
        counts[counts["level"] == "supergroup"]["base"].sum()
    )
    row = rates[(rates["level"] == "subgroup") & hide].iloc[0]
    parent = raw[row["code"][:-1]]
    w = row["shrink_weight"]
    y = (row["rate_shrunk"] - (1 - w) * parent) / w * row["base"]
    assert round(y) == row["customers"]


def test_hidden_groups_take_their_parents_rate():
    counts = rt.in_tier_order(_counts())
    hide = disclose.rates_hidden(counts, 10)
    rates, _ = rt.from_counts(counts, 0.95, hidden=hide)
    shown_raw = dict(zip(rates["code"], rates["rate"], strict=True))
    for _, row in rates[hide & (rates["level"] == "subgroup").to_numpy()].iterrows():
        parent = row["code"][:-1]
        if not hide[rates.index[rates["code"] == parent][0]]:
            assert np.isclose(row["rate_shrunk"], shown_raw[parent], rtol=1e-12)


def _survey_tables(shares: dict[str, float]) -> dict[str, pd.DataFrame]:
    counts = _counts()  # respondents = the counts above, effective n = respondents
    tables = {}
    for level in rt.LEVELS:
        t = counts[counts["level"] == level]
        share = t["code"].map(shares).fillna(0.3).to_numpy()
        tables[level] = pd.DataFrame(
            {
                "level": level,
                "code": t["code"],
                "name": t["code"],
                "respondents": t["customers"],
                "effective_n": t["customers"].astype(float),
                "share": share,
                "share_low": share / 2,
                "share_high": np.minimum(1.0, share * 1.5),
            }
        )
    return tables


def test_survey_rates_fitted_on_published_groups_only():
    """Rates from a survey: changing the answers of groups whose respondent counts are
    hidden moves nothing published (the old fit moved)."""
    hide = lambda t: disclose.rates_hidden(t, 10)  # noqa: E731
    tables = _survey_tables({"1a2": 0.9, "1a3": 0.1})
    other = _survey_tables({"1a2": 0.1, "1a3": 0.9})
    a, phi_a = rt.from_survey(tables, 0.95, hide=hide)
    b, phi_b = rt.from_survey(other, 0.95, hide=hide)
    mask = hide(a)
    assert (
        mask[(a["code"] == "1a2").to_numpy()].all() and mask[(a["code"] == "1a3").to_numpy()].all()
    )
    pub_a, pub_b = disclose.with_hidden(a, mask), disclose.with_hidden(b, mask)
    pd.testing.assert_frame_equal(pub_a[MODEL], pub_b[MODEL])
    assert phi_a == phi_b
    old_a, _ = rt.from_survey(tables, 0.95)
    old_b, _ = rt.from_survey(other, 0.95)
    assert not old_a[MODEL].equals(old_b[MODEL])
