"""``oacinsight serve``: the local web app, on this computer only by default."""

from __future__ import annotations

import socket
import webbrowser
from pathlib import Path
from typing import Annotated

import typer

from oacinsight.cli._common import StoreOpt, app, edge, err
from oacinsight.errors import OacInsightError

LOOPBACK = "127.0.0.1"


def serve_app(
    store: Path | None,
    *,
    host: str = LOOPBACK,
    port: int = 8765,
    max_upload_mb: float = 200,
    open_browser: bool = False,
    require_token: bool = True,
) -> None:
    """Run the web app until interrupted (used by ``serve`` and ``demo --serve``).

    Parameters
    ----------
    store : path, optional
        The reference store.
    host : str
        Address to listen on; 127.0.0.1 keeps the app on this computer.
    port : int
        Port to listen on.
    max_upload_mb : float
        Largest upload accepted.
    open_browser : bool
        Open the app in the default browser once it listens.
    require_token : bool
        Ask every request for the secret token printed in the address (default).
    """
    import uvicorn

    from oacinsight.store import Store
    from oacinsight.web.app import create_app

    if not 1 <= port <= 65535:
        raise OacInsightError(f"--port {port} is not a port number: use 1 to 65535 (e.g. 8765)")
    if not max_upload_mb > 0:
        raise OacInsightError("--max-upload-mb must be more than 0 (e.g. 200)")
    with Store(store, read_only=True) as probe:
        probe.con  # noqa: B018  (fails now, with the one-line reason, if unusable)
    _check_port(host, port)
    if host not in (LOOPBACK, "localhost", "::1"):
        err(
            f"warning: listening on {host}: other computers on the network can reach the "
            "app (they still need the token in the address below)"
        )
    web = create_app(store, max_upload_mb=max_upload_mb, host=host, require_token=require_token)
    if not require_token:
        err(
            "WARNING: --no-token: anyone who can connect to this port (any user or program "
            "on this computer, or on the network with --host) can open the app and "
            "download the files uploaded to it"
        )
    url = app_url(host, port, web.state.token)
    err(f"oacinsight is running at {url} (press Ctrl+C to stop)")
    if open_browser:
        webbrowser.open(url)
    uvicorn.run(web, host=host, port=port, log_level="warning")


def app_url(host: str, port: int, token: str | None) -> str:
    """The address to open: loopback for all-interfaces hosts, with ``?token=``."""
    shown = LOOPBACK if host in ("0.0.0.0", "::", "") else host
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/" + (f"?token={token}" if token else "")


def _check_port(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        try:
            sock.bind((host, port))
        except (OSError, OverflowError) as exc:
            reason = getattr(exc, "strerror", None) or "not a usable address or port"
            raise OacInsightError(
                f"cannot listen on {host}:{port} ({reason}); choose another --port or --host"
            ) from exc


@app.command("serve")
@edge
def serve_cmd(
    store: StoreOpt = None,
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8765,
    host: Annotated[
        str, typer.Option(help="Address to listen on. The default keeps the app on this computer.")
    ] = LOOPBACK,
    max_upload_mb: Annotated[float, typer.Option(help="Largest upload accepted (MB).")] = 200,
    open_browser: Annotated[
        bool, typer.Option("--open/--no-open", help="Open it in the web browser.")
    ] = False,
    no_token: Annotated[
        bool,
        typer.Option(
            "--no-token",
            help="Serve without the secret token (unsafe on a shared "
            "computer: anyone who can reach the port sees the uploads).",
        ),
    ] = False,
) -> None:
    """Run the local web app: upload, match, profile, map and download, offline."""
    serve_app(
        store,
        host=host,
        port=port,
        max_upload_mb=max_upload_mb,
        open_browser=open_browser,
        require_token=not no_token,
    )
