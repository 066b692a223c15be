"""Downloads of an upload's results: the same files the command line writes.

``matched.csv`` / ``matched.xlsx`` are written by :func:`oacinsight.match.match_file`
(every row, formula cells neutralised), ``profile.*`` by
:meth:`ProfileResult.write`, ``profile.pdf`` by :mod:`oacinsight.reports.profile_pdf`.
"""

from __future__ import annotations

from typing import Annotated

import pandas as pd
from fastapi import APIRouter, Path, Request
from fastapi.responses import FileResponse, Response

from oacinsight.errors import OacInsightError
from oacinsight.maps.choropleth import map_values
from oacinsight.match import match_file
from oacinsight.reports.profile_pdf import profile_pdf
from oacinsight.web import core, views
from oacinsight.web.state import Upload, WebState

router = APIRouter(tags=["downloads"])
PROFILE_FORMATS = ("csv", "xlsx", "json", "html", "png", "svg", "pdf")
MEDIA = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
    "html": "text/html",
    "png": "image/png",
    "svg": "image/svg+xml",
    "pdf": "application/pdf",
}


def _state(request: Request) -> WebState:
    return request.app.state.web


@router.get("/u/{token}/download/matched.{fmt}", summary="Matched records")
def matched(
    request: Request, token: str, fmt: Annotated[str, Path(pattern="^(csv|xlsx)$")]
) -> FileResponse:
    """Every row of the upload with the added columns, as ``oacinsight match`` writes."""
    state = _state(request)
    up = core.matched(state.get(token))
    out = up.raw.parent / f"matched.{fmt}"
    if not out.exists():
        with state.job() as store:
            match_file(up.raw, out, store=store, postcode_column=up.postcode_column)
    return FileResponse(out, media_type=MEDIA[fmt], filename=f"{_stem(up)}_matched.{fmt}")


@router.get("/u/{token}/download/unmatched.csv", summary="Rows that did not match")
def unmatched(request: Request, token: str) -> Response:
    """The rows without an OAC group, every column, with the reason, and their row number."""
    up = _state(request).get(token)
    failed, _ = core.failed_rows(up, limit=None)
    frame = pd.read_parquet(up.matched).iloc[failed["row"].to_numpy() - 2]
    frame.insert(0, "row", failed["row"].to_numpy())
    from oacinsight.tabular import neutralise

    text = (
        frame.astype(object).map(neutralise).to_csv(index=False)
        if len(frame)
        else (frame.to_csv(index=False))
    )
    return Response(
        text.encode("utf-8-sig"),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{_stem(up)}_unmatched.csv"'},
    )


@router.get("/u/{token}/download/profile.{fmt}", summary="The profile")
def profile(
    request: Request,
    token: str,
    fmt: Annotated[str, Path(pattern="^(csv|xlsx|json|html|png|svg|pdf)$")],
    level: str | None = None,
    base: str | None = None,
    area: str | None = None,
    confidence: float | None = None,
    suppress_below: int | None = None,
) -> Response:
    """The profile with the page's options, in the format asked for."""
    state = _state(request)
    up = core.matched(state.get(token))
    options = core.ProfileOptions.parse(level, base, area, confidence, suppress_below)
    result = core.profile_upload(state, up, options)
    name = f"{_stem(up)}_profile_{options.level}.{fmt}"
    if fmt == "pdf":
        data = profile_pdf(
            result, up.summary, file_name=up.name, map_figure=_map_figure(state, up, options)
        )
        return Response(
            data,
            media_type=MEDIA["pdf"],
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    out = up.raw.parent / f"profile-{abs(hash(options))}.{fmt}"
    result.write(out)
    return FileResponse(out, media_type=MEDIA[fmt], filename=name)


@router.get("/area/{code}/download/{name}", summary="An area profile")
def area_download(
    request: Request,
    code: str,
    name: Annotated[str, Path(pattern="^(area_profile\\.(pdf|xlsx)|oac_mix\\.csv)$")],
) -> Response:
    """The area profile of ``oacinsight area``: one-page PDF, workbook or OAC mix CSV."""
    from oacinsight.reports.area_profile import write_pdf
    from oacinsight.tabular import neutralise

    state = _state(request)
    code = views.area_code(code)
    profile = core.area_profile(state, code)
    headers = {"Content-Disposition": f'attachment; filename="{code}_{name}"'}
    if name == "oac_mix.csv":
        text = profile.to_frame().astype(object).map(neutralise).to_csv(index=False)
        return Response(text.encode("utf-8-sig"), media_type=MEDIA["csv"], headers=headers)
    out = state.tmp / f"area-{code}-{name}"
    try:
        if name.endswith(".pdf"):
            write_pdf(profile, out)
        else:
            profile.write_xlsx(out)
        data = out.read_bytes()
    finally:
        out.unlink(missing_ok=True)
    return Response(data, media_type=MEDIA[name.rsplit(".", 1)[1]], headers=headers)


def _map_figure(state: WebState, up: Upload, options: core.ProfileOptions):
    """A static map of the customer index for the PDF (boundaries, else points)."""
    from oacinsight.maps import static

    layers = core.layer_list(state)
    layer = views.default_layer(state, layers, up)
    frame = core.area_frame(state, up, layer, options.areas)
    from oacinsight.web.geo import map_pattern_of

    pattern = map_pattern_of(
        state, up, () if layer == core.POINTS else options.areas, options.suppress_below
    )
    values = map_values(
        frame,
        "index",
        core.oac_names(state),
        suppress_below=options.suppress_below,
        pattern=pattern,
        layer=layer,
    )
    title = "Customer index by area (100 = as many customers as residents suggest)"
    try:
        if layer == core.POINTS:
            return static.point_map(
                frame["code"].tolist(),
                frame["long"].to_numpy(),
                frame["lat"].to_numpy(),
                values,
                title=title,
            )
        from oacinsight.ingest.boundaries import layer_static_shapes

        with state.job() as store:
            codes, geoms = layer_static_shapes(store.con, layer)
        return static.polygon_map(codes, geoms, values, title=title)
    except OacInsightError:
        return None


def _stem(up: Upload) -> str:
    stem = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in up.name.rsplit(".", 1)[0])
    return stem[:60] or "customers"
