"""Read official boundary files, place them in British National Grid and WGS84.

:func:`read_boundaries` reads GeoJSON, GeoPackage or Shapefile (a zip is unpacked by
ingest first) with pyogrio, finds the area-code and name columns, decides the CRS
(:mod:`oacinsight.maps.crs`: declared, or told by the coordinate range and said so),
repairs invalid polygons and returns one :class:`BoundaryLayer` per polygon layer, its
geometry kept in British National Grid metres (EPSG:27700).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyogrio
import shapely
from pyproj import Transformer

from oacinsight.errors import IngestError
from oacinsight.maps.crs import BNG, WGS84, CrsChoice, choose_crs
from oacinsight.maps.formats import BOUNDARY_SUFFIXES, SIDECAR_SUFFIXES, is_boundary_file

_GSS = re.compile(r"^[EWSNKLM]\d{8}$")
#: Area type by the first three characters of a GSS code.
AREA_TYPES: dict[str, str] = {
    "E00": "oa", "W00": "oa", "S00": "oa", "N00": "oa", "N20": "dz",
    "E01": "lsoa", "W01": "lsoa", "S01": "dz", "N21": "sdz",
    "E02": "msoa", "W02": "msoa",
    "E05": "ward", "W05": "ward", "S13": "ward", "N08": "ward",
    "E06": "lad", "E07": "lad", "E08": "lad", "E09": "lad", "W06": "lad", "S12": "lad",
    "N09": "lad", "E12": "region", "E92": "country", "W92": "country", "S92": "country",
    "N92": "country",
}  # fmt: skip
__all__ = [
    "AREA_LABELS",
    "AREA_TYPES",
    "BOUNDARY_SUFFIXES",
    "SIDECAR_SUFFIXES",
    "BoundaryLayer",
    "bng_to_wgs84",
    "is_boundary_file",
    "read_boundaries",
    "to_crs",
]

AREA_LABELS: dict[str, str] = {
    "oa": "output areas",
    "dz": "data zones",
    "lsoa": "LSOAs",
    "sdz": "super data zones",
    "msoa": "MSOAs",
    "ward": "wards",
    "lad": "local authorities",
    "region": "regions",
    "country": "countries",
    "other": "areas",
}


@dataclass
class BoundaryLayer:
    """One layer of polygons with an area code each, in British National Grid.

    Attributes
    ----------
    layer : str
        Identifier used in URLs (letters, digits, ``_``), from the file (and layer) name.
    file_name : str
        The file it came from.
    code_column, name_column : str or None
        The published columns used for the area code and the area name.
    area_type : str
        ``oa``, ``lsoa``, ``ward``, ``lad``, ... from the codes' prefixes, or ``other``.
    codes, names : list of str
        One per feature.
    geometry : numpy.ndarray
        Shapely (multi)polygons in EPSG:27700.
    properties : list of dict
        The other published attributes of each feature.
    crs : CrsChoice
        How the CRS was chosen.
    notes : list of str
        Plain sentences on what was repaired or dropped.
    """

    layer: str
    file_name: str
    code_column: str
    name_column: str | None
    area_type: str
    codes: list[str]
    names: list[str | None]
    geometry: np.ndarray
    properties: list[dict[str, Any]]
    crs: CrsChoice
    notes: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.codes)

    def describe(self) -> str:
        """One line for the ingest report."""
        label = AREA_LABELS.get(self.area_type, "areas")
        name = f", names from {self.name_column}" if self.name_column else ""
        extra = "; ".join([self.crs.note, *self.notes])
        return f"{len(self)} {label}, codes from {self.code_column}{name}; {extra}"


def read_boundaries(path: str | Path) -> list[BoundaryLayer]:
    """Read every polygon layer of a boundary file.

    Parameters
    ----------
    path : str or pathlib.Path
        A ``.geojson``, ``.gpkg`` or ``.shp`` file.

    Returns
    -------
    list of BoundaryLayer
        Geometry in British National Grid; at least one layer.

    Raises
    ------
    IngestError
        Unreadable files, no polygons, no area-code column, an unknown CRS.
    """
    p = Path(path)
    try:
        names = [str(row[0]) for row in pyogrio.list_layers(p)]
    except Exception as exc:  # pyogrio raises several DataSourceError types
        raise IngestError(f"{p.name}: cannot be read as a boundary file ({exc})") from exc
    layers = []
    for name in names:
        layer = _read_layer(p, name if len(names) > 1 else None)
        if layer is not None:
            layers.append(layer)
    if not layers:
        raise IngestError(f"{p.name}: holds no polygons with area codes")
    return layers


def _read_layer(path: Path, layer: str | None) -> BoundaryLayer | None:
    try:
        meta, _fids, wkb, values = pyogrio.raw.read(path, layer=layer, force_2d=True)
    except Exception as exc:
        raise IngestError(f"{path.name}: cannot be read ({exc})") from exc
    if "polygon" not in str(meta.get("geometry_type", "")).lower() or wkb is None:
        return None
    columns = [str(c) for c in meta["fields"]]
    table = {c: list(v) for c, v in zip(columns, values, strict=True)}
    code_col = _code_column(table)
    if code_col is None:
        raise IngestError(
            f"{path.name}: no column of area codes (GSS codes like E00123456) "
            f"among {', '.join(columns)}"
        )
    geoms = shapely.from_wkb(wkb)
    keep = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    notes = [] if keep.all() else [f"{int((~keep).sum())} features without geometry dropped"]
    geoms = geoms[keep]
    declared = _declared_crs(path, meta)
    choice = choose_crs(declared, tuple(shapely.total_bounds(geoms)), file_name=path.name)
    geoms = to_crs(geoms, choice.crs, BNG)
    geoms, repaired = _repair(geoms)
    if repaired:
        notes.append(f"{repaired} invalid polygons repaired")
    codes = [str(v).strip() for v, k in zip(table[code_col], keep, strict=True) if k]
    name_col = _name_column(table, code_col)
    names: list[str | None] = (
        [_text(v) for v, k in zip(table[name_col], keep, strict=True) if k]
        if name_col
        else [None] * len(codes)
    )
    others = [c for c in columns if c not in (code_col, name_col)]
    props = [{c: _plain(table[c][i]) for c in others} for i in np.flatnonzero(keep)]
    ident = _slug(path.stem) + (f"_{_slug(layer)}" if layer else "")
    return BoundaryLayer(
        ident,
        path.name,
        code_col,
        name_col,
        _area_type(codes),
        codes,
        names,
        geoms,
        props,
        choice,
        notes,
    )


def _slug(text: str) -> str:
    """Letters, digits and ``_`` only, lower case."""
    return re.sub(r"\W+", "_", text.lower()).strip("_") or "boundaries"


def _declared_crs(path: Path, meta: dict[str, Any]) -> str | None:
    """The CRS the file declares itself; GeoJSON without a ``crs`` member declares none."""
    crs = meta.get("crs")
    if not crs:
        return None
    if path.suffix.lower() == ".geojson":
        with open(path, "rb") as fh:
            head = fh.read(1 << 16).decode("utf-8", errors="replace")
        before = head.split('"features"', 1)[0]
        if '"crs"' not in before:
            return None
    return str(crs)


def _code_column(table: dict[str, list[Any]]) -> str | None:
    """The column whose values are GSS codes, preferring names like ``*cd`` / ``*code``."""
    best, best_score = None, 0.0
    for column, values in table.items():
        sample = [str(v).strip() for v in values[:500] if v is not None]
        if not sample:
            continue
        share = sum(bool(_GSS.match(v)) for v in sample) / len(sample)
        if share < 0.9:
            continue
        unique = len(set(sample)) / len(sample)
        score = share + unique + (0.5 if re.search(r"(cd|code)$", column.lower()) else 0.0)
        if score > best_score:
            best, best_score = column, score
    return best


def _name_column(table: dict[str, list[Any]], code_col: str) -> str | None:
    """The area-name column that goes with the code column: ``wd17cd`` → ``wd17nm``,
    ``lad21code`` → ``lad21name``; else a column called ``name`` (Welsh ``*nmw`` never)."""
    stem = re.sub(r"_?(cd|code)$", "", code_col.lower())
    wanted = {f"{stem}nm", f"{stem}name", f"{stem}_nm", f"{stem}_name", "name", "areanm"}
    for column in table:
        if column.lower() in wanted and any(_text(v) for v in table[column][:50]):
            return column
    return None


def _area_type(codes: list[str]) -> str:
    prefixes = [AREA_TYPES.get(c[:3], "other") for c in codes]
    if not prefixes:
        return "other"
    values, counts = np.unique(prefixes, return_counts=True)
    return str(values[int(np.argmax(counts))])


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _plain(value: Any) -> Any:
    """A JSON-safe attribute value."""
    if value is None:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    if isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def _repair(geoms: np.ndarray) -> tuple[np.ndarray, int]:
    """Make invalid polygons valid, keeping only their polygonal parts."""
    bad = ~shapely.is_valid(geoms)
    if not bad.any():
        return geoms, 0
    fixed = shapely.make_valid(geoms[bad])
    parts = [
        shapely.union_all(
            shapely.get_parts(g)[np.isin(shapely.get_type_id(shapely.get_parts(g)), (3, 6))]
        )
        for g in fixed
    ]
    out = geoms.copy()
    out[bad] = np.array(parts, dtype=object)
    return out, int(bad.sum())


def to_crs(geoms: np.ndarray, source: str, target: str) -> np.ndarray:
    """Reproject shapely geometries (x = easting or longitude)."""
    if source.upper() == target.upper():
        return geoms
    transformer = Transformer.from_crs(source, target, always_xy=True)
    return shapely.transform(geoms, lambda x, y: transformer.transform(x, y), interleaved=False)


def bng_to_wgs84(geoms: np.ndarray) -> np.ndarray:
    """British National Grid → WGS84 longitude/latitude."""
    return to_crs(geoms, BNG, WGS84)


def properties_json(props: dict[str, Any]) -> str:
    """Published attributes as compact JSON text."""
    return json.dumps(props, ensure_ascii=False, separators=(",", ":"))
