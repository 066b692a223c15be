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
import datetime as dt
import errno
import math
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from oacinsight.errors import InputFileError, OutputError
from oacinsight.reader import (
    ReadLimits,
    ReadReport,
    check_parquet,
    check_xlsx,
    dedupe_columns,
    first_record,
    normalise_csv,
    scan_text,
    sniff_delimiter,
    text_sample,
)

INPUT_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".parquet")
OUTPUT_SUFFIXES = (".csv", ".xlsx", ".parquet")
XLSX_MAX_ROWS = 1_048_575
XLSX_MAX_COLUMNS = 16_384
XLSX_MAX_CELL = 32_767
XLSX_CUT = "…[cut]"
FORMULA_START = "=+-@\t\r"
#: A plain decimal number (``-1.5``, ``+2e3``): the only text starting ``-``/``+`` left as is.
PLAIN_NUMBER_REGEX = r"[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)([eE][+-]?[0-9]+)?"
_PLAIN_NUMBER = re.compile(PLAIN_NUMBER_REGEX)
BOM = codecs.BOM_UTF8

__all__ = [
    "InputSource",
    "ReadLimits",
    "ReadReport",
    "dedupe_columns",
    "neutralise",
    "open_input",
    "output_format",
    "read_xlsx",
    "sniff_delimiter",
    "write_workbook",
    "write_xlsx",
]


@dataclass(frozen=True)
class InputSource:
    """A user file made ready for DuckDB: a UTF-8 CSV, a Parquet file or a DataFrame.

    For a CSV, ``header`` holds the column names; ``normalised`` marks a clean copy made by
    :func:`oacinsight.reader.normalise_csv` (no header row, short rows to be padded);
    ``expected_rows`` is the record count when it is known independently, and
    ``fallback`` makes the normalised copy when DuckDB's strict reader refuses the file.
    """

    name: str
    format: str  # csv | parquet | frame
    path: Path | None = None
    delimiter: str = ","
    encoding: str = "utf-8"
    frame: pd.DataFrame | None = None
    header: tuple[str, ...] | None = None
    normalised: bool = False
    expected_rows: int | None = None
    max_line_bytes: int | None = None
    report: ReadReport = field(default_factory=ReadReport)
    fallback: Callable[[], InputSource] | None = None


@contextmanager
def open_input(
    path: str | os.PathLike[str], *, name: str | None = None, limits: ReadLimits | None = None
) -> Iterator[InputSource]:
    """Make a user's file readable by DuckDB; clean up any temporary copy afterwards.

    Parameters
    ----------
    path : path
        CSV (any common encoding, delimiter and line end), XLSX or Parquet.
    name : str, optional
        The name to use in messages (default: the file's name), e.g. an upload's.
    limits : ReadLimits, optional
        Row and unpacked-size limits for XLSX and Parquet (default: from the environment).

    Raises
    ------
    InputFileError
        Missing, empty, binary, too large or unsupported files, with a one-line reason.
    """
    p = Path(path)
    label = name or p.name
    _check_exists(p, label)
    limits = limits or ReadLimits.from_env()
    suffix = p.suffix.lower()
    if suffix == ".parquet":
        check_parquet(p, label, limits)
        yield InputSource(label, "parquet", p)
    elif suffix == ".xlsx":
        report = ReadReport(encoding="xlsx")
        frame = read_xlsx(p, name=label, limits=limits, report=report)
        yield InputSource(label, "frame", p, frame=frame, report=report)
    elif suffix in (".csv", ".txt", ".tsv", ""):
        with tempfile.TemporaryDirectory(prefix="oacinsight-") as tmp:
            yield _csv_source(p, label, Path(tmp))
    else:
        raise InputFileError(f"{label}: unsupported file type {suffix!r}; use CSV, XLSX or Parquet")


def _check_exists(p: Path, label: str) -> None:
    try:
        if not p.exists():
            raise InputFileError(f"{label}: no such file; check the name and folder")
        if p.is_dir():
            raise InputFileError(f"{label}: is a folder, not a file")
        if p.stat().st_size == 0:
            raise InputFileError(f"{label}: the file is empty")
        with open(p, "rb"):
            pass
    except OSError as exc:
        from oacinsight.outputs import describe_os_error

        reason = (
            "the name is too long"
            if exc.errno == errno.ENAMETOOLONG
            else "cannot be opened: " + describe_os_error(exc).split(";")[0]
        )
        raise InputFileError(f"{label[:80]}: {reason}") from exc


def _csv_source(p: Path, label: str, tmp: Path) -> InputSource:
    """The file itself when clean UTF-8 (fast path), else a normalised UTF-8 copy."""
    scan = scan_text(p, label)
    sample = text_sample(p, "utf-8-sig" if scan.codec == "utf-8" else scan.codec)
    if not sample.strip():
        raise InputFileError(f"{label}: the file is empty")
    delimiter = sniff_delimiter(sample)
    report = ReadReport(encoding=scan.label)  # one report, filled by whichever path reads

    def normalised() -> InputSource:
        names, rows, longest = normalise_csv(p, label, scan, delimiter, tmp / "in.csv", report)
        return InputSource(
            label,
            "csv",
            tmp / "in.csv",
            ",",
            scan.label,
            header=tuple(names),
            normalised=True,
            expected_rows=rows,
            max_line_bytes=longest,
            report=report,
        )

    header = first_record(sample, delimiter)
    if (
        not scan.clean_utf8
        or scan.blank
        or header is None
        or (scan.line_ends > 1 and not scan.quotes)
    ):
        return normalised()
    expected = None if scan.quotes else scan.lines() - 1
    return InputSource(
        label,
        "csv",
        p,
        delimiter,
        "utf-8",
        header=tuple(dedupe_columns(header)),
        expected_rows=expected,
        report=report,
        fallback=normalised,
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


def read_xlsx(
    path: Path,
    *,
    name: str | None = None,
    limits: ReadLimits | None = None,
    report: ReadReport | None = None,
) -> pd.DataFrame:
    """The first sheet of a workbook, every cell as text (blank cells as missing).

    The first non-empty row is the header; blank rows are skipped and counted in
    ``report``; limits are checked before the sheet is expanded in memory.
    """
    from python_calamine import CalamineWorkbook

    label = name or path.name
    report = report if report is not None else ReadReport(encoding="xlsx")
    check_xlsx(path, label, limits or ReadLimits.from_env())
    try:
        wb = CalamineWorkbook.from_path(str(path))
        report.sheets, report.sheet = len(wb.sheet_names), wb.sheet_names[0]
        sheet = wb.get_sheet_by_index(0)
        rows = sheet.to_python(skip_empty_area=True)
        report.merged_cells = len(sheet.merged_cell_ranges or [])
    except Exception as exc:  # the reader raises many types for broken workbooks
        raise InputFileError(
            f"{label}: not a readable XLSX workbook (damaged, protected "
            "or not a workbook); open it in Excel and save it again"
        ) from exc
    if not rows:
        raise InputFileError(f"{label}: the first sheet is empty")
    first = (sheet.start or (0, 0))[0]
    while len(rows) > report.title_rows + 1 and _is_title(
        rows[report.title_rows], first + report.title_rows, sheet.merged_cell_ranges or []
    ):
        report.title_rows += 1
    rows = rows[report.title_rows :]
    header = dedupe_columns([_cell_text(v) or "" for v in rows[0]])
    data = [[_cell_text(v) for v in r] for r in rows[1:]]
    kept = [r for r in data if any(v is not None for v in r)]
    report.blank_lines, report.records = len(data) - len(kept), len(kept)
    return pd.DataFrame(kept, columns=header, dtype=object)


def _is_title(row: list[Any], r: int, merged: list[Any]) -> bool:
    """A title above the header: one value, in cells merged across several columns."""
    filled = [v for v in row if v not in (None, "")]
    return (
        len(row) > 1
        and len(filled) == 1
        and any(a[0] <= r <= b[0] and b[1] > a[1] for a, b in merged)
    )


def _cell_text(value: object) -> str | None:
    """A workbook cell as the text a user sees (``1`` not ``1.0``; dates ISO)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value)


def neutralise(value: object) -> object:
    """Prefix a text cell Excel would run as a formula with an apostrophe.

    Text starting ``=``, ``+``, ``-``, ``@``, tab or carriage return is prefixed unless it
    is a plain decimal number (``-1.5`` stays; ``-inf``, ``-1_000``, ``=1+1`` do not).
    """
    if (
        isinstance(value, str)
        and value
        and value[0] in FORMULA_START
        and not (_PLAIN_NUMBER.fullmatch(value))
    ):
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


def write_xlsx(frame: pd.DataFrame, path: Path, sheet: str = "data") -> list[str]:
    """One frame as a one-sheet workbook (:func:`write_workbook`); returns its notes."""
    return write_workbook(path, {sheet: frame})


def write_workbook(
    path: Path,
    sheets: dict[str, pd.DataFrame],
    *,
    notes: list[tuple[str, Any]] | None = None,
    notes_sheet: str = "about",
) -> list[str]:
    """Write frames as the sheets of one workbook, in order: the one XLSX writer.

    Streamed (constant memory, so a million-row sheet fits); sheet names cut to 31
    characters; header and text cells neutralised against formulas (also when the
    caller already did: it is idempotent); numbers stay numbers, NaN is a blank cell
    and infinity the text ``inf``; true/false stay booleans; a text cell over Excel's
    32,767 characters is cut (ending ``…[cut]``) and counted in the returned notes.
    Columns are as wide as their header and first values (up to 60 characters).
    ``notes`` (``item, value`` pairs) become a last sheet ``notes_sheet``.
    """
    for frame in sheets.values():
        if len(frame) > XLSX_MAX_ROWS or frame.shape[1] > XLSX_MAX_COLUMNS:
            raise OutputError(
                f"{path.name}: {len(frame):,} rows × {frame.shape[1]:,} columns do not fit "
                "in one Excel sheet; write .csv or .parquet"
            )
    import xlsxwriter

    options = {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    wb = xlsxwriter.Workbook(str(path), {**options, "nan_inf_to_errors": False})
    cut = [0]
    try:
        for name, frame in sheets.items():
            _write_sheet(wb.add_worksheet(str(name)[:31]), frame, cut)
        if notes is not None:
            about = pd.DataFrame(notes, columns=["item", "value"], dtype=object)
            _write_sheet(wb.add_worksheet(notes_sheet[:31]), about, cut)
    finally:
        wb.close()
    if not cut[0]:
        return []
    return [
        f"{cut[0]:,} cell{'' if cut[0] == 1 else 's'} longer than Excel's "
        f"{XLSX_MAX_CELL:,} characters cut in {path.name} (ending {XLSX_CUT!r}); "
        "write .csv or .parquet to keep them whole"
    ]


def _write_sheet(ws: Any, frame: pd.DataFrame, cut: list[int]) -> None:
    header = [_fit(neutralise(str(c)), cut) for c in frame.columns]
    columns = [_xlsx_values(frame.iloc[:, i], cut) for i in range(frame.shape[1])]
    for i, (head, values) in enumerate(zip(header, columns, strict=True)):
        sample = [len(str(v)) for v in values[:200] if v is not None]
        ws.set_column(i, i, min(60, max([len(str(head)), *sample, 6]) + 2))
    ws.write_row(0, 0, header)
    for i, row in enumerate(zip(*columns, strict=True), start=1):
        ws.write_row(i, 0, row)


def _fit(value: object, cut: list[int]) -> object:
    if isinstance(value, str) and len(value) > XLSX_MAX_CELL:
        cut[0] += 1
        return value[: XLSX_MAX_CELL - len(XLSX_CUT)] + XLSX_CUT
    return value


def _xlsx_values(values: pd.Series, cut: list[int]) -> list[object]:
    """A column as cell values: missing → blank, text neutralised, numbers as numbers."""
    if pd.api.types.is_bool_dtype(values):
        return [None if _isna(v) else bool(v) for v in values.tolist()]
    if pd.api.types.is_numeric_dtype(values):
        floats = values.astype("float64")
        return [
            None if v != v else (v if math.isfinite(v) else neutralise(str(v)))
            for v in floats.tolist()
        ]
    return [_xlsx_cell(v, cut) for v in values.tolist()]


def _xlsx_cell(value: object, cut: list[int]) -> object:
    """One cell of a text (object) column: numbers and booleans kept, the rest as text."""
    if _isna(value):
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | float | np.integer | np.floating):
        number = float(value)
        return number if math.isfinite(number) else str(number)
    return _fit(neutralise(value if isinstance(value, str) else str(value)), cut)


def _isna(value: Any) -> bool:
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
