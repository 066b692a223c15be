"""Invented boundaries for Demoshire, in the layout of ONS Open Geography downloads.

Demoshire's wards are squares on a grid; each output area is the part of its ward
nearest to the centre of the OA's postcodes (a Voronoi cell), so the OAs tile the wards
with no gaps or overlaps, as real boundaries do.  They are written as GeoJSON in WGS84
(RFC 7946, no ``crs`` member), like the portal's downloads, using the same
grid-to-longitude/latitude rule as the demo's postcode directory so postcodes fall
inside their areas.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from oacinsight.demo._world import (
    CELL_METRES,
    GRID_ORIGIN,
    LATLONG_REF,
    N_WARDS,
    WARD_COLUMNS,
)
from oacinsight.demo.synth import DemoFiles

OA_FILE = "Output_Areas_Dec_2021_Boundaries_EW_BGC_Demoshire.geojson"
WARD_FILE = "Wards_May_2021_Boundaries_UK_BGC_Demoshire.geojson"


def _to_latlong(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The demo's linear grid → longitude/latitude rule (see ``demo.synth._latlong``)."""
    e0, n0, lat0, long0 = LATLONG_REF
    lat = lat0 + (y - n0) / 111_200
    long = long0 + (x - e0) / (111_320 * math.cos(math.radians(lat0)))
    return np.round(long, 6), np.round(lat, 6)


def _ward_cell(index: int) -> shapely.Geometry:
    x0 = GRID_ORIGIN[0] + (index % WARD_COLUMNS) * CELL_METRES
    y0 = GRID_ORIGIN[1] + (index // WARD_COLUMNS) * CELL_METRES
    return shapely.box(x0, y0, x0 + CELL_METRES, y0 + CELL_METRES)


def oa_centres(files: DemoFiles) -> pd.DataFrame:
    """``oa, ward, x, y``: each 2021 OA's postcode centre and its ward."""
    oas = set(pd.read_parquet(files.oac_assignment)["Geography_Code"].astype(str))
    pcs = pd.read_csv(
        files.postcode_directory, dtype=str, usecols=["oa11", "ward", "oseast1m", "osnrth1m"]
    ).dropna()
    pcs = pcs[pcs["oa11"].isin(oas)]
    pcs["x"] = pcs["oseast1m"].astype(float)
    pcs["y"] = pcs["osnrth1m"].astype(float)
    out = (
        pcs.groupby("oa11")
        .agg(ward=("ward", lambda s: s.mode().iloc[0]), x=("x", "mean"), y=("y", "mean"))
        .reset_index()
    )
    return out.rename(columns={"oa11": "oa"})


def demo_oa_polygons(centres: pd.DataFrame) -> pd.DataFrame:
    """``oa, ward, geometry`` (BNG): Voronoi cells of the OA centres inside each ward."""
    rows = []
    for ward, part in centres.groupby("ward", sort=True):
        cell = _ward_cell(int(str(ward)[3:]) - 999001)
        pts = shapely.points(part["x"].to_numpy(), part["y"].to_numpy())
        if len(pts) == 1:
            polys = [cell]
        else:
            vor = shapely.voronoi_polygons(shapely.multipoints(pts), extend_to=cell, ordered=True)
            polys = list(shapely.intersection(shapely.get_parts(vor), cell))
        rows += [(oa, ward, g) for oa, g in zip(part["oa"], polys, strict=True)]
    frame = pd.DataFrame(rows, columns=["oa", "ward", "geometry"])
    frame["geometry"] = list(_noded(np.array(list(frame["geometry"]), dtype=object)))
    return frame


def _noded(polys: np.ndarray) -> np.ndarray:
    """The same polygons rebuilt from one noded set of edges, so neighbours share
    exactly the same vertices (a valid coverage)."""
    lines = shapely.union_all(shapely.boundary(polys))
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(lines)))
    face_i, poly_i = shapely.STRtree(polys).query(
        shapely.point_on_surface(faces), predicate="within"
    )
    out = polys.copy()
    for i in np.unique(poly_i):
        parts = faces[face_i[poly_i == i]]
        out[i] = parts[0] if len(parts) == 1 else shapely.coverage_union_all(parts)
    return out


def _write_geojson(path: Path, props: list[dict[str, str]], geoms: list) -> None:
    arr = np.array(geoms, dtype=object)
    arr = shapely.transform(arr, lambda x, y: _to_latlong(x, y), interleaved=False)
    features = [
        {"type": "Feature", "properties": p, "geometry": json.loads(g)}
        for p, g in zip(props, shapely.to_geojson(arr), strict=True)
    ]
    name = path.stem
    path.write_text(
        json.dumps({"type": "FeatureCollection", "name": name, "features": features}),
        encoding="utf-8",
    )


def write_demo_boundaries(files: DemoFiles, ward_names: dict[str, str] | None = None) -> list[Path]:
    """Write Demoshire's OA and ward boundaries under ``files.root / "boundaries"``.

    Parameters
    ----------
    files : DemoFiles
        The demo's files (the postcode directory and OAC assignment are read).
    ward_names : dict of str to str, optional
        Ward code → name.

    Returns
    -------
    list of pathlib.Path
        The OA file and the ward file.
    """
    folder = files.root / "boundaries"
    folder.mkdir(parents=True, exist_ok=True)
    oas = demo_oa_polygons(oa_centres(files))
    oa_path, ward_path = folder / OA_FILE, folder / WARD_FILE
    _write_geojson(oa_path, [{"OA21CD": oa} for oa in oas["oa"]], list(oas["geometry"]))
    wards = [f"E05{999001 + w}" for w in range(N_WARDS)]
    names = ward_names or {}
    _write_geojson(
        ward_path,
        [{"WD21CD": w, "WD21NM": names.get(w, w)} for w in wards],
        [_ward_cell(w) for w in range(N_WARDS)],
    )
    return [oa_path, ward_path]
