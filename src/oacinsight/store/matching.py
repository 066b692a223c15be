"""SQL of ``match``: a user's rows joined to ``pc_lookup``, in input order, nothing lost."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from oacinsight.errors import InputFileError
from oacinsight.postcodes import BFPO_REGEX, POSTCODE_KEY_REGEX, STRIP_REGEX
from oacinsight.store import _sql_str
from oacinsight.tabular import FORMULA_START, InputSource

#: Columns ``match`` adds, in this order (a public contract).
ADDED_COLUMNS = (
    "postcode_clean", "oa21", "lsoa21", "laua", "ward", "imd_rank", "oac_supergroup",
    "oac_group", "oac_subgroup", "oac_supergroup_name", "oac_group_name",
    "oac_subgroup_name", "match_status", "match_note",
)
STATUSES = ("matched", "matched_terminated", "not_found", "invalid_format", "missing", "no_oac")


def q(name: str) -> str:
    """Quote an identifier."""
    return '"' + name.replace('"', '""') + '"'


def load_input(con: duckdb.DuckDBPyConnection, src: InputSource) -> list[str]:
    """Create the temporary table ``inp`` from a user file; return its columns."""
    con.execute("DROP TABLE IF EXISTS temp.inp")
    try:
        _create_inp(con, src)
    except duckdb.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputFileError(f"{src.name}: cannot be read as {src.format}: {first}") from exc
    return [r[0] for r in con.execute("DESCRIBE temp.inp").fetchall()]


def _create_inp(con: duckdb.DuckDBPyConnection, src: InputSource) -> None:
    if src.format == "parquet":
        con.execute(f"CREATE TEMP TABLE inp AS SELECT * FROM read_parquet('{_sql_str(src.path)}')")
    elif src.format == "frame":
        con.register("_frame_in", src.frame)
        con.execute("CREATE TEMP TABLE inp AS SELECT * FROM _frame_in")
        con.unregister("_frame_in")
    else:
        base = (
            f"read_csv('{_sql_str(src.path)}', header=true, all_varchar=true, "
            f"delim='{_sql_str(src.delimiter)}', quote='\"', escape='\"', "
            "normalize_names=false, sample_size=20480"
        )
        try:
            con.execute(f"CREATE TEMP TABLE inp AS SELECT * FROM {base})")
        except duckdb.InvalidInputException:
            # rows with fewer fields than the header: pad them (single-threaded reader)
            con.execute(
                f"CREATE TEMP TABLE inp AS SELECT * FROM {base}, null_padding=true, "
                "parallel=false)"
            )


def row_count(con: duckdb.DuckDBPyConnection) -> int:
    return int(con.execute("SELECT count(*) FROM temp.inp").fetchone()[0])  # type: ignore[index]


def postcode_shares(con: duckdb.DuckDBPyConnection, columns: list[str]) -> dict[str, float]:
    """Share of the first 2,000 non-blank values of each column that look like postcodes."""
    out = {}
    for c in columns:
        key = _key_expr(q(c))
        row = con.execute(
            f"SELECT avg(CASE WHEN regexp_full_match({key}, '{POSTCODE_KEY_REGEX}') "
            f"THEN 1.0 ELSE 0.0 END) FROM (SELECT {q(c)} FROM temp.inp "
            f"WHERE trim(CAST({q(c)} AS VARCHAR)) <> '' LIMIT 2000)"
        ).fetchone()
        out[c] = float(row[0] or 0.0) if row else 0.0
    return out


def _key_expr(col: str) -> str:
    return f"upper(regexp_replace(coalesce(CAST({col} AS VARCHAR), ''), '{STRIP_REGEX}', '', 'g'))"


_STATUS = """
CASE WHEN trim(coalesce(CAST({pc} AS VARCHAR), '')) = '' THEN 'missing'
     WHEN l.pc_key IS NOT NULL THEN l.status
     WHEN regexp_full_match(k._key, '{bfpo}') THEN 'not_found'
     WHEN NOT regexp_full_match(k._key, '{grammar}') THEN 'invalid_format'
     ELSE 'not_found' END
"""
_NOTE = """
CASE WHEN trim(coalesce(CAST({pc} AS VARCHAR), '')) = '' THEN 'no postcode given'
     WHEN l.pc_key IS NOT NULL THEN nullif(l.note, '')
     WHEN regexp_full_match(k._key, '{bfpo}')
       THEN 'BFPO (British Forces) address: not a geographic postcode'
     WHEN NOT regexp_full_match(k._key, '{grammar}') THEN 'not a valid UK postcode format'
     WHEN a.area IS NULL THEN 'postcode area ' || regexp_extract(k._key, '^[A-Z]+')
       || ' is not in the loaded postcode directory'
     WHEN d.district IS NULL THEN 'postcode district ' || left(k._key, length(k._key) - 3)
       || ' is not in the loaded postcode directory'
     ELSE 'not in the postcode directory ({edition}): new since that edition, or mistyped'
END
"""


def create_matched_view(
    con: duckdb.DuckDBPyConnection, columns: list[str], postcode_column: str, edition: str
) -> None:
    """Create the temporary view ``matched``: every input row, in order, with the fields."""
    pc = f"k.{q(postcode_column)}"
    fmt = dict(pc=pc, bfpo=BFPO_REGEX, grammar=POSTCODE_KEY_REGEX, edition=_sql_str(edition))
    originals = ", ".join(f"k.{q(c)} AS {q(_renamed(c))}" for c in columns)
    con.execute(f"""
CREATE OR REPLACE TEMP VIEW matched AS
WITH k AS (SELECT rowid AS _row, *, {_key_expr(q(postcode_column))} AS _key FROM temp.inp),
areas AS (SELECT DISTINCT area FROM pc_districts)
SELECT k._row, {originals},
  CASE WHEN l.pc_key IS NOT NULL THEN l.postcode_clean
       WHEN regexp_full_match(k._key, '{POSTCODE_KEY_REGEX}')
       THEN left(k._key, length(k._key) - 3) || ' ' || right(k._key, 3) END AS postcode_clean,
  l.oa21, l.lsoa21, l.laua, l.ward, l.imd_rank, l.oac_supergroup, l.oac_group,
  l.oac_subgroup, l.oac_supergroup_name, l.oac_group_name, l.oac_subgroup_name,
  {_STATUS.format(**fmt)} AS match_status,
  {_NOTE.format(**fmt)} AS match_note,
  l.laua_name AS _laua_name
FROM k
LEFT JOIN pc_lookup l ON l.pc_key = k._key
LEFT JOIN areas a ON l.pc_key IS NULL AND a.area = regexp_extract(k._key, '^[A-Z]+')
LEFT JOIN pc_districts d ON l.pc_key IS NULL AND d.district = left(k._key, length(k._key) - 3)
""")


def _renamed(column: str) -> str:
    return f"{column}_input" if column in ADDED_COLUMNS else column


def renamed_columns(columns: list[str]) -> dict[str, str]:
    """Input columns that clash with an added column, and their new names."""
    return {c: _renamed(c) for c in columns if _renamed(c) != c}


def _select_out(con: duckdb.DuckDBPyConnection, neutralise: bool) -> str:
    described = con.execute("DESCRIBE temp.matched").fetchall()
    types = {r[0]: r[1] for r in described if not r[0].startswith("_")}
    if not neutralise:
        return ", ".join(q(c) for c in types)
    starts = _sql_str("".join("\\" + ch if ch in "-\\]^" else ch for ch in FORMULA_START))
    exprs = []
    for c, kind in types.items():
        if kind != "VARCHAR":
            exprs.append(q(c))
            continue
        v = q(c)
        exprs.append(
            f"CASE WHEN regexp_matches({v}, '^[{starts}]') AND TRY_CAST({v} AS DOUBLE) IS NULL "
            f"THEN '''' || {v} ELSE {q(c)} END AS {q(c)}"
        )
    return ", ".join(exprs)


def copy_matched(con: duckdb.DuckDBPyConnection, path: Path, fmt: str) -> None:
    """Write the ``matched`` view to CSV or Parquet, in input order."""
    select = _select_out(con, neutralise=fmt == "csv")
    options = "FORMAT parquet" if fmt == "parquet" else "FORMAT csv, HEADER true"
    con.execute(
        f"COPY (SELECT {select} FROM temp.matched ORDER BY _row) TO '{_sql_str(path)}' "
        f"({options})"
    )


def matched_frame(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The ``matched`` view as a DataFrame (values as they are, not neutralised)."""
    select = _select_out(con, neutralise=False)
    return con.execute(f"SELECT {select} FROM temp.matched ORDER BY _row").df()


def status_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    rows = con.execute("SELECT match_status, count(*) FROM temp.matched GROUP BY 1").fetchall()
    counts = {s: 0 for s in STATUSES}
    counts.update({r[0]: int(r[1]) for r in rows})
    return counts


def authority_counts(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Rows per local authority and status (matched rows only have one)."""
    return con.execute(
        "SELECT coalesce(laua, '(none)') AS laua, any_value(_laua_name) AS name, "
        "count(*) AS rows, count(*) FILTER (WHERE match_status IN ('matched', "
        "'matched_terminated')) AS matched FROM temp.matched GROUP BY 1 ORDER BY rows DESC"
    ).df()


def editions(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Editions of the postcode directory in the store."""
    rows = con.execute("SELECT DISTINCT edition FROM postcodes ORDER BY 1").fetchall()
    return [r[0] for r in rows if r[0]]
