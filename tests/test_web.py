"""The web app through its HTTP interface (no browser): pages, API, downloads, security."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest
from tests.test_web_support import build_demo_store, web_client
from typer.testing import CliRunner

from oacinsight.cli import app as cli
from oacinsight.match import match_file

WARDS = "wards_may_2021_boundaries_uk_bgc_demoshire"
OAS = "output_areas_dec_2021_boundaries_ew_bgc_demoshire"


@pytest.fixture(scope="module")
def demo_web(tmp_path_factory):
    """(store, customer file) of Demoshire with boundaries."""
    return build_demo_store(tmp_path_factory.mktemp("web"))


@pytest.fixture()
def client(demo_web):
    with web_client(demo_web[0]) as c:
        yield c


def _upload(client, path, name="customers.csv"):
    with open(path, "rb") as fh:
        r = client.post("/upload", files={"file": (name, fh, "text/csv")}, follow_redirects=False)
    assert r.status_code == 303, r.text
    return r.headers["location"].split("/")[2]


def test_home_lists_what_is_loaded(client):
    r = client.get("/")
    assert r.status_code == 200
    assert "NSPL NOV 2021" in r.text and "oac2021_demoshire_oa.parquet" in r.text
    assert "290 output areas" in r.text and "12 wards" in r.text
    assert r.headers["content-security-policy"].startswith("default-src 'self'")


def test_upload_match_summary_has_the_numbers_of_match_file(client, demo_web, tmp_path):
    store, customers = demo_web
    expected = match_file(customers, tmp_path / "m.csv", store=store)
    token = _upload(client, customers)
    page = client.get(f"/u/{token}/match").text
    assert f"<strong>{expected.matched:,}</strong> of {expected.rows:,} rows" in page
    for status, count in expected.counts.items():
        if count:
            assert f'<td>{status.replace("_", " ")}</td><td class="num">{count:,}</td>' in page
    n_failed = expected.rows - expected.matched
    assert f"Rows that did not match ({n_failed:,})" in page
    unmatched = pd.read_csv(
        io.BytesIO(client.get(f"/u/{token}/download/unmatched.csv").content),
        dtype=str,
        encoding="utf-8-sig",
        keep_default_na=False,
    )
    assert len(unmatched) == n_failed
    assert set(unmatched["match_status"]) <= {"not_found", "invalid_format", "missing", "no_oac"}
    cli_csv = (tmp_path / "m.csv").read_bytes()
    assert client.get(f"/u/{token}/download/matched.csv").content == cli_csv


def test_profile_page_chart_table_and_level_switch(client, demo_web):
    token = _upload(client, demo_web[1])
    r = client.get(f"/u/{token}/profile")
    assert r.status_code == 200
    assert r.text.count("<svg") == 1 and "Legacy Communities" in r.text
    assert "How to read the chart." in r.text and "index of 100" in r.text
    groups = client.get(f"/u/{token}/profile", params={"level": "group"}).text
    assert groups.count('<tr class="') == 21  # one row per group in the table
    bad = client.get(
        f"/u/{token}/profile", params={"level": "ward"}, headers={"accept": "text/html"}
    )
    assert bad.status_code == 400 and "unknown level &#39;ward&#39;" in bad.text


@pytest.mark.parametrize(
    "level,area", [("supergroup", ""), ("group", "E06000999"), ("all", "E05999003")]
)
def test_api_profile_is_what_the_cli_writes(client, demo_web, tmp_path, level, area):
    store, customers = demo_web
    out = tmp_path / "cli.csv"
    args = ["profile", str(customers), "-o", str(out), "--store", str(store), "--level", level]
    result = CliRunner().invoke(cli, [*args, *(["--area", area] if area else [])])
    assert result.exit_code == 0, result.output
    with open(customers, "rb") as fh:
        r = client.post(
            "/api/profile", files={"file": ("c.csv", fh)}, data={"level": level, "area": area}
        )
    assert r.status_code == 200, r.text
    body = r.json()
    expected = pd.read_csv(out, dtype={"code": str})
    got = pd.DataFrame(body["records"], columns=body["columns"])
    assert list(got.columns) == list(expected.columns)
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    assert body["n_input"] == 6041 and body["level"] == level
    with open(customers, "rb") as fh:
        csv = client.post(
            "/api/profile?format=csv",
            files={"file": ("c.csv", fh)},
            data={"level": level, "area": area},
        )
    assert csv.content == out.read_bytes()


def test_api_match_returns_the_cli_columns(client, demo_web, tmp_path):
    store, customers = demo_web
    summary = match_file(customers, tmp_path / "m.csv", store=store)
    header = pd.read_csv(tmp_path / "m.csv", nrows=0, encoding="utf-8-sig").columns.tolist()
    with open(customers, "rb") as fh:
        r = client.post("/api/match", files={"file": ("c.csv", fh)})
    body = r.json()
    assert body["columns"] == header and len(body["records"]) == summary.rows
    assert body["summary"]["matched"] == summary.matched
    statuses = pd.Series([rec["match_status"] for rec in body["records"]]).value_counts()
    assert statuses.to_dict() == {k: v for k, v in summary.counts.items() if v}


def test_library_errors_are_one_line_4xx(client, tmp_path):
    bad = tmp_path / "notes.docx"
    bad.write_bytes(b"not a table")
    with open(bad, "rb") as fh:
        r = client.post("/api/match", files={"file": ("notes.docx", fh)})
    assert r.status_code == 400
    assert r.json() == {
        "detail": "notes.docx: unsupported file type '.docx'; upload a CSV, XLSX or Parquet file"
    }
    empty = tmp_path / "empty.csv"
    empty.write_text("name,postcode\n")
    with open(empty, "rb") as fh:
        r = client.post("/api/profile", files={"file": ("empty.csv", fh)})
    assert r.status_code == 400 and "\n" not in r.json()["detail"]
    r = client.get("/u/not-a-token/profile", headers={"accept": "text/html"})
    assert r.status_code == 404 and "upload it again" in r.text


def test_upload_limit_host_check_and_escaping(demo_web, tmp_path):
    big = tmp_path / "big.csv"
    big.write_text("postcode\n" + "DM1 1AA\n" * 2000)  # 16 kB
    with web_client(demo_web[0], max_upload_mb=0.01) as c:
        with open(big, "rb") as fh:
            r = c.post("/api/match", files={"file": ("big.csv", fh)})
        assert r.status_code == 413 and "upload limit of 0 MB" in r.json()["detail"]
        assert c.get("/", headers={"host": "attacker.example"}).status_code == 400
        cross = c.post(
            "/api/match",
            headers={"origin": "https://attacker.example"},
            files={"file": ("a.csv", b"postcode\nDM1 1AA\n")},
        )
        assert cross.status_code == 403
        small = tmp_path / "small.csv"
        small.write_text("postcode\nDM1 1AA\n")
        token = _upload(c, small, name="<img src=x onerror=alert(1)>.csv")
        page = c.get(f"/u/{token}/match").text
        assert "<img src=x" not in page
        assert "&lt;img src=x onerror=alert(1)&gt;.csv" in page
        folder = c.app.state.web.tmp
        assert any(folder.iterdir())
    assert not folder.exists()  # uploads deleted when the app stops


def test_pdf_report(client, demo_web):
    from pypdf import PdfReader

    token = _upload(client, demo_web[1])
    r = client.get(f"/u/{token}/download/profile.pdf")
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    pdf = PdfReader(io.BytesIO(r.content))
    assert len(pdf.pages) == 3
    text = "\n".join(page.extract_text() for page in pdf.pages)
    assert "Customer profile by Output Area Classification" in text
    assert "Legacy Communities" in text and "5,835 matched (96.6%)" in text
    assert "Where the customers are" in text


def test_boundaries_are_cacheable_geojson(client):
    layers = client.get("/api/boundaries").json()
    assert {lay["layer"]: lay["features"] for lay in layers} == {OAS: 290, WARDS: 12}
    url = next(lay["url"] for lay in layers if lay["layer"] == WARDS)
    r = client.get(url)
    assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
    data = json.loads(r.content)
    assert len(data["features"]) == 12 and data["features"][0]["properties"]["name"] == "Abbey"
    again = client.get(url, headers={"if-none-match": r.headers["etag"]})
    assert again.status_code == 304


def test_map_values_count_every_matched_customer_by_ward(client, demo_web, tmp_path):
    store, customers = demo_web
    match_file(customers, tmp_path / "m.csv", store=store)
    matched = pd.read_csv(tmp_path / "m.csv", dtype=str, encoding="utf-8-sig")
    ok = matched[matched["match_status"].isin(["matched", "matched_terminated"])]
    by_ward = ok.groupby("ward").size()
    token = _upload(client, customers)
    body = client.get(
        "/api/map-values", params={"layer": WARDS, "measure": "customers", "u": token}
    ).json()
    got = {code: a["value"] for code, a in body["areas"].items()}
    assert got == {w: float(n) for w, n in by_ward.items()}
    index = client.get(
        "/api/map-values", params={"layer": WARDS, "measure": "index", "u": token}
    ).json()
    assert "100 means as many customers" in index["explanation"]
    assert len(index["legend"]) == 6
    page = client.get(f"/u/{token}/map").text
    assert f'data-layer="{WARDS}"' in page and 'data-renderer="svg"' in page


def test_points_map_without_boundaries(tmp_path):
    store, customers = build_demo_store(tmp_path, boundaries=False)
    with web_client(store) as c:
        token = _upload(c, customers)
        page = c.get(f"/u/{token}/map").text
        assert 'data-layer="points"' in page and "No boundaries are drawn" in page
        body = c.get(
            "/api/map-values", params={"layer": "points", "measure": "supergroup", "u": token}
        ).json()
    assert len(body["points"]) == 290  # every Demoshire OA has customers
    code, lat, long = body["points"][0]
    assert code.startswith("E00999") and 53.4 < lat < 53.7 and -1.7 < long < -1.3


def test_area_search_and_page(client, demo_web):
    found = client.get("/api/areas", params={"q": "abbey"}).json()
    assert found[0]["code"] == "E05999001" and found[0]["name"] == "Abbey"
    info = client.get("/api/areas/E05999001").json()
    assert info["kind"] == "wards" and {m["layer"] for m in info["measures"]} == {WARDS}
    assert info["measures"][0]["oas"] == 27
    # the area profile of `oacinsight area`, through the web
    mix = pd.DataFrame(info["profile"]["oac_mix"])
    sg = mix[mix["level"] == "supergroup"]
    assert sg["pct"].sum() == pytest.approx(100.0)
    assert sg["residents"].sum() == info["measures"][0]["residents"]
    assert info["summary"][0].startswith("Abbey (E05999001) is a ward of")
    token = _upload(client, demo_web[1])
    page = client.get(f"/area/E05999001?u={token}").text
    assert "Your customers here" in page and "354 of your matched customers live in Abbey" in page
    assert "What kind of place it is" in page and "Most similar wards" in page
    pdf = client.get("/area/E05999001/download/area_profile.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert client.get("/area/E05999001/download/evil.sh").status_code == 400
    assert client.get("/api/areas/E05000000").status_code == 400


def test_serve_command_errors_are_one_line(demo_web, tmp_path):
    import socket

    missing = CliRunner().invoke(cli, ["serve", "--store", str(tmp_path / "none.duckdb")])
    assert missing.exit_code == 2
    assert missing.output.strip().startswith("error: no store at")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        r = CliRunner().invoke(cli, ["serve", "--store", str(demo_web[0]), "--port", str(port)])
    assert r.exit_code == 2
    assert f"error: cannot listen on 127.0.0.1:{port}" in r.output
    assert "choose another --port" in r.output


def test_xlsx_upload_matches_like_the_csv(client, demo_web, tmp_path):
    frame = pd.read_csv(demo_web[1], dtype=str, keep_default_na=False).head(500)
    xlsx = tmp_path / "customers.xlsx"
    frame.to_excel(xlsx, index=False)
    with open(xlsx, "rb") as fh:
        body = client.post("/api/match", files={"file": ("customers.xlsx", fh)}).json()
    assert len(body["records"]) == 500
    csv = tmp_path / "customers.csv"
    frame.to_csv(csv, index=False)
    with open(csv, "rb") as fh:
        again = client.post("/api/match", files={"file": ("customers.csv", fh)}).json()
    assert body["summary"]["status"] == again["summary"]["status"]
