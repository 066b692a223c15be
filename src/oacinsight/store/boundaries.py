"""SQL for boundary layers: saving them, serving their GeoJSON, and the numbers mapped.

Tables:

``boundary_layers``
    One row per layer: where it came from, how its CRS was chosen, how it was
    simplified, its bounds and its simplified GeoJSON (served as is, cacheable).
``boundary_features``
    One row per area: code, name, published attributes (JSON text), the polygon in
    British National Grid (WKB) and its simplified copy, and a point inside it.
``boundary_members``
    Which 2021 output areas make up each area of a non-OA layer: by code where the
    store's lookups know the area, else by position (the OA's centre inside the area).
"""

from __future__ import annotations

from typing import Any

import duckdb
import pandas as pd

from oacinsight.errors import StoreError
from oacinsight.oac import SUPERGROUP_NAMES
from oacinsight.store import registered

DDL = (
    "CREATE TABLE IF NOT EXISTS boundary_layers (layer VARCHAR, file_name VARCHAR, "
    "area_type VARCHAR, code_column VARCHAR, name_column VARCHAR, features BIGINT, "
    "crs_declared VARCHAR, crs_used VARCHAR, note VARCHAR, tolerance_m DOUBLE, "
    "west DOUBLE, south DOUBLE, east DOUBLE, north DOUBLE, etag VARCHAR, geojson VARCHAR, "
    "source_file VARCHAR, loaded_at TIMESTAMP)",
    "CREATE TABLE IF NOT EXISTS boundary_features (layer VARCHAR, code VARCHAR, "
    "name VARCHAR, properties VARCHAR, geom_bng BLOB, geom_simple_bng BLOB, "
    "x DOUBLE, y DOUBLE, lat DOUBLE, long DOUBLE)",
    "CREATE TABLE IF NOT EXISTS boundary_members (layer VARCHAR, code VARCHAR, "
    "oa VARCHAR, how VARCHAR)",
)
#: Column of ``oa_areas`` holding each area type's code.
OA_AREA_COLUMNS = {"ward": "ward", "lad": "lad", "region": "region", "country": "country"}
_LAYER_FIELDS = (
    "layer, file_name, area_type, code_column, name_column, features, "
    "crs_declared, crs_used, note, tolerance_m, west, south, east, north, etag, "
    "loaded_at"
)


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the boundary tables where missing."""
    for ddl in DDL:
        con.execute(ddl)


def has_boundaries(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether any boundary layer is loaded."""
    exists = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'boundary_layers' "
        "AND NOT temporary"
    ).fetchall()[0][0]
    if not exists:
        return False
    return bool(con.execute("SELECT count(*) FROM boundary_layers").fetchall()[0][0])


def save_layer(
    con: duckdb.DuckDBPyConnection, layer: dict[str, Any], features: pd.DataFrame
) -> int:
    """Replace one layer (inside the caller's transaction); returns the feature count.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        A connection in a transaction.
    layer : dict
        The ``boundary_layers`` fields except ``loaded_at``.
    features : pandas.DataFrame
        Columns ``code, name, properties, geom_bng, geom_simple_bng, x, y, lat, long``.
    """
    ensure_tables(con)
    for table in ("boundary_layers", "boundary_features", "boundary_members"):
        con.execute(f"DELETE FROM {table} WHERE layer = ?", [layer["layer"]])
    cols = [c.strip() for c in _LAYER_FIELDS.split(",") if c.strip() != "loaded_at"]
    cols.insert(cols.index("etag") + 1, "geojson")
    cols.append("source_file")
    con.execute(
        f"INSERT INTO boundary_layers ({', '.join(cols)}, loaded_at) VALUES "
        f"({', '.join('?' for _ in cols)}, current_timestamp)",
        [layer[c] for c in cols],
    )
    frame = features.assign(layer=layer["layer"])
    con.register("_features_in", frame)
    con.execute("INSERT INTO boundary_features BY NAME SELECT * FROM _features_in")
    con.unregister("_features_in")
    return len(frame)


def layers(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The loaded layers (no GeoJSON), finest areas first."""
    if not has_boundaries(con):
        return pd.DataFrame(columns=[c.strip() for c in _LAYER_FIELDS.split(",")])
    return con.execute(
        f"SELECT {_LAYER_FIELDS} FROM boundary_layers ORDER BY features DESC, layer"
    ).df()


def layer_geojson(con: duckdb.DuckDBPyConnection, layer: str) -> tuple[str, str] | None:
    """``(geojson, etag)`` of a layer, or None when there is no such layer."""
    if not has_boundaries(con):
        return None
    rows = con.execute(
        "SELECT geojson, etag FROM boundary_layers WHERE layer = ?", [layer]
    ).fetchall()
    return (rows[0][0], rows[0][1]) if rows else None


def layer_shapes(
    con: duckdb.DuckDBPyConnection, layer: str, *, simple: bool = True
) -> pd.DataFrame:
    """``code, name, wkb`` of every feature of a layer (BNG; simplified by default)."""
    column = "geom_simple_bng" if simple else "geom_bng"
    frame = con.execute(
        f"SELECT code, name, {column} AS wkb FROM boundary_features WHERE layer = ? ORDER BY code",
        [layer],
    ).df()
    frame["wkb"] = frame["wkb"].map(bytes)
    return frame


def feature_points(con: duckdb.DuckDBPyConnection, area_types: tuple[str, ...]) -> pd.DataFrame:
    """``code, x, y`` (BNG point inside each area) of every layer of the given types."""
    if not has_boundaries(con):
        return pd.DataFrame(columns=["code", "x", "y"])
    return con.execute(
        "SELECT DISTINCT f.code, f.x, f.y FROM boundary_features f JOIN boundary_layers l "
        "USING (layer) WHERE l.area_type IN (SELECT unnest(?))",
        [list(area_types)],
    ).df()


def oa_postcode_centres(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """``oa, x, y, lat, long``: mean position of each 2021 OA's live postcodes."""
    if not _exists(con, "pc_lookup"):
        return pd.DataFrame(columns=["oa", "x", "y", "lat", "long"])
    return con.execute(
        "SELECT l.oa21 AS oa, avg(TRY_CAST(p.oseast1m AS DOUBLE)) AS x, "
        "avg(TRY_CAST(p.osnrth1m AS DOUBLE)) AS y, avg(l.lat) AS lat, avg(l.long) AS long "
        "FROM pc_lookup l JOIN postcodes p ON p.pc_key = l.pc_key AND p.edition = l.edition "
        "WHERE l.oa21 IS NOT NULL AND l.doterm IS NULL AND l.lat BETWEEN 49 AND 61 "
        "GROUP BY 1"
    ).df()


def members_by_code(con: duckdb.DuckDBPyConnection, layer: str, area_type: str) -> int:
    """Fill ``boundary_members`` of a layer from the store's OA lookups; returns rows."""
    con.execute("DELETE FROM boundary_members WHERE layer = ?", [layer])
    if area_type == "oa":
        con.execute(
            "INSERT INTO boundary_members SELECT layer, code, code, 'code' "
            "FROM boundary_features WHERE layer = ?",
            [layer],
        )
    elif area_type in OA_AREA_COLUMNS and _exists(con, "oa_areas"):
        col = OA_AREA_COLUMNS[area_type]
        con.execute(
            "INSERT INTO boundary_members SELECT f.layer, f.code, a.oa, 'area code' "
            f"FROM boundary_features f JOIN oa_areas a ON a.{col} = f.code WHERE f.layer = ?",
            [layer],
        )
    return int(
        con.execute("SELECT count(*) FROM boundary_members WHERE layer = ?", [layer]).fetchall()[0][
            0
        ]
    )


def save_members(con: duckdb.DuckDBPyConnection, layer: str, frame: pd.DataFrame) -> int:
    """Replace the members of a layer with ``frame`` (``code, oa, how``)."""
    con.execute("DELETE FROM boundary_members WHERE layer = ?", [layer])
    con.register("_members_in", frame.assign(layer=layer))
    con.execute("INSERT INTO boundary_members BY NAME SELECT * FROM _members_in")
    con.unregister("_members_in")
    return len(frame)


def _exists(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    return bool(
        con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND NOT temporary", [table]
        ).fetchall()[0][0]
    )


_MEASURES = """
WITH m AS (SELECT code, oa FROM boundary_members WHERE layer = ?),
oac AS (SELECT oa, supergroup, group_code, subgroup FROM oac_oa
        QUALIFY row_number() OVER (PARTITION BY oa ORDER BY source_file) = 1),
res AS ({residents}),
cust AS (SELECT CAST(oa AS VARCHAR) AS oa, sum(customers) AS customers FROM _cust_in GROUP BY 1),
per_oa AS (
  SELECT m.code, m.oa, o.supergroup, o.group_code, o.subgroup,
         r.residents, coalesce(c.customers, 0) AS customers
  FROM m LEFT JOIN oac o ON o.oa = m.oa LEFT JOIN res r ON r.oa = m.oa
  LEFT JOIN cust c ON c.oa = m.oa
),
sg AS (SELECT code, supergroup, sum(coalesce(residents, 0)) + count(*) * 1e-6 AS w
       FROM per_oa WHERE supergroup IS NOT NULL GROUP BY ALL),
gr AS (SELECT code, group_code, sum(coalesce(residents, 0)) + count(*) * 1e-6 AS w
       FROM per_oa WHERE group_code IS NOT NULL GROUP BY ALL),
su AS (SELECT code, subgroup, sum(coalesce(residents, 0)) + count(*) * 1e-6 AS w
       FROM per_oa WHERE subgroup IS NOT NULL GROUP BY ALL),
agg AS (SELECT code, count(*) AS oas, count(supergroup) AS oas_with_oac,
        sum(residents) AS residents, sum(customers) AS customers FROM per_oa GROUP BY 1)
SELECT f.code, f.name, coalesce(a.oas, 0) AS oas, coalesce(a.oas_with_oac, 0) AS oas_with_oac,
  a.residents, coalesce(a.customers, 0) AS customers,
  (SELECT arg_max(supergroup, w) FROM sg WHERE sg.code = f.code) AS supergroup,
  (SELECT max(w) / sum(w) FROM sg WHERE sg.code = f.code) AS supergroup_share,
  (SELECT arg_max(group_code, w) FROM gr WHERE gr.code = f.code) AS group_code,
  (SELECT arg_max(subgroup, w) FROM su WHERE su.code = f.code) AS subgroup
FROM boundary_features f LEFT JOIN agg a ON a.code = f.code
WHERE f.layer = ?
ORDER BY f.code
"""


def area_measures(
    con: duckdb.DuckDBPyConnection, layer: str, customers: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Per area of a layer: OAs, residents, customers and the main OAC group.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
    layer : str
    customers : pandas.DataFrame, optional
        ``oa, customers`` (2021 OA codes); none means 0 everywhere.

    Returns
    -------
    pandas.DataFrame
        ``code, name, oas, oas_with_oac, residents, customers, supergroup,
        supergroup_share, group_code, subgroup``.  ``residents`` is Census 2021 usual
        residents (TS001) when loaded, else empty.  The main group is the one most
        residents of the area live in.
    """
    cust = customers if customers is not None else pd.DataFrame({"oa": [], "customers": []})
    cust = cust[["oa", "customers"]].astype({"oa": str, "customers": "int64"})
    residents = (
        "SELECT oa, ts0010001 AS residents FROM census_ts001"
        if _exists(con, "census_ts001")
        else "SELECT NULL::VARCHAR AS oa, NULL::DOUBLE AS residents WHERE false"
    )
    if not _exists(con, "oac_oa"):
        raise StoreError("no OAC loaded: ingest the OAC 2021 file to map OAC groups")
    con.register("_cust_in", cust)
    try:
        return con.execute(_MEASURES.format(residents=residents), [layer, layer]).df()
    finally:
        con.unregister("_cust_in")


def oa_points(
    con: duckdb.DuckDBPyConnection, oas: list[str], customers: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Postcode-centre points of the given 2021 OAs, with OAC group, residents, customers.

    Returns
    -------
    pandas.DataFrame
        ``code, lat, long, supergroup, group_code, subgroup, residents, customers``.
    """
    cust = customers if customers is not None else pd.DataFrame({"oa": [], "customers": []})
    cust = cust[["oa", "customers"]].astype({"oa": str, "customers": "int64"})
    residents = (
        "LEFT JOIN census_ts001 r ON r.oa = o.oa"
        if _exists(con, "census_ts001")
        else "LEFT JOIN (SELECT NULL::VARCHAR AS oa, NULL::DOUBLE AS ts0010001 "
        "WHERE false) r ON r.oa = o.oa"
    )
    con.register("_cust_in", cust)
    try:
        return con.execute(
            f"""
WITH pts AS (
  SELECT oa21 AS oa, avg(lat) AS lat, avg(long) AS long FROM pc_lookup
  WHERE oa21 IN (SELECT unnest(?)) AND doterm IS NULL AND lat BETWEEN 49 AND 61 GROUP BY 1
), c AS (SELECT CAST(oa AS VARCHAR) AS oa, sum(customers) AS customers FROM _cust_in GROUP BY 1)
SELECT p.oa AS code, p.lat, p.long, o.supergroup, o.group_code, o.subgroup,
       r.ts0010001 AS residents, coalesce(c.customers, 0) AS customers
FROM pts p LEFT JOIN oac_oa o ON o.oa = p.oa {residents.replace("o.oa", "p.oa")}
LEFT JOIN c ON c.oa = p.oa ORDER BY 1
""",
            [list(oas)],
        ).df()
    finally:
        con.unregister("_cust_in")


def oac_names(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """OAC code → official name (all tiers), the built-in supergroup names as fallback."""
    names = dict(SUPERGROUP_NAMES)
    if _exists(con, "oac_names"):
        rows = con.execute(
            "SELECT code, min(name) FROM oac_names WHERE name IS NOT NULL GROUP BY 1"
        ).fetchall()
        names.update({str(r[0]): str(r[1]) for r in rows})
    return names


def search_areas(con: duckdb.DuckDBPyConnection, text: str, limit: int = 20) -> pd.DataFrame:
    """Areas found by code or by (part of) name, case-insensitive: ``code, name, kind``
    (``kind`` is the boundary layer's area type, else blank).

    Searches the names files, the boundary files and the areas of the postcode
    directory (``oa_areas``: local authorities, wards, regions, by code); an output
    area is found by its exact code.  Exact codes come first, then names starting with
    the text, then the rest by name.
    """
    parts = []
    if _exists(con, "area_names"):
        parts.append("SELECT code, name, NULL AS kind FROM area_names")
    if has_boundaries(con):
        parts.append(
            "SELECT f.code, f.name, l.area_type FROM boundary_features f "
            "JOIN boundary_layers l USING (layer)"
        )
    if _exists(con, "oa_areas"):
        parts += [
            f"SELECT DISTINCT {c} AS code, NULL AS name, NULL AS kind FROM oa_areas "
            f"WHERE {c} IS NOT NULL"
            for c in ("lad", "ward", "region")
        ]
        parts.append("SELECT oa, NULL, NULL FROM oa_areas WHERE oa = $code")
    if not parts:
        return pd.DataFrame(columns=["code", "name", "kind"])
    return con.execute(
        "SELECT code, min(name) AS name, min(kind) AS kind FROM ("
        + " UNION ALL ".join(parts)
        + ") GROUP BY code "
        "HAVING upper(code) LIKE $start ESCAPE '\\' "
        "OR bool_or(lower(name) LIKE $part ESCAPE '\\') "
        "ORDER BY upper(code) = $code DESC, bool_or(lower(name) LIKE $begin ESCAPE '\\') DESC, "
        "min(name) NULLS LAST, code LIMIT $limit",
        {
            "code": text.strip().upper(),
            "start": f"{_like(text.strip().upper())}%",
            "part": f"%{_like(text.strip().lower())}%",
            "begin": f"{_like(text.strip().lower())}%",
            "limit": limit,
        },
    ).df()


def oa_facts(con: duckdb.DuckDBPyConnection, oa: str) -> dict[str, Any] | None:
    """One 2021 output area: its OAC codes, ward, local authority and region (postcode
    directory or official lookups), and residents (TS001); None if the store has none
    of these for it."""
    joins, fields = [], ["q.oa"]
    for table, alias, cols in (
        ("oac_oa", "o", ("supergroup", "group_code", "subgroup")),
        ("oa_areas", "a", ("ward", "lad", "region")),
        ("census_ts001", "r", ()),
    ):
        if _exists(con, table):
            joins.append(f"LEFT JOIN {table} {alias} ON {alias}.oa = q.oa")
            fields += [f"{alias}.{c}" for c in cols] or ["r.ts0010001 AS residents"]
        else:
            fields += [f"NULL AS {c}" for c in cols] or ["NULL AS residents"]
    frame = con.execute(
        f"SELECT {', '.join(fields)} FROM (SELECT ? AS oa) q {' '.join(joins)} LIMIT 1", [oa]
    ).df()
    row = {str(k): (None if pd.isna(v) else v) for k, v in frame.iloc[0].to_dict().items()}
    return row if any(v is not None for k, v in row.items() if k != "oa") else None


def area_members(con: duckdb.DuckDBPyConnection, code: str) -> list[str]:
    """The 2021 output areas making up a boundary-file area (any layer)."""
    if not has_boundaries(con):
        return []
    rows = con.execute(
        "SELECT DISTINCT oa FROM boundary_members WHERE code = ? ORDER BY 1", [code]
    ).fetchall()
    return [str(r[0]) for r in rows]


def _like(text: str) -> str:
    """``text`` with LIKE's wildcards taken literally."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def layer_hits(con: duckdb.DuckDBPyConnection, oas: list[str]) -> dict[str, int]:
    """Per layer, how many of the given 2021 OAs fall in one of its areas."""
    if not has_boundaries(con) or not oas:
        return {}
    rows = con.execute(
        "SELECT layer, count(DISTINCT oa) FROM boundary_members WHERE oa IN "
        "(SELECT unnest(?)) GROUP BY 1",
        [list(oas)],
    ).fetchall()
    return {str(r[0]): int(r[1]) for r in rows}


def area_layers(con: duckdb.DuckDBPyConnection, code: str) -> pd.DataFrame:
    """The layers holding an area ``code``: ``layer, area_type, name, lat, long``."""
    if not has_boundaries(con):
        return pd.DataFrame(columns=["layer", "area_type", "name", "lat", "long"])
    return con.execute(
        "SELECT f.layer, l.area_type, f.name, f.lat, f.long FROM boundary_features f "
        "JOIN boundary_layers l USING (layer) WHERE f.code = ? ORDER BY l.features",
        [code],
    ).df()


def area_oa_members(
    con: duckdb.DuckDBPyConnection, area: list[str], layers: list[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The output areas ``area`` with their OAC codes (``oa, supergroup, group_code,
    subgroup``), and every member (``layer, code, oa``) of the features of ``layers``
    that hold any of them."""
    frame = pd.DataFrame({"oa": pd.Series(sorted(set(area)), dtype=object)})
    with registered(con, area=frame) as t:
        oas = con.execute(
            "SELECT a.oa, o.supergroup, o.group_code, o.subgroup "
            f"FROM {t['area']} a JOIN oac_oa o ON o.oa = a.oa "
            "QUALIFY row_number() OVER (PARTITION BY a.oa ORDER BY o.source_file) = 1 "
            "ORDER BY 1"
        ).df()
        if not layers or not has_boundaries(con):
            return oas, pd.DataFrame({"layer": [], "code": [], "oa": []})
        members = con.execute(
            "WITH t AS (SELECT DISTINCT layer, code FROM boundary_members "
            f"           WHERE layer IN (SELECT unnest(?)) AND oa IN (SELECT oa FROM {t['area']})) "
            "SELECT m.layer, m.code, m.oa FROM boundary_members m JOIN t USING (layer, code) "
            "ORDER BY 1, 2, 3",
            [list(layers)],
        ).df()
    return oas, members
