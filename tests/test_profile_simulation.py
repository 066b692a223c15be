"""Coverage of the index intervals, checked by simulation against a known truth.

Eight supergroups with a known base and a known propensity per group; customers are
drawn as a multinomial sample.  A 95% interval should contain the true index in about
95% of draws.  The draws are vectorised through ``index_interval`` (the function
``compute_profile`` uses); one test confirms ``compute_profile`` gives the same bounds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binom

from oacinsight.profile import (
    clopper_pearson_interval,
    compute_profile,
    index_interval,
    wilson_interval,
)

DRAWS = 1000
BASE = np.array([18_000, 42_000, 25_000, 9_000, 14_000, 52_000, 30_000, 10_000], dtype=float)
PROPENSITY = np.array([0.8, 0.6, 1.5, 2.0, 1.0, 0.9, 1.3, 0.7])
BASE_SHARE = BASE / BASE.sum()
CUSTOMER_SHARE = BASE_SHARE * PROPENSITY / (BASE_SHARE * PROPENSITY).sum()
TRUE_INDEX = 100 * CUSTOMER_SHARE / BASE_SHARE


def _coverage(customers: np.ndarray, base: np.ndarray, base_is_sample: bool) -> np.ndarray:
    """Per-group share of draws whose 95% interval contains the true index."""
    _, low, high = index_interval(customers, base, base_is_sample=base_is_sample)
    return ((low <= TRUE_INDEX) & (high >= TRUE_INDEX)).mean(axis=0)


def _report(record_property, label: str, coverage: np.ndarray) -> None:
    record_property(label, f"pooled {coverage.mean():.4f}; per group {np.round(coverage, 3)}")
    print(f"{label}: pooled {coverage.mean():.4f}, per group {np.round(coverage, 3)}")


def test_census_base_coverage_n2000(record_property) -> None:
    rng = np.random.default_rng(20240601)
    customers = rng.multinomial(2000, CUSTOMER_SHARE, size=DRAWS)
    coverage = _coverage(customers, BASE, base_is_sample=False)
    _report(record_property, "clopper_pearson_n2000", coverage)
    assert 0.945 <= coverage.mean() <= 0.97
    assert ((coverage >= 0.93) & (coverage <= 0.98)).all()


def test_census_base_coverage_small_file_n200(record_property) -> None:
    rng = np.random.default_rng(7)
    customers = rng.multinomial(200, CUSTOMER_SHARE, size=DRAWS)
    coverage = _coverage(customers, BASE, base_is_sample=False)
    _report(record_property, "clopper_pearson_n200", coverage)
    assert 0.945 <= coverage.mean() <= 0.98
    assert ((coverage >= 0.93) & (coverage <= 0.99)).all()


@pytest.mark.parametrize("n", [50, 200, 2000])
def test_exact_coverage_at_every_expected_count(n: int) -> None:
    """Coverage summed exactly over the binomial, at expected counts from 0.05 to 40:
    Clopper-Pearson never falls below 95%; Wilson falls to 86% near 0.15."""
    x = np.arange(n + 1)
    cp_low, cp_high = clopper_pearson_interval(x, n)
    w_low, w_high = wilson_interval(x, n)
    worst_wilson = 1.0
    for expected in np.linspace(0.05, 40, 400):
        p = expected / n
        pmf = binom.pmf(x, n, p)
        assert pmf[(cp_low <= p) & (p <= cp_high)].sum() >= 0.95 - 1e-9, expected
        worst_wilson = min(worst_wilson, pmf[(w_low <= p) & (p <= w_high)].sum())
    assert worst_wilson < 0.87


@pytest.mark.parametrize("n", [50, 2000])
def test_published_cells_keep_their_coverage(n: int) -> None:
    """Among counts that reached 10 (the only ones published), the truncated interval
    covers at least 95% at every expected count; the plain one rarely covers a true
    expected count of 3."""
    x = np.arange(n + 1)
    # each row: the group (x customers) and the rest (n - x), base shares 1/2 each
    _, low, high = index_interval(
        np.stack([x, n - x], axis=1), np.array([1.0, 1.0]), published_from=10
    )
    share_low, share_high = low[:, 0] / 200, high[:, 0] / 200
    cp_low, cp_high = clopper_pearson_interval(x, n)
    for expected in np.linspace(0.5, 40, 120):
        p = expected / n
        pmf = binom.pmf(x, n, p) * (x >= 10)
        covered = pmf[(share_low <= p) & (p <= share_high)].sum() / pmf.sum()
        assert covered >= 0.95 - 1e-9, expected
    p = 3 / n  # a true expected count of 3: published only when it reached 10
    pmf = binom.pmf(x, n, p) * (x >= 10)
    assert pmf[(cp_low <= p) & (p <= cp_high)].sum() / pmf.sum() < (0.5 if n == 50 else 0.01)


@pytest.mark.parametrize(("n_customers", "n_base"), [(2000, 5000), (2000, 20_000), (200, 1000)])
def test_katz_coverage_sampled_base(record_property, n_customers: int, n_base: int) -> None:
    rng = np.random.default_rng(n_customers + n_base)
    customers = rng.multinomial(n_customers, CUSTOMER_SHARE, size=DRAWS)
    base = rng.multinomial(n_base, BASE_SHARE, size=DRAWS)
    coverage = _coverage(customers, base, base_is_sample=True)
    _report(record_property, f"katz_n{n_customers}_base{n_base}", coverage)
    assert 0.94 <= coverage.mean() <= 0.965
    assert ((coverage >= 0.92) & (coverage <= 0.98)).all()


def test_census_interval_ignoring_base_sampling_undercovers() -> None:
    """Treating a sampled base as fixed is wrong: coverage drops well below 95%."""
    rng = np.random.default_rng(11)
    customers = rng.multinomial(2000, CUSTOMER_SHARE, size=DRAWS)
    base = rng.multinomial(2000, BASE_SHARE, size=DRAWS)
    assert _coverage(customers, base, base_is_sample=False).mean() < 0.90
    assert _coverage(customers, base, base_is_sample=True).mean() > 0.94


@pytest.mark.parametrize("base_is_sample", [False, True])
def test_compute_profile_uses_the_simulated_interval(base_is_sample: bool) -> None:
    rng = np.random.default_rng(3)
    customers = rng.multinomial(2000, CUSTOMER_SHARE, size=20)
    for draw in customers:
        counts = pd.DataFrame(
            {
                "level": "supergroup",
                "code": [str(i) for i in range(1, 9)],
                "name": "x",
                "parent": None,
                "customers": draw,
                "base": BASE,
            }
        )
        table = compute_profile(counts, suppress_below=0, base_is_sample=base_is_sample)
        _, low, high = index_interval(draw, BASE, base_is_sample=base_is_sample)
        np.testing.assert_allclose(table["index_low"], low)
        np.testing.assert_allclose(table["index_high"], high)
