"""Static map images (for PDF reports): polygons or points coloured as the web map.

Drawn with matplotlib from the simplified British National Grid polygons, so a
report needs no browser and no tiles.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import shapely
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PatchCollection
from matplotlib.figure import Figure
from matplotlib.patches import Patch, PathPatch
from matplotlib.path import Path as MplPath

from oacinsight.maps.choropleth import NO_DATA, MapValues

__all__ = ["point_map", "polygon_map", "save_map"]


def _path_of(geom: shapely.Geometry) -> MplPath | None:
    """A matplotlib path of a (multi)polygon, holes included."""
    verts, codes = [], []
    for poly in shapely.get_parts(geom):
        for ring in [poly.exterior, *poly.interiors]:
            xy = np.asarray(ring.coords)
            if len(xy) < 3:
                continue
            verts.append(xy)
            c = np.full(len(xy), MplPath.LINETO, dtype=np.uint8)
            c[0], c[-1] = MplPath.MOVETO, MplPath.CLOSEPOLY
            codes.append(c)
    if not verts:
        return None
    return MplPath(np.concatenate(verts), np.concatenate(codes))


def _figure(values: MapValues, title: str | None) -> tuple[Figure, Axes]:
    fig = Figure(figsize=(7.0, 6.0), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    ax.set_aspect("equal")
    ax.set_axis_off()
    ax.set_title(title or values.label, loc="left", fontsize=11)
    return fig, ax


def _legend(fig: Figure, values: MapValues) -> None:
    handles = [
        Patch(facecolor=e["colour"], edgecolor="#888888", label=e["label"][:60])
        for e in values.legend[:12]
    ]
    fig.legend(handles=handles, loc="outside lower left", fontsize=7, frameon=False, ncols=2)


def polygon_map(
    codes: list[str], geoms_bng: np.ndarray, values: MapValues, *, title: str | None = None
) -> Figure:
    """Polygons (British National Grid) filled with the colours of ``values``.

    Parameters
    ----------
    codes : list of str
        Area code of each polygon.
    geoms_bng : numpy.ndarray
        Shapely polygons in EPSG:27700.
    values : MapValues
        From :func:`oacinsight.maps.choropleth.map_values`.
    title : str, optional
        Default: the measure's label.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, ax = _figure(values, title)
    patches, colours = [], []
    for code, geom in zip(codes, geoms_bng, strict=True):
        path = _path_of(geom)
        if path is None:
            continue
        patches.append(PathPatch(path))
        colours.append(values.areas.get(code, {}).get("colour", NO_DATA))
    edge = 0.15 if len(patches) > 500 else 0.4
    ax.add_collection(
        PatchCollection(patches, facecolors=colours, edgecolors="#555555", linewidths=edge)
    )
    xmin, ymin, xmax, ymax = shapely.total_bounds(geoms_bng)
    ax.set_xlim(xmin, xmax)
    ax.set_ylim(ymin, ymax)
    _legend(fig, values)
    return fig


def point_map(
    codes: list[str],
    x: np.ndarray,
    y: np.ndarray,
    values: MapValues,
    *,
    title: str | None = None,
) -> Figure:
    """Points (e.g. output-area centres, longitude/latitude) in the colours of ``values``."""
    fig, ax = _figure(values, title)
    colours = [values.areas.get(c, {}).get("colour", NO_DATA) for c in codes]
    ax.scatter(x, y, c=colours, s=14, edgecolors="#555555", linewidths=0.3)
    ax.set_aspect(1 / np.cos(np.radians(float(np.nanmean(y)) if len(y) else 53.0)))
    _legend(fig, values)
    return fig


def save_map(fig: Figure, path: str | Path, *, dpi: int = 150) -> Path:
    """Write a map figure as PNG or SVG (by suffix)."""
    out = Path(path)
    fig.savefig(out, dpi=dpi, format=out.suffix.lstrip(".").lower() or "png")
    return out
