"""Every page and endpoint with uploads whose counts are all, partly or not hidden; area
codes never opened as files; area search; output-area and boundary-only area pages."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest
from tests.test_web_support import build_demo_store, web_client

from oacinsight.ingest import ingest
from oacinsight.store import Store

WARDS = "wards_may_2021_boundaries_uk_bgc_demoshire"
OAS = "output_areas_dec_2021_boundaries_ew_bgc_demoshire"
NEW_WARD = "E05999099"  # in a boundary file only: no postcode of the directory is in it
LAD = "E06000999"
HIDDEN = "hidden (fewer than 10"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """Demoshire with boundaries, plus a boundary file of one ward the postcode directory
    does not know (Abbey's outline under a new code); and three customer files."""
    root = tmp_path_factory.mktemp("hidden")
    store, customers = build_demo_store(root)
    wards = json.loads(next((root / "files" / "boundaries").glob("Wards_*")).read_text())
    abbey = next(f for f in wards["features"] if f["properties"]["WD21CD"] == "E05999001")
    abbey["properties"] = {"WD22CD": NEW_WARD, "WD22NM": "Newtown"}
    extra = root / "Wards_December_2022_Boundaries_Newtown.geojson"
    extra.write_text(json.dumps({**wards, "features": [abbey]}))
    with Store(store) as s:
        ingest([extra], s)
        one = s.con.execute(
            "SELECT oa21, min(postcode_clean) FROM pc_lookup WHERE doterm IS "
            "NULL AND oac_supergroup IS NOT NULL GROUP BY 1 ORDER BY 1"
        ).df()
    one.columns = ["oa", "postcode"]
    files = {"partly": customers}
    few = pd.DataFrame({"id": range(7), "postcode": one["postcode"].iloc[0]})
    files["all"] = root / "few.csv"
    few.to_csv(files["all"], index=False)
    many = one.loc[one.index.repeat(12), ["postcode"]].reset_index(drop=True)
    many.insert(0, "id", range(len(many)))
    files["none"] = root / "many.csv"
    many.to_csv(files["none"], index=False)
    return store, files, one


@pytest.fixture(scope="module")
def client(demo):
    with web_client(demo[0]) as c:
        yield c


def _upload(client, path: Path) -> str:
    with open(path, "rb") as fh:
        r = client.post("/upload", files={"file": (path.name, fh)}, follow_redirects=False)
    assert r.status_code == 303, r.text
    return r.headers["location"].split("/")[2]


def _urls(token: str, oa: str) -> list[str]:
    u = f"/u/{token}"
    urls = [
        f"{u}/match",
        f"{u}/map",
        f"{u}/map?layer=points&measure=customers",
        f"{u}/download/matched.csv",
        f"{u}/download/matched.xlsx",
        f"{u}/download/unmatched.csv",
        f"{u}/download/map.geojson?layer={WARDS}",
        f"/areas?q=a&u={token}",
        f"/area/{LAD}?u={token}",
        f"/area/{oa}?u={token}",
        f"/area/{NEW_WARD}?u={token}",
        f"/map?layer={OAS}",
    ]
    for level in ("supergroup", "group", "subgroup", "all"):
        urls.append(f"{u}/profile?level={level}")
    urls += [
        f"{u}/profile?level=group&base=households&area=E05999007",
        f"{u}/profile?area=E05999007,E05999008&level=all",
    ]
    urls += [f"/area/E05{999001 + w}?u={token}&level=group" for w in range(12)]
    urls += [
        f"{u}/download/profile.{fmt}?level=all&area=E05999012"
        for fmt in ("csv", "xlsx", "json", "html", "png", "svg", "pdf")
    ]
    for layer in (WARDS, OAS, "points"):
        urls += [
            f"/api/map-values?layer={layer}&measure={m}&u={token}"
            for m in ("index", "rate", "customers", "supergroup")
        ]
    return urls


@pytest.mark.parametrize("case", ["all", "partly", "none"])
def test_every_page_and_endpoint_answers_for_any_hidden_counts(client, demo, case):
    _, files, one = demo
    token = _upload(client, files[case])
    for url in _urls(token, one["oa"].iloc[0]):
        r = client.get(url, headers={"accept": "text/html"})
        if case == "all" and "area=E" in url and r.status_code == 400:  # none live there
            assert "none of the 7 matched customers" in r.text
            continue
        assert r.status_code == 200, (url, r.text[r.text.find('role="alert"') :][:300])
        if r.headers["content-type"].startswith(("text/", "application/json")):
            assert "<NA>" not in r.text and "&lt;NA&gt;" not in r.text, url
            assert "NAType" not in r.text and "nan" not in r.text.split(), url
    for level in ("supergroup", "group", "subgroup", "all"):
        with open(files[case], "rb") as fh:
            r = client.post(
                "/api/profile", files={"file": ("c.csv", fh)}, data={"level": level, "area": LAD}
            )
        assert r.status_code == 200, r.text
        records = r.json()["records"]
        hidden = [rec for rec in records if rec["flag"] == "suppressed"]
        assert all(rec["customers"] is None for rec in hidden)
        shown = [rec["customers"] for rec in records if rec["flag"] != "suppressed"]
        assert all(c == 0 or c >= 10 for c in shown)
    page = client.get(f"/u/{token}/profile").text
    table = page[page.index('id="profile-table"') :]
    if case == "all":
        assert table.count(HIDDEN) >= 1 and '<td class="num">7</td>' not in table
    elif case == "none":
        assert HIDDEN not in table  # 12 customers in every output area


def test_all_hidden_api_profile_hides_every_nonzero_count(client, demo):
    with open(demo[1]["all"], "rb") as fh:
        body = client.post("/api/profile", files={"file": ("few.csv", fh)}).json()
    assert body["n_matched"] == 7
    customers = [rec["customers"] for rec in body["records"]]
    assert 7 not in customers and None in customers


def test_none_hidden_counts_are_12_per_output_area(client, demo):
    _, files, one = demo
    with open(files["none"], "rb") as fh:
        body = client.post(
            "/api/profile", files={"file": ("many.csv", fh)}, data={"level": "subgroup"}
        ).json()
    got = pd.DataFrame(body["records"]).set_index("code")["customers"]
    assert got.sum() == 12 * len(one) and (got % 12 == 0).all()
    assert got.notna().all()


def test_area_file_names_are_never_opened(client, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    secret = "E00999001\nTOP-SECRET-LINE\n"
    for name in ("SECRET.CSV", "secret.csv", "E05999001"):
        (tmp_path / name).write_text(secret)
    for url in (
        "/area/SECRET.CSV",
        "/area/secret.csv",
        "/api/areas/SECRET.CSV",
        "/area/SECRET.CSV/download/oac_mix.csv",
        "/area/..%2Fsecret.csv",
        "/map?area=SECRET.CSV",
        "/api/map-values?layer=points&area=secret.csv",
    ):
        r = client.get(url)
        assert r.status_code in (400, 404), (url, r.status_code)
        assert "TOP-SECRET" not in r.text and "E00999001" not in r.text
        if r.status_code == 400:
            assert "is not an area code" in r.json()["detail"]
    page = client.get("/area/E05999001").text  # a file of that name is ignored
    assert "Abbey" in page and "TOP-SECRET" not in page


def test_area_search_by_code_name_and_part_of_name(client, demo):
    def codes(q):
        r = client.get("/api/areas", params={"q": q})
        assert r.status_code == 200
        return [a["code"] for a in r.json()]

    assert codes(LAD)[0] == LAD and codes(LAD.lower())[0] == LAD
    assert codes("Demoshire")[0] == LAD
    assert codes("abbey")[0] == "E05999001" and codes("bbe")[0] == "E05999001"
    assert set(codes("E05999")) == {f"E05{999001 + w}" for w in range(12)} | {NEW_WARD}
    assert codes("newtown") == [NEW_WARD]
    oa = demo[2]["oa"].iloc[0]
    assert codes(oa) == [oa]
    assert codes("%") == [] and codes("_") == []
    found = client.get("/api/areas", params={"q": "abbey"}).json()[0]
    assert found["kind"] == "ward" and found["name"] == "Abbey"
    token = _upload(client, demo[1]["all"])
    page = client.get("/areas", params={"q": "castle", "u": token}).text
    assert f'href="/u/{token}/match"' in page and "4. Areas" in page  # step navigation
    assert f'href="/area/E05999003?u={token}"' in page


def test_output_area_page(client, demo):
    one = demo[2]
    oa = one["oa"].iloc[0]
    token = _upload(client, demo[1]["none"])
    page = client.get(f"/area/{oa}?u={token}").text
    assert "patch of 1" not in page and "not known" not in page
    assert f'href="/area/{oa}' not in page  # no link to itself
    with Store(demo[0], read_only=True) as s:
        sg, ward = s.con.execute(
            "SELECT supergroup, ward FROM oac_oa JOIN oa_areas USING (oa) WHERE oa = ?", [oa]
        ).fetchone()
    assert f"{sg}</td>" in page and f'href="/area/{ward}?u={token}"' in page
    assert f'href="/area/{LAD}?u={token}"' in page and "Demoshire" in page
    # OA counts are never published (one disclosure pattern with the profile and maps)
    assert "Matched customers living in this output area: <strong>not published" in page


def test_boundary_only_ward_is_profiled_by_its_output_areas(client, demo):
    page = client.get(f"/area/{NEW_WARD}").text
    assert "unknown ward code" not in page and "Newtown" in page
    assert "places no postcode in this area" in page and "What kind of place it is" in page
    token = _upload(client, demo[1]["none"])
    page = client.get(f"/area/{NEW_WARD}?u={token}").text
    abbey_oas = 27
    assert f"<strong>{12 * abbey_oas:,}</strong>" in page


def test_unmatched_download_has_every_failed_row(client, demo):
    token = _upload(client, demo[1]["partly"])
    text = client.get(f"/u/{token}/download/unmatched.csv").content
    frame = pd.read_csv(io.BytesIO(text), dtype=str, encoding="utf-8-sig")
    assert len(frame) == 6041 - 5835
