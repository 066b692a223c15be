"""Dates of a customer file turned into periods (``profile --period COLUMN --freq``).

Accepted, per cell: ISO dates (``2023-04-01``, optionally with a time), UK day-first
dates (``1/4/2023``, ``01-04-2023``, ``01.04.23``: day first, then month; two-digit years
are 20xx), and Excel date serials (whole or fractional numbers from 20,000 to 80,000,
i.e. 1954-10-03 to 2119-01-11, counted from 1899-12-30 as Excel does).  Anything else is
*unparseable*; blank cells are *blank*.  Both are counted and reported, never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from oacinsight.errors import OacInsightError

__all__ = ["FREQS", "ParsedDates", "parse_dates", "period_labels"]

#: ``--freq`` values.
FREQS: tuple[str, ...] = ("year", "quarter", "month")
#: Excel serial numbers accepted as dates (1954-10-03 to 2119-01-11).
SERIAL_RANGE = (20_000, 80_000)
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")
_ISO = r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ][0-9:.]+)?\s*$"
_UK = r"^\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})(?:[ T][0-9:.]+)?\s*$"
_SERIAL = r"^\s*\d+(?:\.\d+)?\s*$"


@dataclass(frozen=True)
class ParsedDates:
    """Dates of every row (``NaT`` where blank or unparseable) and what was found."""

    dates: pd.Series
    n_blank: int
    n_unparseable: int
    examples: tuple[str, ...]


def _from_parts(year: pd.Series, month: pd.Series, day: pd.Series) -> pd.Series:
    frame = pd.DataFrame(
        {"year": pd.to_numeric(year), "month": pd.to_numeric(month), "day": pd.to_numeric(day)}
    )
    return pd.to_datetime(frame, errors="coerce")


def parse_dates(values: pd.Series) -> ParsedDates:
    """Parse a column of dates as text (see the module docstring for the forms).

    Returns
    -------
    ParsedDates
        ``dates`` has the index of ``values``; ``examples`` holds up to five distinct
        unparseable values, for the report.
    """
    text = values.astype("string").fillna("").str.strip()
    blank = text == ""
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    iso = text.str.extract(_ISO)
    hit = iso[0].notna()
    if hit.any():
        out[hit] = _from_parts(iso.loc[hit, 0], iso.loc[hit, 1], iso.loc[hit, 2])
    uk = text.str.extract(_UK)
    hit = uk[0].notna() & out.isna()
    if hit.any():
        year = pd.to_numeric(uk.loc[hit, 2])
        year = year.where(year >= 100, year + 2000)
        out[hit] = _from_parts(year, uk.loc[hit, 1], uk.loc[hit, 0])
    serial = text.str.match(_SERIAL) & out.isna()
    if serial.any():
        number = pd.to_numeric(text[serial], errors="coerce")
        ok = number.between(*SERIAL_RANGE)
        days = pd.to_timedelta(np.floor(number[ok].to_numpy(dtype=float)), unit="D")
        out[number[ok].index] = _EXCEL_EPOCH + days
    bad = out.isna() & ~blank
    examples = tuple(dict.fromkeys(text[bad].str.slice(0, 40)).keys())[:5]
    return ParsedDates(out, int(blank.sum()), int(bad.sum()), examples)


def period_labels(dates: pd.Series, freq: str) -> pd.Series:
    """``2023``, ``2023 Q2`` or ``2023-04`` for each date (``<NA>`` where there is none).

    Labels sort in time order as text.
    """
    if freq not in FREQS:
        raise OacInsightError(f"unknown --freq {freq!r}; use {', '.join(FREQS)}")
    d = pd.to_datetime(dates)
    year = d.dt.year.astype("Int64").astype("string")
    if freq == "year":
        return year
    if freq == "quarter":
        return year + " Q" + d.dt.quarter.astype("Int64").astype("string")
    return year + "-" + d.dt.month.astype("Int64").astype("string").str.zfill(2)
