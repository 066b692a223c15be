"""SQL behind customer profiles: counts per output area, the area chosen, the base.

Temporary tables used (one profile at a time per connection):
``cust_oa(oa, customers)``, ``base_oa(oa, base)``, ``area_oa(oa)`` and ``oa_member``
(each output area's district, ward and region: official lookup, else postcode majority;
see :func:`oacinsight.store.membership.membership_sql`).
"""

from __future__ import annotations

import duckdb
import pandas as pd

from oacinsight.oac import SUPERGROUP_NAMES
from oacinsight.store import Store, _sql_str
from oacinsight.store.membership import membership_sql

MATCHED_SQL = "('matched', 'matched_terminated')"
# Country codes whose output areas are told by their prefix.
COUNTRY_PREFIXES = {
    "E92000001": ("E00",),
    "W92000004": ("W00",),
    "K04000001": ("E00", "W00"),
    "S92000003": ("S00",),
    "N92000002": ("N20",),
}


def customers_from_view(con: duckdb.DuckDBPyConnection, view: str) -> None:
    """``cust_oa`` from rows that carry ``match_status`` and ``oa21`` (a matched table)."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE cust_oa AS SELECT CAST(oa21 AS VARCHAR) AS oa, "
        f"count(*) AS customers FROM {view} WHERE match_status IN {MATCHED_SQL} "
        "AND oa21 IS NOT NULL GROUP BY 1"
    )


def status_counts_of(con: duckdb.DuckDBPyConnection, view: str) -> dict[str, int]:
    rows = con.execute(f"SELECT match_status, count(*) FROM {view} GROUP BY 1").fetchall()
    return {str(r[0]): int(r[1]) for r in rows}


def set_membership(store: Store) -> None:
    """``oa_member``: the district, ward and region of every output area (rebuilt)."""
    store.con.execute(f"CREATE OR REPLACE TEMP TABLE oa_member AS {membership_sql(store)}")


class _Tables:
    """What :func:`~oacinsight.store.membership.membership_sql` asks of a store, on a bare
    connection."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.present = {
            r[0]
            for r in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE NOT temporary"
            ).fetchall()
        }

    def has_table(self, name: str) -> bool:
        return name in self.present


def _ensure_membership(con: duckdb.DuckDBPyConnection) -> None:
    """``oa_member`` when a caller (e.g. the web map) has not built it on this connection."""
    exists = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'oa_member' AND temporary"
    ).fetchall()[0][0]
    if not exists:
        sql = membership_sql(_Tables(con))  # type: ignore[arg-type]
        con.execute(f"CREATE TEMP TABLE oa_member AS {sql}")


def customers_by_district(con: duckdb.DuckDBPyConnection) -> list[tuple[str | None, int]]:
    """Matched customers per local authority (None: no district known), most first."""
    _ensure_membership(con)
    rows = con.execute(
        "SELECT a.lad, CAST(sum(c.customers) AS BIGINT) FROM cust_oa c "
        "LEFT JOIN oa_member a ON a.oa = c.oa GROUP BY 1 ORDER BY 2 DESC, 1 NULLS LAST"
    ).fetchall()
    return [(r[0], int(r[1])) for r in rows]


def oas_of_areas(con: duckdb.DuckDBPyConnection, codes: list[str]) -> list[str]:
    """The output areas of the areas ``codes`` (see :func:`set_area`)."""
    set_area(con, codes)
    return [r[0] for r in con.execute("SELECT oa FROM area_oa").fetchall()]


def default_areas(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Local authorities holding matched customers, most customers first."""
    return [code for code, _ in customers_by_district(con) if code is not None]


def resolve_area(con: duckdb.DuckDBPyConnection, code: str) -> tuple[str, int]:
    """The kind of an area code and its number of OAs with an OAC (0 if unknown)."""
    if code in COUNTRY_PREFIXES:
        likes = " OR ".join(f"oa LIKE '{p}%'" for p in COUNTRY_PREFIXES[code])
        n = con.execute(f"SELECT count(*) FROM oac_oa WHERE {likes}").fetchall()[0][0]
        return "country", int(n)
    _ensure_membership(con)
    for kind, column in (("local authority", "lad"), ("region", "region"), ("ward", "ward")):
        n = con.execute(f"SELECT count(*) FROM oa_member WHERE {column} = ?", [code]).fetchall()[0][
            0
        ]
        if n:
            return kind, int(n)
    return "unknown", 0


def set_area(con: duckdb.DuckDBPyConnection, codes: list[str]) -> None:
    """``area_oa``: the OAs (with an OAC) inside any of ``codes``."""
    _ensure_membership(con)
    parts = []
    for code in codes:
        if code in COUNTRY_PREFIXES:
            likes = " OR ".join(f"oa LIKE '{p}%'" for p in COUNTRY_PREFIXES[code])
            parts.append(f"SELECT oa FROM oac_oa WHERE {likes}")
        else:
            c = _sql_str(code)
            parts.append(f"SELECT oa FROM oa_member WHERE '{c}' IN (lad, region, ward)")
    con.execute(f"CREATE OR REPLACE TEMP TABLE area_oa AS {' UNION '.join(parts)}")


def area_names(con: duckdb.DuckDBPyConnection, codes: list[str]) -> dict[str, str]:
    if not codes:
        return {}
    rows = con.execute(
        "SELECT code, min(name) FROM area_names WHERE code IN (SELECT unnest(?)) GROUP BY 1",
        [codes],
    ).fetchall()
    return {r[0]: r[1] for r in rows}


def census_base(con: duckdb.DuckDBPyConnection, table: str, column: str) -> None:
    """``base_oa`` from a census table (e.g. ``census_ts001.ts0010001``)."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE base_oa AS SELECT oa, {column} AS base FROM {table}")


def input_oa_counts(con: duckdb.DuckDBPyConnection, oa: str, count: str) -> pd.DataFrame:
    """``oa, base`` from the loaded input (``temp.inp``) columns ``oa`` and ``count``
    (counts not read as numbers become NULL)."""
    return con.execute(
        f"SELECT {_q(oa)} AS oa, TRY_CAST({_q(count)} AS DOUBLE) AS base FROM temp.inp"
    ).df()


def matched_amounts(con: duckdb.DuckDBPyConnection, view: str, count: str | None) -> pd.DataFrame:
    """``oa, base`` of the matched rows of ``view``: the ``count`` column, or 1 a row."""
    amount = f"TRY_CAST({_q(count)} AS DOUBLE)" if count else "1"
    return con.execute(
        f"SELECT oa21 AS oa, {amount} AS base FROM {view} WHERE match_status IN {MATCHED_SQL}"
    ).df()


def _q(name: str) -> str:
    """Quote an identifier."""
    return '"' + name.replace('"', '""') + '"'


def frame_base(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame) -> None:
    """``base_oa`` from a DataFrame with columns ``oa, base``."""
    con.register("_base_frame", frame)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE base_oa AS SELECT CAST(oa AS VARCHAR) AS oa, "
        "sum(CAST(base AS DOUBLE)) AS base FROM _base_frame GROUP BY 1"
    )
    con.unregister("_base_frame")


def in_area_total(con: duckdb.DuckDBPyConnection) -> int:
    row = con.execute(
        "SELECT coalesce(sum(customers), 0) FROM cust_oa WHERE oa IN (SELECT oa FROM area_oa)"
    ).fetchall()
    return int(row[0][0])


def base_coverage(con: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    """(OAs in the area, of which with a base value)."""
    row = con.execute(
        "SELECT count(*), count(b.oa) FROM area_oa a LEFT JOIN base_oa b ON b.oa = a.oa"
    ).fetchall()[0]
    return int(row[0]), int(row[1])


_GROUPS = """
WITH j AS (
  SELECT o.supergroup, o.group_code, o.subgroup,
         coalesce(c.customers, 0) AS customers, coalesce(b.base, 0) AS base
  FROM (SELECT DISTINCT oa FROM area_oa) a
  JOIN oac_oa o ON o.oa = a.oa
  LEFT JOIN cust_oa c ON c.oa = a.oa
  LEFT JOIN base_oa b ON b.oa = a.oa
),
t AS (
  SELECT 'supergroup' AS level, supergroup AS code, NULL AS parent,
         sum(customers) AS customers, sum(base) AS base FROM j GROUP BY ALL
  UNION ALL
  SELECT 'group', group_code, supergroup, sum(customers), sum(base) FROM j GROUP BY ALL
  UNION ALL
  SELECT 'subgroup', subgroup, group_code, sum(customers), sum(base) FROM j GROUP BY ALL
),
names AS (
  SELECT level, code, min(name) AS name FROM oac_names GROUP BY ALL
  UNION ALL SELECT 'supergroup-default', code, name FROM (VALUES {defaults}) v(code, name)
)
SELECT t.level, t.code, coalesce(n.name, d.name, t.code) AS name, t.parent,
       CAST(round(t.customers) AS BIGINT) AS customers, t.base
FROM t
LEFT JOIN names n ON n.level = t.level AND n.code = t.code
LEFT JOIN names d ON d.level = 'supergroup-default' AND d.code = t.code
WHERE t.level IN ({levels})
ORDER BY CASE t.level WHEN 'supergroup' THEN 1 WHEN 'group' THEN 2 ELSE 3 END, t.code
"""


def group_counts(con: duckdb.DuckDBPyConnection, levels: list[str]) -> pd.DataFrame:
    """Customers and base per OAC group of the area, in ``compute_profile`` input form."""
    defaults = ", ".join(f"('{c}', '{_sql_str(n)}')" for c, n in SUPERGROUP_NAMES.items())
    sql = _GROUPS.format(defaults=defaults, levels=", ".join(f"'{lv}'" for lv in levels))
    return con.execute(sql).df()
