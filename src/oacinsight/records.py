"""The customer record standard: what oacinsight expects in a user's file.

The standard is a JSON Schema shipped in the package (``schemas/customer_record.schema.json``)
and documented in ``docs/customer-records.md``.  :func:`validate_frame` checks a table
against it, column by column (vectorised), and names the row and column of each problem.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from oacinsight.errors import InputFileError
from oacinsight.postcodes import normalise

MAX_PROBLEMS_PER_COLUMN = 20


@cache
def load_schema() -> dict[str, Any]:
    """The customer record standard as a JSON Schema dict."""
    text = resources.files("oacinsight").joinpath("schemas/customer_record.schema.json")
    return json.loads(text.read_text(encoding="utf-8"))


def _canon(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_")


def map_columns(columns: list[str]) -> dict[str, str]:
    """Standard field → the user's column holding it (names and aliases, any case)."""
    found: dict[str, str] = {}
    for field, spec in load_schema()["properties"].items():
        names = {_canon(field), *(_canon(a) for a in spec.get("x-aliases", []))}
        for col in columns:
            if _canon(col) in names and field not in found:
                found[field] = col
    return found


def validate_frame(frame: pd.DataFrame) -> list[str]:
    """Problems in a table, each ``row N, column C: reason`` (rows numbered from 2 as in Excel).

    Returns an empty list when the table follows the standard.
    """
    schema = load_schema()
    mapping = map_columns([str(c) for c in frame.columns])
    problems: list[str] = []
    if not any(set(alt["required"]) <= mapping.keys() for alt in schema["anyOf"]):
        problems.append(
            "no location column: need a postcode, or easting + northing, or latitude + "
            f"longitude (columns found: {', '.join(map(str, frame.columns))})"
        )
    for field, col in mapping.items():
        spec = schema["properties"][field]
        problems += _check_column(frame[col], col, field, spec)
    return problems


def _check_column(values: pd.Series, col: str, field: str, spec: dict[str, Any]) -> list[str]:
    text = values.astype("string").str.strip()
    present = text.notna() & (text != "")
    bad = pd.Series(False, index=values.index)
    reason = ""
    if field == "postcode":
        kinds = normalise(text.where(present, None))["kind"].to_numpy()
        bad = present & pd.Series(kinds != "valid", index=values.index)
        reason = "not a valid UK postcode"
    elif spec.get("type") == "number":
        num = pd.to_numeric(text.where(present), errors="coerce")
        lo, hi = spec.get("minimum", float("-inf")), spec.get("maximum", float("inf"))
        bad = present & (num.isna() | (num < lo) | (num > hi))
        reason = (
            f"not a number between {lo:g} and {hi:g}"
            if hi != float("inf")
            else f"not a number of at least {lo:g}"
        )
    elif spec.get("format") == "date":
        iso = pd.to_datetime(text.where(present), format="%Y-%m-%d", errors="coerce")
        uk = pd.to_datetime(text.where(present), format="%d/%m/%Y", errors="coerce")
        bad = present & iso.isna() & uk.isna()
        reason = "not a date (YYYY-MM-DD or DD/MM/YYYY)"
    rows = [int(i) for i in bad[bad].index[:MAX_PROBLEMS_PER_COLUMN]]
    out = [f"row {r + 2}, column {col}: {reason} ({text.iloc[r]!r})" for r in rows]
    if int(bad.sum()) > len(rows):
        out.append(f"column {col}: {int(bad.sum()) - len(rows):,} more rows {reason}")
    return out


def validate_file(path: str | Path, *, name: str | None = None) -> list[str]:
    """Validate a CSV/XLSX/Parquet file against the standard (see :func:`validate_frame`).

    The file is read by the same reader as ``match`` (every record a row); how it was read
    (encoding, padded rows, skipped blank lines) is listed first, as ``note: …`` lines.
    """
    from oacinsight.store.inputs import read_text_frame
    from oacinsight.tabular import open_input

    with open_input(path, name=name) as src:
        frame = read_text_frame(src)
        notes = [f"note: {n}" for n in src.report.notes()]
    if frame.empty:
        raise InputFileError(f"{name or Path(path).name}: has a header but no data rows")
    problems = validate_frame(frame)
    return [*notes, *problems] if problems else []
