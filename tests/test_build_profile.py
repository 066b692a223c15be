"""``profile --classification DIR``: customers profiled against a local classification
built by ``oacinsight build`` on Demoshire.

The counts per local cluster are recomputed independently: each matched customer's
output area → its local code in the build's ``assignments.csv``, residents from the
census file, counted with pandas; every statistic and the disclosure pattern are then
those of :meth:`ProfileResult.from_counts` on those counts, exactly as for the OAC.
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from oacinsight.cli import app
from oacinsight.errors import InputFileError
from oacinsight.match import match_file
from oacinsight.profile.result import ProfileResult
from oacinsight.profile.run import profile_file

runner = CliRunner()
MATCHED = ("matched", "matched_terminated")


@pytest.fixture(scope="module")
def local(demo, tmp_path_factory):
    """(store, files, matched customers, build folder) with two edited names."""
    from oacinsight.build import build_classification
    from oacinsight.build.spec import parse_spec
    from oacinsight.demo._build import DEMO_SPEC

    store, files = demo
    root = tmp_path_factory.mktemp("localprof")
    matched = root / "matched.parquet"
    match_file(files.customers, matched, store=store)
    spec = parse_spec({**DEMO_SPEC, "restarts": [4, 3]}, source="test")
    out = build_classification(
        spec, store, area="E06000999", k_range_values=[2, 3], compare_official=False
    ).write(root / "build")
    names = pd.read_csv(out / "names.csv", dtype=str)
    names.loc[names["code"] == "1", "name"] = "Edited supergroup one"
    names.loc[names["code"] == "2a", "name"] = "Edited group 2a"
    names.to_csv(out / "names.csv", index=False)
    return store, files, matched, out


def _independent(matched, build, files, customers=None) -> pd.DataFrame:
    """``compute_profile`` input counted with pandas from the files themselves."""
    m = pd.read_parquet(matched) if customers is None else customers
    m = m[m["match_status"].isin(MATCHED)]
    codes = pd.read_csv(build / "assignments.csv", dtype=str)
    names = pd.read_csv(build / "names.csv", dtype=str).set_index("code")["name"]
    res = pd.read_parquet(files.census_dir / "ts001.parquet")[["OA", "ts0010001"]]
    base = codes.merge(res, left_on="oa", right_on="OA", how="left").fillna({"ts0010001": 0})
    cust = codes.merge(m[["oa21"]], left_on="oa", right_on="oa21")
    rows = []
    for level, parent in (("supergroup", None), ("group", "supergroup")):
        n = cust.groupby(level).size()
        b = base.groupby(level)["ts0010001"].sum()
        up = codes.drop_duplicates(level).set_index(level)
        for code in sorted(b.index, key=lambda c: (len(c), c)):
            rows.append(
                {
                    "level": level,
                    "code": code,
                    "name": names[code],
                    "parent": up.loc[code, parent] if parent else None,
                    "customers": int(n.get(code, 0)),
                    "base": float(b[code]),
                }
            )
    return pd.DataFrame(rows)


def test_counts_per_local_cluster_equal_an_independent_count(local):
    store, files, matched, build = local
    result = profile_file(matched, store=store, level="all", classification=build)
    want = _independent(matched, build, files)
    got = result.table
    assert list(got["code"]) == list(want["code"])
    assert list(got["customers"]) == list(want["customers"])
    np.testing.assert_allclose(got["base"], want["base"])
    assert list(got["name"]) == list(want["name"])
    assert "Edited supergroup one" in set(got["name"]) and "Edited group 2a" in set(got["name"])
    # every matched customer in Demoshire is in one cluster of each tier
    assert result.n_in_area == want.loc[want["level"] == "group", "customers"].sum()
    for level in ("supergroup", "group"):
        part = got[got["level"] == level]
        assert part["customers"].sum() == result.n_in_area
        share = part["customers"] / part["customers"].sum()
        base = part["base"] / part["base"].sum()
        np.testing.assert_allclose(part["index"], 100 * share / base)
    # the statistics and the disclosure pattern are the OAC profile's, on these counts
    again = ProfileResult.from_counts(
        want,
        level="all",
        base_name=result.base_name,
        areas=result.areas,
        n_input=result.n_input,
        n_matched=result.n_matched,
        n_in_area=result.n_in_area,
        unmatched=result.unmatched,
    )
    pd.testing.assert_frame_equal(
        result.table.reset_index(drop=True), again.table.reset_index(drop=True)
    )


def test_small_file_suppressed_exactly_as_for_the_oac(local, tmp_path):
    store, files, _, build = local
    rows = pd.read_csv(files.customers, dtype=str, keep_default_na=False).head(80)
    small = tmp_path / "small.csv"
    rows.to_csv(small, index=False)
    matched = tmp_path / "small_matched.parquet"
    match_file(small, matched, store=store)
    result = profile_file(small, store=store, level="all", classification=build)
    want = _independent(matched, build, files)
    assert list(result.table["customers"]) == list(want["customers"])
    assert (want["customers"].between(1, 9)).any()  # the file has small cells to hide
    pub = pd.read_csv(result.write(tmp_path / "p.csv"), dtype={"code": str})
    shown = pub["customers"].dropna()
    assert ((shown == 0) | (shown >= 10)).all()
    hidden = set(pub.loc[pub["flag"] == "suppressed", "code"])
    assert set(want.loc[want["customers"].between(1, 9), "code"]) <= hidden
    again = ProfileResult.from_counts(
        want,
        level="all",
        base_name=result.base_name,
        areas=result.areas,
        n_input=result.n_input,
        n_matched=result.n_matched,
        n_in_area=result.n_in_area,
        unmatched=result.unmatched,
    )
    assert set(again.published_frame().query("flag == 'suppressed'")["code"]) == hidden


def test_every_output_names_the_classification(local, tmp_path):
    store, _, matched, build = local
    prov = json.loads((build / "provenance.json").read_text())
    built = prov["created"][:10]
    title = f"local classification 'demoshire' (seed 2021, built {built})"
    res = runner.invoke(
        app,
        [
            "profile",
            str(matched),
            "-o",
            str(tmp_path / "p.json"),
            "--classification",
            str(build),
            "--level",
            "group",
            "--store",
            str(store),
        ],
    )
    assert res.exit_code == 0, res.output
    assert f"classification: {title}" in res.output
    meta = json.loads((tmp_path / "p.json").read_text())
    assert meta["classification"]["title"] == title
    assert meta["classification"]["seed"] == 2021
    assert meta["classification"]["tiers"] == ["supergroup", "group"]
    assert {r["code"] for r in meta["rows"]} == set(
        pd.read_csv(build / "assignments.csv", dtype=str)["group"]
    )
    result = profile_file(matched, store=store, classification=build)
    html = result.to_html()
    assert "Customer profile: local classification &#39;demoshire&#39; supergroup" in html
    assert "Edited supergroup one" in html and "OAC 2021" not in html
    from pypdf import PdfReader

    pdf = result.write(tmp_path / "p.pdf")
    text = " ".join(p.extract_text() for p in PdfReader(pdf).pages)
    assert "demoshire" in text and f"seed 2021, built {built}" in text
    # the official OAC profile says so too
    assert profile_file(matched, store=store).metadata()["classification"]["name"] == "OAC 2021"


def test_area_outside_the_classification_left_out_and_said(local, tmp_path):
    store, files, matched, build = local
    part = tmp_path / "part"
    shutil.copytree(build, part)
    codes = pd.read_csv(part / "assignments.csv", dtype=str)
    dropped = codes[codes["supergroup"] == "3"]
    codes[codes["supergroup"] != "3"].to_csv(part / "assignments.csv", index=False)
    result = profile_file(matched, store=store, level="all", classification=part)
    want = _independent(matched, part, files)
    assert list(result.table["customers"]) == list(want["customers"])
    m = pd.read_parquet(matched)
    lost = m["match_status"].isin(MATCHED) & m["oa21"].isin(dropped["oa"])
    assert result.n_in_area == result.n_matched - lost.sum()
    assert (
        f"{len(dropped):,} output area(s) of the chosen area are not in the local "
        f"classification 'demoshire'" in result.coverage_notes[-1]
    )
    assert f"with the {lost.sum():,} matched customers in them" in result.coverage_notes[-1]


def _folder(tmp_path, name, assignments=None, names=None):
    folder = tmp_path / name
    folder.mkdir()
    if assignments is not None:
        (folder / "assignments.csv").write_text(assignments)
    if names is not None:
        (folder / "names.csv").write_text(names)
    return folder


@pytest.mark.parametrize(
    ("name", "assignments", "names", "message"),
    [
        ("empty", None, None, "no assignments.csv (not an output folder of 'oacinsight build')"),
        ("cols", "oa,code\nE1,1\n", None, "assignments.csv needs the columns oa and supergroup"),
        ("gap", "oa,supergroup,subgroup\nE1,1,1a1\n", None, "are not nested"),
        ("two", "oa,supergroup,group\nE1,1,1a\nE2,2,1a\n", None, "group 1a sits in two"),
        ("dup", "oa,supergroup\nE1,1\nE1,2\n", None, "output area E1 is listed twice"),
        ("nm", "oa,supergroup\nE1,1\n", "code,label\n1,x\n", "names.csv needs the columns"),
    ],
)
def test_bad_classification_folder_is_one_line(local, tmp_path, name, assignments, names, message):
    store, _, matched, _ = local
    folder = _folder(tmp_path, name, assignments, names)
    with pytest.raises(InputFileError, match="--classification"):
        profile_file(matched, store=store, classification=folder)
    res = runner.invoke(
        app,
        [
            "profile",
            str(matched),
            "-o",
            str(tmp_path / "p.csv"),
            "--classification",
            str(folder),
            "--store",
            str(store),
        ],
    )
    assert res.exit_code == 2
    assert message in res.output and "Traceback" not in res.output
    assert len(res.output.strip().splitlines()) == 1
    assert not (tmp_path / "p.csv").exists()


def test_missing_folder_tier_and_area(local, tmp_path):
    store, _, matched, build = local
    with pytest.raises(InputFileError, match="no such folder"):
        profile_file(matched, store=store, classification=tmp_path / "nope")
    with pytest.raises(InputFileError, match="has no subgroup tier \\(it has supergroup, group\\)"):
        profile_file(matched, store=store, level="subgroup", classification=build)
    other = _folder(tmp_path, "other", "oa,supergroup\nW00000001,1\nW00000002,2\n")
    with pytest.raises(InputFileError, match="codes none of the output areas of the chosen"):
        profile_file(matched, store=store, classification=other)


def test_cell_key_disclosure_on_local_clusters(local):
    store, files, matched, build = local
    result = profile_file(
        matched, store=store, level="all", classification=build, disclosure="cellkey"
    )
    want = _independent(matched, build, files)
    got = result.table
    diff = got["customers"].to_numpy() - want["customers"].to_numpy()
    assert np.abs(diff).max() <= 3 and (diff != 0).any()
    assert not got["customers"].isin([1, 2]).any()
    # the same records always get the same noise
    again = profile_file(
        matched, store=store, level="all", classification=build, disclosure="cellkey"
    )
    assert list(again.table["customers"]) == list(got["customers"])


def test_demo_profiles_its_customers_against_its_local_build(local, tmp_path):
    from oacinsight.demo._build import run_demo_build

    store, _, matched, _ = local
    out = run_demo_build(store, tmp_path, "E06000999", matched)
    page = out["profile_local"].read_text()
    assert "Customer profile: local classification &#39;demoshire&#39; all" in page
    codes = pd.read_csv(out["build_assignments"], dtype=str)
    assert codes["group"].nunique() == 8 and len(codes) == 290
