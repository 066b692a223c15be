"""Simplify a layer without gaps and write it as compact GeoJSON for the web map.

Neighbouring polygons share their edges.  Simplifying each polygon on its own moves
those edges differently on each side and opens slivers between areas; shapely's
``coverage_simplify`` (GEOS coverage simplification) simplifies every shared edge once,
so the simplified areas still meet exactly.  Coordinates are then rounded to 5 decimal
places of a degree (about 1 m), the same way for every copy of a shared vertex, so no
gap appears either.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import numpy as np
import shapely

from oacinsight.maps.boundaries import bng_to_wgs84

#: Tolerance as a share of the typical area's width (square root of its median area).
TOLERANCE_SHARE = 0.06
MIN_TOLERANCE_M = 2.0
MAX_TOLERANCE_M = 250.0
DECIMALS = 5


@dataclass(frozen=True)
class Simplified:
    """A simplified layer.

    Attributes
    ----------
    bng : numpy.ndarray
        Simplified polygons in British National Grid (for static maps).
    wgs84 : numpy.ndarray
        The same in longitude/latitude, rounded to :data:`DECIMALS`.
    tolerance_m : float
        Tolerance used, in metres.
    note : str
        How the layer was simplified, in one sentence.
    """

    bng: np.ndarray
    wgs84: np.ndarray
    tolerance_m: float
    note: str


def default_tolerance(geoms: np.ndarray) -> float:
    """A tolerance in metres that keeps the typical area's shape at city zoom."""
    areas = shapely.area(geoms)
    width = float(np.sqrt(np.median(areas))) if len(areas) else 0.0
    return float(np.clip(TOLERANCE_SHARE * width, MIN_TOLERANCE_M, MAX_TOLERANCE_M))


def simplify_layer(geoms: np.ndarray, tolerance_m: float | None = None) -> Simplified:
    """Simplify polygons (EPSG:27700) as a coverage, so neighbours keep meeting.

    Parameters
    ----------
    geoms : numpy.ndarray
        Shapely polygons in British National Grid metres.
    tolerance_m : float, optional
        Simplification tolerance in metres; default :func:`default_tolerance`.

    Returns
    -------
    Simplified
    """
    tol = default_tolerance(geoms) if tolerance_m is None else float(tolerance_m)
    before = int(shapely.get_num_coordinates(geoms).sum())
    if shapely.coverage_is_valid(geoms):
        simple = shapely.coverage_simplify(geoms, tol)
        how = "as a coverage (shared edges simplified once, no gaps)"
    else:
        simple = shapely.simplify(geoms, tol, preserve_topology=True)
        how = (
            "one by one, because the polygons overlap or do not meet exactly "
            "(small gaps between neighbours are possible)"
        )
    simple = np.where(shapely.is_empty(simple) | ~shapely.is_valid(simple), geoms, simple)
    wgs = shapely.transform(bng_to_wgs84(simple), lambda c: np.round(c, DECIMALS))
    after = int(shapely.get_num_coordinates(simple).sum())
    note = f"simplified {how} at {tol:.0f} m: {before:,} vertices to {after:,}"
    return Simplified(simple, wgs, tol, note)


def feature_collection(
    codes: list[str], names: list[str | None], geoms_wgs84: np.ndarray, *, layer: str
) -> str:
    """A GeoJSON FeatureCollection text: ``id`` and ``code`` = area code, ``name``.

    Parameters
    ----------
    codes, names : list of str
        One per feature.
    geoms_wgs84 : numpy.ndarray
        Shapely geometries in longitude/latitude.
    layer : str
        Written as the collection's ``name``.

    Returns
    -------
    str
        Compact GeoJSON (RFC 7946: WGS84, no ``crs`` member).
    """
    texts = shapely.to_geojson(geoms_wgs84)
    parts = []
    for code, name, geometry in zip(codes, names, texts, strict=True):
        c = json.dumps(code, ensure_ascii=False)
        props = json.dumps({"code": code, "name": name}, ensure_ascii=False, separators=(",", ":"))
        parts.append(f'{{"type":"Feature","id":{c},"properties":{props},"geometry":{geometry}}}')
    head = json.dumps({"type": "FeatureCollection", "name": layer})[:-1]
    return head + ', "features": [' + ",\n".join(parts) + "]}"


def etag_of(text: str) -> str:
    """A short content hash, used as the HTTP ETag and the cache-busting version."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
