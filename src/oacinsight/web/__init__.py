"""The local web app: ``oacinsight serve`` (FastAPI, Jinja2, Leaflet from PyPI).

:func:`create_app` builds the app for one store; nothing is created at import.  The
pages and the REST API are thin shells over the library (:mod:`oacinsight.web.core`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapi import FastAPI


def create_app(*args: Any, **kwargs: Any) -> FastAPI:
    """Build the app; see :func:`oacinsight.web.app.create_app`."""
    from oacinsight.web.app import create_app as factory

    return factory(*args, **kwargs)


__all__ = ["create_app"]
