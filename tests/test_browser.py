"""End to end in headless Debian Chromium: upload → match → profile → map → PDF, offline.

Every request the browser makes is intercepted: anything not addressed to the app on
127.0.0.1 is blocked and recorded, and the tests assert there was none.  Without
``/usr/bin/chromium`` the tests skip with the reason (and fail under ``CI=true``).
"""

from __future__ import annotations

import os
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
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--disable-background-networking", "--disable-component-update", "--no-first-run"]


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


def start_server(store: Path, port: int) -> subprocess.Popen[bytes]:
    """``oacinsight serve`` on 127.0.0.1:port, waited for (at most 30 s)."""
    proc = subprocess.Popen([sys.executable, "-m", "oacinsight", "serve", "--store", str(store),
                             "--port", str(port)], stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            message = proc.stderr.read().decode() if proc.stderr else ""
            raise RuntimeError(f"server exited: {message}")
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return proc
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
            self.profile, executable_path=CHROMIUM, headless=True, args=FLAGS,
            accept_downloads=True, viewport={"width": 1280, "height": 900})
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
def app_url(tmp_path_factory) -> Iterator[tuple[str, Path]]:
    need_chromium()
    store, customers = build_demo_store(tmp_path_factory.mktemp("browser"))
    port = free_port()
    proc = start_server(store, port)
    try:
        yield f"http://127.0.0.1:{port}", customers
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def browser(app_url) -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = Browser(p, app_url[0])
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

    paths = [need_shared("boundaries", "leeds_oa11_oac11.geojson"),
             need_shared("oac", "oac2021_uk_oa.parquet"),
             need_shared("oac", "oac2021_names.csv")]
    store = tmp_path / "leeds.duckdb"
    with Store(store) as s:
        ingest(paths, s)
    port = free_port()
    proc = start_server(store, port)
    try:
        page = browser.context.new_page()
        page.goto(f"http://127.0.0.1:{port}/map?layer=leeds_oa11_oac11&measure=supergroup")
        page.wait_for_selector("#map[data-drawn=true]", timeout=20_000)
        assert page.locator("#map path.leaflet-interactive").count() == 2543
        assert page.locator("#legend li").count() == 9  # 8 supergroups + no OAC 2021
        assert browser.outside == [], browser.outside
        page.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
