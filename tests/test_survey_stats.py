"""Survey statistics: hand-worked weighted numbers, Rao–Scott against Pearson, the
post-stratified weights, and the seeded coverage simulation of the chosen interval."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import chi2, chi2_contingency, norm

from oacinsight.survey.analyse import poststratify_weights
from oacinsight.survey.simulate import coverage
from oacinsight.survey.stats import (
    difference_test,
    interval,
    rao_scott,
    weighted_share,
)

W = [1.0, 2.0, 3.0, 4.0]
Y = [1, 0, 1, 1]


def test_weighted_share_by_hand() -> None:
    s = weighted_share(W, Y)
    # sum w = 10, sum w y = 1 + 3 + 4 = 8, sum w^2 = 30
    assert s.n == 4 and s.weighted_n == 10.0
    assert s.share == pytest.approx(0.8)
    assert s.effective_n == pytest.approx(100 / 30)
    # 4/3 * (1*.04 + 4*.64 + 9*.04 + 16*.04) / 100 = 4/3 * 3.6 / 100
    assert s.variance == pytest.approx(0.048)


def test_wilson_on_kish_effective_n_by_hand() -> None:
    low, high = interval(weighted_share(W, Y), 0.95, "wilson")
    # m = 10/3, z = 1.959964: centre 1.3762188 / 2.1524377 = 0.639377,
    # half = 0.910578 * sqrt(0.048 + 0.0864328) = 0.333864
    assert low == pytest.approx(0.305513, abs=2e-6)
    assert high == pytest.approx(0.973241, abs=2e-6)


def test_unit_weights_give_the_binomial_intervals() -> None:
    s = weighted_share(np.ones(40), [1] * 10 + [0] * 30)
    assert s.effective_n == 40 and s.share == 0.25
    low, high = interval(s, 0.95, "clopper_pearson")
    # exact Clopper-Pearson for 10/40 (R: binom.test(10, 40)$conf.int)
    assert low == pytest.approx(0.1269148, abs=1e-6)
    assert high == pytest.approx(0.4119620, abs=1e-6)
    # Wilson score interval for 10/40 (R: prop.test(10, 40, correct = FALSE))
    w_low, w_high = interval(s, 0.95, "wilson")
    assert (w_low, w_high) == pytest.approx((0.1418712, 0.4019396), abs=1e-6)


def test_scaling_the_weights_changes_nothing() -> None:
    a, b = weighted_share(W, Y), weighted_share([7 * w for w in W], Y)
    assert a.share == b.share and a.effective_n == pytest.approx(b.effective_n)
    assert interval(a) == pytest.approx(interval(b))


def test_empty_group_has_no_interval() -> None:
    s = weighted_share([], [])
    assert s.n == 0 and math.isnan(s.share)
    assert all(math.isnan(v) for v in interval(s))


def test_difference_test_is_the_two_proportion_score_test() -> None:
    g = weighted_share(np.ones(50), [1] * 35 + [0] * 15)
    r = weighted_share(np.ones(150), [1] * 75 + [0] * 75)
    pooled = 110 / 200
    z = (0.7 - 0.5) / math.sqrt(pooled * (1 - pooled) * (1 / 50 + 1 / 150))
    assert difference_test(g, r, pooled) == pytest.approx(2 * norm.sf(z))
    # a share of 0 still has a p-value
    zero = weighted_share(np.ones(20), np.zeros(20))
    assert 0 < difference_test(zero, r, 75 / 170) < 0.001


def test_rao_scott_with_equal_weights_is_pearson_times_n_minus_1_over_n() -> None:
    rng = np.random.default_rng(3)
    groups = rng.choice(["1", "2", "3"], size=300)
    y = (rng.random(300) < np.where(groups == "1", 0.7, 0.5)).astype(int)
    table = np.array([[np.sum((groups == g) & (y == v)) for v in (0, 1)] for g in "123"])
    pearson = chi2_contingency(table, correction=False)[0]
    test = rao_scott(groups, np.ones(300), y)
    assert test.pearson == pytest.approx(pearson)
    assert test.mean_deff == pytest.approx(300 / 299)
    assert test.chisq == pytest.approx(pearson * 299 / 300)
    assert test.df == 2
    # second order: d0 = 2 when every eigenvalue is equal, F = X^2 / trace
    assert test.f_df[0] == pytest.approx(2.0)
    assert test.f == pytest.approx(pearson / (2 * 300 / 299))


def test_rao_scott_deflates_for_unequal_weights() -> None:
    rng = np.random.default_rng(5)
    groups = rng.choice(["a", "b"], size=400)
    y = (rng.random(400) < np.where(groups == "a", 0.62, 0.5)).astype(int)
    w = rng.lognormal(0, 0.8, 400)
    test = rao_scott(groups, w, y)
    assert test.mean_deff > 1.3  # weighting costs precision
    assert test.chisq == pytest.approx(test.pearson / test.mean_deff)
    assert test.chisq_p == pytest.approx(chi2.sf(test.chisq, 1))
    assert math.isnan(rao_scott(groups, w, np.ones(400)).chisq)  # nobody said no


def test_poststratified_weights_match_the_residents_mix() -> None:
    codes = np.array(["1"] * 30 + ["2"] * 10)
    w = np.ones(40)
    ps, covered = poststratify_weights(codes, w, {"1": 500.0, "2": 500.0, "3": 0.0})
    assert covered == 1.0
    assert ps[codes == "1"].sum() == pytest.approx(ps[codes == "2"].sum())
    assert ps.sum() == pytest.approx(40.0)
    # group 2 missing from the respondents: the rest is renormalised, coverage said
    ps, covered = poststratify_weights(codes[:30], w[:30], {"1": 300.0, "2": 100.0})
    assert covered == pytest.approx(0.75) and ps.sum() == pytest.approx(30.0)


def test_wilson_kish_coverage_is_nominal_at_30_and_more() -> None:
    """Seeded simulation: weights correlated with the answer, n >= 30 per group."""
    sim = coverage(
        seed=2024, sizes=(30, 120), shares=(0.2, 0.5, 0.8), draws=700, methods=("wilson", "wald")
    )
    wilson = sim[sim["method"] == "wilson"]
    for n, block in wilson.groupby("n"):
        assert 0.94 <= block["coverage"].mean() <= 0.96, (n, block)
    assert wilson["coverage"].min() >= 0.92
    # the naive Wald interval falls short at n = 30: the simulation can tell them apart
    wald30 = sim[(sim["method"] == "wald") & (sim["n"] == 30)]["coverage"].mean()
    assert wald30 < 0.935
