"""Assign areas to the tiers of a fitted classification: census counts (or rates) →
the rates, transform and standardisation learned at fit → the nearest supergroup
centre, then the nearest group centre *within that supergroup*, then the nearest
subgroup centre within that group (the nesting of :mod:`oacinsight.build.tiers`).

For the areas the classification was fitted on this gives back their codes: each
fit's labels are the nearest of its final centres.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from oacinsight.build.kmeans import nearest_two
from oacinsight.build.prepare import RateTransformer, rates
from oacinsight.build.spec import BuildSpecError, Spec
from oacinsight.build.tiers import TIER_NAMES

__all__ = ["assign_counts", "assign_matrix", "assign_rates"]


def assign_matrix(z: np.ndarray, centres: pd.DataFrame, variables: list[str]) -> pd.DataFrame:
    """Codes per tier and the squared distance to the finest centre, for the rows of
    the standardised matrix ``z`` (columns ``variables``, as in ``centres``)."""
    tiers = [t for t in TIER_NAMES if (centres["tier"] == t).any()]
    out: dict[str, np.ndarray] = {}
    distance = np.zeros(len(z))
    parents = np.full(len(z), "", dtype=object)
    for tier in tiers:
        codes = np.empty(len(z), dtype=object)
        level = centres[centres["tier"] == tier]
        for parent in pd.unique(parents):
            rows = np.flatnonzero(parents == parent)
            options = level[level["parent"].fillna("").astype(str) == parent]
            if options.empty:
                raise BuildSpecError(f"no {tier} centres under {parent or 'the top tier'}")
            label, d1, _ = nearest_two(z[rows], options[variables].to_numpy(dtype="float64"))
            codes[rows] = options["code"].astype(str).to_numpy()[label]
            distance[rows] = d1
        out[tier] = codes
        parents = codes
    frame = pd.DataFrame(out)
    frame["distance"] = distance
    return frame


def assign_rates(
    frame: pd.DataFrame, scaler: RateTransformer, centres: pd.DataFrame
) -> pd.DataFrame:
    """``oa``, codes per tier and distance for rates (index ``oa``, one column per
    variable of the spec) through the fitted ``scaler``."""
    z = scaler.transform(frame)
    out = assign_matrix(z, centres, scaler.kept)
    out.insert(0, "oa", [str(i) for i in frame.index])
    return out


def assign_counts(
    counts: pd.DataFrame, spec: Spec, scaler: RateTransformer, centres: pd.DataFrame
) -> pd.DataFrame:
    """The same from census counts (``oa`` plus the spec's cells), rated as at fit."""
    missing = sorted({c for v in spec.variables for c in v.cells} - set(counts.columns))
    if "oa" not in counts.columns or missing:
        need = ", ".join((["oa"] if "oa" not in counts.columns else []) + missing[:5])
        raise BuildSpecError(f"the census counts lack the column(s) {need}")
    raw, _ = rates(counts, spec)
    bad = raw.isna().any(axis=1)
    if bad.any():
        raise BuildSpecError(
            f"{int(bad.sum())} area(s) lack counts for some variables "
            f"(first: {raw.index[bad.to_numpy()][0]})"
        )
    return assign_rates(raw, scaler, centres)
