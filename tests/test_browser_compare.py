"""The compare page (issue 13) end to end in headless Debian Chromium, offline: upload,
choose a column, see the heat map, the small multiples and the findings; no console
error and no request outside the app.  The fixtures (server, browser with every request
checked) are those of ``tests/test_browser.py``."""

from __future__ import annotations

from tests.test_browser import (  # noqa: F401  (fixtures used by name)
    app_url,
    browser,
    playwright_session,
    served,
)


def _errors(page) -> list[str]:
    """Console errors and uncaught exceptions of ``page``, collected as they happen."""
    found: list[str] = []
    page.on("console", lambda m: found.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: found.append(str(e)))
    return found


def test_compare_page_by_service_offline(browser, app_url):  # noqa: F811
    base, customers = app_url
    page = browser.context.new_page()
    page.set_default_timeout(180_000)  # the comparison is computed on a busy machine
    errors = _errors(page)
    page.goto(base + "/")
    page.set_input_files("#file", str(customers))
    page.click("#upload-form button[type=submit]")
    page.wait_for_url("**/match")
    page.click("text=Next: see the profile")
    page.wait_for_url("**/profile")
    page.click("#compare-link a")
    page.wait_for_url("**/compare")
    assert page.locator("#compare-findings").count() == 0  # nothing chosen yet
    options = page.locator("#compare-form select[name=column] option").all_inner_texts()
    assert {"service", "channel", "contact_date"} <= set(options)
    page.select_option("#compare-form select[name=column]", "service")
    page.check("#compare-form input[name=kind][value=by]")
    page.click("#compare-form button[type=submit]")
    page.wait_for_selector("#compare-findings", timeout=120_000)
    assert "column=service" in page.url
    heat = page.locator("#compare-heat_map svg")
    assert heat.count() == 1 and heat.bounding_box()["height"] > 200
    assert page.locator("#compare-small_multiples svg").count() == 1
    findings = page.locator("#compare-findings li").all_inner_texts()
    services = ("Council Tax Support", "Housing Repairs", "Adult Social Care", "Blue Badge",
                "Garden Waste", "Free School Meals", "Library Membership")  # fmt: skip
    assert len(findings) >= 3 and any(s in f for f in findings for s in services)
    header = page.locator("#compare-table thead th").all_inner_texts()
    assert sum(s in header for s in services) == 7  # one column per service
    assert page.locator("#compare-table tbody tr").count() == 8  # the 8 supergroups
    assert errors == [], errors
    assert browser.outside == [], browser.outside
    page.close()


def test_compare_page_by_period_draws_the_trend(browser, app_url):  # noqa: F811
    base, _ = app_url
    page = browser.context.new_page()
    page.set_default_timeout(180_000)  # the comparison is computed on a busy machine
    errors = _errors(page)
    page.goto(base + "/")
    page.set_input_files("#file", str(app_url[1]))
    page.click("#upload-form button[type=submit]")
    page.wait_for_url("**/match")
    token_url = page.url.rsplit("/match", 1)[0]
    page.goto(token_url + "/compare?column=contact_date&kind=period&freq=quarter")
    page.wait_for_selector("#compare-findings", timeout=120_000)
    assert page.locator("#compare-trend svg").count() == 1
    header = page.locator("#compare-table thead th").all_inner_texts()
    assert sum(h.startswith("20") and "Q" in h for h in header) >= 4  # the quarters
    assert errors == [], errors
    assert browser.outside == [], browser.outside
    page.close()
