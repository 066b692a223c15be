"""Coverage of the profile's 95% index intervals at small and large counts.

A profile of 52 groups (the 2021 OAC subgroup count) with a known base and a known
propensity per group; customers are drawn as a multinomial sample of ``n``; coverage is
the share of draws whose interval contains the true index.  For each ``n`` it prints,
for Wilson and for Clopper-Pearson (the interval ``compute_profile`` uses for a Census
base):

- pooled coverage over all groups and the worst group;
- pooled coverage by the group's expected count (n × true share): below 1, 1-5, 5-10,
  10-30, 30 and over;
- the same, over *published* cells only (count >= 10, the primary suppression rule; the
  audit hides a few more, which this does not model).

Run from the repository root (numbers go in docs/profile.md)::

    PYTHONPATH=src python benchmarks/coverage.py [--draws 4000] [--seed 2026]
"""

from __future__ import annotations

import argparse

import numpy as np

from oacinsight.profile.stats import clopper_pearson_interval, wilson_interval

SIZES = (50, 200, 2_000, 20_000)
BANDS = ((0, 1), (1, 5), (5, 10), (10, 30), (30, np.inf))
METHODS = {"Wilson": wilson_interval, "Clopper-Pearson": clopper_pearson_interval}


def world(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """True customer shares and base shares of 52 groups (base shares 0.1% to 10%)."""
    rng = np.random.default_rng(seed)
    base = np.exp(rng.normal(0, 1.0, 52))
    base_share = base / base.sum()
    propensity = np.exp(rng.normal(0, 0.7, 52))
    share = base_share * propensity / (base_share * propensity).sum()
    return share, base_share


def coverage(n: int, draws: int, seed: int, method: str) -> dict[str, object]:
    """Coverage of one method at one file size."""
    share, _ = world(seed)
    rng = np.random.default_rng(seed + n)
    x = rng.multinomial(n, share, size=draws)
    low, high = METHODS[method](x, n)
    hit = (low <= share) & (share <= high)
    published = x >= 10
    expected = n * share
    out: dict[str, object] = {
        "pooled": hit.mean(), "worst": hit.mean(axis=0).min(),
    }
    pub_hits = np.where(published, hit, np.nan)
    enough = published.sum(axis=0) >= 50
    out["pub_pooled"] = np.nanmean(pub_hits) if published.any() else np.nan
    out["pub_worst"] = (np.nanmean(pub_hits[:, enough], axis=0).min()
                        if enough.any() else np.nan)
    for lo, hi in BANDS:
        cols = (expected >= lo) & (expected < hi)
        out[f"band {lo}-{hi}"] = hit[:, cols].mean() if cols.any() else np.nan
        pub = pub_hits[:, cols]
        out[f"pub band {lo}-{hi}"] = (np.nanmean(pub) if cols.any() and
                                      np.isfinite(pub).any() else np.nan)
    return out


def _pct(value: object) -> str:
    v = float(value)  # type: ignore[arg-type]
    return "–" if not np.isfinite(v) else f"{100 * v:.1f}%"


def table(draws: int, seed: int) -> str:
    """The coverage table as Markdown."""
    bands = [f"{lo}–{hi:g}" if np.isfinite(hi) else f"≥{lo}" for lo, hi in BANDS]
    head = ("| n | interval | cells | pooled | worst group | "
            + " | ".join(f"E {b}" for b in bands) + " |")
    lines = [head, "|" + "---|" * (5 + len(bands))]
    for n in SIZES:
        for method in METHODS:
            res = coverage(n, draws, seed, method)
            for label, prefix in (("all", ""), ("published", "pub_")):
                band_prefix = "pub band" if prefix else "band"
                cells = [_pct(res[f"{band_prefix} {lo}-{hi}"]) for lo, hi in BANDS]
                lines.append(f"| {n:,} | {method} | {label} | {_pct(res[prefix + 'pooled'])} "
                             f"| {_pct(res[prefix + 'worst'])} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    print(f"95% intervals; 52 groups; {args.draws:,} draws per file size; seed {args.seed}. "
          "E: expected count band. '–': no cell in that band.")
    print(table(args.draws, args.seed))


if __name__ == "__main__":
    main()
