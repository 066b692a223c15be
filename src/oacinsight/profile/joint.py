"""One disclosure pattern for a profile split into slices (``--by`` / ``--period``).

Every in-area customer is in exactly one slice, so each cell of the overall profile is
the sum of the same cell over the slices, and each slice's total is published.  A reader
holding the overall profile and every slice could difference them; the pattern is
therefore chosen on the joint table (docs/profile.md, "Profiles by a column"):

- the unknowns (*atoms*) are the counts of each slice in each leaf cell (subgroup);
- published cells are sums of atoms: every cell of every slice, every slice's total
  and every cell of the overall profile; the atoms add up to the published total;
- the overall profile keeps its own pattern (it is safe alone and identical to a plain
  ``profile`` of the file), and the slice totals are shown;
- every slice cell below the threshold is hidden (zeros too); a fast start
  (:func:`_top_down`) hides more, level by level, so that every block and column with a
  shown total has at least two hidden cells with room; then
  :func:`oacinsight.profile.audit.protect_sums` hides more slice cells until every
  hidden cell of the slices and of the overall profile can take at least four values.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from oacinsight.errors import OacInsightError
from oacinsight.oac import LEVELS
from oacinsight.profile.audit import Hierarchy, protect, protect_sums
from oacinsight.profile.stats import (
    OUTPUT_COLUMNS,
    _flags,
    _level_table,
    _validated,
    table_hierarchy,
)
from oacinsight.profile.suppress import MIN_WIDTH, SUPPRESSED_FLAG

__all__ = ["JointPattern", "joint_pattern", "slice_table", "with_pattern"]


class JointPattern:
    """Hidden cells of each slice (rows aligned with the overall table) and how the
    pattern was reached."""

    def __init__(self, hidden: list[np.ndarray], fallback: bool) -> None:
        self.hidden = hidden
        self.fallback = fallback


def _hierarchy(overall: pd.DataFrame) -> Hierarchy:
    """How the overall table's cells add up (each slice has the same cells)."""
    return table_hierarchy(overall[["level", "code"]].assign(parent=None))


def _joint_matrix(members: np.ndarray, n_slices: int) -> np.ndarray:
    """Rows: slice cells (slice by slice), slice totals, overall cells; columns: atoms."""
    leaves = members.shape[1]
    eye = np.eye(n_slices)
    slice_cells = np.kron(eye, members)
    totals = np.kron(eye, np.ones((1, leaves)))
    overall = np.tile(members, (1, n_slices))
    return np.vstack([slice_cells, totals, overall])


def _columns(
    values: np.ndarray, hidden: np.ndarray, overall: np.ndarray, shown: np.ndarray, h: Hierarchy
) -> bool:
    """Hide more slice cells so that no overall cell shown pins a hidden slice cell.

    ``values`` and ``hidden`` are ``slices × cells``.  For a shown overall cell, the
    hidden slice cells below it add up to the overall value less the shown ones: one
    hidden cell alone would be known, and together they need room for four values.
    The cell hidden is, by preference, in a slice that already hides a sibling of it
    (the hidden cells then form a cycle and no further cell is needed), smallest first.
    Returns True when a cell was hidden.
    """
    changed = False
    for v in np.flatnonzero(shown):
        siblings = np.flatnonzero((h.parent == h.parent[v]) & (h.level_rank == h.level_rank[v]))
        siblings = siblings[siblings != v]
        while True:
            col = hidden[:, v]
            room = overall[v] - values[~col, v].sum()
            if col.sum() == 0 or (col.sum() >= 2 and room >= MIN_WIDTH):
                break
            free = np.flatnonzero(~col)
            if not len(free):
                break
            cycle = hidden[np.ix_(free, siblings)].any(axis=1) if len(siblings) else free < 0
            pick = free[np.lexsort((values[free, v], ~cycle))[0]]
            hidden[pick, v] = changed = True
    return changed


def _heuristic(
    values: np.ndarray, hidden: np.ndarray, overall: np.ndarray, shown: np.ndarray, h: Hierarchy
) -> np.ndarray:
    """A common pattern for every slice: a cell hidden in one slice is hidden in all,
    and each slice is safe alone (the profile audit); repeated until stable.

    With the same cells hidden in every slice, the hidden cells of a column (one group
    across the slices) number at least two and add up to the overall count, and those of
    two sibling groups form cycles across slices, so the joint audit that follows rarely
    needs to hide more.  Then :func:`_columns` tops up any column still too narrow.
    """
    common = np.asarray(hidden.any(axis=0), dtype=bool)
    for _ in range(20):
        grown = common.copy()
        for s in range(len(values)):
            if common.any():
                grown |= protect(values[s], common, h, min_width=MIN_WIDTH)[0]
        if (grown == common).all():
            break
        common = grown
    out = np.tile(common, (len(values), 1))
    _columns(values, out, overall, shown, h)
    return out


def _hide_one(
    hidden: np.ndarray, values: np.ndarray, cells: list[tuple[int, int]], partner: np.ndarray
) -> bool:
    """Hide the best of ``cells`` (``(slice, cell)`` pairs that are shown): one where
    ``partner`` is True (it closes a cycle of hidden cells), smallest first."""
    free = [(s, v) for s, v in cells if not hidden[s, v]]
    if not free:
        return False
    s, v = min(free, key=lambda sv: (not partner[sv], values[sv], sv))
    hidden[s, v] = True
    return True


def _blocks(out: np.ndarray, values: np.ndarray, level: np.ndarray, h: Hierarchy) -> bool:
    """One pass over the blocks of a level (a slice's children of one parent)."""
    changed = False
    col_hidden = np.asarray(out.any(axis=0), dtype=bool)
    for s in range(len(values)):
        for p in sorted(set(h.parent[level].tolist())):
            kids = level[h.parent[level] == p]
            block = out[s, kids]
            top = values[s, p] if p >= 0 else values[s, level].sum()
            room = top - values[s, kids[~block]].sum()
            if p >= 0 and out[s, p]:
                need = not block.any()  # a hidden parent needs a hidden child
            else:
                need = block.sum() == 1 or (block.sum() >= 2 and room < MIN_WIDTH)
            if need:
                partner = np.zeros_like(out)
                partner[s, kids] = col_hidden[kids]
                changed |= _hide_one(out, values, [(s, int(v)) for v in kids], partner)
    return changed


def _level_columns(
    out: np.ndarray, values: np.ndarray, overall: np.ndarray, shown: np.ndarray,
    level: np.ndarray, h: Hierarchy,
) -> bool:  # fmt: skip
    """One pass over the columns of a level whose overall count is shown."""
    changed = False
    for v in level[shown[level]]:
        col = out[:, v]
        room = overall[v] - values[~col, v].sum()
        if col.sum() == 1 or (col.sum() >= 2 and room < MIN_WIDTH):
            sib = level[h.parent[level] == h.parent[v]]
            partner = np.zeros_like(out)
            partner[:, v] = out[:, sib].any(axis=1)
            changed |= _hide_one(out, values, [(s, int(v)) for s in range(len(values))], partner)
    return changed


def _top_down(
    values: np.ndarray, hidden: np.ndarray, overall: np.ndarray, shown: np.ndarray, h: Hierarchy
) -> np.ndarray:
    """Level by level from the top, never hiding a parent: in every block (a slice's
    children of one parent) and every column (one group across the slices) whose total
    is shown, at least two hidden cells adding up to at least 3, preferring cells that
    close a cycle (their column, or their block, already has a hidden cell); a hidden
    parent gets at least one hidden child.  A fast start; the joint audit has the last
    word."""
    out = hidden.copy()
    for level in h.levels:
        for _ in range(200):
            changed = _blocks(out, values, level, h)
            changed |= _level_columns(out, values, overall, shown, level, h)
            if not changed:
                break
    return out


def joint_pattern(
    overall: pd.DataFrame, slices: list[pd.DataFrame], threshold: int
) -> JointPattern:
    """The hidden cells of each slice, audited jointly with the overall table.

    Parameters
    ----------
    overall : pandas.DataFrame
        The overall profile's full table (all levels; ``flag`` holds its own pattern).
    slices : list of pandas.DataFrame
        Each slice's full table, rows in the order of ``overall``.
    threshold : int
        Counts from 0 to ``threshold - 1`` are hidden (0 or 1: nothing hidden).
    """
    keys = list(zip(overall["level"], overall["code"], strict=True))
    for table in slices:
        if list(zip(table["level"], table["code"], strict=True)) != keys:
            raise OacInsightError("the slices of a profile must have the overall's rows")
    k, n = len(keys), len(slices)
    if threshold <= 1 or n == 0:
        return JointPattern([np.zeros(k, dtype=bool) for _ in slices], False)
    h = _hierarchy(overall)
    counts = np.array([t["customers"].to_numpy(dtype=float) for t in slices])
    totals = counts[:, h.levels[0]].sum(axis=1)
    over = overall["customers"].to_numpy(dtype=float)
    over_hidden = (overall["flag"] == SUPPRESSED_FLAG).to_numpy(dtype=bool)
    primary = counts < threshold
    values = np.concatenate([counts.ravel(), totals, over])
    frozen = np.concatenate([np.zeros(k * n, dtype=bool), np.ones(n + k, dtype=bool)])
    members = _joint_matrix(h.members, n)
    for start in (_top_down, _heuristic):  # the second only if the first cannot be made safe
        first = start(counts, primary, over, ~over_hidden, h)
        out, unprotected = protect_sums(
            members,
            values,
            np.concatenate([first.ravel(), np.zeros(n, dtype=bool), over_hidden]),
            float(totals.sum()),
            frozen=frozen,
            primary=np.concatenate([primary.ravel(), np.zeros(n, dtype=bool), over_hidden]),
            min_width=MIN_WIDTH,
        )
        if not unprotected:
            return JointPattern([out[i * k : (i + 1) * k] for i in range(n)], False)
    # publish no slice cell at all rather than an unsafe one
    return JointPattern([np.ones(k, dtype=bool) for _ in slices], True)


def with_pattern(table: pd.DataFrame, hidden: np.ndarray) -> pd.DataFrame:
    """``table`` with its flags recomputed for the pattern ``hidden`` (numbers unchanged)."""
    out = table.copy()
    out["flag"] = _flags(out, pd.Series(hidden, index=out.index))
    out.attrs.update(table.attrs)
    return out


def slice_table(
    counts: pd.DataFrame, *, confidence: float, suppress_below: int, base_is_sample: bool
) -> pd.DataFrame:
    """:func:`~oacinsight.profile.stats.compute_profile` of one slice without its own
    suppression audit (the slice gets the joint pattern instead): the same numbers,
    flags set as if nothing were hidden."""
    frame = _validated(counts, confidence, suppress_below)
    parts = [
        _level_table(frame[frame["level"] == lv], confidence, base_is_sample, suppress_below)
        for lv in LEVELS
        if (frame["level"] == lv).any()
    ]
    table = pd.concat(parts).reset_index(drop=True)
    table["flag"] = _flags(table, pd.Series(False, index=table.index))
    table = table.loc[:, list(OUTPUT_COLUMNS)]
    table.attrs.update(
        confidence=float(confidence),
        suppress_below=int(suppress_below),
        base_is_sample=bool(base_is_sample),
        unprotected=0,
    )
    return table
