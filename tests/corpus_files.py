"""Excel and Parquet members of the malformed-input corpus (see tests/corpus.py)."""

from __future__ import annotations

import datetime as dt
import decimal
import zipfile
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from tests.corpus import HEADER, ROWS, STATUSES, Case


def _xlsx(
    sheets: dict[str, list[list[object]]], merge: str | None = None, hidden_first: bool = False
) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        import xlsxwriter

        wb = xlsxwriter.Workbook(
            str(path), {"strings_to_formulas": False, "nan_inf_to_errors": True}
        )
        for i, (name, rows) in enumerate(sheets.items()):
            ws = wb.add_worksheet(name)
            for r, row in enumerate(rows):
                for c, value in enumerate(row):
                    if value is not None:
                        ws.write(r, c, value)
            if i == 0 and merge:
                ws.merge_range(merge, "Customer details")
            if i == 0 and hidden_first:
                ws.hide()
        if hidden_first:
            wb.worksheets()[1].activate()
        wb.close()

    return write


def _xlsx_formula(path: Path) -> None:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet()
    ws.write_row(0, 0, ["id", "postcode", "total"])
    ws.write_row(1, 0, [1, "YY1 1AA"])
    ws.write_formula(1, 2, "=1+1", None, 2)
    ws.write_row(2, 0, [2, "YY2 1AA", '=HYPERLINK("http://evil")'])
    wb.close()


def _bomb(rows: int) -> Callable[[Path], None]:
    """A workbook whose one sheet holds ``rows`` empty-ish rows (compresses to almost nothing)."""

    def write(path: Path) -> None:
        body = "".join(
            f'<row r="{i}"><c r="A{i}" t="inlineStr"><is><t>x</t></is></c></row>'
            for i in range(1, rows + 1)
        )
        sheet = (
            '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.'
            'openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
            + body
            + "</sheetData></worksheet>"
        )
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("[Content_Types].xml", "<Types/>")
            zf.writestr("xl/workbook.xml", "<workbook/>")
            zf.writestr("xl/worksheets/sheet1.xml", sheet)

    return write


def _raw(data: bytes) -> Callable[[Path], None]:
    return lambda p: p.write_bytes(data)


def _truncated_xlsx(path: Path) -> None:
    _xlsx({"s": [HEADER, *ROWS]})(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


BASE = [HEADER, *ROWS]


def excel_cases() -> list[Case]:
    names = [r[2] for r in ROWS]
    ok = {"rows": 4, "names": names, "statuses": STATUSES}
    return [
        Case("xlsx-plain", ".xlsx", _xlsx({"customers": BASE}), **ok),
        Case(
            "xlsx-three-sheets",
            ".xlsx",
            _xlsx({"first": BASE, "b": [["x"]], "c": [["y"]]}),
            **ok,
            report={"notes": ["the workbook has 3 sheets; read the first, 'first'"]},
        ),
        Case(
            "xlsx-blank-rows",
            ".xlsx",
            _xlsx({"s": [HEADER, ROWS[0], [], [None, None], *ROWS[1:], [], []]}),
            **ok,
            report={"blank_lines_skipped": 2},
        ),
        Case(
            "xlsx-leading-blank-rows-and-cols",
            ".xlsx",
            _xlsx({"s": [[], [], *[[None, None, *r] for r in BASE]]}),
            **ok,
        ),
        Case(
            "xlsx-merged-header-above",
            ".xlsx",
            _xlsx({"s": [["", "", ""], *BASE]}, merge="A1:C1"),
            **ok,
            report={"notes": ["1 title row (merged cells) above the header skipped"]},
        ),
        Case("xlsx-merged-header-cells", ".xlsx", _xlsx({"s": BASE}, merge="D1:E1"), **ok),
        Case(
            "xlsx-types",
            ".xlsx",
            _xlsx(
                {
                    "s": [
                        ["id", "postcode", "when", "flag", "amount"],
                        [1, "YY1 1AA", dt.datetime(2024, 1, 31), True, 1.5],
                        [2.0, "YY2 1AA", dt.datetime(2024, 1, 31, 12, 30), False, -3],
                    ]
                }
            ),
            rows=2,
        ),
        Case(
            "xlsx-numbers-as-postcode",
            ".xlsx",
            _xlsx({"s": [["postcode"], [12345], [1.5]]}),
            rows=2,
        ),
        Case("xlsx-header-only", ".xlsx", _xlsx({"s": [HEADER]}), error="no data rows"),
        Case("xlsx-empty-sheet", ".xlsx", _xlsx({"s": []}), error="empty"),
        Case("xlsx-formula-cells", ".xlsx", _xlsx_formula, rows=2),
        Case(
            "xlsx-formula-header",
            ".xlsx",
            _xlsx({"s": [['=HYPERLINK("http://x")', "postcode", "-inf"], ["a", "YY1 1AA", "b"]]}),
            rows=1,
        ),
        Case(
            "xlsx-long-cell", ".xlsx", _xlsx({"s": [HEADER, ["1", "YY1 1AA", "x" * 32767]]}), rows=1
        ),
        Case(
            "xlsx-hidden-first-sheet",
            ".xlsx",
            _xlsx({"hidden": BASE, "shown": [["x"]]}, hidden_first=True),
            **ok,
        ),
        Case("xlsx-truncated", ".xlsx", _truncated_xlsx, error="not a readable XLSX"),
        Case(
            "xlsx-is-text", ".xlsx", _raw(b"id,postcode\n1,YY1 1AA\n"), error="not a readable XLSX"
        ),
        Case("xlsx-is-zip-of-other", ".xlsx", _zip_other, error="not a readable XLSX"),
        Case(
            "xlsx-row-bomb",
            ".xlsx",
            _bomb(3000),
            error="more than 2,000 rows",
            env={"OACINSIGHT_MAX_ROWS": "2000"},
        ),
        Case(
            "xlsx-unpacked-limit",
            ".xlsx",
            _bomb(3000),
            error="unpacks to more than",
            env={"OACINSIGHT_MAX_UNPACKED_MB": "0.05"},
        ),
        Case(
            "xls-old-format",
            ".xls",
            _raw(b"\xd0\xcf\x11\xe0" + b"\x00" * 100),
            error="unsupported file type",
        ),
    ]


def _zip_other(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("readme.txt", "not a workbook")


def _parquet(table: pa.Table, **kw: object) -> Callable[[Path], None]:
    return lambda p: pq.write_table(table, p, **kw)


def _pc(n: int) -> pa.Array:
    return pa.array(["YY1 1AA", "YY2 1AA", None, "bad"][:n] * (n // 4 or 1))[:n]


def parquet_cases() -> list[Case]:
    pc4 = _pc(4)
    types: dict[str, pa.Array] = {
        "int64": pa.array([1, 2, None, -4]),
        "float-nan-inf": pa.array([1.5, float("nan"), float("inf"), float("-inf")]),
        "decimal": pa.array(
            [decimal.Decimal("1.10"), None, decimal.Decimal("-2.5"), decimal.Decimal("0")],
            pa.decimal128(10, 2),
        ),
        "date": pa.array([dt.date(2024, 1, 31), None, dt.date(1900, 1, 1), dt.date(2099, 12, 31)]),
        "timestamp-tz": pa.array(
            [dt.datetime(2024, 1, 1, tzinfo=dt.UTC)] * 4, pa.timestamp("us", tz="UTC")
        ),
        "bool": pa.array([True, False, None, True]),
        "binary": pa.array([b"\x00\x01", b"", None, b"\xff"], pa.binary()),
        "list": pa.array([[1, 2], [], None, [3]]),
        "struct": pa.array([{"a": 1}, {"a": None}, None, {"a": 4}]),
        "dictionary": pa.array(["x", "y", "x", None]).dictionary_encode(),
        "large-string": pa.array(["=cmd", "-inf", "+1", "@a"], pa.large_string()),
        "null": pa.nulls(4),
        "time": pa.array([dt.time(12, 0)] * 4),
    }
    cases = []
    for name, values in types.items():
        table = pa.table({"postcode": pc4, "value": values})
        for suffix in (".csv", ".xlsx", ".parquet"):
            cases.append(
                Case(
                    f"parquet-{name}-to{suffix}",
                    ".parquet",
                    _parquet(table),
                    rows=4,
                    statuses=["matched", "matched", "missing", "invalid_format"],
                    out=suffix,
                )
            )
    big = pa.table({"postcode": _pc(4000)})
    cases += [
        Case(
            "parquet-underscore-and-blank-names",
            ".parquet",
            _parquet(
                pa.table({"_id": [1], "postcode": ["YY1 1AA"], " ": ["x"], "_laua_name": ["q"]})
            ),
            rows=1,
        ),
        Case(
            "parquet-postcode-dictionary",
            ".parquet",
            _parquet(pa.table({"postcode": pc4.dictionary_encode()})),
            rows=4,
        ),
        Case(
            "parquet-large-string-postcode",
            ".parquet",
            _parquet(pa.table({"postcode": pc4.cast(pa.large_string())})),
            rows=4,
        ),
        Case(
            "parquet-zero-rows",
            ".parquet",
            _parquet(pa.table({"postcode": pa.array([], pa.string())})),
            error="no data rows",
        ),
        Case("parquet-many-row-groups", ".parquet", _parquet(big, row_group_size=100), rows=4000),
        Case(
            "parquet-row-limit",
            ".parquet",
            _parquet(big),
            error="more than the limit",
            env={"OACINSIGHT_MAX_ROWS": "1000"},
        ),
        Case("parquet-truncated", ".parquet", _truncated_parquet, error="not a readable Parquet"),
        Case(
            "parquet-is-text",
            ".parquet",
            _raw(b"id,postcode\n1,YY1 1AA\n"),
            error="not a readable Parquet",
        ),
    ]
    return cases


def _truncated_parquet(path: Path) -> None:
    pq.write_table(pa.table({"postcode": _pc(4)}), path)
    data = path.read_bytes()
    path.write_bytes(data[:-20])
