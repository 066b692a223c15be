"""The need page and ``POST /api/need`` take every source and option of ``oacinsight
need``: a rates file learnt elsewhere (with the group-mix warning), a survey's answers,
an observed count column, the target thresholds and the suppression threshold.  What
the web gives is what the CLI writes for the same inputs, byte for byte."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from tests.test_web_support import web_client
from typer.testing import CliRunner

from oacinsight.cli import app
from oacinsight.demo._survey import POSITIVE, write_demo_survey

runner = CliRunner()
LAD = "E06000999"
TABLES = ("rates", "expected", "targets", "gains")


@pytest.fixture(scope="module")
def files(demo, tmp_path_factory):
    """Store, customers, a survey, learnt rates, skewed rates, claimants with counts."""
    from oacinsight.demo._need import write_claimants
    from oacinsight.match import match_file

    store, demo_files = demo
    root = tmp_path_factory.mktemp("webneed")
    survey = root / "residents_survey.csv"
    write_demo_survey(
        demo_files.postcode_directory,
        demo_files.oac_assignment,
        demo_files.census_dir / "ts001.parquet",
        survey,
    )
    learnt = _cli(["need", str(demo_files.customers), "--outputs", "csv"], store, root / "learnt")
    rates = pd.read_csv(learnt / "rates.csv", dtype={"code": str})
    rates.loc[rates["code"].str.startswith(("1", "2")), "base"] *= 20  # another mix
    skewed = root / "pilot_rates.csv"
    rates.to_csv(skewed, index=False)
    matched = root / "matched.csv"
    match_file(demo_files.customers, matched, store=store)
    per_person = root / "people.csv"
    write_claimants(matched, per_person)
    people = pd.read_csv(per_person, dtype=str)
    counted = root / "claimants_by_postcode.csv"  # one row per postcode, a count column
    people.groupby("postcode").size().rename("people").reset_index().to_csv(counted, index=False)
    return {
        "store": store,
        "customers": demo_files.customers,
        "survey": survey,
        "rates": learnt / "rates.csv",
        "skewed": skewed,
        "counted": counted,
        "root": root,
    }


@pytest.fixture(scope="module")
def client(files):
    with web_client(files["store"]) as c:
        yield c


def _cli(args: list[str], store: Path, out: Path) -> Path:
    res = runner.invoke(app, [*args, "-o", str(out), "--store", str(store)])
    assert res.exit_code == 0, res.output
    return out


def _upload(client, url: str, path: Path) -> str:
    with open(path, "rb") as fh:
        r = client.post(url, files={"file": (path.name, fh)}, follow_redirects=False)
    assert r.status_code == 303, r.text
    return r.headers["location"].split("/")[2]


def _run_form(client, token: str, data: dict, files: dict[str, Path]) -> str:
    handles = {k: open(p, "rb") for k, p in files.items()}  # noqa: SIM115
    try:
        r = client.post(
            f"/u/{token}/need",
            data=data,
            files={k: (files[k].name, fh) for k, fh in handles.items()},
            follow_redirects=False,
        )
    finally:
        for fh in handles.values():
            fh.close()
    assert r.status_code == 303, r.text
    return r.headers["location"]


def _query(location: str) -> dict[str, str]:
    from urllib.parse import parse_qsl

    return dict(parse_qsl(location.split("?", 1)[1]))


def _same_tables(client, token: str, query: dict, cli_out: Path) -> None:
    for stem in TABLES:
        got = client.get(f"/u/{token}/need/download/{stem}.csv", params=query)
        assert got.status_code == 200, got.text
        assert got.content == (cli_out / f"{stem}.csv").read_bytes(), stem


def _one_line_400(r, field: str) -> None:
    assert r.status_code == 400, r.text
    text = r.text if "json" not in r.headers["content-type"] else r.json()["detail"]
    assert field in text and "Traceback" not in text


def test_rates_file_on_the_page_equals_the_cli_and_warns(client, files, tmp_path):
    token = _upload(client, "/upload", files["customers"])
    form = client.get(f"/u/{token}/need").text
    assert 'name="rates_file"' in form and 'name="min_expected"' in form
    loc = _run_form(
        client,
        token,
        {"source": "rates", "area": LAD, "target_type": "ward", "top": "4"},
        {"rates_file": files["skewed"]},
    )
    page = client.get(loc)
    assert page.status_code == 200, page.text
    assert "index of dissimilarity" in page.text and "need-warning" in page.text
    assert "pilot_rates.csv" in page.text
    cli = _cli(
        [
            "need",
            "--rates",
            str(files["skewed"]),
            "--area",
            LAD,
            "--target-type",
            "ward",
            "--top",
            "4",
            "--outputs",
            "csv",
        ],
        files["store"],
        tmp_path / "cli",
    )
    query = _query(loc)
    _same_tables(client, token, query, cli)
    assert len(pd.read_csv(cli / "targets.csv")) == 4
    # the same learnt rates without the skew: no warning
    loc = _run_form(client, token, {"source": "rates", "area": LAD}, {"rates_file": files["rates"]})
    assert "need-warning" not in client.get(loc).text


def test_survey_as_source_on_the_page_equals_the_cli(client, files, tmp_path):
    survey = _upload(client, "/survey/upload", files["survey"])
    question = {"question": "q1_satisfaction", "positive": POSITIVE, "weight": "weight"}
    query = {"run": "1", "level": "supergroup", **question}
    page = client.get(f"/u/{survey}/need", params=query)  # the survey's own need page
    assert page.status_code == 200, page.text
    cli = _cli(
        [
            "need",
            str(files["survey"]),
            "--survey-question",
            "q1_satisfaction",
            "--positive",
            POSITIVE,
            "--weight",
            "weight",
            "--level",
            "supergroup",
            "--outputs",
            "csv,json",
        ],
        files["store"],
        tmp_path / "cli",
    )
    reach = json.loads((cli / "need.json").read_text())["reach_at_20pct_households"]
    assert f"reach {100 * reach['expected']:.0f}% of the expected need" in page.text
    assert "Respondents" in page.text and "residents_survey.csv" in page.text
    _same_tables(client, survey, query, cli)
    # chosen from a customer file's page: the same numbers
    customers = _upload(client, "/upload", files["customers"])
    form = client.get(f"/u/{customers}/need").text
    assert f'value="{survey}"' in form and 'value="q1_satisfaction"' in form
    loc = _run_form(
        client,
        customers,
        {"source": "survey", "survey": survey, "level": "supergroup", **question},
        {},
    )
    _same_tables(client, customers, _query(loc), cli)


def _cli_targets(files, options: dict[str, str], out: Path) -> pd.DataFrame:
    args = [x for k, v in options.items() for x in (f"--{k.replace('_', '-')}", v)]
    need = ["need", str(files["customers"]), "--observed", str(files["counted"])]
    cli = _cli([*need, *args, "--outputs", "csv"], files["store"], out)
    return pd.read_csv(cli / "targets.csv")


def test_thresholds_and_observed_count_equal_the_cli(client, files, tmp_path):
    token = _upload(client, "/upload", files["customers"])
    options = {
        "target_type": "lsoa",
        "top": "8",
        "min_expected": "120",
        "max_ratio": "0.8",
        "min_shortfall": "30",
        "suppress_below": "5",
        "observed_count": "people",
    }
    loc = _run_form(client, token, options, {"file": files["counted"]})
    assert client.get(loc).status_code == 200
    targets = _cli_targets(files, options, tmp_path / "cli")
    _same_tables(client, token, _query(loc), tmp_path / "cli")
    assert len(targets) >= 3
    assert (targets["expected"] >= 120).all() and (targets["ratio"].dropna() <= 0.8).all()
    assert (targets["shortfall"].dropna() > 30).all()
    # each threshold changes the list here: none can be ignored
    for name, default in (("min_expected", "10"), ("max_ratio", "1"), ("min_shortfall", "0")):
        other = _cli_targets(files, {**options, name: default}, tmp_path / name)
        assert other["area_code"].tolist() != targets["area_code"].tolist(), name
    # the count column is used: the district's observed total is people, not rows
    expected = pd.read_csv(tmp_path / "cli" / "expected.csv")
    counted = pd.read_csv(files["counted"])
    lad = expected.loc[expected["area_type"] == "lad", "observed"].iloc[0]
    assert len(counted) < lad <= counted["people"].sum()


def _api(client, files: dict[str, Path], data: dict) -> dict:
    handles = {k: open(p, "rb") for k, p in files.items()}  # noqa: SIM115
    try:
        r = client.post(
            "/api/need",
            files={k: (files[k].name, fh) for k, fh in handles.items()},
            data=data,
        )
    finally:
        for fh in handles.values():
            fh.close()
    assert r.status_code == 200, r.text
    return r.json()


def test_api_need_sources_and_options_equal_the_cli(client, files, tmp_path):
    cli = _cli(
        ["need", "--rates", str(files["skewed"]), "--area", LAD, "--outputs", "json"],
        files["store"],
        tmp_path / "rates",
    )
    got = _api(client, {"rates": files["skewed"]}, {"area": LAD})
    assert got == json.loads((cli / "need.json").read_text())
    assert any("index of dissimilarity" in n for n in got["notes"])
    cli = _cli(
        [
            "need",
            str(files["survey"]),
            "--survey-question",
            "q1_satisfaction",
            "--positive",
            POSITIVE,
            "--weight",
            "weight",
            "--level",
            "supergroup",
            "--top",
            "3",
            "--min-expected",
            "0",
            "--outputs",
            "json",
        ],
        files["store"],
        tmp_path / "survey",
    )
    data = {"question": "q1_satisfaction", "positive": POSITIVE, "weight": "weight"}
    got = _api(
        client,
        {"file": files["survey"]},
        {**data, "level": "supergroup", "top": "3", "min_expected": "0"},
    )
    assert got == json.loads((cli / "need.json").read_text())
    assert len(got["targets"]) == 3
    cli = _cli(
        [
            "need",
            str(files["customers"]),
            "--observed",
            str(files["counted"]),
            "--observed-count",
            "people",
            "--max-ratio",
            "0.8",
            "--suppress-below",
            "3",
            "--confidence",
            "0.9",
            "--outputs",
            "json",
        ],
        files["store"],
        tmp_path / "observed",
    )
    got = _api(
        client,
        {"file": files["customers"], "observed": files["counted"]},
        {
            "observed_count": "people",
            "max_ratio": "0.8",
            "suppress_below": "3",
            "confidence": "0.9",
        },
    )
    assert got == json.loads((cli / "need.json").read_text())
    assert got["suppress_below"] == 3 and got["confidence"] == 0.9


def test_bad_need_options_are_one_line_400s(client, files):
    token = _upload(client, "/upload", files["customers"])
    url = f"/u/{token}/need"
    _one_line_400(client.get(url, params={"run": 1, "source": "rates", "area": LAD}), "rates")
    _one_line_400(client.post(url, data={"source": "rates"}), "rates")
    _one_line_400(
        client.get(url, params={"run": 1, "source": "survey", "survey": token}), "question"
    )
    _one_line_400(client.get(url, params={"run": 1, "min_expected": "lots"}), "min_expected")
    _one_line_400(client.get(url, params={"run": 1, "max_ratio": "nan"}), "max_ratio")
    _one_line_400(client.get(url, params={"run": 1, "suppress_below": "-1"}), "suppress_below")
    _one_line_400(client.get(url, params={"run": 1, "source": "elsewhere"}), "source")
    with open(files["skewed"], "rb") as fh:
        r = client.post("/api/need", files={"rates": ("r.csv", fh)})
    _one_line_400(r, "area")
    with open(files["skewed"], "rb") as fh, open(files["customers"], "rb") as cu:
        r = client.post(
            "/api/need",
            files={"rates": ("r.csv", fh), "file": ("c.csv", cu)},
            data={"area": LAD},
        )
    _one_line_400(r, "not both")


# -- in headless Chromium -----------------------------------------------------------------
def test_browser_rates_file_and_survey_sources(files, tmp_path):
    """Upload customers, apply a pilot's rates file to the district (the mix warning is
    shown), then take the rates from an uploaded survey: no request leaves the machine."""
    from playwright.sync_api import sync_playwright
    from tests.test_browser import Browser, free_port, need_chromium, start_server

    need_chromium()
    port = free_port()
    proc, url = start_server(files["store"], port)
    try:
        with sync_playwright() as p:
            b = Browser(p, f"http://127.0.0.1:{port}")
            page = b.context.new_page()
            page.goto(url)
            page.set_input_files("#file", str(files["customers"]))
            page.click("#upload-form button[type=submit]")
            page.wait_for_url("**/match")
            page.click("nav >> text=Need")
            page.wait_for_url("**/need")
            page.check("#need-source input[value=rates]")
            page.set_input_files("#need-form input[name=rates_file]", str(files["skewed"]))
            page.fill("#need-form input[name=area]", LAD)
            page.fill("#need-form input[name=top]", "6")
            page.click("#need-run")
            page.wait_for_selector("#need-result")
            assert "index of dissimilarity" in page.inner_text(".need-warning")
            assert page.locator("#need-targets tbody tr").count() == 6
            page.screenshot(path=str(tmp_path / "need_rates.png"), full_page=True)
            page.goto(f"http://127.0.0.1:{port}/survey")
            page.set_input_files("#survey-upload input[type=file]", str(files["survey"]))
            page.click("#survey-upload button[type=submit]")
            page.wait_for_url("**/u/*/survey")
            page.click("#survey-to-need")
            page.wait_for_url("**/need")
            page.select_option("#need-question", "q1_satisfaction")
            page.fill("#need-positive", POSITIVE)
            page.fill("#need-form input[name=weight]", "weight")
            page.check("#need-form input[value=supergroup]")
            page.click("#need-run")
            page.wait_for_selector("#need-result")
            assert "Contact 20% of households" in page.inner_text("#need-reach")
            assert page.locator("#need-rates tbody tr").count() == 8  # supergroups
            page.screenshot(path=str(tmp_path / "need_survey.png"), full_page=True)
            assert b.outside == [], b.outside
            b.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
