"""SQL behind local classifications (:mod:`oacinsight.build`).

Census cells for a set of output areas, the output areas of an area code, and the
official OAC codes of output areas (to compare a local build with the official OAC).
"""

from __future__ import annotations

import re

import pandas as pd

from oacinsight.store import Store
from oacinsight.store.areas import census_columns, census_labels

__all__ = ["area_oas", "census_cells", "census_columns", "census_labels", "official_oac"]

_CELL = re.compile(r"^ts\d{3}[a-z]?\d{4}$")
_TABLE = re.compile(r"^ts\d{3}[a-z]?$")

#: Codes meaning "every England and Wales output area with census counts".
ALL_EW = ("K04000001", "EW")
_NATIONS = {"E92000001": "E", "W92000004": "W"}


def census_cells(store: Store, cells: dict[str, list[str]], oas: list[str] | None) -> pd.DataFrame:
    """One row per output area (``oa`` plus the cells asked for), ordered by ``oa``.

    ``oas`` None means every output area in the first table; otherwise only those
    output areas (ones absent from a table get missing values, ones absent from every
    table are not returned).
    """
    tables = sorted(cells)
    for table in tables:
        if not _TABLE.match(table) or not all(_CELL.match(c) for c in cells[table]):
            raise ValueError(f"not a census table or cell: {table} {cells[table]}")
    con = store.con
    keys = (
        "SELECT DISTINCT oa FROM ("
        + " UNION ALL ".join(f"SELECT oa FROM census_{t}" for t in tables)
        + ")"
    )
    if oas is not None:
        con.register("_build_oas", pd.DataFrame({"oa": pd.Series(oas, dtype="string")}))
        keys = f"SELECT DISTINCT CAST(oa AS VARCHAR) AS oa FROM _build_oas WHERE oa IN ({keys})"
    selects, joins = [], []
    for i, table in enumerate(tables):
        alias = f"t{i}"
        joins.append(
            f"LEFT JOIN (SELECT * FROM census_{table} WHERE oa IN (SELECT oa FROM k) "
            f"QUALIFY row_number() OVER (PARTITION BY oa) = 1) {alias} "
            f"ON {alias}.oa = k.oa"
        )
        selects += [f"{alias}.{c} AS {c}" for c in cells[table]]
    sql = (
        f"WITH k AS ({keys}) SELECT k.oa, {', '.join(selects)} FROM k "
        + " ".join(joins)
        + " ORDER BY k.oa"
    )
    try:
        return con.execute(sql).df()
    finally:
        if oas is not None:
            con.unregister("_build_oas")


def area_oas(store: Store, code: str) -> list[str]:
    """Output areas of a local authority, ward or region code (``oa_areas``), of a
    nation (``E92000001``, ``W92000004``: census output areas by prefix) or of England
    and Wales (``K04000001`` or ``EW``: every output area with ``ts001`` counts)."""
    code = code.strip().upper()
    if code in ALL_EW or code in _NATIONS:
        if not store.has_table("census_ts001"):
            return []
        prefix = _NATIONS.get(code, "")
        rows = store.con.execute(
            "SELECT DISTINCT oa FROM census_ts001 WHERE oa LIKE ? ORDER BY oa", [prefix + "%"]
        ).fetchall()
        return [str(r[0]) for r in rows]
    if not store.has_table("oa_areas"):
        return []
    rows = store.con.execute(
        "SELECT DISTINCT oa FROM oa_areas WHERE ? IN (lad, ward, region, country) ORDER BY oa",
        [code],
    ).fetchall()
    return [str(r[0]) for r in rows]


def official_oac(store: Store, oas: list[str]) -> pd.DataFrame:
    """Official OAC 2021 codes (``oa, supergroup, group_code, subgroup``) of these OAs."""
    if not store.has_table("oac_oa"):
        return pd.DataFrame(columns=["oa", "supergroup", "group_code", "subgroup"])
    con = store.con
    con.register("_build_oac", pd.DataFrame({"oa": pd.Series(oas, dtype="string")}))
    try:
        return con.execute(
            "SELECT o.oa, o.supergroup, o.group_code, o.subgroup FROM oac_oa o "
            "JOIN (SELECT DISTINCT CAST(oa AS VARCHAR) AS oa FROM _build_oac) k ON k.oa = o.oa "
            "QUALIFY row_number() OVER (PARTITION BY o.oa ORDER BY o.source_file) = 1 "
            "ORDER BY o.oa"
        ).df()
    finally:
        con.unregister("_build_oac")
