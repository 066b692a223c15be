"""The command line: thin shell, one-line errors, exit codes, same numbers as the API."""

from __future__ import annotations

import json

import pandas as pd
from typer.testing import CliRunner

from oacinsight.cli import app

runner = CliRunner()


def test_ingest_status_match_profile(tmp_path, demo):
    store, files = demo
    res = runner.invoke(app, ["data", "status", "--store", str(store)])
    assert res.exit_code == 0
    assert "postcode_directory" in res.output and "NSPL NOV 2021" in res.output
    out = tmp_path / "m.csv"
    res = runner.invoke(
        app,
        [
            "match",
            str(files.customers),
            "-o",
            str(out),
            "--store",
            str(store),
            "--report",
            str(tmp_path / "r.json"),
        ],
    )
    assert res.exit_code == 0, res.output
    report = json.loads((tmp_path / "r.json").read_text())
    truth = json.loads(files.truth.read_text())["expected_status"]
    assert {k: v["count"] for k, v in report["status"].items()} == truth
    assert "match rate" in res.output
    prof = tmp_path / "p.csv"
    res = runner.invoke(
        app, ["profile", str(out), "-o", str(prof), "--store", str(store), "--level", "group"]
    )
    assert res.exit_code == 0, res.output
    table = pd.read_csv(prof)
    assert len(table) == table["code"].nunique() and set(table["level"]) == {"group"}


def test_ingest_command_reports_each_file(tmp_path):
    from tests.tiny import write_tiny_reference

    files = write_tiny_reference(tmp_path / "ref")
    res = runner.invoke(
        app, ["data", "ingest", str(tmp_path / "ref"), "--store", str(tmp_path / "s.duckdb")]
    )
    assert res.exit_code == 0, res.output
    assert f"{files[0].name}: postcode_directory (NSPL) 8 rows" in res.output
    assert "postcode lookup: 8 postcodes" in res.output


def test_errors_are_one_line_with_exit_2(tmp_path, demo):
    store, _ = demo
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    cases = [
        ["match", str(empty), "-o", str(tmp_path / "o.csv"), "--store", str(store)],
        ["match", str(tmp_path / "nope.csv"), "-o", str(tmp_path / "o.csv"), "--store", str(store)],
        ["data", "ingest", str(empty), "--store", str(tmp_path / "new.duckdb")],
        ["profile", str(empty), "-o", str(tmp_path / "p.csv"), "--store", str(store)],
    ]
    for args in cases:
        res = runner.invoke(app, args)
        assert res.exit_code == 2, (args, res.output)
        lines = [ln for ln in res.output.strip().splitlines() if ln.strip()]
        assert len(lines) == 1 and lines[0].startswith("error: "), res.output
        assert "Traceback" not in res.output


def test_status_of_a_new_store(tmp_path):
    res = runner.invoke(app, ["data", "status", "--store", str(tmp_path / "none.duckdb")])
    assert res.exit_code == 0 and "nothing loaded yet" in res.output


def test_schema_validate(tmp_path):
    good = tmp_path / "good.csv"
    good.write_text("record_id,postcode,date,weight\n1,WN1 1AA,2024-01-31,1.5\n")
    bad = tmp_path / "bad.csv"
    bad.write_text("record_id,postcode,date,weight\n1,nonsense,31/02/2024,-1\n")
    assert runner.invoke(app, ["schema", "--validate", str(good)]).exit_code == 0
    res = runner.invoke(app, ["schema", "--validate", str(bad)])
    assert res.exit_code == 1
    assert "row 2, column postcode: not a valid UK postcode ('nonsense')" in res.output
    assert "row 2, column date: not a date" in res.output
    assert "row 2, column weight: not a number of at least 0" in res.output
    schema = json.loads(runner.invoke(app, ["schema"]).output)
    assert "postcode" in schema["properties"]


def test_old_store_asks_for_rebuild(tmp_path):
    from tests.tiny import write_tiny_reference

    from oacinsight.ingest import ingest
    from oacinsight.store import Store

    path = tmp_path / "s.duckdb"
    with Store(path) as s:
        ingest(write_tiny_reference(tmp_path / "ref"), s)
        s.con.execute("UPDATE meta SET value = 'old' WHERE key = 'derived_version'")
    inp = tmp_path / "in.csv"
    inp.write_text("postcode\nYY1 1AA\n")
    args = ["match", str(inp), "-o", str(tmp_path / "o.csv"), "--store", str(path)]
    res = runner.invoke(app, args)
    assert res.exit_code == 2 and "run 'oacinsight data rebuild" in res.output
    res = runner.invoke(app, ["data", "rebuild", "--store", str(path)])
    assert res.exit_code == 0 and "8 postcodes" in res.output
    assert runner.invoke(app, args).exit_code == 0
