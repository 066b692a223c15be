"""Splitting a file into slices by a column or by period: the rules every ``--by`` /
``--period`` shares (``profile``, ``survey``; docs/profile.md, "Slices").

- a row's label is its value, trimmed; blank values form the slice ``(blank)``;
- with ``--period``, a date column (ISO, UK day-first, Excel serials:
  :mod:`oacinsight.profile.periods`) is turned into ``2023``, ``2023 Q2`` or
  ``2023-04``; blank and unparseable dates form ``(no date)``, counted and reported;
- more than ``max_values`` distinct values (or periods) are refused with the reason;
- values with fewer than ``min_size`` counted rows (customers in the area, respondents)
  are grouped as ``other`` (``other (grouped)`` when a real value is called ``other``);
  if it would hold fewer, the smallest remaining values
  join it until it holds ``min_size``; fewer than two slices left: refused.
"""

from __future__ import annotations

import pandas as pd

from oacinsight.errors import InputFileError, OacInsightError
from oacinsight.profile.comparison import BLANK, NO_DATE, OTHER
from oacinsight.profile.periods import FREQS, parse_dates, period_labels

__all__ = [
    "MAX_VALUES",
    "SliceColumn",
    "check_slicing",
    "choose_slices",
    "other_label",
    "slice_labels",
]

#: Most distinct values (or periods) a column may have before ``--by`` refuses it.
MAX_VALUES = 50


class SliceColumn:
    """What the options of a split name: ``by`` a column or by ``period`` of a date
    column (a mixin of the frozen option classes of ``profile`` and ``survey``)."""

    by: str | None
    period: str | None

    @property
    def column(self) -> str:
        return str(self.by if self.by is not None else self.period)

    @property
    def kind(self) -> str:
        return "by" if self.by is not None else "period"


def check_slicing(
    by: str | None, period: str | None, freq: str, min_size: int, max_values: int
) -> None:
    """Refuse impossible slicing options with a one-line reason."""
    if (by is None) == (period is None):
        raise OacInsightError("give one of --by COLUMN or --period COLUMN, not both")
    if freq not in FREQS:
        raise OacInsightError(f"unknown --freq {freq!r}; use {', '.join(FREQS)}")
    if min_size < 1 or max_values < 2:
        raise OacInsightError("the smallest slice must be at least 1 and max_values at least 2")


def slice_labels(
    rows: pd.DataFrame, column: str, kind: str, freq: str
) -> tuple[pd.Series, list[str]]:
    """The slice label of every row (before grouping) and notes on how they were read."""
    if column not in rows.columns:
        shown = ", ".join(str(c) for c in rows.columns[:12])
        raise InputFileError(f"--{kind} {column!r}: no such column (columns: {shown})")
    if kind == "by":
        text = rows[column].astype("string").str.strip()
        return text.mask(text.isna() | (text == ""), BLANK).astype(str), []
    parsed = parse_dates(rows[column])
    labels = period_labels(parsed.dates, freq).fillna(NO_DATE).astype(str)
    notes = []
    if parsed.n_blank or parsed.n_unparseable:
        notes.append(
            f"dates in {column!r}: {parsed.n_blank:,} blank and {parsed.n_unparseable:,} "
            f"unparseable of {len(rows):,} rows, all in the {NO_DATE!r} slice"
            + (f" (e.g. {', '.join(repr(e) for e in parsed.examples)})" if parsed.examples else "")
        )
    if parsed.n_blank + parsed.n_unparseable == len(rows):
        raise InputFileError(
            f"--period {column!r}: no value could be read as a date (ISO 2023-04-01, UK "
            "day-first 01/04/2023, or an Excel date serial)"
        )
    return labels, notes


def choose_slices(
    labels: pd.Series,
    counts: pd.Series,
    *,
    column: str,
    kind: str,
    freq: str,
    min_size: int,
    max_values: int = MAX_VALUES,
    unit: str = "customers",
    where: str = " in the area",
) -> tuple[list[str], pd.Series, list[str]]:
    """The slices in order, each row's slice, and notes on values grouped as ``other``.

    ``counts`` gives the size of each label (indexed by label): what must reach
    ``min_size`` (``unit`` and ``where`` say what it counts, for the messages).
    """
    special = {BLANK, NO_DATE}
    distinct = [v for v in pd.unique(labels) if v not in special]
    if len(distinct) > max_values:
        raise InputFileError(_too_many(column, kind, freq, len(distinct), max_values))
    if kind == "by":
        order = sorted(counts.index, key=lambda v: (v in special, -counts[v], v))
    else:
        order = sorted(counts.index, key=lambda v: (v in special, v))
    small = [v for v in order if counts[v] < min_size]
    kept = [v for v in order if v not in small]
    while small and sum(counts[v] for v in small) < min_size and kept:
        smallest = min(kept, key=lambda v: (counts[v], v))
        kept.remove(smallest)
        small.append(smallest)
    if len(kept) + bool(small) < 2:
        raise InputFileError(
            f"--{kind} {column!r}: fewer than two values with at least "
            f"{min_size} {unit}{where}; nothing to compare"
        )
    other = other_label(distinct)
    mapping = labels.where(~labels.isin(small), other)
    notes = []
    if small:
        n = int(sum(counts[v] for v in small))
        listed = ", ".join(small[:10]) + (f" and {len(small) - 10} more" if len(small) > 10 else "")
        notes.append(
            f"{other!r}: {len(small)} value(s) with fewer than {min_size} {unit}{where} "
            f"each, or taken in to reach {min_size} ({n:,} {unit} together): {listed}"
        )
    return [*kept, *([other] if small else [])], mapping, notes


def other_label(values: list[str]) -> str:
    """The name of the slice of grouped small values: ``other``, or ``other (grouped)``
    when a real value is already called ``other`` (in any case), so the two never merge."""
    taken = {str(v).strip().casefold() for v in values}
    label, k = OTHER, 1
    while label.casefold() in taken:
        label = f"{OTHER} (grouped)" if k == 1 else f"{OTHER} (grouped {k})"
        k += 1
    return label


def _too_many(column: str, kind: str, freq: str, n: int, limit: int) -> str:
    if kind == "period":
        return (
            f"--period {column!r} at --freq {freq}: {n:,} periods, more than "
            f"the limit of {limit}; use a longer --freq (quarter or year)"
        )
    return (
        f"--by {column!r}: {n:,} different values, more than the limit of "
        f"{limit}; compare by a column naming a few services or channels "
        "(a column like this is probably an identifier, a date or free text)"
    )
