"""File suffixes read as boundaries (kept light: ingest imports this on every run)."""

from __future__ import annotations

from pathlib import Path

#: Files read as boundaries (a shapefile by its ``.shp``).
BOUNDARY_SUFFIXES: tuple[str, ...] = (".geojson", ".gpkg", ".shp")
#: Parts of a shapefile that travel beside the ``.shp`` (kept when unzipping).
SIDECAR_SUFFIXES: tuple[str, ...] = (".shx", ".dbf", ".prj", ".cpg")


def is_boundary_file(path: Path) -> bool:
    """Whether ``path`` is read as a boundary file (by its suffix)."""
    return path.suffix.lower() in BOUNDARY_SUFFIXES
