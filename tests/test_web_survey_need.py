"""The survey page and the need page of the web app (issues 11 and 12): the pages show
the library's numbers, the downloads and ``POST /api/survey`` / ``POST /api/need`` are
the files the CLI writes, small counts are hidden, bad input is a one-line 400."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest
from tests.test_web_support import web_client

from oacinsight.demo._survey import POSITIVE, write_demo_survey
from oacinsight.need import NeedOptions, TargetRules, need_file
from oacinsight.survey import SurveyOptions, survey_file

HIDDEN = "hidden (fewer than 10, or protecting one)"
QUERY = {
    "question": ["q1_satisfaction", "q2_safety"],
    "positive": POSITIVE,
    "placed_by": "postcode",
    "column": "postcode",
    "weight": "weight",
    "level": "supergroup",
}


@pytest.fixture(scope="module")
def files(demo, tmp_path_factory):
    """(store, survey csv, customers, claimants csv, tiny survey, few customers)."""
    from oacinsight.demo._need import write_claimants
    from oacinsight.match import match_file

    store, demo_files = demo
    root = tmp_path_factory.mktemp("websurvey")
    survey = root / "resident_survey.csv"
    write_demo_survey(
        demo_files.postcode_directory,
        demo_files.oac_assignment,
        demo_files.census_dir / "ts001.parquet",
        survey,
    )
    matched = root / "matched.csv"
    match_file(demo_files.customers, matched, store=store)
    claimants = root / "claimants.csv"
    write_claimants(matched, claimants)
    frame = pd.read_csv(survey, dtype=str)
    tiny = root / "tiny_survey.csv"
    frame.head(6).to_csv(tiny, index=False)  # every group count 0 to 9: all hidden
    few = root / "few.csv"
    pd.DataFrame({"id": range(7), "postcode": frame["postcode"].iloc[0]}).to_csv(few, index=False)
    return store, survey, demo_files.customers, claimants, tiny, few


@pytest.fixture(scope="module")
def client(files):
    with web_client(files[0]) as c:
        yield c


def _post(client, url: str, path: Path, **data) -> str:
    with open(path, "rb") as fh:
        r = client.post(url, files={"file": (path.name, fh)}, data=data, follow_redirects=False)
    assert r.status_code == 303, r.text
    return r.headers["location"]


def _options(**kw) -> SurveyOptions:
    base = {
        "questions": tuple(QUERY["question"]),
        "positive": POSITIVE,
        "postcode_column": "postcode",
        "weight": "weight",
    }
    return SurveyOptions(**{**base, **kw})


def _one_line_400(r, field: str) -> None:
    assert r.status_code == 400, r.text
    text = r.text if "json" not in r.headers["content-type"] else r.json()["detail"]
    assert field in text
    assert "Traceback" not in r.text


def test_survey_page_shows_the_library_numbers(client, files, tmp_path):
    store, survey = files[0], files[1]
    where = _post(client, "/survey/upload", survey)
    form = client.get(where)
    assert form.status_code == 200 and form.headers["cache-control"] == "no-store"
    assert "q1_satisfaction" in form.text and "weight" in form.text
    picked = client.get(where, params={"question": "q1_satisfaction"})
    assert "4_good" in picked.text  # answers offered as positive choices
    page = client.get(where, params=QUERY)
    assert page.status_code == 200, page.text
    assert page.headers["cache-control"] == "no-store"
    result = survey_file(survey, _options(), store=store)
    frame = result.to_frame()
    for code in ("1", "4"):
        row = frame[(frame["code"] == code) & (frame["question"] == "q1_satisfaction")].iloc[0]
        assert f"{100 * row['share']:.1f}%" in page.text
        assert f"{row['respondents']:,}" in page.text
    ps = frame[frame["code"] == "all_poststratified"]["share"].iloc[0]
    assert f"{100 * ps:.1f}%" in page.text
    assert "Rao-Scott" in page.text and 'id="survey-chart"' in page.text
    assert "data:image/png;base64," in page.text
    # downloads: the files `oacinsight survey -o` writes
    token = where.split("/")[2]
    result.write(tmp_path / "cli.csv")
    got = client.get(f"/u/{token}/survey/download/csv", params=QUERY)
    assert got.content == (tmp_path / "cli.csv").read_bytes()
    got = client.get(f"/u/{token}/survey/download/json", params=QUERY)
    result.write(tmp_path / "cli.json")
    assert got.json() == json.loads((tmp_path / "cli.json").read_text())
    for fmt, magic in (("xlsx", b"PK"), ("png", b"\x89PNG")):
        got = client.get(f"/u/{token}/survey/download/{fmt}", params=QUERY)
        assert got.status_code == 200 and got.content.startswith(magic)
        assert got.headers["cache-control"] == "no-store"


def test_api_survey_equals_the_cli(client, files, tmp_path):
    store, survey = files[0], files[1]
    data = {**QUERY, "postcode_column": "postcode"}
    data.pop("placed_by"), data.pop("column")
    with open(survey, "rb") as fh:
        r = client.post("/api/survey", files={"file": (survey.name, fh)}, data=data)
    assert r.status_code == 200, r.text
    result = survey_file(survey, _options(), store=store)
    assert r.json() == json.loads(json.dumps(result.to_dict()))
    with open(survey, "rb") as fh:
        r = client.post("/api/survey?format=csv", files={"file": (survey.name, fh)}, data=data)
    result.write(tmp_path / "cli.csv")
    assert r.content == (tmp_path / "cli.csv").read_bytes()


def test_survey_bad_input_is_a_one_line_400(client, files):
    where = _post(client, "/survey/upload", files[1])
    _one_line_400(client.get(where, params={**QUERY, "level": "street"}), "level")
    _one_line_400(client.get(where, params={**QUERY, "min_n": "lots"}), "min_n")
    _one_line_400(client.get(where, params={**QUERY, "placed_by": "oa", "column": ""}), "column")
    _one_line_400(
        client.get(where, params={**QUERY, "question": "q1_satisfction"}), "q1_satisfaction"
    )  # the library names the close match
    _one_line_400(client.get(where, params={**QUERY, "weight": "age_band"}), "weight")
    bad = client.get(where.replace("/survey", "/survey/download/exe"), params=QUERY)
    _one_line_400(bad, "format")
    # a survey upload is not matched: the customer pages say so, never a 500
    token = where.split("/")[2]
    for page in ("match", "profile", "map", "download/matched.csv", "download/profile.csv"):
        r = client.get(f"/u/{token}/{page}")
        assert r.status_code == 400 and "not matched" in r.text, page
    need = client.get(f"/u/{token}/need").text  # the survey can give the rates of need
    assert 'value="survey" checked' in need and 'value="customers"' not in need
    r = client.get(
        "/api/map-values", params={"layer": "points", "measure": "customers", "u": token}
    )
    assert r.status_code == 400 and "not matched" in r.text


def test_survey_all_hidden(client, files):
    where = _post(client, "/survey/upload", files[4])
    page = client.get(where, params=QUERY)
    assert page.status_code == 200, page.text
    assert HIDDEN in page.text
    result = survey_file(files[4], _options(), store=files[0]).to_frame()
    groups = result[~result["flag"].astype(str).eq("overall")]
    assert groups["respondents"].isna().all()


def test_survey_partly_hidden_by_subgroup(client, files):
    """At subgroup level some groups have 1 to 9 respondents: those read hidden, the
    others show the library's count."""
    where = _post(client, "/survey/upload", files[1])
    query = {**QUERY, "question": "q1_satisfaction", "level": "subgroup"}
    page = client.get(where, params=query)
    assert page.status_code == 200, page.text
    frame = survey_file(
        files[1], _options(questions=("q1_satisfaction",), level="subgroup"), store=files[0]
    ).to_frame()
    groups = frame[frame["flag"].astype(str) != "overall"]
    hidden = int(groups["respondents"].isna().sum())
    assert 0 < hidden < len(groups)
    assert page.text.count(HIDDEN) == hidden + 1  # + the note under the table
    shown = groups.dropna(subset=["respondents"]).iloc[0]
    assert f'<td class="num">{int(shown["respondents"]):,}</td>' in page.text


def _need_library(files, observed: bool) -> object:
    store, customers, claimants = files[0], files[2], files[3]
    opts = NeedOptions(
        observed=str(claimants) if observed else None, rules=TargetRules(area_type="ward", top=5)
    )
    return need_file(customers, opts, store=store)


def test_need_page_and_downloads_equal_the_cli(client, files, tmp_path):
    where = _post(client, "/upload", files[2])
    token = where.split("/")[2]
    nav = client.get(where)
    assert f"/u/{token}/need" in nav.text and f"/u/{token}/survey" in nav.text
    form = client.get(f"/u/{token}/need")
    assert form.status_code == 200 and 'id="need-form"' in form.text
    assert 'id="need-result"' not in form.text
    loc = _post(client, f"/u/{token}/need", files[3], target_type="ward", top="5")
    page = client.get(loc)
    assert page.status_code == 200, page.text
    assert page.headers["cache-control"] == "no-store"
    result = _need_library(files, observed=True)
    reach = result.reach(0.2)
    assert (
        f"reach {100 * reach['expected']:.0f}% of the expected need and "
        f"{100 * reach['shortfall']:.0f}% of the shortfall"
    ) in page.text
    top = result.published_targets()
    assert top["area_code"].iloc[0] in page.text
    assert page.text.index(top["area_code"].iloc[0]) < page.text.index(top["area_code"].iloc[-1])
    assert 'id="need-gains"' in page.text
    written = result.write_csv(tmp_path / "cli")
    query = dict(p.split("=", 1) for p in loc.split("?", 1)[1].split("&"))
    query.pop("run")
    for stem in ("rates", "expected", "targets", "gains"):
        got = client.get(f"/u/{token}/need/download/{stem}.csv", params=query)
        assert got.status_code == 200 and got.content == written[stem].read_bytes(), stem
    _one_line_400(client.get(f"/u/{token}/need", params={"run": 1, "level": "x"}), "level")
    _one_line_400(client.get(f"/u/{token}/need", params={"run": 1, "top": "-3"}), "top")
    _one_line_400(client.get(f"/u/{token}/need", params={"run": 1, "area": "../etc"}), "area code")
    _one_line_400(client.get(f"/u/{token}/need/download/passwd", params=query), "file")


def test_api_need_equals_the_library(client, files):
    customers, claimants = files[2], files[3]
    with open(customers, "rb") as fh, open(claimants, "rb") as ob:
        r = client.post(
            "/api/need",
            files={"file": (customers.name, fh), "observed": (claimants.name, ob)},
            data={"target_type": "ward", "top": "5"},
        )
    assert r.status_code == 200, r.text
    expected = _need_library(files, observed=True).to_dict()
    assert r.json() == json.loads(json.dumps(expected))


def test_need_with_few_customers_never_500s(client, files):
    where = _post(client, "/upload", files[5])
    token = where.split("/")[2]
    page = client.get(f"/u/{token}/need", params={"run": 1, "level": "supergroup"})
    assert page.status_code == 200, page.text
    assert HIDDEN in page.text  # 7 customers: the counts of people are hidden
    rates = pd.read_csv(
        io.BytesIO(
            client.get(
                f"/u/{token}/need/download/rates.csv", params={"level": "supergroup"}
            ).content
        )
    )
    assert rates["customers"].isna().all()  # none published as a number


def test_pages_need_the_token(files):
    from fastapi.testclient import TestClient

    from oacinsight.web import create_app

    with TestClient(create_app(files[0], token="t" * 24), base_url="http://127.0.0.1:8765") as anon:
        for url in ("/survey", "/u/abc/survey", "/u/abc/need"):
            assert anon.get(url).status_code == 401
        r = anon.post("/api/survey", files={"file": ("s.csv", io.BytesIO(b"a\n1\n"))})
        assert r.status_code == 401


# -- in headless Chromium -----------------------------------------------------------------
@pytest.fixture(scope="module")
def served_browser(files):
    """``oacinsight serve`` on the demo store and a Chromium holding its token cookie."""
    from playwright.sync_api import sync_playwright
    from tests.test_browser import Browser, free_port, need_chromium, start_server

    need_chromium()
    port = free_port()
    proc, url = start_server(files[0], port)
    try:
        with sync_playwright() as p:
            b = Browser(p, f"http://127.0.0.1:{port}")
            page = b.context.new_page()
            page.goto(url)
            page.close()
            try:
                yield b
            finally:
                b.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_browser_survey_page_to_result(served_browser, files, tmp_path):
    page = served_browser.context.new_page()
    page.goto(served_browser.base + "/")
    page.click("#home-survey")
    page.wait_for_url("**/survey")
    page.set_input_files("#survey-upload input[type=file]", str(files[1]))
    page.click("#survey-upload button[type=submit]")
    page.wait_for_url("**/u/*/survey")
    page.select_option("#survey-question", ["q1_satisfaction"])
    page.fill("#survey-positive", POSITIVE)
    page.select_option("select[name=weight]", "weight")
    page.click("#survey-form button[type=submit]")
    page.wait_for_selector("#survey-table")
    rows = page.locator("#survey-table tbody tr")
    assert rows.count() == 8  # eight supergroups
    assert page.locator("#survey-overall tbody tr").count() == 2  # raw, post-stratified
    chart = page.locator("#survey-chart img")
    assert chart.bounding_box()["height"] > 200
    page.screenshot(path=str(tmp_path / "survey_page.png"), full_page=True)
    with page.expect_download() as info:
        page.click("#download-survey-csv")
    got = pd.read_csv(info.value.path(), dtype={"code": str})
    assert len(got) == 10 and got["question"].eq("q1_satisfaction").all()
    assert served_browser.outside == [], served_browser.outside
    page.close()


def test_browser_need_page_to_result(served_browser, files, tmp_path):
    page = served_browser.context.new_page()
    page.goto(served_browser.base + "/")
    page.set_input_files("#file", str(files[2]))
    page.click("#upload-form button[type=submit]")
    page.wait_for_url("**/match")
    page.click("nav >> text=Need")
    page.wait_for_url("**/need")
    page.select_option("select[name=target_type]", "ward")
    page.set_input_files("#need-form input[type=file]", str(files[3]))
    page.click("#need-run")
    page.wait_for_selector("#need-result")
    assert "Contact 20% of households" in page.inner_text("#need-reach")
    assert page.locator("#need-targets tbody tr").count() >= 3
    assert page.locator("#need-gains img").bounding_box()["height"] > 150
    page.screenshot(path=str(tmp_path / "need_page.png"), full_page=True)
    with page.expect_download() as info:
        page.click("#download-need-targets")
    targets = pd.read_csv(info.value.path())
    assert list(targets["rank"][:3]) == [1, 2, 3]
    assert targets["area_type"].eq("ward").all()  # the option chosen with the file
    assert served_browser.outside == [], served_browser.outside
    page.close()
