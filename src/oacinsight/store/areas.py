"""SQL behind area profiles: one row per output area with everything a profile needs.

:func:`oa_frame` reads, for every England and Wales output area with Census 2021
counts, its OAC codes, the ward / local authority / region it belongs to (official
lookup where ingested, else the postcode majority of ``oa_areas``), its 2021 LSOA
(official lookup), the deprivation rank of its LSOA from the postcode directory and
the census cells asked for.  The area packages then work on that frame in memory, so
a batch of thirty wards costs one query.

The other functions answer small questions: which census tables and columns exist,
what a census cell means, what an unknown code is (for a clear error message), names.
"""

from __future__ import annotations

import re

import pandas as pd

from oacinsight.store import Store
from oacinsight.store import profiles as _profiles
from oacinsight.store.membership import membership_sql

_CELL = re.compile(r"^ts\d{3}[a-z]?\d{4}$")
_TABLE = re.compile(r"^ts\d{3}[a-z]?$")

__all__ = [
    "area_names",
    "census_columns",
    "census_labels",
    "code_facts",
    "loaded_postcode_areas",
    "membership_frame",
    "membership_sql",
    "oa_frame",
    "oac_names",
    "postcode_areas_of",
]


def census_columns(store: Store) -> dict[str, list[str]]:
    """The census tables in the store and their cell columns: ``{'ts001': [...], ...}``."""
    rows = store.con.execute(
        "SELECT table_name, column_name FROM duckdb_columns() "
        "WHERE table_name LIKE 'census\\_ts%' ESCAPE '\\' AND schema_name <> 'temp' "
        "AND database_name = current_database() ORDER BY table_name, column_index"
    ).fetchall()
    out: dict[str, list[str]] = {}
    for table, column in rows:
        if _CELL.match(column):
            out.setdefault(table[len("census_") :], []).append(column)
    return out


def census_labels(store: Store) -> dict[str, str]:
    """``column -> variable name`` from the ingested ``Table_Metadata.csv`` (may be empty)."""
    if not store.has_table("census_metadata"):
        return {}
    rows = store.con.execute(
        "SELECT column_name, min(variable_name) FROM census_metadata GROUP BY 1"
    ).fetchall()
    return {str(c): str(v) for c, v in rows if c is not None and v is not None}


def _cell_joins(cells: dict[str, list[str]]) -> tuple[list[str], list[str]]:
    """SELECT expressions and JOIN clauses for the census cells wanted (ts001 is ``c``)."""
    selects, joins = [], []
    for i, (table, columns) in enumerate(sorted(cells.items())):
        if not _TABLE.match(table) or not all(_CELL.match(c) for c in columns):
            raise ValueError(f"not a census table or cell: {table} {columns}")
        alias = "c" if table == "ts001" else f"t{i}"
        if table != "ts001":
            joins.append(
                f"LEFT JOIN (SELECT * FROM census_{table} QUALIFY row_number() OVER "
                f"(PARTITION BY oa) = 1) {alias} ON {alias}.oa = c.oa"
            )
        selects += [f"{alias}.{col} AS {col}" for col in columns if col not in _FIXED]
    return selects, joins


_FIXED = ("ts0010001", "ts0010002", "ts0010003")

_DEPRIVATION = """
dep AS (
  SELECT l.oa21 AS oa,
    coalesce(mode(p.lsoa11 || '|' || l.imd_rank) FILTER (WHERE l.doterm IS NULL),
             mode(p.lsoa11 || '|' || l.imd_rank)) AS lsoa11_imd,
    count(*) AS postcodes
  FROM pc_lookup l
  LEFT JOIN (SELECT pc_key, min(lsoa11) AS lsoa11 FROM postcodes GROUP BY 1) p USING (pc_key)
  WHERE l.oa21 IS NOT NULL GROUP BY l.oa21
),
"""

_NO_DEPRIVATION = """
dep AS (SELECT NULL::VARCHAR AS oa, NULL::VARCHAR AS lsoa11_imd, 0 AS postcodes WHERE false),
"""

_LINKS = """
links AS (
  SELECT oa,
    min(target_code) FILTER (WHERE target_type = 'lsoa') AS lsoa21,
    min(target_code) FILTER (WHERE target_type = 'msoa') AS msoa21,
    bool_or(target_type = 'region') AS region_official
  FROM oa_links GROUP BY oa
),
"""
_NO_LINKS = """
links AS (SELECT NULL::VARCHAR AS oa, NULL::VARCHAR AS lsoa21, NULL::VARCHAR AS msoa21,
  NULL::BOOLEAN AS region_official WHERE false),
"""

_NO_AREAS = """
areas AS (SELECT NULL::VARCHAR AS oa, NULL::VARCHAR AS lad, NULL::VARCHAR AS ward,
  NULL::VARCHAR AS region, NULL::VARCHAR AS country, NULL::VARCHAR AS lad_source,
  NULL::VARCHAR AS ward_source, NULL::VARCHAR AS region_source WHERE false),
"""

_FRAME = """
WITH oac AS (
  SELECT oa, supergroup, group_code, subgroup FROM oac_oa
  QUALIFY row_number() OVER (PARTITION BY oa ORDER BY source_file) = 1
),
{links}
{deprivation}
{areas}
c AS (SELECT * FROM census_ts001 QUALIFY row_number() OVER (PARTITION BY oa) = 1)
SELECT c.oa,
  CASE WHEN c.oa LIKE 'E%' THEN 'E92000001' WHEN c.oa LIKE 'W%' THEN 'W92000004' END
    AS nation,
  o.supergroup, o.group_code, o.subgroup,
  a.ward, a.lad, a.region, a.ward_source, a.lad_source, a.region_source,
  links.lsoa21, links.msoa21,
  split_part(dep.lsoa11_imd, '|', 1) AS lsoa11,
  TRY_CAST(split_part(dep.lsoa11_imd, '|', 2) AS INTEGER) AS imd_rank,
  coalesce(dep.postcodes, 0) AS postcodes,
  c.ts0010001 AS residents, c.ts0010002 AS household_residents,
  c.ts0010003 AS communal_residents{cells}
FROM c
LEFT JOIN oac o ON o.oa = c.oa
LEFT JOIN links ON links.oa = c.oa
LEFT JOIN areas a ON a.oa = c.oa
LEFT JOIN dep ON dep.oa = c.oa
{joins}
ORDER BY c.oa
"""


_MEMBERS = """
WITH c AS (SELECT oa, ts0010001 AS residents FROM census_ts001
           QUALIFY row_number() OVER (PARTITION BY oa) = 1),
links AS ({links}),
pc AS ({postcodes}),
a AS ({membership})
SELECT c.oa, CASE WHEN c.oa LIKE 'E%' THEN 'E92000001' WHEN c.oa LIKE 'W%' THEN 'W92000004'
  END AS nation, links.lsoa21, a.lad, a.ward, a.region, a.lad_source, a.ward_source,
  a.region_source, coalesce(pc.postcodes, 0) AS postcodes, c.residents
FROM c LEFT JOIN links ON links.oa = c.oa LEFT JOIN a ON a.oa = c.oa
LEFT JOIN pc ON pc.oa = c.oa ORDER BY c.oa
"""


def membership_frame(store: Store) -> pd.DataFrame:
    """Every England and Wales output area with census residents: its 2021 LSOA,
    district, ward and region (see :func:`membership_sql`) and its postcodes in the
    loaded directory.  What :mod:`oacinsight.areas.coverage` needs; cached until the
    next ingest."""
    cached = store.cache.get("areas.membership_frame")
    if cached is not None:
        return cached
    links = (
        "SELECT oa, min(target_code) AS lsoa21 FROM oa_links WHERE target_type = 'lsoa' GROUP BY 1"
        if store.has_table("oa_links")
        else "SELECT NULL::VARCHAR AS oa, NULL::VARCHAR AS lsoa21 WHERE false"
    )
    postcodes = (
        "SELECT oa21 AS oa, count(*) AS postcodes FROM pc_lookup WHERE oa21 IS NOT NULL GROUP BY 1"
        if store.has_table("pc_lookup")
        else "SELECT NULL::VARCHAR AS oa, 0 AS postcodes WHERE false"
    )
    membership = (
        membership_sql(store)
        if store.has_table("oa_areas") or store.has_table("oa_links")
        else _NO_AREAS.strip()[len("areas AS (") : -2]
    )
    frame = store.con.execute(
        _MEMBERS.format(links=links, postcodes=postcodes, membership=membership)
    ).df()
    store.cache["areas.membership_frame"] = frame
    return frame


def oa_frame(store: Store, cells: dict[str, list[str]]) -> pd.DataFrame:
    """One row per England and Wales output area with census counts.

    Parameters
    ----------
    store : Store
        An open store holding at least ``census_ts001`` and ``oac_oa`` (the caller
        checks).
    cells : dict of str to list of str
        Census cells to add, by table id (``{'ts054': ['ts0540001', ...]}``); every
        table named must be in the store.

    Returns
    -------
    pandas.DataFrame
        Columns ``oa, nation, supergroup, group_code, subgroup, ward, lad, region,
        ward_source, lad_source, region_source, lsoa21, msoa21, lsoa11, imd_rank,
        postcodes, residents, household_residents, communal_residents`` and the cells.
        Cached on the store until the next ingest.
    """
    key = ("areas.oa_frame", tuple((t, tuple(c)) for t, c in sorted(cells.items())))
    cached = store.cache.get("areas.oa_frame")
    if cached is not None and cached[0] == key:
        return cached[1]
    has_lookup = store.has_table("pc_lookup") and store.has_table("postcodes")
    selects, joins = _cell_joins(cells)
    sql = _FRAME.format(
        links=_LINKS if store.has_table("oa_links") else _NO_LINKS,
        deprivation=_DEPRIVATION if has_lookup else _NO_DEPRIVATION,
        areas=(
            f"areas AS ({membership_sql(store)}),"
            if store.has_table("oa_areas") or store.has_table("oa_links")
            else _NO_AREAS
        ),
        cells="".join(f",\n  {s}" for s in selects),
        joins="\n".join(joins),
    )
    frame = store.con.execute(sql).df()
    store.cache["areas.oa_frame"] = (key, frame)
    return frame


_FACT_QUERIES: tuple[tuple[str, str, str], ...] = (
    ("postcodes", "laua", "postcodes"),
    ("postcodes", "ward", "postcodes"),
    ("postcodes", "rgn", "postcodes"),
    ("postcodes", "ctry", "postcodes"),
    ("postcodes", "lsoa11", "postcodes"),
    ("postcodes", "oa11", "postcodes"),
    ("oa_links", "target_code", "oa_links"),
    ("oa_links", "oa", "oa_links"),
    ("oac_oa", "oa", "oac_oa"),
    ("oac_area", "area", "oac_area"),
)


def code_facts(store: Store, code: str) -> dict[str, int]:
    """Where a code occurs in the store, for explaining why it cannot be profiled.

    Returns
    -------
    dict of str to int
        ``'table.column' -> rows`` for every place the code was found (non-zero only).
    """
    out: dict[str, int] = {}
    for table, column, _ in _FACT_QUERIES:
        if not store.has_table(table):
            continue
        n = store.con.execute(
            f"SELECT count(*) FROM {table} WHERE {column} = ?", [code]
        ).fetchall()[0][0]
        if n:
            out[f"{table}.{column}"] = int(n)
    return out


def area_names(store: Store, codes: list[str]) -> dict[str, str]:
    """Names of area codes from ingested ONS name files (codes without one are left out)."""
    if not codes or not store.has_table("area_names"):
        return {}
    return _profiles.area_names(store.con, sorted(set(codes)))


def oac_names(store: Store) -> dict[tuple[str, str], str]:
    """``(level, code) -> name`` of the OAC tiers from the ingested names file."""
    if not store.has_table("oac_names"):
        return {}
    rows = store.con.execute(
        "SELECT level, code, min(name) FROM oac_names WHERE name IS NOT NULL GROUP BY 1, 2"
    ).fetchall()
    return {(str(lv), str(c)): str(n) for lv, c, n in rows}


def loaded_postcode_areas(store: Store) -> list[str]:
    """Postcode areas (``WN``, ``SR``...) present in the loaded postcode directory."""
    if not store.has_table("pc_districts"):
        return []
    rows = store.con.execute(
        "SELECT DISTINCT area FROM pc_districts WHERE area <> '' ORDER BY 1"
    ).fetchall()
    return [r[0] for r in rows]


def directory_edition(store: Store) -> str:
    """Editions of the loaded postcode directory, e.g. ``NSPL NOV 2021`` (or '')."""
    if not store.has_table("postcodes"):
        return ""
    rows = store.con.execute(
        "SELECT DISTINCT edition FROM postcodes WHERE edition IS NOT NULL ORDER BY 1"
    ).fetchall()
    return ", ".join(r[0] for r in rows)


def postcode_areas_of(store: Store, oas: list[str]) -> list[str]:
    """Postcode areas (``HG``, ``HX``...) of the loaded postcodes in these output areas."""
    if not oas or not store.has_table("pc_lookup"):
        return []
    rows = store.con.execute(
        "SELECT DISTINCT regexp_extract(pc_key, '^[A-Z]+') AS area FROM pc_lookup "
        "WHERE oa21 IN (SELECT unnest(?)) ORDER BY 1",
        [list(oas)],
    ).fetchall()
    return [r[0] for r in rows if r[0]]
