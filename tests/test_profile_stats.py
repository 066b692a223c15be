"""compute_profile against hand-worked numbers, and its input validation."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from oacinsight.errors import OacInsightError
from oacinsight.profile import (
    OUTPUT_COLUMNS,
    clopper_pearson_interval,
    compute_profile,
    index_interval,
    katz_ratio_interval,
    wilson_interval,
    z_score,
)

CUSTOMERS = [50, 30, 20]
BASE = [1000, 2000, 7000]


def _counts(customers: list[int], base: list[float], level: str = "supergroup") -> pd.DataFrame:
    codes = [str(i + 1) for i in range(len(customers))]
    return pd.DataFrame(
        {
            "level": level,
            "code": codes,
            "name": [f"Supergroup {c}" for c in codes],
            "parent": None,
            "customers": customers,
            "base": base,
        }
    )


@pytest.fixture
def hand() -> pd.DataFrame:
    """Three groups: 100 customers, base of 10,000."""
    return compute_profile(_counts(CUSTOMERS, BASE), suppress_below=0)


def test_columns_are_the_published_contract(hand: pd.DataFrame) -> None:
    assert list(hand.columns) == list(OUTPUT_COLUMNS)
    assert list(OUTPUT_COLUMNS) == [
        "level",
        "code",
        "name",
        "customers",
        "customer_pct",
        "base",
        "base_pct",
        "index",
        "index_low",
        "index_high",
        "z",
        "penetration_per_1000",
        "flag",
    ]


def test_hand_worked_shares_index_penetration(hand: pd.DataFrame) -> None:
    # customer shares 50/100, 30/100, 20/100; base shares 1000/10000, 2000/10000, 7000/10000
    np.testing.assert_allclose(hand["customer_pct"], [50.0, 30.0, 20.0])
    np.testing.assert_allclose(hand["base_pct"], [10.0, 20.0, 70.0])
    np.testing.assert_allclose(hand["index"], [500.0, 150.0, 100 * 0.2 / 0.7])
    np.testing.assert_allclose(hand["penetration_per_1000"], [50.0, 15.0, 20_000 / 7000])
    assert hand["customers"].tolist() == CUSTOMERS


def test_hand_worked_z(hand: pd.DataFrame) -> None:
    # (0.5-0.1)/sqrt(0.1*0.9/100) = 0.4/0.03; (0.3-0.2)/sqrt(0.2*0.8/100) = 0.1/0.04;
    # (0.2-0.7)/sqrt(0.7*0.3/100) = -0.5/0.0458258
    np.testing.assert_allclose(hand["z"], [13.333333333, 2.5, -10.910894512], rtol=1e-9)


def test_hand_worked_clopper_pearson_bounds(hand: pd.DataFrame) -> None:
    # the p solving P(X >= x) = 0.025 and P(X <= x) = 0.025 for X ~ Binomial(100, p)
    # (brentq on scipy.stats.binom, computed once and written here), divided by the
    # base shares 0.1, 0.2, 0.7, times 100
    np.testing.assert_allclose(
        hand["index_low"], [398.32112950, 106.20321024, 18.09365030], rtol=1e-8
    )
    np.testing.assert_allclose(
        hand["index_high"], [601.67887050, 199.90733809, 41.69181273], rtol=1e-8
    )
    assert hand["flag"].tolist() == ["over", "over", "under"]


def test_clopper_pearson_agrees_with_statsmodels() -> None:
    proportion = pytest.importorskip("statsmodels.stats.proportion")
    x = np.array([0, 1, 7, 50, 199, 200])
    for confidence in (0.8, 0.95, 0.99):
        low, high = clopper_pearson_interval(x, 200, confidence)
        ref_low, ref_high = proportion.proportion_confint(
            x, 200, alpha=1 - confidence, method="beta"
        )
        np.testing.assert_allclose(low, np.nan_to_num(ref_low), atol=1e-12)
        np.testing.assert_allclose(high, np.nan_to_num(ref_high, nan=1.0), atol=1e-12)
    low, high = clopper_pearson_interval([0, 3], [0, 0])
    assert np.isnan(low).all() and np.isnan(high).all()


def test_wilson_agrees_with_statsmodels() -> None:
    proportion = pytest.importorskip("statsmodels.stats.proportion")
    x = np.array([0, 1, 7, 50, 199, 200])
    for confidence in (0.8, 0.95, 0.99):
        low, high = wilson_interval(x, 200, confidence)
        ref_low, ref_high = proportion.proportion_confint(
            x, 200, alpha=1 - confidence, method="wilson"
        )
        np.testing.assert_allclose(low, ref_low, atol=1e-12)
        np.testing.assert_allclose(high, ref_high, atol=1e-12)


def test_hand_worked_katz_bounds() -> None:
    table = compute_profile(_counts(CUSTOMERS, BASE), suppress_below=0, base_is_sample=True)
    # exp(log RR ± 1.959964 * sqrt(1/x1 - 1/100 + 1/x2 - 1/10000)); same as statsmodels
    # confint_proportions_2indep(method="log", compare="ratio")
    np.testing.assert_allclose(
        table["index_low"], [407.47592491, 110.90683889, 19.30191822], rtol=1e-8
    )
    np.testing.assert_allclose(
        table["index_high"], [613.53318003, 202.87297182, 42.29250799], rtol=1e-8
    )
    np.testing.assert_allclose(table["index"], [500.0, 150.0, 100 * 0.2 / 0.7])


def test_katz_zero_customers_uses_adjusted_upper_and_zero_lower() -> None:
    low, high = katz_ratio_interval(0, 100, 1000, 10_000)
    # Walter: RR=(0.5/100.5)/(1000.5/10000.5), se=sqrt(1/0.5-1/100.5+1/1000.5-1/10000.5)
    assert low == 0.0
    assert high * 100 == pytest.approx(79.00643475, rel=1e-8)


def test_zero_customers_in_a_group_clopper_pearson() -> None:
    table = compute_profile(_counts([0, 60, 40], BASE), suppress_below=0)
    row = table.iloc[0]
    assert row["index"] == 0.0
    assert row["index_low"] == 0.0
    # Clopper-Pearson upper for 0/100 is 1 - 0.025^(1/100), over base share 0.1
    assert row["index_high"] == pytest.approx(100 * (1 - 0.025**0.01) / 0.1, rel=1e-9)
    assert row["flag"] == "under"


def test_wider_interval_at_higher_confidence() -> None:
    narrow = compute_profile(_counts(CUSTOMERS, BASE), confidence=0.8, suppress_below=0)
    wide = compute_profile(_counts(CUSTOMERS, BASE), confidence=0.99, suppress_below=0)
    assert (wide["index_low"] < narrow["index_low"]).all()
    assert (wide["index_high"] > narrow["index_high"]).all()


def test_not_significant_when_interval_includes_100() -> None:
    table = compute_profile(_counts([52, 48], [5000, 5000]), suppress_below=0)
    assert table["flag"].tolist() == ["not_significant", "not_significant"]
    assert (table["index_low"] < 100).all() and (table["index_high"] > 100).all()


def test_zero_base_gives_no_base_without_crashing() -> None:
    table = compute_profile(_counts([40, 30, 30], [0, 4000, 6000]), suppress_below=0)
    row = table.iloc[0]
    assert row["flag"] == "no_base"
    for column in ("index", "index_low", "index_high", "z", "penetration_per_1000"):
        assert math.isnan(row[column]), column
    assert row["base_pct"] == 0.0
    # the other groups are unaffected: shares within the level still use all customers
    assert table.loc[1, "index"] == pytest.approx(100 * 0.3 / 0.4)


def test_suppressed_takes_precedence_over_no_base() -> None:
    table = compute_profile(_counts([3, 40, 30, 30], [0, 4000, 6000, 100]))
    assert table.loc[0, "flag"] == "suppressed"
    assert table.loc[0, "customers"] == 3  # kept in memory


def test_levels_are_profiled_within_level() -> None:
    rows = [
        ("supergroup", "1", "S1", None, 60, 4000),
        ("supergroup", "2", "S2", None, 40, 6000),
        ("group", "1a", "G1a", "1", 20, 1000),
        ("group", "1b", "G1b", "1", 40, 3000),
        ("group", "2a", "G2a", "2", 40, 6000),
    ]
    counts = pd.DataFrame(rows, columns=["level", "code", "name", "parent", "customers", "base"])
    table = compute_profile(counts.iloc[::-1], suppress_below=0)  # order of input is free
    assert table["level"].tolist() == ["supergroup"] * 2 + ["group"] * 3
    sg = table[table["level"] == "supergroup"].set_index("code")
    grp = table[table["level"] == "group"].set_index("code")
    assert sg["customer_pct"].sum() == pytest.approx(100.0)
    assert grp["customer_pct"].sum() == pytest.approx(100.0)
    assert sg.loc["1", "index"] == pytest.approx(100 * 0.6 / 0.4)
    assert grp.loc["1a", "index"] == pytest.approx(100 * 0.2 / 0.1)
    assert grp.loc["1b", "index"] == pytest.approx(100 * 0.4 / 0.3)


def test_vector_functions_match_compute_profile(hand: pd.DataFrame) -> None:
    index, low, high = index_interval(CUSTOMERS, BASE)
    np.testing.assert_allclose(index, hand["index"])
    np.testing.assert_allclose(low, hand["index_low"])
    np.testing.assert_allclose(high, hand["index_high"])
    np.testing.assert_allclose(z_score(CUSTOMERS, BASE), hand["z"])


def test_input_is_not_modified() -> None:
    counts = _counts(CUSTOMERS, BASE)
    before = counts.copy()
    compute_profile(counts)
    pd.testing.assert_frame_equal(counts, before)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.assign(customers=[50, -1, 20]), "'customers' has negative counts"),
        (lambda d: d.assign(base=[1000, -5, 7000]), "'base' has negative counts"),
        (lambda d: d.drop(columns=["base", "parent"]), "missing column.*parent, base"),
        (lambda d: d.assign(customers=0), "no customers matched any group"),
        (lambda d: d.assign(customers=[50, None, 20]), "'customers' has missing"),
        (lambda d: d.assign(base=["1000", "lots", "7000"]), "'base' has missing or non-numeric"),
        (lambda d: d.assign(customers=[50.5, 30, 20]), "whole numbers"),
        (lambda d: d.assign(level="ward"), "unknown level.*ward"),
        (lambda d: d.assign(code="1"), "same code more than once"),
        (lambda d: d.iloc[0:0], "no rows"),
    ],
)
def test_bad_counts_raise(change, message: str) -> None:
    with pytest.raises(OacInsightError, match=message):
        compute_profile(change(_counts(CUSTOMERS, BASE)))


@pytest.mark.parametrize("confidence", [0, 1, 1.5, -0.2, 95])
def test_bad_confidence_raises(confidence: float) -> None:
    with pytest.raises(OacInsightError, match="confidence must be between 0 and 1"):
        compute_profile(_counts(CUSTOMERS, BASE), confidence=confidence)


def test_bad_suppression_threshold_and_type_raise() -> None:
    with pytest.raises(OacInsightError, match="suppress_below"):
        compute_profile(_counts(CUSTOMERS, BASE), suppress_below=-1)
    with pytest.raises(OacInsightError, match="DataFrame"):
        compute_profile([1, 2, 3])  # type: ignore[arg-type]


def test_empty_level_among_others_raises() -> None:
    counts = pd.concat([_counts(CUSTOMERS, BASE), _counts([0, 0], [10, 10], "group")])
    counts.loc[counts["level"] == "group", "code"] = ["1a", "1b"]
    with pytest.raises(OacInsightError, match="no customers at the group level"):
        compute_profile(counts)
