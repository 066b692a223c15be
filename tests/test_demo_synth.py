"""Tests of the synthetic Demoshire generator (:mod:`oacinsight.demo.synth`)."""

from __future__ import annotations

import csv
import json
import os
import re
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from oacinsight.demo import DemoFiles, generate_demo
from oacinsight.oac import SUPERGROUP_NAMES

NSPL_HEADER = (
    "pcd,pcd2,pcds,dointr,doterm,usertype,oseast1m,osnrth1m,osgrdind,oa11,cty,ced,laua,ward,"
    "hlthau,nhser,ctry,rgn,pcon,eer,teclec,ttwa,pct,itl,park,lsoa11,msoa11,wz11,ccg,bua11,"
    "buasd11,ru11ind,oac11,lat,long,lep1,lep2,pfa,imd,calncv,stp"
)
OAC_GROUPS = {
    "1a", "1b", "1c", "2a", "2b", "2c", "3a", "3b", "3c", "4a", "4b", "4c", "5a", "5b",
    "6a", "6b", "6c", "7a", "7b", "8a", "8b",
}  # fmt: skip
#: Official number of subgroups per group (52 in all).
SUBGROUPS_PER_GROUP = {"3a": 4, "4b": 4, "2a": 3, "4a": 3, "5a": 3, "6a": 3, "6b": 3, "8b": 3}
DEMO_POSTCODE = re.compile(r"^DM[1-9] [0-9][ABDEFGHJLNPQRSTUWXYZ]{2}$")
#: Full UK grammar on a key (letters and digits only).
UK_KEY = re.compile(
    r"^[A-PR-UWYZ]([0-9][0-9A-HJKPSTUW]?|[A-HK-Y][0-9][0-9ABEHMNPRVWXY]?)[0-9][ABD-HJLNP-UW-Z]{2}$"
)
CENSUS_IDS = ("ts001", "ts037", "ts041", "ts045", "ts054")


def _shared_data() -> Path | None:
    """The real reference data folder, if this machine has it."""
    env = os.environ.get("OACINSIGHT_SHARED_DATA")
    root = Path(env) if env else Path(__file__).resolve().parents[1].parent / "shared" / "data"
    return root if root.is_dir() else None


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> DemoFiles:
    return generate_demo(tmp_path_factory.mktemp("demo"))


@pytest.fixture(scope="module")
def truth(files: DemoFiles) -> dict:
    return json.loads(files.truth.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def nspl(files: DemoFiles) -> pd.DataFrame:
    return pd.read_csv(files.postcode_directory, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def customers(files: DemoFiles) -> pd.DataFrame:
    return pd.read_csv(files.customers, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def oac(files: DemoFiles) -> pd.DataFrame:
    return pd.read_parquet(files.oac_assignment)


@pytest.fixture(scope="module")
def census(files: DemoFiles) -> dict[str, pd.DataFrame]:
    return {t: pd.read_parquet(files.census_dir / f"{t}.parquet") for t in CENSUS_IDS}


def _all_bytes(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


# -- determinism, layout, speed ---------------------------------------------------------
def test_same_seed_gives_identical_bytes(tmp_path: Path) -> None:
    a = _all_bytes(generate_demo(tmp_path / "a", seed=7, n_customers=800).root)
    b = _all_bytes(generate_demo(tmp_path / "b", seed=7, n_customers=800).root)
    c = _all_bytes(generate_demo(tmp_path / "c", seed=8, n_customers=800).root)
    assert len(a) == 12
    assert a == b
    assert a["truth.json"] != c["truth.json"]


def test_files_written_and_listed(files: DemoFiles) -> None:
    names = [p.name for p in files.reference_files]
    assert names == [
        "NSPL_NOV_2021_UK_DM.csv", "oac2021_demoshire_oa.parquet", "oac2021_names.csv",
        "oa21_to_lsoa21_demoshire.csv", "ts001.parquet", "ts037.parquet", "ts041.parquet",
        "ts045.parquet", "ts054.parquet", "Table_Metadata.csv",
    ]  # fmt: skip
    assert all(p.is_file() for p in (*files.reference_files, files.customers, files.truth))
    assert files.customers not in files.reference_files
    assert files.census_dir == files.reference_files[4].parent


def test_too_few_customers_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least 100"):
        generate_demo(tmp_path, n_customers=10)


# -- official formats -------------------------------------------------------------------
def test_nspl_header_and_quoting(files: DemoFiles) -> None:
    lines = files.postcode_directory.read_text(encoding="utf-8").split("\n")
    assert lines[0] == NSPL_HEADER
    assert lines[-1] == ""  # LF line ends, final newline
    live = next(x for x in lines[1:] if x.split(",")[4] == '""')
    fields = live.split(",")
    assert len(fields) == 41
    bare = [i for i, f in enumerate(fields) if not f.startswith('"')]
    assert bare == [33, 34, 38]  # lat, long, imd
    assert re.fullmatch(r"5[34]\.\d{6}", fields[33]) and re.fullmatch(r"-1\.\d{6}", fields[34])
    real = _shared_data()
    if real is not None:
        with open(real / "postcodes" / "NSPL_NOV_2021_UK_WN.csv", encoding="utf-8") as fh:
            real_header, real_row = fh.readline().rstrip("\n"), fh.readline()
        assert lines[0] == real_header
        real_bare = [i for i, f in enumerate(real_row.split(",")) if not f.startswith('"')]
        assert bare == real_bare


def test_reference_headers(files: DemoFiles) -> None:
    names = files.oac_names.read_bytes()
    assert names.startswith(
        b"subgroup,group,supergroup,supergroup_name,group_name,subgroup_name\r\n"
    )
    assert files.oa_lsoa_lookup.read_text().startswith("OA,geography_code\nE00999001,E01999001\n")
    meta = pd.read_csv(files.census_dir / "Table_Metadata.csv")
    assert list(meta.columns) == [
        "Table_Name", "Variable_Name", "Type", "new_names", "Table_ID", "old_names",
    ]  # fmt: skip
    assert len(meta) == 28
    assert meta.groupby("Table_ID").size().to_dict() == {
        "ts001": 3, "ts037": 6, "ts041": 1, "ts045": 5, "ts054": 13,
    }  # fmt: skip


def test_parquet_schemas(files: DemoFiles) -> None:
    oac_schema = pq.read_schema(files.oac_assignment)
    assert [(f.name, str(f.type)) for f in oac_schema] == [
        ("Geography_Code", "string"), ("Supergroup", "string"), ("Group", "string"),
        ("Subgroup", "string"),
    ]  # fmt: skip
    ts054 = pq.read_schema(files.census_dir / "ts054.parquet")
    assert ts054.names == ["OA"] + [f"ts054{i:04d}" for i in range(1, 14)]
    assert {str(f.type) for f in ts054} == {"string", "double"}


@pytest.mark.realdata
def test_formats_equal_real_files(files: DemoFiles) -> None:
    real = _shared_data()
    if real is None:
        if os.environ.get("CI") == "true":
            pytest.fail("../shared/data is missing on CI: cannot compare with the real files")
        pytest.skip("../shared/data is absent: cannot compare with the real files")
    for ours in (files.oac_assignment, *files.census_dir.glob("*.parquet")):
        folder = "oac/oac2021_uk_oa.parquet" if ours.parent.name == "oac" else None
        real_path = real / (folder or f"census2021_oa/{ours.name}")
        assert pq.read_schema(ours).equals(pq.read_schema(real_path).remove_metadata())
    with open(real / "census2021_oa" / "Table_Metadata.csv", encoding="utf-8") as fh:
        real_meta = [r for r in csv.reader(fh) if r[4] in CENSUS_IDS]
    with open(files.census_dir / "Table_Metadata.csv", encoding="utf-8") as fh:
        assert sorted(list(csv.reader(fh))[1:]) == sorted(real_meta)
    real_names = (real / "oac" / "oac2021_names.csv").read_bytes().split(b"\r\n")[0]
    assert files.oac_names.read_bytes().split(b"\r\n")[0] == real_names


# -- geography and OAC -------------------------------------------------------------------
def test_postcode_grammar(nspl: pd.DataFrame) -> None:
    assert len(nspl) == 3053
    assert nspl["pcds"].is_unique
    assert nspl["pcds"].str.match(DEMO_POSTCODE).all()
    assert nspl["pcds"].str.replace(" ", "").str.match(UK_KEY).all()
    assert (nspl["pcd"].str.len() == 7).all() and (nspl["pcd2"].str.len() == 8).all()
    assert (nspl["pcd2"] == nspl["pcds"].str.replace(" ", "  ")).all()
    assert sorted(nspl["pcds"].str[:3].unique()) == [f"DM{d}" for d in range(1, 10)]


def test_geography_structure(files: DemoFiles, nspl: pd.DataFrame, oac: pd.DataFrame) -> None:
    lookup = pd.read_csv(files.oa_lsoa_lookup, dtype=str)
    assert len(lookup) == 290 and lookup["OA"].is_unique
    assert lookup["geography_code"].nunique() == 60
    assert lookup["OA"].str.fullmatch(r"E00999\d{3}").all()
    live = nspl[nspl["oa11"].isin(set(lookup["OA"]))]
    assert live.groupby("oa11")["ward"].nunique().max() == 1
    assert live.groupby("oa11")["lsoa11"].nunique().max() == 1
    assert live["ward"].nunique() == 12
    assert set(nspl.loc[nspl["osgrdind"] == "1", "laua"]) == {"E06000999"}
    assert set(oac["Geography_Code"]) == set(lookup["OA"])


def test_oac_codes_consistent(files: DemoFiles, oac: pd.DataFrame) -> None:
    assert sorted(oac["Supergroup"].unique()) == list("12345678")
    assert set(oac["Group"]) <= OAC_GROUPS
    assert (oac["Group"].str[0] == oac["Supergroup"]).all()
    assert (oac["Subgroup"].str[:2] == oac["Group"]).all()
    sub_no = oac["Subgroup"].str[2].astype(int)
    assert (sub_no <= oac["Group"].map(lambda g: SUBGROUPS_PER_GROUP.get(g, 2))).all()
    names = pd.read_csv(files.oac_names, dtype=str)
    assert sorted(names["subgroup"]) == sorted(oac["Subgroup"].unique())
    assert (names["supergroup_name"] == names["supergroup"].map(SUPERGROUP_NAMES)).all()


def test_supergroups_cluster_by_ward(nspl: pd.DataFrame, oac: pd.DataFrame) -> None:
    sg = oac.set_index("Geography_Code")["Supergroup"]
    ward = nspl.drop_duplicates("oa11").set_index("oa11")["ward"].reindex(sg.index)
    modal_share = sg.groupby(ward).agg(lambda s: s.value_counts().iloc[0] / len(s))
    assert modal_share.mean() > 0.45  # 8 supergroups: 0.125 if spread at random


def test_postcode_directory_content(nspl: pd.DataFrame, truth: dict) -> None:
    dead = nspl["doterm"] != ""
    assert 0.06 < dead.mean() < 0.11
    assert (nspl.loc[dead, "doterm"] > nspl.loc[dead, "dointr"]).all()
    assert nspl["dointr"].str.fullmatch(r"(19[89]\d|20[0-2]\d)(0[1-9]|1[0-2])").all()
    assert set(nspl["usertype"]) == {"0", "1"}
    old = nspl[nspl["oa11"].isin(truth["geography"]["old_oa_codes"])]
    assert len(old) == 10 and (old["doterm"] == "").all()
    no_grid = nspl[nspl["osgrdind"] == "9"]
    assert (
        len(no_grid) == 2
        and (no_grid["oa11"] == "").all()
        and (no_grid["lat"] == "99.999999").all()
    )
    grid = nspl[nspl["osgrdind"] == "1"]
    imd = grid["imd"].astype(int)
    assert imd.between(1, 32844).all()
    assert grid["lat"].astype(float).between(53.4, 53.6).all()
    assert grid["long"].astype(float).between(-1.65, -1.35).all()
    assert truth["geography"]["postcodes_by_kind"] == {
        "live": 2776, "terminated": 265, "old_oa": 10, "no_grid": 2,
    }  # fmt: skip


def test_imd_follows_supergroup(nspl: pd.DataFrame, oac: pd.DataFrame) -> None:
    sg = nspl["oa11"].map(oac.set_index("Geography_Code")["Supergroup"])
    median = nspl["imd"].astype(int).groupby(sg).median()
    assert median["8"] < median["6"] < median["1"]
    assert median["7"] < 12000 < median["1"]


# -- census ------------------------------------------------------------------------------
def test_census_covers_every_oa(census: dict[str, pd.DataFrame], oac: pd.DataFrame) -> None:
    for frame in census.values():
        assert list(frame["OA"]) == sorted(oac["Geography_Code"])
        assert frame.drop(columns="OA").ge(0).all().all()


def test_census_parts_sum_to_totals(census: dict[str, pd.DataFrame]) -> None:
    t1, t37, t41, t45, t54 = (census[t].set_index("OA") for t in CENSUS_IDS)
    assert (t1["ts0010001"] == t1["ts0010002"] + t1["ts0010003"]).all()
    assert t1["ts0010001"].between(250, 450).all()
    assert (t45["ts0450001"] == t45.iloc[:, 1:].sum(axis=1)).all()
    assert (t45["ts0450001"] == t41["ts0410001"]).all()
    assert (t37["ts0370001"] == t37.iloc[:, 1:].sum(axis=1)).all()
    assert (t37["ts0370001"] == t1["ts0010001"]).all()
    top = ["ts0540002", "ts0540005", "ts0540007", "ts0540010", "ts0540013"]
    assert (t54["ts0540001"] == t54[top].sum(axis=1)).all()
    assert (t54["ts0540001"] == t41["ts0410001"]).all()
    for total, parts in [("02", ("03", "04")), ("05", ("06",)), ("07", ("08", "09")),
                         ("10", ("11", "12"))]:  # fmt: skip
        assert (t54[f"ts05400{total}"] == t54[[f"ts05400{p}" for p in parts]].sum(axis=1)).all()
    size = t1["ts0010002"].sum() / t41["ts0410001"].sum()
    assert 2.1 < size < 2.6


def test_census_mix_varies_by_supergroup(
    census: dict[str, pd.DataFrame], oac: pd.DataFrame
) -> None:
    sg = oac.set_index("Geography_Code")["Supergroup"]
    t54, t45 = census["ts054"].set_index("OA"), census["ts045"].set_index("OA")
    social = (t54["ts0540007"] / t54["ts0540001"]).groupby(sg).mean()
    no_car = (t45["ts0450002"] / t45["ts0450001"]).groupby(sg).mean()
    assert social["8"] > 0.4 > 0.1 > social["1"]
    assert no_car["8"] > 0.4 > 0.15 > no_car["1"]


# -- customers and truth -----------------------------------------------------------------
def _reference_status(value: str, directory: pd.DataFrame, with_oac: set[str]) -> tuple:
    """An independent, minimal matcher: the truth must agree with it row for row."""
    key = re.sub(r"[^A-Za-z0-9]", "", value).upper()
    if not key:
        return "missing", None
    if re.fullmatch(r"BFPO[0-9]{1,4}", key):
        return "not_found", None  # British Forces: valid mail address, no geography
    if not UK_KEY.match(key):
        return "invalid_format", None
    if key not in directory.index:
        return "not_found", None
    row = directory.loc[key]
    if row["oa11"] not in with_oac:
        return "no_oac", row["oa11"]
    return ("matched_terminated" if row["doterm"] else "matched"), row["oa11"]


def test_truth_rows_agree_with_reference_matcher(
    customers: pd.DataFrame, nspl: pd.DataFrame, oac: pd.DataFrame, truth: dict
) -> None:
    directory = nspl.set_index(nspl["pcds"].str.replace(" ", ""))
    with_oac = set(oac["Geography_Code"])
    got = [_reference_status(v, directory, with_oac) for v in customers["postcode"]]
    assert list(customers["record_id"]) == [r[0] for r in truth["rows"]]
    assert got == [(r[2], r[3]) for r in truth["rows"]]


def test_truth_counts(customers: pd.DataFrame, truth: dict) -> None:
    assert list(customers.columns) == [
        "record_id", "postcode", "service", "contact_date", "outcome", "channel", "name_note",
    ]  # fmt: skip
    assert truth["n_rows"] == len(customers) == 6041
    status = truth["expected_status"]
    assert sum(status.values()) == len(customers)
    assert status == {
        "matched": 5775, "matched_terminated": 60, "not_found": 14, "invalid_format": 60,
        "missing": 120, "no_oac": 12,
    }  # fmt: skip
    kinds = truth["row_kinds"]
    assert (customers["postcode"] == "").sum() == kinds["blank"] == 96
    assert (customers["postcode"] == "   ").sum() == kinds["whitespace_only"] == 24
    assert customers["postcode"].str.startswith("BFPO ").sum() == kinds["bfpo"] == 2
    assert kinds["invalid"] == 60 and kinds["terminated"] == 60 and kinds["old_oa"] == 12
    assert (customers["postcode"] == "N/A").sum() == 8  # an invalid value, not a blank
    messy = sum(kinds[k] for k in ("lower", "no_space", "extra_spaces", "pcd2_style", "whitespace"))
    assert 0.17 < messy / (messy + kinds["clean"]) < 0.23


def test_messy_postcodes_look_messy(customers: pd.DataFrame, truth: dict) -> None:
    kind = pd.Series([r[1] for r in truth["rows"]], index=customers.index)
    pc = customers["postcode"]
    assert (pc[kind == "lower"] == pc[kind == "lower"].str.lower()).all()
    assert not pc[kind == "no_space"].str.contains(" ").any()
    assert pc[kind == "extra_spaces"].str.contains("   ").all()
    assert pc[kind == "pcd2_style"].str.fullmatch(r"DM\d  \d[A-Z]{2}").all()
    assert (pc[kind == "whitespace"] != pc[kind == "whitespace"].str.strip()).all()
    assert pc[kind == "clean"].str.match(DEMO_POSTCODE).all()


def test_special_cells(files: DemoFiles, customers: pd.DataFrame, truth: dict) -> None:
    notes = customers.set_index("record_id")["name_note"]
    formula = notes[notes.str[:1].isin(list("=+-@"))]
    assert sorted(formula.index) == truth["special_cells"]["formula_record_ids"]
    assert sorted(formula.str[0]) == ["+", "="]
    non_ascii = int((~notes.map(str.isascii)).sum())
    assert non_ascii == truth["special_cells"]["non_ascii_name_notes"] > 50
    assert files.customers.read_bytes().split(b"\n")[0].endswith(b"\r")


def test_index_truth(census: dict[str, pd.DataFrame], oac: pd.DataFrame, truth: dict) -> None:
    sg = oac.set_index("Geography_Code")["Supergroup"]
    res = census["ts001"].set_index("OA")["ts0010001"].groupby(sg).sum()
    assert truth["residents_by_supergroup"] == {k: float(v) for k, v in res.items()}
    rates, expected = truth["rates_per_resident"], truth["expected_index_by_supergroup"]
    mean_rate = sum(rates[s] * res[s] for s in rates) / res.sum()
    for s in rates:
        assert expected[s] == pytest.approx(100 * rates[s] / mean_rate, abs=1e-3)
    assert expected["8"] > expected["7"] > 100 > expected["1"]
    weighted = sum(expected[s] * res[s] for s in rates) / res.sum()
    assert weighted == pytest.approx(100, abs=1e-3)
    counts = pd.Series([r[4] for r in truth["rows"] if r[2].startswith("matched")]).value_counts()
    assert truth["customers_with_oac_by_supergroup"] == {s: int(counts[s]) for s in rates}
    observed = truth["observed_index_by_supergroup"]
    assert all(abs(observed[s] - expected[s]) < 0.25 * expected[s] for s in rates)
