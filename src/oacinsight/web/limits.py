"""Limits on what an upload holds once unpacked, checked before it is read.

A small XLSX or Parquet file can unpack to far more than its size (an XLSX is a zip
of XML; a Parquet file compresses and dictionary-encodes), so the web app checks what
the file says it holds before any reader opens it: for XLSX the unpacked size, the
packing ratio and each sheet's declared rows; for Parquet the row count in its footer.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from oacinsight.errors import InputFileError

#: Rows an Excel sheet can hold (Excel's own limit).
EXCEL_ROWS = 1_048_576
#: Rows accepted from a Parquet upload.
MAX_ROWS = 5_000_000
#: Unpacked XLSX size allowed, as a multiple of the upload limit.
UNZIPPED_FACTOR = 5
#: Above this unpacked size, an XLSX packed more than :data:`MAX_RATIO` times is refused.
RATIO_FLOOR = 100_000_000
MAX_RATIO = 100
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="[A-Z]*\d*:?[A-Z]*(\d+)"')


def check_contents(
    path: Path, name: str, *, max_upload_bytes: int, max_rows: int | None = None
) -> None:
    """Refuse an XLSX or Parquet upload that would unpack to more than the limits.

    Parameters
    ----------
    path : Path
        The saved upload.
    name : str
        The file name the user gave (for the message).
    max_upload_bytes : int
        The upload limit; an XLSX may unpack to :data:`UNZIPPED_FACTOR` times it.
    max_rows : int, optional
        Rows accepted from a Parquet file (default :data:`MAX_ROWS`).

    Raises
    ------
    InputFileError
        One line naming the file, what it holds and the limit.
    """
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        _check_xlsx(path, name, max_upload_bytes * UNZIPPED_FACTOR)
    elif suffix == ".parquet":
        _check_parquet(path, name, MAX_ROWS if max_rows is None else max_rows)


def _check_xlsx(path: Path, name: str, max_unzipped: int) -> None:
    try:
        with zipfile.ZipFile(path) as book:
            infos = book.infolist()
            unzipped = sum(i.file_size for i in infos)
            packed = max(1, sum(i.compress_size for i in infos))
            if unzipped > max_unzipped or (
                unzipped > RATIO_FLOOR and unzipped > MAX_RATIO * packed
            ):
                raise InputFileError(
                    f"{name}: the workbook unpacks to {unzipped / 1e6:,.0f} MB, more than "
                    f"the {max_unzipped / 1e6:,.0f} MB the app reads from an upload of "
                    "this size (save it as CSV, or start the app with a larger "
                    "--max-upload-mb)"
                )
            for info in infos:
                if re.fullmatch(r"xl/worksheets/[^/]+\.xml", info.filename):
                    _check_sheet_rows(book, info, name)
    except zipfile.BadZipFile:
        return  # not a zip: the reader says so in its own words


def _check_sheet_rows(book: zipfile.ZipFile, info: zipfile.ZipInfo, name: str) -> None:
    with book.open(info) as sheet:
        head = sheet.read(65_536)
    found = _DIMENSION.search(head)
    rows = int(found.group(1)) if found else 0
    if rows > EXCEL_ROWS:
        raise InputFileError(
            f"{name}: a sheet declares {rows:,} rows, more than Excel allows "
            f"({EXCEL_ROWS:,}); save the data as CSV or Parquet"
        )


def _check_parquet(path: Path, name: str, max_rows: int) -> None:
    import pyarrow.parquet as pq

    try:
        rows = pq.ParquetFile(path).metadata.num_rows
    except Exception:  # not Parquet: the reader says so in its own words
        return
    if rows > max_rows:
        raise InputFileError(
            f"{name}: {rows:,} rows, more than the {max_rows:,} the web app "
            "accepts; use 'oacinsight match' on the command line"
        )
