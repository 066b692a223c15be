"""The perturbation table (ptable) of the cell key method, and how it is made.

A ptable says, for every cell value ``pcv`` (1 to 750) and cell key ``ckey`` (0 to
255), how much is added to the count (``pvalue``).  Ours is built from three documented
parameters, following the layout of ONS's cell key perturbation code:

- ``D = 3``: no count moves by more than 3;
- ``V = 1.0``: the noise has variance 1 wherever the other rules allow it (counts of 1
  to 3 need more; see below);
- ``JS = 2``: no perturbed count is 1 or 2 (a published count is 0 or at least 3), so a
  published small count never says "exactly one person";
- the noise has mean 0 for every cell value (unbiased), and among the distributions
  that meet these rules the one of maximum entropy is taken (Giessing 2016);
- probabilities are rounded to multiples of 1/256 (largest remainders) and laid out
  over the 256 cell keys in order of the perturbed value;
- the file stores runs of cell keys (``pcv, ckey_from, ckey_to, pvalue``).

Cell values above 750 use the row ``((value - 1) mod 250) + 501`` (as ONS's code does).
Zero cells hold no records and are never perturbed.

Regenerate the shipped file with::

    python -m oacinsight.profile.ptable      # writes profile/data/ptable_D3_V1_JS2.csv
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import minimize

from oacinsight.errors import OacInsightError

D, V, JS, MAX_PCV = 3, 1.0, 2, 750
PTABLE_FILE = "ptable_D3_V1_JS2.csv"

__all__ = ["PTABLE_FILE", "build_ptable", "compact", "load_ptable", "pcv"]


def _distribution(value: int) -> tuple[np.ndarray, np.ndarray]:
    """Perturbed values allowed for ``value`` and their maximum-entropy probabilities."""
    outcomes = np.array(
        [j for j in range(max(0, value - D), value + D + 1) if j == 0 or j > JS], dtype=float
    )
    if len(outcomes) == 1:
        return outcomes, np.ones(1)
    d = outcomes - value

    def neg_entropy(p: np.ndarray) -> float:
        q = np.clip(p, 1e-12, 1.0)
        return float(np.sum(q * np.log(q)))

    # the variance: V, or the least a zero-mean distribution on these outcomes allows
    low, high = d[d < 0], d[d > 0]
    floor = 0.0 if 0 in d else float(-low.max() * high.min()) if len(low) and len(high) else 0.0
    variance = max(V, floor)
    cons = [
        {"type": "eq", "fun": lambda p: p.sum() - 1.0},
        {"type": "eq", "fun": lambda p: p @ d},
        {"type": "eq", "fun": lambda p: p @ (d * d) - variance},
    ]
    start = np.full(len(d), 1.0 / len(d))
    res = minimize(
        neg_entropy,
        start,
        constraints=cons,
        bounds=[(0, 1)] * len(d),
        method="SLSQP",
        options={"ftol": 1e-12, "maxiter": 500},
    )
    if not res.success:
        raise OacInsightError(f"ptable: no distribution for cell value {value}: {res.message}")
    return outcomes, np.clip(res.x, 0, 1)


def _to_keys(probabilities: np.ndarray) -> np.ndarray:
    """How many of the 256 cell keys each outcome gets (largest remainders)."""
    raw = probabilities / probabilities.sum() * 256
    keys = np.floor(raw).astype(int)
    for i in np.argsort(-(raw - keys), kind="stable")[: 256 - keys.sum()]:
        keys[i] += 1
    return keys


def compact(table: pd.DataFrame) -> pd.DataFrame:
    """The ptable as runs of cell keys: ``pcv, ckey_from, ckey_to, pvalue`` (5,000 rows
    instead of 192,000; the shipped file)."""
    run = (table["pvalue"].diff().ne(0) | table["pcv"].diff().ne(0)).cumsum()
    grouped = table.groupby(run, sort=False)
    return pd.DataFrame(
        {
            "pcv": grouped["pcv"].first(),
            "ckey_from": grouped["ckey"].min(),
            "ckey_to": grouped["ckey"].max(),
            "pvalue": grouped["pvalue"].first(),
        }
    ).reset_index(drop=True)


def build_ptable() -> pd.DataFrame:
    """The ptable: columns ``pcv`` (1-750), ``ckey`` (0-255), ``pvalue``."""
    rows = []
    # from JS + D + 1 on every outcome is allowed and the distribution only shifts
    shapes = {v: _distribution(v) for v in range(1, JS + D + 2)}
    for value in range(1, MAX_PCV + 1):
        base = min(value, JS + D + 1)
        outcomes, p = shapes[base]
        noise = np.repeat(outcomes - base, _to_keys(p)).astype(int)
        rows.append(pd.DataFrame({"pcv": value, "ckey": np.arange(256), "pvalue": noise}))
    return pd.concat(rows, ignore_index=True)


def pcv(values: np.ndarray) -> np.ndarray:
    """The ptable row of each cell value (values above 750 wrap onto rows 501-750)."""
    v = np.asarray(values, dtype=np.int64)
    return np.where(v > MAX_PCV, (v - 1) % 250 + 501, v)


@lru_cache(maxsize=1)
def load_ptable() -> np.ndarray:
    """The shipped ptable as an array ``noise[pcv, ckey]`` (row 0 is all zeros)."""
    with resources.files("oacinsight.profile").joinpath("data", PTABLE_FILE).open() as fh:
        table = pd.read_csv(fh)
    noise = np.zeros((MAX_PCV + 1, 256), dtype=np.int64)
    cols = [table[c].to_numpy(dtype=np.int64) for c in ("pcv", "ckey_from", "ckey_to", "pvalue")]
    for value, lo, hi, p in zip(*cols, strict=True):
        noise[value, lo : hi + 1] = p
    return noise


def main() -> None:
    """Write the ptable beside this module."""
    out = Path(__file__).parent / "data" / PTABLE_FILE
    out.parent.mkdir(exist_ok=True)
    compact(build_ptable()).to_csv(out, index=False)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
