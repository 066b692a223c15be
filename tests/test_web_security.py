"""The web app on a shared machine: the token, host and origin checks, no-store, upload
limits (streamed too), one-line 400s naming the user's file, and jobs side by side."""

from __future__ import annotations

import io
import re
import socket
import threading
import zipfile

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from tests.test_web_support import BASE, TOKEN, build_demo_store, web_client
from typer.testing import CliRunner

from oacinsight.web import create_app

PRIVATE = [
    "/",
    "/map",
    "/areas?q=abbey",
    "/area/E05999001",
    "/docs",
    "/openapi.json",
    "/api/store",
    "/api/areas?q=a",
    "/api/boundaries",
    "/u/abc/match",
    "/u/abc/download/matched.csv",
    "/area/E05999001/download/oac_mix.csv",
    "/api/map-values?layer=points&area=E06000999",
    "/no-such-page",
]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return build_demo_store(tmp_path_factory.mktemp("sec"))


@pytest.fixture()
def client(demo):
    with web_client(demo[0]) as c:
        yield c


def _post_file(client, name: str, data: bytes, url: str = "/api/match", **kw):
    return client.post(url, files={"file": (name, data)}, **kw)


def test_without_the_token_everything_answers_401(demo):
    app = create_app(demo[0], token=TOKEN)
    with TestClient(app, base_url=BASE) as anon, web_client(demo[0]) as user:
        token = (
            user.post(
                "/upload", files={"file": ("c.csv", b"postcode\nDM1 1AA\n")}, follow_redirects=False
            )
            .headers["location"]
            .split("/")[2]
        )
        anon.app.state.web.uploads.update(user.app.state.web.uploads)  # same uploads held
        for url in [*PRIVATE, f"/u/{token}/match", f"/u/{token}/download/matched.csv"]:
            for headers in ({}, {"authorization": "Bearer wrong"}, {"cookie": "x=1"}):
                r = anon.get(url, headers=headers)
                assert r.status_code == 401, url
                assert token not in r.text
        assert anon.get("/", params={"token": "wrong"}).status_code == 401
        for url in ("/api/match", "/api/profile", "/upload"):
            assert _post_file(anon, "c.csv", b"postcode\nDM1 1AA\n", url).status_code == 401
        r = anon.get("/u/x/match", headers={"accept": "text/html"})
        assert "?token=" in r.text and r.headers["www-authenticate"] == "Bearer"
        for url in ("/static/app.css", "/static/map.js", "/static/leaflet/leaflet.js"):
            assert anon.get(url).status_code == 200  # nothing private: served without it


def test_token_in_the_address_sets_a_cookie_and_is_taken_out(demo):
    with TestClient(create_app(demo[0], token=TOKEN), base_url=BASE) as c:
        r = c.get("/map", params={"token": TOKEN, "measure": "group"}, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/map?measure=group"
        cookie = r.headers["set-cookie"]
        assert cookie.startswith(f"oacinsight-token-8765={TOKEN};")
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
        odd = c.get(f"/%2Fevil.example/x?token={TOKEN}", follow_redirects=False)
        assert odd.headers["location"] == "/evil.example/x"  # never to another site
        page = c.get("/map?measure=group")  # the cookie alone now
        assert page.status_code == 200 and TOKEN not in page.text
        assert c.get("/api/store").status_code == 200
        c.cookies.clear()
        assert c.get("/api/store").status_code == 401
        assert c.get("/api/store", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
        r = _post_file(c, "c.csv", b"postcode\nDM1 1AA\n", f"/api/match?token={TOKEN}")
        assert r.status_code == 200 and r.json()["summary"]["rows"] == 1


def test_no_token_only_when_asked(demo):
    with TestClient(create_app(demo[0], require_token=False), base_url=BASE) as c:
        assert c.get("/api/store").status_code == 200
    a, b = create_app(demo[0]), create_app(demo[0])
    assert len(a.state.token) >= 40 and a.state.token != b.state.token


@pytest.mark.parametrize("extra", [[], ["--no-token"], ["--host", "127.0.0.2"]])
def test_serve_prints_the_address_with_the_token(demo, monkeypatch, extra):
    import uvicorn

    from oacinsight.cli import app as cli

    seen = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: seen.update(app=app, **kw))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    r = CliRunner().invoke(cli, ["serve", "--store", str(demo[0]), "--port", str(port), *extra])
    assert r.exit_code == 0, r.output
    host = extra[1] if "--host" in extra else "127.0.0.1"
    token = seen["app"].state.token
    if "--no-token" in extra:
        assert token is None and "WARNING: --no-token" in r.output
        assert f"running at http://127.0.0.1:{port}/ (press" in r.output
    else:
        assert re.fullmatch(r"[\w-]{43}", token)
        assert f"oacinsight is running at http://{host}:{port}/?token={token} " in r.output
    assert seen["app"].state.allowed_hosts >= {host, "127.0.0.1", "localhost"}
    bad = CliRunner().invoke(cli, ["serve", "--store", str(demo[0]), "--port", "70000"])
    assert bad.exit_code == 2 and bad.output.startswith("error: ")
    assert "--port" in bad.output and len(bad.output.strip().splitlines()) == 1


@pytest.mark.parametrize("host", ["127.0.0.2", "0.0.0.0", "192.0.2.7"])
def test_host_and_origin_checks_stay_on_for_any_host(demo, host):
    shown = "127.0.0.1" if host == "0.0.0.0" else host
    app = create_app(demo[0], token=TOKEN, host=host)
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with TestClient(app, base_url=f"http://{shown}:8765", headers=headers) as c:
        assert c.get("/api/store").status_code == 200
        assert c.get("/api/store", headers={"host": "localhost:8765"}).status_code == 200
        for evil in ("attacker.example", "attacker.example:8765", "127.0.0.1.nip.io"):
            assert c.get("/api/store", headers={"host": evil}).status_code == 400
        cross = _post_file(
            c, "a.csv", b"postcode\nDM1 1AA\n", headers={"origin": "https://attacker.example"}
        )
        assert cross.status_code == 403
        site = _post_file(
            c, "a.csv", b"postcode\nDM1 1AA\n", headers={"sec-fetch-site": "cross-site"}
        )
        assert site.status_code == 403
        same = _post_file(
            c, "a.csv", b"postcode\nDM1 1AA\n", headers={"origin": f"http://{shown}:8765"}
        )
        assert same.status_code == 200


def test_no_store_on_pages_and_downloads(client, demo):
    with open(demo[1], "rb") as fh:
        token = (
            client.post("/upload", files={"file": ("c.csv", fh)}, follow_redirects=False)
            .headers["location"]
            .split("/")[2]
        )
    for url in [
        "/",
        f"/u/{token}/match",
        f"/u/{token}/profile",
        f"/u/{token}/map",
        f"/u/{token}/download/matched.csv",
        f"/u/{token}/download/unmatched.csv",
        f"/u/{token}/download/profile.pdf",
        f"/u/{token}/download/profile.xlsx",
        f"/api/map-values?layer=points&u={token}",
        f"/area/E05999001?u={token}",
        "/area/E05999001/download/area_profile.xlsx",
        "/u/gone/match",
    ]:
        r = client.get(url)
        assert r.headers["cache-control"] == "no-store", url
    with open(demo[1], "rb") as fh:
        r = client.post("/api/match", files={"file": ("c.csv", fh)})
    assert r.headers["cache-control"] == "no-store"
    assert "no-store" not in client.get("/static/app.css").headers.get("cache-control", "")


def test_validation_errors_are_one_line_json_400(client):
    cases = [
        (client.post("/api/match"), "file is required"),
        (
            client.post(
                "/api/profile",
                files={"file": ("c.csv", b"postcode\n")},
                data={"confidence": "high"},
            ),
            "confidence",
        ),
        (client.get("/api/areas"), "q is required"),
        (client.get("/api/map-values"), "layer is required"),
        (client.get("/area/E05999001/download/evil.sh"), "name"),
        (client.get("/u/x/download/matched.exe"), "fmt"),
    ]
    for r, words in cases:
        assert r.status_code == 400, r.text
        body = r.json()
        assert list(body) == ["detail"] and isinstance(body["detail"], str)
        assert words in body["detail"] and "\n" not in body["detail"]


def test_errors_name_the_users_file_not_temporary_paths(client):
    for name, data in [
        ("My customers.csv", b"name,town\nAnn,Leeds\n"),
        ("Clients 2024.xlsx", b"not really a workbook"),
        ("list.parquet", b"PAR1 broken"),
    ]:
        for url in ("/api/match", "/api/profile", "/upload"):
            r = _post_file(client, name, data, url, follow_redirects=False)
            assert r.status_code == 400, (name, url, r.text)
            detail = r.json()["detail"]
            assert name in detail, detail
            assert "upload." not in detail and "/tmp" not in detail
            assert "oacinsight-web" not in detail and "\n" not in detail


def _xlsx(rows: int) -> bytes:
    buffer = io.BytesIO()
    pd.DataFrame({"postcode": ["DM1 1AA"] * rows}).to_excel(buffer, index=False)
    return buffer.getvalue()


def test_xlsx_and_parquet_limits_checked_before_reading(demo, monkeypatch):
    book = _xlsx(5)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(book)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.startswith("xl/worksheets/"):
                data = re.sub(rb'<dimension ref="[^"]+"', b'<dimension ref="A1:A7000000"', data)
            dst.writestr(info, data)
    with web_client(demo[0]) as c:
        r = _post_file(c, "huge.xlsx", out.getvalue())
        assert r.status_code == 400
        assert r.json()["detail"] == (
            "huge.xlsx: a sheet declares 7,000,000 rows, more than "
            "Excel allows (1,048,576); save the data as CSV or "
            "Parquet"
        )
    big = _xlsx(40_000)  # about 0.2 MB packed, 2.6 MB unpacked
    with web_client(demo[0], max_upload_mb=0.3) as c:
        r = _post_file(c, "big.xlsx", big)
        assert r.status_code == 400 and "big.xlsx: the workbook unpacks to" in r.json()["detail"]
        assert not any(c.app.state.web.tmp.iterdir())  # nothing kept
    from oacinsight.web import limits

    monkeypatch.setattr(limits, "MAX_ROWS", 100)
    frame = pd.DataFrame({"postcode": ["DM1 1AA"] * 101})
    data = io.BytesIO()
    frame.to_parquet(data)
    with web_client(demo[0]) as c:
        r = _post_file(c, "rows.parquet", data.getvalue())
        assert r.status_code == 400
        assert r.json()["detail"].startswith("rows.parquet: 101 rows, more than the 100")
        ok = io.BytesIO()
        frame.head(100).to_parquet(ok)
        assert _post_file(c, "rows.parquet", ok.getvalue()).status_code == 200


class _Counting:
    """ASGI wrapper counting the body bytes the app read from the server."""

    def __init__(self, app) -> None:
        self.app, self.read = app, 0

    async def __call__(self, scope, receive, send):
        async def counted():
            message = await receive()
            self.read += len(message.get("body", b""))
            return message

        await self.app(scope, counted, send)


def test_streamed_upload_refused_while_reading(demo):
    """A chunked upload (no Content-Length) of 20 MB to an app with a 1 MB limit is
    refused with 413 once a little over 1 MB has been read."""
    import uvicorn

    app = create_app(demo[0], token=TOKEN, max_upload_mb=1)
    counting = _Counting(app)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(counting, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            threading.Event().wait(0.05)
        status = _send_chunked(port, 20_000_000)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
    assert status == 413
    assert 1_000_000 < counting.read < 1_100_000 + 2 * 65_536
    assert not app.state.web.uploads


def _send_chunked(port: int, total: int) -> int:
    boundary = "b0undary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
        'filename="big.csv"\r\nContent-Type: text/csv\r\n\r\npostcode\r\n'
    ).encode()
    line = b"DM1 1AA\r\n" * 7_000
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        sock.sendall(
            (
                f"POST /api/match HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                f"Authorization: Bearer {TOKEN}\r\nTransfer-Encoding: chunked\r\n"
                f"Content-Type: multipart/form-data; boundary={boundary}\r\n\r\n"
            ).encode()
        )
        sent = 0
        try:
            for chunk in [head] + [line] * (total // len(line)):
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                sent += len(chunk)
            sock.sendall(b"0\r\n\r\n")
        except OSError:
            pass  # the server stopped reading and answered
        reply = sock.recv(4096).decode("latin-1")
    return int(reply.split()[1])


def test_jobs_run_side_by_side(client, demo):
    """Pages answer while another job holds the store, and concurrent requests each get
    their own correct answer (each request works on its own cursor)."""
    state = client.app.state.web
    with open(demo[1], "rb") as fh:
        token = (
            client.post("/upload", files={"file": ("c.csv", fh)}, follow_redirects=False)
            .headers["location"]
            .split("/")[2]
        )
    urls = [f"/u/{token}/profile?level={lv}" for lv in ("supergroup", "group", "subgroup")]
    urls += [f"/api/areas?q={q}" for q in ("abbey", "castle", "E06000999")]
    urls += [f"/area/E05{999001 + w}" for w in range(4)]
    expected = {url: client.get(url).text for url in urls}
    for up in state.uploads.values():
        up.results.clear()
    state.cache.clear()
    release, holding = threading.Event(), threading.Event()

    def hold() -> None:
        with state.job() as store:  # a long job (a 1M-row match) holding its cursor
            store.con.execute("CREATE TEMP TABLE cust_oa AS SELECT 'x' AS oa, 1 AS customers")
            holding.set()
            release.wait(120)

    holder = threading.Thread(target=hold)
    holder.start()
    holding.wait(60)
    got: dict[str, str] = {}

    def fetch(url: str) -> None:
        got[url] = client.get(url).text

    workers = [threading.Thread(target=fetch, args=(u,)) for u in urls * 2]
    for w in workers:
        w.start()
    for w in workers:
        w.join(120)
    finished = not any(w.is_alive() for w in workers)
    release.set()
    holder.join(60)
    assert finished, "requests waited for another job's store"
    assert sorted(got) == sorted(expected)
    assert [url for url in urls if got[url] != expected[url]] == []
