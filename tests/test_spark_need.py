"""``need`` on Spark equals ``need`` on the default engine: every output file, the same
hidden cells, the same messages for bad input.

Synthetic runs use Demoshire (the ``demo`` store); one real-data run uses a district of
the shared postcode areas.  Every Spark step runs in the shared ``local[2]`` session
(the ``spark`` fixture); the command's ``--engine spark`` uses that session too.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from tests.conftest import need_shared
from typer.testing import CliRunner

from oacinsight.cli import app
from oacinsight.errors import OacInsightError
from oacinsight.need import NeedOptions, TargetRules, need_file

runner = CliRunner()
LAD = "E06000999"
#: Counts as text that DuckDB and Spark read differently unless brought to one rule.
AWKWARD_COUNTS = ["3", " 2", "1_0", "5d", "4F", "x", "", "2.5", "1e1", "\x1c7", "+1"]


def _contents(path: Path) -> str:
    """A file's SHA-256; for a workbook, of its parts but the time it was written
    (``docProps/core.xml`` holds it, so two runs of one engine differ there too)."""
    if path.suffix != ".xlsx":
        return hashlib.sha256(path.read_bytes()).hexdigest()
    digest = hashlib.sha256()
    with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as z:
        for name in sorted(z.namelist()):
            if name != "docProps/core.xml":
                digest.update(name.encode() + z.read(name))
    return digest.hexdigest()


def _run_both(args: list[str], out: Path) -> dict[str, dict[str, str]]:
    """The command on each engine: every file of its output folder, by content."""
    found = {}
    for engine in ("duckdb", "spark"):
        folder = out / engine
        res = runner.invoke(app, ["need", *args, "-o", str(folder), "--engine", engine])
        assert res.exit_code == 0, res.output
        found[engine] = {p.name: _contents(p) for p in sorted(folder.iterdir())}
    return found


@pytest.fixture(scope="module")
def demo_files(demo, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Observed files for Demoshire: claimants by postcode (with blanks, typos, a few
    outside the area), with awkward count cells, and counts per ward and per OA."""
    store, files = demo
    tmp = tmp_path_factory.mktemp("spark_need")
    base = need_file(files.customers, NeedOptions(draw_map=False), store=store)
    rng = np.random.default_rng(15)
    pcs = pd.read_csv(files.customers, dtype=str, usecols=["postcode"])["postcode"].dropna()
    claim = [*rng.choice(pcs.to_numpy(), 1500), "", "DM1", "ZZ9 9ZZ", "dm11aa"]
    pd.DataFrame({"claimant_postcode": claim}).to_csv(tmp / "claim.csv", index=False)
    counted = pd.DataFrame(
        {"postcode": rng.choice(pcs.to_numpy(), 240), "n": rng.choice(AWKWARD_COUNTS, 240)}
    )
    counted.to_csv(tmp / "claim_counts.csv", index=False)
    e = base.expected
    wards = e[e["area_type"] == "ward"].sort_values("area_code")
    shortfall = np.where(np.arange(len(wards)) < 2, 0.3, 0.9)
    pd.DataFrame(
        {"ward": wards["area_code"], "count": np.round(wards["expected"] * shortfall)}
    ).to_csv(tmp / "wards.csv", index=False)
    oas = e.loc[e["area_type"] == "oa", "area_code"].to_numpy()
    pd.DataFrame({"oa21": rng.choice(oas, 3500)}).to_csv(tmp / "oas.csv", index=False)
    base.write(tmp / "learnt", ("csv",))
    return {
        "claim": tmp / "claim.csv",
        "claim_counts": tmp / "claim_counts.csv",
        "wards": tmp / "wards.csv",
        "oas": tmp / "oas.csv",
        "rates": tmp / "learnt" / "rates.csv",
        "tmp": tmp,
    }


@pytest.fixture(scope="module")
def demo_ref(demo, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from oacinsight.spark.reference import export_reference

    folder = tmp_path_factory.mktemp("demo_ref") / "ref"
    export_reference(folder, store=demo[0])
    return folder


def test_cli_every_output_file_is_identical(spark, demo, demo_files, tmp_path):
    store, files = demo
    args = [str(files.customers), "--store", str(store), "--level", "subgroup"]
    args += ["--observed", str(demo_files["oas"]), "--target-type", "oa", "--top", "8"]
    found = _run_both(args, tmp_path)
    assert found["spark"] == found["duckdb"]
    assert {"rates.csv", "expected.csv", "need.xlsx", "need.json", "need.html"} <= set(
        found["duckdb"]
    )
    assert {"gains.png", "map.png", "targets.csv", "target_postcodes.csv"} <= set(found["duckdb"])
    # small counts were hidden (customers per subgroup, observed per OA): the same cells
    rates = pd.read_csv(tmp_path / "spark" / "rates.csv", dtype={"code": str})
    expected = pd.read_csv(tmp_path / "spark" / "expected.csv")
    assert rates["customers"].isna().sum() >= 2  # the nested pattern of the rates table
    oa = expected[expected["area_type"] == "oa"]
    assert oa["observed"].isna().sum() >= 50 and oa["observed"].notna().sum() >= 5


@pytest.mark.parametrize(
    "extra",
    [
        ["--observed", "claim", "--target-type", "ward"],
        ["--observed", "wards", "--target-type", "ward", "--level", "supergroup"],
        ["--rates", "rates", "--area", LAD, "--observed", "claim_counts"],
    ],
    ids=["postcodes", "ward-codes", "rates-and-counts"],
)
def test_cli_observed_and_rates_are_identical(spark, demo, demo_files, tmp_path, extra):
    store, files = demo
    extra = [str(demo_files[a]) if a in demo_files else a for a in extra]
    source = [] if "--rates" in extra else [str(files.customers)]
    args = [*source, "--store", str(store), "--outputs", "csv,json", *extra]
    found = _run_both(args, tmp_path)
    assert found["spark"] == found["duckdb"]
    assert set(found["duckdb"]) >= {"rates.csv", "expected.csv", "targets.csv", "need.json"}
    lad = pd.read_csv(tmp_path / "spark" / "expected.csv").query("area_type == 'lad'")
    assert lad["observed"].iloc[0] > 0


def _same_result(got, want) -> None:
    pd.testing.assert_frame_equal(got.to_frame(), want.to_frame())
    for name in ("rates", "targets", "postcodes", "gains"):
        pd.testing.assert_frame_equal(getattr(got, name), getattr(want, name), check_dtype=False)
    a, b = got.to_dict(), want.to_dict()
    for d in (a, b):  # the input's name: a file here, a DataFrame there
        d.pop("source", None)
    assert a == b


@pytest.mark.parametrize("observed", ["claim_counts", "wards", "oas"])
def test_library_need_on_dataframes_equals_the_default_engine(
    spark, demo, demo_files, demo_ref, observed
):
    from oacinsight.spark import need

    store, files = demo
    rules = TargetRules(area_type="ward" if observed == "wards" else "lsoa", top=6)
    opt = NeedOptions(rules=rules, draw_map=False)
    want = need_file(
        files.customers,
        NeedOptions(rules=rules, draw_map=False, observed=str(demo_files[observed])),
        store=store,
    )
    customers = spark.read.csv(str(files.customers), header=True)
    obs = spark.read.csv(str(demo_files[observed]), header=True)
    got = need(customers, str(demo_ref), opt, observed=obs)
    _same_result(got, want)
    assert got.accounting["observed_in_area"] == want.accounting["observed_in_area"] > 0


def test_library_need_on_matched_records(spark, demo, demo_ref, tmp_path):
    from oacinsight.match import match_file
    from oacinsight.spark import match, need

    store, files = demo
    matched = tmp_path / "matched.csv"
    match_file(files.customers, matched, store=store)
    want = need_file(matched, NeedOptions(draw_map=False), store=store)
    sdf = match(spark.read.csv(str(files.customers), header=True), str(demo_ref), "postcode")
    got = need(sdf, str(demo_ref), NeedOptions(draw_map=False))
    _same_result(got, want)
    # a matched file's statuses are those it carries, in the same order
    assert list(got.accounting) == list(want.accounting)


def test_counts_read_as_duckdb_reads_them(spark):
    from pyspark.sql import functions as F

    from oacinsight.spark.need import amount_value

    values = [
        *AWKWARD_COUNTS,
        "nan",
        "1_000",
        "5.d",
        " 7 ",
        "\t8",
        "9\x00",
        "Infinity",
        "-inf",
        "0x10",
    ]
    con = duckdb.connect()
    duck = [con.execute("SELECT TRY_CAST(? AS DOUBLE)", [v]).fetchone()[0] for v in values]
    sdf = spark.createDataFrame([(v,) for v in values], "v string")
    got = [r[0] for r in sdf.select(amount_value(F.col("v"))).collect()]
    assert [None if d is None else str(d) for d in got] == [
        None if d is None else str(d) for d in duck
    ]
    assert duck[2] == 10.0 and duck[3] is None  # "1_0" a number, "5d" not, in DuckDB


def _error(args: list[str], engine: str) -> str:
    res = runner.invoke(app, ["need", *args, "--engine", engine])
    assert res.exit_code == 2, res.output
    lines = res.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), res.output
    return lines[0]


def test_bad_input_gives_the_same_message(spark, demo, demo_files, tmp_path):
    store, files = demo
    e = pd.read_csv(demo_files["wards"])
    wards = sorted(e["ward"])
    header = tmp_path / "header.csv"
    header.write_text("postcode,name\n")
    nopc = tmp_path / "nopc.csv"
    nopc.write_text("name,town\nAnn,Wigan\nBob,Leigh\n")
    mixed = tmp_path / "mixed.csv"
    pd.DataFrame({"code": [wards[0], LAD]}).to_csv(mixed, index=False)
    negative = tmp_path / "negative.csv"
    pd.DataFrame({"ward": wards[:2], "count": [3, -1]}).to_csv(negative, index=False)
    outside = tmp_path / "outside.csv"
    pd.DataFrame({"ward": wards[1:3]}).to_csv(outside, index=False)
    away = tmp_path / "away.csv"
    pd.DataFrame({"postcode": ["ZZ9 9ZZ", "", "DM1"]}).to_csv(away, index=False)
    cust = [str(files.customers), "--store", str(store)]
    cases = [
        [str(header), "--store", str(store)],
        [str(nopc), "--store", str(store)],
        [*cust, "--observed", str(mixed)],
        [*cust, "--observed", str(negative)],
        [*cust, "--area", wards[0], "--observed", str(outside), "--target-type", "ward"],
        [*cust, "--observed", str(away)],
        [*cust, "--observed", str(demo_files["wards"])],  # ward counts cannot rank LSOAs
    ]
    for i, args in enumerate(cases):
        out = ["-o", str(tmp_path / f"o{i}")]
        assert _error([*args, *out], "spark") == _error([*args, *out], "duckdb"), args
    assert not [i for i in range(len(cases)) if (tmp_path / f"o{i}").exists()]


def test_what_spark_cannot_do_is_refused_in_one_line(spark, demo, tmp_path):
    store, files = demo
    out = ["-o", str(tmp_path / "o"), "--store", str(store)]
    survey = [str(files.customers), "--survey-question", "q1", "--positive", "yes", *out]
    assert "does not take a survey input" in _error(survey, "spark")
    res = runner.invoke(app, ["need", str(files.customers), *out, "--spark-master", "local[1]"])
    assert res.exit_code == 2 and "--spark-master needs --engine spark" in res.output
    with pytest.raises(OacInsightError, match="as a DataFrame"):
        from oacinsight.spark import need

        need(None, str(tmp_path), NeedOptions(rates="r.csv", observed="obs.csv"))
    assert not (tmp_path / "o").exists()


def test_real_district_is_identical(spark, real_store_path, tmp_path):
    """Calderdale (HX): customers and claimants drawn from its live postcodes, with
    misspelt and blank ones and some from elsewhere; every file compared."""
    paths = sorted(need_shared("postcodes").glob("NSPL_*HX*.csv")) + sorted(
        need_shared("postcodes").glob("NSPL_*WN*.csv")
    )
    nspl = pd.concat([pd.read_csv(f, dtype=str, usecols=["pcds", "doterm", "laua"]) for f in paths])
    live = nspl[nspl["doterm"].isna()]
    hx = live.loc[live["laua"] == "E08000033", "pcds"].to_numpy()
    wn = live.loc[live["laua"] == "E08000010", "pcds"].to_numpy()
    rng = np.random.default_rng(33)
    cust = [*rng.choice(hx, 3000), *rng.choice(wn, 60), "", "HX1", "hx11aa"]
    pd.DataFrame({"postcode": cust}).to_csv(tmp_path / "customers.csv", index=False)
    claim = [*rng.choice(hx, 1200), *rng.choice(wn, 40), "", "HX99 9ZZ"]
    pd.DataFrame({"postcode": claim}).to_csv(tmp_path / "claim.csv", index=False)
    args = [str(tmp_path / "customers.csv"), "--store", str(real_store_path)]
    args += ["--area", "E08000033", "--observed", str(tmp_path / "claim.csv")]
    args += ["--level", "subgroup", "--outputs", "csv,json"]
    found = _run_both(args, tmp_path)
    assert found["spark"] == found["duckdb"]
    rates = pd.read_csv(tmp_path / "spark" / "rates.csv", dtype={"code": str})
    assert rates["customers"].isna().sum() >= 1  # hidden small counts, the same cells
    expected = pd.read_csv(tmp_path / "spark" / "expected.csv")
    assert expected.query("area_type == 'lad'")["observed"].iloc[0] >= 1100


def test_library_bad_observed_gives_the_default_engines_message(spark, demo, demo_ref, tmp_path):
    from oacinsight.spark import need

    store, files = demo
    base = need_file(files.customers, NeedOptions(draw_map=False), store=store).expected
    wards = sorted(base.loc[base["area_type"] == "ward", "area_code"])
    customers = spark.read.csv(str(files.customers), header=True)
    bad = {
        "mixed": pd.DataFrame({"code": [wards[0], LAD, wards[1]]}),
        "negative": pd.DataFrame({"ward": wards[:2], "count": ["3", "-1"]}),
        "unknown": pd.DataFrame({"ward": [wards[0], "E05999999"]}),
    }
    for key, frame in bad.items():
        frame.to_csv(tmp_path / f"{key}.csv", index=False)
        with pytest.raises(OacInsightError) as want:
            opt = NeedOptions(draw_map=False, observed=str(tmp_path / f"{key}.csv"))
            need_file(files.customers, opt, store=store)
        with pytest.raises(OacInsightError) as got:
            obs = spark.createDataFrame(frame.astype(str))
            need(customers, str(demo_ref), NeedOptions(draw_map=False), observed=obs)
        assert str(got.value) == str(want.value).replace(f"{key}.csv:", "observed:"), key


def test_records_placed_by_coordinates_give_the_same_outputs(spark, demo, tmp_path):
    """Customers and claimants with easting/northing and blank or unknown postcodes are
    placed by the nearest live postcode on both engines: every output file the same."""
    store, files = demo
    nspl = pd.read_csv(files.postcode_directory, dtype=str)
    live = nspl[nspl["doterm"].isna() & nspl["oseast1m"].notna()].reset_index(drop=True)
    rng = np.random.default_rng(21)
    pick = live.iloc[rng.integers(0, len(live), 900)].reset_index(drop=True)
    east = pick["oseast1m"].astype(float) + rng.normal(0, 40, len(pick))
    north = pick["osnrth1m"].astype(float) + rng.normal(0, 40, len(pick))
    postcode = pick["pcds"].where(rng.random(len(pick)) < 0.5, "")
    postcode[:20] = "ZZ9 9ZZ"  # unknown: placed by its coordinates
    east[20:25] = np.nan  # nowhere to place it
    frame = pd.DataFrame({"postcode": postcode, "easting": east.round(1), "northing": north})
    frame.to_csv(tmp_path / "coords.csv", index=False)
    frame.iloc[::3].to_csv(tmp_path / "claim_coords.csv", index=False)
    args = [str(tmp_path / "coords.csv"), "--store", str(store), "--level", "group"]
    args += ["--observed", str(tmp_path / "claim_coords.csv"), "--outputs", "csv,json"]
    found = _run_both(args, tmp_path)
    assert found["spark"] == found["duckdb"]
    acc = json.loads((tmp_path / "duckdb" / "need.json").read_text())["accounting"]
    assert acc["rows"] == 900 and acc["matched"] > 800  # most placed by coordinates
