"""Real data: every postcode of the 18 shared NSPL areas matched against the real OAC."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from tests.conftest import need_shared

from oacinsight.match import match_file
from oacinsight.store import Store

EW_AREAS = ("DT", "HG", "HX", "SM", "SR", "WC", "WN", "LD")
SCOTTISH = ("DG", "FK", "HS", "KW", "PH", "TD", "ZE")


@pytest.fixture(scope="module")
def all_postcodes(tmp_path_factory) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every postcode in the shared NSPL files, as a customer file, matched."""
    files = sorted(need_shared("postcodes").glob("NSPL_*.csv"))
    nspl = pd.concat(
        [pd.read_csv(f, dtype=str, usecols=["pcd", "pcds", "doterm", "oa11"]) for f in files]
    )
    tmp = tmp_path_factory.mktemp("match")
    inp = tmp / "all.csv"
    nspl.rename(columns={"pcd": "customer_postcode"})[["customer_postcode", "pcds"]].to_csv(
        inp, index=False
    )
    return nspl.reset_index(drop=True), tmp


def test_every_postcode_matches_as_expected(all_postcodes, real_store_path):
    nspl, tmp = all_postcodes
    out = tmp / "out.parquet"
    summary = match_file(
        tmp / "all.csv",
        out,
        store=real_store_path,
        postcode_column="customer_postcode",
        report=tmp / "report.json",
    )
    res = pd.read_parquet(out)
    # every row, in order, with the original columns
    assert len(res) == len(nspl) == summary.rows
    assert list(res["pcds"]) == list(nspl["pcds"])
    assert summary.counts["invalid_format"] == 0 and summary.counts["not_found"] == 0
    area = res["pcds"].str.extract(r"^([A-Z]+)")[0]
    live = nspl["doterm"].isna()
    england_wales = nspl["oa11"].str.match(r"^[EW]00", na=False)
    overall = res.loc[live & england_wales, "match_status"].eq("matched").mean()
    assert overall >= 0.95, f"{overall:.3f} of live E&W postcodes matched"
    for a in EW_AREAS:
        sel = (area == a) & live
        rate = res.loc[sel, "match_status"].eq("matched").mean()
        # WC (central London): 2011 OAs redrawn in 2021; recovered only with the official
        # OA11->OA21 lookup or a directory edition carrying oa21
        assert rate >= (0.90 if a == "WC" else 0.95), f"{a}: {rate:.3f} of live postcodes matched"
        assert (
            res.loc[sel & res["match_status"].eq("matched"), "oac_group"]
            .str.fullmatch(r"[1-8][a-d]")
            .all()
        )
    report = json.loads((tmp / "report.json").read_text())
    assert report["rows"] == len(nspl)
    assert sum(v["count"] for v in report["status"].values()) == len(nspl)
    assert report["postcode_directory_editions"] == ["NSPL NOV 2021"]


@pytest.mark.parametrize(
    ("areas", "note"),
    [
        (SCOTTISH, "Scottish 2011 output area"),
        (("GY", "JE"), "Channel Islands"),
        (("IM",), "Isle of Man"),
    ],
)
def test_no_oac_areas_say_why(all_postcodes, real_store_path, areas, note):
    nspl, tmp = all_postcodes
    out = tmp / "out_noac.parquet"
    if not out.exists():
        match_file(tmp / "all.csv", out, store=real_store_path, postcode_column="pcds")
    res = pd.read_parquet(out)
    # TD includes Berwick-upon-Tweed (England): Scotland is told by its S00 2011 OA codes
    not_england_wales = ~nspl["oa11"].str.match(r"^[EW]00", na=False)
    sel = res["pcds"].str.extract(r"^([A-Z]+)")[0].isin(areas) & not_england_wales
    assert sel.sum() > 500
    got = res.loc[sel]
    with_oa = got["match_note"] != "the postcode directory gives no output area"
    assert (got["match_status"] == "no_oac").all()
    assert got.loc[with_oa, "match_note"].str.startswith(note).mean() > 0.99


def test_terminated_postcodes_keep_their_area(all_postcodes, real_store_path):
    nspl, tmp = all_postcodes
    out = tmp / "out_noac.parquet"
    if not out.exists():
        match_file(tmp / "all.csv", out, store=real_store_path, postcode_column="pcds")
    res = pd.read_parquet(out)
    term = res["match_status"] == "matched_terminated"
    assert term.sum() > 1000
    assert nspl.loc[term, "doterm"].notna().all()
    assert res.loc[term, "match_note"].str.startswith("postcode terminated").all()


def test_lookup_agrees_with_independent_join(real_store_path):
    """OAC of each E&W postcode equals a pandas join of NSPL oa11 to the OAC file."""
    nspl = pd.read_csv(
        need_shared("postcodes", "NSPL_NOV_2021_UK_WN.csv"),
        dtype=str,
        usecols=["pcds", "oa11", "doterm"],
    )
    oac = pd.read_parquet(need_shared("oac", "oac2021_uk_oa.parquet"))
    expect = nspl.merge(oac, left_on="oa11", right_on="Geography_Code", how="left")
    with Store(real_store_path, read_only=True) as s:
        got = s.query_df(
            "SELECT postcode_clean AS pcds, oac_subgroup FROM pc_lookup WHERE pc_key LIKE 'WN%'"
        )
    both = expect.merge(got, on="pcds")
    assert len(both) == len(nspl)
    has = both["Subgroup"].notna()
    assert (both.loc[has, "Subgroup"].str.lower() == both.loc[has, "oac_subgroup"]).all()
    assert both.loc[~has, "oac_subgroup"].isna().all()
