"""Statistics of areas of likely need (pure: numbers in, numbers out).

- :func:`poisson_interval` — exact (Garwood) interval of a Poisson count;
- :func:`shrink` — empirical Bayes gamma–Poisson shrinkage of group rates towards their
  parent's rate, method of moments (Clayton & Kaldor 1987; Marshall 1991);
- :func:`gamma_interval` — interval of a sum of independent scaled gamma variables by
  moment matching (used for expected demand, which adds rates × bases);
- :func:`dissimilarity` — the index of dissimilarity of two group mixes.

The formulas are in ``docs/need.md``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Shrunk", "dissimilarity", "gamma_interval", "poisson_interval", "shrink"]

#: Prior strength used when the between-group variance is estimated as zero (full
#: pooling to the parent); large, so the group's own count barely moves it.
FULL_POOLING = 1e6


def poisson_interval(count: np.ndarray, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Exact (Garwood 1936) interval of the mean of a Poisson count.

    ``low = χ²(α/2; 2k) / 2`` (0 when k = 0) and ``high = χ²(1 − α/2; 2k + 2) / 2``.
    Non-integer counts (weighted) are used as they are.
    """
    k = np.asarray(count, dtype=float)
    alpha = 1.0 - confidence
    with np.errstate(invalid="ignore"):  # χ²(q; 2k) / 2 is the gamma(k) quantile
        low = np.where(k > 0, _gamma_ppf(alpha / 2, np.maximum(k, 1e-12)), 0.0)
        high = _gamma_ppf(1 - alpha / 2, k + 1)
    return low, high


def _gamma_ppf(q: float, shape: np.ndarray) -> np.ndarray:
    """Quantile ``q`` of the unit-scale gamma with ``shape`` (NaN where shape <= 0):
    what ``scipy.stats.gamma.ppf`` and ``chi2.ppf(q, 2 shape) / 2`` compute, bit for bit.

    ``scipy.special`` (the gamma quantile alone; scipy.stats costs ~1 s to import) is
    imported here, so that ``need_file`` can start importing it on a thread
    (:func:`oacinsight.warm.warm`) while the store is read."""
    from scipy import special

    return np.asarray(special.gammaincinv(shape, q), dtype=float)


@dataclass(frozen=True)
class Shrunk:
    """Shrunk rates of one tier and their gamma posteriors (rate = parent × θ)."""

    rate: np.ndarray  # posterior mean of the rate
    shape: np.ndarray  # posterior gamma shape of θ
    scale: np.ndarray  # rate = θ × scale: parent rate / posterior gamma rate
    weight: np.ndarray  # E / (E + a): 1 = the group's own rate, 0 = the parent's
    phi: float  # between-group variance of θ (relative risk)

    def interval(self, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
        """Posterior (equal-tailed) interval of each rate."""
        alpha = 1.0 - confidence
        low = _gamma_ppf(alpha / 2, self.shape) * self.scale
        high = _gamma_ppf(1 - alpha / 2, self.shape) * self.scale
        return low, high

    @property
    def variance(self) -> np.ndarray:
        """Posterior variance of each rate."""
        return self.shape * self.scale**2


def shrink(
    y: np.ndarray,
    n: np.ndarray,
    parent_rate: np.ndarray,
    n_parents: int,
    parent_var: np.ndarray | None = None,
) -> Shrunk:
    """Empirical Bayes gamma–Poisson shrinkage of ``y / n`` towards ``parent_rate``.

    Model: ``y_i ~ Poisson(E_i θ_i)`` with ``E_i = n_i × parent_i`` and
    ``θ_i ~ Gamma(a, a)`` (mean 1, variance φ = 1/a).  φ by the method of moments:
    ``E[Σ (y_i − E_i)² / E_i] = (k − p) + φ Σ E_i`` for ``k`` groups and ``p`` parents
    estimated from the same counts, so ``φ̂ = max(0, (X² − (k − p)) / Σ E_i)``.
    Posterior: ``θ_i | y ~ Gamma(a + y_i, a + E_i)``; shrunk rate
    ``parent_i × (a + y_i) / (a + E_i)``.

    Parameters
    ----------
    y, n : numpy.ndarray
        Counts with the need and the base of each group (base > 0).
    parent_rate : numpy.ndarray
        Rate of each group's parent (the tier above, or the whole area).
    n_parents : int
        How many distinct parent rates were estimated from these counts.
    parent_var : numpy.ndarray, optional
        Sampling variance of each parent rate.  Added by the law of total variance,
        ``Var r = E[Var(r | parent)] + (∂E[r | parent]/∂parent)² Var(parent)`` with
        ``∂E[r | parent]/∂parent = a (a + y) / (a + E)²``, and the posterior is then
        summarised by the gamma with the same mean and variance.
    """
    y = np.asarray(y, dtype=float)
    e = np.asarray(n, dtype=float) * np.asarray(parent_rate, dtype=float)
    ok = e > 0
    x2 = float(np.sum((y[ok] - e[ok]) ** 2 / e[ok]))
    df = max(int(ok.sum()) - n_parents, 0)
    total = float(e[ok].sum())
    phi = max(0.0, (x2 - df) / total) if total > 0 else 0.0
    a = 1.0 / phi if phi > 0 else FULL_POOLING
    shape = a + y
    post_rate = a + e
    pr = np.asarray(parent_rate, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(post_rate > 0, pr / post_rate, 0.0)
        weight = np.where(ok, e / (e + a), 0.0)
        mean = shape * scale
        var = shape * scale**2
        if parent_var is not None:
            slope = a * shape / post_rate**2
            var = var + slope**2 * np.nan_to_num(np.asarray(parent_var, dtype=float))
        good = (mean > 0) & (var > 0)
        shape = np.where(good, mean**2 / var, shape)
        scale = np.where(good, var / mean, scale)
    return Shrunk(rate=mean, shape=shape, scale=scale, weight=weight, phi=phi)


def gamma_interval(
    mean: np.ndarray, variance: np.ndarray, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Interval of a positive quantity from a gamma with the given mean and variance.

    Exact when the quantity is one scaled gamma (an output area: one group's rate × its
    base); a moment-matched (Satterthwaite-type) approximation for a sum of them.
    Zero variance gives the mean as both ends.
    """
    m = np.asarray(mean, dtype=float)
    v = np.asarray(variance, dtype=float)
    alpha = 1.0 - confidence
    low, high = m.copy(), m.copy()
    ok = (v > 0) & (m > 0)
    shape = m[ok] ** 2 / v[ok]
    scale = v[ok] / m[ok]
    low[ok] = _gamma_ppf(alpha / 2, shape) * scale
    high[ok] = _gamma_ppf(1 - alpha / 2, shape) * scale
    return low, high


def dissimilarity(a: dict[str, float], b: dict[str, float]) -> float:
    """Index of dissimilarity ``½ Σ |a_g/Σa − b_g/Σb|`` (0 same mix, 1 no overlap)."""
    codes = sorted(set(a) | set(b))
    x = np.array([max(float(a.get(c, 0.0)), 0.0) for c in codes])
    z = np.array([max(float(b.get(c, 0.0)), 0.0) for c in codes])
    if x.sum() <= 0 or z.sum() <= 0:
        return 1.0
    return float(0.5 * np.abs(x / x.sum() - z / z.sum()).sum())
