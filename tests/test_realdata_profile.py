"""Real data: customers simulated from Wigan's real postcodes with known propensities
per supergroup; the profile must recover them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from tests.conftest import need_shared

from oacinsight.profile.run import profile_file

WIGAN = "E08000010"
RATES = {
    "1": 0.004,
    "2": 0.006,
    "3": 0.010,
    "4": 0.012,
    "5": 0.008,
    "6": 0.010,
    "7": 0.016,
    "8": 0.024,
}


@pytest.fixture(scope="module")
def wigan(tmp_path_factory):
    nspl = pd.read_csv(
        need_shared("postcodes", "NSPL_NOV_2021_UK_WN.csv"),
        dtype=str,
        usecols=["pcds", "doterm", "oa11", "laua"],
    )
    live = nspl[nspl["doterm"].isna()]
    # an OA belongs to the district most of its live postcodes are in (independent of the store)
    home = live.groupby("oa11")["laua"].agg(lambda s: s.mode().iloc[0])
    oas = home[home == WIGAN].index
    oac = pd.read_parquet(need_shared("oac", "oac2021_uk_oa.parquet"))
    res = pd.read_parquet(need_shared("census2021_oa", "ts001.parquet"))[["OA", "ts0010001"]]
    areas = oac[oac["Geography_Code"].isin(oas)].merge(res, left_on="Geography_Code", right_on="OA")
    areas["sg"] = areas["Supergroup"].astype(str)
    rng = np.random.default_rng(7)
    rows = []
    for oa, sg, residents in areas[["OA", "sg", "ts0010001"]].itertuples(index=False):
        n = rng.poisson(residents * RATES[sg])
        pcs = live.loc[live["oa11"] == oa, "pcds"].to_numpy()
        rows += list(rng.choice(pcs, n))
    path = tmp_path_factory.mktemp("wigan") / "customers.csv"
    pd.DataFrame({"id": range(len(rows)), "postcode": rows}).to_csv(path, index=False)
    expected = (
        areas.assign(c=areas["ts0010001"] * areas["sg"].map(RATES))
        .groupby("sg")[["c", "ts0010001"]]
        .sum()
    )
    truth = (
        100
        * (expected["c"] / expected["c"].sum())
        / (expected["ts0010001"] / expected["ts0010001"].sum())
    )
    return path, truth, len(rows)


def test_wigan_profile_recovers_propensities(wigan, real_store_path):
    path, truth, n = wigan
    result = profile_file(path, store=real_store_path, areas=[WIGAN])
    t = result.table.set_index("code")
    assert result.n_input == n and result.n_matched == n  # all live, real postcodes
    assert result.n_in_area >= 0.99 * n
    inside = sum(t.loc[c, "index_low"] <= v <= t.loc[c, "index_high"] for c, v in truth.items())
    assert inside >= 7, t[["index", "index_low", "index_high"]].assign(truth=truth)
    for code, value in truth.items():
        if t.loc[code, "customers"] >= 100:  # small groups have wide intervals
            assert t.loc[code, "index"] == pytest.approx(value, rel=0.12)
    over = set(t.index[t["flag"] == "over"])
    assert {"7", "8"} <= over and "1" in set(t.index[t["flag"] == "under"])


def test_area_that_holds_no_customers(wigan, real_store_path):
    from oacinsight.errors import InputFileError

    path, _, _ = wigan
    with pytest.raises(InputFileError, match="live in E08000024"):
        profile_file(path, store=real_store_path, areas=["E08000024"])  # Sunderland


WEST_LANCS = "E07000127"


@pytest.fixture(scope="module")
def with_stray(wigan, tmp_path_factory):
    """The Wigan customers plus one customer living in West Lancashire (a WN8 postcode)."""
    path, _, _ = wigan
    nspl = pd.read_csv(
        need_shared("postcodes", "NSPL_NOV_2021_UK_WN.csv"),
        dtype=str,
        usecols=["pcds", "doterm", "laua"],
    )
    stray = nspl[(nspl["laua"] == WEST_LANCS) & nspl["doterm"].isna()]["pcds"].iloc[0]
    customers = pd.read_csv(path, dtype=str)
    customers.loc[len(customers)] = ["stray", stray]
    out = tmp_path_factory.mktemp("stray") / "customers.csv"
    customers.to_csv(out, index=False)
    return out


def test_one_stray_customer_does_not_change_the_default_area(wigan, with_stray, real_store_path):
    alone = profile_file(wigan[0], store=real_store_path)
    both = profile_file(with_stray, store=real_store_path)
    assert [c for c, _ in both.areas] == [WIGAN] == [c for c, _ in alone.areas]
    assert both.excluded_areas == [(WEST_LANCS, WEST_LANCS, 1)]  # no names in this store
    assert alone.excluded_areas == []
    # the same base (Wigan as the loaded postcode directory places it) and numbers
    base = both.table[both.table["level"] == "supergroup"]["base"].sum()
    assert base == 245_903
    pd.testing.assert_frame_equal(both.table, alone.table)
    meta = both.to_json()
    # a count of people in a district: hidden below 10 like any published cell
    assert meta["excluded_areas"] == [
        {
            "code": WEST_LANCS,
            "name": WEST_LANCS,
            "customers": None,
            "customers_text": "hidden (fewer than 10, or protecting one)",
        }
    ]
    assert (
        "excluded (outside the area): E07000127: hidden (fewer than 10, or protecting one)"
        in both.summary_text()
    )
    # forcing the stray's district in is what the old default did: the base grows by
    # West Lancashire's loaded part and the index of supergroup 8 falls
    forced = profile_file(with_stray, store=real_store_path, areas=[WIGAN, WEST_LANCS])
    assert forced.table[forced.table["level"] == "supergroup"]["base"].sum() == 296_637
    t_default, t_forced = both.table.set_index("code"), forced.table.set_index("code")
    assert t_forced.loc["8", "index"] < t_default.loc["8", "index"]
    assert forced.excluded_areas == [] and forced.area_rule == "chosen with --area"


def test_default_area_index_recomputed_by_hand(wigan, with_stray, real_store_path):
    """Index of each supergroup = customer share / resident share over Wigan's OAs
    (placed by the postcode majority, live postcodes first, recomputed here from the NSPL
    files)."""
    nspl = pd.concat(
        pd.read_csv(f, dtype=str, usecols=["pcds", "doterm", "oa11", "laua"])
        for f in sorted(need_shared("postcodes").glob("NSPL_*.csv"))
    )
    live = nspl[nspl["doterm"].isna()]
    use = pd.concat([live, nspl[~nspl["oa11"].isin(set(live["oa11"]))]])
    home = use.groupby("oa11")["laua"].agg(lambda s: s.mode().sort_values().iloc[0])
    oac = pd.read_parquet(need_shared("oac", "oac2021_uk_oa.parquet")).set_index("Geography_Code")
    res = pd.read_parquet(need_shared("census2021_oa", "ts001.parquet")).set_index("OA")
    oas = home.index[home == WIGAN].intersection(res.index).intersection(oac.index)
    base = res.loc[oas, "ts0010001"].groupby(oac.loc[oas, "Supergroup"].astype(str)).sum()
    cust = pd.read_csv(with_stray, dtype=str).merge(nspl, left_on="postcode", right_on="pcds")
    cust = cust[cust["oa11"].isin(oas)]
    counts = cust["oa11"].map(oac["Supergroup"].astype(str)).value_counts()
    index = 100 * (counts / counts.sum()) / (base / base.sum())
    t = profile_file(with_stray, store=real_store_path).table.set_index("code")
    for code, value in index.items():
        assert t.loc[code, "index"] == pytest.approx(value, rel=1e-9)


def test_partial_district_is_said_first_everywhere(wigan, real_store_path, tmp_path):
    result = profile_file(wigan[0], store=real_store_path)
    first = result.coverage_notes[0]
    assert first.startswith(
        f"partial: {WIGAN}: 804 output areas loaded (245,903 residents); "
        "the census holds 1,073 output areas (329,317 residents)"
    )
    assert result.summary_text().splitlines()[0] == first
    assert result.to_json()["coverage"][0] == first
    assert any(
        n.startswith("names: no area names loaded for E08000010 (codes shown)")
        for n in result.coverage_notes
    )
    html = result.write(tmp_path / "p.html").read_text(encoding="utf-8")
    assert html.index("partial: E08000010") < html.index("<dt>Base</dt>")


def test_web_page_gives_the_same_area_and_exclusions(with_stray, real_store_path):
    from tests.test_web_support import web_client

    lib = profile_file(with_stray, store=real_store_path)
    with web_client(real_store_path) as client, open(with_stray, "rb") as fh:
        r = client.post(
            "/upload", files={"file": ("c.csv", fh, "text/csv")}, follow_redirects=False
        )
        token = r.headers["location"].split("/")[2]
        page = client.get(f"/u/{token}/profile").text
    first = lib.coverage_notes[0].replace("'", "&#39;")
    assert page.index(first) < page.index('class="lead"')
    assert "E07000127: hidden (fewer than 10, or protecting one)." in page
