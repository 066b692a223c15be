"""``oacinsight serve``: the local web app, on this computer only by default."""

from __future__ import annotations

import socket
import webbrowser
from pathlib import Path
from typing import Annotated

import typer

from oacinsight.cli.app import StoreOpt, app, edge, err
from oacinsight.errors import OacInsightError

LOOPBACK = "127.0.0.1"


def serve_app(store: Path | None, *, host: str = LOOPBACK, port: int = 8765,
              max_upload_mb: float = 200, open_browser: bool = False) -> None:
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
    """
    import uvicorn

    from oacinsight.store import Store
    from oacinsight.web.app import LOCAL_HOSTS, create_app

    with Store(store, read_only=True) as probe:
        probe.con  # noqa: B018  (fails now, with the one-line reason, if unusable)
    _check_port(host, port)
    hosts = LOCAL_HOSTS if host in (LOOPBACK, "localhost", "::1") else ("*",)
    if hosts == ("*",):
        err(f"warning: listening on {host}: other computers on the network can reach the "
            "app and the files uploaded to it")
    web = create_app(store, max_upload_mb=max_upload_mb, allowed_hosts=hosts)
    url = f"http://{LOOPBACK if host in ('0.0.0.0', '::') else host}:{port}/"
    err(f"oacinsight is running at {url} (press Ctrl+C to stop)")
    if open_browser:
        webbrowser.open(url)
    uvicorn.run(web, host=host, port=port, log_level="warning")


def _check_port(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        try:
            sock.bind((host, port))
        except (OSError, OverflowError) as exc:
            reason = getattr(exc, "strerror", None) or "not a usable address or port"
            raise OacInsightError(f"cannot listen on {host}:{port} ({reason}); "
                                  "choose another --port or --host") from exc


@app.command("serve")
@edge
def serve_cmd(
    store: StoreOpt = None,
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8765,
    host: Annotated[str, typer.Option(
        help="Address to listen on. The default keeps the app on this computer.")] = LOOPBACK,
    max_upload_mb: Annotated[float, typer.Option(help="Largest upload accepted (MB).")] = 200,
    open_browser: Annotated[bool, typer.Option("--open/--no-open",
                                               help="Open it in the web browser.")] = False,
) -> None:
    """Run the local web app: upload, match, profile, map and download, offline."""
    serve_app(store, host=host, port=port, max_upload_mb=max_upload_mb,
              open_browser=open_browser)
