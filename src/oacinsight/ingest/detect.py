"""Recognise an official ONS file by its columns (and, where needed, its first values).

Each recogniser returns a :class:`Detected` naming the kind of file and the published
column used for each field the store needs, so the user is told exactly what was used.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from oacinsight.errors import IngestError
from oacinsight.ingest.sniff import Peek

KINDS = (
    "postcode_directory",
    "oac",
    "oac_names",
    "oac_lsoa",
    "oac11_names",
    "geo_lookup",
    "oa11_oa21",
    "census",
    "census_metadata",
    "area_names",
    "boundaries",
)

# Field -> accepted published column names (lower case; regex allowed), first wins.
POSTCODE_FIELDS: dict[str, tuple[str, ...]] = {
    "pcd": ("pcds", "pcd", "pcd7", "pcd2", "pcd8", "postcode"),
    "dointr": ("dointr",),
    "doterm": ("doterm",),
    "usertype": ("usertype", "usrtypind"),
    "oseast1m": ("oseast1m", "east1m"),
    "osnrth1m": ("osnrth1m", "north1m"),
    "oa11": ("oa11", "oa11cd"),
    "oa21": ("oa21", "oa21cd"),
    "lsoa11": ("lsoa11", "lsoa11cd"),
    "lsoa21": ("lsoa21", "lsoa21cd"),
    "laua": ("laua", "oslaua", r"lad\d\dcd", "ladcd"),
    "ward": ("ward", "osward", r"wd\d\dcd"),
    "ctry": ("ctry", r"ctry\d\dcd"),
    "rgn": ("rgn", r"rgn\d\dcd"),
    "imd": ("imd", r"imd\d\dind"),
    "oac11": ("oac11",),
    "lat": ("lat",),
    "long": ("long", "lon"),
}
OA_CODE = (
    "geography_code",
    "oa21cd",
    "oa21",
    "oa",
    "oa_code",
    "oacode",
    "output_area",
    "outputarea",
    "oa11cd",
    "geography code",
    "code",
)
OAC_FIELDS: dict[str, tuple[str, ...]] = {
    "supergroup": ("supergroup", "supergroup_code", "sprgrp", "supgrpcode", r"supergroup\s*code"),
    "group": ("group", "group_code", "grp", "grpcode", r"group\s*code"),
    "subgroup": ("subgroup", "subgroup_code", "subgrp", "subgrpcode", r"subgroup\s*code"),
}
NAME_FIELDS: dict[str, tuple[str, ...]] = {
    "subgroup": ("subgroup", "subgroup_code", "subgrpcode"),
    "group": ("group", "group_code", "grpcode"),
    "supergroup": ("supergroup", "supergroup_code", "supgrpcode"),
    "supergroup_name": ("supergroup_name", "supergroup name", "supgrpnm"),
    "group_name": ("group_name", "group name", "grpnm"),
    "subgroup_name": ("subgroup_name", "subgroup name", "subgrpnm"),
}
OA_PREFIX = re.compile(r"^(E00|W00|S00|N00|N20|K04)\d{6}$")


@dataclass
class Detected:
    """What a file was taken to be, and which of its columns were used."""

    kind: str
    columns: dict[str, str] = field(default_factory=dict)  # field -> published column
    detail: str = ""

    def describe(self) -> str:
        used = ", ".join(f"{k}={v}" for k, v in self.columns.items())
        extra = f" ({self.detail})" if self.detail else ""
        return f"{self.kind}{extra}; columns used: {used}" if used else f"{self.kind}{extra}"


def find_column(peek: Peek, names: tuple[str, ...]) -> str | None:
    """The first published column whose lower-cased name matches one of ``names``."""
    lower = peek.lower()
    for name in names:
        for low, published in lower.items():
            if re.fullmatch(name, low):
                return published
    return None


def map_fields(peek: Peek, spec: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """Field → published column for every field of ``spec`` present in the file."""
    found = {f: find_column(peek, names) for f, names in spec.items()}
    return {f: c for f, c in found.items() if c}


def _share(values: list[str], pattern: re.Pattern[str]) -> float:
    return sum(bool(pattern.match(v)) for v in values) / len(values) if values else 0.0


def _postcode_directory(peek: Peek) -> Detected | None:
    cols = map_fields(peek, POSTCODE_FIELDS)
    if "pcd" in cols and ("oa11" in cols or "oa21" in cols or "laua" in cols):
        names = {c.lower() for c in peek.columns}
        flavour = "ONSPD" if "oslaua" in names or "osward" in names else "NSPL"
        return Detected("postcode_directory", cols, flavour)
    return None


def _oac(peek: Peek) -> Detected | None:
    code = find_column(peek, OA_CODE)
    oac = map_fields(peek, OAC_FIELDS)
    if not code or "subgroup" not in oac or find_column(peek, NAME_FIELDS["subgroup_name"]):
        return None
    values = peek.values(code)
    if _share(values, re.compile(r"^(E01|W01|S01|N21|95)")) > 0.5:
        return Detected("oac_lsoa", {"area": code, **oac}, "OAC at LSOA / data zone")
    if values and _share(values, OA_PREFIX) < 0.5:
        return None
    return Detected("oac", {"oa": code, **oac}, "OAC 2021 assignment")


def _oac_names(peek: Peek) -> Detected | None:
    cols = map_fields(peek, NAME_FIELDS)
    if {"subgroup", "subgroup_name"} <= cols.keys():
        return Detected("oac_names", cols, "OAC names")
    if find_column(peek, ("oac11",)) and find_column(peek, ("subgroup",)):
        names = map_fields(peek, {t: (t,) for t in ("supergroup", "group", "subgroup")})
        return Detected(
            "oac11_names", {"code": find_column(peek, ("oac11",)) or "", **names}, "2011 OAC names"
        )
    return None


def _census(peek: Peek) -> Detected | None:
    lower = peek.lower()
    if "table_id" in lower and "new_names" in lower:
        return Detected("census_metadata", {"table_id": lower["table_id"]}, "census table metadata")
    code = find_column(peek, ("oa", "geography code", "geography_code", "oa21cd"))
    cells = [c for c in peek.columns if re.fullmatch(r"ts\d{3}[a-z]?\d{4}", c.lower())]
    nomis = [c for c in peek.columns if "; measures:" in c.lower()]
    m = re.search(r"(ts\d{3}[a-z]?)", peek.path.name.lower())
    if not code or not (cells or (nomis and m)):
        return None
    first = re.match(r"ts\d{3}[a-z]?", cells[0].lower()) if cells else m
    table = first.group(first.lastindex or 0) if first else ""
    values = peek.values(code)
    if values and _share(values, OA_PREFIX) < 0.5:
        raise IngestError(
            f"{peek.path.name}: census table {table} for areas like {values[0]}, not output "
            "areas: load the output-area file (e.g. census2021-" + table + "-oa.csv)"
        )
    return Detected("census", {"oa": code}, table)


def _lookups(peek: Peek) -> Detected | None:
    lower = peek.lower()
    if "oa11cd" in lower and "oa21cd" in lower:
        cols = {"oa11": lower["oa11cd"], "oa21": lower["oa21cd"]}
        if "chngind" in lower:
            cols["change"] = lower["chngind"]
        return Detected("oa11_oa21", cols, "OA 2011 to OA 2021 lookup")
    code = find_column(peek, ("oa21cd", "oa"))
    if not code or _share(peek.values(code), OA_PREFIX) < 0.5:
        return None
    targets = {c: peek.values(c) for c in peek.columns if c != code}
    cols = {"oa": code}
    for col, values in targets.items():
        if re.fullmatch(r".*(cd|code)", col.lower()) and values:
            cols[col] = col
    return Detected("geo_lookup", cols, "OA lookup") if len(cols) > 1 else None


#: Code columns of the ONS OA 2021 best-fit lookups ("OA21 to LSOA21 to MSOA21 to LAD",
#: "OA21 to ward to LAD"...) -> the store's field; the name column is the same with NM.
OFFICIAL_LOOKUP_CODES: tuple[tuple[str, str, str], ...] = (
    (r"lsoa21cd", "lsoa", "LSOA21"),
    (r"msoa21cd", "msoa", "MSOA21"),
    (r"wd\d\dcd", "ward", "ward"),
    (r"lad\d\dcd", "lad", "LAD"),
    (r"rgn\d\dcd", "region", "region"),
)


def _official_oa_lookup(peek: Peek) -> Detected | None:
    """The ONS OA 2021 best-fit lookups, by their published columns (``OA21CD``,
    ``LSOA21CD``, ``LSOA21NM``, ``MSOA21CD``, ``WD22CD``, ``LAD22CD``, ``LAD22NM``...,
    ``ObjectId``): codes go to the OA links, names (``..NM``, not the Welsh ``..NMW``) to
    the area names."""
    lower = peek.lower()
    oa = lower.get("oa21cd")
    if oa is None or _share(peek.values(oa), OA_PREFIX) < 0.5:
        return None
    cols: dict[str, str] = {"oa": oa}
    labels = []
    for pattern, fld, label in OFFICIAL_LOOKUP_CODES:
        code = next((lower[c] for c in lower if re.fullmatch(pattern, c)), None)
        if code is None:
            continue
        cols[fld] = code
        name = lower.get(code.lower()[:-2] + "nm")
        if name is not None:
            cols[f"{fld}_name"] = name
        labels.append(label if label != "LAD" else code.upper()[:-2])
    if len(cols) == 1:
        return None
    return Detected("geo_lookup", cols, "ONS OA21 to " + " to ".join(labels) + " lookup")


def _area_names(peek: Peek) -> Detected | None:
    cds = [c for c in peek.columns if re.fullmatch(r"[a-z0-9]+cd|ru11ind", c.lower())]
    nms = [c for c in peek.columns if re.fullmatch(r"[a-z0-9]+nm", c.lower())]
    if len(cds) == 1 and nms:
        return Detected("area_names", {"code": cds[0], "name": nms[0]}, "area names")
    return None


RECOGNISERS: tuple[Callable[[Peek], Detected | None], ...] = (
    _postcode_directory,
    _census,
    _oac_names,
    _oac,
    _official_oa_lookup,
    _lookups,
    _area_names,
)


def detect(peek: Peek, kind: str | None = None) -> Detected:
    """Recognise a file; with ``kind`` given, only that kind is tried."""
    if kind is not None and kind not in KINDS:
        raise IngestError(f"unknown --kind {kind!r}; choose one of {', '.join(KINDS)}")
    for recognise in RECOGNISERS:
        found = recognise(peek)
        if found and (kind is None or found.kind == kind):
            return found
    cols = ", ".join(peek.columns[:12]) + (" ..." if len(peek.columns) > 12 else "")
    wanted = f"a {kind} file" if kind else "an official file oacinsight knows"
    raise IngestError(f"{peek.path.name}: not recognised as {wanted} (columns: {cols})")
