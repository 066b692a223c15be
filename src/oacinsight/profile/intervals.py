"""The interval of a count that is published only because it reached the threshold.

Under suppression a count is published only when it is at least ``t`` (10).  Among the
published cells, small true counts are over-represented by selection: a group whose
expected count is 5 is published only in the draws where it reached 10, and the plain
Clopper-Pearson interval of those draws almost never contains 5.  The interval here is
Clopper-Pearson for the binomial *truncated to X >= t* (the distribution of what can be
published), so its coverage among published cells is at least the nominal level at
every true proportion:

    low:  P(X >= x | X >= t; p) = α/2      (0 when x = t)
    high: P(X <= x | X >= t; p) = α/2      (1 when x = n)

Both conditional tail probabilities are monotone in p (the truncated binomial keeps the
monotone likelihood ratio), so each bound is the root of one equation (Brent's method
on log tail probabilities).  Where the truncation is immaterial (``P(X >= t) > 1 - 1e-9``
at the plain bound) the plain Clopper-Pearson bound is kept.

The tail probabilities are those of ``scipy.stats.binom.logsf`` (the logarithm of
Boost's binomial survival function), called through the ufunc underneath it: the same
numbers without the distribution framework's argument handling, which took most of
the time of a profile split into many slices (docs/benchmarks.md).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import brentq
from scipy.stats import binom

__all__ = ["truncated_clopper_pearson"]

_EPS = 1e-12


try:  # the ufunc binom.sf calls (scipy >= 1.9); else the public, slower route
    from scipy.special._ufuncs import _binom_sf
except ImportError:  # pragma: no cover - another scipy
    _binom_sf = None


def _logsf(k: float, n: float, p: float) -> float:
    """``binom.logsf(k, n, p)`` for whole ``0 <= k < n`` and ``0 <= p <= 1``."""
    if _binom_sf is None:  # pragma: no cover
        return float(binom.logsf(k, n, p))
    with np.errstate(divide="ignore"):
        return float(np.log(_binom_sf(k, n, p)))


def _root(x: float, n: float, t: int, k: float, target: float) -> float:
    """p where log P(X > k) - log P(X > t - 1) = log(target)."""

    def gap(p: float) -> float:
        return _logsf(k, n, p) - _logsf(t - 1, n, p) - math.log(target)

    return float(brentq(gap, _EPS, 1 - _EPS, xtol=1e-14))


def truncated_clopper_pearson(
    successes: np.ndarray,
    trials: np.ndarray,
    threshold: int,
    low: np.ndarray,
    high: np.ndarray,
    confidence: float = 0.95,
) -> tuple[np.ndarray, np.ndarray]:
    """Bounds for ``p`` given that ``x >= threshold`` was needed to publish ``x``.

    Parameters
    ----------
    successes, trials : numpy.ndarray
        ``x`` and ``n`` (same shape).
    threshold : int
        The publication threshold ``t``; cells with ``x < t`` keep ``low``/``high``.
    low, high : numpy.ndarray
        The plain Clopper-Pearson bounds (returned where the truncation is immaterial).
    confidence : float
        Two-sided level.

    Returns
    -------
    low, high : numpy.ndarray
    """
    alpha = 1.0 - confidence
    low, high = np.array(low, dtype=float), np.array(high, dtype=float)
    x = np.broadcast_to(np.asarray(successes, dtype=float), low.shape)
    n = np.broadcast_to(np.asarray(trials, dtype=float), low.shape)
    for pos in zip(*np.nonzero((x >= threshold) & (n > 0) & (threshold > 0)), strict=True):
        xi, ni = float(x[pos]), float(n[pos])
        if _logsf(threshold - 1, ni, low[pos]) > math.log1p(-1e-9) or low[pos] <= 0:
            pass  # truncation immaterial at the lower bound
        else:
            low[pos] = 0.0 if xi <= threshold else _root(xi, ni, threshold, xi - 1, alpha / 2)
        if xi < ni and _logsf(threshold - 1, ni, high[pos]) <= math.log1p(-1e-9):
            high[pos] = _root(xi, ni, threshold, xi, 1 - alpha / 2)
    return low, high
