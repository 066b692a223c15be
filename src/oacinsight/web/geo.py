"""Boundaries as cacheable GeoJSON, and the values a map paints on them.

``/maps/layers/{layer}.geojson`` serves a layer's simplified GeoJSON exactly as stored,
with an ETag; with ``?v=<etag>`` in the URL (as the pages ask) it may be cached for a
year, since a new ingest gives a new ``v``.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from oacinsight.errors import OacInsightError
from oacinsight.maps.choropleth import CUSTOMER_MEASURES, add_rates, map_values
from oacinsight.web import core
from oacinsight.web.state import Upload, WebState

router = APIRouter(tags=["maps"])


def _state(request: Request) -> WebState:
    return request.app.state.web


@router.get("/maps/layers/{layer}.geojson", summary="A boundary layer as GeoJSON")
def layer_geojson(request: Request, layer: str, v: str | None = None) -> Response:
    """The simplified boundaries of one layer (WGS84), cacheable by ETag; compressed once
    and kept, since a large layer is tens of megabytes."""
    state = _state(request)
    zipped, etag = core.layer_geojson_gzip(state, layer)
    tag = f'"{etag}"'
    cache = "public, max-age=31536000, immutable" if v == etag else "no-cache"
    headers = {"ETag": tag, "Cache-Control": cache, "Vary": "Accept-Encoding"}
    if request.headers.get("if-none-match") == tag:
        return Response(status_code=304, headers=headers)
    if "gzip" in request.headers.get("accept-encoding", ""):
        headers["Content-Encoding"] = "gzip"
        return Response(zipped, media_type="application/geo+json", headers=headers)
    text, _ = core.layer_geojson(state, layer)
    return Response(text, media_type="application/geo+json", headers=headers)


@router.get("/api/boundaries", summary="Boundary layers loaded")
def boundaries(request: Request) -> list[dict[str, Any]]:
    """Every loaded layer: area type, features, CRS and how it was chosen, GeoJSON URL."""
    frame = core.layer_list(_state(request))
    out = core.records(frame.drop(columns=["loaded_at"], errors="ignore"))
    for row in out:
        row["url"] = f"/maps/layers/{row['layer']}.geojson?v={row['etag']}"
    return out


@router.get("/api/boundaries/{layer}", summary="One boundary layer as GeoJSON")
def boundary(request: Request, layer: str, v: str | None = None) -> Response:
    """Same as ``/maps/layers/{layer}.geojson``."""
    return layer_geojson(request, layer, v)


@router.get("/api/map-values", summary="Colours, legend and hover text of a map")
def map_values_api(
    request: Request,
    layer: Annotated[str, Query(description="A layer name, or 'points'")],
    measure: Annotated[
        str, Query(description="supergroup, group, index, rate, customers")
    ] = "supergroup",
    u: Annotated[str | None, Query(description="Upload token (for customer measures)")] = None,
    area: Annotated[str | None, Query(description="Area codes for the points map")] = None,
    suppress_below: int = 10,
) -> JSONResponse:
    """Per area: value, colour and hover text; plus the legend and an explanation.
    For ``layer=points`` also the points (code, latitude, longitude)."""
    state = _state(request)
    values, frame = _values(state, layer, measure, u, area, suppress_below)
    body = values.to_json()
    if layer == core.POINTS:
        body["points"] = [
            [code, round(float(lat), 6), round(float(long), 6)]
            for code, lat, long in zip(frame["code"], frame["lat"], frame["long"], strict=True)
        ]
    return JSONResponse(body)


def _values(
    state: WebState,
    layer: str,
    measure: str,
    token: str | None,
    area: str | None,
    suppress_below: int,
) -> tuple[Any, pd.DataFrame]:
    up = state.get(token) if token else None
    areas = core.area_codes(area)
    key = ("map", layer, areas)
    cache = up.results if up is not None else state.cache
    if key not in cache:
        cache[key] = core.area_frame(state, up, layer, areas)
    frame = cache[key]
    pattern = (
        map_pattern_of(state, up, () if layer == core.POINTS else areas, suppress_below)
        if up is not None and measure in CUSTOMER_MEASURES
        else None
    )
    return map_values(
        frame,
        measure,
        core.oac_names(state),
        suppress_below=suppress_below,
        pattern=pattern,
        layer=layer,
    ), frame


def map_pattern_of(state: WebState, up: Upload, areas: tuple[str, ...], suppress_below: int) -> Any:
    """The map's share of the upload's one disclosure pattern (for its profile of
    ``areas``, default: the profile's default area), computed once and cached: the map
    values, the GeoJSON download and the report's static map all use it."""
    from oacinsight.maps.disclosure import PUBLISHED_TYPES, MapPattern, map_pattern
    from oacinsight.store import boundaries as bsql
    from oacinsight.store import profiles

    key = ("map-pattern", areas, int(suppress_below))
    if key in up.results:
        return up.results[key]
    options = core.ProfileOptions.parse("all", None, ",".join(areas), None, suppress_below)
    try:
        result = core.profile_upload(state, up, options)
    except OacInsightError as exc:
        up.results[key] = MapPattern(threshold=int(suppress_below), note=str(exc))
        return up.results[key]
    full = result.full_table if result.full_table is not None else result.table
    layers = core.layer_list(state)
    types = dict(zip(layers["layer"], layers["area_type"], strict=True))
    with state.job() as store:
        area = profiles.area_oas(store, [c for c, _ in result.areas])
        oas, members = bsql.area_oa_members(
            store.con, area, [lay for lay, t in types.items() if t in PUBLISHED_TYPES]
        )
    oas = oas.merge(core.customers_by_oa(up), on="oa", how="left")
    oas["customers"] = oas["customers"].fillna(0).astype(int)
    up.results[key] = map_pattern(oas, members, types, full, threshold=int(suppress_below))
    return up.results[key]


@router.get("/u/{token}/download/map.geojson", summary="The mapped numbers as GeoJSON")
def download_map(request: Request, token: str, layer: str, suppress_below: int = 10) -> Response:
    """The layer's areas with customers, residents, rate, index and main OAC group.
    Customers, rate and index are blank wherever the map hides them (the upload's one
    disclosure pattern, :func:`map_pattern_of`)."""
    state = _state(request)
    if layer == core.POINTS:
        raise OacInsightError("choose a boundary layer to download a map as GeoJSON")
    up = state.get(token)
    _, frame = _values(state, layer, "customers", token, None, suppress_below)
    data = add_rates(frame)
    shown = map_pattern_of(state, up, (), suppress_below).shown_codes(layer)
    hide = ~data["code"].astype(str).isin(shown)
    data[["customers", "rate", "index"]] = data[["customers", "rate", "index"]].astype(object)
    data.loc[hide, ["customers", "rate", "index"]] = None
    props = {r["code"]: r for r in core.records(data)}
    text, _ = core.layer_geojson(state, layer)
    collection = json.loads(text)
    for feature in collection["features"]:
        feature["properties"].update(props.get(feature["id"], {}))
    collection["name"] = f"{layer} customers of {up.name}"
    headers = {"Content-Disposition": f'attachment; filename="map_{layer}.geojson"'}
    return Response(json.dumps(collection), media_type="application/geo+json", headers=headers)
