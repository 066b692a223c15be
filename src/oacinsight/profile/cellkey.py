"""The cell key method (perturbation), the alternative to suppression.

Each customer record carries a fixed record key (0-255, :mod:`oacinsight.store.cellkeys`);
a cell's key is the sum of its records' keys mod 256, and the perturbation table
(:mod:`oacinsight.profile.ptable`) says what to add to a count with that key.  The same
records always make the same cell key, so the same cell gets the same value in every
output, whichever level or selection it appears in; differencing two outputs gives a
noisy answer, not a hidden count.  The total is perturbed as a cell in its own right.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from oacinsight.errors import OacInsightError
from oacinsight.profile.ptable import PTABLE_FILE, load_ptable, pcv

#: The disclosure methods of a profile.
DISCLOSURE_METHODS: tuple[str, ...] = ("suppress", "cellkey")

__all__ = ["DISCLOSURE_METHODS", "describe", "perturb", "perturb_counts"]


def perturb(values: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Perturbed counts: ``value + ptable[pcv(value), key]``; zeros stay zero."""
    v = np.asarray(values, dtype=np.int64)
    k = np.asarray(keys, dtype=np.int64)
    if (v < 0).any() or (k < 0).any() or (k > 255).any():
        raise OacInsightError("cell key perturbation needs counts >= 0 and keys 0-255")
    out = v + load_ptable()[pcv(v), k]
    return np.where(v == 0, 0, out)


def perturb_counts(counts: pd.DataFrame, n_in_area: int) -> tuple[pd.DataFrame, int]:
    """``compute_profile`` input with perturbed customers, and the perturbed total.

    ``counts`` needs a ``cell_key`` column (0-255, NA for a cell with no customers).
    The total's key is the sum of the top level's keys mod 256 (its records are theirs).
    """
    if "cell_key" not in counts.columns:
        raise OacInsightError("cell key perturbation needs a cell_key column in the counts")
    out = counts.copy()
    keys = pd.to_numeric(out["cell_key"], errors="coerce").fillna(0).astype("int64")
    values = pd.to_numeric(out["customers"]).astype("int64")
    if ((values > 0) & out["cell_key"].isna()).any():
        raise OacInsightError("a cell with customers has no cell key")
    out["customers"] = perturb(values.to_numpy(), keys.to_numpy())
    top = out["level"].astype(str).map({"supergroup": 0, "group": 1, "subgroup": 2})
    total_key = int(keys[top == top.min()].sum() % 256)
    total = int(perturb(np.array([n_in_area]), np.array([total_key]))[0])
    return out.drop(columns=["cell_key"]), total


def describe(method: str, suppress_below: int) -> str:
    """One sentence naming the disclosure control applied (for every output)."""
    if method == "cellkey":
        return (
            "cell key perturbation (the method ONS used for Census 2021): every count, "
            f"the total included, has small noise added from the perturbation table "
            f"{PTABLE_FILE} (at most ±3, mean 0; no published count is 1 or 2; zeros stay "
            "zero); the same records always get the same noise, so differencing outputs "
            "gains nothing; nothing is hidden"
        )
    if suppress_below <= 1:
        return "none: every count is shown (suppression turned off)"
    return (
        f"suppression: counts from 0 to {suppress_below - 1} are hidden, and further "
        "cells are hidden until no hidden count can be narrowed to fewer than 4 possible "
        "values from everything published (one pattern for all levels of this file)"
    )
