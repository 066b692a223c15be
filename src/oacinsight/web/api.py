"""The REST API (OpenAPI docs at ``/docs``): the same jobs as the command line.

``POST /api/match`` and ``POST /api/profile`` take a multipart file and the options of
``oacinsight match`` / ``oacinsight profile`` and return the columns the CLI writes to
CSV, as JSON records (or, with ``format=csv``, the CLI's CSV itself).  The uploaded
file is deleted as soon as the answer is made.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response

from oacinsight.errors import OacInsightError
from oacinsight.profile.run import profile_file
from oacinsight.web import core, views
from oacinsight.web.pages import file_chunks
from oacinsight.web.state import Upload, WebState

router = APIRouter(prefix="/api", tags=["api"])
Format = Annotated[str, Query(pattern="^(json|csv)$", description="json records or csv")]


def _state(request: Request) -> WebState:
    return request.app.state.web


@contextmanager
def _transient(state: WebState, file: UploadFile) -> Iterator[Upload]:
    """An upload that lives only for one API call."""
    up = state.new_upload(file.filename or "upload.csv", file_chunks(file))
    try:
        yield up
    finally:
        state.forget(up.token)


@router.get("/store", summary="What is loaded in the store")
def store_status(request: Request) -> dict[str, Any]:
    """Files loaded (kind, file, edition, rows, date) and boundary layers."""
    info = core.overview(_state(request))
    return {
        "store": info["path"],
        "files": core.records(info["files"]),
        "boundary_layers": core.records(info["layers"]),
    }


@router.post("/match", summary="Match a customer file by postcode")
def api_match(
    request: Request,
    file: Annotated[UploadFile, File(description="CSV, XLSX or Parquet")],
    postcode_column: Annotated[str, Form(description="found when blank")] = "",
    format: Format = "json",
) -> Response:
    """Every input row with output area, OAC groups, LSOA, ward, district, IMD rank,
    ``match_status`` and ``match_note``; plus the summary (counts per status)."""
    state = _state(request)
    with _transient(state, file) as up:
        summary = core.match_upload(state, up, postcode_column.strip() or None)
        frame = pd.read_parquet(up.matched)
    if format == "csv":
        return _csv(frame, "matched.csv")
    return JSONResponse(
        {
            "summary": summary.to_dict(),
            "columns": list(map(str, frame.columns)),
            "records": core.records(frame),
        }
    )


@router.post("/profile", summary="Profile a customer file against residents or households")
def api_profile(
    request: Request,
    file: Annotated[UploadFile, File(description="Customer file, raw or matched")],
    level: Annotated[str, Form(description="supergroup, group, subgroup or all")] = "supergroup",
    base: Annotated[str, Form(description="residents or households")] = "residents",
    base_file: Annotated[UploadFile | None, File(description="A file base instead")] = None,
    area: Annotated[str, Form(description="Area GSS codes, comma-separated")] = "",
    confidence: Annotated[float, Form()] = 0.95,
    suppress_below: Annotated[int, Form()] = 10,
    postcode_column: Annotated[str, Form()] = "",
    format: Format = "json",
    disclosure: Annotated[str, Form(description="suppress or cellkey")] = "suppress",
) -> Response:
    """The published profile: exactly the rows and columns ``oacinsight profile -o x.csv``
    writes, with the metadata (coverage, base, interval method, suppression)."""
    state = _state(request)
    options = core.ProfileOptions.parse(
        level, None if base_file else base, area, confidence, suppress_below, disclosure
    )
    with _transient(state, file) as up:
        result = _profile(state, up, options, base_file, postcode_column.strip() or None)
    if format == "csv":
        path = state.tmp / f"profile-{up.token}.csv"
        try:
            result.write(path)
            data = path.read_bytes()
        finally:
            path.unlink(missing_ok=True)
        return Response(data, media_type="text/csv", headers=_attachment("profile.csv"))
    body = result.metadata()
    frame = result.published_frame()
    body.update(columns=list(map(str, frame.columns)), records=core.records(frame))
    return JSONResponse(body)


def _profile(
    state: WebState,
    up: Upload,
    options: core.ProfileOptions,
    base_file: UploadFile | None,
    postcode_column: str | None,
) -> Any:
    base = options.base
    base_up = None
    if base_file is not None and base_file.filename:
        base_up = state.new_upload(base_file.filename, file_chunks(base_file))
        base = str(base_up.raw)
    try:
        with core.named(up), state.job() as store:
            return profile_file(
                up.raw,
                store=store,
                level=options.level,
                base=base,
                areas=list(options.areas) or None,
                confidence=options.confidence,
                suppress_below=options.suppress_below,
                postcode_column=postcode_column,
                disclosure=options.disclosure,
            )
    finally:
        if base_up is not None:
            state.forget(base_up.token)


@router.get("/areas", summary="Find areas by name or code")
def areas(
    request: Request, q: Annotated[str, Query(min_length=1, max_length=100)]
) -> list[dict[str, Any]]:
    """Named areas and boundary areas whose code or name contains ``q``."""
    found = core.records(core.search_areas(_state(request), q))
    return [dict(r, kind=views.kind_label(r["code"], r["kind"])) for r in found]


@router.get("/areas/{code}", summary="One area: name, kind, boundaries, OAC mix")
def area(request: Request, code: str) -> dict[str, Any]:
    """What the store knows of an area: its name, the layers drawing it, and per layer
    its output areas, residents and main OAC groups."""
    state = _state(request)
    code = views.area_code(code)
    info = views.area_context(state, code, None, None)
    if info["name"] is None and info["layers"].empty and info["profile"] is None:
        raise OacInsightError(f"area {code} is not known to the store")
    measures = []
    for layer in info["layers"]["layer"]:
        frame = core.area_frame(state, None, layer)
        measures += [dict(r, layer=layer) for r in core.records(frame[frame["code"] == code])]
    profile = info["profile"]
    tables = (
        None
        if profile is None
        else {
            name: core.records(frame)
            for name, frame in profile.tables().items()
            if name != "output_areas"
        }
    )
    return {
        "code": code,
        "name": info["name"],
        "kind": info["kind"],
        "coverage": [] if profile is None else list(profile.coverage),
        "layers": core.records(info["layers"]),
        "measures": measures,
        "summary": [] if profile is None else profile.summary,
        "profile": tables,
        "profile_error": info["profile_error"],
    }


def _csv(frame: pd.DataFrame, name: str) -> Response:
    from oacinsight.tabular import neutralise

    safe = frame.astype(object).map(neutralise) if len(frame) else frame
    return Response(
        safe.to_csv(index=False).encode("utf-8-sig"),
        media_type="text/csv",
        headers=_attachment(name),
    )


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"'}
