"""The malformed-input corpus (tests/corpus.py) through ``match`` and ``schema --validate``.

Every case must end in one of two ways: exit 0 with every row accounted for (rows out =
records in = the sum over statuses, in order, names intact), or exit 2 with one plain line
``error: …`` naming the file, no traceback, no internals, and no output file left behind.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from tests.corpus import Case, all_cases
from typer.testing import CliRunner

from oacinsight.cli import app

runner = CliRunner()
CASES = all_cases()
INTERNALS = (
    "Traceback",
    "Error when sniffing",
    "Binder Error",
    "Invalid Input Error",
    "duckdb",
    "Exception",
    "pyarrow",
    "calamine",
    "/tmp/oacinsight-",
    'File "',
    "Conversion Error",
    "Parser Error",
    "state machine",
)


def one_clean_line(text: str) -> str:
    """The single line of an error output, checked for internals and binary bytes."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    assert len(lines) == 1, text
    line = lines[0]
    assert line.startswith("error: "), line
    assert not any(bad in line for bad in INTERNALS), line
    assert line.isprintable(), repr(line)
    return line


def read_output(path: Path) -> list[dict[str, str | None]]:
    if path.suffix == ".parquet":
        return pq.read_table(path).to_pylist()
    if path.suffix == ".xlsx":
        from python_calamine import CalamineWorkbook

        rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
        return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def test_corpus_size_and_spread():
    assert len(CASES) >= 250
    assert len({c.id for c in CASES}) == len(CASES)
    kinds = {c.suffix for c in CASES}
    assert {".csv", ".xlsx", ".parquet"} <= kinds


def _run(case: Case, tmp_path: Path, store: Path, monkeypatch: pytest.MonkeyPatch):
    for key, value in case.env.items():
        monkeypatch.setenv(key, value)
    src = tmp_path / f"in{case.suffix}"
    case.write(src)
    out, report = tmp_path / f"out{case.out}", tmp_path / "report.json"
    res = runner.invoke(
        app, ["match", str(src), "-o", str(out), "--store", str(store), "--report", str(report)]
    )
    return res, src, out, report


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_match(case: Case, tmp_path, tiny_store, monkeypatch):
    res, src, out, report = _run(case, tmp_path, tiny_store, monkeypatch)
    assert "Traceback" not in res.output
    if case.error is not None or (case.rows is None and res.exit_code != 0):
        assert res.exit_code == 2, res.output
        line = one_clean_line(res.output)
        assert case.error is None or case.error in line, line
        assert src.name in line
        assert not out.exists() and not report.exists()
        assert not list(tmp_path.glob(".oacinsight-*")), "temporary file left behind"
        return
    assert res.exit_code == 0, res.output
    summary = json.loads(report.read_text())
    rows = read_output(out)
    account = summary["row_account"]
    assert account["reconciles"] is True
    assert len(rows) == summary["rows"] == account["rows_written"] == account["records_read"]
    assert sum(account["by_status"].values()) == len(rows)
    if case.rows is not None:
        assert len(rows) == case.rows
    statuses = [r["match_status"] for r in rows]
    assert all(s in account["by_status"] for s in statuses)
    if case.statuses is not None:
        assert statuses == case.statuses
    if case.names is not None:
        assert [r["name"] for r in rows] == case.names
    if case.columns is not None:
        assert list(rows[0])[: len(case.columns)] == case.columns
    for key, value in case.report.items():
        got = summary["reading"][key]
        assert (
            (value in got)
            if key == "notes" and isinstance(value, str)
            else (got == value or (isinstance(value, list) and set(value) <= set(got)))
        ), (key, got)
    assert not list(tmp_path.glob(".oacinsight-*")), "temporary file left behind"


@pytest.mark.parametrize("case", [c for c in CASES if c.out == ".csv"], ids=lambda c: c.id)
def test_validate(case: Case, tmp_path, monkeypatch):
    for key, value in case.env.items():
        monkeypatch.setenv(key, value)
    src = tmp_path / f"in{case.suffix}"
    case.write(src)
    res = runner.invoke(app, ["schema", "--validate", str(src)])
    assert "Traceback" not in res.output
    assert res.exit_code in (0, 1, 2), res.output
    if res.exit_code == 2:
        line = one_clean_line(res.output)
        assert src.name in line
        assert case.rows is None or "no data rows" in line, line
    elif case.rows is not None:
        assert "Traceback" not in res.output
