"""The app's gate: every request passes here before any page, API call or download.

1. The ``Host`` header must name an allowed host (this machine's loopback names and
   the address the app listens on), so a web site cannot reach the app by DNS
   rebinding, whatever ``--host`` is.
2. A request that changes something (``POST``) must come from the app's own pages
   (``Origin`` / ``Sec-Fetch-Site``), so another web site cannot post to it.
3. The secret token made when the app starts: ``Authorization: Bearer TOKEN``, the
   HTTP-only cookie set by ``?token=TOKEN``, or ``?token=TOKEN`` itself (a ``GET`` with
   it sets the cookie and is redirected to the same address without the token).
   Without it every page, API call and download answers 401.  Only ``/static/``
   (scripts, styles, Leaflet, Swagger UI: nothing private) is served without it.
4. A body over the upload limit is refused: by its ``Content-Length`` before it is
   read, and by counting while it is read when it is streamed (chunked).
5. Every answer gets a Content-Security-Policy and ``Cache-Control: no-store`` (unless
   the route chose its own caching, as the boundary files do).
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from oacinsight.web.state import too_large_message

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
#: Paths served without the token (nothing private in them).
PUBLIC_PREFIX = "/static/"
#: Room for the multipart envelope around the file(s) of an upload.
ENVELOPE = 100_000
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
NEEDS_TOKEN = (
    "this app needs its access key: open the full address printed when it "
    "started (it ends in ?token=...), or send 'Authorization: Bearer TOKEN'"
)


class Guard:
    """Pure ASGI middleware applying the checks above.

    Parameters
    ----------
    app : ASGI app
        The app behind the gate.
    settings : object
        ``allowed_hosts`` (set of str), ``token`` (str, or None when the token is off)
        and ``web.max_upload_bytes``; read at each request.
    """

    def __init__(self, app: ASGIApp, settings: Any) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        refusal = self._refusal(request)
        if refusal is not None:
            await _with_headers(refusal, request)(scope, receive, send)
            return
        started = False
        counted = _BodyLimit(receive, self.settings.web.max_upload_bytes)

        async def headed(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                _add_headers(message, request.url.path)
            await send(message)

        try:
            await self.app(scope, counted, headed)
        except HTTPException as exc:  # raised while reading, outside the app's handlers
            if started:
                raise
            await _with_headers(error_response(request, exc.status_code, str(exc.detail)), request)(
                scope, receive, send
            )

    def _refusal(self, request: Request) -> Any:
        """The answer refusing this request, or None to let it through."""
        allowed = self.settings.allowed_hosts
        if _host_name(request.headers.get("host") or "") not in allowed:
            return PlainTextResponse(
                "unknown host: open the app at the address it printed when it started", 400
            )
        if request.method not in SAFE_METHODS and _cross_site(request, allowed):
            return error_response(request, 403, "requests from other web sites are refused")
        token = self.settings.token
        if token is not None and not request.url.path.startswith(PUBLIC_PREFIX):
            given = request.query_params.get("token")
            if given is not None and _same(given, token):
                if request.method in ("GET", "HEAD"):
                    return _enter(request, token)
            elif not (
                _same(_bearer(request), token)
                or _same(request.cookies.get(cookie_name(request)), token)
            ):
                response = error_response(request, 401, NEEDS_TOKEN)
                response.headers["WWW-Authenticate"] = "Bearer"
                return response
        length = request.headers.get("content-length")
        limit = self.settings.web.max_upload_bytes
        if length and length.isdigit() and int(length) > limit + ENVELOPE:
            return error_response(request, 413, too_large_message(limit))
        return None


class _BodyLimit:
    """``receive`` counting the body read so far: over the limit it raises 413 (the
    app's handler answers it), so a streamed upload is never read past the limit."""

    def __init__(self, receive: Receive, limit: int) -> None:
        self.receive, self.limit, self.seen = receive, limit, 0

    async def __call__(self) -> Message:
        message = await self.receive()
        if message["type"] == "http.request":
            self.seen += len(message.get("body", b""))
            if self.seen > self.limit + ENVELOPE:
                raise HTTPException(413, too_large_message(self.limit))
        return message


def cookie_name(request: Request) -> str:
    """The token cookie's name: one per port, since cookies ignore ports."""
    server = request.scope.get("server")
    return f"oacinsight-token-{server[1] if server else 0}"


def _enter(request: Request, token: str) -> RedirectResponse:
    """Set the token cookie and go to the same address without ``token=``."""
    query = urlencode(
        [(k, v) for k, v in parse_qsl(request.url.query, keep_blank_values=True) if k != "token"]
    )
    target = "/" + request.url.path.lstrip("/") + (f"?{query}" if query else "")
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(cookie_name(request), token, httponly=True, samesite="strict", path="/")
    return response


def _same(given: str | None, token: str) -> bool:
    return given is not None and secrets.compare_digest(given.encode(), token.encode())


def _bearer(request: Request) -> str | None:
    scheme, _, value = (request.headers.get("authorization") or "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else None


def _host_name(host: str) -> str:
    """The host name of a ``Host`` header, without the port (``[::1]`` kept whole)."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[: host.find("]") + 1] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _cross_site(request: Request, allowed: set[str]) -> bool:
    """Whether a request comes from another web site (a forged form post)."""
    if request.headers.get("sec-fetch-site") in ("cross-site", "same-site"):
        return True
    origin = request.headers.get("origin")
    if not origin or origin == "null":  # same-origin posts under no-referrer send "null"
        return False
    name = urlsplit(origin).hostname or ""
    return name not in allowed and f"[{name}]" not in allowed


def _add_headers(message: Message, path: str) -> None:
    headers = message.setdefault("headers", [])
    present = {k.lower() for k, _ in headers}
    extra = {
        b"content-security-policy": CSP.encode(),
        b"x-content-type-options": b"nosniff",
        b"referrer-policy": b"no-referrer",
        b"x-frame-options": b"DENY",
    }
    if not path.startswith(PUBLIC_PREFIX):
        extra[b"cache-control"] = b"no-store"
    headers.extend((k, v) for k, v in extra.items() if k not in present)


def _with_headers(response: Any, request: Request) -> Any:
    """``response`` as an ASGI app adding the security headers."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        async def headed(message: Message) -> None:
            if message["type"] == "http.response.start":
                _add_headers(message, request.url.path)
            await send(message)

        await response(scope, receive, headed)

    return app


def error_response(request: Request, status: int, message: str) -> Any:
    """JSON ``{"detail": message}`` for the API and scripts, an explained page for a
    browser (one line either way)."""
    if request.url.path.startswith("/api/") or "text/html" not in request.headers.get("accept", ""):
        return JSONResponse({"detail": message}, status_code=status)
    templates = request.app.state.templates
    return HTMLResponse(
        templates.get_template("error.html").render(
            request=request, message=message, status=status, page="error", up=None
        ),
        status_code=status,
    )
