"""Placing records that have coordinates but no usable postcode.

A record whose postcode is missing, invalid or unknown, but which carries British
National Grid coordinates (``easting``/``northing``) or latitude/longitude, is given the
output area of the **nearest live postcode** within :data:`MAX_DISTANCE_M` metres.  This
is an approximation (the nearest postcode's centroid, not point-in-polygon) and the
record's ``match_note`` says so, with the distance.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

MAX_DISTANCE_M = 1000.0
#: Metres per degree at the UK's mean latitude, for an equirectangular projection that is
#: accurate to a few per cent for distances of a few hundred metres anywhere in the UK.
_LAT0 = np.radians(54.5)
_M_PER_DEG_LAT = 110_574.0
_M_PER_DEG_LON = 111_320.0 * np.cos(_LAT0)


def planar(x: np.ndarray, y: np.ndarray, kind: str) -> np.ndarray:
    """Points as metres: BNG as is, latitude/longitude (``y``/``x``) projected locally.

    Parameters
    ----------
    x, y : ndarray, shape (n,)
        Easting and northing (``kind="bng"``) or longitude and latitude (``"latlong"``).
    kind : {'bng', 'latlong'}

    Returns
    -------
    ndarray, shape (n, 2)
    """
    if kind == "bng":
        return np.column_stack([x, y]).astype(float)
    return np.column_stack([x * _M_PER_DEG_LON, y * _M_PER_DEG_LAT]).astype(float)


def nearest(tree: cKDTree, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index of the nearest tree point and its distance, for finite points within range.

    The rule, which the Spark engine applies too (:mod:`oacinsight.spark.coordinates`):
    the squared distance ``dx * dx + dy * dy`` (metres), the smallest one, at most
    ``MAX_DISTANCE_M ** 2``; among points at that same distance, the first tree point (the
    tree holds the postcodes in key order, so the first postcode in key order); the
    distance is the square root of that squared distance.

    Returns
    -------
    index : ndarray of int, shape (n,)
        Row of the nearest tree point, or -1 where none lies within ``MAX_DISTANCE_M``
        or the point is not finite.
    distance : ndarray of float, shape (n,)
    """
    index = np.full(len(points), -1, dtype=np.int64)
    distance = np.full(len(points), np.inf)
    rows = np.flatnonzero(np.isfinite(points).all(axis=1))
    if len(rows) == 0 or tree.n == 0:
        return index, distance
    j, d2 = _candidates(tree, points[rows], min(_CANDIDATES, tree.n))
    best = d2.min(axis=1)
    first = np.where(d2 == best[:, None], j, np.iinfo(np.int64).max).min(axis=1)
    found = best <= MAX_DISTANCE_M**2
    index[rows[found]] = first[found]
    distance[rows[found]] = np.sqrt(best[found])
    return index, distance


#: Nearest points asked of the tree at first (all of them within the tie when they tie).
_CANDIDATES = 8


def _candidates(tree: cKDTree, pts: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Tree rows that may be nearest to each point, and their squared distances (computed
    here as ``dx * dx + dy * dy``, not taken from the tree; ``inf`` where no row)."""
    _, j = tree.query(pts, k=k, distance_upper_bound=MAX_DISTANCE_M * (1 + 1e-9))
    j = np.asarray(j, dtype=np.int64).reshape(len(pts), -1)
    d2 = _sq(tree, pts, j)
    # all k candidates at one distance: more may tie, so take every point at that distance
    full = (j < tree.n).all(axis=1) & (d2.max(axis=1) <= d2.min(axis=1) * (1 + 1e-9))
    if k < tree.n and full.any():
        wide: list[np.ndarray] = []
        for i in np.flatnonzero(full):
            radius = float(np.sqrt(d2[i].min())) * (1 + 1e-9)
            wide.append(np.asarray(tree.query_ball_point(pts[i], radius), dtype=np.int64))
        width = max(k, *(len(w) for w in wide))
        j = np.pad(j, ((0, 0), (0, width - k)), constant_values=tree.n)
        for i, w in zip(np.flatnonzero(full), wide, strict=True):
            j[i, : len(w)] = w
            j[i, len(w) :] = tree.n
        d2 = _sq(tree, pts, j)
    return j, d2


def _sq(tree: cKDTree, pts: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Squared distances from each point to its rows ``j`` (``inf`` where ``j`` is
    ``tree.n``, the tree's "none")."""
    ok = j < tree.n
    safe = np.where(ok, j, 0)
    dx = pts[:, 0, None] - tree.data[safe, 0]
    dy = pts[:, 1, None] - tree.data[safe, 1]
    return np.where(ok, dx * dx + dy * dy, np.inf)


def build_tree(x: np.ndarray, y: np.ndarray, kind: str) -> cKDTree:
    """A k-d tree of postcode centroids (rows with missing coordinates must be removed)."""
    return cKDTree(planar(x, y, kind))
