"""Known truth on real geography: Wigan's real postcodes, OAs, OAC groups and census
residents; synthetic customers drawn from known need rates per OAC group; claimants
with a planted take-up shortfall in three wards.  ``need`` must recover the rates,
reconcile its totals, put the planted wards on top and show the gain over random."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from tests.conftest import need_shared

from oacinsight.need import NeedOptions, TargetRules, need_file

WIGAN = "E08000010"
SG_RATE = {
    "1": 0.006,
    "2": 0.008,
    "3": 0.012,
    "4": 0.016,
    "5": 0.010,
    "6": 0.014,
    "7": 0.022,
    "8": 0.030,
}
TAKE_UP, PLANTED_TAKE_UP = 0.95, 0.35


def true_rate(group: str) -> float:
    """Need rate per resident of an OAC group: its supergroup's, varied by letter."""
    return SG_RATE[group[0]] * (0.8 + 0.2 * "abcd".index(group[1]))


@pytest.fixture(scope="module")
def wigan(tmp_path_factory):
    nspl = pd.read_csv(
        need_shared("postcodes", "NSPL_NOV_2021_UK_WN.csv"),
        dtype=str,
        usecols=["pcds", "doterm", "oa11", "laua", "ward"],
    )
    live = nspl[nspl["doterm"].isna()]
    home = live.groupby("oa11")["laua"].agg(lambda s: s.mode().iloc[0])
    ward = live.groupby("oa11")["ward"].agg(lambda s: s.mode().iloc[0])
    oac = pd.read_parquet(need_shared("oac", "oac2021_uk_oa.parquet"))
    res = pd.read_parquet(need_shared("census2021_oa", "ts001.parquet"))[["OA", "ts0010001"]]
    areas = oac[oac["Geography_Code"].isin(home[home == WIGAN].index)].merge(
        res, left_on="Geography_Code", right_on="OA"
    )
    areas["group"] = areas["Group"].astype(str)
    areas["ward"] = areas["OA"].map(ward)
    areas["rate"] = areas["group"].map(true_rate)
    sizes = areas.groupby("ward")["ts0010001"].sum().sort_values()
    planted = set(sizes.index[[len(sizes) // 4, len(sizes) // 2, 3 * len(sizes) // 4]])
    rng = np.random.default_rng(12)
    cust, claim = [], []
    pcs = live.groupby("oa11")["pcds"].apply(lambda s: s.to_numpy())
    for oa, w, residents, rate in areas[["OA", "ward", "ts0010001", "rate"]].itertuples(
        index=False
    ):
        cust += list(rng.choice(pcs[oa], rng.poisson(residents * rate)))
        take = PLANTED_TAKE_UP if w in planted else TAKE_UP
        claim += list(rng.choice(pcs[oa], rng.poisson(residents * rate * take)))
    root = tmp_path_factory.mktemp("need_wigan")
    pd.DataFrame({"postcode": cust}).to_csv(root / "customers.csv", index=False)
    pd.DataFrame({"postcode": claim}).to_csv(root / "claimants.csv", index=False)
    return root, areas, planted


@pytest.fixture(scope="module")
def result(wigan, real_store_path):
    root, _, _ = wigan
    opt = NeedOptions(
        areas=(WIGAN,),
        level="group",
        observed=str(root / "claimants.csv"),
        rules=TargetRules(area_type="ward", top=3),
        draw_map=False,
    )
    return need_file(root / "customers.csv", opt, store=real_store_path)


def test_rates_recovered(wigan, result):
    _, areas, _ = wigan
    r = result.rates[result.rates["level"] == "group"].set_index("code")
    base = areas.groupby("group")["ts0010001"].sum()
    checked = 0
    for group, n in base.items():
        truth = true_rate(group)
        if truth * n < 50:
            continue
        tol = max(0.10 * truth, 3 * np.sqrt(truth * n) / n)
        assert abs(r.loc[group, "rate_shrunk"] - truth) <= tol, (group, r.loc[group], truth)
        # the store may place an OA or two more in Wigan (terminated postcodes count)
        assert r.loc[group, "base"] == pytest.approx(n, rel=0.05)
        checked += 1
    assert checked >= 8


def test_totals_reconcile(wigan, result):
    _, areas, _ = wigan
    e = result.expected
    lad = e[(e["area_type"] == "lad") & (e["area_code"] == WIGAN)].iloc[0]
    oa = e[e["area_type"] == "oa"]
    g = result.rates[result.rates["level"] == "group"].set_index("code")
    by_group = (result.oas.groupby("group_code")["base"].sum() * g["rate_shrunk"]).sum()
    assert lad["expected"] == pytest.approx(oa["expected"].sum(), rel=1e-9)
    assert lad["expected"] == pytest.approx(by_group, rel=1e-9)
    assert e.loc[e["area_type"] == "ward", "expected"].sum() == pytest.approx(
        oa["expected"].sum(), rel=1e-9
    )
    assert e.loc[e["area_type"] == "lsoa", "expected"].sum() == pytest.approx(
        oa["expected"].sum(), rel=1e-9
    )
    assert lad["residents"] == result.oas["residents"].sum()
    assert lad["residents"] == pytest.approx(areas["ts0010001"].sum(), rel=0.02)
    assert lad["expected_low"] < lad["expected"] < lad["expected_high"]
    acc = result.accounting
    assert (
        acc["observed_in_area"] + acc["observed_outside_area"] + acc["observed_not_placed"]
        == acc["observed_rows"]
    )


def test_planted_wards_top_the_target_list(wigan, result):
    _, _, planted = wigan
    assert set(result.targets["area_code"]) == planted
    t = result.published_targets()
    assert (t["ratio_high"] < 0.6).all(), t
    # the planted take-up shows in the ratio: 0.35 of the need claimed
    assert t["ratio"].between(0.25, 0.45).all(), t


def test_gains_beat_random_by_the_planted_margin(wigan, result):
    _, areas, planted = wigan
    g = result.gains
    at = g.iloc[len(planted) - 1]
    # the truth: the planted wards' share of the true shortfall
    need = areas["ts0010001"] * areas["rate"]
    gap = need * np.where(areas["ward"].isin(planted), 1 - PLANTED_TAKE_UP, 1 - TAKE_UP)
    planted_share = gap[areas["ward"].isin(planted)].sum() / gap.sum()
    assert at["shortfall_share"] >= 0.9 * planted_share
    assert at["lift_shortfall"] >= 0.9 * planted_share / at["households_share"]
    assert at["lift_shortfall"] > 3


def test_small_observed_counts_hidden(result):
    pub = result.to_frame()
    oa = pub[pub["area_type"] == "oa"]
    raw = result.expected[result.expected["area_type"] == "oa"]
    small = raw["observed"].between(1, 9).to_numpy()
    assert small.any()
    assert np.isnan(oa["observed"].to_numpy()[small]).all()
    assert np.isnan(oa["shortfall"].to_numpy()[small]).all()
    shown = oa["observed"].dropna()
    assert ((shown == 0) | (shown >= 10)).all()


def test_notes_say_partial_coverage_and_missing_names(result):
    """The real files hold part of Wigan and no area names: every output says so."""
    notes = result.notes
    partial = [n for n in notes if n.startswith(f"partial: {WIGAN}:")]
    assert len(partial) == 1 and partial[0].endswith("expected demand covers the loaded part only")
    n_oas = int((result.expected["area_type"] == "oa").sum())
    assert f"{n_oas:,} output areas loaded" in partial[0]
    assert any(f"no area names loaded for {WIGAN} (codes shown)" in n for n in notes)
    assert any(n.startswith("names: no names loaded for some LSOAs, wards") for n in notes)
    text = result.text()
    assert all(f"note: {n}" in text for n in notes)
    assert result.to_dict()["notes"] == notes
