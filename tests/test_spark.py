"""The Spark engine equals the default (DuckDB) engine: statuses, notes, bytes.

One local Spark session (``local[2]``, the ``spark`` fixture) serves every test.  The
malformed-input corpus (tests/corpus.py) is read by the default engine, case by case;
every postcode value it yields, with hand-picked awkward ones, is then matched once by
each engine and every added column compared.  A sample of corpus files goes through the
command line with ``--engine spark`` and must give the very same bytes.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest
from tests.corpus import all_cases
from typer.testing import CliRunner

from oacinsight.cli import app
from oacinsight.errors import OacInsightError
from oacinsight.match import match_file, match_records
from oacinsight.store import Store
from oacinsight.store.matching import ADDED_COLUMNS, NO_POSTCODE

runner = CliRunner()

#: Values that test each rule: blanks of every Unicode space separator DuckDB trims
#: (and control characters it does not), spellings, the grammar's refused letters,
#: BFPO, Girobank, keys too long for the index, letters outside ASCII.
AWKWARD = [
    "",
    " ",
    "   ",
    "\u00a0",
    "\u3000",
    "\u2003 \u202f",
    "\u1680",
    "\u205f",
    "\t",
    "\n",
    " \t ",
    "\u200b",
    "\ufeff",
    "YY1 1AA",
    "yy1 1aa",
    "YY11AA",
    "YY1  1AA",
    " YY1-1AA ",
    "YY1.1AB",
    "yy2\u00a01aa",
    "YY1 1AA\n",
    "YY1 9ZZ",
    "YY9 9AA",
    "YY 1AA",
    "WN1 1AA",
    "wn11aa",
    "EC1A 1BB",
    "W1A 0AX",
    "M1 1AE",
    "GIR 0AA",
    "gir0aa",
    "BFPO 57",
    "bfpo1234",
    "BFPO12345",
    "BFPO",
    "QA1 1AA",
    "AI1 1AA",
    "AB1 1CA",
    "AB1 1AV",
    "WN1 1A",
    "WN1",
    "1AA",
    "YY1 1AAA",
    "YYY1 1AA",
    "123456789",
    "ÝY1 1AA",
    "ＹＹ1 1AA",
    "YY1 1ÀA",
    "None",
    "=YY1 1AA",
    "'YY1 1AA",
    "YY1\u00001AA",
]
#: Corpus files checked byte for byte through the command line (one per kind of input).
CLI_SAMPLE = 8


def _corpus_values(tmp: Path, store: Path) -> list[object]:
    """Every postcode value the default engine read from the corpus files."""
    values: list[object] = []
    for case in all_cases():
        if case.error is not None or case.env:
            continue
        src = tmp / f"{case.id}{case.suffix}"
        case.write(src)
        try:
            summary = match_file(src, tmp / f"{case.id}.parquet", store=store)
        except OacInsightError:
            continue
        if summary.postcode_column == NO_POSTCODE or summary.by_coordinates:
            continue
        out = pd.read_parquet(tmp / f"{case.id}.parquet")
        column = summary.renamed.get(summary.postcode_column, summary.postcode_column)
        values += list(out[column])
    return values


def _text(value: object) -> str | None:
    """A cell as text (None for nulls; whole floats, as pandas reads nullable
    integers from Spark, without ``.0``)."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value if isinstance(value, str) else str(value)


@pytest.fixture(scope="module")
def tiny_ref(tiny_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from oacinsight.spark.reference import export_reference

    folder = tmp_path_factory.mktemp("ref") / "tiny_ref"
    export_reference(folder, store=tiny_store)
    return folder


def _same(spark_frame: pd.DataFrame, duck_frame: pd.DataFrame, columns: list[str]) -> None:
    """Column by column, value by value (nulls equal), with the first difference shown."""
    for c in columns:
        a = [_text(v) for v in spark_frame[c]]
        b = [_text(v) for v in duck_frame[c]]
        diff = [(i, a[i], b[i]) for i in range(len(a)) if a[i] != b[i]]
        assert not diff, f"{c}: {len(diff)} rows differ, first {diff[:3]}"


def test_every_corpus_value_gets_the_same_status_and_note(spark, tiny_store, tiny_ref, tmp_path):
    from oacinsight.spark import match

    values = [_text(v) for v in _corpus_values(tmp_path, tiny_store)] + AWKWARD
    assert len(values) > 1000
    frame = pd.DataFrame({"rid": [str(i) for i in range(len(values))], "postcode": values})
    duck = match_records(frame, store=tiny_store, postcode_column="postcode").frame
    sdf = spark.createDataFrame(frame, "rid string, postcode string")
    got = match(sdf, str(tiny_ref), "postcode").toPandas()
    got = got.sort_values("rid", key=lambda s: s.astype(int)).reset_index(drop=True)
    assert list(got.columns) == list(duck.columns) == ["rid", "postcode", *ADDED_COLUMNS]
    _same(got, duck, list(ADDED_COLUMNS))
    # the values reach every status but no_oac (the tiny store has none), and every note
    statuses = set(duck["match_status"])
    assert statuses == {"matched", "not_found", "invalid_format", "missing"}
    notes = set(duck["match_note"].dropna())
    assert {
        "no postcode given",
        "not a valid UK postcode format",
        "BFPO (British Forces) address: not a geographic postcode",
        "postcode area WN is not in the loaded postcode directory",
        "postcode district YY9 is not in the loaded postcode directory",
    } <= notes
    assert any(n.startswith("not in the postcode directory (") for n in notes)


def _cli_cases() -> list:
    """A few corpus files of different kinds (CSV encodings and separators, Parquet)."""
    seen: dict[str, object] = {}
    for case in all_cases():
        kind = case.suffix + case.id.split("-")[0]
        if case.error is None and not case.env and case.out != ".xlsx" and kind not in seen:
            seen[kind] = case
    return list(seen.values())[:CLI_SAMPLE]


@pytest.mark.parametrize("out_suffix", [".csv", ".parquet"])
def test_cli_engine_spark_writes_the_same_bytes(spark, tiny_store, tmp_path, out_suffix):
    cases = _cli_cases()
    assert len(cases) >= 4
    for case in cases:
        src = tmp_path / f"{case.id}{case.suffix}"
        case.write(src)
        outs = {}
        for engine in ("duckdb", "spark"):
            out = tmp_path / f"{case.id}-{engine}{out_suffix}"
            rep = tmp_path / f"{case.id}-{engine}.json"
            args = ["match", str(src), "-o", str(out), "--store", str(tiny_store)]
            res = runner.invoke(app, [*args, "--report", str(rep), "--engine", engine])
            if res.exit_code != 0:
                outs[engine] = res.output
                continue
            report = json.loads(rep.read_text())
            report.pop("output")
            outs[engine] = (hashlib.sha256(out.read_bytes()).hexdigest(), report)
        assert outs["spark"] == outs["duckdb"], case.id


def test_export_writes_every_table_with_its_count_and_checksum(tiny_store, tiny_ref):
    manifest = json.loads((tiny_ref / "manifest.json").read_text())
    assert manifest["format"] == "oacinsight.reference/1"
    assert manifest["postcode_directory_editions"] == ["NSPL NOV 2021"]
    with Store(tiny_store, read_only=True) as s:
        tables = s.tables()
        counts = {t: int(s.query_df(f'SELECT count(*) AS n FROM "{t}"')["n"][0]) for t in tables}
    assert sorted(manifest["tables"]) == sorted(tables)
    for table, entry in manifest["tables"].items():
        path = tiny_ref / entry["file"]
        assert entry["rows"] == counts[table] == len(pd.read_parquet(path))
        assert entry["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
        assert entry["bytes"] == path.stat().st_size
    assert manifest["tables"]["pc_lookup"]["rows"] == counts["pc_lookup"] >= 3


def test_export_command_replaces_an_export_and_refuses_other_folders(tiny_store, tmp_path):
    folder = tmp_path / "ref"
    res = runner.invoke(app, ["data", "export", str(folder), "--store", str(tiny_store)])
    assert res.exit_code == 0, res.output
    assert "pc_lookup" in res.output and (folder / "manifest.json").exists()
    first = json.loads((folder / "manifest.json").read_text())["tables"]
    res = runner.invoke(app, ["data", "export", str(folder), "--store", str(tiny_store)])
    assert res.exit_code == 0, res.output
    assert json.loads((folder / "manifest.json").read_text())["tables"] == first
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    res = runner.invoke(app, ["data", "export", str(other), "--store", str(tiny_store)])
    assert res.exit_code == 2
    assert res.output.startswith("error: ") and "holds other files" in res.output
    assert (other / "notes.txt").read_text() == "mine" and len(list(other.iterdir())) == 1


def test_engine_options_are_checked(tiny_store, tmp_path):
    src = tmp_path / "in.csv"
    src.write_text("postcode\nYY1 1AA\n")
    base = ["match", str(src), "-o", str(tmp_path / "o.csv"), "--store", str(tiny_store)]
    res = runner.invoke(app, [*base, "--engine", "polars"])
    assert res.exit_code == 2 and "unknown engine 'polars'" in res.output
    res = runner.invoke(app, [*base, "--spark-master", "local[2]"])
    assert res.exit_code == 2 and "--spark-master needs --engine spark" in res.output
    assert not (tmp_path / "o.csv").exists()


@pytest.mark.parametrize(
    "option", [["--by", "service"], ["--period", "date"], ["--classification", "build"]]
)
def test_profile_slices_and_local_classifications_are_refused_on_spark(
    tiny_store, tmp_path, option
):
    src = tmp_path / "in.csv"
    src.write_text("postcode,service,date\nYY1 1AA,a,2024-01-01\n")
    out = tmp_path / "p.xlsx"
    args = ["profile", str(src), "-o", str(out), "--store", str(tiny_store), "--engine", "spark"]
    res = runner.invoke(app, [*args, *option])
    assert res.exit_code == 2, res.output
    assert "--engine spark does not take --by, --period or --classification" in res.output
    assert "Traceback" not in res.output and not out.exists()


def test_profile_file_refuses_slices_with_another_engine(tiny_store, tmp_path):
    from oacinsight.profile.run import profile_file

    def loader(s, keyed):
        raise AssertionError("the loader must not run")

    with pytest.raises(OacInsightError, match="default engine only"):
        profile_file(tmp_path / "in.csv", store=tiny_store, by="service", customers=loader)


def test_coordinates_place_records_on_spark_as_on_the_default_engine(spark, tiny_store, tmp_path):
    """Every tiny postcode shares one centroid (53.5, -2.5): records without a usable
    postcode near it tie, and take the first live postcode in key order (GY1 1AA, with
    its note); too far (> 1 km) or unreadable coordinates stay unplaced.  ``match``
    gives the same bytes on both engines (``profile``: tests/test_spark_realdata.py)."""
    src = tmp_path / "xy.csv"
    src.write_text(
        "id,postcode,latitude,longitude\n"
        "1,,53.5,-2.5\n"
        "2,NOT ONE,53.503,-2.5\n"  # 333.6 m north
        "3,YY1 1AB,53.5,-2.5\n"  # a good postcode wins
        "4,YY1 9ZZ,53.52,-2.5\n"  # 2.2 km: too far
        "5,,x,-2.5\n"
    )
    outs = {}
    for engine in ("duckdb", "spark"):
        got = []
        for command, suffix in (("match", ".csv"), ("match", ".parquet")):
            out = tmp_path / f"{command}-{engine}{suffix}"
            args = [command, str(src), "-o", str(out), "--store", str(tiny_store)]
            res = runner.invoke(app, [*args, "--engine", engine])
            assert res.exit_code == 0, res.output
            got.append(hashlib.sha256(out.read_bytes()).hexdigest())
        outs[engine] = got
    assert outs["spark"] == outs["duckdb"]
    frame = pd.read_csv(tmp_path / "match-spark.csv", dtype=str, encoding="utf-8-sig")
    metres = round((53.503 - 53.5) * 110_574.0)
    channel = "Channel Islands postcode: no output area or OAC"
    assert list(frame["match_note"][:2]) == [
        f"placed by coordinates: nearest postcode GY1 1AA, 0 m away; {channel}",
        f"placed by coordinates: nearest postcode GY1 1AA, {metres} m away; {channel}",
    ]
    assert list(frame["match_status"]) == ["no_oac", "no_oac", "matched", "not_found", "missing"]
    assert frame["postcode_clean"][2] == "YY1 1AB"
    assert pd.isna(frame["postcode_clean"][0])


def test_missing_java_or_pyspark_is_one_plain_error(monkeypatch):
    from oacinsight.spark import session

    monkeypatch.setattr(session.shutil, "which", lambda name: None)
    monkeypatch.delenv("JAVA_HOME", raising=False)
    assert session.missing_spark() == "Java is not installed (Spark needs Java 17 or newer)"
    with pytest.raises(OacInsightError, match="the Spark engine cannot start: Java"):
        session.spark_session("local[1]")


def test_reference_without_manifest_is_refused(tmp_path):
    from oacinsight.spark.reference import load_reference

    with pytest.raises(OacInsightError, match="data export"):
        load_reference(tmp_path)


def test_reference_given_as_a_file_uri(spark, tiny_store, tiny_ref):
    from oacinsight.spark import match

    frame = pd.DataFrame({"rid": ["1", "2", "3"], "postcode": ["yy1 1aa", "YY1 9ZZ", ""]})
    sdf = spark.createDataFrame(frame, "rid string, postcode string")
    got = match(sdf, tiny_ref.as_uri(), "postcode").toPandas().sort_values("rid")
    duck = match_records(frame, store=tiny_store, postcode_column="postcode").frame
    _same(got.reset_index(drop=True), duck, list(ADDED_COLUMNS))
    assert list(duck["match_status"]) == ["matched", "not_found", "missing"]


def test_remote_reference_is_copied_checked_and_read_as_views(
    spark, tiny_store, tiny_ref, tmp_path, monkeypatch
):
    """A reference at a path only Spark reads (here a file:// URI taken as remote): the
    driver copies the files through Spark, checks their SHA-256, reads the postcode
    tables as views (only what a query needs), and the copy goes with the store."""
    import gc
    import shutil
    import tempfile

    from oacinsight.errors import StoreError
    from oacinsight.spark import reference

    monkeypatch.setattr(reference, "_is_local", lambda path: False)
    ref = reference.load_reference(tiny_ref.as_uri(), spark)
    before = set(Path(tempfile.gettempdir()).glob("oacinsight-ref-*"))
    store = ref.driver_store(spark, views=("pc_lookup", "postcodes"))
    with Store(tiny_store, read_only=True) as s:
        want = int(s.query_df("SELECT count(*) AS n FROM pc_lookup")["n"][0])
    views = store.con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()
    assert {v[0] for v in views} == {"pc_lookup", "postcodes"}
    assert int(store.con.execute("SELECT count(*) FROM pc_lookup").fetchall()[0][0]) == want
    copies = set(Path(tempfile.gettempdir()).glob("oacinsight-ref-*")) - before
    assert len(copies) == 1 and (next(iter(copies)) / "pc_lookup.parquet").exists()
    store.close()
    del store
    gc.collect()
    assert not [p for p in copies if p.exists()]
    # a damaged copy is refused
    bad = tmp_path / "bad"
    shutil.copytree(tiny_ref, bad)
    (bad / "oac_oa.parquet").write_bytes(b"PAR1 damaged")
    with pytest.raises(StoreError, match="checksum"):
        reference.load_reference(bad.as_uri(), spark).driver_store(spark)


def test_parquet_of_several_row_groups_has_the_same_bytes(spark, tiny_store, tmp_path, monkeypatch):
    """Row groups are cut at fixed rows (here 1,000, to span several with a small file),
    whatever plan produced the rows: the engines write the same bytes."""
    import pyarrow.parquet as pq

    from oacinsight.store import parquet_out

    monkeypatch.setattr(parquet_out, "ROW_GROUP_ROWS", 1000)
    values = ["YY1 1AA", "yy2 1aa", "", "YY1 9ZZ", "BFPO 57", "nonsense", "GY1 1AA"]
    src = tmp_path / "many.csv"
    rows = [f"{i},{values[i % len(values)]}" for i in range(4321)]
    src.write_text("id,postcode\n" + "\n".join(rows) + "\n")
    digests = {}
    for engine in ("duckdb", "spark"):
        out = tmp_path / f"many-{engine}.parquet"
        args = ["match", str(src), "-o", str(out), "--store", str(tiny_store), "--engine", engine]
        res = runner.invoke(app, args)
        assert res.exit_code == 0, res.output
        digests[engine] = hashlib.sha256(out.read_bytes()).hexdigest()
        meta = pq.ParquetFile(out).metadata
        assert [meta.row_group(i).num_rows for i in range(meta.num_row_groups)] == [
            1000,
            1000,
            1000,
            1000,
            321,
        ]
    assert digests["spark"] == digests["duckdb"]
    back = pd.read_parquet(tmp_path / "many-spark.parquet")
    assert list(back["id"][:3]) == ["0", "1", "2"] and len(back) == 4321
