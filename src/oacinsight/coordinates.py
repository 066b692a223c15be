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

    Returns
    -------
    index : ndarray of int, shape (n,)
        Row of the nearest tree point, or -1 where none lies within ``MAX_DISTANCE_M``
        or the point is not finite.
    distance : ndarray of float, shape (n,)
    """
    index = np.full(len(points), -1, dtype=np.int64)
    distance = np.full(len(points), np.inf)
    ok = np.isfinite(points).all(axis=1)
    if ok.any():
        d, j = tree.query(points[ok], distance_upper_bound=MAX_DISTANCE_M)
        found = np.isfinite(d)
        idx_ok = np.flatnonzero(ok)
        index[idx_ok[found]] = j[found]
        distance[idx_ok[found]] = d[found]
    return index, distance


def build_tree(x: np.ndarray, y: np.ndarray, kind: str) -> cKDTree:
    """A k-d tree of postcode centroids (rows with missing coordinates must be removed)."""
    return cKDTree(planar(x, y, kind))
