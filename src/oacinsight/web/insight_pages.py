"""The survey page (issue 11) and the need page (issue 12), their downloads and their
API calls ``POST /api/survey`` and ``POST /api/need``.

Each handler parses its fields (:mod:`oacinsight.web.insight`), runs one library
function and formats the answer; the downloads and the API answers are the files
``oacinsight survey -o`` and ``oacinsight need -o`` write for the same options.
"""

from __future__ import annotations

import json
import shutil
from contextlib import nullcontext
from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from oacinsight.errors import OacInsightError
from oacinsight.need import need_by_file, need_file
from oacinsight.profile.periods import FREQS
from oacinsight.survey import (
    SurveyComparison,
    SurveyOptions,
    SurveyResult,
    SurveySlices,
    survey_by_file,
    survey_file,
)
from oacinsight.web import core, insight, slices
from oacinsight.web.compare_pages import user_columns
from oacinsight.web.pages import file_chunks, render
from oacinsight.web.state import Upload, WebState

router = APIRouter(include_in_schema=False)
api_router = APIRouter(prefix="/api", tags=["api"])
SURVEY_FILES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
    "png": "image/png",
}
SURVEY_BY_FILES = {**SURVEY_FILES, "html": "text/html"}
Format = Annotated[str, Query(pattern="^(json|csv)$", description="json or csv")]


def _state(request: Request) -> WebState:
    return request.app.state.web


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"'}


# -- survey page ------------------------------------------------------------------------
@router.get("/survey", response_class=HTMLResponse)
def survey_start(request: Request) -> HTMLResponse:
    """Upload a survey file, or choose one uploaded already."""
    uploads = list(reversed(_state(request).uploads.values()))
    return render(
        request, "survey.html", "survey", up=None, uploads=uploads, columns=None, result=None
    )


@router.post("/survey/upload")
def survey_upload(request: Request, file: Annotated[UploadFile, File()]) -> Response:
    """Keep the survey file for this session (not matched: the page places it)."""
    state = _state(request)
    up = state.new_upload(file.filename or "survey.csv", file_chunks(file))
    try:
        insight.survey_table(state, up)
    except Exception:
        state.forget(up.token)
        raise
    return RedirectResponse(f"/u/{up.token}/survey", status_code=303)


@router.get("/u/{token}/survey", response_class=HTMLResponse)
def survey_page(
    request: Request,
    token: str,
    question: Annotated[list[str] | None, Query()] = None,
    positive: str | None = None,
    placed_by: str | None = None,
    column: str | None = None,
    edition: str | None = None,
    level: str | None = None,
    weight: str | None = None,
    area: str | None = None,
    min_n: str | None = None,
    by: str | None = None,
    period: str | None = None,
    freq: str | None = None,
) -> HTMLResponse:
    """The form (columns of the file) and, once a question is chosen, the result (with
    a column or a date column to compare by: the comparison of its slices)."""
    state = _state(request)
    up = state.get(token)
    frame = insight.survey_table(state, up)
    chosen = [q for q in question or [] if q.strip()]
    context: dict[str, Any] = {
        "columns": [str(c) for c in frame.columns],
        "chosen": chosen,
        "choices": insight.answer_choices(frame, chosen),
        "result": None,
        "form": {
            "positive": positive or "",
            "placed_by": placed_by or "postcode",
            "column": column or "",
            "edition": edition or "2021",
            "level": level or "supergroup",
            "weight": weight or "",
            "area": area or "",
            "min_n": min_n or "30",
            "by": by or "",
            "period": period or "",
            "freq": freq or "year",
        },
    }
    slicing = slices.survey_slices(by, period, freq)
    if chosen and (positive or "").strip() and slicing is not None:
        options = insight.survey_options(
            chosen, positive, placed_by, column, edition, level, weight, area, min_n
        )
        compared = slices.run_survey_by(state, up, options, slicing)
        query = [*insight.survey_query(options), *_slice_query(slicing)]
        context.update(by_result=compared, by_view=slices.survey_by_view(compared), query=query)
    elif chosen and (positive or "").strip():
        options = insight.survey_options(
            chosen, positive, placed_by, column, edition, level, weight, area, min_n
        )
        result = insight.run_survey(state, up, options)
        from oacinsight.reports.charts import png_bytes, png_data_uri

        context.update(
            result=result,
            view=insight.survey_view(result),
            chart_uri=png_data_uri(png_bytes(result.figure(), dpi=110)),
            query=insight.survey_query(options),
        )
    return render(request, "survey.html", "survey", up=up, **context)


@router.get("/u/{token}/survey/download/{fmt}")
def survey_download(
    request: Request,
    token: str,
    fmt: str,
    question: Annotated[list[str] | None, Query()] = None,
    positive: str | None = None,
    placed_by: str | None = None,
    column: str | None = None,
    edition: str | None = None,
    level: str | None = None,
    weight: str | None = None,
    area: str | None = None,
    min_n: str | None = None,
    by: str | None = None,
    period: str | None = None,
    freq: str | None = None,
) -> Response:
    """survey.csv / .xlsx / .json / .png: what ``oacinsight survey -o`` writes (with
    ``by`` or ``period``, also .html: what ``oacinsight survey --by`` writes)."""
    slicing = slices.survey_slices(by, period, freq)
    formats = SURVEY_FILES if slicing is None else SURVEY_BY_FILES
    if fmt not in formats:
        raise OacInsightError(f"format: {fmt[:20]!r} is not one of {', '.join(formats)}")
    state = _state(request)
    up = state.get(token)
    options = insight.survey_options(
        question or [], positive, placed_by, column, edition, level, weight, area, min_n
    )
    result: SurveyResult | SurveyComparison = (
        insight.run_survey(state, up, options)
        if slicing is None
        else slices.run_survey_by(state, up, options, slicing)
    )
    path = state.tmp / f"survey-{up.token}.{fmt}"
    try:
        result.write(path)
        data = path.read_bytes()
    finally:
        path.unlink(missing_ok=True)
    return Response(data, media_type=formats[fmt], headers=_attachment(f"survey.{fmt}"))


def _slice_query(slicing: SurveySlices) -> list[tuple[str, str]]:
    """URL query of the compare-by fields (``freq`` only with ``period``)."""
    if slicing.by:
        return [("by", slicing.by)]
    return [("period", str(slicing.period)), ("freq", slicing.freq)]


# -- need page --------------------------------------------------------------------------
def _need_form(request: Request, up: Upload) -> insight.NeedForm:
    """The need options in the query; a survey upload's own page takes its rates from
    the survey (a customer upload's, from its customers)."""
    values = dict(request.query_params)
    if up.summary is None:
        values.setdefault("survey", up.token)
    return insight.NeedForm.parse(values, "customers" if up.summary else "survey")


@router.get("/u/{token}/need", response_class=HTMLResponse)
def need_page(request: Request, token: str, run: str | None = None) -> HTMLResponse:
    """The options and, once asked, rates, target list, gains chart and map.  Query:
    the fields of :class:`oacinsight.web.insight.NeedForm`."""
    from oacinsight.web import views

    state = _state(request)
    up = state.get(token)
    form = _need_form(request, up)
    named = {t: state.get(t).name for t in (form.observed, form.rates) if t}
    context: dict[str, Any] = {
        "form": form,
        "observed_name": named.get(form.observed),
        "rates_name": named.get(form.rates),
        "surveys": insight.survey_uploads(state),
        "result": None,
        "la_choices": views.authority_choices(up.summary) if up.summary else [],
        "by_columns": user_columns(up) if up.summary else [],
        "freqs": FREQS,
    }
    if form.sliced and run:
        compared = slices.run_need_by(state, up, form)
        context.update(by_result=compared, by_view=slices.need_by_view(compared),
                       by_files=list(slices.need_by_files(state, up, form)),
                       query=form.query())  # fmt: skip
    elif run or form.observed or form.rates:
        result = insight.run_need(state, up, form)
        context.update(result=result, view=insight.need_view(result), query=form.query())
    return render(request, "need.html", "need", up=up, **context)


def need_fields(
    area: Annotated[str, Form(description="Area GSS codes, comma-separated")] = "",
    level: Annotated[str, Form()] = "group",
    base: Annotated[str, Form()] = "residents",
    question: Annotated[str, Form(description="Survey: the need column")] = "",
    positive: Annotated[str, Form(description="Survey: the positive answers")] = "",
    weight: Annotated[str, Form(description="Survey: the weight column")] = "",
    observed_count: Annotated[str, Form()] = "",
    target_type: Annotated[str, Form()] = "lsoa",
    top: Annotated[str, Form()] = "20",
    min_expected: Annotated[str, Form()] = "10",
    max_ratio: Annotated[str, Form()] = "1",
    min_shortfall: Annotated[str, Form()] = "0",
    suppress_below: Annotated[str, Form()] = "10",
    by: Annotated[str, Form(description="Compare by this column (a service, a channel)")] = "",
    period: Annotated[str, Form(description="Or by period of this date column")] = "",
    freq: Annotated[str, Form(description="year, quarter or month (with period)")] = "year",
) -> dict[str, str]:
    """The option fields the need page's form and ``POST /api/need`` share (the options
    of ``oacinsight need``), as text for :meth:`insight.NeedForm.parse`, which checks
    them with one-line errors naming the field."""
    return {
        "area": area,
        "level": level,
        "base": base,
        "question": question,
        "positive": positive,
        "weight": weight,
        "observed_count": observed_count,
        "target_type": target_type,
        "top": top,
        "min_expected": min_expected,
        "max_ratio": max_ratio,
        "min_shortfall": min_shortfall,
        "suppress_below": suppress_below,
        "by": by,
        "period": period,
        "freq": freq,
    }


NeedFields = Annotated[dict[str, str], Depends(need_fields)]


@router.post("/u/{token}/need")
def need_run(
    request: Request,
    token: str,
    fields: NeedFields,
    file: Annotated[UploadFile | None, File(description="Observed users")] = None,
    rates_file: Annotated[UploadFile | None, File(description="A rates.csv")] = None,
    source: Annotated[str, Form()] = "",
    rates: Annotated[str, Form()] = "",
    survey: Annotated[str, Form()] = "",
    observed: Annotated[str, Form()] = "",
) -> Response:
    """The options form, with optional files (observed claimants or users; a rates
    file): keep the files and show the need with these options."""
    from urllib.parse import urlencode

    state = _state(request)
    up = state.get(token)
    values = {**fields, "source": source, "rates": rates, "survey": survey, "observed": observed}
    for field, upload in (("observed", file), ("rates", rates_file)):
        if upload is not None and upload.filename:
            values[field] = state.new_upload(upload.filename, file_chunks(upload)).token
    if up.summary is None:
        values["survey"] = values["survey"] or token
    form = insight.NeedForm.parse(values, "customers" if up.summary else "survey")
    form.check()
    for t in (form.observed, form.rates, form.survey):
        if t:
            state.get(t)  # a token of this session, or a one-line 404
    query = {**form.query(), "run": "1"}
    return RedirectResponse(f"/u/{token}/need?{urlencode(query)}", status_code=303)


@router.get("/u/{token}/need/download/{name}")
def need_download(request: Request, token: str, name: str) -> Response:
    """rates.csv / expected.csv / targets.csv / gains.csv: what ``oacinsight need``
    writes."""
    stem = name.removesuffix(".csv")
    if stem not in insight.NEED_FILES:
        raise OacInsightError(
            f"file: {name[:30]!r} is not one of {', '.join(f + '.csv' for f in insight.NEED_FILES)}"
        )
    state = _state(request)
    up = state.get(token)
    result = insight.run_need(state, up, _need_form(request, up))
    folder = state.tmp / f"need-{up.token}"
    try:
        written = result.write_csv(folder)
        data = written[stem].read_bytes()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return Response(data, media_type="text/csv", headers=_attachment(f"{stem}.csv"))


# -- API --------------------------------------------------------------------------------
@api_router.post("/survey", summary="Survey answers by OAC group (oacinsight survey)")
def api_survey(
    request: Request,
    file: Annotated[UploadFile, File(description="Survey file: CSV, XLSX or Parquet")],
    question: Annotated[list[str], Form(description="Question column(s)")],
    positive: Annotated[str, Form(description="Labels, comma-separated, or e.g. >=4")],
    postcode_column: Annotated[str, Form()] = "",
    oa_column: Annotated[str, Form()] = "",
    group_column: Annotated[str, Form()] = "",
    edition: Annotated[str, Form()] = "2021",
    level: Annotated[str, Form()] = "supergroup",
    weight: Annotated[str, Form()] = "",
    area: Annotated[str, Form(description="Area GSS codes, comma-separated")] = "",
    min_n: Annotated[int, Form()] = 30,
    confidence: Annotated[float, Form()] = 0.95,
    suppress_below: Annotated[int, Form()] = 10,
    dont_know: Annotated[str, Form()] = "",
    by: Annotated[str, Form(description="Compare by this column (a wave, a channel)")] = "",
    period: Annotated[str, Form(description="Or by period of this date column")] = "",
    freq: Annotated[str, Form(description="year, quarter or month (with period)")] = "year",
    format: Format = "json",
) -> Response:
    """The result ``oacinsight survey -o x.json`` writes (or, with ``format=csv``, the
    CSV of ``-o x.csv``); with ``by`` or ``period`` (and ``freq``), that of
    ``oacinsight survey --by/--period``."""
    slicing = slices.survey_slices(by, period, freq)
    options = SurveyOptions(
        questions=tuple(question),
        positive=positive,
        postcode_column=postcode_column.strip() or None,
        oa_column=oa_column.strip() or None,
        group_column=group_column.strip() or None,
        edition=edition.strip(),
        level=level.strip().lower(),
        weight=weight.strip() or None,
        areas=core.area_codes(area),
        min_n=min_n,
        confidence=confidence,
        suppress_below=suppress_below,
        dont_know=tuple(x for x in dont_know.split(",") if x.strip()),
    )
    state = _state(request)
    up = state.new_upload(file.filename or "survey.csv", file_chunks(file))
    try:
        with core.named(up), state.job() as store:
            result: SurveyResult | SurveyComparison = (
                survey_file(up.raw, options, store=store)
                if slicing is None
                else survey_by_file(up.raw, options, slicing, store=store)
            )
        if format == "json":
            return JSONResponse(result.to_dict())
        path = state.tmp / f"survey-{up.token}.csv"
        result.write(path)
        return Response(path.read_bytes(), media_type="text/csv", headers=_attachment("survey.csv"))
    finally:
        state.forget(up.token)


@api_router.post("/need", summary="Areas of likely need (oacinsight need)")
def api_need(
    request: Request,
    fields: NeedFields,
    file: Annotated[
        UploadFile | None,
        File(description="Customers with the need (raw or matched), or a survey with question"),
    ] = None,
    rates: Annotated[
        UploadFile | None, File(description="Rates learnt elsewhere (--rates): a rates.csv")
    ] = None,
    observed: Annotated[UploadFile | None, File(description="Observed users")] = None,
    confidence: Annotated[float, Form()] = 0.95,
    postcode_column: Annotated[str, Form()] = "",
) -> Response:
    """``need.json`` of ``oacinsight need -o DIR`` for the same options: ``file`` (with
    ``question`` and ``positive`` it is a survey) or ``rates``, not both.  With ``by``
    or ``period`` (and ``freq``): ``need_by.json`` of ``oacinsight need --by/--period``."""
    state = _state(request)
    given: dict[str, UploadFile] = {
        k: f
        for k, f in (("file", file), ("rates", rates), ("observed", observed))
        if f is not None and f.filename
    }
    source = "survey" if fields["question"] else ("rates" if "rates" in given else "customers")
    form = insight.NeedForm.parse(
        {
            **fields,
            "source": source,
            "rates": "api" if "rates" in given else "",
            "survey": "api",  # the survey is ``file`` (the form wants a survey named)
            "observed": "api" if "observed" in given else "",
        }
    )
    form.check()
    ups = {k: state.new_upload(f.filename or f"{k}.csv", file_chunks(f)) for k, f in given.items()}
    try:
        opts = replace(
            form.options(
                str(ups["observed"].raw) if "observed" in ups else None,
                postcode_column.strip() or None,
            ),
            rates=str(ups["rates"].raw) if "rates" in ups else None,
            confidence=confidence,
        )
        first = ups.get("file") or ups.get("rates")
        path = ups["file"].raw if "file" in ups else None
        with core.named(first) if first else nullcontext(), state.job() as store:
            result = (
                need_by_file(path, opts, by=form.by or None, period=form.period or None,
                             freq=form.freq if form.period else None, store=store)
                if form.sliced
                else need_file(path, opts, store=store)
            )  # fmt: skip
        return Response(
            json.dumps(result.to_dict(), allow_nan=False), media_type="application/json"
        )
    finally:
        for up in ups.values():
            state.forget(up.token)
