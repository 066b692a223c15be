"""SQL behind customer profiles: counts per output area, the area chosen, the base.

Every function takes and returns values: customers per output area (``oa, customers``),
the base (``oa, base``) and the area (a list of output-area codes) are frames and lists
passed from call to call; frames are joined by registering them for one query only
(:func:`oacinsight.store.registered`).  Each output area's district, ward and region
(official lookup, else postcode majority; :func:`.membership`) is kept in the store's
cache.
"""

from __future__ import annotations

import duckdb
import pandas as pd
import pyarrow as pa

from oacinsight.oac import SUPERGROUP_NAMES
from oacinsight.store import Store, _sql_str, registered
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


def membership(store: Store) -> pa.Table:
    """``oa, lad, ward, region, ...``: the district, ward and region of every output area
    (:func:`~oacinsight.store.membership.membership_sql`), worked out once per open store
    and kept in its cache (ingest clears the cache)."""
    found = store.cache.get("oa_member")
    if found is None:
        found = store.con.sql(membership_sql(store)).to_arrow_table()
        store.cache["oa_member"] = found
    return found


def customers_by_district(store: Store, customers: pd.DataFrame) -> list[tuple[str | None, int]]:
    """Matched customers (``customers``: ``oa, customers``) per local authority (None: no
    district known), most first."""
    with registered(store.con, c=customers[["oa", "customers"]], m=membership(store)) as t:
        rows = store.con.execute(
            f"SELECT a.lad, CAST(sum(c.customers) AS BIGINT) FROM {t['c']} c "
            f"LEFT JOIN {t['m']} a ON a.oa = c.oa GROUP BY 1 ORDER BY 2 DESC, 1 NULLS LAST"
        ).fetchall()
    return [(r[0], int(r[1])) for r in rows]


def default_areas(store: Store, customers: pd.DataFrame) -> list[str]:
    """Local authorities holding matched customers, most customers first."""
    return [code for code, _ in customers_by_district(store, customers) if code is not None]


def resolve_area(store: Store, code: str) -> tuple[str, int]:
    """The kind of an area code and its number of OAs with an OAC (0 if unknown)."""
    con = store.con
    if code in COUNTRY_PREFIXES:
        likes = " OR ".join(f"oa LIKE '{p}%'" for p in COUNTRY_PREFIXES[code])
        n = con.execute(f"SELECT count(*) FROM oac_oa WHERE {likes}").fetchall()[0][0]
        return "country", int(n)
    with registered(con, m=membership(store)) as t:
        for kind, column in (("local authority", "lad"), ("region", "region"), ("ward", "ward")):
            sql = f"SELECT count(*) FROM {t['m']} WHERE {column} = ?"
            n = con.execute(sql, [code]).fetchall()[0][0]
            if n:
                return kind, int(n)
    return "unknown", 0


def area_oas(store: Store, codes: list[str]) -> list[str]:
    """The output areas (with an OAC) inside any of the areas ``codes``, sorted."""
    parts = []
    for code in codes:
        if code in COUNTRY_PREFIXES:
            likes = " OR ".join(f"oa LIKE '{p}%'" for p in COUNTRY_PREFIXES[code])
            parts.append(f"SELECT oa FROM oac_oa WHERE {likes}")
        else:
            parts.append(f"SELECT oa FROM {{m}} WHERE '{_sql_str(code)}' IN (lad, region, ward)")
    if not parts:
        return []
    # The membership table only when a code needs it (a country is told by its prefix).
    member = {} if all(c in COUNTRY_PREFIXES for c in codes) else {"m": membership(store)}
    with registered(store.con, **member) as t:
        sql = f"SELECT DISTINCT oa FROM ({' UNION '.join(parts)}) WHERE oa IS NOT NULL ORDER BY 1"
        column = store.con.sql(sql.format(**t)).to_arrow_table().column(0)
        values = column.to_pylist()
        return values if pa.types.is_string(column.type) else [str(v) for v in values]


def area_names(con: duckdb.DuckDBPyConnection, codes: list[str]) -> dict[str, str]:
    if not codes:
        return {}
    rows = con.execute(
        "SELECT code, min(name) FROM area_names WHERE code IN (SELECT unnest(?)) GROUP BY 1",
        [codes],
    ).fetchall()
    return {r[0]: r[1] for r in rows}


def census_base(
    con: duckdb.DuckDBPyConnection, table: str, column: str, oas: list[str]
) -> pd.DataFrame:
    """``oa, base`` of the output areas ``oas`` from a census table (e.g.
    ``census_ts001.ts0010001``)."""
    area = pa.table({"oa": pa.array(oas, type=pa.string())})
    with registered(con, area=area) as t:
        return con.sql(
            f"SELECT c.oa, CAST(c.{_q(column)} AS DOUBLE) AS base FROM {_q(table)} c "
            f"SEMI JOIN {t['area']} a ON a.oa = c.oa"
        ).df()


def _q(name: str) -> str:
    """Quote an identifier."""
    return '"' + name.replace('"', '""') + '"'


def frame_base(frame: pd.DataFrame) -> pd.DataFrame:
    """``oa, base`` summed per output area from a frame with columns ``oa, base``
    (values that are not numbers count as missing)."""
    out = pd.DataFrame(
        {
            "oa": frame["oa"].astype(object).where(frame["oa"].notna(), None),
            "base": pd.to_numeric(frame["base"], errors="coerce"),
        }
    )
    out = out[out["oa"].notna()]
    out["oa"] = out["oa"].astype(str)
    return out.groupby("oa", sort=True)["base"].sum(min_count=1).reset_index()


_GROUPS = """
WITH j AS (
  SELECT o.supergroup, o.group_code, o.subgroup,
         coalesce(c.customers, 0) AS customers, coalesce(b.base, 0) AS base
  FROM (SELECT DISTINCT oa FROM {area}) a
  JOIN oac_oa o ON o.oa = a.oa
  LEFT JOIN (SELECT oa, sum(customers) AS customers FROM {cust} GROUP BY 1) c ON c.oa = a.oa
  LEFT JOIN (SELECT oa, sum(base) AS base FROM {base} GROUP BY 1) b ON b.oa = a.oa
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


def group_counts(
    con: duckdb.DuckDBPyConnection,
    oas: list[str],
    customers: pd.DataFrame,
    base: pd.DataFrame,
    levels: list[str],
) -> pd.DataFrame:
    """Customers and base per OAC group of the area ``oas``, in ``compute_profile`` input
    form (``customers``: ``oa, customers``; ``base``: ``oa, base``)."""
    defaults = ", ".join(f"('{c}', '{_sql_str(n)}')" for c, n in SUPERGROUP_NAMES.items())
    frames = {
        "area": pd.DataFrame({"oa": pd.Series(oas, dtype=object)}),
        "cust": customers[["oa", "customers"]],
        "base": base[["oa", "base"]],
    }
    with registered(con, **frames) as t:
        sql = _GROUPS.format(defaults=defaults, levels=", ".join(f"'{lv}'" for lv in levels), **t)
        return con.execute(sql).df()
