"""SQL that loads each kind of official file into the store.

Every loader replaces the rows that came from the same file (so loading a file twice
changes nothing), inside the caller's transaction.  Values are kept exactly as
published (text stays text: ``0405780`` keeps its leading zero); only the names of the
columns are mapped to the store's fields.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from oacinsight.store import _sql_str

POSTCODE_COLUMNS = (
    "pc_key",
    "pcds",
    "dointr",
    "doterm",
    "usertype",
    "oseast1m",
    "osnrth1m",
    "oa11",
    "oa21",
    "lsoa11",
    "lsoa21",
    "laua",
    "ward",
    "ctry",
    "rgn",
    "imd",
    "lat",
    "long",
    "oac11",
    "edition",
    "source_file",
)
DDL = {
    "postcodes": "CREATE TABLE IF NOT EXISTS postcodes (pc_key VARCHAR, pcds VARCHAR, "
    "dointr VARCHAR, doterm VARCHAR, usertype VARCHAR, oseast1m VARCHAR, osnrth1m VARCHAR, "
    "oa11 VARCHAR, oa21 VARCHAR, lsoa11 VARCHAR, lsoa21 VARCHAR, laua VARCHAR, ward VARCHAR, "
    "ctry VARCHAR, rgn VARCHAR, imd INTEGER, lat DOUBLE, long DOUBLE, oac11 VARCHAR, "
    "edition VARCHAR, source_file VARCHAR)",
    "oac_oa": "CREATE TABLE IF NOT EXISTS oac_oa (oa VARCHAR, supergroup VARCHAR, "
    "group_code VARCHAR, subgroup VARCHAR, source_file VARCHAR)",
    "oac_area": "CREATE TABLE IF NOT EXISTS oac_area (area VARCHAR, supergroup VARCHAR, "
    "group_code VARCHAR, subgroup VARCHAR, source_file VARCHAR)",
    "oac_names": "CREATE TABLE IF NOT EXISTS oac_names (level VARCHAR, code VARCHAR, "
    "name VARCHAR, parent VARCHAR, source_file VARCHAR)",
    "oac11_names": "CREATE TABLE IF NOT EXISTS oac11_names (level VARCHAR, code VARCHAR, "
    "name VARCHAR, parent VARCHAR, source_file VARCHAR)",
    "oa_links": "CREATE TABLE IF NOT EXISTS oa_links (oa VARCHAR, target_type VARCHAR, "
    "target_code VARCHAR, source_file VARCHAR)",
    "oa11_oa21": "CREATE TABLE IF NOT EXISTS oa11_oa21 (oa11 VARCHAR, oa21 VARCHAR, "
    "change VARCHAR, source_file VARCHAR)",
    "area_names": "CREATE TABLE IF NOT EXISTS area_names (code VARCHAR, name VARCHAR, "
    "source_file VARCHAR)",
    "census_metadata": "CREATE TABLE IF NOT EXISTS census_metadata (table_id VARCHAR, "
    "column_name VARCHAR, table_name VARCHAR, variable_name VARCHAR, source_file VARCHAR)",
}

# Code prefix -> type of area, for lookups and names.
TARGET_TYPES = (
    ("lsoa", ("E01", "W01")),
    ("msoa", ("E02", "W02")),
    ("dz", ("S01",)),
    ("sdz", ("N21",)),
    ("ward", ("E05", "W05", "S13", "N08")),
    ("lad", ("E06", "E07", "E08", "E09", "W06", "S12", "N09")),
    ("region", ("E12",)),
    ("country", ("E92", "W92", "S92", "N92")),
)


def source_sql(paths: list[Path]) -> str:
    """A DuckDB table expression reading the files as published (text columns)."""
    files = "[" + ", ".join(f"'{_sql_str(p)}'" for p in paths) + "]"
    if all(p.suffix.lower() == ".parquet" for p in paths):
        return f"read_parquet({files}, union_by_name=true)"
    # Every column is read as text, so the sniffer only needs a sample to find the
    # dialect; sniffing the whole file (sample_size=-1) read a 1 GB directory twice.
    return (
        f"read_csv({files}, header=true, all_varchar=true, union_by_name=true, sample_size=20480)"
    )


def _col(name: str | None, cast: str = "VARCHAR") -> str:
    if not name:
        return "NULL"
    quoted = '"' + name.replace('"', '""') + '"'
    return f"TRY_CAST(NULLIF(trim(CAST({quoted} AS VARCHAR)), '') AS {cast})"


def has_rows(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    """Whether ``table`` holds at least one row."""
    return bool(con.execute(f"SELECT count(*) > 0 FROM {table}").fetchall()[0][0])


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the store's tables where missing."""
    for ddl in DDL.values():
        con.execute(ddl)
    # stores made before the 2011 OAC was kept (survey analysis by 2011 group)
    con.execute("ALTER TABLE postcodes ADD COLUMN IF NOT EXISTS oac11 VARCHAR")


def _replace(con: duckdb.DuckDBPyConnection, table: str, file_name: str, select: str) -> int:
    con.execute(f"DELETE FROM {table} WHERE source_file = ?", [file_name])
    before = con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
    con.execute(f"INSERT INTO {table} BY NAME {select}")
    after = con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
    return int(after - before)


def load_postcodes(
    con: duckdb.DuckDBPyConnection, path: Path, cols: dict[str, str], edition: str
) -> int:
    """Load one postcode directory file (NSPL or ONSPD, any edition)."""
    key = f"upper(regexp_replace(coalesce({_col(cols['pcd'])}, ''), '[^A-Za-z0-9]', '', 'g'))"
    fields = []
    for f in POSTCODE_COLUMNS[2:-2]:
        cast = {"imd": "INTEGER", "lat": "DOUBLE", "long": "DOUBLE"}.get(f, "VARCHAR")
        fields.append(f"{_col(cols.get(f), cast)} AS {f}")
    select = (
        f"SELECT {key} AS pc_key, {_col(cols.get('pcd'))} AS pcds, {', '.join(fields)}, "
        f"'{_sql_str(edition)}' AS edition, '{_sql_str(path.name)}' AS source_file "
        f"FROM {source_sql([path])}"
    )
    n = _replace(con, "postcodes", path.name, select)
    con.execute(
        "UPDATE postcodes SET pcds = CASE WHEN length(pc_key) > 3 THEN "
        "left(pc_key, length(pc_key) - 3) || ' ' || right(pc_key, 3) ELSE pcds END "
        "WHERE source_file = ?",
        [path.name],
    )
    return n


def load_oac(con: duckdb.DuckDBPyConnection, path: Path, cols: dict[str, str], area: bool) -> int:
    """Load an OAC assignment (OA level, or LSOA level when ``area``)."""
    sub = f"lower({_col(cols['subgroup'])})"
    grp = f"lower({_col(cols['group'])})" if "group" in cols else f"left({sub}, 2)"
    sup = _col(cols["supergroup"]) if "supergroup" in cols else f"left({sub}, 1)"
    code_field = "area" if area else "oa"
    select = (
        f"SELECT {_col(cols['area' if area else 'oa'])} AS {code_field}, "
        f"regexp_replace({sup}, '\\.0$', '') AS supergroup, {grp} AS group_code, "
        f"{sub} AS subgroup, '{_sql_str(path.name)}' AS source_file FROM {source_sql([path])}"
    )
    return _replace(con, "oac_area" if area else "oac_oa", path.name, select)


def load_oac_names(con: duckdb.DuckDBPyConnection, path: Path, cols: dict[str, str]) -> int:
    """Load the official OAC names (one row per subgroup) as code → name at each tier."""
    src = source_sql([path])
    sub, grp = f"lower({_col(cols['subgroup'])})", f"lower({_col(cols.get('group'))})"
    parts = [
        f"SELECT DISTINCT 'subgroup' AS level, {sub} AS code, "
        f"{_col(cols.get('subgroup_name'))} AS name, coalesce({grp}, left({sub}, 2)) AS parent "
        f"FROM {src}"
    ]
    if "group_name" in cols:
        parts.append(
            f"SELECT DISTINCT 'group', coalesce({grp}, left({sub}, 2)), "
            f"{_col(cols['group_name'])}, left({sub}, 1) FROM {src}"
        )
    if "supergroup_name" in cols:
        parts.append(
            f"SELECT DISTINCT 'supergroup', left({sub}, 1), {_col(cols['supergroup_name'])}, "
            f"NULL FROM {src}"
        )
    union = " UNION ALL ".join(parts)
    select = f"SELECT *, '{_sql_str(path.name)}' AS source_file FROM ({union})"
    return _replace(con, "oac_names", path.name, select)


def load_oac11_names(con: duckdb.DuckDBPyConnection, path: Path, cols: dict[str, str]) -> int:
    """Load the official 2011 OAC names (``OAC11, Supergroup, Group, Subgroup``, one row
    per subgroup, codes like ``4A2``) into ``oac11_names``, codes as published.

    They are kept apart from the 2021 names (``oac_names``): the two editions reuse codes
    (supergroup ``4``, and ``4a2`` in lower case) for different classes.
    """
    src = source_sql([path])
    code = f"upper({_col(cols['code'])})"
    parts = [
        f"SELECT DISTINCT 'subgroup' AS level, {code} AS code, "
        f"{_col(cols.get('subgroup'))} AS name, left({code}, 2) AS parent FROM {src}"
    ]
    if "group" in cols:
        parts.append(
            f"SELECT DISTINCT 'group', left({code}, 2), {_col(cols['group'])}, "
            f"left({code}, 1) FROM {src}"
        )
    if "supergroup" in cols:
        parts.append(
            f"SELECT DISTINCT 'supergroup', left({code}, 1), "
            f"{_col(cols['supergroup'])}, NULL FROM {src}"
        )
    select = (
        f"SELECT *, '{_sql_str(path.name)}' AS source_file FROM "
        f"({' UNION ALL '.join(parts)}) WHERE code IS NOT NULL"
    )
    return _replace(con, "oac11_names", path.name, select)


def load_links(con: duckdb.DuckDBPyConnection, path: Path, cols: dict[str, str]) -> int:
    """Load an OA lookup (OA → LSOA, ward, LAD, ...) in long form, typed by code prefix.

    Fields named ``*_name`` are name columns: their code → name pairs go to
    ``area_names`` (see :func:`load_lookup_names`)."""
    names = {k: v for k, v in cols.items() if k.endswith("_name")}
    cols = {k: v for k, v in cols.items() if not k.endswith("_name")}
    if names:
        load_lookup_names(con, path, cols, names)
    oa = cols["oa"]
    src = source_sql([path])
    cases = " ".join(
        f"WHEN left(code, 3) IN ({', '.join(repr(p) for p in prefixes)}) THEN '{name}'"
        for name, prefixes in TARGET_TYPES
    )
    unions = " UNION ALL ".join(
        f"SELECT {_col(oa)} AS oa, {_col(c)} AS code FROM {src}"
        for k, c in cols.items()
        if k != "oa"
    )
    select = (
        f"SELECT DISTINCT oa, CASE {cases} ELSE 'other' END AS target_type, "
        f"code AS target_code, '{_sql_str(path.name)}' AS source_file FROM ({unions}) "
        "WHERE oa IS NOT NULL AND code IS NOT NULL"
    )
    return _replace(con, "oa_links", path.name, select)


def load_lookup_names(
    con: duckdb.DuckDBPyConnection, path: Path, codes: dict[str, str], names: dict[str, str]
) -> int:
    """Code → name pairs of a lookup (``LSOA21CD``/``LSOA21NM``...) into ``area_names``."""
    src = source_sql([path])
    parts = [
        f"SELECT {_col(codes[k[:-5]])} AS code, {_col(n)} AS name FROM {src}"
        for k, n in names.items()
        if k[:-5] in codes
    ]
    if not parts:
        return 0
    select = (
        f"SELECT DISTINCT code, name, '{_sql_str(path.name)}' AS source_file FROM "
        f"({' UNION ALL '.join(parts)}) WHERE code IS NOT NULL AND name IS NOT NULL"
    )
    return _replace(con, "area_names", path.name, select)


def load_oa11_oa21(con: duckdb.DuckDBPyConnection, path: Path, cols: dict[str, str]) -> int:
    """Load the official OA 2011 → OA 2021 lookup."""
    select = (
        f"SELECT DISTINCT {_col(cols['oa11'])} AS oa11, {_col(cols['oa21'])} AS oa21, "
        f"{_col(cols.get('change'))} AS change, '{_sql_str(path.name)}' AS source_file "
        f"FROM {source_sql([path])}"
    )
    return _replace(con, "oa11_oa21", path.name, select)


def load_area_names(con: duckdb.DuckDBPyConnection, path: Path, cols: dict[str, str]) -> int:
    """Load a code → name list (local authorities, wards, rural-urban classes...)."""
    select = (
        f"SELECT DISTINCT {_col(cols['code'])} AS code, {_col(cols['name'])} AS name, "
        f"'{_sql_str(path.name)}' AS source_file FROM {source_sql([path])} "
        f"WHERE {_col(cols['code'])} IS NOT NULL"
    )
    return _replace(con, "area_names", path.name, select)


def load_census(
    con: duckdb.DuckDBPyConnection, path: Path, oa_column: str, table_id: str, columns: list[str]
) -> int:
    """Load one Census 2021 topic-summary table as ``census_<table_id>`` (oa + cells).

    Cells keep their published ``tsNNNxxxx`` names; a Nomis bulk file (long column
    titles) has its value columns numbered in order, which is how ONS made those names.
    """
    import re

    src = source_sql([path])
    cells = [c for c in columns if re.fullmatch(r"ts\d{3}[a-z]?\d{4}", c.lower())]
    if cells:
        pairs = [(c, c.lower()) for c in cells]
    else:
        values = [c for c in columns if "; measures:" in c.lower()]
        pairs = [(c, f"{table_id}{i:04d}") for i, c in enumerate(values, start=1)]
    exprs = ", ".join(f"TRY_CAST({_quote(c)} AS DOUBLE) AS {new}" for c, new in pairs)
    table = f"census_{table_id}"
    con.execute(f"DROP TABLE IF EXISTS {table}")
    con.execute(
        f"CREATE TABLE {table} AS SELECT CAST({_quote(oa_column)} AS VARCHAR) AS oa, {exprs} "
        f"FROM {src}"
    )
    return int(con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0])


def load_census_metadata(con: duckdb.DuckDBPyConnection, path: Path) -> int:
    """Load ``Table_Metadata.csv``: what each census cell means."""
    select = (
        "SELECT lower(Table_ID) AS table_id, lower(new_names) AS column_name, "
        "Table_Name AS table_name, Variable_Name AS variable_name, "
        f"'{_sql_str(path.name)}' AS source_file FROM {source_sql([path])}"
    )
    return _replace(con, "census_metadata", path.name, select)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
