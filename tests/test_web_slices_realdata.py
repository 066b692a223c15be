"""Compare by in the web app on real geography (Wigan's live postcodes, OAs, OAC groups
and census residents from ``../shared/data``): customers of two services drawn with
known, different need rates per supergroup, and a survey with a channel column.  The
pages show what ``oacinsight need --by`` / ``survey --by`` give for the same files, the
downloads are the CLI's files, and the planted differences come out in the findings."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from tests.conftest import need_shared
from tests.test_web_slices import (
    SURVEY_ARGS,
    check_need_page,
    need_by_page,
    run_cli,
    same_file,
    upload,
)
from tests.test_web_support import web_client

from oacinsight.demo._survey import POSITIVE, synthetic_survey

WIGAN = "E08000010"
BASE_RATE = 0.004
#: Service → supergroup → multiple of the base rate (1 elsewhere).
PLANTED = {"Housing": {"8": 3.0, "7": 2.0}, "Libraries": {"1": 2.5, "8": 0.5}}


@pytest.fixture(scope="module")
def wigan(tmp_path_factory):
    """(customers csv with postcode and service, survey csv with channel)."""
    nspl = pd.read_csv(need_shared("postcodes", "NSPL_NOV_2021_UK_WN.csv"), dtype=str,
                       usecols=["pcds", "doterm", "oa11", "laua"])  # fmt: skip
    live = nspl[nspl["doterm"].isna() & (nspl["laua"] == WIGAN)]
    oac = pd.read_parquet(need_shared("oac", "oac2021_uk_oa.parquet"))
    supergroup = oac.set_index("Geography_Code")["Supergroup"].astype(str)
    census = pd.read_parquet(need_shared("census2021_oa", "ts001.parquet"))
    residents = census.set_index("OA")["ts0010001"]
    residents = residents[residents.index.isin(set(live["oa11"]))]
    rng = np.random.Generator(np.random.PCG64(2024))
    postcodes = live.groupby("oa11")["pcds"].apply(lambda s: s.to_numpy())
    rows = []
    for oa, n in residents.items():
        for service, planted in PLANTED.items():
            rate = BASE_RATE * planted.get(supergroup[oa], 1.0)
            rows += [(pc, service) for pc in rng.choice(postcodes[oa], rng.poisson(n * rate))]
    root = tmp_path_factory.mktemp("web_slices_wigan")
    customers = root / "wigan_customers.csv"
    pd.DataFrame(rows, columns=["postcode", "service"]).to_csv(customers, index=False)
    residents.attrs["supergroup"] = supergroup
    frame, _ = synthetic_survey(
        rng, live.rename(columns={"oa11": "oa"})[["pcds", "oa"]], residents, 4000
    )
    frame["channel"] = rng.choice(["Online", "Phone", "Post"], len(frame))
    survey = root / "wigan_survey.csv"
    frame.to_csv(survey, index=False)
    return customers, survey


@pytest.fixture(scope="module")
def client(real_store_path):
    with web_client(real_store_path) as c:
        yield c


def test_real_need_by_service_page_and_downloads(client, wigan, real_store_path, tmp_path):
    customers = wigan[0]
    opts = ["--area", WIGAN, "--level", "supergroup", "--store", real_store_path]
    run_cli("need", customers, "--by", "service", "-o", tmp_path, *opts)
    token = upload(client, customers)
    page, query = need_by_page(client, token, by="service", area=WIGAN, level="supergroup")
    assert page.status_code == 200, page.text[:500]
    check_need_page(page.text, tmp_path)
    doc = json.loads((tmp_path / "need_by.json").read_text())
    assert sorted(doc["slices"]) == ["Housing", "Libraries"] and doc["areas"][0]["code"] == WIGAN
    # each slice's highest and lowest group: those of its stabilised rates (the slice's
    # average divides them all); the planted ones: Housing 7 or 8, Libraries 1
    found = {f.split(":")[0]: f for f in doc["findings"] if "the rate is highest" in f}
    wide = pd.DataFrame(doc["rates_wide"]).set_index("code")
    for service in PLANTED:
        high, low = wide[service].idxmax(), wide[service].idxmin()
        assert found[service].startswith(f"{service}: the rate is highest in supergroup {high} ")
        assert f"lowest in {low} (" in found[service]
    assert wide["Housing"].idxmax() in ("7", "8") and wide["Libraries"].idxmax() == "1"
    for name in sorted(p.name for p in tmp_path.iterdir()):
        got = client.get(f"/u/{token}/need/by/{name}?{query}")
        assert got.status_code == 200, (name, got.text[:200])
        same_file(got.content, tmp_path / name)


def test_real_survey_by_channel_page_and_downloads(client, wigan, real_store_path, tmp_path):
    survey = wigan[1]
    outputs = {s: tmp_path / f"survey_by.{s}" for s in ("csv", "json", "html")}
    for path in outputs.values():
        run_cli("survey", survey, *SURVEY_ARGS, "--by", "channel", "-o", path,
                "--store", real_store_path)  # fmt: skip
    token = upload(client, survey, "/survey/upload")
    query = {"question": ["q1_satisfaction", "q2_safety"], "positive": POSITIVE,
             "weight": "weight", "by": "channel"}  # fmt: skip
    page = client.get(f"/u/{token}/survey", params=query)
    assert page.status_code == 200, page.text[:500]
    doc = json.loads(outputs["json"].read_text())
    assert doc["slices"] == ["Online", "Phone", "Post"] or sorted(doc["slices"]) == [
        "Online", "Phone", "Post"]  # fmt: skip
    long = pd.read_csv(outputs["csv"], dtype={"code": str}, encoding="utf-8-sig")
    shown = long.dropna(subset=["share", "share_low", "share_high"])
    for r in shown.itertuples():
        cell = f"{100 * r.share:.1f}% ({100 * r.share_low:.0f}–{100 * r.share_high:.0f}%)"
        assert f">{cell}<" in page.text, (r.by, r.question, r.code)
    # the channel was drawn at random: no group's share differs clearly between channels
    tests = pd.DataFrame(doc["slice_tests"])
    assert (tests["p_holm"].dropna() > 0.01).all()
    for f in doc["findings"]:
        assert f.replace("'", "&#39;") in page.text
    for suffix, path in outputs.items():
        got = client.get(f"/u/{token}/survey/download/{suffix}", params=query)
        assert got.status_code == 200, (suffix, got.text[:200])
        same_file(got.content, path)
