"""Deprecated alias: boundary ingest lives in :mod:`oacinsight.ingest.boundaries`.

Kept so older imports keep working; import from :mod:`oacinsight.ingest.boundaries`.
"""

from oacinsight.ingest.boundaries import (
    layer_static_shapes,
    load_boundary_file,
    rebuild_members,
)

__all__ = ["layer_static_shapes", "load_boundary_file", "rebuild_members"]
