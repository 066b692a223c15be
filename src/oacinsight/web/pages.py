"""The HTML pages: home → upload → match summary → profile → map → area → downloads.

Each handler parses its parameters, calls one function of :mod:`oacinsight.web.core`
and renders a template.  Library errors become an explained 4xx page (see ``app``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from oacinsight.maps.choropleth import MEASURES
from oacinsight.match import STATUSES
from oacinsight.profile.words import HOW_TO_READ, summarise
from oacinsight.web import core, views
from oacinsight.web.format import chart_svg
from oacinsight.web.state import WebState

router = APIRouter(include_in_schema=False)
CHUNK = 1 << 20


def _state(request: Request) -> WebState:
    return request.app.state.web


def render(request: Request, template: str, page: str, **context: Any) -> HTMLResponse:
    """Render a template with the common context."""
    templates = request.app.state.templates
    html = templates.get_template(template).render(request=request, page=page, **context)
    return HTMLResponse(html)


def file_chunks(upload: UploadFile) -> Iterator[bytes]:
    """The bytes of an uploaded file, 1 MiB at a time."""
    while chunk := upload.file.read(CHUNK):
        yield chunk


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    """What is loaded, and the upload form."""
    info = core.overview(_state(request))
    return render(
        request,
        "home.html",
        "home",
        info=info,
        uploads=list(reversed(_state(request).uploads.values())),
    )


@router.post("/upload")
def upload(
    request: Request,
    file: Annotated[UploadFile, File(description="Customer file: CSV, XLSX or Parquet")],
    postcode_column: Annotated[str, Form()] = "",
) -> Response:
    """Save the file for this session, match it, and show the match summary."""
    state = _state(request)
    up = state.new_upload(file.filename or "upload.csv", file_chunks(file))
    try:
        core.match_upload(state, up, postcode_column.strip() or None)
    except Exception:
        state.forget(up.token)
        raise
    return RedirectResponse(f"/u/{up.token}/match", status_code=303)


@router.get("/u/{token}/match", response_class=HTMLResponse)
def match_page(request: Request, token: str) -> HTMLResponse:
    """Match rates per status, failed rows and why, downloads."""
    up = _state(request).get(token)
    summary = core.summary_of(up)
    failed, n_failed = core.failed_rows(up, limit=200)
    return render(
        request,
        "match.html",
        "match",
        up=up,
        summary=summary,
        statuses=summary.to_frame().itertuples(index=False),
        all_statuses=STATUSES,
        failed=failed.itertuples(index=False),
        n_failed=n_failed,
        by_la=summary.by_authority.head(20).itertuples(index=False),
    )


@router.get("/u/{token}/profile", response_class=HTMLResponse)
def profile_page(
    request: Request,
    token: str,
    level: str | None = None,
    base: str | None = None,
    area: str | None = None,
    confidence: float | None = None,
    suppress_below: int | None = None,
) -> HTMLResponse:
    """The index chart with intervals, the table, level switch and area choice."""
    state = _state(request)
    up = core.matched(state.get(token))
    options = core.ProfileOptions.parse(level, base, area, confidence, suppress_below)
    result = core.profile_upload(state, up, options)
    published = result.published_frame()
    return render(
        request,
        "profile.html",
        "profile",
        up=up,
        options=options,
        result=result,
        chart=chart_svg(result),
        sentences=summarise(published, result.base_name),
        how_to_read=HOW_TO_READ,
        table=views.profile_rows(published),
        la_choices=views.authority_choices(up.summary),
        levels=core.RESULT_LEVELS,
        query=options.query(),
    )


@router.get("/u/{token}/map", response_class=HTMLResponse)
def upload_map_page(
    request: Request,
    token: str,
    layer: str | None = None,
    measure: str = "index",
    area: str | None = None,
) -> HTMLResponse:
    """Customers by area on a map (index, rate, count) or OAC groups."""
    state = _state(request)
    up = core.matched(state.get(token))
    return _map(request, state, up, layer, measure, area)


@router.get("/map", response_class=HTMLResponse)
def map_page(
    request: Request, layer: str | None = None, measure: str = "supergroup", area: str | None = None
) -> HTMLResponse:
    """The OAC groups of the loaded boundaries (no customers)."""
    return _map(request, _state(request), None, layer, measure, area)


def _map(
    request: Request, state: WebState, up: Any, layer: str | None, measure: str, area: str | None
) -> HTMLResponse:
    layers = core.layer_list(state)
    names = {*layers["layer"], core.POINTS}
    chosen = layer if layer in names else views.default_layer(state, layers, up)
    measures = {k: v for k, v in MEASURES.items() if up is not None or k in ("supergroup", "group")}
    measure = measure if measure in measures else next(iter(measures))
    row = layers[layers["layer"] == chosen]
    count = int(row["features"].iloc[0]) if len(row) else 0
    url = f"/maps/layers/{chosen}.geojson?v={row['etag'].iloc[0]}" if len(row) else ""
    return render(
        request,
        "map.html",
        "map",
        up=up,
        layer=chosen,
        measure=measure,
        geojson_url=url,
        measures=measures,
        area=",".join(core.area_codes(area)),
        layer_options=views.layer_options(layers),
        features=count,
        renderer="canvas" if count > views.CANVAS_ABOVE else "svg",
    )


@router.get("/docs", response_class=HTMLResponse)
def api_docs(request: Request) -> HTMLResponse:
    """The OpenAPI documentation (Swagger UI served from this app, no CDN)."""
    return render(request, "docs.html", "docs")


@router.get("/areas", response_class=HTMLResponse)
def areas_page(
    request: Request, q: Annotated[str, Query(max_length=100)] = "", u: str | None = None
) -> HTMLResponse:
    """Find a ward or district by name or code (the step navigation kept with ``u``)."""
    state = _state(request)
    up = core.matched(state.get(u)) if u else None
    found = None
    if q.strip():
        found = [
            dict(r, kind_text=views.kind_label(r["code"], r["kind"]))
            for r in core.records(core.search_areas(state, q))
        ]
    return render(request, "areas.html", "areas", q=q, up=up, found=found)


@router.get("/area/{code}", response_class=HTMLResponse)
def area_page(
    request: Request, code: str, u: str | None = None, level: str | None = None
) -> HTMLResponse:
    """One area: what it is made of, and the customers living there."""
    state = _state(request)
    code = views.area_code(code)
    up = core.matched(state.get(u)) if u else None
    if views.kind_label(code) == "output area":
        return render(
            request, "oa.html", "area", up=up, code=code, **views.oa_context(state, code, up)
        )
    context = views.area_context(state, code, up, level)
    if context.get("result") is not None:
        context["chart"] = chart_svg(context["result"])
    return render(
        request, "area.html", "area", up=up, code=code, kind_text=views.kind_label(code), **context
    )
