"""Real data: customers simulated from Wigan's real postcodes with known propensities
per supergroup; the profile must recover them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from tests.conftest import need_shared

from oacinsight.profile.run import profile_file

WIGAN = "E08000010"
RATES = {"1": 0.004, "2": 0.006, "3": 0.010, "4": 0.012, "5": 0.008, "6": 0.010,
         "7": 0.016, "8": 0.024}


@pytest.fixture(scope="module")
def wigan(tmp_path_factory):
    nspl = pd.read_csv(need_shared("postcodes", "NSPL_NOV_2021_UK_WN.csv"), dtype=str,
                       usecols=["pcds", "doterm", "oa11", "laua"])
    live = nspl[nspl["doterm"].isna()]
    # an OA belongs to the district most of its live postcodes are in (independent of the store)
    home = live.groupby("oa11")["laua"].agg(lambda s: s.mode().iloc[0])
    oas = home[home == WIGAN].index
    oac = pd.read_parquet(need_shared("oac", "oac2021_uk_oa.parquet"))
    res = pd.read_parquet(need_shared("census2021_oa", "ts001.parquet"))[["OA", "ts0010001"]]
    areas = (oac[oac["Geography_Code"].isin(oas)]
             .merge(res, left_on="Geography_Code", right_on="OA"))
    areas["sg"] = areas["Supergroup"].astype(str)
    rng = np.random.default_rng(7)
    rows = []
    for oa, sg, residents in areas[["OA", "sg", "ts0010001"]].itertuples(index=False):
        n = rng.poisson(residents * RATES[sg])
        pcs = live.loc[live["oa11"] == oa, "pcds"].to_numpy()
        rows += list(rng.choice(pcs, n))
    path = tmp_path_factory.mktemp("wigan") / "customers.csv"
    pd.DataFrame({"id": range(len(rows)), "postcode": rows}).to_csv(path, index=False)
    expected = areas.assign(c=areas["ts0010001"] * areas["sg"].map(RATES)).groupby("sg")[
        ["c", "ts0010001"]].sum()
    truth = 100 * (expected["c"] / expected["c"].sum()) / (
        expected["ts0010001"] / expected["ts0010001"].sum())
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
