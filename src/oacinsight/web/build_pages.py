"""The build page (issue 14): choose a spec (shipped or uploaded YAML) and an area, run
``oacinsight build`` in the background, watch its progress, then see the diagnostics,
sizes, grand index, draft pen portraits and map, and download what it wrote.

``/build`` is the form, ``/build/{job}`` the job (progress while running, the result
when done), ``/build/{job}/file/{name}`` and ``/build/{job}/download.zip`` the files
``oacinsight build -o`` writes for the same options.
"""

from __future__ import annotations

import io
import zipfile
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from oacinsight.build import SHIPPED, BuildResult, read_oa_list
from oacinsight.errors import InputFileError, OacInsightError
from oacinsight.web import build_jobs as bj
from oacinsight.web.pages import render
from oacinsight.web.state import WebState

router = APIRouter(include_in_schema=False)
MAX_OA_LIST_BYTES = 5_000_000
TIERS = ("supergroup", "group", "subgroup")


def _state(request: Request) -> WebState:
    return request.app.state.web


@router.get("/build", response_class=HTMLResponse)
def build_form(request: Request) -> HTMLResponse:
    """Choose a spec and an area; this session's builds."""
    builds = list(reversed(bj.jobs(_state(request)).values()))
    return render(request, "build.html", "build", shipped=sorted(SHIPPED), builds=builds)


def _whole(text: str, what: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not text.isdigit() or int(text) < 1:
        raise InputFileError(f"{what}: {text[:20]!r} is not a whole number of 1 or more")
    return int(text)


def _oa_list(state: WebState, upload: UploadFile | None) -> list[str] | None:
    if upload is None or not upload.filename:
        return None
    data = upload.file.read(MAX_OA_LIST_BYTES + 1)
    if len(data) > MAX_OA_LIST_BYTES:
        raise InputFileError(f"{upload.filename}: an OA list is at most 5 MB")
    path = state.tmp / f"oas-{id(data)}.txt"
    path.write_bytes(data)
    try:
        return read_oa_list(path)
    except OacInsightError as exc:
        exc.args = (str(exc).replace(str(path), upload.filename or "the OA list"),)
        raise
    finally:
        path.unlink(missing_ok=True)


@router.post("/build")
def build_start(
    request: Request,
    spec: Annotated[str, Form()] = "compact",
    spec_file: Annotated[UploadFile | None, File()] = None,
    area: Annotated[str, Form()] = "",
    oas_file: Annotated[UploadFile | None, File()] = None,
    k: Annotated[str, Form()] = "",
    seed: Annotated[str, Form()] = "",
    restarts: Annotated[str, Form()] = "",
) -> Response:
    """Check the options and start the build; go to its page."""
    state = _state(request)
    upload = (
        spec_file.file.read(bj.MAX_SPEC_BYTES + 1) if spec_file and spec_file.filename else None
    )
    chosen = bj.read_spec(spec, upload, (spec_file.filename or "") if spec_file else "", state.tmp)
    oas = _oa_list(state, oas_file)
    code = area.strip().upper() or None
    if (code is None) == (oas is None):
        raise InputFileError(
            "give an area code or a file of output areas (one of the two, not both)"
        )
    job = bj.start_build(
        state,
        chosen,
        area=code,
        oas=oas,
        k=k.strip() or None,
        seed=_whole(seed, "seed"),
        restarts=_whole(restarts, "restarts"),
    )
    return RedirectResponse(f"/build/{job.token}", status_code=303)


@router.get("/build/{token}", response_class=HTMLResponse)
def build_page(request: Request, token: str, tier: str = "supergroup") -> HTMLResponse:
    """Progress while the build runs; then its diagnostics, sizes, index, portraits, map."""
    job = bj.get_job(_state(request), token)
    context: dict[str, Any] = {"job": job, "view": None}
    if job.status == "done" and job.result is not None:
        context["view"] = build_view(job, tier if tier in TIERS else "supergroup")
    return render(request, "build_job.html", "build", **context)


def build_view(job: bj.BuildJob, tier: str) -> dict[str, Any]:
    """What the result page shows, as plain rows."""
    result: BuildResult = job.result  # type: ignore[assignment]
    tier = tier if tier in result.tiers else "supergroup"
    sizes = result.sizes()
    codes = sizes.loc[sizes["tier"] == tier, "code"].astype(str).tolist()
    index = result.index.reindex(codes)
    rows = [
        {"variable": v, "label": result.labels.get(v, v), "values": index[v].round(0).tolist()}
        for v in index.columns
    ]
    names = dict(zip(result.portraits["code"], result.portraits["name"], strict=True))
    files = [n for n in bj.BUILD_FILES if (job.folder / n).exists()]
    comparison = result.comparison or {}
    return {
        "text": result.text(),
        "tier": tier,
        "tiers": result.tiers,
        "codes": codes,
        "names": names,
        "index_rows": rows,
        "sizes": _records(sizes),
        "diagnostics": _records(result.diagnostics.round(4)),
        "portraits": _records(result.portraits),
        "ari": {
            t: c["adjusted_rand_index"]
            for t, c in comparison.items()
            if isinstance(c, dict) and c.get("adjusted_rand_index") is not None
        },
        "files": files,
        "has_map": "map.png" in files,
        "map_note": result.map_note,
        "warnings": result.warnings,
    }


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        {str(k): (None if pd.isna(v) else v) for k, v in row.items()}
        for row in frame.to_dict(orient="records")
    ]


@router.get("/build/{token}/file/{name}")
def build_file(request: Request, token: str, name: str) -> Response:
    """One file the build wrote (only the names ``oacinsight build`` writes)."""
    job = bj.get_job(_state(request), token)
    path = job.folder / name
    if name not in bj.BUILD_FILES or job.status != "done" or not path.exists():
        raise bj.BuildGone(f"this build has no file {name[:40]!r}")
    inline = name.endswith(".png")
    headers = {} if inline else {"Content-Disposition": f'attachment; filename="{name}"'}
    return Response(path.read_bytes(), media_type=bj.BUILD_FILES[name], headers=headers)


@router.get("/build/{token}/download.zip")
def build_zip(request: Request, token: str) -> Response:
    """Every file of the build folder in one zip."""
    job = bj.get_job(_state(request), token)
    if job.status != "done":
        raise bj.BuildGone("this build has not finished")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in bj.BUILD_FILES:
            if (job.folder / name).exists():
                zf.write(job.folder / name, f"{job.spec_name}/{name}")
    stem = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in job.spec_name)
    return Response(
        buffer.getvalue(),
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{stem}-build.zip"'},
    )
