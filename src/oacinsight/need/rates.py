"""Rates of need per OAC group: from customer counts, from a survey, or from a file.

A rates table has one row per group and tier: ``level, code, name, parent, customers,
base, rate, rate_low, rate_high, rate_shrunk, shrunk_low, shrunk_high, shrink_weight``
plus the gamma posterior of the shrunk rate (``post_shape``, ``post_scale``) that
expected demand uses.  Rates are per unit of base (per resident by default), as a
proportion.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import pandas as pd

from oacinsight.errors import InputFileError, OacInsightError
from oacinsight.need.stats import poisson_interval, shrink

__all__ = [
    "LEVELS",
    "RATE_COLUMNS",
    "code_level",
    "from_counts",
    "from_survey",
    "from_table",
    "in_tier_order",
]

LEVELS: tuple[str, ...] = ("supergroup", "group", "subgroup")
#: Published columns of ``rates.csv`` (the first eight are the issue's contract).
RATE_COLUMNS: tuple[str, ...] = (
    "code",
    "name",
    "customers",
    "base",
    "rate",
    "rate_low",
    "rate_high",
    "rate_shrunk",
    "level",
    "parent",
    "shrunk_low",
    "shrunk_high",
    "shrink_weight",
)
_PATTERNS_2021 = {"supergroup": r"[1-8]", "group": r"[1-8][a-z]", "subgroup": r"[1-8][a-z][1-9]"}
_PATTERN_2011 = re.compile(r"^[1-8][A-Z][1-9]?$")


def code_level(code: str) -> str | None:
    """The tier of a 2021 OAC code (``7``, ``7a``, ``7a2``), None when not one."""
    for level, pattern in _PATTERNS_2021.items():
        if re.fullmatch(pattern, code):
            return level
    return None


def _parent_of(code: str) -> str:
    return code[:-1] if len(code) > 1 else "all"


def _shrink_tier(
    tier: pd.DataFrame, parent_rate: pd.Series, parent_var: pd.Series, confidence: float
) -> pd.DataFrame:
    """Shrink one tier towards its parents' rates (raw rates of the tier above)."""
    out = tier.copy()
    pr = out["parent"].map(parent_rate).astype(float).to_numpy()
    pv = out["parent"].map(parent_var).astype(float).to_numpy()
    s = shrink(out["y"].to_numpy(), out["n"].to_numpy(), pr, out["parent"].nunique(), pv)
    low, high = s.interval(confidence)
    out["rate_shrunk"], out["shrunk_low"], out["shrunk_high"] = s.rate, low, high
    out["shrink_weight"] = s.weight
    out["post_shape"], out["post_scale"] = s.shape, s.scale
    out.attrs["phi"] = s.phi
    return out


def _shrink_all(frame: pd.DataFrame, confidence: float) -> tuple[pd.DataFrame, dict[str, float]]:
    """Shrink every tier present; supergroups towards the whole area.  Rows marked
    ``hidden`` (their count is not published) enter the model as their parent's rate
    times their base, worked out top-down, so nothing published depends on them."""
    total = frame[frame["level"] == frame["level"].iloc[0]]
    y_all, n_all = float(total["y"].sum()), float(total["n"].sum())
    if n_all <= 0:
        raise InputFileError("the base is zero in every group of the area")
    raw, var = {"all": y_all / n_all}, {"all": y_all / n_all**2}
    parts, phis = [], {}
    for level in LEVELS:
        tier = frame[frame["level"] == level].copy()
        if tier.empty:
            continue
        if "hidden" in tier:
            pr = tier["parent"].map(raw).astype(float)
            tier["y"] = np.where(tier["hidden"], pr * tier["n"], tier["y"])
        done = _shrink_tier(tier, pd.Series(raw), pd.Series(var), confidence)
        phis[level] = float(done.attrs["phi"])
        parts.append(done)
        with np.errstate(divide="ignore", invalid="ignore"):
            raw.update(dict(zip(tier["code"], tier["y"] / tier["n"], strict=True)))
            var.update(dict(zip(tier["code"], tier["y"] / tier["n"] ** 2, strict=True)))
    out = pd.concat(parts, ignore_index=True)
    out.attrs = {}
    return out.drop(columns="hidden", errors="ignore"), phis


def in_tier_order(counts: pd.DataFrame) -> pd.DataFrame:
    """``counts`` with supergroups first, then groups, then subgroups (the row order of
    :func:`from_counts`' table, so a mask worked out on one fits the other)."""
    rank = counts["level"].map({lv: i for i, lv in enumerate(LEVELS)})
    return counts.iloc[np.argsort(rank.to_numpy(), kind="stable")].reset_index(drop=True)


def from_counts(
    counts: pd.DataFrame, confidence: float = 0.95, hidden: np.ndarray | None = None
) -> tuple[pd.DataFrame, dict[str, float]]:
    """Rates from ``profiles.group_counts`` output (``level, code, name, parent,
    customers, base``); returns the table and φ̂ per tier.

    ``hidden`` (one flag per row of ``counts``) marks the customer counts the published
    table hides: the shrinkage (φ̂, shrunk rates, their intervals, and so expected
    demand) is then fitted on the published counts only, a hidden group taking its
    parent's rate (a hidden count could otherwise be worked back from its shrunk rate,
    its weight and its parent's rate).  The raw ``rate`` columns stay as counted (they
    are blanked where hidden on publication).

    Raises
    ------
    InputFileError
        A group with customers but a zero base.
    """
    bad = counts[(counts["base"] <= 0) & (counts["customers"] > 0)]
    if len(bad):
        row = bad.iloc[0]
        raise InputFileError(
            f"OAC {row['level']} {row['code']} has customers but a zero base: the base "
            "must cover every output area of the area"
        )
    out = counts.copy()
    out["parent"] = out["code"].map(_parent_of)
    out["y"] = out["customers"].astype(float)
    out["n"] = out["base"].astype(float)
    if hidden is not None:
        out["hidden"] = np.asarray(hidden, dtype=bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["rate"] = np.where(out["n"] > 0, out["y"] / out["n"], np.nan)
        low, high = poisson_interval(out["y"].to_numpy(), confidence)
        out["rate_low"] = np.where(out["n"] > 0, low / out["n"], np.nan)
        out["rate_high"] = np.where(out["n"] > 0, high / out["n"], np.nan)
    return _shrink_all(out, confidence)


def from_survey(
    tables: dict[str, pd.DataFrame],
    confidence: float = 0.95,
    hide: Callable[[pd.DataFrame], np.ndarray] | None = None,
) -> tuple[pd.DataFrame, dict[str, float]]:
    """Rates from survey tables (``SurveyResult.table`` per tier, one question).

    The share of a group is its rate; ``customers`` holds the group's respondents and
    ``base`` its effective sample size (Kish), so that ``y = share × effective n`` is
    the effective count used by the shrinkage.  ``hide``, given the table (``level,
    code, customers`` in tier order), says which respondent counts are published
    hidden: the shrinkage is then fitted on the published groups only, as in
    :func:`from_counts`.
    """
    parts = []
    for level, table in tables.items():
        t = table[table["level"] == level]
        parts.append(
            pd.DataFrame(
                {
                    "level": level,
                    "code": t["code"].astype(str),
                    "name": t["name"],
                    "customers": t["respondents"].astype(int),
                    "base": t["effective_n"].astype(float),
                    "rate": t["share"].astype(float),
                    "rate_low": t["share_low"].astype(float),
                    "rate_high": t["share_high"].astype(float),
                }
            )
        )
    out = pd.concat(parts, ignore_index=True)
    out["parent"] = out["code"].map(_parent_of)
    out["n"] = out["base"].fillna(0.0)
    out["y"] = out["rate"].fillna(0.0) * out["n"]
    if hide is not None:
        out["hidden"] = np.asarray(hide(out), dtype=bool)
    return _shrink_all(out, confidence)


def from_table(
    frame: pd.DataFrame, level: str, known: dict[str, set[str]], name: str
) -> pd.DataFrame:
    """Rates learnt elsewhere (a ``rates.csv`` of another run, or any table with
    ``code`` and ``rate_shrunk`` or ``rate``), for ``level``.

    The posterior is rebuilt as a gamma with the file's rate as mean and the spread of
    its interval (``shrunk_low/high`` or ``rate_low/high``) as ±1.96 standard errors;
    without an interval the rate is taken as known exactly.
    """
    cols = {c.strip().lower(): c for c in frame.columns}
    if "code" not in cols or not ({"rate_shrunk", "rate"} & cols.keys()):
        raise InputFileError(
            f"{name}: a rates file needs a 'code' column and a 'rate_shrunk' or 'rate' column"
        )
    t = pd.DataFrame({"code": frame[cols["code"]].astype(str).str.strip()})
    if t["code"].str.match(_PATTERN_2011).any():
        example = t.loc[t["code"].str.match(_PATTERN_2011), "code"].iloc[0]
        raise InputFileError(
            f"{name}: code {example} is a 2011 OAC code; this area uses "
            "the 2021 OAC (codes like 7, 7a, 7a2)"
        )
    t["level"] = t["code"].map(code_level)
    unknown = t.loc[
        t["level"].isna()
        | ~t.apply(lambda r: r["code"] in known.get(r["level"] or "", set()), axis=1),
        "code",
    ]
    if len(unknown):
        raise InputFileError(f"{name}: unknown OAC 2021 code(s) {', '.join(unknown[:5])}")
    for key in (
        "rate_shrunk",
        "rate",
        "shrunk_low",
        "shrunk_high",
        "rate_low",
        "rate_high",
        "base",
        "customers",
        "name",
    ):
        if key in cols:
            t[key] = frame[cols[key]].to_numpy()
    return _posterior_from_file(t[t["level"] == level].copy(), level, name)


def _posterior_from_file(t: pd.DataFrame, level: str, name: str) -> pd.DataFrame:
    if t.empty:
        raise InputFileError(f"{name}: no rates at the {level} level (use --level)")
    rate = pd.to_numeric(t["rate_shrunk" if "rate_shrunk" in t else "rate"], errors="coerce")
    if rate.isna().any() or (rate < 0).any():
        raise InputFileError(f"{name}: every rate must be a number of 0 or more")
    low_col = "shrunk_low" if "shrunk_low" in t else "rate_low"
    high_col = "shrunk_high" if "shrunk_high" in t else "rate_high"
    low = pd.to_numeric(t.get(low_col, rate), errors="coerce").fillna(rate)
    high = pd.to_numeric(t.get(high_col, rate), errors="coerce").fillna(rate)
    sd = (high - low).clip(lower=0) / (2 * 1.959964)
    var = (sd**2).to_numpy()
    r = rate.to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        shape = np.where((var > 0) & (r > 0), r**2 / var, np.inf)
        scale = np.where((var > 0) & (r > 0), var / r, 0.0)
    return pd.DataFrame(
        {
            "level": level,
            "code": t["code"].to_numpy(),
            "name": t["name"].to_numpy() if "name" in t else t["code"].to_numpy(),
            "parent": t["code"].map(_parent_of).to_numpy(),
            "customers": pd.to_numeric(t["customers"], errors="coerce").to_numpy()
            if "customers" in t
            else np.nan,
            "base": pd.to_numeric(t["base"], errors="coerce").to_numpy() if "base" in t else np.nan,
            "rate": r,
            "rate_low": low.to_numpy(),
            "rate_high": high.to_numpy(),
            "rate_shrunk": r,
            "shrunk_low": low.to_numpy(),
            "shrunk_high": high.to_numpy(),
            "shrink_weight": np.nan,
            "post_shape": shape,
            "post_scale": scale,
        }
    )


def check_level(level: str) -> None:
    """Refuse an unknown tier."""
    if level not in LEVELS:
        raise OacInsightError(f"--level must be one of {', '.join(LEVELS)}, not {level!r}")
