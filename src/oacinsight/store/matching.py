"""SQL of ``match``: a user's rows joined to ``pc_lookup``, in input order, nothing lost."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from oacinsight.errors import InputFileError
from oacinsight.postcodes import BFPO_REGEX, POSTCODE_KEY_REGEX, STRIP_REGEX
from oacinsight.store import _sql_str, pcindex
from oacinsight.tabular import FORMULA_START, PLAIN_NUMBER_REGEX, InputSource
from oacinsight.tabular import neutralise as neutralise_cell

#: Columns ``match`` adds, in this order (a public contract): the postcode index's lookup
#: fields up to its own status (``postcode_clean`` … ``oac_subgroup_name``), then the row's
#: status and note.
ADDED_COLUMNS: tuple[str, ...] = (
    *pcindex.FIELDS[: pcindex.FIELDS.index("status")],
    "match_status",
    "match_note",
)
#: Working columns of the ``matched`` view that are not written out.
INTERNAL_COLUMNS = ("_laua_name", "_by_coords")
STATUSES = ("matched", "matched_terminated", "not_found", "invalid_format", "missing", "no_oac")


def q(name: str) -> str:
    """Quote an identifier."""
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True)
class Rows:
    """A user's file loaded for one job: the name of its scratch table (unique to the
    job), its columns and its number of rows.  Made by :func:`loaded_input`, which drops
    the table when the job's ``with`` block ends; pass it to the functions that read it."""

    table: str
    columns: tuple[str, ...]
    count: int


@dataclass(frozen=True)
class Matched:
    """A matched input for one job (made by :func:`matched`): ``view`` is the input's
    columns (renamed on a clash) beside the added ones, ``res`` the added columns alone;
    both are dropped when the ``with`` block of :func:`matched` ends."""

    view: str
    res: str
    columns: tuple[str, ...]
    postcode_column: str


def _scratch_name(kind: str) -> str:
    """A temporary name no other job on the connection uses."""
    return f"_{kind}_{secrets.token_hex(6)}"


def _drop(con: duckdb.DuckDBPyConnection, kind: str, name: str) -> None:
    with suppress(duckdb.Error):  # a connection closed under a job: nothing is left
        con.execute(f"DROP {kind} IF EXISTS temp.{q(name)}")


@contextmanager
def loaded_input(
    con: duckdb.DuckDBPyConnection, src: InputSource, *, extra_blank: str | None = None
) -> Iterator[Rows]:
    """A user's file loaded as a temporary table for the ``with`` block, dropped after.

    Every record becomes a row or the load fails (see :mod:`oacinsight.store.inputs`);
    ``src.report`` holds the row account.
    """
    from oacinsight.store.inputs import create_inp

    table = _scratch_name("inp")
    try:
        try:
            create_inp(con, src, table)
        except duckdb.InterruptException:
            raise KeyboardInterrupt from None
        except duckdb.OutOfMemoryException as exc:
            raise InputFileError(
                f"{src.name}: not enough memory to read it; close other programs or split the file"
            ) from exc
        except duckdb.Error as exc:
            raise InputFileError(
                f"{src.name}: cannot be read as {_KIND.get(src.format, 'a table')}"
                f" ({_reason(exc)}); check it opens in a spreadsheet, save it "
                "again as CSV (UTF-8) and try again"
            ) from exc
        columns = tuple(r[0] for r in con.execute(f"DESCRIBE temp.{q(table)}").fetchall())
        n = int(con.execute(f"SELECT count(*) FROM temp.{q(table)}").fetchall()[0][0])
        yield Rows(table, columns, n)
    finally:
        _drop(con, "TABLE", table)


_KIND = {"csv": "CSV", "parquet": "Parquet", "frame": "a table"}


def _reason(exc: duckdb.Error) -> str:
    """A short, internals-free reason for a DuckDB read error."""
    text = str(exc).lower()
    if "line size" in text or "maximum line" in text:
        return "a line is too long"
    if "unicode" in text or "utf" in text:
        return "text that is not valid UTF-8"
    if "parquet" in text or "magic" in text:
        return "damaged Parquet"
    if "conversion" in text or "could not convert" in text:
        return "a value of an unexpected type"
    return "its rows do not line up with the header"


NO_POSTCODE = "(no postcode column)"


def add_blank_postcode(con: duckdb.DuckDBPyConnection, rows: Rows) -> Rows:
    """Give a coordinates-only input an empty postcode column (not written out)."""
    con.execute(f"ALTER TABLE temp.{q(rows.table)} ADD COLUMN {q(NO_POSTCODE)} VARCHAR")
    return Rows(rows.table, (*rows.columns, NO_POSTCODE), rows.count)


def postcode_shares(
    con: duckdb.DuckDBPyConnection, rows: Rows, columns: list[str]
) -> dict[str, float]:
    """Share of the first 2,000 non-blank values of each column that look like postcodes."""
    out = {}
    for c in columns:
        key = _key_expr(q(c))
        row = con.execute(
            f"SELECT avg(CASE WHEN regexp_full_match({key}, '{POSTCODE_KEY_REGEX}') "
            f"THEN 1.0 ELSE 0.0 END) FROM (SELECT {q(c)} FROM temp.{q(rows.table)} "
            f"WHERE trim(CAST({q(c)} AS VARCHAR)) <> '' LIMIT 2000)"
        ).fetchall()
        out[c] = float(row[0][0] or 0.0) if row else 0.0
    return out


def _key_expr(col: str) -> str:
    return f"upper(regexp_replace(coalesce(CAST({col} AS VARCHAR), ''), '{STRIP_REGEX}', '', 'g'))"


_STATUS = """
CASE WHEN _by_coords THEN _status
     WHEN _blank THEN 'missing'
     WHEN _status IS NOT NULL THEN _status
     WHEN _bfpo THEN 'not_found'
     WHEN NOT _valid THEN 'invalid_format'
     ELSE 'not_found' END
"""
_NOTE = """
CASE WHEN _by_coords THEN _coord_note || coalesce('; ' || nullif(_note, ''), '')
     WHEN _blank THEN 'no postcode given'
     WHEN _status IS NOT NULL THEN nullif(_note, '')
     WHEN _bfpo THEN 'BFPO (British Forces) address: not a geographic postcode'
     WHEN NOT _valid THEN 'not a valid UK postcode format'
     WHEN NOT _area_known THEN 'postcode area ' || regexp_extract(_key, '^[A-Z]+')
       || ' is not in the loaded postcode directory'
     WHEN NOT _district_known THEN 'postcode district ' || left(_key, length(_key) - 3)
       || ' is not in the loaded postcode directory'
     ELSE 'not in the postcode directory ({edition}): new since that edition, or mistyped'
END
"""
LOOKUP_FIELDS = pcindex.FIELDS  # == (*ADDED_COLUMNS[:-2], "status", "note", "laua_name")


def postcode_index(con: duckdb.DuckDBPyConnection, cache: dict[str, Any]) -> dict[str, Any]:
    """The store's postcode index (:mod:`.pcindex`, memory-mapped when its file is there)
    and the known postcode areas and districts, kept in ``cache``."""
    if "pcindex" not in cache:
        cache["pcindex"] = pcindex.load(con)
        cache["areas"] = con.sql("SELECT DISTINCT area FROM pc_districts").to_arrow_table()[0]
        cache["districts"] = con.sql("SELECT district FROM pc_districts").to_arrow_table()[0]
    return cache


def _tree(cache: dict[str, Any], kind: str) -> tuple[Any, np.ndarray]:
    """A k-d tree of live postcode centroids and the index row of each tree point."""
    from oacinsight import coordinates  # scipy: imported only when coordinates are used

    key = f"tree_{kind}"
    if key not in cache:
        t = cache["pcindex"].table
        x, y = (t["easting"], t["northing"]) if kind == "bng" else (t["long"], t["lat"])
        x = np.asarray(x.to_numpy(), dtype=float)
        y = np.asarray(y.to_numpy(), dtype=float)
        live = np.asarray(t["live"].to_numpy(), dtype=bool)
        keep = np.flatnonzero(np.isfinite(x) & np.isfinite(y) & live)
        cache[key] = (coordinates.build_tree(x[keep], y[keep], kind), keep)
    return cache[key]


def _place_by_coordinates(
    con: duckdb.DuckDBPyConnection,
    table: str,
    cache: dict[str, Any],
    idx: pa.Array,
    coords: tuple[str, str, str],
) -> tuple[pa.Array, pa.Array, pa.Array]:
    """Fill index rows for records with no postcode match but usable coordinates.

    Returns the new index, a flag per row (placed by coordinates) and the note.
    """
    from oacinsight import coordinates

    xcol, ycol, kind = coords
    xy = con.sql(
        f"SELECT TRY_CAST({q(xcol)} AS DOUBLE) AS x, TRY_CAST({q(ycol)} AS DOUBLE) AS y "
        f"FROM temp.{q(table)}"
    ).to_arrow_table()
    index = idx.to_numpy(zero_copy_only=False).astype(float)
    need = np.isnan(index)
    x = xy["x"].to_numpy(zero_copy_only=False).astype(float)
    y = xy["y"].to_numpy(zero_copy_only=False).astype(float)
    tree, rows = _tree(cache, kind)
    hit, dist = coordinates.nearest(tree, coordinates.planar(x[need], y[need], kind))
    placed = np.zeros(len(index), dtype=bool)
    notes = np.full(len(index), None, dtype=object)
    where = np.flatnonzero(need)[hit >= 0]
    index[where] = rows[hit[hit >= 0]]
    placed[where] = True
    pcs = (
        cache["pcindex"]
        .table["postcode_clean"]
        .take(pa.array(index[where].astype(np.int64)))
        .to_pylist()
    )
    for i, pcd, d in zip(where, pcs, dist[hit >= 0], strict=True):
        notes[i] = f"placed by coordinates: nearest postcode {pcd}, {d:.0f} m away"
    new_idx = pa.array(np.where(np.isnan(index), 0, index).astype(np.int64), mask=np.isnan(index))
    return new_idx, pa.array(placed), pa.array(notes, type=pa.string())


def _lookup_rows(
    con: duckdb.DuckDBPyConnection,
    table: str,
    postcode_column: str,
    cache: dict[str, Any],
    coords: tuple[str, str, str] | None,
) -> pa.Table:
    """The lookup fields for every input row, in input order (binary search in the sorted
    postcode index, then an Arrow gather: no sort, no join)."""
    ref = postcode_index(con, cache)
    pcol = q(postcode_column)
    keys = con.sql(
        f"SELECT {_key_expr(pcol)} AS k, trim(coalesce(CAST({pcol} AS VARCHAR), '')) = '' AS b "
        f"FROM temp.{q(table)}"
    ).to_arrow_table()
    key = keys["k"]
    idx = ref["pcindex"].find(key)
    placed = pa.array(np.zeros(len(key), dtype=bool))
    note = pa.nulls(len(key), type=pa.string())
    if coords is not None:
        idx, placed, note = _place_by_coordinates(con, table, cache, idx, coords)
    rows = ref["pcindex"].table.select(list(LOOKUP_FIELDS)).take(idx)
    district = pc.utf8_slice_codeunits(key, 0, -3)
    area = pc.struct_field(pc.extract_regex(key, r"^(?P<a>[A-Z]*)"), [0])
    extra = {
        "_key": key,
        "_blank": keys["b"],
        "_by_coords": placed,
        "_coord_note": note,
        "_valid": pc.match_substring_regex(key, POSTCODE_KEY_REGEX),
        "_bfpo": pc.match_substring_regex(key, BFPO_REGEX),
        "_area_known": pc.is_in(area, value_set=ref["areas"]),
        "_district_known": pc.is_in(district, value_set=ref["districts"]),
    }
    rows = rows.rename_columns(
        [f"_{c}" if c in ("status", "note", "laua_name") else c for c in rows.column_names]
    )
    for name, values in extra.items():
        rows = rows.append_column(name, values)
    return rows


#: Above this many rows the lookup runs inside DuckDB (join, then sort by row number),
#: which spills to disk, so files larger than memory still work.
IN_MEMORY_ROWS = 5_000_000


def _lookup_rows_sql(
    con: duckdb.DuckDBPyConnection, table: str, postcode_column: str, out: str
) -> None:
    """The same columns as :func:`_lookup_rows`, as the temporary table ``out``."""
    pcol = q(postcode_column)
    fields = ", ".join(f"l.{c}" for c in LOOKUP_FIELDS[:-3])
    con.execute(f"""
CREATE TEMP TABLE {q(out)} AS
WITH k AS (
  SELECT rowid AS _r, {_key_expr(pcol)} AS _key,
         trim(coalesce(CAST({pcol} AS VARCHAR), '')) = '' AS _blank FROM temp.{q(table)}
)
SELECT {fields}, l.status AS _status, l.note AS _note, l.laua_name AS _laua_name,
  k._key, k._blank, false AS _by_coords, CAST(NULL AS VARCHAR) AS _coord_note,
  regexp_full_match(k._key, '{POSTCODE_KEY_REGEX}') AS _valid,
  regexp_full_match(k._key, '{BFPO_REGEX}') AS _bfpo,
  regexp_extract(k._key, '^[A-Z]*') IN (SELECT area FROM pc_districts) AS _area_known,
  left(k._key, length(k._key) - 3) IN (SELECT district FROM pc_districts) AS _district_known
FROM k LEFT JOIN pc_lookup l ON l.pc_key = k._key
ORDER BY k._r
""")


@contextmanager
def matched(
    con: duckdb.DuckDBPyConnection,
    rows: Rows,
    postcode_column: str,
    edition: str,
    cache: dict[str, Any],
    coords: tuple[str, str, str] | None = None,
) -> Iterator[Matched]:
    """``rows`` matched, for the ``with`` block: the added fields (one row per input
    row, in input order) and the input columns beside them, joined by position.  The
    views and working table are dropped when the block ends."""
    work, res, view = _scratch_name("rows"), _scratch_name("res"), _scratch_name("matched")
    arrow = rows.count <= IN_MEMORY_ROWS
    try:
        if arrow:
            con.register(work, _lookup_rows(con, rows.table, postcode_column, cache, coords))
        else:
            _lookup_rows_sql(con, rows.table, postcode_column, work)
        con.execute(f"""
CREATE TEMP VIEW {q(res)} AS
SELECT
  CASE WHEN _status IS NOT NULL AND NOT _by_coords THEN postcode_clean
       WHEN _valid THEN left(_key, length(_key) - 3) || ' ' || right(_key, 3)
  END AS postcode_clean,
  {", ".join(ADDED_COLUMNS[1:-2])},
  {_STATUS} AS match_status,
  {_NOTE.format(edition=_sql_str(edition))} AS match_note,
  _laua_name, _by_coords
FROM {q(work)}
""")
        yield joined(con, rows, res, view, postcode_column)
    finally:
        _drop(con, "VIEW", view)
        _drop(con, "VIEW", res)
        if arrow:
            with suppress(duckdb.Error):
                con.unregister(work)
        else:
            _drop(con, "TABLE", work)


def joined(
    con: duckdb.DuckDBPyConnection, rows: Rows, res: str, view: str, postcode_column: str
) -> Matched:
    """The view ``view``: the input ``rows`` beside the added columns ``res``, by position
    (the caller drops both views)."""
    originals = ", ".join(f"i.{q(c)} AS {q(_renamed(c))}" for c in rows.columns)
    con.execute(
        f"CREATE TEMP VIEW {q(view)} AS SELECT {originals}, r.* "
        f"FROM temp.{q(rows.table)} i POSITIONAL JOIN temp.{q(res)} r"
    )
    return Matched(view, res, rows.columns, postcode_column)


def _renamed(column: str) -> str:
    clash = column in ADDED_COLUMNS or column in INTERNAL_COLUMNS
    return f"{column}_input" if clash else column


def renamed_columns(columns: list[str]) -> dict[str, str]:
    """Input columns that clash with an added column, and their new names."""
    return {c: _renamed(c) for c in columns if _renamed(c) != c}


def _select_out(
    con: duckdb.DuckDBPyConnection, m: Matched, neutralise: bool, bom: bool = False
) -> str:
    """The output columns; text input cells made safe for Excel when ``neutralise``.

    With ``bom`` the first column is renamed to start with a UTF-8 byte-order mark, so
    DuckDB writes the BOM Excel needs as part of the header, at no cost.
    """
    described = con.execute(f"DESCRIBE temp.{q(m.view)}").fetchall()
    types = {r[0]: r[1] for r in described if r[0] not in INTERNAL_COLUMNS}
    starts = ", ".join(f"'{_sql_str(ch)}'" for ch in FORMULA_START)
    risky = _formula_columns(
        con, m, [c for c, k in types.items() if k == "VARCHAR" and c not in ADDED_COLUMNS], starts
    )
    exprs = []
    for i, c in enumerate(types):
        name = str(neutralise_cell(c)) if neutralise else c
        alias = q("\ufeff" + name) if bom and i == 0 else q(name)
        if neutralise and c in risky:
            exprs.append(
                f"CASE WHEN left({q(c)}, 1) IN ({starts}) AND NOT regexp_full_match({q(c)}, "
                f"'{PLAIN_NUMBER_REGEX}') "
                f"THEN '''' || {q(c)} ELSE {q(c)} END AS {alias}"
            )
        else:
            exprs.append(f"{q(c)} AS {alias}")
    return ", ".join(exprs)


def _formula_columns(
    con: duckdb.DuckDBPyConnection, m: Matched, columns: list[str], starts: str
) -> set[str]:
    """The text columns holding at least one cell that starts like a formula."""
    if not columns:
        return set()
    checks = ", ".join(f"bool_or(left({q(c)}, 1) IN ({starts}))" for c in columns)
    flags = con.execute(f"SELECT {checks} FROM temp.{q(m.view)}").fetchall()[0]
    return {c for c, flag in zip(columns, flags, strict=True) if flag}


def copy_matched(con: duckdb.DuckDBPyConnection, m: Matched, path: Path, fmt: str) -> bool:
    """Write the matched rows to CSV (UTF-8 with BOM) or Parquet, in input order.

    Returns whether a BOM was written in the header (False: the caller must add it).
    """
    first = next(
        r[0]
        for r in con.execute(f"DESCRIBE temp.{q(m.view)}").fetchall()
        if r[0] not in INTERNAL_COLUMNS
    )
    bom = fmt == "csv" and not any(ch in first for ch in ',"\r\n')
    select = _select_out(con, m, neutralise=fmt == "csv", bom=bom)
    if fmt == "parquet":  # one writer, fixed row groups: the same bytes from either engine
        from oacinsight.store.parquet_out import write_select

        write_select(con, f"SELECT {select} FROM temp.{q(m.view)}", path)
        return bom
    con.execute(
        f"COPY (SELECT {select} FROM temp.{q(m.view)}) TO '{_sql_str(path)}' "
        "(FORMAT csv, HEADER true)"
    )
    return bom


def matched_frame(con: duckdb.DuckDBPyConnection, m: Matched) -> pd.DataFrame:
    """The matched rows as a DataFrame (values as they are, not neutralised)."""
    select = _select_out(con, m, neutralise=False)
    return con.execute(f"SELECT {select} FROM temp.{q(m.view)}").df()


def status_counts(con: duckdb.DuckDBPyConnection, m: Matched) -> dict[str, int]:
    """Rows per match status (every status, zeros included)."""
    rows = con.execute(f"SELECT match_status, count(*) FROM temp.{q(m.res)} GROUP BY 1").fetchall()
    counts = {s: 0 for s in STATUSES}
    counts.update({r[0]: int(r[1]) for r in rows})
    return counts


def statuses_as_given(con: duckdb.DuckDBPyConnection, rows: Rows) -> dict[str, int]:
    """Rows per ``match_status`` of a file that was matched before (as the file says)."""
    found = con.execute(
        f"SELECT match_status, count(*) FROM temp.{q(rows.table)} GROUP BY 1 ORDER BY 1 NULLS LAST"
    ).fetchall()
    return {str(r[0]): int(r[1]) for r in found}


def placed_by_coordinates(con: duckdb.DuckDBPyConnection, m: Matched) -> int:
    """Rows placed by their coordinates rather than their postcode."""
    return int(
        con.execute(f"SELECT count(*) FROM temp.{q(m.res)} WHERE _by_coords").fetchall()[0][0]
    )


def authority_counts(con: duckdb.DuckDBPyConnection, m: Matched) -> pd.DataFrame:
    """Rows per local authority and status (matched rows only have one)."""
    return con.execute(
        "SELECT coalesce(laua, '(none)') AS laua, any_value(_laua_name) AS name, "
        "count(*) AS rows, count(*) FILTER (WHERE match_status IN ('matched', "
        f"'matched_terminated')) AS matched FROM temp.{q(m.res)} GROUP BY 1 "
        "ORDER BY rows DESC, laua"
    ).df()


def oa_totals(
    con: duckdb.DuckDBPyConnection, source: Rows | Matched, amount: str | None = None
) -> pd.DataFrame:
    """``oa, records, amount`` summed over the rows of a matched input (or of a file
    matched before): ``oa`` is None for the rows not placed (status not matched, or no
    output area); ``amount`` is the column ``amount`` read as a number (0 when it is not
    one), or 1 a row."""
    name = source.view if isinstance(source, Matched) else source.table
    value = f"coalesce(TRY_CAST({q(amount)} AS DOUBLE), 0)" if amount else "1.0"
    return con.execute(
        "SELECT CASE WHEN match_status IN ('matched', 'matched_terminated') "
        "THEN CAST(oa21 AS VARCHAR) END AS oa, count(*) AS records, "
        f"CAST(sum({value}) AS DOUBLE) AS amount FROM temp.{q(name)} GROUP BY 1 ORDER BY 1"
    ).df()


def input_frame(con: duckdb.DuckDBPyConnection, rows: Rows) -> pd.DataFrame:
    """The loaded rows as a DataFrame (CSV cells as text), in file order."""
    return con.execute(f"SELECT * FROM temp.{q(rows.table)}").df()


def column_totals(con: duckdb.DuckDBPyConnection, rows: Rows, key: str, count: str) -> pd.DataFrame:
    """``key, amount``: the column ``key`` beside ``count`` read as a number (NULL when it
    is not one), one row per input row."""
    return con.execute(
        f"SELECT {q(key)} AS key, TRY_CAST({q(count)} AS DOUBLE) AS amount "
        f"FROM temp.{q(rows.table)}"
    ).df()


def editions(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Editions of the postcode directory in the store."""
    rows = con.execute("SELECT DISTINCT edition FROM postcodes ORDER BY 1").fetchall()
    return [r[0] for r in rows if r[0]]
