"""Which coordinate reference system a boundary file is in, and saying how we know.

Official boundaries come as British National Grid (EPSG:27700) or WGS84 longitude /
latitude (EPSG:4326), occasionally Web Mercator (EPSG:3857).  A file that declares its
CRS is read as declared, provided its coordinates fit that CRS.  A file that declares
none (a shapefile without ``.prj``, a GeoJSON without a ``crs`` member, which GeoJSON
readers take as WGS84) is placed by the range of its coordinates, and the choice is
reported in plain words so the analyst can check it.
"""

from __future__ import annotations

from dataclasses import dataclass

from oacinsight.errors import IngestError

BNG = "EPSG:27700"
WGS84 = "EPSG:4326"
WEB_MERCATOR = "EPSG:3857"

#: Bounds (xmin, ymin, xmax, ymax) a layer's coordinates must fall inside for each CRS.
_RANGES: dict[str, tuple[float, float, float, float]] = {
    WGS84: (-180.0, -90.0, 180.0, 90.0),
    BNG: (-1.0e5, -1.0e5, 8.0e5, 1.35e6),
    WEB_MERCATOR: (-2.0e6, 6.0e6, 1.0e6, 9.0e6),
}
_LABEL = {
    WGS84: "WGS84 longitude/latitude (EPSG:4326)",
    BNG: "British National Grid metres (EPSG:27700)",
    WEB_MERCATOR: "Web Mercator metres (EPSG:3857)",
}


@dataclass(frozen=True)
class CrsChoice:
    """The CRS a layer is read in.

    Attributes
    ----------
    crs : str
        ``EPSG:nnnn`` or another CRS string pyproj understands.
    declared : str or None
        What the file itself declared (None when it declared nothing).
    note : str
        One plain sentence: how the CRS was chosen.
    """

    crs: str
    declared: str | None
    note: str


def fits(crs: str, bounds: tuple[float, float, float, float]) -> bool:
    """Whether coordinates with ``bounds`` can be in ``crs`` (only the CRSs we know)."""
    rng = _RANGES.get(crs.upper())
    if rng is None:
        return True
    xmin, ymin, xmax, ymax = bounds
    if crs.upper() != WGS84 and fits(WGS84, bounds):
        return False  # metres that all lie within +-180 are longitude/latitude
    return rng[0] <= xmin and rng[1] <= ymin and xmax <= rng[2] and ymax <= rng[3]


def guess(bounds: tuple[float, float, float, float]) -> str | None:
    """The CRS the coordinate range points to: WGS84 first, then BNG, then Web Mercator."""
    for crs in (WGS84, BNG, WEB_MERCATOR):
        if fits(crs, bounds):
            return crs
    return None


def choose_crs(
    declared: str | None, bounds: tuple[float, float, float, float], *, file_name: str
) -> CrsChoice:
    """Decide the CRS of a layer from what it declares and where its coordinates lie.

    Parameters
    ----------
    declared : str or None
        The CRS the file declares explicitly (None: nothing declared).
    bounds : tuple of float
        ``(xmin, ymin, xmax, ymax)`` of all the layer's coordinates.
    file_name : str
        For messages.

    Returns
    -------
    CrsChoice

    Raises
    ------
    IngestError
        When the coordinates fit no CRS oacinsight can recognise, or contradict the
        declared one.
    """
    box = ", ".join(f"{v:,.0f}" if abs(v) > 1000 else f"{v:.3f}" for v in bounds)
    if declared:
        if fits(declared, bounds):
            return CrsChoice(declared, declared, f"CRS declared in the file: {declared}")
        found = guess(bounds)
        if found is None:
            raise IngestError(
                f"{file_name}: declares {declared} but its coordinates ({box}) "
                "do not fit it; fix or reproject the file"
            )
        return CrsChoice(
            found,
            declared,
            f"the file declares {declared} but its coordinates "
            f"({box}) are {_LABEL[found]}: read as {found}",
        )
    found = guess(bounds)
    if found is None:
        raise IngestError(
            f"{file_name}: no CRS declared and the coordinates ({box}) are "
            "neither longitude/latitude nor British National Grid; add a .prj "
            "or reproject the file"
        )
    return CrsChoice(
        found,
        None,
        f"no CRS declared in the file; the coordinates ({box}) "
        f"are in the range of {_LABEL[found]}, so they were read as {found}",
    )
