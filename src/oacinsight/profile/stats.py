"""Index, confidence interval, z-score and penetration for a customer profile.

A *profile* compares how a council's customers are spread across the OAC groups with
how a *base* (usually residents or households from the Census) is spread across the
same groups.  Everything here is pure: counts in, numbers out, no database.

The method, formulas and references are written up in ``docs/profile.md``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy.stats import beta as beta_dist
from scipy.stats import norm

from oacinsight.errors import OacInsightError
from oacinsight.oac import LEVELS, level_of
from oacinsight.profile.audit import Hierarchy
from oacinsight.profile.intervals import truncated_clopper_pearson
from oacinsight.profile.suppress import SUPPRESSED_COLUMNS, suppression_mask

#: Columns ``compute_profile`` needs in its input.
INPUT_COLUMNS: tuple[str, ...] = ("level", "code", "name", "parent", "customers", "base")

#: Columns of ``compute_profile`` output, in order (a published contract).
OUTPUT_COLUMNS: tuple[str, ...] = (
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
)

#: Every value the ``flag`` column can take.
FLAGS: tuple[str, ...] = ("over", "under", "not_significant", "suppressed", "no_base")

__all__ = [
    "FLAGS",
    "INPUT_COLUMNS",
    "OUTPUT_COLUMNS",
    "SUPPRESSED_COLUMNS",
    "clopper_pearson_interval",
    "compute_profile",
    "index_interval",
    "katz_ratio_interval",
    "table_hierarchy",
    "wilson_interval",
    "z_score",
]

FloatArray = NDArray[np.float64]


def _z_value(confidence: float) -> float:
    """Two-sided standard normal quantile for ``confidence`` (1.959964 for 0.95)."""
    return float(norm.ppf(0.5 + confidence / 2.0))


def wilson_interval(
    successes: ArrayLike, trials: ArrayLike, confidence: float = 0.95
) -> tuple[FloatArray, FloatArray]:
    """Wilson score interval for a binomial proportion.

    Parameters
    ----------
    successes : array_like
        Number of successes ``x`` (customers in the group).
    trials : array_like
        Number of trials ``n`` (customers in the level); broadcast against ``successes``.
    confidence : float, default 0.95
        Two-sided confidence level.

    Returns
    -------
    low, high : numpy.ndarray
        Bounds for the proportion ``p``; NaN where ``n`` is 0.

    Notes
    -----
    With ``z`` the normal quantile and ``p = x / n``::

        centre = (p + z²/2n) / (1 + z²/n)
        half   = z / (1 + z²/n) * sqrt(p(1-p)/n + z²/4n²)

    Wilson (1927), *JASA* 22:209-212; Brown, Cai & DasGupta (2001), *Stat. Sci.*
    16:101-133.
    """
    x = np.asarray(successes, dtype=float)
    n = np.asarray(trials, dtype=float)
    z = _z_value(confidence)
    z2 = z * z
    with np.errstate(divide="ignore", invalid="ignore"):
        p = x / n
        denom = 1.0 + z2 / n
        centre = (p + z2 / (2.0 * n)) / denom
        half = z / denom * np.sqrt(p * (1.0 - p) / n + z2 / (4.0 * n * n))
    low = np.where(x <= 0, 0.0, np.clip(centre - half, 0.0, 1.0))
    high = np.where(x >= n, 1.0, np.clip(centre + half, 0.0, 1.0))
    undefined = ~(n > 0)
    return np.where(undefined, np.nan, low), np.where(undefined, np.nan, high)


def clopper_pearson_interval(
    successes: ArrayLike, trials: ArrayLike, confidence: float = 0.95
) -> tuple[FloatArray, FloatArray]:
    """Clopper–Pearson ("exact") interval for a binomial proportion.

    Parameters
    ----------
    successes : array_like
        Number of successes ``x`` (customers in the group).
    trials : array_like
        Number of trials ``n`` (customers in the level); broadcast against ``successes``.
    confidence : float, default 0.95
        Two-sided confidence level.

    Returns
    -------
    low, high : numpy.ndarray
        Bounds for the proportion ``p``; NaN where ``n`` is 0.

    Notes
    -----
    With ``α = 1 - confidence``: ``low = Beta⁻¹(α/2; x, n - x + 1)`` (0 when ``x = 0``)
    and ``high = Beta⁻¹(1 - α/2; x + 1, n - x)`` (1 when ``x = n``).  Its coverage is
    at least ``confidence`` for every true ``p`` (Clopper & Pearson 1934, *Biometrika*
    26:404-413), which is why it is used here (``docs/profile.md``, coverage table).
    """
    x = np.asarray(successes, dtype=float)
    n = np.asarray(trials, dtype=float)
    x, n = np.broadcast_arrays(x, n)
    alpha = 1.0 - float(confidence)
    ok = n > 0
    safe_n = np.where(ok, n, 1.0)
    safe_x = np.clip(np.where(ok, x, 0.0), 0.0, safe_n)
    with np.errstate(invalid="ignore"):
        low = np.where(
            safe_x <= 0,
            0.0,
            beta_dist.ppf(alpha / 2, np.maximum(safe_x, 1e-12), safe_n - safe_x + 1),
        )
        high = np.where(
            safe_x >= safe_n,
            1.0,
            beta_dist.ppf(1 - alpha / 2, safe_x + 1, np.maximum(safe_n - safe_x, 1e-12)),
        )
    return np.where(ok, low, np.nan), np.where(ok, high, np.nan)


def katz_ratio_interval(
    x1: ArrayLike,
    n1: ArrayLike,
    x2: ArrayLike,
    n2: ArrayLike,
    confidence: float = 0.95,
) -> tuple[FloatArray, FloatArray]:
    """Katz log interval for the ratio ``(x1/n1) / (x2/n2)`` of independent proportions.

    Parameters
    ----------
    x1, n1 : array_like
        Successes and trials of the first sample (customers in group, in level).
    x2, n2 : array_like
        Successes and trials of the second sample (base in group, in level).
    confidence : float, default 0.95
        Two-sided confidence level.

    Returns
    -------
    low, high : numpy.ndarray
        Bounds for the ratio; NaN where ``x2``, ``n1`` or ``n2`` is 0 (ratio undefined).

    Notes
    -----
    ``log(R) ± z * sqrt(1/x1 - 1/n1 + 1/x2 - 1/n2)`` (Katz et al. 1978, *Biometrics*
    34:469-474).  Zero-cell rule: when ``x1`` is 0 the upper bound uses Walter's (1975)
    adjusted log interval (0.5 added to ``x1``, ``n1``, ``x2`` and ``n2``) and the lower
    bound is 0, which is where the point estimate is.
    """
    a, m, b, k = (np.asarray(v, dtype=float) for v in (x1, n1, x2, n2))
    a, m, b, k = np.broadcast_arrays(a, m, b, k)
    zero = a <= 0
    a_adj = np.where(zero, a + 0.5, a)
    m_adj = np.where(zero, m + 0.5, m)
    b_adj = np.where(zero, b + 0.5, b)
    k_adj = np.where(zero, k + 0.5, k)
    z = _z_value(confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_ratio = np.log((a_adj / m_adj) / (b_adj / k_adj))
        var = 1.0 / a_adj - 1.0 / m_adj + 1.0 / b_adj - 1.0 / k_adj
        se = np.sqrt(np.maximum(var, 0.0))
        low = np.where(zero, 0.0, np.exp(log_ratio - z * se))
        high = np.exp(log_ratio + z * se)
    undefined = ~((b > 0) & (m > 0) & (k > 0))
    return np.where(undefined, np.nan, low), np.where(undefined, np.nan, high)


def index_interval(
    customers: ArrayLike,
    base: ArrayLike,
    *,
    confidence: float = 0.95,
    base_is_sample: bool = False,
    published_from: int = 0,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Index and its confidence interval for each group of one level.

    The last axis holds the groups of one level; leading axes (e.g. simulation draws)
    are computed independently, so this is fully vectorised.

    Parameters
    ----------
    customers : array_like
        Customers per group, shape ``(..., k)``.
    base : array_like
        Base per group, broadcastable to ``customers``.
    confidence : float, default 0.95
        Two-sided confidence level.
    base_is_sample : bool, default False
        False: the base is fixed Census counts, Clopper–Pearson interval on the
        customer share.
        True: the base is itself a sample, Katz log interval on the ratio of shares.
    published_from : int, default 0
        With a fixed base and a threshold ``t > 1``: counts of at least ``t`` (the ones
        that can be published) get the Clopper–Pearson interval of the binomial
        truncated to ``X >= t`` (:mod:`oacinsight.profile.intervals`), which keeps
        its coverage among published cells.

    Returns
    -------
    index, low, high : numpy.ndarray
        ``100 * customer share / base share`` and its bounds; NaN where the base is 0.
    """
    c = np.asarray(customers, dtype=float)
    b = np.broadcast_to(np.asarray(base, dtype=float), c.shape)
    n_c = c.sum(axis=-1, keepdims=True)
    n_b = b.sum(axis=-1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        p_c = c / n_c
        p_b = np.where(b > 0, b / n_b, np.nan)
        index = 100.0 * p_c / p_b
    if base_is_sample:
        low, high = katz_ratio_interval(c, n_c, b, n_b, confidence)
        low, high = 100.0 * low, 100.0 * high
    else:
        p_low, p_high = clopper_pearson_interval(c, n_c, confidence)
        if published_from > 1:
            p_low, p_high = truncated_clopper_pearson(
                c, np.broadcast_to(n_c, c.shape), published_from, p_low, p_high, confidence
            )
        low, high = 100.0 * p_low / p_b, 100.0 * p_high / p_b
    no_base = ~(b > 0)
    return (
        np.where(no_base, np.nan, index),
        np.where(no_base, np.nan, low),
        np.where(no_base, np.nan, high),
    )


def z_score(customers: ArrayLike, base: ArrayLike) -> FloatArray:
    """The commercial z-score of each group's customer share against its base share.

    Parameters
    ----------
    customers, base : array_like
        Counts per group of one level (last axis).

    Returns
    -------
    numpy.ndarray
        ``(p_c - p_b) / sqrt(p_b (1 - p_b) / n_c)``; NaN where the denominator is 0.
    """
    c = np.asarray(customers, dtype=float)
    b = np.broadcast_to(np.asarray(base, dtype=float), c.shape)
    n_c = c.sum(axis=-1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        p_c = c / n_c
        p_b = b / b.sum(axis=-1, keepdims=True)
        denom = np.sqrt(p_b * (1.0 - p_b) / n_c)
        z = (p_c - p_b) / denom
    return np.where((denom > 0) & np.isfinite(denom), z, np.nan)


def _fail(message: str) -> None:
    raise OacInsightError(message)


def _check_numeric(frame: pd.DataFrame, column: str) -> pd.Series:
    """The column as floats, or an error naming the column and the problem."""
    values = pd.to_numeric(frame[column], errors="coerce")
    if values.isna().any():
        _fail(f"column {column!r} has missing or non-numeric values")
    values = values.astype(float)
    if (values < 0).any():
        _fail(f"column {column!r} has negative counts")
    if not np.isfinite(values).all():
        _fail(f"column {column!r} has infinite values")
    return values


def _validated(counts: Any, confidence: float, suppress_below: int) -> pd.DataFrame:
    """A clean copy of ``counts`` or an :class:`OacInsightError` saying what is wrong."""
    if not isinstance(counts, pd.DataFrame):
        _fail("counts must be a pandas DataFrame")
    missing = [c for c in INPUT_COLUMNS if c not in counts.columns]
    if missing:
        _fail(f"counts is missing column(s): {', '.join(missing)}")
    if not (isinstance(confidence, (int, float)) and 0.0 < float(confidence) < 1.0):
        _fail(f"confidence must be between 0 and 1 (exclusive), got {confidence!r}")
    if isinstance(suppress_below, bool) or not isinstance(suppress_below, (int, np.integer)):
        _fail(f"suppress_below must be a whole number, got {suppress_below!r}")
    if suppress_below < 0:
        _fail(f"suppress_below must be 0 or more, got {suppress_below}")
    if counts.empty:
        _fail("counts has no rows")
    frame = counts.loc[:, list(INPUT_COLUMNS)].copy()
    bad_levels = sorted(set(map(str, frame["level"])) - set(LEVELS))
    if bad_levels:
        _fail(f"unknown level(s) {', '.join(bad_levels)}; use {', '.join(LEVELS)}")
    frame["level"] = frame["level"].astype(str)
    frame["code"] = frame["code"].astype(str)
    if frame.duplicated(["level", "code"]).any():
        _fail("counts has the same code more than once in a level")
    customers = _check_numeric(frame, "customers")
    if (customers != np.round(customers)).any():
        _fail("column 'customers' must hold whole numbers")
    frame["customers"] = customers.astype("int64")
    frame["base"] = _check_numeric(frame, "base")
    totals = frame.groupby("level", sort=False)["customers"].sum()
    if (totals == 0).all():
        _fail("no customers matched any group")
    if (totals == 0).any():
        empty = ", ".join(totals.index[totals == 0])
        _fail(f"no customers at the {empty} level although other levels have some")
    return frame.reset_index(drop=True)


def _level_table(
    part: pd.DataFrame, confidence: float, base_is_sample: bool, published_from: int = 0
) -> pd.DataFrame:
    """Shares, index, interval, z and penetration for the rows of one level."""
    c = part["customers"].to_numpy(dtype=float)
    b = part["base"].to_numpy(dtype=float)
    index, low, high = index_interval(
        c,
        b,
        confidence=confidence,
        base_is_sample=base_is_sample,
        published_from=published_from,
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        base_total = b.sum()
        base_pct = 100.0 * b / base_total if base_total > 0 else np.full_like(b, np.nan)
        penetration = np.where(b > 0, 1000.0 * c / b, np.nan)
    out = part[["level", "code", "name", "customers", "base"]].copy()
    out["customer_pct"] = 100.0 * c / c.sum()
    out["base_pct"] = base_pct
    out["index"] = index
    out["index_low"] = low
    out["index_high"] = high
    out["z"] = z_score(c, b)
    out["penetration_per_1000"] = penetration
    return out


def _is_blank(value: Any) -> bool:
    """True for None, NaN/NA and the empty string."""
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip() == ""
    return bool(pd.isna(value))


def _parent_code(level: str, code: str, parent: Any) -> str | None:
    """The parent code given, else derived from an OAC-style code, else None."""
    if not _is_blank(parent):
        return str(parent)
    if level == "supergroup":
        return None
    try:
        return code[:-1] if level_of(code) == level else None
    except ValueError:
        return None


def table_hierarchy(frame: pd.DataFrame) -> Hierarchy:
    """How the rows of a (nested) profile table add up, for disclosure control.

    A row's parent is the row of the level above whose code is its ``parent`` (or, when
    blank, the parent derived from an OAC-style code).  Rows of the top level present,
    and rows whose parent is not in the frame, have none.

    Parameters
    ----------
    frame : pandas.DataFrame
        Rows with ``level``, ``code`` and ``parent`` columns.

    Returns
    -------
    Hierarchy
    """
    rows = [
        (str(lv), str(cd), _parent_code(str(lv), str(cd), pa))
        for lv, cd, pa in zip(frame["level"], frame["code"], frame["parent"], strict=True)
    ]
    position = {(lv, cd): pos for pos, (lv, cd, _) in enumerate(rows)}
    parent = []
    for lv, _, pa in rows:
        rank = LEVELS.index(lv)
        key = (LEVELS[rank - 1], pa) if rank > 0 and pa is not None else None
        parent.append(position.get(key, -1) if key else -1)
    return Hierarchy.nested([LEVELS.index(lv) for lv, _, _ in rows], parent)


def _flags(table: pd.DataFrame, hidden: pd.Series) -> pd.Series:
    """``over``/``under``/``not_significant``, then ``no_base``, then ``suppressed``."""
    flag = np.full(len(table), "not_significant", dtype=object)
    flag[(table["index_low"] > 100).to_numpy()] = "over"
    flag[(table["index_high"] < 100).to_numpy()] = "under"
    flag[table["index"].isna().to_numpy()] = "no_base"
    flag[hidden.to_numpy(dtype=bool)] = "suppressed"
    return pd.Series(flag, index=table.index, dtype=object)


def compute_profile(
    counts: pd.DataFrame,
    *,
    confidence: float = 0.95,
    suppress_below: int = 10,
    base_is_sample: bool = False,
) -> pd.DataFrame:
    """Profile customers against a base: shares, index with interval, z, penetration.

    Parameters
    ----------
    counts : pandas.DataFrame
        Columns ``level`` (supergroup|group|subgroup), ``code``, ``name``, ``parent``,
        ``customers`` (whole numbers >= 0) and ``base`` (>= 0).  One level or several
        nested levels; shares are computed within each level.
    confidence : float, default 0.95
        Two-sided confidence level of ``index_low``/``index_high``, in (0, 1).
    suppress_below : int, default 10
        Non-zero customer counts below this are suppressed (plus secondary
        suppression); 0 turns suppression off.
    base_is_sample : bool, default False
        False: the base is fixed Census counts (Clopper–Pearson).  True: the base is a
        sample such as another service's customer file (Katz log ratio interval).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`OUTPUT_COLUMNS`, levels in supergroup, group, subgroup order and
        input order within a level.  Suppressed rows keep their numbers here; publish
        with :func:`oacinsight.profile.published_frame`.

    Raises
    ------
    OacInsightError
        For missing columns, negative or non-numeric counts, no matched customers, or
        a confidence outside (0, 1).
    """
    frame = _validated(counts, confidence, suppress_below)
    rank = frame["level"].map(LEVELS.index)
    frame = frame.iloc[np.argsort(rank.to_numpy(), kind="stable")].reset_index(drop=True)
    parts = [
        _level_table(
            frame[frame["level"] == lv], float(confidence), base_is_sample, int(suppress_below)
        )
        for lv in LEVELS
        if (frame["level"] == lv).any()
    ]
    table = pd.concat(parts).reset_index(drop=True)
    hidden = suppression_mask(
        table["customers"], threshold=int(suppress_below), hierarchy=table_hierarchy(frame)
    )
    unprotected = hidden.attrs["unprotected"]
    table["flag"] = _flags(table, hidden)
    table = table.loc[:, list(OUTPUT_COLUMNS)]
    table.attrs.update(
        confidence=float(confidence),
        suppress_below=int(suppress_below),
        base_is_sample=bool(base_is_sample),
        unprotected=len(unprotected),
    )
    return table
