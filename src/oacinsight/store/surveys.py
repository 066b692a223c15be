"""SQL behind survey analysis: read a survey file, place output areas in OAC groups,
and count residents per group in the survey's area (Census 2021 TS001).

Postcodes are placed by :mod:`oacinsight.match` (the same code as ``oacinsight match``);
this module only adds what a survey needs beyond that.  The area is a list of output
areas passed from call to call.  2011 OAC queries are in
:mod:`.oac11`.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from oacinsight.store import Store, matching, oac11, profiles, registered
from oacinsight.tabular import InputSource

__all__ = [
    "area_kind",
    "area_names",
    "area_oas",
    "names_2021",
    "oa_authorities",
    "oa_subgroups_2021",
    "read_frame",
    "residents_by_subgroup",
    "scratch",
]


def scratch() -> duckdb.DuckDBPyConnection:
    """An in-memory connection for reading a file when no store is needed."""
    return duckdb.connect(":memory:")


def read_frame(con: duckdb.DuckDBPyConnection, src: InputSource) -> pd.DataFrame:
    """A user's file as a DataFrame, read as ``match`` reads it (CSV cells as text)."""
    with matching.loaded_input(con, src) as rows:
        return matching.input_frame(con, rows)


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    row = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND NOT temporary", [name]
    ).fetchall()
    return bool(row[0][0])


def _with_codes(con: duckdb.DuckDBPyConnection, codes: list[str], sql: str) -> pd.DataFrame:
    with registered(con, codes=pd.DataFrame({"code": pd.Series(codes, dtype=object)})) as t:
        return con.execute(sql.replace("_codes", t["codes"])).df()


def oa_subgroups_2021(con: duckdb.DuckDBPyConnection, oas: list[str]) -> pd.DataFrame:
    """``oa, subgroup``: the 2021 OAC subgroup of each output area that has one."""
    if not _has_table(con, "oac_oa"):
        return pd.DataFrame(columns=["oa", "subgroup"])
    return _with_codes(
        con,
        oas,
        "SELECT oa, min(subgroup) AS subgroup FROM oac_oa "
        "WHERE oa IN (SELECT code FROM _codes) GROUP BY 1",
    )


def names_2021(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """``level, code, name`` of the 2021 OAC names loaded (may be empty)."""
    if not _has_table(con, "oac_names"):
        return pd.DataFrame(columns=["level", "code", "name"])
    return con.execute(
        "SELECT level, code, min(name) AS name FROM oac_names GROUP BY ALL ORDER BY 1, 2"
    ).df()


def oa_authorities(con: duckdb.DuckDBPyConnection, oas: list[str]) -> pd.DataFrame:
    """``oa, lad``: the local authority of each 2021 output area."""
    if not _has_table(con, "oa_areas"):
        return pd.DataFrame(columns=["oa", "lad"])
    return _with_codes(
        con, oas, "SELECT oa, lad FROM oa_areas WHERE oa IN (SELECT code FROM _codes)"
    )


def area_kind(store: Store, code: str) -> tuple[str, int]:
    """The kind of an area code and its number of output areas (0 when unknown)."""
    if not _has_table(store.con, "oa_areas") or not _has_table(store.con, "oac_oa"):
        return "unknown", 0
    return profiles.resolve_area(store, code)


def area_names(con: duckdb.DuckDBPyConnection, codes: list[str]) -> dict[str, str]:
    """Names of area codes, where the store knows them."""
    if not _has_table(con, "area_names"):
        return {}
    return profiles.area_names(con, codes)


def area_oas(store: Store, areas: list[str]) -> list[str]:
    """The output areas of the survey's area ``areas`` (GSS codes)."""
    return profiles.area_oas(store, areas)


def residents_by_subgroup(
    con: duckdb.DuckDBPyConnection, edition: str, oas: list[str]
) -> pd.DataFrame | None:
    """``subgroup, residents``: Census 2021 usual residents (TS001) of the output areas
    ``oas``, by 2021 OAC subgroup, or (``edition='2011'``) by the 2011 subgroup most of
    each output area's postcodes carry.  None when TS001 is not loaded."""
    if not _has_table(con, "census_ts001"):
        return None
    if edition == "2011":
        groups = oac11.oa_subgroups(con, oas, by="oa21").rename(columns={"oac11": "subgroup"})
    else:
        groups = oa_subgroups_2021(con, oas)
    with registered(con, groups=groups) as t:
        return con.execute(
            f"SELECT g.subgroup, sum(c.ts0010001) AS residents FROM {t['groups']} g "
            "JOIN census_ts001 c ON c.oa = g.oa WHERE g.subgroup IS NOT NULL "
            "GROUP BY 1 ORDER BY 1"
        ).df()
