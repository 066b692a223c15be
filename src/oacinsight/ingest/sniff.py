"""Peek at an official file: its columns and first values, without loading it."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from oacinsight.errors import IngestError

TABULAR_SUFFIXES = (".csv", ".txt", ".parquet", ".xlsx")


@dataclass
class Peek:
    """The header and a few rows of one file."""

    path: Path
    columns: list[str]
    rows: list[dict[str, str]] = field(default_factory=list)

    def lower(self) -> dict[str, str]:
        """Lower-cased column name → published column name."""
        return {c.strip().lower(): c for c in self.columns}

    def values(self, column: str) -> list[str]:
        """The sampled values of one column, as text, blanks dropped."""
        return [str(r.get(column) or "").strip() for r in self.rows if r.get(column)]


def peek(path: Path, n_rows: int = 50) -> Peek:
    """Read the header and the first ``n_rows`` rows of a CSV, Parquet or XLSX file."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            return _peek_parquet(path, n_rows)
        if suffix == ".xlsx":
            return _peek_xlsx(path, n_rows)
        return _peek_csv(path, n_rows)
    except (OSError, ValueError, csv.Error, UnicodeError) as exc:
        raise IngestError(f"{path.name}: cannot read ({exc})") from exc


def _peek_csv(path: Path, n_rows: int) -> Peek:
    with open(path, "rb") as fh:
        raw = fh.read(1 << 20)
    text = raw.decode("utf-8-sig", errors="replace")
    lines = text.splitlines(keepends=True)
    if len(raw) == 1 << 20 and lines:
        lines = lines[:-1]  # the last line may be cut in half
    sample = "".join(lines)
    if not sample.strip():
        raise IngestError(f"{path.name}: the file is empty")
    try:
        dialect = csv.Sniffer().sniff(sample[:20000], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(sample), dialect)
    header = [h.strip() for h in next(reader)]
    rows = []
    for i, rec in enumerate(reader):
        if i >= n_rows:
            break
        rows.append(dict(zip(header, rec, strict=False)))
    return Peek(path, header, rows)


def _peek_parquet(path: Path, n_rows: int) -> Peek:
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(path)
    cols = list(pf.schema_arrow.names)
    if pf.metadata.num_rows == 0 or n_rows == 0:
        return Peek(path, cols, [])
    batch = next(pf.iter_batches(batch_size=n_rows))
    records = batch.to_pylist()
    rows = [{k: ("" if v is None else str(v)) for k, v in r.items()} for r in records]
    return Peek(path, cols, rows)


def _peek_xlsx(path: Path, n_rows: int) -> Peek:
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        it = wb.worksheets[0].iter_rows(values_only=True, max_row=n_rows + 1)
        header = [str(h).strip() if h is not None else "" for h in next(it, ())]
        rows = [
            {h: ("" if v is None else str(v)) for h, v in zip(header, r, strict=False)} for r in it
        ]
    finally:
        wb.close()
    return Peek(path, header, rows)
