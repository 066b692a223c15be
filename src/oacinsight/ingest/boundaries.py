"""Load boundary files into the store (called by ``ingest``), and link areas to OAs.

Each layer is stored with its full polygons (British National Grid), a simplified copy,
and the simplified GeoJSON the web map fetches.  After any ingest,
:func:`rebuild_members` works out which 2021 output areas make up each ward or district
polygon: by code where the store's lookups know the area, otherwise by position (the
OA's centre falls inside the polygon), so boundaries of another year still map.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import shapely

from oacinsight.maps.boundaries import (
    BoundaryLayer,
    bng_to_wgs84,
    properties_json,
    read_boundaries,
)
from oacinsight.maps.geojson import etag_of, feature_collection, simplify_layer
from oacinsight.store import boundaries as sql


def load_boundary_file(
    con: duckdb.DuckDBPyConnection, path: Path, *, tolerance_m: float | None = None
) -> tuple[int, str]:
    """Read, simplify and store every polygon layer of one file.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        A connection inside the ingest transaction.
    path : pathlib.Path
        GeoJSON, GeoPackage or Shapefile.
    tolerance_m : float, optional
        Simplification tolerance in metres (default: from the areas' size).

    Returns
    -------
    tuple of (int, str)
        Features stored, and a description of each layer for the ingest report.
    """
    total, described = 0, []
    for layer in read_boundaries(path):
        total += _save(con, layer, tolerance_m)
        described.append(f"layer {layer.layer}: {layer.describe()}")
    return total, " | ".join(described)


def _save(con: duckdb.DuckDBPyConnection, layer: BoundaryLayer, tolerance_m: float | None) -> int:
    simple = simplify_layer(layer.geometry, tolerance_m)
    layer.notes.append(simple.note)
    text = feature_collection(layer.codes, layer.names, simple.wgs84, layer=layer.layer)
    inside = shapely.point_on_surface(layer.geometry)
    inside_ll = bng_to_wgs84(inside)
    west, south, east, north = (float(v) for v in shapely.total_bounds(simple.wgs84))
    features = pd.DataFrame(
        {
            "code": layer.codes,
            "name": layer.names,
            "properties": [properties_json(p) for p in layer.properties],
            "geom_bng": shapely.to_wkb(layer.geometry),
            "geom_simple_bng": shapely.to_wkb(simple.bng),
            "x": shapely.get_x(inside),
            "y": shapely.get_y(inside),
            "lat": shapely.get_y(inside_ll),
            "long": shapely.get_x(inside_ll),
        }
    )
    record = {
        "layer": layer.layer,
        "file_name": layer.file_name,
        "area_type": layer.area_type,
        "code_column": layer.code_column,
        "name_column": layer.name_column,
        "features": len(layer),
        "crs_declared": layer.crs.declared,
        "crs_used": layer.crs.crs,
        "note": "; ".join([layer.crs.note, *layer.notes]),
        "tolerance_m": simple.tolerance_m,
        "west": west,
        "south": south,
        "east": east,
        "north": north,
        "etag": etag_of(text),
        "geojson": text,
        "source_file": layer.file_name,
    }
    return sql.save_layer(con, record, features)


def rebuild_members(con: duckdb.DuckDBPyConnection) -> None:
    """Link every layer's areas to 2021 output areas (by code, else by position)."""
    if not sql.has_boundaries(con):
        return
    points = None
    row: Any  # a frame row: pandas-stubs types every field as any scalar
    for row in sql.layers(con).itertuples():
        if sql.members_by_code(con, row.layer, row.area_type) or row.area_type == "oa":
            continue
        if points is None:
            points = _oa_points(con)
        sql.save_members(con, row.layer, _spatial_members(con, row.layer, points))


def _oa_points(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """``oa, x, y``: a point in each OA, from OA boundaries first, else its postcodes."""
    from_shapes = sql.feature_points(con, ("oa",)).rename(columns={"code": "oa"})
    centres = sql.oa_postcode_centres(con)[["oa", "x", "y"]]
    centres = centres[~centres["oa"].isin(from_shapes["oa"])]
    both = pd.concat([from_shapes, centres], ignore_index=True)
    return both.dropna(subset=["x", "y"])


def _spatial_members(
    con: duckdb.DuckDBPyConnection, layer: str, points: pd.DataFrame
) -> pd.DataFrame:
    """OAs whose point falls inside each polygon of ``layer``."""
    shapes = sql.layer_shapes(con, layer, simple=False)
    if shapes.empty or points.empty:
        return pd.DataFrame({"code": [], "oa": [], "how": []})
    polys = shapely.from_wkb(shapes["wkb"].to_numpy())
    pts = shapely.points(points["x"].to_numpy(float), points["y"].to_numpy(float))
    tree = shapely.STRtree(polys)
    pt_idx, poly_idx = tree.query(pts, predicate="within")
    codes = shapes["code"].to_numpy()[poly_idx]
    oas = points["oa"].to_numpy()[pt_idx]
    frame = pd.DataFrame({"code": codes, "oa": oas, "how": "position"})
    return frame.drop_duplicates("oa").reset_index(drop=True) if len(frame) else frame


def layer_static_shapes(con: duckdb.DuckDBPyConnection, layer: str) -> tuple[list[str], np.ndarray]:
    """Codes and simplified BNG polygons of a layer, for static maps."""
    shapes = sql.layer_shapes(con, layer, simple=True)
    return shapes["code"].tolist(), shapely.from_wkb(shapes["wkb"].to_numpy())
