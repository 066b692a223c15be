"""Weighted shares, their intervals and tests, for survey answers by OAC group.

Everything here is pure: arrays in, numbers out.  One respondent is one row with a
design weight ``w`` (1 when the survey has none) and an answer ``y`` (1 positive, 0 not).
The formulas, the choice of interval and the references are in ``docs/survey.md``.

* :func:`weighted_share`: share, weighted n, Kish effective n, linearised variance.
* :func:`interval`: the share's interval by ``wilson`` (default), ``clopper_pearson``
  (both on the Kish effective sample size), ``korn_graubard`` or ``wald``.
* :func:`difference_test`: a group against the rest of the respondents.
* :func:`rao_scott`: the Rao–Scott corrected test of association across groups.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.stats import beta, chi2, f, norm, t

from oacinsight.errors import OacInsightError

__all__ = [
    "INTERVAL_METHODS",
    "RaoScott",
    "Share",
    "difference_test",
    "interval",
    "rao_scott",
    "weighted_share",
]

INTERVAL_METHODS: tuple[str, ...] = ("wilson", "clopper_pearson", "korn_graubard", "wald")
FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Share:
    """A weighted share and what its interval needs."""

    n: int  # respondents
    weighted_n: float  # sum of weights
    share: float  # sum(w y) / sum(w); NaN when n == 0
    effective_n: float  # Kish: sum(w)^2 / sum(w^2)
    variance: float  # linearised (with-replacement) variance of the share


def _arrays(weights: ArrayLike, positive: ArrayLike) -> tuple[FloatArray, FloatArray]:
    w = np.asarray(weights, dtype=float)
    y = np.asarray(positive, dtype=float)
    if w.shape != y.shape:
        raise OacInsightError("weights and answers must have the same length")
    return w, y


def weighted_share(weights: ArrayLike, positive: ArrayLike) -> Share:
    """The weighted share of positive answers.

    ``share = Σ w y / Σ w``; Kish's effective sample size ``(Σ w)² / Σ w²``; the
    linearised variance of the ratio ``n/(n-1) Σ w² (y - share)² / (Σ w)²``.
    """
    w, y = _arrays(weights, positive)
    n = int(w.size)
    total = float(w.sum())
    if n == 0 or total <= 0:
        return Share(n, total, float("nan"), 0.0, float("nan"))
    p = float((w * y).sum() / total)
    n_eff = total**2 / float((w**2).sum())
    var = float((w**2 * (y - p) ** 2).sum() / total**2)
    var = var * n / (n - 1) if n > 1 else float("nan")
    return Share(n, total, p, n_eff, var)


def _z(confidence: float) -> float:
    return float(norm.ppf(0.5 + confidence / 2.0))


def _wilson(p: float, m: float, z: float) -> tuple[float, float]:
    denom = 1 + z * z / m
    centre = (p + z * z / (2 * m)) / denom
    half = z / denom * np.sqrt(p * (1 - p) / m + z * z / (4 * m * m))
    return max(0.0, centre - half), min(1.0, centre + half)


def _clopper_pearson(p: float, m: float, confidence: float) -> tuple[float, float]:
    """Exact binomial limits with ``x = p m`` successes out of ``m`` (x need not be whole)."""
    alpha = 1 - confidence
    x = p * m
    low = 0.0 if x <= 0 else float(beta.ppf(alpha / 2, x, m - x + 1))
    high = 1.0 if x >= m else float(beta.ppf(1 - alpha / 2, x + 1, m - x))
    return low, high


def interval(s: Share, confidence: float = 0.95, method: str = "wilson") -> tuple[float, float]:
    """The two-sided interval of a weighted share.

    Parameters
    ----------
    s : Share
        From :func:`weighted_share`.
    confidence : float
        Two-sided level.
    method : str
        ``wilson`` or ``clopper_pearson``: the binomial interval with the Kish
        effective sample size in place of n.  ``korn_graubard``: Clopper–Pearson with
        the effective n from the linearised variance (capped at n), degrees-of-freedom
        adjusted (Korn & Graubard 1998).  ``wald``: share ± z √variance (a baseline).

    Returns
    -------
    (low, high), NaN when there are no respondents.
    """
    if method not in INTERVAL_METHODS:
        raise OacInsightError(
            f"unknown interval method {method!r}; use {', '.join(INTERVAL_METHODS)}"
        )
    if s.n == 0 or not np.isfinite(s.share):
        return float("nan"), float("nan")
    z = _z(confidence)
    p, m = s.share, s.effective_n
    if method == "wilson":
        return _wilson(p, m, z)
    if method == "clopper_pearson":
        return _clopper_pearson(p, m, confidence)
    if method == "wald":
        half = z * np.sqrt(s.variance) if np.isfinite(s.variance) else float("nan")
        return max(0.0, p - half), min(1.0, p + half)
    return _korn_graubard(s, confidence, z)


def _korn_graubard(s: Share, confidence: float, z: float) -> tuple[float, float]:
    p = s.share
    if np.isfinite(s.variance) and s.variance > 0:
        m = min(p * (1 - p) / s.variance, float(s.n))
    else:
        m = float(s.n)
    if s.n > 1:
        m *= (z / float(t.ppf(0.5 + confidence / 2.0, s.n - 1))) ** 2
    return _clopper_pearson(p, m, confidence)


def difference_test(group: Share, rest: Share, overall: float) -> float:
    """Two-sided p-value of "the group's share equals the rest's".

    A score test: the variance is taken under the null (both equal to the pooled
    ``overall`` share), with the Kish effective sample sizes, so it agrees with the
    Wilson interval and stays defined when a group's share is 0 or 1.  The group's
    difference from the overall share is ``(1 - s)(p_group - p_rest)`` with ``s`` the
    group's share of the weight, so testing it is testing ``p_group = p_rest``.
    """
    if group.n == 0 or rest.n == 0 or not (0 < overall < 1):
        return float("nan")
    se = np.sqrt(overall * (1 - overall) * (1 / group.effective_n + 1 / rest.effective_n))
    zval = (group.share - rest.share) / se
    return float(2 * norm.sf(abs(zval)))


@dataclass(frozen=True)
class RaoScott:
    """Rao–Scott corrected tests of association between group and answer."""

    pearson: float  # Pearson X² of the weighted table scaled to n
    chisq: float  # first-order corrected: X² / mean design effect
    df: int
    chisq_p: float
    f: float  # second-order: X² / trace(Δ), on (d, d (n-1)) degrees of freedom
    f_df: tuple[float, float]
    f_p: float
    mean_deff: float


_NAN_TEST = RaoScott(
    *(float("nan"),) * 2,
    0,
    float("nan"),
    float("nan"),
    (float("nan"), float("nan")),
    float("nan"),
    float("nan"),
)


def rao_scott(groups: ArrayLike, weights: ArrayLike, positive: ArrayLike) -> RaoScott:
    """Rao–Scott tests of independence of group and answer (as R's ``svychisq``).

    Each respondent is its own primary sampling unit (with-replacement linearisation,
    no strata or clusters).  The Pearson statistic of the weighted table, scaled to the
    number of respondents, is divided by the mean (first order, χ² on (r-1)(c-1) df) or
    by the sum (second order, F with Satterthwaite degrees of freedom) of the
    eigenvalues of the design-effect matrix Δ.
    """
    g = np.asarray(groups)
    w, y = _arrays(weights, positive)
    codes, gi = np.unique(g, return_inverse=True)
    n = w.size
    if len(codes) < 2 or n < 3 or y.min() == y.max():
        return _NAN_TEST
    nr, nc = len(codes), 2
    cell = gi * nc + y.astype(int)  # row-major cell index
    u = np.zeros((n, nr * nc))
    u[np.arange(n), cell] = 1.0
    total = w.sum()
    mean = (w[:, None] * u).sum(axis=0) / total
    zi = w[:, None] * (u - mean) / total
    v = zi.T @ zi * n / (n - 1)
    return _rao_scott_from(mean, v, n, nr, nc)


def _contrasts(nr: int, nc: int) -> FloatArray:
    """Interaction contrasts orthogonal to the main effects (row-major cells)."""
    rows = np.repeat(np.arange(nr), nc)
    cols = np.tile(np.arange(nc), nr)
    main = np.column_stack(
        [np.ones(nr * nc)]
        + [(rows == r).astype(float) for r in range(1, nr)]
        + [(cols == c).astype(float) for c in range(1, nc)]
    )
    inter = np.column_stack(
        [((rows == r) & (cols == c)).astype(float) for r in range(1, nr) for c in range(1, nc)]
    )
    q, _ = np.linalg.qr(main)
    return inter - q @ (q.T @ inter)


def _rao_scott_from(mean: FloatArray, v: FloatArray, n: int, nr: int, nc: int) -> RaoScott:
    cmat = _contrasts(nr, nc)
    inv = np.where(mean > 0, 1 / np.where(mean > 0, mean, 1), 0.0)
    v_rel = inv[:, None] * v * inv[None, :]
    denom = cmat.T @ (np.diag(inv) / n) @ cmat
    numer = cmat.T @ v_rel @ cmat
    try:
        delta = np.linalg.solve(denom, numer)
    except np.linalg.LinAlgError:
        return _NAN_TEST
    tr, tr2 = float(np.trace(delta)), float(np.trace(delta @ delta))
    table = (mean * n).reshape(nr, nc)
    expected = table.sum(1, keepdims=True) * table.sum(0, keepdims=True) / n
    pearson = float(((table - expected) ** 2 / np.where(expected > 0, expected, 1)).sum())
    df = (nr - 1) * (nc - 1)
    mean_deff = tr / df
    d0 = tr**2 / tr2 if tr2 > 0 else float("nan")
    chisq = pearson / mean_deff if mean_deff > 0 else float("nan")
    fstat = pearson / tr if tr > 0 else float("nan")
    return RaoScott(
        pearson=pearson,
        chisq=chisq,
        df=df,
        chisq_p=float(chi2.sf(chisq, df)),
        f=fstat,
        f_df=(d0, d0 * (n - 1)),
        f_p=float(f.sf(fstat, d0, d0 * (n - 1))),
        mean_deff=mean_deff,
    )
