"""Coverage of the profile's 95% index intervals at small and large counts.

A profile of 52 groups (the 2021 OAC subgroup count) with a known base and a known
propensity per group; a file of ``n`` customers is a multinomial sample, so each
group's count is Binomial(n, true share).  Coverage (the chance that the interval
contains the true index) is computed *exactly*, by summing the binomial probabilities
of the counts whose interval covers the truth, so the table has no simulation noise
(``tests/test_profile_simulation.py`` checks it by simulation).  For each ``n`` and
interval it prints:

- pooled coverage over the 52 groups and the worst group;
- the pooled coverage of the groups whose expected count (n × true share) is below 1,
  1-5, 5-10, 10-30, 30 and over;
- the same over *published* cells only, i.e. given that the count reached 10 (the
  primary suppression rule; the audit hides a few more cells, not modelled here).

Intervals: Wilson (used before), Clopper-Pearson, and what ``compute_profile``
publishes under suppression: Clopper-Pearson of the binomial truncated to X >= 10 for a
published count (:mod:`oacinsight.profile.intervals`).

Run from the repository root (the table is in docs/profile.md)::

    PYTHONPATH=src python benchmarks/coverage.py [--seed 2026]
"""

from __future__ import annotations

import argparse

import numpy as np
from scipy.stats import binom

from oacinsight.profile.intervals import truncated_clopper_pearson
from oacinsight.profile.stats import clopper_pearson_interval, wilson_interval

SIZES = (50, 200, 2_000, 20_000)
BANDS = ((0, 1), (1, 5), (5, 10), (10, 30), (30, np.inf))
THRESHOLD = 10


def _published_interval(x: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    low, high = clopper_pearson_interval(x, n)
    return truncated_clopper_pearson(x, np.full(x.shape, n), THRESHOLD, low, high)


METHODS = {
    "Wilson": wilson_interval,
    "Clopper-Pearson": clopper_pearson_interval,
    "published (truncated C-P)": _published_interval,
}


def world(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """True customer shares and base shares of 52 groups (base shares 0.1% to 10%)."""
    rng = np.random.default_rng(seed)
    base = np.exp(rng.normal(0, 1.0, 52))
    base_share = base / base.sum()
    propensity = np.exp(rng.normal(0, 0.7, 52))
    share = base_share * propensity / (base_share * propensity).sum()
    return share, base_share


def _group(n: int, p: float, method: str) -> tuple[float, float]:
    """Exact coverage of one group: all counts, and counts of at least 10."""
    lo_x, hi_x = int(binom.ppf(1e-12, n, p)), int(binom.isf(1e-12, n, p))
    x = np.arange(max(lo_x - 1, 0), min(hi_x + 1, n) + 1)
    pmf = binom.pmf(x, n, p)
    low, high = METHODS[method](x, n)
    hit = (low <= p) & (p <= high)
    published = x >= THRESHOLD
    mass = pmf[published].sum()
    return float(pmf[hit].sum()), (
        float(pmf[hit & published].sum() / mass) if mass > 1e-9 else np.nan
    )


def coverage(n: int, seed: int, method: str) -> dict[str, object]:
    """Coverage of one method at one file size."""
    share, _ = world(seed)
    pairs = np.array([_group(n, float(p), method) for p in share])
    every, published = pairs[:, 0], pairs[:, 1]
    expected = n * share
    out: dict[str, object] = {
        "pooled": every.mean(),
        "worst": every.min(),
        "pub_pooled": np.nanmean(published),
        "pub_worst": np.nanmin(published),
    }
    for lo, hi in BANDS:
        cols = (expected >= lo) & (expected < hi)
        out[f"band {lo}-{hi}"] = every[cols].mean() if cols.any() else np.nan
        pub = published[cols]
        out[f"pub band {lo}-{hi}"] = np.nanmean(pub) if np.isfinite(pub).any() else np.nan
    return out


def _pct(value: object) -> str:
    v = float(value)  # type: ignore[arg-type]
    return "–" if not np.isfinite(v) else f"{100 * v:.1f}%"


def table(seed: int) -> str:
    """The coverage table as Markdown."""
    bands = [f"{lo}–{hi:g}" if np.isfinite(hi) else f"≥{lo}" for lo, hi in BANDS]
    head = (
        "| n | interval | cells | pooled | worst group | "
        + " | ".join(f"E {b}" for b in bands)
        + " |"
    )
    lines = [head, "|" + "---|" * (5 + len(bands))]
    for n in SIZES:
        for method in METHODS:
            res = coverage(n, seed, method)
            pairs = (("all", ""), ("published", "pub_"))
            for label, prefix in pairs[1:] if method.startswith("published") else pairs:
                band_prefix = "pub band" if prefix else "band"
                cells = [_pct(res[f"{band_prefix} {lo}-{hi}"]) for lo, hi in BANDS]
                lines.append(
                    f"| {n:,} | {method} | {label} | {_pct(res[prefix + 'pooled'])} "
                    f"| {_pct(res[prefix + 'worst'])} | " + " | ".join(cells) + " |"
                )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    print(
        f"95% intervals; 52 groups; exact binomial coverage; seed {args.seed}. "
        "E: expected count band. '–': no cell in that band."
    )
    print(table(args.seed))


if __name__ == "__main__":
    main()
