"""Compare by a column or by period in the web app (issue 13): after upload, choose a
column of the file; the page shows the findings, the heat map, small multiples, the
trend chart and the tables, with the comparison's downloads (CSV, XLSX, HTML, PDF).

The numbers are :func:`oacinsight.profile.run.profile_file` with ``by`` or ``period``
on the upload's matched records, cached per choice.
"""

from __future__ import annotations

from typing import Annotated, Any

import pandas as pd
import pyarrow.parquet as pq
from fastapi import APIRouter, Path, Request
from fastapi.responses import FileResponse, HTMLResponse

from oacinsight.errors import InputFileError
from oacinsight.match import ADDED_COLUMNS
from oacinsight.profile.comparison import ComparisonResult
from oacinsight.profile.periods import FREQS
from oacinsight.profile.run import profile_file
from oacinsight.web import core
from oacinsight.web.downloads import MEDIA
from oacinsight.web.state import Upload, WebState

router = APIRouter(include_in_schema=False)
FORMATS = ("csv", "xlsx", "json", "html", "png", "pdf")


def _state(request: Request) -> WebState:
    return request.app.state.web


def user_columns(up: Upload) -> list[str]:
    """The columns of the user's own file (not those ``match`` added)."""
    names = pq.read_schema(up.matched).names
    return [c for c in names if c not in ADDED_COLUMNS and not c.startswith("_")]


def _choice(up: Upload, column: str | None, kind: str, freq: str) -> tuple[str, str, str] | None:
    if not column:
        return None
    if column not in user_columns(up):
        raise InputFileError(f"{up.name} has no column {column!r}")
    if kind not in ("by", "period"):
        raise InputFileError("choose 'by' (values) or 'period' (dates)")
    if freq not in FREQS:
        raise InputFileError(f"unknown period {freq!r}; use {', '.join(FREQS)}")
    return column, kind, freq


def comparison(state: WebState, up: Upload, choice: tuple[str, str, str]) -> ComparisonResult:
    """The comparison of an upload for one choice (cached)."""
    column, kind, freq = choice
    key = ("compare", choice)
    if key not in up.results:
        with core.named(up), state.job() as store:
            up.results[key] = profile_file(
                up.matched,
                store=store,
                by=column if kind == "by" else None,
                period=column if kind == "period" else None,
                freq=freq,
            )
    return up.results[key]


def _cells(frame: pd.DataFrame) -> list[list[Any]]:
    """Rows of a table for the page, None where a count is hidden."""
    return frame.astype(object).where(frame.notna(), None).values.tolist()


@router.get("/u/{token}/compare", response_class=HTMLResponse)
def compare_page(
    request: Request,
    token: str,
    column: str | None = None,
    kind: str = "by",
    freq: str = "year",
) -> HTMLResponse:
    """Choose a column to compare by; then the comparison."""
    state = _state(request)
    up = core.matched(state.get(token))
    choice = _choice(up, column, kind, freq)
    context: dict[str, Any] = {"up": up, "columns": user_columns(up), "choice": choice,
                               "freqs": FREQS, "formats": FORMATS}  # fmt: skip
    if choice is not None:
        result = comparison(state, up, choice)
        wide = result.wide_frame()
        context.update(
            result=result,
            charts=result.figures_svg(),
            findings=result.findings(),
            wide_columns=[str(c) for c in wide.columns],
            wide_rows=wide.round(0).astype(object).where(wide.notna(), None).values.tolist(),
            slices=_cells(result.slice_frame()),
            query=f"column={column}&kind={kind}&freq={freq}",
        )
    html = request.app.state.templates.get_template("compare.html").render(
        request=request, page="profile", **context
    )
    return HTMLResponse(html)


@router.get("/u/{token}/download/compare.{fmt}", summary="The comparison")
def compare_download(
    request: Request,
    token: str,
    fmt: Annotated[str, Path(pattern="^(csv|xlsx|json|html|png|pdf)$")],
    column: str,
    kind: str = "by",
    freq: str = "year",
) -> FileResponse:
    """The comparison in the format asked for (the same files the command line writes)."""
    state = _state(request)
    up = core.matched(state.get(token))
    choice = _choice(up, column, kind, freq)
    if choice is None:
        raise InputFileError("choose a column to compare by")
    result = comparison(state, up, choice)
    out = up.raw.parent / f"compare-{abs(hash(choice))}.{fmt}"
    result.write(out)
    name = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in f"{up.name}_by_{column}")
    return FileResponse(out, media_type=MEDIA[fmt], filename=f"{name[:80]}.{fmt}")
