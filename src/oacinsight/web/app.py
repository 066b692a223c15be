"""The FastAPI application: :func:`create_app` builds it; nothing runs at import.

Security, all on by default (see :mod:`oacinsight.web.guard` and ``docs/web.md``): the
CLI binds to 127.0.0.1; a secret token made at start is needed for every page, API call
and download; the Host header must name this machine or the address listened on (no
DNS rebinding); posts from other web sites are refused; uploads over the size limit are
refused before or while they are read; every page is Jinja2 with autoescape; a
Content-Security-Policy lets the pages load scripts, styles, images and data from this
server only (no CDN, no map tiles); answers are ``Cache-Control: no-store``; uploads
stay in a private temporary folder deleted when the app stops.
"""

from __future__ import annotations

import os
import re
import secrets
import socket
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from oacinsight._version import __version__
from oacinsight.errors import OacInsightError
from oacinsight.web import format as fmt
from oacinsight.web.guard import CSP, error_response
from oacinsight.web.state import (
    DEFAULT_MAX_UPLOAD_MB,
    UploadGone,
    UploadTooLarge,
    WebState,
)

HERE = Path(__file__).parent
LOCAL_HOSTS = ("127.0.0.1", "localhost", "[::1]", "::1")
WILDCARDS = ("0.0.0.0", "::", "")
__all__ = ["CSP", "LOCAL_HOSTS", "allowed_hosts_for", "create_app"]


def allowed_hosts_for(host: str) -> tuple[str, ...]:
    """Host names the app answers to when listening on ``host``: the loopback names and
    ``host`` itself; for all interfaces (``0.0.0.0``) also this computer's names and
    addresses."""
    names = [*LOCAL_HOSTS, host.lower(), f"[{host.lower()}]" if ":" in host else host.lower()]
    if host in WILDCARDS:
        names += _machine_names()
    return tuple(dict.fromkeys(n for n in names if n and n not in WILDCARDS))


def _machine_names() -> list[str]:
    names = [socket.gethostname().lower(), socket.getfqdn().lower()]
    with suppress(OSError):
        names += socket.gethostbyname_ex(socket.gethostname())[2]
    return names


def create_app(
    store_path: str | os.PathLike[str] | None = None,
    *,
    max_upload_mb: float = DEFAULT_MAX_UPLOAD_MB,
    host: str = "127.0.0.1",
    allowed_hosts: tuple[str, ...] | None = None,
    keep_uploads: int = 5,
    token: str | None = None,
    require_token: bool = True,
) -> FastAPI:
    """Build the oacinsight web app over one store.

    Parameters
    ----------
    store_path : path, optional
        The reference store (default: ``$OACINSIGHT_STORE`` or the user data dir).
        Opened read-only.
    max_upload_mb : float, default 200
        Largest customer file accepted, in megabytes.
    host : str, default "127.0.0.1"
        The address the app listens on (sets the allowed hosts).
    allowed_hosts : tuple of str, optional
        Host names the browser may use to reach the app (default
        :func:`allowed_hosts_for` ``host``).
    keep_uploads : int, default 5
        Uploads held at once; older ones are deleted.
    token : str, optional
        The secret every request must carry (default: a new random one, in
        ``app.state.token``).
    require_token : bool, default True
        False serves every page without a token (anyone who can reach the port can
        read the uploads).

    Returns
    -------
    fastapi.FastAPI
    """
    state = WebState(
        store_path, max_upload_bytes=int(max_upload_mb * 1_000_000), keep_uploads=keep_uploads
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        warm = threading.Thread(target=_warm, args=(state,), daemon=True)
        warm.start()
        yield
        warm.join()
        state.close()

    app = FastAPI(
        title="oacinsight",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        description="Offline customer insight from the Output Area Classification. "
        "Everything runs on this machine; nothing is sent anywhere.",
    )
    app.state.web = state
    app.state.templates = _templates()
    app.state.allowed_hosts = {h.lower() for h in (allowed_hosts or allowed_hosts_for(host))}
    app.state.token = (token or secrets.token_urlsafe(32)) if require_token else None
    _add_middleware(app)
    _add_error_handlers(app)
    _mount_static(app)
    from oacinsight.web import api, compare_pages, downloads, geo, insight_pages, pages, slices

    app.include_router(pages.router)
    app.include_router(insight_pages.router)
    app.include_router(api.router)
    app.include_router(insight_pages.api_router)
    app.include_router(geo.router)
    app.include_router(downloads.router)
    app.include_router(compare_pages.router)
    app.include_router(slices.router)
    from oacinsight.web import build_pages

    app.include_router(build_pages.router)
    return app


def _warm(state: WebState) -> None:
    """Compress every layer's GeoJSON once in the background, so first maps are fast."""
    from oacinsight.web import core

    try:
        for layer in core.layer_list(state)["layer"]:
            core.layer_geojson_gzip(state, str(layer))
    except Exception:
        return


def _templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    env = templates.env
    env.autoescape = True
    env.trim_blocks = True
    env.lstrip_blocks = True
    env.filters.update(num=fmt.num, pct=fmt.pct, count=fmt.count, status_text=fmt.status_text)
    from oacinsight.maps.boundaries import AREA_LABELS

    env.globals.update(version=__version__, oac_colour=fmt.oac_colour, area_labels=AREA_LABELS)
    return templates


def _mount_static(app: FastAPI) -> None:
    import swagger_ui_bundle
    import xstatic.pkg.leaflet as leaflet

    app.mount("/static/leaflet", StaticFiles(directory=leaflet.BASE_DIR), name="leaflet")
    app.mount(
        "/static/swagger", StaticFiles(directory=swagger_ui_bundle.swagger_ui_path), name="swagger"
    )
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")


def _add_middleware(app: FastAPI) -> None:
    from oacinsight.web.guard import Guard

    app.add_middleware(GZipMiddleware, minimum_size=2048, compresslevel=1)
    app.add_middleware(Guard, settings=app.state)


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(OacInsightError)
    async def library_error(request: Request, exc: OacInsightError) -> Response:
        code = (
            413 if isinstance(exc, UploadTooLarge) else 404 if isinstance(exc, UploadGone) else 400
        )
        return _error(request, code, str(exc))

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        return _error(request, 400, _validation_message(exc))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = str(exc.detail) if exc.status_code != 404 else "no such page"
        return _error(request, exc.status_code, message)


def _validation_message(exc: RequestValidationError) -> str:
    """FastAPI's list of validation errors as one line naming the fields."""
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error.get("loc", ())[1:]) or "request"
        what = (
            "is required"
            if error.get("type") == "missing"
            else str(error.get("msg", "is not valid")).lower()
        )
        parts.append(f"{where} {what}")
    return "; ".join(dict.fromkeys(parts)) or "the request is not valid"


def _error(request: Request, status: int, message: str) -> Response:
    """One line, with the app's temporary paths taken out (files are named as the user
    named them)."""
    state: WebState = request.app.state.web
    text = str(message).strip().splitlines()[0] if str(message).strip() else "error"
    if state.tmp_path is not None:
        text = re.sub(re.escape(str(state.tmp_path)) + r"[/\\][^/\\\s'\"]+[/\\]", "", text)
        text = text.replace(str(state.tmp_path), "(temporary folder)")
    return error_response(request, status, text)
