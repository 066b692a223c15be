"""The structure of a nested profile table, and an integer-programming audit of it.

A profile table holds cells at up to three nested levels (supergroups, groups,
subgroups).  Every cell is the sum of the *leaves* under it (the cells with no children
in the table), and every level adds up to the file's total, which is published.  Given
which cells are shown, :func:`cell_ranges` works out what an attacker who knows every
shown number and the rule ("a blank is any count from 0 up") can deduce: the smallest
and largest value each hidden cell can take, by integer linear programming
(``scipy.optimize.milp``).  :func:`protect` adds hidden cells until every hidden cell
can take at least ``min_width + 1`` values.

The constraint matrix is the incidence matrix of a laminar family of sets (each cell
is a set of leaves, nested like a tree), which is totally unimodular, so the integer
programme and its linear relaxation have the same optimum; HiGHS solves each at its
root node.  The method is described in ``docs/profile.md`` (disclosure control).
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["Hierarchy", "cell_ranges", "protect", "protect_sums", "sum_ranges"]


@dataclass(frozen=True)
class Hierarchy:
    """How the cells of a profile table add up.

    Attributes
    ----------
    members : numpy.ndarray
        ``cells × leaves`` 0/1 matrix: cell ``i`` is the sum of the leaves ``j`` with
        ``members[i, j] == 1``.
    levels : tuple of numpy.ndarray
        Cell positions of each level; each level adds up to the published total.
    parent : numpy.ndarray
        Position of each cell's parent cell, or -1.
    level_rank : numpy.ndarray
        0 for the top level present, 1 for the next, ...
    leaves : numpy.ndarray
        Cell position of each leaf (column of ``members``).
    """

    members: np.ndarray
    levels: tuple[np.ndarray, ...]
    parent: np.ndarray
    level_rank: np.ndarray
    leaves: np.ndarray

    @classmethod
    def flat(cls, n: int) -> Hierarchy:
        """``n`` cells of one level that add up to a published total."""
        return cls(
            np.eye(n, dtype=float),
            (np.arange(n),),
            np.full(n, -1),
            np.zeros(n, dtype=int),
            np.arange(n),
        )

    @classmethod
    def nested(cls, rank: npt.ArrayLike, parent: npt.ArrayLike) -> Hierarchy:
        """Cells with a level rank each and the position of their parent (-1: none)."""
        rank_arr = np.asarray(rank, dtype=int)
        parent_arr = np.asarray(parent, dtype=int)
        n = len(rank_arr)
        has_child = np.zeros(n, dtype=bool)
        has_child[parent_arr[parent_arr >= 0]] = True
        leaves = np.flatnonzero(~has_child)
        members = np.zeros((n, len(leaves)), dtype=float)
        for j, leaf in enumerate(leaves):
            cell = int(leaf)
            while cell >= 0:
                members[cell, j] = 1.0
                cell = int(parent_arr[cell])
        levels = tuple(np.flatnonzero(rank_arr == r) for r in sorted(set(rank_arr.tolist())))
        return cls(members, levels, parent_arr, rank_arr, leaves)

    def consistent(self, values: np.ndarray) -> bool:
        """True when every parent equals the sum of its children and levels agree."""
        if not np.allclose(self.members @ values[self.leaves], values):
            return False
        totals = [values[idx].sum() for idx in self.levels]
        return bool(np.allclose(totals, totals[0]))


def _solve(objective: np.ndarray, a_eq: np.ndarray, b_eq: np.ndarray, upper: float) -> float:
    """Minimum of ``objective @ x`` over integer ``0 <= x <= upper`` with ``a_eq x = b_eq``."""
    return _solve_x(objective, a_eq, b_eq, upper)[0]


def _solve_x(
    objective: np.ndarray, a_eq: np.ndarray, b_eq: np.ndarray, upper: float
) -> tuple[float, np.ndarray | None]:
    """:func:`_solve` and the whole-number optimum found (None if none, or if it does
    not satisfy the equations exactly)."""
    from scipy.optimize import Bounds, LinearConstraint, milp  # ~0.5 s: only when auditing

    n = len(objective)
    constraints = [LinearConstraint(a_eq, b_eq, b_eq)] if len(b_eq) else []
    res = milp(objective, integrality=np.ones(n), bounds=Bounds(0, upper), constraints=constraints)
    if res.status != 0 or res.fun is None:  # infeasible only for an inconsistent table
        return float("nan"), None
    x = np.round(res.x)
    exact = np.abs(res.x - x).max() < 1e-6 and np.array_equal(a_eq @ x, b_eq)
    exact = exact and x.min() >= 0 and x.max() <= upper
    return float(round(res.fun)), x if exact else None


def cell_ranges(
    values: np.ndarray,
    hidden: np.ndarray,
    hierarchy: Hierarchy,
    cells: Sequence[int],
    *,
    stop_at: int | None = None,
) -> dict[int, tuple[float, float]]:
    """Smallest and largest value each of ``cells`` can take given the shown cells.

    Parameters
    ----------
    values : numpy.ndarray
        True counts of every cell.
    hidden : numpy.ndarray
        Booleans, True for a hidden cell.
    hierarchy : Hierarchy
        How the cells add up.
    cells : sequence of int
        Positions of the cells to bound.
    stop_at : int, optional
        When the maximum is already ``stop_at`` above the true value, the minimum is
        not computed (``-inf``): the range is wide enough, and one solve is saved.

    Returns
    -------
    dict of int to (float, float)
        ``(low, high)`` per cell.
    """
    m = hierarchy.members
    totals = np.array([values[idx].sum() for idx in hierarchy.levels], dtype=float)
    shown = np.flatnonzero(~hidden)
    level_rows = np.array([m[idx].sum(axis=0) for idx in hierarchy.levels])
    a_eq = np.vstack([m[shown], level_rows]) if len(shown) else level_rows
    b_eq = np.concatenate([values[shown], totals])
    total = float(totals.max())
    out: dict[int, tuple[float, float]] = {}
    for cell in cells:
        high = -_solve(-m[cell], a_eq, b_eq, total)
        if stop_at is not None and high - values[cell] >= stop_at:
            out[int(cell)] = (-math.inf, high)  # wide enough whatever the minimum
            continue
        out[int(cell)] = (_solve(m[cell], a_eq, b_eq, total), high)
    return out


def _candidates(cell: int, hidden: np.ndarray, values: np.ndarray, h: Hierarchy) -> list[int]:
    """Shown cells whose hiding widens ``cell``'s range, most useful first.

    Siblings (same parent), then children of hidden siblings (a hidden sibling whose
    children are all shown is known exactly, so hiding it alone protects nothing), then
    children, then the parent, then cells of the same level, then any shown cell;
    smallest count first within each kind.  Without the second kind, an only child
    below the threshold hid its parent, then every cell of the parent's level in turn
    (2,000 Demoshire customers: all 8 supergroups and 64 of 76 cells hidden).
    """
    shown = ~hidden
    n = len(values)
    same_parent = (h.parent == h.parent[cell]) & (h.level_rank == h.level_rank[cell])
    hidden_siblings = np.flatnonzero(same_parent & hidden & (np.arange(n) != cell))
    kinds = [
        same_parent,
        np.isin(h.parent, hidden_siblings),
        h.parent == cell,
        np.arange(n) == h.parent[cell],
        h.level_rank == h.level_rank[cell],
        np.ones(n, dtype=bool),
    ]
    for kind in kinds:
        pool = np.flatnonzero(kind & shown)
        if len(pool):
            return sorted(pool.tolist(), key=lambda p: (values[p], p))
    return []


def protect(
    values: np.ndarray, hidden: np.ndarray, hierarchy: Hierarchy, *, min_width: int = 3
) -> tuple[np.ndarray, list[int]]:
    """Hide more cells until every hidden cell's feasible range is ``min_width`` wide.

    Hiding a cell removes a constraint, so ranges only widen: a cell that passes the
    audit once keeps passing, and only failing or newly hidden cells are re-checked.

    Parameters
    ----------
    values : numpy.ndarray
        True counts.
    hidden : numpy.ndarray
        Initial (primary) hidden cells.
    hierarchy : Hierarchy
        How the cells add up.
    min_width : int, default 3
        ``high - low`` each hidden cell must reach (3: at least 4 possible values).

    Returns
    -------
    hidden : numpy.ndarray
        The final pattern.
    unprotected : list of int
        Hidden cells that could not reach ``min_width`` even with every related cell
        hidden (only when the total is below ``min_width``).
    """
    hidden = hidden.copy()
    if max(values[idx].sum() for idx in hierarchy.levels) < min_width:
        hidden[:] = True  # a file of 0 to 2 records: no pattern can do better
        return hidden, list(range(len(values)))
    pending = sorted(np.flatnonzero(hidden).tolist())
    unprotected: list[int] = []
    while pending:
        ranges = cell_ranges(values, hidden, hierarchy, pending, stop_at=min_width)
        failing = [c for c in pending if not ranges[c][1] - ranges[c][0] >= min_width]
        # (an infeasible solve gives NaN and counts as failing: hide more, never less)
        if not failing:
            break
        failing.sort(key=lambda c: (hierarchy.level_rank[c], values[c], c))
        first = failing[0]
        extra = _candidates(first, hidden, values, hierarchy)
        if not extra:
            unprotected.append(first)
            failing.remove(first)
        else:
            hidden[extra[0]] = True
            failing.append(extra[0])
        pending = sorted(failing)
    return hidden, sorted(unprotected)


# --- cells that are sums of atoms: the profile and every map layer of one dataset -----


def sum_ranges(
    members: np.ndarray,
    values: np.ndarray,
    hidden: np.ndarray,
    total: float,
    cells: Sequence[int],
    *,
    stop_at: int | None = None,
) -> dict[int, tuple[float, float]]:
    """Smallest and largest value of each of ``cells`` when every cell is a sum of atoms.

    ``members`` is ``cells × atoms`` (0/1): cell ``i`` is the sum of the atoms ``j`` with
    ``members[i, j] == 1``; atoms are whole numbers from 0 to ``total`` and add up to the
    published ``total``.  An attacker knows every shown cell's value.  Unlike
    :func:`cell_ranges` the cells need not nest (a ward cuts across OAC subgroups), so
    the constraint matrix need not be totally unimodular and the bounds come from
    ``milp`` itself (HiGHS: the linear relaxation first, branching only where its
    optimum is fractional).

    With ``stop_at``, only whether each range is at least ``stop_at`` wide matters: a
    few feasible whole-number tables are found first (:func:`_witnesses`, one linear
    programme each for all the cells), and a cell whose values over them and the true
    table already span ``stop_at`` gets that span, a range no wider than its true one.
    Only the other cells are bounded one by one, their maximum first; when it is
    ``stop_at`` above the true value the minimum is not computed (``-inf``).
    """
    shown = np.flatnonzero(~hidden)
    a_eq = np.vstack([members[shown], np.ones((1, members.shape[1]))])
    b_eq = np.concatenate([values[shown], [float(total)]])
    out: dict[int, tuple[float, float]] = {}
    todo = [int(c) for c in cells]
    if stop_at is not None and len(todo) > 2:
        seen = np.vstack([_witnesses(members, a_eq, b_eq, float(total), todo), values[todo]])
        low, high = seen.min(axis=0), seen.max(axis=0)
        wide = high - low >= stop_at
        out = {
            c: (float(lo), float(hi))
            for c, lo, hi, w in zip(todo, low, high, wide, strict=True)
            if w
        }
        todo = [c for c in todo if c not in out]
    for cell in todo:
        high = -_solve(-members[cell], a_eq, b_eq, float(total))
        if stop_at is not None and high - values[cell] >= stop_at:
            out[int(cell)] = (-math.inf, high)
            continue
        out[int(cell)] = (_solve(members[cell], a_eq, b_eq, float(total)), high)
    return out


def _witnesses(
    members: np.ndarray, a_eq: np.ndarray, b_eq: np.ndarray, upper: float, cells: list[int]
) -> np.ndarray:
    """Values of ``cells`` in a few whole-number tables an attacker cannot rule out.

    Each table is a vertex of ``a_eq x = b_eq, 0 <= x <= upper`` that pushes all the
    cells at once: every cell up, every cell down, then random mixtures of up and down
    (the hidden cells of a cycle cannot all rise together).  A vertex is kept only if it
    is whole and satisfies every equation exactly, so each is a table consistent with
    everything published: the spread of a cell's values over them is a lower bound on
    the width of its range, never more.  Returns ``tables × cells`` (no row if none).
    """
    from scipy.optimize import linprog  # imported only when auditing

    rng = np.random.default_rng(len(cells))  # the same tables for the same problem
    rows = members[cells]
    signs = [np.ones(len(cells)), -np.ones(len(cells))]
    signs += [rng.choice([-1.0, 1.0], len(cells)) for _ in range(6)]
    found = []
    for sign in signs:
        weight = sign * rng.uniform(1.0, 2.0, len(cells))
        res = linprog(-(weight @ rows), A_eq=a_eq, b_eq=b_eq, bounds=(0, upper), method="highs")
        if res.status != 0 or res.x is None:
            continue
        x = np.round(res.x)
        if np.abs(res.x - x).max() < 1e-6 and np.array_equal(a_eq @ x, b_eq):
            found.append(rows @ x)
    return np.array(found).reshape(len(found), len(cells))


def _overlapping(
    cell: int, hidden: np.ndarray, frozen: np.ndarray, members: np.ndarray, values: np.ndarray
) -> list[int]:
    """Shown cells that may be hidden, sharing atoms with ``cell`` first, smallest first."""
    free = ~hidden & ~frozen
    overlap = (members @ members[cell]) > 0
    for pool in (np.flatnonzero(free & overlap), np.flatnonzero(free)):
        if len(pool):
            return sorted(pool.tolist(), key=lambda p: (values[p], p))
    return []


def protect_sums(
    members: np.ndarray,
    values: np.ndarray,
    hidden: np.ndarray,
    total: float,
    *,
    frozen: np.ndarray,
    primary: np.ndarray,
    min_width: int | np.ndarray = 3,
) -> tuple[np.ndarray, list[int]]:
    """Hide more cells until every hidden cell can take ``min_width + 1`` values.

    Parameters
    ----------
    members, values, total
        As :func:`sum_ranges`.
    hidden : numpy.ndarray
        The initial pattern.
    frozen : numpy.ndarray
        Cells whose state is given and may not change (the profile's own pattern, which
        is safe on its own); only the other cells are hidden to protect.
    primary : numpy.ndarray
        Cells hidden for being small; they are never shown.
    min_width : int or numpy.ndarray, default 3
        One width for every cell, or one per cell (a cell whose range could never
        reach 3 given the figures published anyway asks only for what it can have).

    Returns
    -------
    hidden : numpy.ndarray
        The final pattern.  A hidden cell that is not primary and whose value is
        already determined by the shown ones is shown instead (that tells nothing new),
        and stays shown.
    unprotected : list of int
        Hidden cells still narrower than ``min_width`` (hiding every free cell did not
        help); the caller must fall back to publishing fewer cells.
    """
    hidden, frozen = hidden.copy(), frozen.copy()
    width = np.broadcast_to(np.asarray(min_width, dtype=float), values.shape)
    audit = _SumAudit(members, values, total, width)
    unprotected: list[int] = []
    pending = audit.screen(hidden, np.flatnonzero(hidden).tolist())
    heap = [((not frozen[c], values[c], c), c) for c in pending]
    heapq.heapify(heap)
    while heap:
        # the cell checked is the first still failing in the order (not frozen, value,
        # position): a cell that passes keeps passing (hiding more only widens ranges)
        _, first = heapq.heappop(heap)
        low, high = audit.bounds(hidden, first)
        if high - low >= width[first]:
            continue
        if not frozen[first] and not primary[first] and low == high:
            hidden[first], frozen[first] = False, True  # known anyway: show it
        elif extra := _overlapping(first, hidden, frozen, members, values):
            hidden[extra[0]] = True
            heapq.heappush(heap, ((not frozen[first], values[first], first), first))
            heapq.heappush(heap, ((not frozen[extra[0]], values[extra[0]], extra[0]), extra[0]))
        else:
            unprotected.append(first)
    return hidden, sorted(unprotected)


class _SumAudit:
    """The bounds :func:`protect_sums` needs, with as few solves as possible.

    Every whole-number table found on the way (the true one, the witness tables of
    :func:`_witnesses`, the optimum of every bound solved) stays consistent with what is
    published as more cells are hidden (hiding only removes equations), so each cell's
    lowest and highest value over them is kept: a cell whose span reaches ``min_width``
    passes without a solve of its own.  The other cells are bounded exactly by
    ``milp``, the maximum first.
    """

    def __init__(self, members: np.ndarray, values: np.ndarray, total: float, width: np.ndarray):
        self.members, self.values, self.total, self.width = members, values, total, width
        self._last: tuple[bytes, Any, np.ndarray] | None = None
        self.low = values.astype(float).copy()
        self.high = values.astype(float).copy()

    def _system(self, hidden: np.ndarray) -> tuple[Any, np.ndarray]:
        """The equations of the shown cells and the total, as a sparse matrix (built
        once per pattern: a need audit of 800 OAs bounds hundreds of cells in turn)."""
        from scipy.sparse import csr_array

        key = hidden.tobytes()
        if self._last is None or self._last[0] != key:
            shown = np.flatnonzero(~hidden)
            a_eq = np.vstack([self.members[shown], np.ones((1, self.members.shape[1]))])
            b_eq = np.concatenate([self.values[shown], [float(self.total)]])
            self._last = (key, csr_array(a_eq), b_eq)
        return self._last[1], self._last[2]

    def _seen(self, cells_values: np.ndarray) -> None:
        self.low = np.minimum(self.low, cells_values)
        self.high = np.maximum(self.high, cells_values)

    def screen(self, hidden: np.ndarray, cells: list[int]) -> list[int]:
        """``cells`` less those the witness tables show wide enough."""
        if len(cells) > 2:
            a_eq, b_eq = self._system(hidden)
            found = _witnesses(self.members, a_eq, b_eq, float(self.total), cells)
            if len(found):
                self.low[cells] = np.minimum(self.low[cells], found.min(axis=0))
                self.high[cells] = np.maximum(self.high[cells], found.max(axis=0))
        return [c for c in cells if self.high[c] - self.low[c] < self.width[c]]

    def bounds(self, hidden: np.ndarray, cell: int) -> tuple[float, float]:
        """The cell's span if already wide enough, else its exact range (``-inf`` low
        when its maximum alone is wide enough)."""
        if self.high[cell] - self.low[cell] >= self.width[cell]:
            return float(self.low[cell]), float(self.high[cell])
        a_eq, b_eq = self._system(hidden)
        high, x = _solve_x(-self.members[cell], a_eq, b_eq, float(self.total))
        if x is not None:
            self._seen(self.members @ x)
        high = -high
        if high - self.values[cell] >= self.width[cell]:
            return -math.inf, high
        low, x = _solve_x(self.members[cell], a_eq, b_eq, float(self.total))
        if x is not None:
            self._seen(self.members @ x)
        return low, high
