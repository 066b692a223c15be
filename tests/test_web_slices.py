"""Compare by a column or by period on the need page and the survey page, and through
``POST /api/need`` / ``POST /api/survey`` with ``by``: the page shows the numbers of
``oacinsight need --by`` / ``survey --by``, every download is the file the CLI writes
(byte for byte; an XLSX apart from its creation time), bad input is a one-line 400 and
a result is reachable only with the app's token and the upload's own token.

On Demoshire (synthetic) here; on real Wigan geography in tests/test_web_slices_realdata.py.
"""

from __future__ import annotations

import html
import io
import json
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from tests.test_web_support import web_client
from typer.testing import CliRunner

from oacinsight.cli import app as cli
from oacinsight.demo._survey import POSITIVE, write_demo_survey

runner = CliRunner()
SURVEY_QUERY = {
    "question": ["q1_satisfaction", "q2_safety"],
    "positive": POSITIVE,
    "weight": "weight",
    "by": "age_band",
}
SURVEY_ARGS = ["--question", "q1_satisfaction", "--question", "q2_safety",
               "--positive", POSITIVE, "--weight", "weight"]  # fmt: skip


def run_cli(*args: str | Path) -> None:
    res = runner.invoke(cli, [str(a) for a in args])
    assert res.exit_code == 0, res.output


def same_file(got: bytes, path: Path) -> None:
    """Byte for byte; a workbook member for member apart from docProps/core.xml (the
    creation time xlsxwriter stamps)."""
    want = path.read_bytes()
    if path.suffix != ".xlsx":
        assert got == want, path.name
        return
    a, b = zipfile.ZipFile(io.BytesIO(got)), zipfile.ZipFile(io.BytesIO(want))
    assert a.namelist() == b.namelist(), path.name
    for name in a.namelist():
        if name != "docProps/core.xml":
            assert a.read(name) == b.read(name), (path.name, name)


def upload(client, path: Path, url: str = "/upload") -> str:
    with open(path, "rb") as fh:
        r = client.post(url, files={"file": (path.name, fh)}, follow_redirects=False)
    assert r.status_code == 303, r.text
    return r.headers["location"].split("/")[2]


def one_line(r, status: int, *words: str) -> str:
    assert r.status_code == status, (r.status_code, r.text[:300])
    text = r.json()["detail"] if "json" in r.headers["content-type"] else r.text
    assert "Traceback" not in r.text
    for word in words:
        assert word in text, (word, text[:300])
    return text


def need_by_page(client, token: str, **data: str):
    """Post the need form with these fields; the page it sends the browser to."""
    r = client.post(f"/u/{token}/need", data=data, follow_redirects=False)
    assert r.status_code == 303, r.text
    page = client.get(r.headers["location"])
    return page, r.headers["location"].split("?", 1)[1]


def check_need_page(page: str, cli_dir: Path) -> None:
    """The page shows need_by.json's numbers: slices, reach, rates, targets, findings."""
    doc = json.loads((cli_dir / "need_by.json").read_text())
    text = html.unescape(page)
    for finding in doc["findings"]:
        assert finding in text
    label = "by" if doc["kind"] == "by" else "period"
    for row in doc["slice_counts"]:
        assert f"<td>{html.escape(row[label])}</td>" in page
        assert f">{row['rows']:,}<" in page and f">{100 * row['reach_at_20pct']:.0f}%<" in page
    for row in doc["rates_wide"][:3]:
        for name in ["(all)", *doc["slices"]]:
            assert f">{1000 * row[name]:,.2f}<" in page, (row["code"], name)
    first = [t for t in doc["targets"] if t["rank"] == 1]
    for t in first:
        assert f">{t['expected']:,.1f}<" in page and t["area_code"] in page
    assert 'id="need-by-heat-map"' in page and "data:image/png;base64," in page


@pytest.fixture(scope="module")
def files(demo, tmp_path_factory):
    """(store, customers, survey, the CLI's folder of need --by service, its survey
    --by age_band outputs by suffix)."""
    store, demo_files = demo
    root = tmp_path_factory.mktemp("webslices")
    survey = root / "resident_survey.csv"
    write_demo_survey(demo_files.postcode_directory, demo_files.oac_assignment,
                      demo_files.census_dir / "ts001.parquet", survey)  # fmt: skip
    need_dir = root / "need_by_service"
    run_cli("need", demo_files.customers, "--by", "service", "-o", need_dir, "--store", store)
    survey_out = {}
    for suffix in ("csv", "xlsx", "json", "html", "png"):
        survey_out[suffix] = root / f"survey_by.{suffix}"
        run_cli("survey", survey, *SURVEY_ARGS, "--by", "age_band", "-o", survey_out[suffix],
                "--store", store)  # fmt: skip
    return store, demo_files.customers, survey, need_dir, survey_out


@pytest.fixture(scope="module")
def client(files):
    with web_client(files[0]) as c:
        yield c


# -- need ---------------------------------------------------------------------------------
def test_need_by_page_and_every_download_equal_the_cli(client, files):
    _, customers, _, cli_dir, _ = files
    token = upload(client, customers)
    form = client.get(f"/u/{token}/need")
    assert 'id="need-compare"' in form.text and '<option value="service"' in form.text
    assert "oac_group" not in form.text.split('id="need-compare"')[1].split("</fieldset>")[0]
    page, query = need_by_page(client, token, by="service")
    assert page.status_code == 200, page.text[:500]
    assert page.headers["cache-control"] == "no-store"
    assert 'id="need-by-result"' in page.text and 'id="need-result"' not in page.text
    check_need_page(page.text, cli_dir)
    links = page.text.split('id="need-by-downloads"')[1].split("</ul>")[0]
    written = sorted(p.name for p in cli_dir.iterdir())
    assert (
        len(written) >= 21  # with boundaries loaded, also two GeoJSON files
        and sorted(link.split("?")[0] for link in links.split(f'href="/u/{token}/need/by/')[1:])
        == written
    )
    for name in written:
        got = client.get(f"/u/{token}/need/by/{name}?{query}")
        assert got.status_code == 200, (name, got.text[:200])
        assert got.headers["cache-control"] == "no-store"
        assert f'filename="{name}"' in got.headers["content-disposition"]
        same_file(got.content, cli_dir / name)


def test_need_by_period_equals_the_cli(client, files, tmp_path):
    store, customers = files[0], files[1]
    run_cli("need", customers, "--period", "contact_date", "--freq", "quarter", "--level",
            "supergroup", "--outputs", "csv,json", "-o", tmp_path, "--store", store)  # fmt: skip
    token = upload(client, customers)
    page, query = need_by_page(client, token, period="contact_date", freq="quarter",
                               level="supergroup")  # fmt: skip
    assert page.status_code == 200, page.text[:500]
    check_need_page(page.text, tmp_path)
    assert sum(f"<th class=\"num\">202{y} Q{q}</th>" in page.text for y in range(5)
               for q in range(1, 5)) >= 4  # one rate column per quarter  # fmt: skip
    for name in ("need_by.json", "slices_by.csv", "rates_wide.csv", "targets_by.csv"):
        same_file(client.get(f"/u/{token}/need/by/{name}?{query}").content, tmp_path / name)


def test_api_need_by_equals_the_cli(client, files):
    customers, cli_dir = files[1], files[3]
    with open(customers, "rb") as fh:
        r = client.post("/api/need", files={"file": (customers.name, fh)}, data={"by": "service"})
    assert r.status_code == 200, r.text[:300]
    assert r.json() == json.loads((cli_dir / "need_by.json").read_text())


def test_need_by_bad_input_is_a_one_line_400(client, files):
    customers, survey = files[1], files[2]
    token = upload(client, customers)
    base = f"/u/{token}/need"
    one_line(client.get(base, params={"run": 1, "by": "nope"}), 400, "'nope'", "no such column")
    one_line(client.get(base, params={"run": 1, "by": "service", "period": "contact_date"}),
             400, "not both")  # fmt: skip
    one_line(client.get(base, params={"run": 1, "period": "contact_date", "freq": "week"}),
             400, "freq")  # fmt: skip
    one_line(client.get(base, params={"run": 1, "by": "service", "freq": "month"}), 400,
             "freq", "period")  # fmt: skip
    one_line(client.get(base, params={"run": 1, "by": "record_id"}), 400, "limit of 50")
    with open(customers, "rb") as fh:  # an observed file is not split by the column
        r = client.post(base, files={"file": ("claimants.csv", fh)}, data={"by": "service"})
    one_line(r, 400, "by:", "observed file")
    with open(customers, "rb") as fh:  # rates learnt elsewhere are not split either
        r = client.post(base, files={"rates_file": ("rates.csv", fh)},
                        data={"by": "service", "source": "rates", "area": "E06000999"})  # fmt: skip
    one_line(r, 400, "by:", "rates file")
    one_line(client.get(f"{base}/by/need.exe", params={"by": "service"}), 400, "file:")
    one_line(client.get(f"{base}/by/need.json"), 400, "choose a column")
    # a survey upload: compare by on the need page is for customer files
    stoken = upload(client, survey, "/survey/upload")
    one_line(client.get(f"/u/{stoken}/need", params={"run": 1, "by": "age_band"}), 400, "by:")
    with open(customers, "rb") as fh:
        r = client.post("/api/need", files={"file": (customers.name, fh)},
                        data={"by": "service", "period": "contact_date"})  # fmt: skip
    one_line(r, 400, "not both")
    with open(customers, "rb") as fh:
        r = client.post("/api/need", files={"file": (customers.name, fh)}, data={"by": "nope"})
    one_line(r, 400, "nope")


# -- survey -------------------------------------------------------------------------------
def test_survey_by_page_and_downloads_equal_the_cli(client, files):
    survey, cli = files[2], files[4]
    token = upload(client, survey, "/survey/upload")
    where = f"/u/{token}/survey"
    form = client.get(where)
    assert 'id="survey-compare"' in form.text and 'id="survey-by-result"' not in form.text
    page = client.get(where, params=SURVEY_QUERY)
    assert page.status_code == 200, page.text[:500]
    assert 'id="survey-by-result"' in page.text and 'id="survey-result"' not in page.text
    doc = json.loads(cli["json"].read_text())
    text = html.unescape(page.text)
    for finding in doc["findings"]:
        assert finding in text
    long = pd.read_csv(cli["csv"], dtype={"code": str, "by": str}, encoding="utf-8-sig")
    shown = long.dropna(subset=["share", "share_low", "share_high"])
    assert len(shown) >= 50
    for r in shown.itertuples():
        cell = f"{100 * r.share:.1f}% ({100 * r.share_low:.0f}–{100 * r.share_high:.0f}%)"
        assert f">{cell}<" in text, (r.by, r.question, r.code)
    for t in doc["slice_tests"]:
        if t["f"] is not None:
            assert f">{t['f']:,.2f}<" in page.text, (t["question"], t["code"])
            assert f">{t['df1']:.2f}, {t['df2']:,.0f}<" in page.text
            assert f">{t['highest']} ({100 * t['highest_share']:.0f}%)<" in page.text
    for row in doc["slice_counts"]:
        assert f">{row['rows']:,}<" in page.text
    query = dict(SURVEY_QUERY, placed_by="postcode", edition="2021", level="supergroup",
                 min_n="30")  # fmt: skip
    for suffix, path in cli.items():
        got = client.get(f"{where}/download/{suffix}", params=query)
        assert got.status_code == 200, (suffix, got.text[:200])
        same_file(got.content, path)
    links = page.text.split('id="survey-by-downloads"')[1].split("</ul>")[0]
    assert links.count("by=age_band") == 5


def test_survey_by_period_page(client, files, tmp_path):
    store, survey = files[0], files[2]
    frame = pd.read_csv(survey, dtype=str)
    dates = ("2024-01-15", "2024-05-02", "2024-08-20")
    frame["interviewed"] = [dates[i % 3] for i in range(len(frame))]
    dated = tmp_path / "dated_survey.csv"
    frame.to_csv(dated, index=False)
    run_cli("survey", dated, *SURVEY_ARGS, "--period", "interviewed", "--freq", "quarter",
            "-o", tmp_path / "cli.json", "--store", store)  # fmt: skip
    token = upload(client, dated, "/survey/upload")
    query = {**SURVEY_QUERY, "period": "interviewed", "freq": "quarter"}
    query.pop("by")
    page = client.get(f"/u/{token}/survey", params=query)
    assert page.status_code == 200, page.text[:500]
    doc = json.loads((tmp_path / "cli.json").read_text())
    assert doc["slices"] == ["2024 Q1", "2024 Q2", "2024 Q3"]
    for finding in doc["findings"]:
        assert finding in html.unescape(page.text)
    got = client.get(f"/u/{token}/survey/download/json", params=query)
    same_file(got.content, tmp_path / "cli.json")


def test_api_survey_by_equals_the_cli(client, files):
    survey, cli = files[2], files[4]
    data = {k: v for k, v in SURVEY_QUERY.items()}
    for fmt, path in (("json", cli["json"]), ("csv", cli["csv"])):
        with open(survey, "rb") as fh:
            r = client.post(f"/api/survey?format={fmt}", files={"file": (survey.name, fh)},
                            data=data)  # fmt: skip
        assert r.status_code == 200, r.text[:300]
        if fmt == "json":
            assert r.json() == json.loads(path.read_text())
        else:
            same_file(r.content, path)


def test_survey_by_bad_input_is_a_one_line_400(client, files):
    survey = files[2]
    token = upload(client, survey, "/survey/upload")
    where = f"/u/{token}/survey"
    one_line(client.get(where, params={**SURVEY_QUERY, "by": "nope"}), 400, "'nope'")
    one_line(client.get(where, params={**SURVEY_QUERY, "period": "age_band"}), 400, "not both")
    one_line(client.get(where, params={**SURVEY_QUERY, "freq": "quarter"}), 400, "freq", "period")
    one_line(client.get(where, params={**SURVEY_QUERY, "by": "respondent_id"}), 400, "50")
    one_line(client.get(f"{where}/download/pdf", params=SURVEY_QUERY), 400, "format", "html")
    with open(survey, "rb") as fh:
        r = client.post("/api/survey", files={"file": (survey.name, fh)},
                        data={**SURVEY_QUERY, "freq": "fortnight"})  # fmt: skip
    one_line(r, 400, "freq")


# -- who can see a result -----------------------------------------------------------------
def test_a_result_is_seen_only_with_both_tokens(client, files):
    """Without the app's token: 401 for the page and every download.  With it, but with
    another upload's token (a guess, or one that is gone): 404, never the result."""
    from fastapi.testclient import TestClient

    from oacinsight.web.state import WebState

    customers, survey = files[1], files[2]
    token = upload(client, customers)
    page, query = need_by_page(client, token, by="service")
    assert page.status_code == 200
    stoken = upload(client, survey, "/survey/upload")
    assert client.get(f"/u/{stoken}/survey", params=SURVEY_QUERY).status_code == 200
    urls = [
        f"/u/{token}/need?{query}",
        f"/u/{token}/need/by/need_by.json?{query}",
        f"/u/{stoken}/survey?by=age_band&question=q1_satisfaction&positive=4_good",
        f"/u/{stoken}/survey/download/json?by=age_band&question=q1_satisfaction&positive=4_good",
    ]
    anon = TestClient(client.app, base_url=str(client.base_url))  # no token (no lifespan)
    for url in urls:
        r = anon.get(url)
        assert r.status_code == 401 and "Demoshire" not in r.text, url
    other = "A" * 16  # not an upload of this app
    for url in urls:
        r = client.get(url.replace(token, other).replace(stoken, other))
        one_line(r, 404, "no longer held")
    state: WebState = client.app.state.web
    folder = state.get(token).raw.parent
    assert any(p.name.startswith("need-by-") for p in folder.iterdir())
    state.forget(token)  # pushed out by newer uploads: the files go with it
    assert not folder.exists()
    one_line(client.get(urls[1]), 404, "no longer held")
