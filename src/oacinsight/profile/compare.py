"""Statistics comparing the slices of a profile, and the findings in plain language.

Everything here is computed from *published* numbers only (shown counts and the slice
totals), so a p-value can never give a hidden count away:

- :func:`pairwise_tests`: for each pair of slices, a chi-square test of homogeneity of
  their customers over the groups of the top level shown (Pearson, no continuity
  correction, ``scipy.stats.chi2_contingency``).  Groups hidden in either slice, and
  groups whose expected count is below 5, are pooled into one "rest" column (its count
  is the slice total minus the shown groups, which anyone can work out).  p-values are
  also given Holm-adjusted over all pairs.
- :func:`change_tests`: for each group, the change of its share of customers (and so
  of its index: the base is the same) between the first and the last period, as the
  ratio of two independent proportions with the Katz log interval, and a two-sided
  test from a 2 × 2 chi-square (Holm-adjusted over the groups).
- :func:`findings`: sentences per slice, per pair and per change.

The method and references are in docs/profile.md ("Profiles by a column or a period").
"""

from __future__ import annotations

import itertools
import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy.stats import chi2_contingency

from oacinsight.profile.stats import katz_ratio_interval
from oacinsight.profile.words import SMALL_BASE, SMALL_COUNT

if TYPE_CHECKING:
    from oacinsight.profile.comparison import ComparisonResult

__all__ = ["change_tests", "findings", "holm", "pairwise_tests", "times_words"]

SHOWN = ("over", "under", "not_significant")
PAIR_COLUMNS = ("a", "b", "level", "groups_tested", "chi2", "df", "p_value", "p_holm")
CHANGE_COLUMNS = (
    "level", "code", "name", "first", "last", "customers_first", "customers_last",
    "index_first", "index_last", "ratio", "ratio_low", "ratio_high", "p_value", "p_holm",
)  # fmt: skip


def holm(p: pd.Series) -> pd.Series:
    """Holm's step-down adjustment of p-values (NaN stays NaN)."""
    values = p.to_numpy(dtype=float)
    ok = np.flatnonzero(~np.isnan(values))
    out = np.full(len(values), np.nan)
    order = ok[np.argsort(values[ok], kind="stable")]
    m, running = len(order), 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * values[i]))
        out[i] = running
    return pd.Series(out, index=p.index)


def _top(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["level"] == frame["level"].iloc[0]].reset_index(drop=True)


def _pair_table(a: pd.DataFrame, b: pd.DataFrame, na: int, nb: int) -> np.ndarray:
    """2 × k table over groups shown in both, plus the pooled rest."""
    both = a["flag"].isin(SHOWN).to_numpy() & b["flag"].isin(SHOWN).to_numpy()
    ca = a["customers"].to_numpy(dtype=float)
    cb = b["customers"].to_numpy(dtype=float)
    cols = [(ca[i], cb[i]) for i in np.flatnonzero(both)]
    rest = (na - sum(x for x, _ in cols), nb - sum(y for _, y in cols))
    n = na + nb
    kept = []
    for x, y in cols:  # pool groups with an expected count below 5 into the rest
        if min((x + y) * na / n, (x + y) * nb / n) < 5:
            rest = (rest[0] + x, rest[1] + y)
        else:
            kept.append((x, y))
    if rest[0] + rest[1] > 0:
        kept.append(rest)
    return np.array(kept, dtype=float).T if kept else np.zeros((2, 0))


def pairwise_tests(result: ComparisonResult) -> pd.DataFrame:
    """Chi-square test of every pair of slices (columns :data:`PAIR_COLUMNS`)."""
    rows = []
    published = [(name, _top(p.published_frame()), p.n_in_area) for name, p in result.slices]
    for (an, a, na), (bn, b, nb) in itertools.combinations(published, 2):
        table = _pair_table(a, b, na, nb)
        level = str(a["level"].iloc[0])
        if table.shape[1] < 2:
            rows.append((an, bn, level, table.shape[1], np.nan, 0, np.nan))
            continue
        stat, p, dof, _ = chi2_contingency(table, correction=False)
        rows.append((an, bn, level, table.shape[1], float(stat), int(dof), float(p)))
    out = pd.DataFrame(rows, columns=list(PAIR_COLUMNS[:-1]))
    out["p_holm"] = holm(out["p_value"]) if len(out) else pd.Series(dtype=float)
    return out


def _periods(result: ComparisonResult) -> list[tuple[str, pd.DataFrame, int]]:
    return [(name, _top(p.published_frame()), p.n_in_area) for name, p in result.period_slices()]


def change_tests(result: ComparisonResult) -> pd.DataFrame:
    """Change of each group's index from the first to the last period (``--period``)."""
    periods = _periods(result)
    if result.kind != "period" or len(periods) < 2:
        return pd.DataFrame(columns=list(CHANGE_COLUMNS))
    (first, a, n1), (last, b, n2) = periods[0], periods[-1]
    rows = []
    ca, cb = (
        a["customers"].to_numpy(dtype=float, na_value=np.nan),
        b["customers"].to_numpy(dtype=float, na_value=np.nan),
    )
    ia, ib = a["index"].to_numpy(dtype=float), b["index"].to_numpy(dtype=float)
    for i in range(len(a)):
        if a["flag"].iat[i] not in SHOWN or b["flag"].iat[i] not in SHOWN:
            continue
        c1, c2 = float(ca[i]), float(cb[i])
        low, high = katz_ratio_interval(c2, n2, c1, n1, confidence=result.overall.confidence)
        table = np.array([[c1, n1 - c1], [c2, n2 - c2]])
        p = float(chi2_contingency(table, correction=False)[1]) if table.min() >= 0 else math.nan
        rows.append(
            (a["level"].iat[i], a["code"].iat[i], a["name"].iat[i], first, last, int(c1), int(c2),
             float(ia[i]), float(ib[i]), (c2 / n2) / (c1 / n1),
             float(low), float(high), p)
        )  # fmt: skip
    out = pd.DataFrame(rows, columns=list(CHANGE_COLUMNS[:-1]))
    out["p_holm"] = holm(out["p_value"]) if len(out) else pd.Series(dtype=float)
    return out


def _p(p: float) -> str:
    if not math.isfinite(p):
        return "p not known"
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def times_words(index: float, low: float, high: float) -> str:
    """``2.3× (1.9–2.8) as often`` from an index and its interval (direction-safe)."""
    r, lo, hi = index / 100, low / 100, high / 100
    if r >= 1:
        return f"{r:.1f}× ({lo:.1f}–{hi:.1f}) as often"
    percent = math.floor(100 - index + 0.5)
    return f"{r:.2f}× ({lo:.2f}–{hi:.2f}) as often, about {percent}% less often,"


def _solid(row: pd.Series) -> bool:
    return bool(row["customers"] >= SMALL_COUNT and row["base"] >= SMALL_BASE)


def _slice_findings(name: str, top: pd.DataFrame, base_name: str) -> list[str]:
    """The clearest over- and under-representation of one slice, with interval and count."""
    out = []
    shown = top[top["flag"].isin(["over", "under"])]
    solid = shown[shown.apply(_solid, axis=1)] if len(shown) else shown
    for flag, key, asc in (("over", "index_low", False), ("under", "index_high", True)):
        rows = solid[solid["flag"] == flag].sort_values(key, ascending=asc, kind="stable")
        if len(rows):
            r = rows.iloc[0]
            how = times_words(r["index"], r["index_low"], r["index_high"])
            out.append(
                f"{name} reaches {r['name']} {how}"
                f" as its share of the {base_name} suggests ({int(r['customers']):,} customers)."
            )
    return out


def findings(result: ComparisonResult) -> list[str]:
    """Plain-language findings: per slice, the pairs that differ, and the changes."""
    base = result.overall.base_name
    out: list[str] = []
    for name, prof in result.slices:
        out += _slice_findings(name, _top(prof.published_frame()), base)
    pairs = result.pairwise()
    differ = pairs[pairs["p_holm"] < 0.05]
    for r in differ.sort_values("p_value", kind="stable").head(10).to_dict("records"):
        out.append(
            f"The profiles of {r['a']} and {r['b']} differ (chi-square {r['chi2']:.1f}, "
            f"{r['df']} df, {_p(r['p_value'])}; Holm-adjusted {_p(r['p_holm'])})."
        )
    same = int((pairs["p_holm"] >= 0.05).sum())
    if same:
        out.append(f"{same} pair(s) of slices do not differ clearly (Holm-adjusted p ≥ 0.05).")
    out += _change_findings(result)
    return out


def _change_findings(result: ComparisonResult) -> list[str]:
    changes = result.changes()
    out = []
    significant = changes[changes["p_holm"] < 0.05].sort_values("p_value")
    for r in significant.to_dict("records"):
        verb = "rose" if r["ratio"] > 1 else "fell"
        small = min(r["customers_first"], r["customers_last"]) < SMALL_COUNT
        out.append(
            f"{r['name']}: index {verb} from {r['index_first']:.0f} in {r['first']} to "
            f"{r['index_last']:.0f} in {r['last']}, {r['ratio']:.2f}× ({r['ratio_low']:.2f}–"
            f"{r['ratio_high']:.2f}) its share, {_p(r['p_value'])} ({r['customers_first']:,} "
            f"and {r['customers_last']:,} customers)"
            + ("; treat with caution: few customers." if small else ".")
        )
    if result.kind == "period" and len(changes) and not out:
        out.append("No group's share changed clearly between the first and the last period.")
    return out
