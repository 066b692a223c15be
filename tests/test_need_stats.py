"""Need statistics by hand and by simulation: exact Poisson intervals, gamma–Poisson
shrinkage, expected demand and its interval coverage, dissimilarity, gains."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from oacinsight.need import expected as exp
from oacinsight.need import rates as rt
from oacinsight.need.stats import dissimilarity, gamma_interval, poisson_interval, shrink
from oacinsight.need.targets import gains_curve, ranked, reach_at


def test_poisson_interval_by_hand():
    low, high = poisson_interval(np.array([0, 10]))
    # Garwood: k = 0 → (0, −ln(0.025)); k = 10 → (4.7954, 18.3904) (tabulated values)
    assert low[0] == 0 and high[0] == pytest.approx(-np.log(0.025), rel=1e-9)
    assert low[1] == pytest.approx(4.7954, abs=1e-4)
    assert high[1] == pytest.approx(18.3904, abs=1e-4)


def test_shrink_by_hand():
    y, n = np.array([10.0, 100.0]), np.array([1000.0, 1000.0])
    parent = np.array([0.055, 0.055])
    s = shrink(y, n, parent, 1)
    # E = 55 each; X² = 2 × 45² / 55 = 73.636; df = 2 − 1; φ = (73.636 − 1) / 110
    phi = (2 * 45**2 / 55 - 1) / 110
    a = 1 / phi
    assert s.phi == pytest.approx(phi)
    assert s.rate[0] == pytest.approx(0.055 * (a + 10) / (a + 55))
    assert s.rate[1] == pytest.approx(0.055 * (a + 100) / (a + 55))
    assert s.weight[0] == pytest.approx(55 / (55 + a))


def test_no_heterogeneity_pools_fully():
    s = shrink(np.array([50.0, 50.0, 50.0]), np.array([1000.0] * 3), np.array([0.05] * 3), 1)
    assert s.phi == 0
    assert s.rate == pytest.approx([0.05] * 3, rel=1e-4)


def test_shrinkage_moves_small_groups_and_leaves_large_ones():
    y = np.array([4000.0, 6000.0, 2.0, 9.0])
    n = np.array([100_000.0, 100_000.0, 100.0, 100.0])
    parent = np.full(4, y.sum() / n.sum())
    s = shrink(y, n, parent, 1)
    raw = y / n
    assert np.abs(s.rate[:2] / raw[:2] - 1).max() < 0.005  # large: barely moved
    assert np.abs(s.rate[2:] / raw[2:] - 1).min() > 0.25  # small: pulled to the parent
    assert (np.abs(s.rate[2:] - parent[2:]) < np.abs(raw[2:] - parent[2:])).all()


def test_gamma_interval_of_one_gamma_is_exact():
    from scipy import stats

    shape, scale = 40.0, 0.5
    low, high = gamma_interval(np.array([shape * scale]), np.array([shape * scale**2]))
    assert low[0] == pytest.approx(stats.gamma.ppf(0.025, shape, scale=scale))
    assert high[0] == pytest.approx(stats.gamma.ppf(0.975, shape, scale=scale))
    lo0, hi0 = gamma_interval(np.array([3.0]), np.array([0.0]))
    assert lo0[0] == hi0[0] == 3.0


def test_dissimilarity_by_hand():
    assert dissimilarity({"a": 1, "b": 1}, {"a": 1, "b": 3}) == pytest.approx(0.25)
    assert dissimilarity({"a": 5}, {"b": 2}) == pytest.approx(1.0)
    assert dissimilarity({"a": 2, "b": 6}, {"a": 1, "b": 3}) == pytest.approx(0.0)


# -- a small synthetic geography --------------------------------------------------------
TRUE = {"1": 0.01, "2": 0.02, "3": 0.04, "4": 0.03, "5": 0.015, "6": 0.05}


def geography(seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = 240
    sg = rng.choice(list(TRUE), n)
    return pd.DataFrame(
        {
            "oa": [f"E00{i:06d}" for i in range(n)],
            "supergroup": sg,
            "group_code": [s + "a" for s in sg],
            "subgroup": [s + "a1" for s in sg],
            "base": rng.integers(150, 450, n).astype(float),
            "residents": 0.0,
            "households": np.nan,
            "lsoa": [f"E01{i // 5:06d}" for i in range(n)],
            "ward": [f"E05{i // 40:06d}" for i in range(n)],
            "lad": "E06000001",
        }
    )


def counts_of(oas: pd.DataFrame, customers: np.ndarray) -> pd.DataFrame:
    f = oas.assign(c=customers).groupby("supergroup")[["c", "base"]].sum().reset_index()
    return pd.DataFrame(
        {
            "level": "supergroup",
            "code": f["supergroup"],
            "name": f["supergroup"],
            "parent": None,
            "customers": f["c"].astype(int),
            "base": f["base"],
        }
    )


def test_expected_by_hand():
    oas = geography().head(4).copy()
    oas["supergroup"] = ["1", "1", "2", "2"]
    oas["base"] = [100.0, 200.0, 300.0, 400.0]
    oas["residents"] = oas["base"]
    moments = pd.DataFrame({"mean": [0.1, 0.2], "var": [0.0001, 0.0004]}, index=["1", "2"])
    e = exp.expected_demand(oas, moments, "supergroup", {})
    ward = e[e["area_type"] == "ward"].iloc[0]
    assert ward["expected"] == pytest.approx(100 * 0.1 + 200 * 0.1 + 300 * 0.2 + 400 * 0.2)
    # variance: (100 + 200)² × 0.0001 + (300 + 400)² × 0.0004 = 9 + 196
    lo, hi = gamma_interval(np.array([170.0]), np.array([205.0]))
    assert (ward["expected_low"], ward["expected_high"]) == pytest.approx((lo[0], hi[0]))
    observed = pd.Series({"E00000000": 5.0, "E00000002": 40.0})
    with_obs = exp.attach_observed(e, oas, observed, "oa")
    w = with_obs[with_obs["area_type"] == "ward"].iloc[0]
    assert w["observed"] == 45 and w["shortfall"] == pytest.approx(125)
    pl, ph = poisson_interval(np.array([45.0]))
    assert (w["ratio_low"], w["ratio_high"]) == pytest.approx((pl[0] / 170, ph[0] / 170))


def test_expected_intervals_cover_in_simulation():
    oas = geography()
    truth_rate = oas["supergroup"].map(TRUE)
    true_ward = (oas["base"] * truth_rate).groupby(oas["ward"]).sum()
    rng = np.random.default_rng(11)
    hits, total = 0, 0
    for _ in range(120):
        customers = rng.poisson(oas["base"] * truth_rate)
        rates, _ = rt.from_counts(counts_of(oas, customers))
        e = exp.expected_demand(oas, exp.rate_moments(rates, "supergroup"), "supergroup", {})
        w = e[e["area_type"] == "ward"].set_index("area_code")
        t = true_ward.reindex(w.index)
        hits += int(((w["expected_low"] <= t) & (t <= w["expected_high"])).sum())
        total += len(w)
    assert 0.90 <= hits / total <= 0.99, hits / total


def test_zero_base_with_customers_is_refused():
    from oacinsight.errors import InputFileError

    counts = pd.DataFrame(
        {
            "level": "supergroup",
            "code": ["1", "2"],
            "name": ["a", "b"],
            "parent": None,
            "customers": [5, 3],
            "base": [100.0, 0.0],
        }
    )
    with pytest.raises(InputFileError, match="supergroup 2 has customers but a zero base"):
        rt.from_counts(counts)


def test_gains_by_hand():
    e = pd.DataFrame(
        {
            "area_code": ["A", "B", "C"],
            "area_type": "ward",
            "name": "",
            "households": [100.0, 100.0, 200.0],
            "base": [1.0, 1.0, 1.0],
            "expected": [30.0, 10.0, 60.0],
            "observed": [10.0, 10.0, 60.0],
            "expected_rate": [0.3, 0.1, 0.3],
        }
    )
    e["shortfall"] = e["expected"] - e["observed"]
    order = ranked(e, "ward", has_observed=True)
    assert order["area_code"].tolist() == ["A", "C", "B"]  # shortfall 20, 0, 0 (C larger)
    g = gains_curve(order, has_observed=True)
    assert g["households_share"].tolist() == pytest.approx([0.25, 0.75, 1.0])
    assert g["expected_share"].tolist() == pytest.approx([0.3, 0.9, 1.0])
    assert g["shortfall_share"].tolist() == pytest.approx([1.0, 1.0, 1.0])
    assert g["lift_expected"].iloc[0] == pytest.approx(1.2)
    assert reach_at(g, 0.125) == pytest.approx(0.15)  # halfway to the first area
    assert reach_at(g, 0.5) == pytest.approx(0.6)


def test_rates_file_checks():
    from oacinsight.errors import InputFileError

    known = {"supergroup": set(TRUE), "group": {"1a", "2a"}, "subgroup": {"1a1"}}
    with pytest.raises(InputFileError, match="4A2 is a 2011 OAC code"):
        rt.from_table(pd.DataFrame({"code": ["4A2"], "rate": ["0.1"]}), "group", known, "r.csv")
    with pytest.raises(InputFileError, match=r"unknown OAC 2021 code\(s\) 9z"):
        rt.from_table(
            pd.DataFrame({"code": ["1a", "9z"], "rate": ["0.1", "0.2"]}), "group", known, "r.csv"
        )
    ok = rt.from_table(
        pd.DataFrame(
            {
                "code": ["1a", "2a"],
                "rate_shrunk": ["0.1", "0.2"],
                "shrunk_low": ["0.08", "0.2"],
                "shrunk_high": ["0.12", "0.2"],
            }
        ),
        "group",
        known,
        "r.csv",
    )
    m = exp.rate_moments(ok, "group")
    sd = 0.04 / (2 * 1.959964)
    assert m.loc["1a", "var"] == pytest.approx(sd**2)
    assert m.loc["2a", "var"] == 0
