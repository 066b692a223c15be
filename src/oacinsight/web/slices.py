"""Compare by a column or by period on the need page and the survey page: the calls of
``oacinsight need --by/--period/--freq`` (:func:`oacinsight.need.need_by_file`) and
``oacinsight survey --by/--period/--freq`` (:func:`oacinsight.survey.survey_by_frame`),
cached per upload and options, what their pages show, and the need comparison's
downloads (every file ``oacinsight need --by COLUMN -o DIR`` writes).

The tables shown are the results' own published tables (``slice_frame``,
``slice_counts``, ``answers_frame``, ``tests``, ...), only formatted here.
"""

from __future__ import annotations

import math
import secrets
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from fastapi.responses import Response

from oacinsight.errors import InputFileError, OacInsightError
from oacinsight.need import NeedByResult, need_by_file
from oacinsight.survey import SurveyComparison, SurveyOptions, SurveySlices, survey_by_frame
from oacinsight.web import core
from oacinsight.web.downloads import MEDIA
from oacinsight.web.insight import NeedForm, slice_fields, survey_table
from oacinsight.web.state import Upload, WebState

router = APIRouter(include_in_schema=False)
#: Shares of households at which the slices' campaign reach is shown.
REACH_SHARES = (0.1, 0.2, 0.3, 0.5)
#: Target areas shown per slice on the page (every one is in targets_by.csv).
SHOWN_TARGETS = 10
MEDIA_BY_SUFFIX = {**MEDIA, "geojson": "application/geo+json"}


def _state(request: Request) -> WebState:
    return request.app.state.web


# -- need --------------------------------------------------------------------------------
def run_need_by(state: WebState, upload: Upload, form: NeedForm) -> NeedByResult:
    """``need_by_file`` on the uploaded customer file with the form's options, as
    ``oacinsight need FILE --by/--period`` runs it (cached per options)."""
    key = ("need_by", form)
    if key in upload.results:
        return upload.results[key]
    form.check()
    if upload.summary is None:
        raise InputFileError(
            "compare by needs a customer file with postcodes: upload it on the home page"
        )
    options = form.options(None, upload.postcode_column)
    with core.named(upload), state.job() as store:
        result = need_by_file(
            upload.raw,
            options,
            by=form.by or None,
            period=form.period or None,
            freq=form.freq if form.period else None,
            store=store,
        )
    upload.results[key] = result
    return result


def need_by_files(state: WebState, upload: Upload, form: NeedForm) -> dict[str, Path]:
    """Every file ``oacinsight need --by -o DIR`` writes for these options, by file
    name (written once per options into the upload's folder, deleted with it)."""
    key = ("need_by_files", form)
    if key not in upload.results:
        result = run_need_by(state, upload, form)
        folder = upload.raw.parent / f"need-by-{secrets.token_hex(6)}"
        written = result.write(folder)
        upload.results[key] = {p.name: p for p in sorted(set(written.values()))}
    return upload.results[key]


def need_by_view(result: NeedByResult) -> dict[str, Any]:
    """What the need page shows for a comparison: findings, accounting per slice, the
    heat map and the rates per 1,000, campaign reach, target lists and expected need
    per district."""
    from oacinsight.reports.charts import png_data_uri

    label = result.label_column
    wide = result.wide_frame().drop(columns="level")
    numbers = [c for c in wide.columns if c not in ("code", "name")]
    wide[numbers] = wide[numbers] * 1000
    parts = [(result.overall, "(all)"), *((r, n) for n, r in result.slices)]
    reach = pd.DataFrame(
        [{label: n, **{f"{s:.0%}": r.reach(s)["expected"] for s in REACH_SHARES}} for r, n in parts]
    )
    targets = result.targets_frame()
    keep = ["rank", "area_code", "name", "households", "expected", "expected_low", "expected_high"]
    lists = [
        (
            n,
            table(
                targets.loc[targets[label] == n, keep].head(SHOWN_TARGETS), whole=("households",)
            ),
        )
        for _, n in parts
    ]
    expected = result.expected_wide()
    districts = expected[expected["area_type"] == "lad"].drop(columns="area_type")
    return {
        "findings": result.findings(),
        "slices": table(result.slice_frame(), pct=("reach_at_20pct",), counts=True),
        "heat_map_uri": png_data_uri(result.heat_map_png()),
        "rates": table(wide, decimals=2),
        "reach": table(reach, pct=tuple(reach.columns[1:])),
        "targets": lists,
        "shown_targets": SHOWN_TARGETS,
        "districts": table(districts, decimals=1),
    }


# -- survey ------------------------------------------------------------------------------
def survey_slices(by: str | None, period: str | None, freq: str | None) -> SurveySlices | None:
    """The survey page's compare-by fields as :class:`SurveySlices` (None: no comparison)."""
    fields = slice_fields({"by": by, "period": period, "freq": freq})
    if not (fields["by"] or fields["period"]):
        return None
    return SurveySlices(
        by=fields["by"] or None, period=fields["period"] or None, freq=fields["freq"]
    )


def run_survey_by(
    state: WebState, upload: Upload, options: SurveyOptions, slicing: SurveySlices
) -> SurveyComparison:
    """``survey_by_frame`` on the uploaded survey (cached per options)."""
    key = ("survey_by", options, slicing)
    if key not in upload.results:
        frame = survey_table(state, upload)
        with core.named(upload), state.job() as store:
            upload.results[key] = survey_by_frame(
                frame, options, slicing, store=store, name=upload.name
            )
    return upload.results[key]


def survey_by_view(result: SurveyComparison) -> dict[str, Any]:
    """What the survey page shows for a comparison: findings, the chart, the shares by
    group and slice with their intervals, the Rao–Scott tests, rows and answers per
    slice."""
    from oacinsight.reports.charts import png_bytes, png_data_uri

    long = result.long_frame()
    names = [n for n, _ in [(result.all_label, None), *result.slices]]
    shares = []
    for q, block in long.groupby("question", sort=False):
        rows = []
        for code, group in block.groupby("code", sort=False):
            cells = {str(r[result.kind]): r for r in core.records(group)}
            rows.append((code, group["name"].iloc[0], [_share(cells.get(n)) for n in names]))
        shares.append((str(q), rows))
    tests = _tests(result.tests)
    return {
        "findings": result.findings(),
        "chart_uri": png_data_uri(png_bytes(result.figure(), dpi=100)),
        "slice_names": names,
        "shares": shares,
        "tests": table(tests, decimals=2, p=True),
        "slices": table(result.slice_counts(), counts=True),
        "answers": table(result.answers_frame(), counts=True),
    }


def _tests(tests: pd.DataFrame) -> pd.DataFrame:
    """The Rao–Scott tests, narrow enough to read: the lowest and highest slice with
    their shares, F with its degrees of freedom, p and the Holm-adjusted p."""

    def slice_share(name: Any, share: Any) -> str:
        return "" if name is None or pd.isna(share) else f"{name} ({100 * share:.0f}%)"

    def df(a: Any, b: Any) -> str:
        return "" if pd.isna(a) else f"{a:.2f}, {b:,.0f}"

    out = tests[["question", "code", "name", "slices"]].copy()
    for end in ("lowest", "highest"):
        pairs = zip(tests[end], tests[f"{end}_share"], strict=True)
        out[end] = [slice_share(*v) for v in pairs]
    out["F"] = tests["f"]
    out["df"] = [df(*v) for v in zip(tests["df1"], tests["df2"], strict=True)]
    out["p_value"], out["p_holm"] = tests["p_value"], tests["p_holm"]
    return out


def _share(row: dict[str, Any] | None) -> str:
    if row is None or row.get("share") is None:
        return "hidden"
    text = f"{100 * row['share']:.1f}%"
    if row.get("share_low") is not None and row.get("share_high") is not None:
        text += f" ({100 * row['share_low']:.0f}–{100 * row['share_high']:.0f}%)"
    return text


# -- formatting --------------------------------------------------------------------------
def table(
    frame: pd.DataFrame,
    *,
    pct: tuple[str, ...] = (),
    decimals: int = 1,
    p: bool = False,
    counts: bool = False,
    whole: tuple[str, ...] = (),
) -> dict[str, Any]:
    """A published table as header and text cells: whole numbers with thousands
    separators, other numbers to ``decimals`` places (``whole`` columns to none,
    ``pct`` columns as percentages, p-values as ``<0.001``).  In a table of ``counts``
    a blank cell is a hidden count and reads "hidden"; elsewhere a blank (not tested,
    not applicable) stays blank."""
    columns = [str(c) for c in frame.columns]
    rows = [
        [_cell(r[c], c, pct, decimals if c not in whole else 0, p, counts) for c in columns]
        for r in core.records(frame)
    ]
    numeric = [pd.api.types.is_numeric_dtype(frame[c]) for c in frame.columns]
    return {"columns": columns, "rows": rows, "numeric": numeric}


def _cell(
    value: Any, column: str, pct: tuple[str, ...], decimals: int, p: bool, counts: bool
) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "hidden" if counts else ""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if column in pct:
        return f"{100 * value:.0f}%"
    if p and column.startswith("p_"):
        return "<0.001" if value < 0.001 else f"{value:.3f}"
    if isinstance(value, int) or (counts and float(value).is_integer()):
        return f"{int(value):,}"
    return f"{value:,.{decimals}f}"


# -- downloads ---------------------------------------------------------------------------
@router.get("/u/{token}/need/by/{name}")
def need_by_download(
    request: Request,
    token: str,
    name: Annotated[str, PathParam(max_length=60)],
) -> Response:
    """One of the files ``oacinsight need --by COLUMN -o DIR`` writes for the options in
    the query (the fields of :class:`NeedForm`)."""
    state = _state(request)
    up = state.get(token)
    form = NeedForm.parse(dict(request.query_params))
    if not form.sliced:
        raise OacInsightError("by: choose a column (or a date column) to compare by")
    files = need_by_files(state, up, form)
    if name not in files:
        raise OacInsightError(f"file: {name[:40]!r} is not one of {', '.join(files)}")
    suffix = name.rsplit(".", 1)[-1]
    return Response(
        files[name].read_bytes(),
        media_type=MEDIA_BY_SUFFIX.get(suffix, "application/octet-stream"),
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
