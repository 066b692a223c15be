"""Build ``pc_lookup``: one row per postcode with everything ``match`` attaches.

It is rebuilt after every ingest, so a match is one join.  The 2021 output area of a
postcode comes from, in order: the directory's own ``oa21`` column; its ``oa11`` code
when that code is also a 2021 OA (most survived, 2011→2021); the official OA11→OA21
lookup when ingested.  Anything else has no OAC, with the reason in ``note``.
"""

from __future__ import annotations

import duckdb

from oacinsight.oac import SUPERGROUP_NAMES
from oacinsight.store import Store, _sql_str, pcindex

_NO_OAC_NOTE = """
CASE
  WHEN coalesce(r.oa21, r.oa11) = 'L99999999' THEN 'Channel Islands postcode: no output area or OAC'
  WHEN coalesce(r.oa21, r.oa11) = 'M99999999' THEN 'Isle of Man postcode: no output area or OAC'
  WHEN r.oa21r IS NULL AND r.oa11 LIKE 'S00%' THEN 'Scottish 2011 output area ' || r.oa11
       || ': OAC 2021 uses Scotland''s 2022 output areas, which this directory edition lacks'
  WHEN r.oa21r IS NULL AND r.oa11 LIKE 'N00%' THEN 'Northern Ireland 2011 small area ' || r.oa11
       || ': OAC 2021 uses 2021 data zones, which this directory edition lacks'
  WHEN r.oa21r IS NULL AND r.oa11 IS NULL THEN 'the postcode directory gives no output area'
  WHEN r.oa21r IS NULL AND NOT has_known THEN 'no OAC loaded: ingest the OAC 2021 file'
  WHEN r.oa21r IS NULL AND has_oa11_lookup THEN '2011 output area ' || r.oa11
       || ' is neither a 2021 output area nor in the OA11 to OA21 lookup'
  WHEN r.oa21r IS NULL THEN '2011 output area ' || r.oa11 || ' has no 2021 equivalent in the '
       || 'store (ingest the official OA11 to OA21 lookup)'
  ELSE 'output area ' || r.oa21r || ' has no OAC in the store'
END
"""

_BUILD = """
CREATE OR REPLACE TABLE pc_lookup AS
WITH known21 AS (SELECT oa FROM oac_oa UNION SELECT oa FROM oa_links),
flag AS (SELECT (SELECT count(*) > 0 FROM known21) AS has_known,
                (SELECT count(*) > 0 FROM oa11_oa21) AS has_oa11_lookup),
p AS (
  SELECT * FROM postcodes
  QUALIFY row_number() OVER (PARTITION BY pc_key
                             ORDER BY (doterm IS NULL) DESC, {edition_order} DESC,
                                      source_file DESC) = 1
),
split AS (SELECT oa11, min(oa21) AS oa21, count(*) AS n FROM oa11_oa21 GROUP BY oa11),
r AS (
  SELECT p.*,
    CASE WHEN p.oa21 IS NOT NULL THEN p.oa21 WHEN k.oa IS NOT NULL THEN p.oa11
         WHEN s.oa21 IS NOT NULL THEN s.oa21 END AS oa21r,
    CASE WHEN p.oa21 IS NOT NULL THEN 'oa21' WHEN k.oa IS NOT NULL THEN 'oa11'
         WHEN s.n > 1 THEN 'oa11 split' WHEN s.oa21 IS NOT NULL THEN 'oa11 lookup' END
      AS oa_source
  FROM p
  LEFT JOIN known21 k ON p.oa21 IS NULL AND k.oa = p.oa11
  LEFT JOIN split s ON p.oa21 IS NULL AND k.oa IS NULL AND s.oa11 = p.oa11
),
oac AS (SELECT * FROM oac_oa QUALIFY row_number() OVER (PARTITION BY oa ORDER BY source_file) = 1),
lsoa AS (
  SELECT oa, min(target_code) AS lsoa21 FROM oa_links WHERE target_type = 'lsoa' GROUP BY oa
),
names AS (
  SELECT level, code, name FROM oac_names
  QUALIFY row_number() OVER (PARTITION BY level, code ORDER BY source_file) = 1
),
default_names AS (SELECT * FROM (VALUES {default_names}) t(code, name)),
la AS (SELECT code, min(name) AS name FROM area_names GROUP BY code)
SELECT
  r.pc_key, r.pcds AS postcode_clean, r.oa21r AS oa21,
  coalesce(lsoa.lsoa21, r.lsoa21) AS lsoa21, r.laua, la.name AS laua_name, r.ward,
  nullif(r.imd, 0) AS imd_rank, o.supergroup AS oac_supergroup, o.group_code AS oac_group,
  o.subgroup AS oac_subgroup,
  coalesce(n1.name, dn.name) AS oac_supergroup_name, n2.name AS oac_group_name,
  n3.name AS oac_subgroup_name,
  CASE WHEN o.subgroup IS NULL THEN 'no_oac' WHEN r.doterm IS NULL THEN 'matched'
       ELSE 'matched_terminated' END AS status,
  CASE WHEN o.subgroup IS NULL THEN {no_oac_note}
       WHEN r.oa_source = 'oa11 split' THEN '2011 output area ' || r.oa11
            || ' was split in 2021; placed in ' || r.oa21r
            || CASE WHEN r.doterm IS NOT NULL THEN '; postcode terminated ' || r.doterm ELSE '' END
       WHEN r.doterm IS NOT NULL THEN 'postcode terminated ' || r.doterm
            || '; its output area is still known'
       ELSE '' END AS note,
  r.oa11, r.oa_source, r.ctry, r.rgn, r.doterm,
  CASE WHEN r.lat BETWEEN 49 AND 61 THEN r.lat END AS lat,
  CASE WHEN r.lat BETWEEN 49 AND 61 THEN r.long END AS long,
  CASE WHEN r.lat BETWEEN 49 AND 61 THEN TRY_CAST(r.oseast1m AS DOUBLE) END AS easting,
  CASE WHEN r.lat BETWEEN 49 AND 61 THEN TRY_CAST(r.osnrth1m AS DOUBLE) END AS northing,
  r.edition
FROM r CROSS JOIN flag
LEFT JOIN oac o ON o.oa = r.oa21r
LEFT JOIN lsoa ON lsoa.oa = r.oa21r
LEFT JOIN la ON la.code = r.laua
LEFT JOIN names n1 ON n1.level = 'supergroup' AND n1.code = o.supergroup
LEFT JOIN default_names dn ON dn.code = o.supergroup
LEFT JOIN names n2 ON n2.level = 'group' AND n2.code = o.group_code
LEFT JOIN names n3 ON n3.level = 'subgroup' AND n3.code = o.subgroup
"""

#: Sortable edition from names like ``NSPL NOV 2021``: year * 100 + month (0 if unknown).
EDITION_ORDER = (
    "coalesce(TRY_CAST(regexp_extract(edition, '(\\d{4})$', 1) AS INTEGER) * 100 "
    "+ (strpos('JANFEBMARAPRMAYJUNJULAUGSEPOCTNOVDEC', "
    "regexp_extract(edition, ' ([A-Z]{3}) \\d{4}$', 1)) + 2) // 3, 0)"
)

_DISTRICTS = """
CREATE OR REPLACE TABLE pc_districts AS
SELECT DISTINCT left(pc_key, length(pc_key) - 3) AS district,
       regexp_extract(pc_key, '^[A-Z]+') AS area
FROM postcodes
"""


#: Version of the derived tables' layout; a store built with another version is rebuilt
#: by ``oacinsight data rebuild`` before use.
DERIVED_VERSION = "5"


def postcode_count(store: Store) -> int:
    """Postcodes in the lookup (0 when the store has no lookup)."""
    if not store.has_table("pc_lookup"):
        return 0
    return int(store.con.execute("SELECT count(*) FROM pc_lookup").fetchall()[0][0])


def derived_version(con: duckdb.DuckDBPyConnection) -> str | None:
    """The layout version of the store's derived tables (None when never built)."""
    exists = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'meta' AND NOT temporary"
    ).fetchall()[0][0]
    if not exists:
        return None
    rows = con.execute("SELECT value FROM meta WHERE key = 'derived_version'").fetchall()
    return rows[0][0] if rows else None


def rebuild(con: duckdb.DuckDBPyConnection) -> int:
    """Rebuild ``pc_lookup``, ``pc_districts``, ``oa_areas``, ``oa_facts`` and the
    postcode index file beside the store (:mod:`.pcindex`); returns the postcodes."""
    default_names = ", ".join(
        f"('{code}', '{_sql_str(name)}')" for code, name in SUPERGROUP_NAMES.items()
    )
    con.execute(
        _BUILD.format(
            default_names=default_names, no_oac_note=_NO_OAC_NOTE, edition_order=EDITION_ORDER
        )
    )
    con.execute(_DISTRICTS)
    rebuild_oa_areas(con)
    rebuild_oa_facts(con)
    con.execute("CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
    con.execute("INSERT OR REPLACE INTO meta VALUES ('derived_version', ?)", [DERIVED_VERSION])
    pcindex.write(con)
    return int(con.execute("SELECT count(*) FROM pc_lookup").fetchall()[0][0])


_OA_AREAS = """
CREATE OR REPLACE TABLE oa_areas AS
WITH maj AS (
  SELECT oa21 AS oa,
    coalesce(mode(laua) FILTER (WHERE doterm IS NULL), mode(laua)) AS lad,
    coalesce(mode(ward) FILTER (WHERE doterm IS NULL), mode(ward)) AS ward,
    coalesce(mode(rgn) FILTER (WHERE doterm IS NULL), mode(rgn)) AS region,
    coalesce(mode(ctry) FILTER (WHERE doterm IS NULL), mode(ctry)) AS country,
    count(*) AS postcodes
  FROM pc_lookup WHERE oa21 IS NOT NULL GROUP BY oa21
),
official AS (
  SELECT oa,
    min(target_code) FILTER (WHERE target_type = 'lad') AS lad,
    min(target_code) FILTER (WHERE target_type = 'ward') AS ward,
    min(target_code) FILTER (WHERE target_type = 'region') AS region
  FROM oa_links GROUP BY oa
)
SELECT m.oa, coalesce(o.lad, m.lad) AS lad, coalesce(o.ward, m.ward) AS ward,
  coalesce(o.region, m.region) AS region, m.country,
  CASE WHEN o.lad IS NOT NULL THEN 'official lookup'
       ELSE 'postcode majority (' || m.postcodes || ' postcodes)' END AS lad_source,
  CASE WHEN o.ward IS NOT NULL THEN 'official lookup'
       ELSE 'postcode majority' END AS ward_source
FROM maj m LEFT JOIN official o ON o.oa = m.oa
"""


def rebuild_oa_areas(con: duckdb.DuckDBPyConnection) -> None:
    """OA → local authority, ward, region, country: official lookups where ingested,
    else the area most of the OA's postcodes (live ones first) fall in."""
    con.execute(_OA_AREAS)


_OA_FACTS = """
CREATE OR REPLACE TABLE oa_facts AS
WITH o AS (SELECT oa, min(supergroup) AS supergroup, min(group_code) AS group_code,
                  min(subgroup) AS subgroup FROM oac_oa GROUP BY 1),
links AS MATERIALIZED (SELECT oa, min(target_code) AS lsoa FROM oa_links
                       WHERE target_type = 'lsoa' GROUP BY 1),
pcl AS (SELECT oa21 AS oa, mode(lsoa21) AS lsoa FROM pc_lookup
        WHERE oa21 IN (SELECT oa FROM o WHERE oa NOT IN (SELECT oa FROM links))
        AND lsoa21 IS NOT NULL GROUP BY 1)
SELECT o.oa, o.supergroup, o.group_code, o.subgroup,
       CAST({residents} AS DOUBLE) AS residents, CAST({households} AS DOUBLE) AS households,
       coalesce(links.lsoa, pcl.lsoa) AS lsoa, ar.ward, ar.lad
FROM o
{joins}
LEFT JOIN links ON links.oa = o.oa
LEFT JOIN pcl ON pcl.oa = o.oa
LEFT JOIN oa_areas ar ON ar.oa = o.oa
ORDER BY o.oa
"""

#: Census tables (and their total column) whose counts ``oa_facts`` carries.
_FACT_CENSUS = {
    "residents": ("census_ts001", "ts0010001"),
    "households": ("census_ts041", "ts0410001"),
}


def rebuild_oa_facts(con: duckdb.DuckDBPyConnection) -> None:
    """``oa_facts``: one row per output area with an OAC, sorted by code: its OAC codes,
    Census 2021 residents and households (when loaded), LSOA (official lookup, else the
    LSOA most of its postcodes carry), ward and district (``oa_areas``).  What ``need``
    reads for every output area of England and Wales at once, without joining five
    tables on each run."""
    values, joins = {}, []
    for name, (table, column) in _FACT_CENSUS.items():
        found = con.execute(
            "SELECT count(*) FROM duckdb_columns() WHERE table_name = ? AND column_name = ?",
            [table, column],
        ).fetchall()[0][0]
        values[name] = f"{name}_t.{column}" if found else "NULL"
        if found:
            joins.append(f"LEFT JOIN {table} {name}_t ON {name}_t.oa = o.oa")
    con.execute(_OA_FACTS.format(joins="\n".join(joins), **values))
