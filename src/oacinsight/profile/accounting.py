"""The per-slice accounting of a ``--by`` / ``--period`` run, protected as one table.

Every run split into slices publishes, per slice and for the whole file (``(all)``),
how its rows were used: rows read, rows matched, customers in the area, customers
outside it, rows not matched (by status, for ``need``).  Each slice's rows are a set
(rows = in the area + outside + not matched ...) and each column is a set whose total,
the whole file's figure, is published too, so a small count (3 rows not matched in one
slice) could be read by subtraction along a row or down a column.

The cells are sums of *atoms* (each slice's rows of one kind: matched and in the area,
matched and outside, not found, ...).  The pattern is chosen once and shown the same
way in every output: counts from 0 to ``threshold - 1`` hidden (zeros included), a
start that gives every slice and every column with a hidden cell a second hidden cell
(:func:`_start`), then the joint audit :func:`oacinsight.profile.audit.protect_sums`
(integer programming over every shown number) hides more until every hidden small
count can take at least four values, or as many as the whole file's own figures leave
it (a file with 2 rows not matched in all cannot give a slice's count 4 values).
The customers in the area of each slice stay shown: they are the totals of the slice
tables already protected by the joint pattern (:mod:`oacinsight.profile.joint`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from oacinsight.errors import OacInsightError
from oacinsight.profile.audit import protect_sums, sum_ranges
from oacinsight.profile.suppress import MIN_WIDTH

__all__ = ["AccountingTable", "accounting_pattern", "published_accounting_frame"]


@dataclass(frozen=True)
class AccountingTable:
    """The accounting of a run split into slices.

    Attributes
    ----------
    atoms : numpy.ndarray
        ``slices × kinds`` counts of rows; the kinds split every row once.
    columns : mapping of str to tuple of int
        Each published column and the kinds it adds up.
    fixed : tuple of str
        Columns shown in every slice (published elsewhere, e.g. the slice totals of the
        profile tables).
    overall_hidden : mapping of str to bool
        The whole file's own pattern of each column (True: hidden).
    """

    atoms: np.ndarray
    columns: Mapping[str, tuple[int, ...]]
    fixed: tuple[str, ...] = ()
    overall_hidden: Mapping[str, bool] = field(default_factory=dict)

    def members(self) -> np.ndarray:
        """``cells × atoms``: the slice cells (slice by slice), then the overall ones."""
        n, k = self.atoms.shape
        one = np.zeros((len(self.columns), k))
        for j, kinds in enumerate(self.columns.values()):
            one[j, list(kinds)] = 1.0
        return np.vstack([np.kron(np.eye(n), one), np.tile(one, (1, n))])

    def values(self) -> np.ndarray:
        """Every cell's count, in the order of :meth:`members`."""
        return self.members() @ self.atoms.ravel().astype(float)


def _flags(table: AccountingTable, names: Sequence[str]) -> np.ndarray:
    return np.array([c in names for c in table.columns], dtype=bool)


def _pinned(one: np.ndarray, shown: np.ndarray, cell: int) -> bool:
    """Whether ``cell`` of a slice follows from the slice's shown cells (linear algebra
    on the slice's own kinds of rows; the columns are looked at apart)."""
    base = one[shown]
    if not len(base):
        return False
    return bool(np.linalg.matrix_rank(np.vstack([base, one[cell]])) == np.linalg.matrix_rank(base))


def _within(
    one: np.ndarray, out: np.ndarray, need: np.ndarray, free: np.ndarray, v: np.ndarray
) -> bool:
    """Hide cells of one slice (``out``, in place) until no hidden cell in ``need`` of
    protection follows from the slice's shown cells: the smallest shown cell that frees
    it.  Returns True when a cell was hidden."""
    changed = False
    for _ in range(len(out)):
        stuck = [j for j in np.flatnonzero(out & need) if _pinned(one, ~out, int(j))]
        if not stuck:
            break
        pick = None
        for i in sorted(np.flatnonzero(~out & free), key=lambda i: (v[i], i)):
            trial = ~out
            trial[i] = False
            if not _pinned(one, trial, int(stuck[0])):
                pick = i
                break
        if pick is None:
            break
        out[pick] = changed = True
    return changed


def _column(out: np.ndarray, values: np.ndarray, need: np.ndarray, j: int) -> bool:
    """A column whose whole-file figure is shown, with one hidden cell in need of
    protection, gets a second: in a slice already hiding a cell (a cycle), smallest."""
    if out[:, j].sum() != 1 or not (out[:, j] & need[:, j]).any():
        return False
    partner = np.asarray(out.any(axis=1), dtype=bool)
    cells = [int(s) for s in np.flatnonzero(~out[:, j])]
    if not cells:
        return False
    pick = min(cells, key=lambda s: (not partner[s], values[s, j], s))
    out[pick, j] = True
    return True


def _start(
    table: AccountingTable, hidden: np.ndarray, values: np.ndarray, need: np.ndarray
) -> np.ndarray:
    """Slice cells (``slices × columns``) hidden so that no hidden small count follows
    from its slice's shown cells (:func:`_within`) and no column whose whole-file figure
    is shown has a single hidden cell needing protection (the second, by preference,
    in a slice already hiding a cell, smallest first).  A fast start: the joint audit
    has the last word."""
    out = hidden.copy()
    free = ~_flags(table, table.fixed)
    over = table.values()[out.size :]
    known = np.zeros(table.atoms.shape[1], dtype=bool)  # kinds in a column of 0 rows
    one = np.zeros((len(table.columns), table.atoms.shape[1]))
    for j, kinds in enumerate(table.columns.values()):
        one[j, list(kinds)] = 1.0
        if over[j] == 0 and not table.overall_hidden.get(list(table.columns)[j], False):
            known[list(kinds)] = True
    one[:, known] = 0.0
    over_shown = np.array([not table.overall_hidden.get(c, False) for c in table.columns])
    for _ in range(100):
        changed = False
        for s in range(out.shape[0]):
            changed |= _within(one, out[s], need[s], free, values[s])
        for col in np.flatnonzero(free & over_shown & one.any(axis=1)):
            changed |= _column(out, values, need, int(col))
        if not changed:
            break
    return out


def accounting_pattern(table: AccountingTable, threshold: int) -> tuple[np.ndarray, bool]:
    """The slice cells to hide (``slices × columns``, True: hide) and whether the
    fallback (every slice cell outside ``fixed`` hidden) was needed."""
    atoms = np.asarray(table.atoms)
    if atoms.ndim != 2 or (atoms < 0).any():
        raise OacInsightError("accounting counts must be a slices × kinds table of counts")
    n, c = atoms.shape[0], len(table.columns)
    fixed = np.tile(_flags(table, table.fixed), n)
    if threshold <= 1 or n == 0:
        return np.zeros((n, c), dtype=bool), False
    members, values = table.members(), table.values()
    over_hidden = np.array([bool(table.overall_hidden.get(k, False)) for k in table.columns])
    primary = np.concatenate([(values[: n * c] < threshold) & ~fixed, over_hidden])
    frozen = np.concatenate([fixed, np.ones(c, dtype=bool)])
    width = _widths(members, values, primary, frozen, float(atoms.sum()))
    shape = (n, c)
    first = _start(
        table,
        primary[: n * c].reshape(shape),
        values[: n * c].reshape(shape),
        (width[: n * c] > 0).reshape(shape),
    )
    hidden, unprotected = protect_sums(
        members,
        values,
        np.concatenate([first.ravel(), over_hidden]),
        float(atoms.sum()),
        frozen=frozen,
        primary=primary,
        min_width=width,
    )
    if unprotected:
        return np.tile(~_flags(table, table.fixed), (n, 1)), True
    return hidden[: n * c].reshape(n, c), False


def _widths(
    members: np.ndarray, values: np.ndarray, primary: np.ndarray, frozen: np.ndarray, total: float
) -> np.ndarray:
    """The width each cell must keep if hidden: :data:`MIN_WIDTH`, or its width given
    only what is published anyway (the whole file's figures and the fixed cells) when
    that is less (a slice's count of a kind the whole file has 2 of)."""
    width = np.zeros(len(values))
    cells = np.flatnonzero(~frozen | primary).tolist()
    if not cells:
        return width
    unknown = ~frozen | (primary & frozen)  # all but the whole file's shown figures
    ranges = sum_ranges(members, values, unknown, total, cells, stop_at=MIN_WIDTH)
    for cell, (low, high) in ranges.items():
        width[cell] = min(float(MIN_WIDTH), high - low)
    return width


def published_accounting_frame(
    labels: tuple[str, str],
    names: Sequence[str],
    table: AccountingTable,
    hidden: np.ndarray,
    overall: Mapping[str, int | None],
) -> pd.DataFrame:
    """The published accounting: ``labels`` is (the first column's name, the label of
    the whole file's row); the whole file's row holds ``overall`` (its published
    figures, None where hidden), then one row per slice; hidden cells are blank
    (``<NA>``) and every count a nullable integer."""
    label, all_label = labels
    cols = list(table.columns)
    values = table.values()[: len(names) * len(cols)].reshape(len(names), len(cols))
    rows: list[list[object]] = [[all_label, *(overall.get(k) for k in cols)]]
    for s, name in enumerate(names):
        cells = zip(values[s], hidden[s], strict=True)
        rows.append([name, *(None if h else int(v) for v, h in cells)])
    frame = pd.DataFrame(rows, columns=[label, *cols])
    for k in cols:
        frame[k] = frame[k].astype("Int64")
    return frame
