"""The need map (static PNG) and GeoJSON of expected demand where boundaries are loaded.

With an output-area boundary layer the map fills the area's OAs; without boundaries it
draws the live postcodes of the area at their centroids.  Both colour by quintile of
the OA's expected rate, with the target areas in blue.  GeoJSON carries model outputs
only (expected values), never observed counts.
"""

from __future__ import annotations

import json

import duckdb
import numpy as np
import pandas as pd
import shapely

from oacinsight.ingest.boundaries import layer_static_shapes
from oacinsight.maps.boundaries import bng_to_wgs84
from oacinsight.maps.static import point_map, polygon_map
from oacinsight.need.figures import need_map_values
from oacinsight.reports.charts import png_bytes
from oacinsight.store import boundaries as bsql
from oacinsight.store import need as sql

__all__ = ["MAX_POINTS", "need_maps"]

#: Postcode points drawn at most (evenly thinned beyond).
MAX_POINTS = 60_000
_GEO_PROPS = ("expected", "expected_low", "expected_high", "expected_rate", "residents")


def need_maps(
    con: duckdb.DuckDBPyConnection,
    oas: pd.DataFrame,
    expected: pd.DataFrame,
    targets: pd.DataFrame,
    postcodes: pd.DataFrame,
    area_type: str,
) -> tuple[bytes | None, dict[str, str]]:
    """``(map PNG, {area_type: GeoJSON text})``."""
    oa_rows = expected[expected["area_type"] == "oa"]
    key = {"oa": "oa", "lsoa": "lsoa", "ward": "ward"}[area_type]
    target_oas = set(oas.loc[oas[key].isin(targets["area_code"]), "oa"])
    values = need_map_values(oa_rows["area_code"], oa_rows["expected_rate"], target_oas)
    layers = bsql.layers(con)
    oa_layer = layers[layers["area_type"] == "oa"]["layer"].tolist()
    png = None
    if oa_layer:
        codes, geoms = layer_static_shapes(con, oa_layer[0])
        keep = [i for i, c in enumerate(codes) if c in values.areas]
        if keep:
            fig = polygon_map(
                [codes[i] for i in keep], geoms[keep], values, title="Areas of likely need"
            )
            png = png_bytes(fig, dpi=120)
    if png is None:
        pts = sql.live_postcodes(con, oa_rows["area_code"].tolist()).dropna(subset=["lat"])
        if len(pts):
            step = int(np.ceil(len(pts) / MAX_POINTS))
            pts = pts.iloc[::step]
            fig = point_map(
                pts["oa"].tolist(),
                pts["long"].to_numpy(),
                pts["lat"].to_numpy(),
                values,
                title="Areas of likely need (postcode centroids)",
            )
            png = png_bytes(fig, dpi=120)
    return png, _geojson(con, layers, expected)


def _geojson(
    con: duckdb.DuckDBPyConnection, layers: pd.DataFrame, expected: pd.DataFrame
) -> dict[str, str]:
    out: dict[str, str] = {}
    for row in layers.itertuples(index=False):
        kind = str(row.area_type)
        if kind not in ("oa", "lsoa", "ward", "lad") or kind in out:
            continue
        mine = expected[expected["area_type"] == kind].set_index("area_code")
        shapes = bsql.layer_shapes(con, str(row.layer))
        shapes = shapes[shapes["code"].isin(mine.index)]
        if shapes.empty:
            continue
        geoms = bng_to_wgs84(shapely.from_wkb(shapes["wkb"].to_numpy()))
        feats = []
        for code, name, geom in zip(
            shapes["code"], shapes["name"], shapely.to_geojson(geoms), strict=True
        ):
            props = {"code": code, "name": name}
            props.update({p: _num(mine.at[code, p]) for p in _GEO_PROPS})
            feats.append(f'{{"type":"Feature","properties":{json.dumps(props)},"geometry":{geom}}}')
        out[kind] = (
            '{"type":"FeatureCollection","name":"expected_'
            + kind
            + '","features":['
            + ",\n".join(feats)
            + "]}"
        )
    return out


def _num(v: object) -> float | None:
    try:
        f = float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return f if np.isfinite(f) else None
