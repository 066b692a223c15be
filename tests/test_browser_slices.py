"""Compare by on the need page and the survey page end to end in headless Debian
Chromium, offline: upload, choose the column, see the findings, the heat map (need) or
the shares with intervals and the Rao–Scott tests (survey), download a file; no console
error and no request outside the app.  The fixtures (server on Demoshire with its
boundaries, browser with every request checked) are those of ``tests/test_browser.py``.
A screenshot of each page is kept in ``$OACINSIGHT_SCREENSHOTS`` when that is set."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
from tests.test_browser import (  # noqa: F401  (fixtures used by name)
    app_url,
    browser,
    playwright_session,
    served,
)
from tests.test_browser_compare import _errors

from oacinsight.demo._survey import POSITIVE, write_demo_survey
from oacinsight.demo.synth import _paths

SERVICES = ("Council Tax Support", "Housing Repairs", "Adult Social Care", "Blue Badge",
            "Garden Waste", "Free School Meals", "Library Membership")  # fmt: skip


def _screenshot(page, name: str) -> None:
    folder = os.environ.get("OACINSIGHT_SCREENSHOTS")
    if folder:
        page.screenshot(path=str(Path(folder) / name), full_page=True)


def test_need_by_service_in_chromium(browser, app_url, tmp_path):  # noqa: F811
    base, customers = app_url
    page = browser.context.new_page()
    page.set_default_timeout(180_000)  # computed on a busy machine
    errors = _errors(page)
    page.goto(base + "/")
    page.set_input_files("#file", str(customers))
    page.click("#upload-form button[type=submit]")
    page.wait_for_url("**/match")
    page.click("nav >> text=Need")
    page.wait_for_url("**/need")
    assert page.locator("#need-by-result").count() == 0
    page.select_option("#need-by", "service")
    page.click("#need-run")
    page.wait_for_selector("#need-by-result")
    assert "by=service" in page.url
    findings = page.locator("#need-by-findings li").all_inner_texts()
    assert len(findings) >= 8 and "Contacting 20% of households" in findings[0]
    assert sum(any(f.startswith(s + ":") for f in findings) for s in SERVICES) == 7
    heat = page.locator("#need-by-heat-map img")
    assert heat.bounding_box()["height"] > 300
    header = page.locator("#need-by-rates thead th").all_inner_texts()
    assert header[:3] == ["code", "name", "(all)"] and set(SERVICES) <= set(header)
    assert page.locator("#need-by-rates tbody tr").count() == 21  # the 21 groups
    assert page.locator("#need-by-slices tbody tr").count() == 8  # (all) + 7 services
    links = page.locator("#need-by-downloads a").all_inner_texts()
    assert {"need_by.html", "rates_heat_map.png", "expected_ward.geojson"} <= set(links)
    _screenshot(page, "need_by_service.png")
    with page.expect_download() as info:
        page.click("#need-by-downloads >> text=slices_by.csv")
    slices = pd.read_csv(info.value.path())
    assert slices["by"].tolist()[0] == "(all)" and set(SERVICES) == set(slices["by"][1:])
    assert errors == [], errors
    assert browser.outside == [], browser.outside
    page.close()


def test_survey_by_age_band_in_chromium(browser, app_url, tmp_path):  # noqa: F811
    base, customers = app_url
    demo = _paths(Path(customers).parents[1])
    survey = tmp_path / "resident_survey.csv"
    write_demo_survey(demo.postcode_directory, demo.oac_assignment,
                      demo.census_dir / "ts001.parquet", survey)  # fmt: skip
    page = browser.context.new_page()
    page.set_default_timeout(180_000)
    errors = _errors(page)
    page.goto(base + "/survey")
    page.set_input_files("#survey-upload input[type=file]", str(survey))
    page.click("#survey-upload button[type=submit]")
    page.wait_for_url("**/u/*/survey")
    page.select_option("#survey-question", ["q1_satisfaction", "q2_safety"])
    page.fill("#survey-positive", POSITIVE)
    page.select_option("select[name=weight]", "weight")
    page.select_option("#survey-by", "age_band")
    page.click("#survey-form button[type=submit]")
    page.wait_for_selector("#survey-by-result")
    findings = page.locator("#survey-by-findings li").all_inner_texts()
    assert any("Rao–Scott F" in f for f in findings)
    tables = page.locator("table.survey-by-shares")
    assert tables.count() == 2  # one per question
    header = tables.nth(0).locator("thead th").all_inner_texts()
    assert header[2:] == ["(all)", "65+", "16-64"]
    assert page.locator("#survey-by-tests tbody tr").count() == 18  # 2 × (8 groups + all)
    assert page.locator("#survey-by-chart img").bounding_box()["height"] > 300
    _screenshot(page, "survey_by_age_band.png")
    with page.expect_download() as info:
        page.click("#download-survey-by-json")
    doc = json.loads(Path(info.value.path()).read_text())
    assert doc["column"] == "age_band" and doc["findings"] == findings
    assert errors == [], errors
    assert browser.outside == [], browser.outside
    page.close()
