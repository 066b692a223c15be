"""Reading users' files and writing results, the way council analysts' files really are.

Inputs: CSV (UTF-8, UTF-8 with BOM or Windows-1252 as Excel saves it; comma, semicolon,
tab or pipe; quoted newlines; duplicate column names), XLSX and Parquet.  CSVs are
streamed by DuckDB, never loaded whole into Python, so a file larger than memory works.
Outputs: CSV (UTF-8 with a BOM so Excel shows accents), XLSX and Parquet.  In CSV and
XLSX, text cells that Excel would run as a formula (starting ``=``, ``+``, ``-``, ``@``,
tab or carriage return, and not a plain number) get a leading apostrophe.
"""

from __future__ import annotations

import codecs
import csv
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from oacinsight.errors import InputFileError

INPUT_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".parquet")
OUTPUT_SUFFIXES = (".csv", ".xlsx", ".parquet")
XLSX_MAX_ROWS = 1_048_575
FORMULA_START = "=+-@\t\r"
BOM = codecs.BOM_UTF8


@dataclass(frozen=True)
class InputSource:
    """A user file made ready for DuckDB: a UTF-8 CSV, a Parquet file or a DataFrame."""

    name: str
    format: str  # csv | parquet | frame
    path: Path | None = None
    delimiter: str = ","
    encoding: str = "utf-8"
    frame: pd.DataFrame | None = None


@contextmanager
def open_input(path: str | os.PathLike[str]) -> Iterator[InputSource]:
    """Make a user's file readable by DuckDB; clean up any temporary copy afterwards.

    Raises
    ------
    InputFileError
        Missing, empty or unsupported files, with a one-line reason.
    """
    p = Path(path)
    if not p.exists():
        raise InputFileError(f"{p}: no such file")
    if p.is_dir():
        raise InputFileError(f"{p}: is a folder, not a file")
    if p.stat().st_size == 0:
        raise InputFileError(f"{p.name}: the file is empty")
    suffix = p.suffix.lower()
    if suffix == ".parquet":
        yield InputSource(p.name, "parquet", p)
    elif suffix == ".xlsx":
        yield InputSource(p.name, "frame", p, frame=read_xlsx(p))
    elif suffix in (".csv", ".txt", ".tsv", ""):
        with _utf8_csv(p) as (csv_path, encoding):
            yield InputSource(p.name, "csv", csv_path, sniff_delimiter(csv_path), encoding)
    else:
        raise InputFileError(
            f"{p.name}: unsupported file type {suffix!r}; use CSV, XLSX or Parquet"
        )


def is_utf8(path: Path) -> bool:
    """Whether the whole file decodes as UTF-8 (streamed, 1 MiB at a time)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


@contextmanager
def _utf8_csv(path: Path) -> Iterator[tuple[Path, str]]:
    """The file itself when UTF-8; else a streamed UTF-8 copy read as Windows-1252."""
    if is_utf8(path):
        yield path, "utf-8"
        return
    with tempfile.TemporaryDirectory(prefix="oacinsight-") as tmp:
        out = Path(tmp) / (path.stem + ".utf8.csv")
        with open(path, encoding="cp1252", errors="replace", newline="") as src, open(
            out, "w", encoding="utf-8", newline=""
        ) as dst:
            for chunk in iter(lambda: src.read(1 << 20), ""):
                dst.write(chunk)
        yield out, "windows-1252"


def sniff_delimiter(path: Path) -> str:
    """The delimiter of a CSV: comma, semicolon, tab or pipe (from the first 64 KiB)."""
    with open(path, encoding="utf-8-sig", errors="replace", newline="") as fh:
        sample = fh.read(1 << 16)
    if not sample.strip():
        raise InputFileError(f"{path.name}: the file is empty")
    header = sample.splitlines()[0]
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        counts = {d: header.count(d) for d in ",;\t|"}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ","


def read_xlsx(path: Path) -> pd.DataFrame:
    """The first sheet of a workbook, every cell as text (blank cells as missing)."""
    try:
        frame = pd.read_excel(path, sheet_name=0, dtype=str, engine="calamine")
    except Exception as exc:  # the readers raise many types for broken workbooks
        raise InputFileError(f"{path.name}: not a readable XLSX workbook ({exc})") from exc
    frame.columns = dedupe_columns([str(c) for c in frame.columns])
    return frame


def dedupe_columns(columns: list[str]) -> list[str]:
    """Make column names unique the way DuckDB does: ``id, id`` → ``id, id_1``."""
    seen: dict[str, int] = {}
    out = []
    for c in columns:
        name = c.strip() or "column"
        if name in seen:
            seen[name] += 1
            name = f"{name}_{seen[name]}"
            while name in seen:
                name += "_"
        seen.setdefault(name, 0)
        out.append(name)
    return out


def neutralise(value: object) -> object:
    """Prefix a text cell Excel would run as a formula with an apostrophe."""
    if isinstance(value, str) and value and value[0] in FORMULA_START:
        try:
            float(value)
        except ValueError:
            return "'" + value
    return value


def output_format(path: str | os.PathLike[str]) -> str:
    """``csv``, ``xlsx`` or ``parquet`` from the output file name."""
    suffix = Path(path).suffix.lower()
    if suffix not in OUTPUT_SUFFIXES:
        raise InputFileError(
            f"{Path(path).name}: unsupported output type {suffix or '(none)'!r}; "
            "use .csv, .xlsx or .parquet"
        )
    return suffix[1:]


def write_xlsx(frame: pd.DataFrame, path: Path, sheet: str = "data") -> None:
    """Write a frame to XLSX (streamed, constant memory) with formula cells neutralised."""
    if len(frame) > XLSX_MAX_ROWS:
        raise InputFileError(
            f"{path.name}: {len(frame):,} rows do not fit in one Excel sheet; write .csv"
        )
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_formulas": False,
                                         "strings_to_urls": False, "nan_inf_to_errors": False})
    try:
        ws = wb.add_worksheet(sheet[:31])
        ws.write_row(0, 0, [str(c) for c in frame.columns])
        columns = [_xlsx_values(frame[c]) for c in frame.columns]
        for i, row in enumerate(zip(*columns, strict=True), start=1):
            ws.write_row(i, 0, row)
    finally:
        wb.close()


def _xlsx_values(values: pd.Series) -> list[object]:
    """A column as cell values: missing → blank, text neutralised, numbers as numbers."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        floats = values.astype("float64")
        return [None if v != v else v for v in floats.tolist()]
    return [None if _isna(v) else neutralise(v if isinstance(v, str) else str(v))
            for v in values.tolist()]


def _isna(value: object) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def prepend_bom(path: Path) -> None:
    """Rewrite ``path`` with a UTF-8 byte-order mark in front (so Excel reads UTF-8)."""
    tmp = path.with_name(path.name + ".bom")
    with open(tmp, "wb") as dst, open(path, "rb") as src:
        dst.write(BOM)
        dst.flush()
        size = os.fstat(src.fileno()).st_size
        offset = 0
        while offset < size:
            sent = os.sendfile(dst.fileno(), src.fileno(), offset, size - offset)
            if sent == 0:
                break
            offset += sent
    os.replace(tmp, path)
