"""Statistical disclosure control for published profile tables.

Primary suppression hides every non-zero count below a threshold (zero is shown: a
zero says nobody, it does not single anybody out).  Secondary suppression makes sure a
hidden count cannot be recovered by subtracting the shown counts from a published
total: in every set of cells that add up to a total, if exactly one cell is hidden,
the next smallest cell in that set is hidden too, and this repeats across overlapping
sets (levels and parent/children families) until nothing changes.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import Any

import numpy as np
import pandas as pd

from oacinsight.errors import OacInsightError

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
    "SUPPRESSED_COLUMNS",
    "SUPPRESSED_FLAG",
    "published_frame",
    "suppression_mask",
]


def _set_ids(value: Any) -> tuple[Hashable, ...]:
    """Set ids of one cell: a scalar id, or a list/tuple/set of ids (sets sorted)."""
    if isinstance(value, (set, frozenset)):
        return tuple(sorted(value, key=repr))
    if isinstance(value, (list, tuple)):
        return tuple(value)
    return (value,)


def _members(n: int, groups: pd.Series | None) -> list[list[int]]:
    """Positions of the cells of each set, smallest sets first, then by position.

    Working from the smallest sets (a parent and its children) outwards tends to hide
    a sibling rather than a cell elsewhere, and the fixed order makes the result
    independent of hashing.
    """
    if groups is None:
        return [list(range(n))]
    if len(groups) != n:
        raise OacInsightError("groups must have one entry per count")
    sets: dict[Hashable, list[int]] = {}
    for pos, value in enumerate(groups.tolist()):
        for set_id in _set_ids(value):
            sets.setdefault(set_id, []).append(pos)
    return sorted(sets.values(), key=lambda members: (len(members), members[0]))


def _next_to_hide(values: np.ndarray, hidden: np.ndarray, members: Iterable[int]) -> int | None:
    """The smallest shown non-zero cell of a set, else its smallest shown cell."""
    shown = [p for p in members if not hidden[p]]
    if not shown:
        return None
    non_zero = [p for p in shown if values[p] > 0]
    pool = non_zero or shown
    return min(pool, key=lambda p: (values[p], p))


def suppression_mask(
    counts: pd.Series, *, threshold: int = 10, groups: pd.Series | None = None
) -> pd.Series:
    """Which counts to hide before publishing: primary plus secondary suppression.

    Parameters
    ----------
    counts : pandas.Series
        Non-negative counts (customers per group).
    threshold : int, default 10
        Counts with ``0 < count < threshold`` are hidden (primary).  Zero is shown.
        ``0`` or ``1`` turns suppression off.
    groups : pandas.Series, optional
        Which sets of cells add up to a published total, aligned with ``counts`` by
        position.  Each entry is one set id, or a list/tuple/(frozen)set of ids for a
        cell in several sets (e.g. its level and its parent's family).  None: all
        cells form one set.

    Returns
    -------
    pandas.Series
        Booleans with the index of ``counts``; True means hide.

    Raises
    ------
    OacInsightError
        For a negative threshold, or missing or negative counts.
    """
    if isinstance(threshold, bool) or not isinstance(threshold, (int, np.integer)) or threshold < 0:
        raise OacInsightError(f"suppression threshold must be a whole number >= 0: {threshold!r}")
    values = pd.to_numeric(counts, errors="coerce").to_numpy(dtype=float)
    if np.isnan(values).any() or (values < 0).any():
        raise OacInsightError("counts to suppress must be present and not negative")
    hidden = (values > 0) & (values < threshold)
    if hidden.any():
        sets = _members(len(values), groups)
        changed = True
        while changed:
            changed = False
            for members in sets:
                if int(hidden[members].sum()) != 1:
                    continue
                extra = _next_to_hide(values, hidden, members)
                if extra is not None:
                    hidden[extra] = True
                    changed = True
    return pd.Series(hidden, index=counts.index, dtype=bool, name="suppressed")


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
