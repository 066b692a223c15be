"""The FastAPI application: :func:`create_app` builds it; nothing runs at import.

Security, all on by default: the CLI binds to 127.0.0.1; the Host header must name
this machine (no DNS rebinding); uploads over the size limit are refused before they
are read; every page is Jinja2 with autoescape; a Content-Security-Policy lets the
pages load scripts, styles, images and data from this server only (no CDN, no map
tiles); uploads stay in a private temporary folder deleted when the app stops.
"""

from __future__ import annotations

import os
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from oacinsight import __version__
from oacinsight.errors import OacInsightError
from oacinsight.web import format as fmt
from oacinsight.web.state import (
    DEFAULT_MAX_UPLOAD_MB,
    UploadGone,
    UploadTooLarge,
    WebState,
    too_large_message,
)

HERE = Path(__file__).parent
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
LOCAL_HOSTS = ("127.0.0.1", "localhost", "[::1]", "::1")


def create_app(
    store_path: str | os.PathLike[str] | None = None,
    *,
    max_upload_mb: float = DEFAULT_MAX_UPLOAD_MB,
    allowed_hosts: tuple[str, ...] = LOCAL_HOSTS,
    keep_uploads: int = 5,
) -> FastAPI:
    """Build the oacinsight web app over one store.

    Parameters
    ----------
    store_path : path, optional
        The reference store (default: ``$OACINSIGHT_STORE`` or the user data dir).
        Opened read-only.
    max_upload_mb : float, default 200
        Largest customer file accepted, in megabytes.
    allowed_hosts : tuple of str
        Host names the browser may use to reach the app (loopback names by default).
    keep_uploads : int, default 5
        Uploads held at once; older ones are deleted.

    Returns
    -------
    fastapi.FastAPI
    """
    state = WebState(store_path, max_upload_bytes=int(max_upload_mb * 1_000_000),
                     keep_uploads=keep_uploads)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        threading.Thread(target=_warm, args=(state,), daemon=True).start()
        yield
        state.close()

    app = FastAPI(
        title="oacinsight", version=__version__, lifespan=lifespan, docs_url=None,
        redoc_url=None,
        description="Offline customer insight from the Output Area Classification. "
                    "Everything runs on this machine; nothing is sent anywhere.",
    )
    app.state.web = state
    app.state.templates = _templates()
    app.state.allowed_hosts = {h.lower() for h in allowed_hosts}
    _add_middleware(app)
    _add_error_handlers(app)
    _mount_static(app)
    from oacinsight.web import api, downloads, geo, pages

    app.include_router(pages.router)
    app.include_router(api.router)
    app.include_router(geo.router)
    app.include_router(downloads.router)
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
    env.filters.update(num=fmt.num, pct=fmt.pct, status_text=fmt.status_text)
    from oacinsight.maps.boundaries import AREA_LABELS

    env.globals.update(version=__version__, oac_colour=fmt.oac_colour, area_labels=AREA_LABELS)
    return templates


def _mount_static(app: FastAPI) -> None:
    import swagger_ui_bundle
    import xstatic.pkg.leaflet as leaflet

    app.mount("/static/leaflet", StaticFiles(directory=leaflet.BASE_DIR), name="leaflet")
    app.mount("/static/swagger", StaticFiles(directory=swagger_ui_bundle.swagger_ui_path),
              name="swagger")
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")


def _add_middleware(app: FastAPI) -> None:
    app.add_middleware(GZipMiddleware, minimum_size=2048, compresslevel=1)

    @app.middleware("http")
    async def guard(request: Request, call_next: Any) -> Response:
        host = (request.headers.get("host") or "").lower()
        name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        allowed = app.state.allowed_hosts
        if "*" not in allowed and name not in allowed:
            return PlainTextResponse("unknown host: open the app at 127.0.0.1", 400)
        if request.method == "POST" and "*" not in allowed and _cross_site(request, allowed):
            return _error(request, 403, "requests from other web sites are refused")
        length = request.headers.get("content-length")
        limit = app.state.web.max_upload_bytes
        if length and length.isdigit() and int(length) > limit + 100_000:
            return _error(request, 413, too_large_message(limit))
        response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("X-Frame-Options", "DENY")
        return response


def _cross_site(request: Request, allowed: set[str]) -> bool:
    """Whether a request comes from another web site (a forged form post)."""
    if request.headers.get("sec-fetch-site") in ("cross-site", "same-site"):
        return True
    origin = request.headers.get("origin")
    if not origin or origin == "null":  # same-origin posts under no-referrer send "null"
        return False
    return (urlsplit(origin).hostname or "") not in allowed | {"::1"}


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(OacInsightError)
    async def library_error(request: Request, exc: OacInsightError) -> Response:
        code = 413 if isinstance(exc, UploadTooLarge) else 404 if isinstance(
            exc, UploadGone) else 400
        return _error(request, code, str(exc).strip().splitlines()[0])


def _error(request: Request, status: int, message: str) -> Response:
    """JSON ``{"detail": message}`` for the API, an explained page for a browser."""
    if request.url.path.startswith("/api/") or "text/html" not in request.headers.get(
            "accept", ""):
        return JSONResponse({"detail": message}, status_code=status)
    templates: Jinja2Templates = request.app.state.templates
    return HTMLResponse(templates.get_template("error.html").render(
        request=request, message=message, status=status, page="error"), status_code=status)
