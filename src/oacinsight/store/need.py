"""SQL behind areas of likely need: the output areas of the chosen area with their OAC
group, base, residents, households and parent areas; observed counts; postcodes.

The area (a list of output areas) and the base (``oa, base``) are values made by the
same functions the profile uses (:mod:`oacinsight.store.profiles`) and passed in.
"""

from __future__ import annotations

import duckdb
import pandas as pd
import pyarrow as pa

from oacinsight.store import registered

__all__ = [
    "area_oas",
    "code_types",
    "live_postcodes",
    "names_of",
    "oac_codes",
    "table_exists",
]


def table_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """Whether a (non-temporary or temporary) table or view ``name`` exists."""
    row = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]
    ).fetchall()
    return bool(row[0][0])


def area_oas(
    con: duckdb.DuckDBPyConnection, oas: list[str], base: pd.DataFrame | str
) -> pd.DataFrame:
    """One row per OA of ``oas`` that has an OAC, sorted by code: ``oa, supergroup,
    group_code, subgroup, base, has_base, residents, households, lsoa, ward, lad``
    (``oa_facts``, built with the postcode lookup), text columns as Arrow strings.

    ``base`` is a frame ``oa, base`` or ``"residents"`` / ``"households"``: the census
    column ``oa_facts`` carries (``has_base``: whether the OA has a base value at all).

    The LSOA is the official OA→LSOA lookup where ingested, else the LSOA most of the
    OA's postcodes carry.  Residents and households are Census 2021 TS001 / TS041 when
    loaded (else missing).
    """
    if isinstance(base, str):
        base_value = {"residents": "f.residents", "households": "f.households"}[base]
        base_join, frames = "", {}
    else:
        base_value = "b.base"
        base_join = (
            "LEFT JOIN (SELECT oa, sum(base) AS base FROM {base} GROUP BY 1) b ON b.oa = f.oa"
        )
        frames = {"base": base[["oa", "base"]]}
    sql = f"""
SELECT f.oa, f.supergroup, f.group_code, f.subgroup,
       coalesce({base_value}, 0) AS base, {base_value} IS NOT NULL AS has_base,
       f.residents, f.households, f.lsoa, f.ward, f.lad
FROM oa_facts f
{base_join}
WHERE f.oa IN (SELECT oa FROM {{area}})
ORDER BY f.oa
"""
    area = pa.table({"oa": pa.array(oas, type=pa.string())})
    with registered(con, area=area, **frames) as t:
        table = con.sql(sql.format(**t)).to_arrow_table()
    return table.to_pandas(types_mapper=_arrow_strings)


def _arrow_strings(dtype: pa.DataType) -> pd.ArrowDtype | None:
    """Text columns stay Arrow strings in pandas (no Python object per value)."""
    return pd.ArrowDtype(dtype) if pa.types.is_string(dtype) else None


def names_of(con: duckdb.DuckDBPyConnection, codes: list[str]) -> dict[str, str]:
    """Names of area codes (wards, districts...) from ``area_names`` where loaded."""
    if not codes or not table_exists(con, "area_names"):
        return {}
    wanted = pa.table({"code": pa.array(codes, type=pa.string())})
    with registered(con, wanted=wanted) as t:
        rows = con.execute(
            f"SELECT n.code, min(n.name) FROM area_names n SEMI JOIN {t['wanted']} w "
            "ON w.code = n.code GROUP BY 1"
        ).fetchall()
    return {str(r[0]): str(r[1]) for r in rows}


def oac_codes(con: duckdb.DuckDBPyConnection) -> dict[str, set[str]]:
    """Every 2021 OAC code in the store, per tier."""
    rows = con.execute("SELECT DISTINCT supergroup, group_code, subgroup FROM oac_oa").fetchall()
    return {
        "supergroup": {str(r[0]) for r in rows},
        "group": {str(r[1]) for r in rows},
        "subgroup": {str(r[2]) for r in rows},
    }


def code_types(con: duckdb.DuckDBPyConnection, codes: list[str]) -> dict[str, str]:
    """The kind of each code known to the store: ``oa``, ``lsoa``, ``ward`` or ``lad``."""
    if not codes:
        return {}
    found: dict[str, str] = {}
    checks = [
        ("oa", "SELECT DISTINCT oa FROM oac_oa"),
        ("ward", "SELECT DISTINCT ward FROM oa_areas"),
        ("lad", "SELECT DISTINCT lad FROM oa_areas"),
        ("lsoa", "SELECT DISTINCT lsoa21 FROM pc_lookup"),
    ]
    if table_exists(con, "oa_links"):
        checks.append(
            ("lsoa", "SELECT DISTINCT target_code FROM oa_links WHERE target_type = 'lsoa'")
        )
    for kind, sql in checks:
        rows = con.execute(
            f"SELECT c FROM (SELECT unnest(?) AS c) WHERE c IN ({sql})", [codes]
        ).fetchall()
        for (code,) in rows:
            found.setdefault(str(code), kind)
    return found


def live_postcodes(con: duckdb.DuckDBPyConnection, oas: list[str]) -> pd.DataFrame:
    """``postcode, oa, lat, long`` of the live postcodes of ``oas``."""
    return con.execute(
        "SELECT postcode_clean AS postcode, oa21 AS oa, lat, long FROM pc_lookup "
        "WHERE doterm IS NULL AND oa21 IN (SELECT unnest(?)) ORDER BY oa21, postcode_clean",
        [oas],
    ).df()
