"""Damaged, foreign, newer, locked and read-only stores: one clear line from every command."""

from __future__ import annotations

import subprocess
import sys

import duckdb
import pytest
from tests.tiny import write_tiny_reference
from typer.testing import CliRunner

from oacinsight.cli import app
from oacinsight.errors import StoreError
from oacinsight.ingest import ingest
from oacinsight.store import STORE_LAYOUT, Store, explain_open_error

runner = CliRunner()


@pytest.fixture
def good(tmp_path):
    ref = write_tiny_reference(tmp_path / "ref")
    path = tmp_path / "store.duckdb"
    with Store(path) as s:
        ingest(ref, s)
    return path


def _commands(tmp_path, store):
    customers = tmp_path / "customers.csv"
    customers.write_text("postcode\nYY1 1AA\nYY1 1AB\n")
    nspl = tmp_path / "ref" / "NSPL_NOV_2021_UK_YY.csv"
    s = ["--store", str(store)]
    return [
        ["data", "status", *s],
        ["data", "rebuild", *s],
        ["data", "ingest", str(nspl), *s],
        ["match", str(customers), "-o", str(tmp_path / "m.csv"), *s],
        ["profile", str(customers), "-o", str(tmp_path / "p.csv"), *s],
        ["area", "E06000001", "-o", str(tmp_path / "area"), *s],
        ["serve", "--port", "8799", *s],
    ]


def _one_error_line(args: list[str], expected: str) -> None:
    res = runner.invoke(app, args)
    lines = [ln for ln in res.output.strip().splitlines() if ln.strip()]
    assert res.exit_code == 2, (args, res.output)
    assert lines[-1].startswith("error: ") and expected in lines[-1], (args, res.output)
    assert [ln for ln in lines if ln.startswith("error")] == [lines[-1]]
    assert "Traceback" not in res.output and "IO Error" not in res.output


@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        ("garbage", "is not an oacinsight store (not a DuckDB database"),
        ("empty", "is not an oacinsight store"),
        ("half", "is damaged (cut short or corrupt)"),
        ("tail", "is damaged (cut short or corrupt)"),
        ("folder", "is a folder, not a store file"),
    ],
)
def test_damaged_store_gives_one_line_from_every_command(tmp_path, good, damage, expected):
    size = good.stat().st_size
    if damage == "garbage":
        good.write_bytes(b"PK\x03\x04 not a database \x00\xff" * 500)
    elif damage == "empty":
        good.write_bytes(b"")
    elif damage == "folder":
        good.unlink()
        good.mkdir()
    else:
        with open(good, "r+b") as fh:
            fh.truncate(size // 2 if damage == "half" else size - 4096)
    for args in _commands(tmp_path, good):
        _one_error_line(args, f"the store {good} {expected}")


def test_store_of_a_newer_layout_is_refused(tmp_path, good):
    con = duckdb.connect(str(good))
    assert con.execute("SELECT value FROM meta WHERE key = 'store_layout'").fetchall() == [
        (str(STORE_LAYOUT),)
    ]
    con.execute("UPDATE meta SET value = '99' WHERE key = 'store_layout'")
    con.close()
    for args in _commands(tmp_path, good):
        _one_error_line(
            args,
            f"the store {good} was made by a newer version of oacinsight "
            f"(store layout 99; this version reads layout {STORE_LAYOUT} and older)",
        )


def test_store_locked_by_another_process(tmp_path, good):
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys; c = duckdb.connect(sys.argv[1]); "
            "print('ready', flush=True); sys.stdin.read()",
            str(good),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        for args in _commands(tmp_path, good):
            _one_error_line(args, f"the store {good} is in use by another program (python")
        res = runner.invoke(app, ["data", "status", "--store", str(good)])
        assert f"process {holder.pid}): close it" in res.output
    finally:
        holder.communicate("", timeout=30)
    assert runner.invoke(app, ["data", "status", "--store", str(good)]).exit_code == 0


def test_read_only_store_reads_but_refuses_to_load(tmp_path, good, monkeypatch):
    import oacinsight.store as store_module

    # the tests run as root on CI, where file permissions do not stop a write: pretend
    monkeypatch.setattr(store_module, "_writable", lambda _path: False)
    assert runner.invoke(app, ["data", "status", "--store", str(good)]).exit_code == 0
    for args in _commands(tmp_path, good)[1:3]:  # rebuild and ingest write
        _one_error_line(args, f"the store {good} is read-only (no permission to write it)")
    with Store(good, read_only=True) as s:
        assert s.con.execute("SELECT count(*) FROM postcodes").fetchall() == [(8,)]


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (
            "IO Error: Trying to read a database file with version number 99, but we can only "
            "read version 64",
            "was written by a newer version of oacinsight or DuckDB",
        ),
        (
            'IO Error: Cannot open file "/x/store.duckdb": Permission denied',
            "cannot be written (read-only file or folder)",
        ),
        (
            'IO Error: Cannot open file "/x/store.duckdb": Read-only file system',
            "cannot be written (read-only file or folder)",
        ),
        (
            "IO Error: Corrupt database file: computed checksum 1 does not match stored checksum 2",
            "is damaged (cut short or corrupt)",
        ),
        ("Something else\nsecond line", "cannot open the store /x/store.duckdb: Something else"),
    ],
)
def test_open_errors_are_explained(message, expected, tmp_path):
    from pathlib import Path

    text = explain_open_error(Path("/x/store.duckdb"), duckdb.IOException(message))
    assert expected in text and "\n" not in text


def test_store_error_is_raised_by_the_library(tmp_path):
    bad = tmp_path / "bad.duckdb"
    bad.write_text("hello")
    with pytest.raises(StoreError, match="is not an oacinsight store"):
        Store(bad, read_only=True).con  # noqa: B018


def test_open_store_opens_paths_and_leaves_stores_to_their_owner(tiny_store) -> None:
    from oacinsight.store import Store, open_store

    with open_store(tiny_store) as opened:
        assert opened.con.execute("SELECT 1").fetchall() == [(1,)]
    assert opened._con is None  # opened here, so closed here
    with Store(tiny_store, read_only=True) as mine:
        with open_store(mine) as same:
            assert same is mine
        assert mine.con.execute("SELECT 2").fetchall() == [(2,)]  # still open
