"""A generated corpus of malformed and awkward customer files, with the known truth.

Each :class:`Case` writes one input file and says what must happen: ``rows`` (exit 0, that
many rows out, every one accounted for) or ``error`` (exit 2, one line naming the file).
The tiny store (tests/tiny.py) knows YY1 1AA, YY1 1AB and YY2 1AA.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

HEADER = ["id", "postcode", "name"]
ROWS = [
    ["1", "YY1 1AA", "Zoë"],
    ["2", "yy2 1aa", "Café €5"],
    ["3", "", "Ann"],
    ["4", "NOT A PC", 'O\'Brien, J "Jo"'],
]
STATUSES = ["matched", "matched", "missing", "invalid_format"]
LATIN_ROWS = [[*r[:2], r[2].replace("€", "EUR")] for r in ROWS]


@dataclass
class Case:
    """One corpus file and the truth about it."""

    id: str
    suffix: str
    write: Callable[[Path], None]
    rows: int | None = None
    error: str | None = None  # a part of the one-line message (exit 2)
    names: list[str] | None = None  # expected ``name`` column, in order
    statuses: list[str] | None = None
    columns: list[str] | None = None  # expected input columns, in order
    report: dict[str, object] = field(default_factory=dict)  # expected report["reading"]
    env: dict[str, str] = field(default_factory=dict)
    out: str = ".csv"  # output suffix


def csv_text(
    rows: list[list[str]], delimiter: str = ",", eol: str = "\n", header: list[str] | None = None
) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator=eol)
    w.writerow(HEADER if header is None else header)
    w.writerows(rows)
    return buf.getvalue()


def _bytes(data: bytes) -> Callable[[Path], None]:
    return lambda p: p.write_bytes(data)


ENCODINGS = {
    "utf-8": lambda t: t.encode("utf-8"),
    "utf-8-bom": lambda t: codecs.BOM_UTF8 + t.encode("utf-8"),
    "utf-16-bom-le": lambda t: t.encode("utf-16"),
    "utf-16-bom-be": lambda t: codecs.BOM_UTF16_BE + t.encode("utf-16-be"),
    "utf-16-le": lambda t: t.encode("utf-16-le"),
    "utf-16-be": lambda t: t.encode("utf-16-be"),
    "utf-32-bom": lambda t: t.encode("utf-32"),
    "utf-32-le": lambda t: t.encode("utf-32-le"),
    "cp1252": lambda t: t.encode("cp1252"),
    "utf-8-bad-byte": lambda t: t.encode("utf-8").replace(b"Ann", b"A\xffnn"),
}
EOLS = {"lf": "\n", "crlf": "\r\n", "cr": "\r"}
DELIMITERS = {"comma": ",", "semicolon": ";", "tab": "\t", "pipe": "|"}


def encoding_cases() -> list[Case]:
    """Every encoding × line end × delimiter: 4 rows, accents intact."""
    cases = []
    for enc, encode in ENCODINGS.items():
        for eol_name, eol in EOLS.items():
            for d_name, d in DELIMITERS.items():
                data = encode(csv_text(ROWS, d, eol))
                names = [r[2] for r in ROWS]
                expect: dict[str, object] = {}
                if enc == "utf-8-bad-byte":
                    names[2] = "A\ufffdnn"
                    expect = {"replaced_bytes": 1, "encoding": "utf-8"}
                cases.append(
                    Case(
                        f"enc-{enc}-{eol_name}-{d_name}",
                        ".csv",
                        _bytes(data),
                        rows=4,
                        names=names,
                        statuses=STATUSES,
                        columns=HEADER,
                        report=expect,
                    )
                )
    return cases


def _structural() -> list[tuple[str, bytes, int | str, dict[str, object]]]:
    """(id, bytes, rows or error fragment, expected reading report)."""
    base = csv_text(ROWS).encode()
    return [
        ("mixed-crlf-lf", b"id,postcode\r\n1,YY1 1AA\n2,YY2 1AA\r\n3,x\n", 3, {}),
        ("mixed-cr-lf", b"id,postcode\n1,YY1 1AA\r2,YY2 1AA\n", 2, {}),
        ("mixed-all-three", b"id,postcode\r\n1,YY1 1AA\n2,YY2 1AA\r3,a\r\n", 3, {}),
        (
            "blank-lines-middle",
            b"id,postcode\n1,YY1 1AA\n\n2,YY2 1AA\n\n",
            2,
            {"blank_lines_skipped": 2},
        ),
        ("blank-lines-leading", b"\n\nid,postcode\n1,YY1 1AA\n", 1, {"blank_lines_skipped": 2}),
        (
            "blank-lines-crlf",
            b"id,postcode\r\n\r\n1,YY1 1AA\r\n\r\n\r\n",
            1,
            {"blank_lines_skipped": 3},
        ),
        ("one-column-blank-is-a-value", b"postcode\nYY1 1AA\n\nYY2 1AA\n", 3, {}),
        (
            "header-shorter-than-rows",
            b"id,postcode\n1,YY1 1AA,x\n2,YY2 1AA,y\n3,YY1 1AB,z\n",
            3,
            {"long_rows": 3, "extra_columns": ["field_3"]},
        ),
        (
            "header-shorter-some-rows",
            b"id,postcode\n1,YY1 1AA\n2,YY2 1AA,y,z\n3,YY1 1AB\n",
            3,
            {"long_rows": 1, "extra_columns": ["field_3", "field_4"]},
        ),
        (
            "short-rows",
            b"id,postcode,extra\n1,YY1 1AA\n2,YY2 1AA,x\n3\n",
            3,
            {"short_rows_padded": 2},
        ),
        (
            "whitespace-line",
            b"id,postcode\n1,YY1 1AA\n  \n2,YY2 1AA\n",
            3,
            {"short_rows_padded": 1},
        ),
        ("delimiter-only-line", b"id,postcode\n1,YY1 1AA\n,\n2,YY2 1AA\n", 3, {}),
        ("trailing-delimiters", b"id,postcode,\n1,YY1 1AA,\n2,YY2 1AA,\n", 2, {}),
        ("no-final-newline", b"id,postcode\n1,YY1 1AA\n2,YY2 1AA", 2, {}),
        ("quoted-newlines-lf", b'id,postcode,n\n1,YY1 1AA,"a\nb"\n2,YY2 1AA,"c\r\nd"\n', 2, {}),
        ("quoted-newlines-crlf", b'id,postcode,n\r\n1,YY1 1AA,"a\nb"\r\n2,YY2 1AA,c\r\n', 2, {}),
        ("quoted-blank-line-in-cell", b'id,postcode,n\n1,YY1 1AA,"a\n\nb"\n2,YY2 1AA,c\n', 2, {}),
        ("stray-quote-mid-field", b'id,postcode,n\n1,YY1 1AA,ab"c\n2,YY2 1AA,d\n', 2, {}),
        ("quote-then-text", b'id,postcode,n\n1,YY1 1AA,"ab"c\n2,YY2 1AA,d\n', 2, {}),
        ("unclosed-quote", b'id,postcode,n\n1,YY1 1AA,"abc\n2,YY2 1AA,d\n', "never closed", {}),
        ("unclosed-quote-header", b'id,"postcode\n1,YY1 1AA\n', "never closed", {}),
        ("doubled-quotes", b'id,postcode,n\n1,YY1 1AA,"say ""hi"""\n', 1, {}),
        ("duplicate-headers", b"id,postcode,id,id\n1,YY1 1AA,a,b\n", 1, {}),
        ("empty-header-names", b",postcode,,\n1,YY1 1AA,a,b\n", 1, {}),
        ("underscore-columns", b"_id,postcode,_laua_name,__x\n1,YY1 1AA,q,r\n", 1, {}),
        ("clashing-columns", b"oa21,postcode,match_status\nmine,YY1 1AA,s\n", 1, {}),
        ("header-only", b"id,postcode\n", "no data rows", {}),
        ("header-only-crlf", b"id,postcode\r\n", "no data rows", {}),
        ("empty-file", b"", "empty", {}),
        ("only-newlines", b"\n\n\n", "empty", {}),
        ("only-spaces", b"   \n  \n", "empty", {}),
        ("bom-only", codecs.BOM_UTF8, "empty", {}),
        ("utf16-bom-only", codecs.BOM_UTF16_LE, "empty", {}),
        ("no-postcode-column", b"id,name\n1,Ann\n", "no postcode column", {}),
        ("two-postcode-columns", b"a,pc1,pc2\n1,YY1 1AA,YY2 1AA\n", "several columns", {}),
        ("nul-in-cell", b"id,postcode,n\n1,YY1 1AA,a\x00b\n", 1, {}),
        ("control-chars", b"id,postcode,n\n1,YY1 1AA,a\x01\x02\x1b[31mb\n", 1, {}),
        ("emoji-rtl", "id,postcode,n\n1,YY1 1AA,😀 שלום ‮x\n".encode(), 1, {}),
        (
            "cp1252-undefined-bytes",
            b"id,postcode,n\n1,YY1 1AA,caf\xe9 \x81\x8d\n",
            1,
            {"encoding": "windows-1252", "replaced_bytes": 2},
        ),
        (
            "utf8-many-bad-bytes",
            "id,postcode,n\n1,YY1 1AA,Zoë\n".encode()
            + b"2,YY2 1AA,\xff\xfe"
            + "é".encode()
            + b"\n",
            2,
            {"encoding": "utf-8"},
        ),
        (
            "latin1-single-accent",
            b"id,postcode,n\n1,YY1 1AA,caf\xe9\n",
            1,
            {"encoding": "windows-1252"},
        ),
        ("semicolon-decimal-commas", b"id;postcode;amount\n1;YY1 1AA;1,5\n2;YY2 1AA;2,25\n", 2, {}),
        ("tab-with-commas", b"id\tpostcode\tn\n1\tYY1 1AA\ta, b\n", 1, {}),
        (
            "formula-header",
            b'=HYPERLINK("http://x"),postcode,@SUM(A1),+1,-inf\n1,YY1 1AA,a,b,c\n',
            1,
            {},
        ),
        (
            "formula-cells",
            b"id,postcode,n\n=1+1,YY1 1AA,-inf\n+cmd,YY2 1AA,-1_000\n"
            b"@x,YY1 1AB,\t=1\n-1.5,YY1 1AA,+2e3\n",
            4,
            {},
        ),
        ("long-header", ("x" * 5000 + ",postcode\n1,YY1 1AA\n").encode(), 1, {}),
        (
            "many-columns",
            (
                ",".join(f"c{i}" for i in range(1500))
                + ",postcode\n"
                + ",".join("v" for _ in range(1500))
                + ",YY1 1AA\n"
            ).encode(),
            1,
            {},
        ),
        (
            "huge-cell-3mb",
            b"id,postcode,n\n1,YY1 1AA," + b"x" * 3_000_000 + b"\n2,YY2 1AA,y\n",
            2,
            {},
        ),
        ("huge-quoted-cell", b'id,postcode,n\n1,YY1 1AA,"' + b"a,\n" * 400_000 + b'"\n', 1, {}),
        (
            "many-rows-60k",
            ("id,postcode\n" + "".join(f"{i},YY1 1AA\n" for i in range(60_000))).encode(),
            60_000,
            {},
        ),
        (
            "many-rows-ragged",
            (
                "id,postcode\n"
                + "".join(f"{i},YY1 1AA{',x' if i % 7 == 0 else ''}\n" for i in range(5_000))
            ).encode(),
            5_000,
            {"long_rows": 715},
        ),
        ("binary-random", bytes(range(256)) * 64, "binary", {}),
        ("binary-png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "PNG", {}),
        ("binary-pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", "PDF", {}),
        ("binary-xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500, ".xls", {}),
        ("binary-gzip", b"\x1f\x8b\x08\x00" + b"\x00" * 50, "gzip", {}),
        ("binary-zip-named-csv", _zip_bytes(), "zip", {}),
        ("binary-parquet-named-csv", b"PAR1" + b"\x00" * 40, "Parquet", {}),
        ("binary-nuls-in-text", b"id,postcode\n" + b"\x00\x01\x02\x03" * 300, "binary", {}),
        ("escape-sequences", b'id,postcode,n\n1,YY1 1AA,\\"x\\n\n', 1, {}),
        ("cr-inside-unquoted", b"id,postcode,n\n1,YY1 1AA,a\rb\n2,YY2 1AA,c\n", None, {}),
        ("base-lf", base, 4, {}),
        ("base-crlf", base.replace(b"\n", b"\r\n"), 4, {}),
    ]


def _zip_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("a.csv", "id,postcode\n1,YY1 1AA\n")
    return buf.getvalue()


def structural_cases() -> list[Case]:
    cases = []
    for name, data, expect, report in _structural():
        if isinstance(expect, str):
            cases.append(Case(f"csv-{name}", ".csv", _bytes(data), error=expect))
        else:
            cases.append(Case(f"csv-{name}", ".csv", _bytes(data), rows=expect, report=report))
    return cases


def all_cases() -> list[Case]:
    from tests.corpus_files import excel_cases, parquet_cases

    return [*encoding_cases(), *structural_cases(), *excel_cases(), *parquet_cases()]
