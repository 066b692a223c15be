"""Reading a user's file without losing a row: encoding, line ends, ragged rows, limits.

One reader serves every command (``match``, ``profile``, ``schema --validate``, the web
upload).  What it guarantees (see docs/reliability.md):

- **Encoding detected, not guessed.** Byte-order marks (UTF-8, UTF-16, UTF-32), UTF-16/32
  without a mark (by their zero bytes), UTF-8; a UTF-8 file with a few invalid bytes stays
  UTF-8 and the bad bytes are replaced by ``�`` and counted; a file with no valid UTF-8
  multi-byte character and invalid bytes is Windows-1252 (what Excel saves).
- **Every record becomes a row.** Clean files go straight to DuckDB (fast); anything else
  (mixed line ends, blank lines, rows with fewer or more fields than the header, other
  encodings) is rewritten by Python's ``csv`` module into a clean UTF-8 copy first: short
  rows are padded, extra fields kept in added columns ``field_N``, blank lines skipped
  (in a one-column file a blank line is a record with an empty value), and each of these
  counted in the :class:`ReadReport`.
- **Every column kept** whatever its name (blank names become ``column_N``).
- **Limits** on XLSX and Parquet (rows, unpacked size) checked while reading, before the
  file is expanded in memory.
"""

from __future__ import annotations

import codecs
import csv
import functools
import io
import os
import threading
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from oacinsight.errors import InputFileError, InputLimitError

CHUNK = 1 << 20
SAMPLE = 1 << 16
XLSX_SHEET_ROWS = 1_048_576  # Excel's own limit
DEFAULT_MAX_ROWS = 50_000_000
DEFAULT_MAX_UNPACKED_MB = 4096
REPLACE = "oacinsight-count-replace"

_MAGIC = {
    b"PK\x03\x04": "a zip file or an Excel workbook (.xlsx); save it as CSV or name it .xlsx",
    b"\xd0\xcf\x11\xe0": "an old Excel .xls workbook; save it as .xlsx or .csv",
    b"PAR1": "a Parquet file; name it .parquet",
    b"%PDF": "a PDF document, not a table",
    b"\x89PNG": "a PNG image, not a table",
    b"\xff\xd8\xff": "a JPEG image, not a table",
    b"\x1f\x8b": "a gzip-compressed file; unpack it first",
    b"GIF8": "a GIF image, not a table",
}


@dataclass
class ReadLimits:
    """Largest inputs accepted (XLSX and Parquet; a CSV streams, so has no row limit).

    ``OACINSIGHT_MAX_ROWS`` and ``OACINSIGHT_MAX_UNPACKED_MB`` change the defaults.
    """

    max_rows: int = DEFAULT_MAX_ROWS
    max_unpacked_bytes: int = DEFAULT_MAX_UNPACKED_MB << 20

    @classmethod
    def from_env(cls) -> ReadLimits:
        try:
            rows = int(os.environ.get("OACINSIGHT_MAX_ROWS", DEFAULT_MAX_ROWS))
            mb = float(os.environ.get("OACINSIGHT_MAX_UNPACKED_MB", DEFAULT_MAX_UNPACKED_MB))
        except ValueError as exc:
            raise InputFileError(
                "OACINSIGHT_MAX_ROWS and OACINSIGHT_MAX_UNPACKED_MB must be numbers"
            ) from exc
        return cls(max_rows=rows, max_unpacked_bytes=int(mb * (1 << 20)))


@dataclass
class ReadReport:
    """What reading a file found: encoding, replaced bytes, and the row account."""

    encoding: str = "utf-8"
    replaced_bytes: int = 0
    records: int | None = None
    blank_lines: int = 0
    short_rows: int = 0
    long_rows: int = 0
    extra_columns: list[str] = field(default_factory=list)
    first_ragged_line: int | None = None
    lenient_quotes: bool = False
    sheet: str | None = None
    sheets: int = 0
    merged_cells: int = 0
    title_rows: int = 0

    def notes(self) -> list[str]:
        """One line per thing the user should know about how the file was read."""
        out = []
        if self.replaced_bytes:
            out.append(
                f"{self.replaced_bytes:,} byte{_s(self.replaced_bytes)} that are not "
                f"valid {self.encoding} replaced by '\ufffd'"
            )
        if self.blank_lines:
            out.append(
                f"{self.blank_lines:,} blank line{_s(self.blank_lines)} skipped (not records)"
            )
        where = f" (first on line {self.first_ragged_line})" if self.first_ragged_line else ""
        if self.short_rows:
            out.append(
                f"{self.short_rows:,} row{_s(self.short_rows)} with fewer fields than "
                f"the header, padded with blanks{where}"
            )
        if self.long_rows:
            out.append(
                f"{self.long_rows:,} row{_s(self.long_rows)} with more fields than the "
                f"header: extra values kept in {', '.join(self.extra_columns)}{where}"
            )
        if self.lenient_quotes:
            out.append("some quotes were not where CSV expects them; read as plain text")
        if self.sheets > 1:
            out.append(f"the workbook has {self.sheets} sheets; read the first, '{self.sheet}'")
        if self.title_rows:
            out.append(
                f"{self.title_rows} title row{_s(self.title_rows)} (merged cells) above "
                "the header skipped"
            )
        if self.merged_cells:
            out.append(
                f"{self.merged_cells} merged cell range{_s(self.merged_cells)}: "
                "values sit in the first cell of each"
            )
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "encoding": self.encoding,
            "records": self.records,
            "replaced_bytes": self.replaced_bytes,
            "blank_lines_skipped": self.blank_lines,
            "short_rows_padded": self.short_rows,
            "long_rows": self.long_rows,
            "extra_columns": list(self.extra_columns),
            "notes": self.notes(),
        }


def _s(n: int) -> str:
    return "" if n == 1 else "s"


# -- encoding -----------------------------------------------------------------------------
class _Counter(threading.local):
    n = 0  # bad bytes
    calls = 0  # replacement characters written


_COUNTER = _Counter()


def _count_replace(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    _COUNTER.n += exc.end - exc.start
    _COUNTER.calls += 1
    return "\ufffd", exc.end


@functools.cache
def replace_handler() -> str:
    """The name of the codec error handler that replaces bad bytes and counts them."""
    codecs.register_error(REPLACE, _count_replace)
    return REPLACE


@dataclass
class Scan:
    """What one streamed pass over a text file found."""

    codec: str
    label: str
    bad: int = 0
    quotes: int = 0
    crlf: int = 0
    lf: int = 0
    cr: int = 0
    blank: bool = False
    ends_with_newline: bool = True

    @property
    def clean_utf8(self) -> bool:
        return self.codec in ("utf-8", "utf-8-sig") and self.bad == 0

    @property
    def line_ends(self) -> int:
        return sum(1 for n in (self.crlf, self.lf, self.cr) if n)

    def lines(self) -> int:
        n = self.crlf + self.lf + self.cr
        return n + (0 if self.ends_with_newline else 1)


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8-sig", "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16", "UTF-16"),
)


def sniff_bytes(path: Path, name: str) -> tuple[str, str] | None:
    """``(codec, label)`` from a byte-order mark or zero-byte pattern; None for 8-bit
    text.  Raises for binary files, naming what they look like."""
    with open(path, "rb") as fh:
        head = fh.read(SAMPLE)
    for bom, codec, label in _BOMS:
        if head.startswith(bom):
            return codec, label
    for magic, what in _MAGIC.items():
        if head.startswith(magic):
            raise InputFileError(f"{name}: this is {what}")
    zeros = head.count(0)
    if zeros:
        found = _wide_text(head)
        if found:
            return found
    controls = sum(head.count(bytes([b])) for b in (*range(0, 9), *range(14, 32)))
    if zeros > max(8, len(head) // 100) or controls > max(16, len(head) // 10):
        raise InputFileError(
            f"{name}: holds binary data, not text; save it from its program "
            "as CSV (or XLSX) and try again"
        )
    return None


def _wide_text(head: bytes) -> tuple[str, str] | None:
    """UTF-16 or UTF-32 without a byte-order mark, told by where the zero bytes fall."""
    quads = [head[i::4].count(0) / max(1, len(head[i::4])) for i in range(4)]
    pairs = [head[i::2].count(0) / max(1, len(head[i::2])) for i in range(2)]
    if quads[1] > 0.9 and quads[2] > 0.9 and quads[3] > 0.9 and quads[0] < 0.5:
        return "utf-32-le", "UTF-32"
    if quads[0] > 0.9 and quads[1] > 0.9 and quads[2] > 0.9 and quads[3] < 0.5:
        return "utf-32-be", "UTF-32"
    if pairs[1] > 0.6 and pairs[0] < 0.2:
        return "utf-16-le", "UTF-16"
    if pairs[0] > 0.6 and pairs[1] < 0.2:
        return "utf-16-be", "UTF-16"
    return None


def scan_text(path: Path, name: str) -> Scan:
    """One streamed pass: the encoding, and the line ends, quotes and blank lines."""
    sniffed = sniff_bytes(path, name)
    if sniffed is not None and sniffed[0] != "utf-8-sig":
        return Scan(*sniffed)
    scan = Scan(sniffed[0] if sniffed else "utf-8", "utf-8")
    decoder = codecs.getincrementaldecoder("utf-8")(errors=replace_handler())
    _COUNTER.n = _COUNTER.calls = 0
    extra = 0  # bytes beyond one per character: > 0 when valid multi-byte UTF-8 exists
    tail = b""
    with open(path, "rb") as fh:
        first = True
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            bad, calls = _COUNTER.n, _COUNTER.calls
            text = decoder.decode(chunk)
            extra += (len(chunk) - (_COUNTER.n - bad)) - (len(text) - (_COUNTER.calls - calls))
            _count_lines(scan, tail + chunk, len(tail), first)
            first = False
            tail = chunk[-3:]
        decoder.decode(b"", final=True)
    scan.bad = _COUNTER.n
    scan.ends_with_newline = tail.endswith((b"\n", b"\r")) or not tail
    if scan.bad and extra < scan.bad:
        return Scan("cp1252", "windows-1252")
    return scan


def _count_lines(scan: Scan, data: bytes, carry: int, first: bool) -> None:
    body = data[carry:]
    crlf = data.count(b"\r\n") - data[:carry].count(b"\r\n")
    scan.crlf += crlf
    scan.lf += body.count(b"\n") - crlf
    scan.cr += body.count(b"\r") - crlf
    scan.quotes += body.count(b'"')
    if (
        (first and body[:1] in (b"\n", b"\r"))
        or b"\n\n" in data
        or b"\r\r" in data
        or (b"\r\n\r\n" in data)
    ):
        scan.blank = True


# -- CSV ----------------------------------------------------------------------------------
def sniff_delimiter(sample: str) -> str:
    """Comma, semicolon, tab or pipe, from a text sample."""
    lines = [ln for ln in sample.splitlines() if ln.strip()]
    header = lines[0] if lines else ""
    try:
        return csv.Sniffer().sniff("\n".join(lines[:200]), delimiters=",;\t|").delimiter
    except csv.Error:
        counts = {d: header.count(d) for d in ",;\t|"}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ","


def text_sample(path: Path, codec: str) -> str:
    with open(path, encoding=codec, errors="replace", newline="") as fh:
        return fh.read(SAMPLE)


def first_record(sample: str, delimiter: str) -> list[str] | None:
    """The header: the first record of the sample (None when it starts blank or breaks)."""
    try:
        row = next(
            csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter, strict=True), None
        )
    except csv.Error:
        return None
    return row or None


def normalise_csv(
    path: Path, name: str, scan: Scan, delimiter: str, out: Path, report: ReadReport
) -> tuple[list[str], int, int]:
    """Rewrite a CSV as clean UTF-8 (``,``, ``\\n``, no header); return the column names,
    the number of records and the longest record in bytes."""
    csv.field_size_limit(2**31 - 1)  # cells of any size (a C long on every platform)
    for strict in (True, False):
        try:
            return _normalise(path, name, scan, delimiter, out, report, strict)
        except csv.Error as exc:
            if not strict or "unexpected end of data" in str(exc):
                raise InputFileError(
                    f'{name}: a quote (") opened near line '
                    f"{_line_of(exc)} is never closed, so the rest of the "
                    "file would run into one cell; fix that quote and try "
                    "again"
                ) from exc
            report.lenient_quotes = True
    raise AssertionError("unreachable")  # pragma: no cover


def _line_of(exc: csv.Error) -> str:
    return str(getattr(exc, "line", "?"))


def _normalise(
    path: Path, name: str, scan: Scan, delimiter: str, out: Path, report: ReadReport, strict: bool
) -> tuple[list[str], int, int]:
    _COUNTER.n = 0
    codec = "utf-8-sig" if scan.codec in ("utf-8", "utf-8-sig") else scan.codec
    errors = replace_handler()
    blank = short = long = count = longest = 0
    first_bad = None
    header: list[str] | None = None
    maxw = 0
    with (
        open(path, encoding=codec, errors=errors, newline="") as src,
        open(out, "w", encoding="utf-8", newline="") as dst,
    ):
        reader = csv.reader(src, delimiter=delimiter, strict=strict)
        writer = csv.writer(dst, lineterminator="\n")
        start = 1
        try:
            for row in reader:
                if not row and (header is None or len(header) > 1):
                    blank += 1  # a blank line in a one-column file is an empty value
                elif header is None:
                    header = row
                    maxw = len(row)
                else:
                    row = row or [""]
                    n = len(row)
                    if n != len(header):
                        short += n < len(header)
                        long += n > len(header)
                        first_bad = first_bad or start
                        maxw = max(maxw, n)
                    writer.writerow(row)
                    count += 1
                    longest = max(longest, sum(map(len, row)) + n)
                start = reader.line_num + 1
        except csv.Error as exc:
            exc.line = start  # type: ignore[attr-defined]
            raise
    if header is None:
        raise InputFileError(f"{name}: the file has no header row (only blank lines)")
    width = len(header)
    extras = [f"field_{i + 1}" for i in range(width, maxw)]
    report.encoding, report.replaced_bytes = scan.label, _COUNTER.n
    report.records, report.blank_lines = count, blank
    report.short_rows, report.long_rows, report.first_ragged_line = short, long, first_bad
    names = dedupe_columns(header + extras)
    report.extra_columns = names[width:]
    return names, count, longest * 4


def dedupe_columns(columns: list[str]) -> list[str]:
    """Unique column names the way DuckDB makes them: ``id, id`` → ``id, id_1``; a blank
    name becomes ``column_N`` (its position)."""
    seen: dict[str, int] = {}
    out = []
    for i, c in enumerate(columns):
        name = str(c).strip() or f"column_{i + 1}"
        if name in seen:
            seen[name] += 1
            name = f"{name}_{seen[name]}"
            while name in seen:
                name += "_"
        seen.setdefault(name, 0)
        out.append(name)
    return out


# -- XLSX and Parquet ---------------------------------------------------------------------
def check_xlsx(path: Path, name: str, limits: ReadLimits) -> None:
    """Refuse a workbook whose sheets hold more rows or unpack to more bytes than allowed,
    counting while unpacking (so a small file that expands hugely stops early)."""
    max_rows = min(limits.max_rows, XLSX_SHEET_ROWS)
    try:
        with zipfile.ZipFile(path) as zf:
            total = 0
            for info in zf.infolist():
                if not info.filename.startswith("xl/"):
                    continue
                is_sheet = info.filename.startswith("xl/worksheets/")
                rows, size = _stream_count(zf, info, limits.max_unpacked_bytes - total, is_sheet)
                total += size
                if total > limits.max_unpacked_bytes:
                    raise InputLimitError(
                        f"{name}: unpacks to more than {limits.max_unpacked_bytes >> 20:,} MB; "
                        "save it as CSV (or raise OACINSIGHT_MAX_UNPACKED_MB)"
                    )
                if rows > max_rows + 1:
                    raise InputLimitError(
                        f"{name}: a sheet holds more than {max_rows:,} rows (the limit"
                        f"{' Excel allows' if max_rows == XLSX_SHEET_ROWS else ''}); save it "
                        "as CSV or Parquet (or raise OACINSIGHT_MAX_ROWS)"
                    )
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
        raise InputFileError(
            f"{name}: not a readable XLSX workbook (damaged or not a "
            "workbook); open it in Excel and save it again"
        ) from exc


def _stream_count(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int, is_sheet: bool
) -> tuple[int, int]:
    rows = size = 0
    tail = b""
    with zf.open(info) as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            size += len(chunk)
            if size > budget:
                return rows, size
            if is_sheet:
                data = tail + chunk
                rows += (
                    data.count(b"<row ")
                    + data.count(b"<row>")
                    - (tail.count(b"<row ") + tail.count(b"<row>"))
                )
                tail = chunk[-5:]
    return rows, size


def check_parquet(path: Path, name: str, limits: ReadLimits) -> None:
    """Refuse a Parquet file larger than the limits (from its footer, before reading)."""
    import pyarrow.parquet as pq

    try:
        meta = pq.ParquetFile(path).metadata
    except Exception as exc:  # pyarrow raises several types for damaged files
        raise InputFileError(
            f"{name}: not a readable Parquet file (damaged or not "
            "Parquet); write it again from its program"
        ) from exc
    unpacked = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    if meta.num_rows > limits.max_rows:
        raise InputLimitError(
            f"{name}: {meta.num_rows:,} rows is more than the limit of "
            f"{limits.max_rows:,} (raise OACINSIGHT_MAX_ROWS)"
        )
    if unpacked > limits.max_unpacked_bytes:
        raise InputLimitError(
            f"{name}: unpacks to {unpacked >> 20:,} MB, more than the "
            f"limit of {limits.max_unpacked_bytes >> 20:,} MB (raise "
            "OACINSIGHT_MAX_UNPACKED_MB)"
        )
