"""The web app's maps and profile of one upload hide consistently, and together hold.

A small Demoshire file is uploaded; the attacker downloads the all-levels profile (CSV),
the ward map's values, the ward GeoJSON and the OA and points maps, and combines them
with the geography (each OA's subgroup and ward, from the store).
"""

from __future__ import annotations

import io
import json

import duckdb
import pandas as pd
import pytest
from tests.attack import attack_sums
from tests.test_web_support import build_demo_store, web_client

WARDS = "wards_may_2021_boundaries_uk_bgc_demoshire"
OAS = "output_areas_dec_2021_boundaries_ew_bgc_demoshire"


@pytest.fixture(scope="module")
def small_upload(tmp_path_factory):
    root = tmp_path_factory.mktemp("mapweb")
    store, customers = build_demo_store(root)
    small = root / "small.csv"
    pd.read_csv(customers, dtype=str).sample(150, random_state=4).to_csv(small, index=False)
    return store, small


def _geography(store) -> pd.DataFrame:
    con = duckdb.connect(str(store), read_only=True)
    try:
        oac = con.execute("SELECT DISTINCT oa, supergroup, group_code, subgroup FROM oac_oa").df()
        wards = con.execute(
            "SELECT oa, code AS ward FROM boundary_members WHERE layer = ?", [WARDS]
        ).df()
    finally:
        con.close()
    return oac.merge(wards, on="oa")


def test_map_geojson_and_profile_of_one_upload_hide_consistently(small_upload, tmp_path):
    store, small = small_upload
    with web_client(store) as client, open(small, "rb") as fh:
        r = client.post(
            "/upload", files={"file": ("small.csv", fh, "text/csv")}, follow_redirects=False
        )
        token = r.headers["location"].split("/")[2]
        profile = pd.read_csv(
            io.BytesIO(
                client.get(f"/u/{token}/download/profile.csv", params={"level": "all"}).content
            ),
            encoding="utf-8-sig",
            dtype={"code": str},
        )
        maps = {
            m: client.get(
                "/api/map-values", params={"layer": WARDS, "measure": m, "u": token}
            ).json()
            for m in ("customers", "rate", "index")
        }
        geojson = json.loads(
            client.get(f"/u/{token}/download/map.geojson", params={"layer": WARDS}).content
        )
        fine = [
            client.get("/api/map-values", params={"layer": layer, "measure": m, "u": token}).json()
            for layer in (OAS, "points")
            for m in ("customers", "rate", "index")
        ]
        matched = pd.read_csv(
            io.BytesIO(client.get(f"/u/{token}/download/matched.csv").content),
            encoding="utf-8-sig",
            dtype=str,
        )
    # OA-level customer numbers are never published
    assert all(a["value"] is None for m in fine for a in m["areas"].values())
    ward_map = {c: a["value"] for c, a in maps["customers"]["areas"].items()}
    props = {f["id"]: f["properties"] for f in geojson["features"]}
    for code, value in ward_map.items():
        assert props[code]["customers"] == (None if value is None else int(value))
        for measure in ("rate", "index"):  # derived numbers blank wherever the count is
            assert (maps[measure]["areas"][code]["value"] is None) == (value is None)
            assert (props[code][measure] is None) == (value is None)
    shown = {c: v for c, v in ward_map.items() if v is not None}
    assert 0 < len(shown) < len(ward_map)  # some wards shown, some hidden
    ok = matched[matched["match_status"].isin(["matched", "matched_terminated"])]
    truth_oa = ok.groupby("oa21").size()
    geo = _geography(store)
    geo = geo.assign(customers=geo["oa"].map(truth_oa).fillna(0).astype(int))
    n = int(geo["customers"].sum())
    assert n == len(ok)
    by_ward = geo.groupby("ward")["customers"].sum()
    assert all(v >= 10 and by_ward[c] == v for c, v in shown.items())
    # the attacker: profile cells and ward cells as sums of OAs, hidden ones bounded
    cells, truth = [], {}
    column = {"supergroup": "supergroup", "group": "group_code", "subgroup": "subgroup"}
    for row in profile.itertuples(index=False):
        key = f"{row.level} {row.code}"
        oas = geo.loc[geo[column[row.level]] == row.code, "oa"].tolist()
        truth[key] = int(geo.loc[geo["oa"].isin(oas), "customers"].sum())
        value = None if pd.isna(row.customers) else float(row.customers)
        assert value is None or value == truth[key]
        cells.append((key, oas, value))
    for code, value in ward_map.items():
        key = f"ward {code}"
        truth[key] = int(by_ward.get(code, 0))
        cells.append((key, geo.loc[geo["ward"] == code, "oa"].tolist(), value))
    ranges = attack_sums(cells, geo["oa"].tolist(), n, truth)
    assert len(ranges) >= 20
    for key, (low, high) in ranges.items():
        assert low <= truth[key] <= high and high - low >= 3, (key, low, high)
