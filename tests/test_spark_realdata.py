"""Real data: the Spark engine gives the default engine's answers, byte for byte.

Every postcode of the 18 shared NSPL areas (live, terminated, Scottish, Channel Islands,
Isle of Man) plus misspelt copies of some of them is matched by both engines; customer
files drawn from those postcodes are profiled by both at every level, with both
disclosure methods.  Runs in the shared ``local[2]`` session (``spark`` fixture).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from tests.conftest import need_shared
from typer.testing import CliRunner

from oacinsight.cli import app
from oacinsight.match import match_file
from oacinsight.profile.run import profile_file

runner = CliRunner()
LEVELS = ("supergroup", "group", "subgroup", "all")


def _misspelt(pcds: pd.Series, rng: np.random.Generator) -> list[str]:
    """Copies that reach the other statuses and notes: unknown area, unknown district,
    unknown postcode in a known district, a letter too many or too few, odd spacing."""
    pick = pcds.sample(3000, random_state=7).reset_index(drop=True)
    out = []
    for i, pc in enumerate(pick):
        outward, inward = pc.split(" ")
        kind = i % 6
        if kind == 0:
            out.append(f"ZY{outward[2:] if outward[1].isalpha() else outward[1:]} {inward}")
        elif kind == 1:
            out.append(f"{outward.rstrip('0123456789ABCDEFGHJKLMNPRSTUVWXY')}98 {inward}")
        elif kind == 2:
            out.append(f"{outward} {inward[0]}ZZ")
        elif kind == 3:
            out.append(pc[:-1])
        elif kind == 4:
            out.append(pc.lower().replace(" ", "") + "a")
        else:
            out.append(" " + pc.replace(" ", "  ") + " ")
    rng.shuffle(out)
    return out


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """``all.csv``: every shared postcode plus misspelt copies; ``customers.csv``: 4,000
    customers drawn from Wigan (WN) mostly, some elsewhere, a few unmatched."""
    paths = sorted(need_shared("postcodes").glob("NSPL_*.csv"))
    nspl = pd.concat([pd.read_csv(f, dtype=str, usecols=["pcd", "pcds"]) for f in paths])
    rng = np.random.default_rng(2021)
    tmp = tmp_path_factory.mktemp("spark_real")
    values = [*nspl["pcd"], *_misspelt(nspl["pcds"], rng), *([""] * 50)]
    pd.DataFrame({"customer_postcode": values, "n": range(len(values))}).to_csv(
        tmp / "all.csv", index=False
    )
    wn = nspl.loc[nspl["pcds"].str.startswith("WN"), "pcds"].to_numpy()
    other = nspl.loc[nspl["pcds"].str.match(r"^(HX|SR|DT)"), "pcds"].to_numpy()
    cust = [*rng.choice(wn, 3700), *rng.choice(other, 280), *(["XX1 1XX"] * 20)]
    rng.shuffle(cust)
    names = rng.choice(["Ann", "Bob", "Cy", "=SUM(A1)", ""], len(cust))
    pd.DataFrame({"id": range(len(cust)), "postcode": cust, "name": names}).to_csv(
        tmp / "customers.csv", index=False
    )
    return {"all": tmp / "all.csv", "customers": tmp / "customers.csv", "tmp": tmp}


@pytest.fixture(scope="module")
def real_ref(real_store_path: Path, files: dict[str, Path]) -> Path:
    from oacinsight.spark.reference import export_reference

    folder = files["tmp"] / "ref"
    export_reference(folder, store=real_store_path)
    return folder


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_every_real_postcode_matches_identically(spark, real_store_path, files, suffix):
    from oacinsight.spark.engine import SparkEngine

    tmp = files["tmp"]
    got = {}
    for name, matcher in (("duckdb", None), ("spark", SparkEngine(spark).matcher)):
        out, rep = tmp / f"all_{name}{suffix}", tmp / f"all_{name}.json"
        summary = match_file(files["all"], out, store=real_store_path, report=rep, matcher=matcher)
        report = json.loads(rep.read_text())
        report.pop("output")
        got[name] = (_digest(out), report, summary.counts)
    assert got["spark"] == got["duckdb"]
    counts = got["duckdb"][2]
    # every status is reached, so the comparison covers each rule on real data
    assert all(counts[s] >= 50 for s in counts), counts


def test_library_match_on_the_export_equals_the_default_engine(
    spark, real_store_path, files, real_ref
):
    from oacinsight.match import match_records
    from oacinsight.spark import match

    frame = pd.read_csv(files["all"], dtype=str, keep_default_na=False).iloc[-6000:]
    frame = frame.reset_index(drop=True)
    duck = match_records(frame, store=real_store_path).frame
    got = match(spark.createDataFrame(frame), str(real_ref)).toPandas()
    got = got.sort_values("n", key=lambda s: s.astype(int)).reset_index(drop=True)
    assert list(got.columns) == list(duck.columns)
    assert set(duck["match_status"]) >= {"matched", "not_found", "invalid_format", "missing"}
    for c in duck.columns:
        assert [_text(v) for v in got[c]] == [_text(v) for v in duck[c]], c


def _text(value: object) -> str | None:
    """A cell as text (None for nulls; whole floats without ``.0``)."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@pytest.mark.parametrize("disclosure", ["suppress", "cellkey"])
def test_profiles_are_identical_at_every_level(spark, real_store_path, files, real_ref, disclosure):
    from oacinsight.spark import profile

    sdf = spark.read.csv(str(files["customers"]), header=True)
    hidden = 0
    for level in LEVELS:
        want = profile_file(
            files["customers"], store=real_store_path, level=level, disclosure=disclosure
        )
        got = profile(sdf, str(real_ref), level=level, disclosure=disclosure)
        pd.testing.assert_frame_equal(got.to_frame(), want.to_frame())
        pd.testing.assert_frame_equal(got.table, want.table)
        assert got.to_dict() == want.to_dict()
        assert (got.n_input, got.n_matched, got.n_in_area) == (4000, want.n_matched, want.n_in_area)
        assert want.n_matched > 3800
        hidden += int((want.table["flag"] == "suppressed").sum())
    # small counts exist, so "the same cells hidden" is tested, not assumed
    assert hidden > 0 if disclosure == "suppress" else hidden == 0


def test_profile_with_an_area_is_identical(spark, real_store_path, files, real_ref):
    from oacinsight.spark import profile

    sdf = spark.read.csv(str(files["customers"]), header=True)
    want = profile_file(files["customers"], store=real_store_path, areas=["E08000010"])
    got = profile(sdf, str(real_ref), area="E08000010")
    assert got.to_dict() == want.to_dict()
    assert want.n_in_area > 2500


def test_cli_profile_engine_spark_writes_the_same_bytes(spark, real_store_path, files):
    tmp = files["tmp"]
    digests = {}
    for engine in ("duckdb", "spark"):
        outs = []
        for suffix in (".csv", ".json"):
            out = tmp / f"prof_{engine}{suffix}"
            args = ["profile", str(files["customers"]), "-o", str(out), "--level", "all"]
            args += ["--store", str(real_store_path), "--engine", engine]
            res = runner.invoke(app, args)
            assert res.exit_code == 0, res.output
            outs.append(_digest(out))
        digests[engine] = outs
    assert digests["spark"] == digests["duckdb"]


@pytest.fixture(scope="module")
def live_centroids() -> pd.DataFrame:
    """The live postcodes of the shared NSPL files with a grid reference."""
    paths = sorted(need_shared("postcodes").glob("NSPL_*.csv"))
    cols = ["pcds", "doterm", "oseast1m", "osnrth1m", "lat", "long"]
    nspl = pd.concat([pd.read_csv(f, dtype=str, usecols=cols) for f in paths])
    return nspl[nspl["doterm"].isna() & nspl["oseast1m"].notna()].reset_index(drop=True)


def _coordinate_files(tmp: Path, live: pd.DataFrame) -> dict[str, Path]:
    """Records with coordinates near real postcodes (and on them: shared centroids tie),
    with blank, invalid, unknown and good postcodes, unreadable and far coordinates."""
    rng = np.random.default_rng(15)
    n = 2000
    pick = live.sample(n, random_state=15).reset_index(drop=True)
    kind = np.arange(n) % 5
    postcode = np.select(
        [kind == 0, kind == 1, kind == 2, kind == 3],
        ["", "N/A", "ZZ9 9ZZ", pick["pcds"].str.replace(" ", "").str[:-1]],
        pick["pcds"],
    )
    shift = rng.integers(-900, 900, (n, 2)) * (rng.random((n, 1)) < 0.7)
    east = pick["oseast1m"].astype(float) + shift[:, 0]
    north = pick["osnrth1m"].astype(float) + shift[:, 1] + (np.arange(n) % 7 == 0) * 0.5
    east_text = east.map(lambda v: f"{v:g}").to_numpy(dtype=object)
    east_text[::97] = "n/a"
    east_text[1::101] = "1000"  # far from any postcode
    bng = pd.DataFrame({"id": range(n), "postcode": postcode, "easting": east_text})
    bng["northing"] = north.map(lambda v: f"{v:g}")
    lat = pick["lat"].astype(float) + shift[:, 1] * 9e-6
    lon = pick["long"].astype(float) + shift[:, 0] * 1.5e-5
    latlong = pd.DataFrame({"ref": range(n), "Latitude": lat, "Longitude": lon})
    out = {"bng": tmp / "coords_bng.csv", "latlong": tmp / "coords_latlong.csv"}
    bng.to_csv(out["bng"], index=False)
    latlong.to_csv(out["latlong"], index=False)
    return out


def test_records_placed_by_coordinates_are_identical(spark, real_store_path, files, live_centroids):
    """Blank, invalid and unknown postcodes with easting/northing (Parquet output), and a
    latitude/longitude file with no postcode column (CSV output): the same bytes."""
    from oacinsight.spark.engine import SparkEngine

    tmp = files["tmp"]
    sources = _coordinate_files(tmp, live_centroids)
    for kind, suffix in (("bng", ".parquet"), ("latlong", ".csv")):
        got = {}
        for name, matcher in (("duckdb", None), ("spark", SparkEngine(spark).matcher)):
            out, rep = tmp / f"xy_{kind}_{name}{suffix}", tmp / f"xy_{kind}_{name}.json"
            summary = match_file(
                sources[kind], out, store=real_store_path, report=rep, matcher=matcher
            )
            report = json.loads(rep.read_text())
            report.pop("output")
            got[name] = (_digest(out), report, summary.by_coordinates)
        assert got["spark"] == got["duckdb"], kind
        placed = got["duckdb"][2]
        assert placed > (700 if kind == "bng" else 1800), (kind, placed)
    _check_ties(tmp / "xy_bng_duckdb.parquet", live_centroids)
    digests = {}
    for engine in ("duckdb", "spark"):
        out = tmp / f"xy_profile_{engine}.json"
        args = ["profile", str(sources["latlong"]), "-o", str(out), "--level", "group"]
        res = runner.invoke(app, [*args, "--store", str(real_store_path), "--engine", engine])
        assert res.exit_code == 0, res.output
        digests[engine] = _digest(out)
    assert digests["spark"] == digests["duckdb"]


def _check_ties(path: Path, live: pd.DataFrame) -> None:
    """Records right on a centroid several live postcodes share tie at 0 m: the first
    postcode in key order is named (independent recomputation from the NSPL)."""
    live = live.assign(
        key=live["pcds"].str.replace(" ", ""),
        e=live["oseast1m"].astype(int),
        n=live["osnrth1m"].astype(int),
    )
    first = live.sort_values("key").groupby(["e", "n"])["pcds"].agg(["first", "size"])
    out = pd.read_parquet(path)
    zero = out[out["match_note"].fillna("").str.contains(", 0 m away")]
    named = zero["match_note"].str.extract(r"nearest postcode (.+?), 0 m away")[0]
    where = zero[["easting", "northing"]].astype(float).astype(int)
    found = first.loc[list(zip(where["easting"], where["northing"], strict=True))]
    assert list(named) == list(found["first"])
    assert len(zero) > 100 and (found["size"] > 1).sum() >= 5
