"""Statistical disclosure control for published profile tables.

One pattern per dataset: the cells to hide are chosen once, on the whole nested table
(supergroups, groups, subgroups and the total), and every output made from it shows a
subset of that one pattern, so outputs cannot be differenced against each other.

*Primary suppression* hides every count below the threshold, **zeros included** (a
blank then means "any count from 0 up", and a shown zero cannot tell an attacker that
the hidden cells beside it are at least 1).  *Secondary suppression* then audits the
table as an attacker would (integer linear programming over every shown number and the
published total, :mod:`oacinsight.profile.audit`) and hides further cells until every
hidden cell can still take at least four values.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from oacinsight.errors import OacInsightError
from oacinsight.profile.audit import Hierarchy, protect

#: Columns blanked in published output for suppressed rows.
SUPPRESSED_COLUMNS: tuple[str, ...] = (
    "customers",
    "customer_pct",
    "index",
    "index_low",
    "index_high",
    "z",
    "penetration_per_1000",
)

#: The ``flag`` value of a suppressed row.
SUPPRESSED_FLAG = "suppressed"

__all__ = [
    "MIN_WIDTH",
    "SUPPRESSED_COLUMNS",
    "SUPPRESSED_FLAG",
    "published_counts",
    "published_frame",
    "suppression_mask",
    "suppression_pattern",
]


#: The width every hidden cell's feasible range must reach: ``high - low >= 3``, that is
#: at least four possible values.
MIN_WIDTH = 3


def _check(counts: pd.Series, threshold: int) -> np.ndarray:
    if isinstance(threshold, bool) or not isinstance(threshold, (int, np.integer)) or threshold < 0:
        raise OacInsightError(f"suppression threshold must be a whole number >= 0: {threshold!r}")
    values = pd.to_numeric(counts, errors="coerce").to_numpy(dtype=float)
    if np.isnan(values).any() or (values < 0).any():
        raise OacInsightError("counts to suppress must be present and not negative")
    return values


def _is_flat(hierarchy: Hierarchy) -> bool:
    """One level of cells adding up to the total, nothing nested."""
    return len(hierarchy.levels) == 1 and bool((hierarchy.parent < 0).all())


def _protect_flat(values: np.ndarray, hidden: np.ndarray) -> tuple[np.ndarray, list[int]]:
    """The audit of one level, worked out directly.

    With ``h`` hidden cells adding up to ``S`` (the published total minus the shown
    cells), each hidden cell can be anything from 0 to ``S`` when ``h >= 2`` (all of
    ``S`` in one cell, none in the others), and is known exactly when ``h = 1``.  So
    hide the smallest shown cell until ``h >= 2`` and ``S >= MIN_WIDTH``.
    """
    hidden = hidden.copy()
    total = values.sum()
    while True:
        room = total - values[~hidden].sum()
        if hidden.sum() >= 2 and room >= MIN_WIDTH:
            return hidden, []
        shown = np.flatnonzero(~hidden)
        if not len(shown):
            return hidden, np.flatnonzero(hidden).tolist()
        hidden[shown[np.argmin(values[shown])]] = True  # first of equals


def _pattern(
    values: np.ndarray, threshold: int, hierarchy: Hierarchy | None
) -> tuple[np.ndarray, list[int]]:
    """Primary then secondary suppression of one table; the hidden cells and the
    positions of those that could not be protected.

    A cell is left unprotected only when every cell it is related to is already
    hidden and the total itself is below :data:`MIN_WIDTH` (a file of 0 to 2 records).
    """
    if hierarchy is None:
        hierarchy = Hierarchy.flat(len(values))
    if hierarchy.members.shape[0] != len(values):
        raise OacInsightError("the hierarchy must have one cell per count")
    hidden = values < threshold if threshold > 1 else np.zeros(len(values), dtype=bool)
    if not hidden.any():
        return hidden, []
    if _is_flat(hierarchy):
        return _protect_flat(values, hidden)
    if not hierarchy.consistent(values):
        rank = [int(r) for r in hierarchy.level_rank]
        hierarchy = Hierarchy.nested(rank, [-1] * len(values))
    return protect(values, hidden, hierarchy, min_width=MIN_WIDTH)


def _by_sets(
    values: np.ndarray, sets: Sequence[Iterable[Hashable]], threshold: int
) -> tuple[np.ndarray, list[int]]:
    """Each set of cells adding up to a published total protected on its own (as a flat
    table with its total shown); a cell is hidden when any of its sets hides it (hiding
    more never narrows what an attacker can infer)."""
    if len(sets) != len(values):
        raise OacInsightError("the sets must name one tuple of set ids per count")
    members: dict[Hashable, list[int]] = {}
    for pos, ids in enumerate(sets):
        for set_id in ids:
            members.setdefault(set_id, []).append(pos)
    hide = np.zeros(len(values), dtype=bool)
    unprotected: set[int] = set()
    for positions in members.values():
        part = values[positions]
        if threshold <= 1 or (part >= threshold).all():
            continue  # nothing below the threshold: nothing to hide in this set
        found, lost = _pattern(part, threshold, None)
        hide[positions] |= found
        unprotected.update(positions[i] for i in lost)
    return hide, sorted(unprotected)


def suppression_mask(
    counts: pd.Series,
    *,
    threshold: int = 10,
    hierarchy: Hierarchy | None = None,
    sets: Sequence[Iterable[Hashable]] | None = None,
) -> pd.Series:
    """Which counts to hide before publishing: the one suppression rule of oacinsight.

    Every feature (profile, map, survey, need) calls this function to decide its hidden
    cells.  *Primary*: counts from 0 to ``threshold - 1`` are hidden, zeros included.
    *Secondary*: further cells are hidden until every hidden cell can take at least four
    values given every shown cell and the published totals (audited as an attacker
    would, :mod:`oacinsight.profile.audit`).

    Parameters
    ----------
    counts : pandas.Series
        Non-negative counts (customers, respondents, observed people per cell).
    threshold : int, default 10
        Counts from 0 to ``threshold - 1`` are hidden; ``0`` or ``1`` turns
        suppression off.
    hierarchy : Hierarchy, optional
        How the cells nest and add up (:func:`oacinsight.profile.stats.table_hierarchy`):
        the profile's whole table, audited jointly.
    sets : sequence of tuples, optional
        Instead of a hierarchy: per count, the ids of the sets of cells that add up to a
        published total (e.g. the OAs of an LSOA, the LSOAs of a district); each set is
        protected on its own.  With neither, the cells are one set adding up to a
        published total.

    Returns
    -------
    pandas.Series
        Booleans with the index of ``counts``; True means hide.  ``attrs["unprotected"]``
        lists the positions of hidden cells that could not be protected (every related
        cell hidden and a total below 3).

    Raises
    ------
    OacInsightError
        For a negative threshold, missing or negative counts, or both ``hierarchy`` and
        ``sets``.
    """
    values = _check(counts, threshold)
    if hierarchy is not None and sets is not None:
        raise OacInsightError("give the cells' hierarchy or their sets, not both")
    if sets is not None:
        hidden, unprotected = _by_sets(values, list(sets), int(threshold))
    else:
        hidden, unprotected = _pattern(values, int(threshold), hierarchy)
    mask = pd.Series(hidden, index=counts.index, dtype=bool, name="suppressed")
    mask.attrs["unprotected"] = list(unprotected)
    return mask


def suppression_pattern(
    counts: pd.Series, *, threshold: int = 10, hierarchy: Hierarchy | None = None
) -> tuple[pd.Series, list[int]]:
    """Deprecated: :func:`suppression_mask` and its ``attrs["unprotected"]``."""
    mask = suppression_mask(counts, threshold=threshold, hierarchy=hierarchy)
    return mask, list(mask.attrs["unprotected"])


def published_frame(table: pd.DataFrame) -> pd.DataFrame:
    """A copy of a profile table that is safe to publish.

    Rows flagged ``suppressed`` have :data:`SUPPRESSED_COLUMNS` blanked (NA); their
    ``level``, ``code``, ``name``, ``base``, ``base_pct`` and ``flag`` stay.

    Parameters
    ----------
    table : pandas.DataFrame
        Output of :func:`oacinsight.profile.compute_profile`.

    Returns
    -------
    pandas.DataFrame
        The copy, with ``customers`` as a nullable integer column.
    """
    out = table.copy()
    if "flag" not in out.columns:
        raise OacInsightError("not a profile table: it has no 'flag' column")
    hide = (out["flag"] == SUPPRESSED_FLAG).to_numpy(dtype=bool)
    for column in SUPPRESSED_COLUMNS:
        if column not in out.columns:
            continue
        if column == "customers":
            out[column] = out[column].astype("Int64")
            out.loc[hide, column] = pd.NA
        else:
            out[column] = out[column].astype(float)
            out.loc[hide, column] = np.nan
    return out


def published_counts(counts: Mapping[str, int], *, threshold: int = 10) -> dict[str, int | None]:
    """Counts of customers that add up to a total published beside them (rows not
    matched, by status: their total is rows read minus rows matched; customers in each
    district left out of the area), as published: the one rule of
    :func:`suppression_mask` on them as one flat set, so counts below ``threshold``
    (zeros included) are None, and further counts are hidden until no hidden count can
    be worked out from the total and the shown ones."""
    if not counts:
        return {}
    names = [str(k) for k in counts]
    values = [int(v) for v in counts.values()]
    hide = suppression_mask(pd.Series(values, dtype="int64"), threshold=threshold).tolist()
    return {k: (None if h else v) for k, v, h in zip(names, values, hide, strict=True)}
