"""End to end in headless Debian Chromium: upload → match → profile → map → PDF, offline.

Every request the browser makes is intercepted: anything not addressed to the app on
127.0.0.1 is blocked and recorded, and the tests assert there was none.  Without
``/usr/bin/chromium`` the tests skip with the reason (and fail under ``CI=true``).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest
from tests.test_web_support import build_demo_store

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def need_chromium() -> None:
    """Skip visibly without Chromium or the playwright package; fail under CI."""
    reason = None
    if not Path(CHROMIUM).exists():
        reason = f"{CHROMIUM} not found (apt-get install chromium chromium-driver)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            reason = "the playwright package is not installed (pip install -e '.[dev]')"
    if reason:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason)
        pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(store: Path, port: int) -> tuple[subprocess.Popen[bytes], str]:
    """``oacinsight serve`` on 127.0.0.1:port, waited for (at most 30 s); returns the
    process and the address it printed (with its ``?token=``)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "oacinsight", "serve", "--store", str(store), "--port", str(port)],
        stderr=subprocess.PIPE,
    )
    assert proc.stderr is not None
    line = proc.stderr.readline().decode()
    found = re.search(r"running at (http://\S+)", line)
    if not found:
        proc.kill()
        raise RuntimeError(f"server did not print its address: {line}")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {proc.stderr.read().decode()}")
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return proc, found.group(1)
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("server did not start in 30 s")


class Browser:
    """A Chromium context with every request checked against the app's origin."""

    def __init__(self, playwright, base: str) -> None:
        self.base = base
        self.profile = tempfile.mkdtemp(prefix="oacinsight-chromium-")
        self.outside: list[str] = []
        self.requests: list[str] = []
        self.context = playwright.chromium.launch_persistent_context(
            self.profile,
            executable_path=CHROMIUM,
            headless=True,
            args=FLAGS,
            accept_downloads=True,
            viewport={"width": 1280, "height": 900},
        )
        self.context.route("**/*", self._route)

    def _route(self, route, request) -> None:
        url = request.url
        self.requests.append(url)
        host = urlparse(url).hostname
        if url.startswith(("data:", "blob:")) or host == "127.0.0.1":
            route.continue_()
        else:
            self.outside.append(url)
            route.abort()

    def close(self) -> None:
        self.context.close()
        shutil.rmtree(self.profile, ignore_errors=True)


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[tuple[str, Path, str]]:
    """(base address, customer file, the address printed with its token)."""
    need_chromium()
    store, customers = build_demo_store(tmp_path_factory.mktemp("browser"))
    port = free_port()
    proc, url = start_server(store, port)
    try:
        yield f"http://127.0.0.1:{port}", customers, url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def app_url(served) -> tuple[str, Path]:
    return served[0], served[1]


@pytest.fixture(scope="module")
def playwright_session() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def browser(playwright_session, served) -> Iterator[Browser]:
    """A browser that opened the printed address once (so it holds the token cookie)."""
    b = Browser(playwright_session, served[0])
    page = b.context.new_page()
    page.goto(served[2])
    page.close()
    try:
        yield b
    finally:
        b.close()


def test_upload_match_profile_map_pdf_offline(browser, app_url):
    from pypdf import PdfReader

    base, customers = app_url
    page = browser.context.new_page()
    page.goto(base + "/")
    assert "Who are your customers" in page.inner_text("h1")
    page.set_input_files("#file", str(customers))
    page.click("#upload-form button[type=submit]")
    page.wait_for_url("**/match")
    assert "5,835 of 6,041 rows (96.6%)" in page.inner_text("p.lead")
    assert page.locator("#failed-table tbody tr").count() == 200
    page.click("text=Next: see the profile")
    page.wait_for_url("**/profile")
    bars = page.locator("#profile-chart svg")
    assert bars.count() == 1 and bars.bounding_box()["height"] > 200
    assert page.locator("#profile-table tbody tr").count() == 8
    with page.expect_download() as info:
        page.click("#download-pdf")
    pdf = PdfReader(info.value.path())
    assert len(pdf.pages) == 3 and "Legacy Communities" in pdf.pages[0].extract_text()
    page.click("text=Next: where they live")
    page.wait_for_selector("#map[data-drawn=true]", timeout=15_000)
    assert page.locator("#map path.leaflet-interactive").count() == 12
    assert page.get_attribute("#map", "data-features") == "12"
    assert page.locator("#legend li").count() == 6
    page.hover("#map path.leaflet-interactive >> nth=0")
    assert "customers" in page.inner_text("#map-hover")
    page.click("#map path.leaflet-interactive >> nth=0")
    page.wait_for_url("**/area/E05*")
    assert "Your customers here" in page.content()
    assert browser.outside == [], browser.outside
    assert len(browser.requests) > 10
    page.close()


def test_output_area_map_and_points(browser, app_url):
    base, _ = app_url
    page = browser.context.new_page()
    page.goto(base + "/map?layer=output_areas_dec_2021_boundaries_ew_bgc_demoshire")
    page.wait_for_selector("#map[data-drawn=true]", timeout=15_000)
    assert page.locator("#map path.leaflet-interactive").count() == 290
    page.select_option("#measure", "group")
    page.wait_for_url("**measure=group**")
    page.wait_for_selector("#map[data-drawn=true]", timeout=15_000)
    assert page.locator("#legend li").count() >= 10
    page.goto(base + "/api/map-values?layer=points&measure=supergroup&area=E06000999")
    assert page.content().count('"E00999') >= 290
    page.goto(base + "/docs")
    page.wait_for_selector(".opblock", timeout=15_000)
    assert page.locator(".opblock").count() >= 8
    assert browser.outside == [], browser.outside
    page.close()


def test_real_leeds_output_areas_drawn(browser, tmp_path):
    """The 2,543 real Leeds output areas (BNG, no CRS declared) drawn in the browser."""
    from tests.conftest import need_shared

    from oacinsight.ingest import ingest
    from oacinsight.store import Store

    paths = [
        need_shared("boundaries", "leeds_oa11_oac11.geojson"),
        need_shared("oac", "oac2021_uk_oa.parquet"),
        need_shared("oac", "oac2021_names.csv"),
    ]
    store = tmp_path / "leeds.duckdb"
    with Store(store) as s:
        ingest(paths, s)
    port = free_port()
    proc, url = start_server(store, port)
    try:
        page = browser.context.new_page()
        page.goto(url.replace("/?", "/map?layer=leeds_oa11_oac11&measure=supergroup&"))
        page.wait_for_selector("#map[data-drawn=true]", timeout=20_000)
        assert page.locator("#map path.leaflet-interactive").count() == 2543
        assert page.locator("#legend li").count() == 9  # 8 supergroups + no OAC 2021
        assert browser.outside == [], browser.outside
        page.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _upload_in_browser(page, base: str, path: Path) -> str:
    page.goto(base + "/")
    page.set_input_files("#file", str(path))
    page.click("#upload-form button[type=submit]")
    page.wait_for_url("**/match")
    return page.url.split("/u/")[1].split("/")[0]


@pytest.fixture(scope="module")
def few_customers(served, tmp_path_factory) -> Path:
    """Seven customers in one output area: every count they make is hidden."""
    from oacinsight.store import Store

    store = served[1].parents[2] / "store.duckdb"
    with Store(store, read_only=True) as s:
        postcode = s.con.execute(
            "SELECT min(postcode_clean) FROM pc_lookup WHERE doterm IS "
            "NULL AND oac_supergroup IS NOT NULL"
        ).fetchall()[0][0]
    path = tmp_path_factory.mktemp("few") / "seven customers.csv"
    path.write_text("id,postcode\n" + "".join(f"{i},{postcode}\n" for i in range(7)))
    return path


def test_token_flow(playwright_session, served):
    base, _, url = served
    fresh = Browser(playwright_session, base)
    try:
        page = fresh.context.new_page()
        r = page.goto(base + "/")
        assert r.status == 401 and "?token=" in page.inner_text("main")
        assert page.goto(base + "/api/store").status == 401
        page.goto(url)
        assert page.url == base + "/"  # the token is taken out of the address bar
        assert "Who are your customers" in page.inner_text("h1")
        assert page.evaluate("document.cookie") == ""  # HTTP-only: scripts cannot read it
        cookie = next(c for c in fresh.context.cookies() if c["name"].startswith("oacinsight"))
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
        assert page.goto(base + "/api/store").status == 200
        assert fresh.outside == []
    finally:
        fresh.close()


def test_area_search_keeps_the_steps(browser, app_url):
    base, customers = app_url
    page = browser.context.new_page()
    token = _upload_in_browser(page, base, customers)
    page.goto(f"{base}/u/{token}/profile")
    page.click("text=or find a ward")
    page.wait_for_url("**/areas?u=*")
    assert page.locator("nav a", has_text="2. Profile").count() == 1
    for text, code in (
        ("E06000999", "E06000999"),
        ("demoshire", "E06000999"),
        ("bbe", "E05999001"),
    ):
        page.fill("#q", text)
        page.click("form.options button[type=submit]")
        page.wait_for_selector("#area-results")
        assert code in page.inner_text("#area-results li >> nth=0")
        assert page.locator("nav a", has_text="3. Map").count() == 1
    page.click("#area-results a >> nth=0")
    page.wait_for_url("**/area/E05999001?u=*")
    assert "Your customers here" in page.content()
    assert browser.outside == [], browser.outside
    page.close()


def test_map_click_on_an_output_area_opens_its_page(browser, app_url):
    base, customers = app_url
    page = browser.context.new_page()
    token = _upload_in_browser(page, base, customers)
    page.goto(
        f"{base}/u/{token}/map?layer=output_areas_dec_2021_boundaries_ew_bgc_demoshire"
        "&measure=customers"
    )
    page.wait_for_selector("#map[data-drawn=true]", timeout=15_000)
    page.click("#map path.leaflet-interactive >> nth=40")
    page.wait_for_url("**/area/E00*")
    text = page.inner_text("main")
    assert "Output area" in text and "Supergroup" in text and "Subgroup" in text
    assert "patch of" not in text and "not known" not in text
    assert "Ward:" in text and "Local authority: Demoshire" in text
    assert "Matched customers living in this output area:" in text
    page.click("#oa-inside a >> nth=0")
    page.wait_for_url("**/area/E05*")
    assert "What kind of place it is" in page.content()
    assert browser.outside == [], browser.outside
    page.close()


def test_every_page_with_hidden_counts(browser, app_url, few_customers):
    base, _ = app_url
    page = browser.context.new_page()
    token = _upload_in_browser(page, base, few_customers)
    assert "seven customers.csv" in page.inner_text(".file-bar")
    for path in (
        "/u/{t}/match",
        "/u/{t}/profile",
        "/u/{t}/profile?level=all",
        "/u/{t}/map",
        "/area/E06000999?u={t}",
        "/areas?q=a&u={t}",
    ):
        r = page.goto(base + path.format(t=token))
        assert r.status == 200, path
        assert "<NA>" not in page.inner_text("body") and "NaN" not in page.inner_text("body")
    page.goto(f"{base}/u/{token}/profile")
    table = page.inner_text("#profile-table")
    assert "hidden (fewer than 10, or protecting one)" in table and "\t7\t" not in table
    page.goto(f"{base}/u/{token}/map")
    page.wait_for_selector("#map[data-drawn=true]", timeout=15_000)
    page.click("#map path.leaflet-interactive >> nth=0")
    page.wait_for_url("**/area/E05*")
    assert page.locator("main").count() == 1 and "<NA>" not in page.inner_text("main")
    assert browser.outside == [], browser.outside
    page.close()
