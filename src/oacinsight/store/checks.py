"""Facts about an official file and the store, measured before the file replaces anything.

Each function reads one file (as :func:`.loaders.source_sql` will load it) or the store
and returns plain numbers; :mod:`oacinsight.ingest.validate` decides what they mean.
"Bad" counts come with one example value so a message can show what is wrong.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from oacinsight.store import _sql_str
from oacinsight.store.loaders import source_sql

#: A UK postcode with its spaces removed (the grammar of BS 7666; GIR 0AA included).
POSTCODE_RE = "^([A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}|GIR0AA)$"
#: Any GSS-style code: a letter and eight digits (pseudo codes L99999999 included).
GSS_RE = "^[A-Z][0-9]{8}$"
#: Output areas (England, Wales, Scotland), NI small areas and data zones, Channel Islands.
OA_RE = "^(E00|W00|S00|N00|N20|K04)[0-9]{6}$"
#: Highest IMD rank of each nation's index, by the first letter of its codes: the number
#: of small areas it ranks, in the largest of its editions (England: 32,844 LSOAs 2011 for
#: IMD 2019, 33,755 LSOAs 2021 for IMD 2025; Wales 1,909 / 1,917; Scotland 6,976 data
#: zones 2011 / 7,392 of 2022; Northern Ireland 890 super output areas, MDM 2017).
IMD_MAX = {"E": 33_755, "W": 1_917, "S": 7_392, "N": 890}


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _txt(name: str | None) -> str:
    """A published column as trimmed text, NULL when blank or absent."""
    return f"NULLIF(trim(CAST({_q(name)} AS VARCHAR)), '')" if name else "NULL"


def _bad(cond: str, value: str) -> str:
    """count and first example of the rows where ``cond`` holds."""
    return f"count(*) FILTER (WHERE {cond}), min({value}) FILTER (WHERE {cond})"


def _one(con: duckdb.DuckDBPyConnection, sql: str) -> tuple:
    return tuple(con.execute(sql).fetchall()[0])


def _pairs(names: list[str], row: tuple) -> dict[str, tuple[int, str | None]]:
    return {n: (int(row[2 * i] or 0), row[2 * i + 1]) for i, n in enumerate(names)}


def _by_key(con: duckdb.DuckDBPyConnection, sql: str) -> dict[str, int]:
    return {str(k): int(n) for k, n in con.execute(sql).fetchall() if k is not None}


def postcode_facts(con: duckdb.DuckDBPyConnection, path: Path, cols: dict[str, str]) -> dict:
    """Rows, malformed values and postcodes per postcode area of a directory file."""
    src = source_sql([path])
    key = f"upper(regexp_replace(coalesce({_txt(cols['pcd'])}, ''), '[^A-Za-z0-9]', '', 'g'))"
    oa = f"coalesce({_txt(cols.get('oa21'))}, {_txt(cols.get('oa11'))})"
    nation = f"left(coalesce({_txt(cols.get('ctry'))}, {oa}, {_txt(cols.get('laua'))}), 1)"
    imd = _txt(cols.get("imd"))
    imd_n = f"CASE WHEN regexp_matches({imd}, '^[0-9]+$') THEN TRY_CAST({imd} AS BIGINT) END"
    imd_max = (
        "CASE " + " ".join(f"WHEN nation = '{k}' THEN {v}" for k, v in IMD_MAX.items()) + " END"
    )
    checks = {
        "postcode": (f"NOT regexp_matches(pc_key, '{POSTCODE_RE}')", "pc_raw"),
        "oa": (f"oa IS NOT NULL AND NOT regexp_matches(oa, '{GSS_RE}')", "oa"),
        "imd_text": ("imd IS NOT NULL AND NOT regexp_matches(imd, '^[0-9]+$')", "imd"),
        "imd_range": (
            f"imd_n IS NOT NULL AND {imd_max} IS NOT NULL AND (imd_n < 1 OR imd_n > {imd_max})",
            "nation || ':' || imd",
        ),
        "latlong": (
            "(lat IS NOT NULL AND TRY_CAST(lat AS DOUBLE) IS NULL) OR "
            "(lon IS NOT NULL AND TRY_CAST(lon AS DOUBLE) IS NULL)",
            "coalesce(lat, '') || ',' || coalesce(lon, '')",
        ),
    }
    inner = (
        f"SELECT {key} AS pc_key, CAST({_q(cols['pcd'])} AS VARCHAR) AS pc_raw, {oa} AS oa, "
        f"{nation} AS nation, {imd} AS imd, {imd_n} AS imd_n, {_txt(cols.get('lat'))} AS lat, "
        f"{_txt(cols.get('long'))} AS lon FROM {src}"
    )
    con.execute(f"CREATE OR REPLACE TEMP TABLE _check_pc AS {inner}")
    try:
        row = _one(
            con,
            "SELECT count(*), "
            + ", ".join(_bad(c, v) for c, v in checks.values())
            + " FROM _check_pc",
        )
        areas = _by_key(
            con, "SELECT regexp_extract(pc_key, '^[A-Z]+'), count(*) FROM _check_pc GROUP BY 1"
        )
    finally:
        con.execute("DROP TABLE IF EXISTS _check_pc")
    return {"rows": int(row[0]), "bad": _pairs(list(checks), row[1:]), "by_key": areas}


def oac_facts(con: duckdb.DuckDBPyConnection, path: Path, cols: dict[str, str], area: bool) -> dict:
    """Rows, malformed area codes, subgroups used and tiers that disagree (OAC file)."""
    src = source_sql([path])
    code = _txt(cols["area" if area else "oa"])
    sub = f"lower({_txt(cols['subgroup'])})"
    grp = f"lower({_txt(cols.get('group'))})"
    sup = f"regexp_replace({_txt(cols.get('supergroup'))}, '\\.0$', '')"
    pattern = "^[A-Z0-9][0-9]{8}$" if area else OA_RE
    checks = {
        "code": (
            f"code IS NULL OR NOT regexp_matches(code, '{pattern}')",
            "coalesce(code, '(blank)')",
        ),
        "tiers": (
            "(grp IS NOT NULL AND grp <> left(sub, 2)) OR "
            "(sup IS NOT NULL AND sup <> left(sub, 1))",
            "coalesce(sup, '') || '/' || coalesce(grp, '') || '/' || sub",
        ),
    }
    inner = f"SELECT {code} AS code, {sub} AS sub, {grp} AS grp, {sup} AS sup FROM {src}"
    row = _one(
        con,
        "SELECT count(*), "
        + ", ".join(_bad(c, v) for c, v in checks.values())
        + f" FROM ({inner})",
    )
    subgroups = _by_key(con, f"SELECT coalesce(sub, ''), count(*) FROM ({inner}) GROUP BY 1")
    by_key = _by_key(con, f"SELECT left(code, 1), count(*) FROM ({inner}) GROUP BY 1")
    return {
        "rows": int(row[0]),
        "bad": _pairs(list(checks), row[1:]),
        "subgroups": subgroups,
        "by_key": by_key,
    }


def names_facts(con: duckdb.DuckDBPyConnection, path: Path, cols: dict[str, str]) -> dict:
    """Rows, subgroup codes and blank names of an OAC names file."""
    src = source_sql([path])
    sub = f"lower({_txt(cols['subgroup'])})"
    name = _txt(cols["subgroup_name"])
    blank = _bad(f"{name} IS NULL", f"coalesce({sub}, '')")
    row = _one(con, f"SELECT count(*), {blank} FROM {src}")
    codes = _by_key(con, f"SELECT coalesce({sub}, ''), count(*) FROM {src} GROUP BY 1")
    return {
        "rows": int(row[0]),
        "bad": _pairs(["name"], row[1:]),
        "subgroups": codes,
        "by_key": {"subgroup": len(codes)},
    }


def oac11_names_facts(con: duckdb.DuckDBPyConnection, path: Path, cols: dict[str, str]) -> dict:
    """Rows, malformed 2011 codes (like ``4A2``) and blank names of the 2011 OAC names."""
    src = source_sql([path])
    code = f"upper({_txt(cols['code'])})"
    names = [_txt(cols.get(t)) for t in ("supergroup", "group", "subgroup") if cols.get(t)]
    blank = " OR ".join(f"{n} IS NULL" for n in names) or "false"
    checks = {
        "code11": (
            f"{code} IS NULL OR NOT regexp_matches({code}, '^([1-8][A-H][1-4]|9Z9)$')",
            f"coalesce({code}, '(blank)')",
        ),
        "blank": (blank, f"coalesce({code}, '')"),
    }
    row = _one(
        con,
        "SELECT count(*), "
        + ", ".join(_bad(c, v) for c, v in checks.values())
        + f", count(DISTINCT {code}) FROM {src}",
    )
    return {
        "rows": int(row[0]),
        "bad": _pairs(list(checks), row[1:5]),
        "by_key": {"subgroup": int(row[5])},
    }


def lookup_facts(con: duckdb.DuckDBPyConnection, path: Path, cols: dict[str, str]) -> dict:
    """Rows, malformed codes and output areas per country of an OA lookup."""
    src = source_sql([path])
    oa_col = cols.get("oa") or cols.get("oa11") or ""
    targets = [
        c for f, c in cols.items() if f not in ("oa", "oa11", "change") and not f.endswith("_name")
    ]
    target_bad = (
        " OR ".join(
            f"({_txt(c)} IS NOT NULL AND NOT regexp_matches({_txt(c)}, '{GSS_RE}'))"
            for c in targets
        )
        or "false"
    )
    target_ex = (
        "coalesce("
        + ", ".join(
            f"CASE WHEN NOT regexp_matches({_txt(c)}, '{GSS_RE}') THEN {_txt(c)} END"
            for c in targets
        )
        + ")"
        if targets
        else "NULL"
    )
    oa = _txt(oa_col)
    oa_pattern = GSS_RE if "oa11" in cols else OA_RE
    checks = {
        "oa": (
            f"{oa} IS NULL OR NOT regexp_matches({oa}, '{oa_pattern}')",
            f"coalesce({oa}, '(blank)')",
        ),
        "target": (target_bad, target_ex),
    }
    row = _one(
        con,
        "SELECT count(*), " + ", ".join(_bad(c, v) for c, v in checks.values()) + f" FROM {src}",
    )
    by_key = _by_key(con, f"SELECT left({oa}, 1), count(DISTINCT {oa}) FROM {src} GROUP BY 1")
    return {"rows": int(row[0]), "bad": _pairs(list(checks), row[1:]), "by_key": by_key}


def census_facts(
    con: duckdb.DuckDBPyConnection, path: Path, oa_column: str, cells: list[str]
) -> dict:
    """Rows, malformed OA codes, and cells that are not numbers (or are negative)."""
    src = source_sql([path])
    oa = _txt(oa_column)
    num = [f"TRY_CAST({_txt(c)} AS DOUBLE)" for c in cells]
    text = " OR ".join(f"{n} IS NULL" for n in num) or "false"
    text_ex = (
        "coalesce("
        + ", ".join(
            f"CASE WHEN {n} IS NULL THEN '{_sql_str(c)}=' || coalesce({_txt(c)}, '(blank)') END"
            for c, n in zip(cells, num, strict=True)
        )
        + ")"
        if cells
        else "NULL"
    )
    negative = " OR ".join(f"{n} < 0" for n in num) or "false"
    checks = {
        "oa": (f"{oa} IS NULL OR NOT regexp_matches({oa}, '{OA_RE}')", f"coalesce({oa}, '')"),
        "text": (text, text_ex),
        "negative": (negative, f"{oa}"),
    }
    row = _one(
        con,
        "SELECT count(*), " + ", ".join(_bad(c, v) for c, v in checks.values()) + f" FROM {src}",
    )
    by_key = _by_key(con, f"SELECT left({oa}, 1), count(*) FROM {src} GROUP BY 1")
    return {"rows": int(row[0]), "bad": _pairs(list(checks), row[1:]), "by_key": by_key}


def simple_facts(
    con: duckdb.DuckDBPyConnection, path: Path, code: str | None, name: str | None
) -> dict:
    """Rows and blank codes or names of a code → name list or a metadata file."""
    src = source_sql([path])
    cond = " OR ".join(f"{_txt(c)} IS NULL" for c in (code, name) if c) or "false"
    row = _one(
        con,
        f"SELECT count(*), {_bad(cond, _txt(code) if code else 'NULL')}, "
        f"count(DISTINCT {_txt(code) if code else 'NULL'}) FROM {src}",
    )
    return {
        "rows": int(row[0]),
        "bad": _pairs(["blank"], row[1:3]),
        "by_key": {"all": int(row[3]) if code else int(row[0])},
    }


# -- what the store holds ----------------------------------------------------------------
#: kind -> (table, key of an area, what is counted, which rows): the keys of the facts above.
HELD = {
    "postcode_directory": ("postcodes", "regexp_extract(pc_key, '^[A-Z]+')", "*", "TRUE"),
    "oac": ("oac_oa", "left(oa, 1)", "*", "TRUE"),
    "oac_lsoa": ("oac_area", "left(area, 1)", "*", "TRUE"),
    "oac_names": ("oac_names", "'subgroup'", "*", "level = 'subgroup'"),
    "oac11_names": ("oac11_names", "'subgroup'", "*", "level = 'subgroup'"),
    "geo_lookup": ("oa_links", "left(oa, 1)", "DISTINCT oa", "TRUE"),
    "oa11_oa21": ("oa11_oa21", "left(oa11, 1)", "DISTINCT oa11", "TRUE"),
    "area_names": ("area_names", "'all'", "DISTINCT code", "TRUE"),
    "census_metadata": ("census_metadata", "'all'", "*", "TRUE"),
}


def has_table(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    """Whether the store has this (non-temporary) table."""
    return bool(
        _one(
            con,
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = "
            f"'{_sql_str(table)}' AND NOT temporary",
        )[0]
    )


def held(
    con: duckdb.DuckDBPyConnection, kind: str, file_name: str, table: str | None = None
) -> dict[str, tuple[int, int]]:
    """Per area key: (what the store holds, how much of it came from ``file_name``).

    A census table is replaced whole, so all its rows count as coming from the file.
    """
    if kind == "census":
        if not table or not has_table(con, table):
            return {}
        rows = con.execute(f"SELECT left(oa, 1), count(*) FROM {table} GROUP BY 1").fetchall()
        return {str(k): (int(n), int(n)) for k, n in rows if k is not None}
    if kind not in HELD or not has_table(con, HELD[kind][0]):
        return {}
    tbl, key, counted, where = HELD[kind]
    rows = con.execute(
        f"SELECT {key}, count({counted}) FILTER (WHERE {where}), "
        f"count({counted}) FILTER (WHERE {where} AND source_file = ?) FROM {tbl} GROUP BY 1",
        [file_name],
    ).fetchall()
    return {str(k): (int(n), int(m)) for k, n, m in rows if k is not None and n}


def store_subgroups(con: duckdb.DuckDBPyConnection) -> tuple[set[str], set[str]]:
    """(subgroup codes with names in the store, subgroup codes used by its OAC)."""
    named: set[str] = set()
    used: set[str] = set()
    if has_table(con, "oac_names"):
        named = {
            r[0]
            for r in con.execute(
                "SELECT DISTINCT code FROM oac_names WHERE level = 'subgroup'"
            ).fetchall()
            if r[0]
        }
    if has_table(con, "oac_oa"):
        used = {
            r[0] for r in con.execute("SELECT DISTINCT subgroup FROM oac_oa").fetchall() if r[0]
        }
    return named, used


def oa_countries(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Output areas the store's OAC holds, per first letter of their codes."""
    if not has_table(con, "oac_oa"):
        return {}
    return _by_key(con, "SELECT left(oa, 1), count(DISTINCT oa) FROM oac_oa GROUP BY 1")
