"""Benchmarks of the web app in headless Chromium (see docs/benchmarks.md).

1. A 100,000-row customer CSV uploaded through the page until the profile page with
   its chart is rendered (target <= 3 s).
2. The Leeds output-area map, 2,543 polygons, drawn (target <= 1.5 s).
3. 30,000 polygons (the Leeds OAs tiled 12 times) drawn in a cold browser
   (target <= 6 s).

Each measurement starts a fresh Chromium (cold: new profile, empty cache) and times
from the navigation (or the click) to the page saying it is drawn.  Run::

    .venv/bin/python benchmarks/bench_web.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio.raw
import shapely

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.conftest import shared_data_dir  # noqa: E402
from tests.test_browser import CHROMIUM, FLAGS, free_port, start_server  # noqa: E402

WORK = ROOT / "benchmarks" / "_work" / "web"
LEEDS = "leeds_oa11_oac11"
TILED = "tiled_30k"


def build_store(data: Path) -> Path:
    """Real NSPL files, OAC, lookups, census TS001/TS041, Leeds OAs and 30,000 polygons."""
    from oacinsight.ingest import ingest
    from oacinsight.store import Store

    store = WORK / "store.duckdb"
    if store.exists():
        return store
    WORK.mkdir(parents=True, exist_ok=True)
    tiled = tile_leeds(data / "boundaries" / f"{LEEDS}.geojson", WORK / f"{TILED}.gpkg")
    census = data / "census2021_oa"
    with Store(store) as s:
        ingest(
            [
                data / "postcodes",
                data / "oac",
                data / "geography",
                census / "ts001.parquet",
                census / "ts041.parquet",
                data / "boundaries" / f"{LEEDS}.geojson",
                tiled,
            ],
            s,
        )
    return store


def tile_leeds(source: Path, out: Path, copies: tuple[int, int] = (4, 3)) -> Path:
    """The Leeds OAs repeated on a grid (``4 x 3 x 2,543 = 30,516`` polygons)."""
    _meta, _fids, wkb, _fields = pyogrio.raw.read(source)
    geoms = shapely.from_wkb(wkb)
    xmin, ymin, xmax, ymax = shapely.total_bounds(geoms)
    tiles = []
    for i in range(copies[0]):
        for j in range(copies[1]):
            tiles.append(
                shapely.transform(
                    geoms, lambda c, i=i, j=j: c + np.array([i * (xmax - xmin), j * (ymax - ymin)])
                )
            )
    every = np.concatenate(tiles)
    codes = np.array([f"E00{900000 + k:06d}" for k in range(len(every))], dtype=object)
    pyogrio.raw.write(
        out,
        shapely.to_wkb(every),
        [codes],
        fields=["OA21CD"],
        geometry_type="Polygon",
        crs="EPSG:27700",
        driver="GPKG",
    )
    return out


def customers_csv(data: Path, rows: int = 100_000, seed: int = 1) -> Path:
    """``rows`` customers at real live postcodes of the shared NSPL files."""
    path = WORK / f"customers_{rows}.csv"
    if path.exists():
        return path
    frames = [
        pd.read_csv(p, usecols=["pcds", "doterm"], dtype=str)
        for p in sorted((data / "postcodes").glob("*.csv"))
    ]
    pcs = pd.concat(frames)
    pcs = pcs[pcs["doterm"].isna()]["pcds"].to_numpy()
    rng = np.random.default_rng(seed)
    pd.DataFrame({"customer_id": np.arange(1, rows + 1), "postcode": rng.choice(pcs, rows)}).to_csv(
        path, index=False
    )
    return path


def _browser(p):
    profile = tempfile.mkdtemp(prefix="oacinsight-bench-")
    ctx = p.chromium.launch_persistent_context(
        profile,
        executable_path=CHROMIUM,
        headless=True,
        args=FLAGS,
        viewport={"width": 1280, "height": 900},
    )
    token = os.environ.get("OACINSIGHT_BENCH_TOKEN")
    if token:  # the app's access key, as scripts send it
        ctx.set_extra_http_headers({"Authorization": f"Bearer {token}"})
    return ctx, profile


def time_upload(p, base: str, csv: Path) -> float:
    ctx, profile = _browser(p)
    try:
        page = ctx.new_page()
        page.goto(base + "/")
        page.set_input_files("#file", str(csv))
        start = time.perf_counter()
        page.click("#upload-form button[type=submit]")
        page.wait_for_url("**/match", timeout=60_000)
        page.goto(page.url.replace("/match", "/profile"))
        page.wait_for_selector("#profile-chart svg", timeout=60_000)
        return time.perf_counter() - start
    finally:
        ctx.close()
        shutil.rmtree(profile, ignore_errors=True)


def time_map(p, base: str, layer: str) -> tuple[float, int, str]:
    ctx, profile = _browser(p)
    try:
        page = ctx.new_page()
        start = time.perf_counter()
        page.goto(f"{base}/map?layer={layer}&measure=supergroup")
        page.wait_for_selector("#map[data-drawn=true]", timeout=60_000)
        took = time.perf_counter() - start
        return (
            took,
            int(page.get_attribute("#map", "data-features") or 0),
            str(page.get_attribute("#map", "data-renderer")),
        )
    finally:
        ctx.close()
        shutil.rmtree(profile, ignore_errors=True)


def main() -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    data = shared_data_dir()
    store = build_store(data)
    csv = customers_csv(data)
    port = free_port()
    server, url = start_server(store, port)
    os.environ["OACINSIGHT_BENCH_TOKEN"] = url.split("?token=")[-1]
    base = f"http://127.0.0.1:{port}"
    results: dict[str, object] = {}
    try:
        with sync_playwright() as p:
            first = {layer: time_map(p, base, layer)[0] for layer in (LEEDS, TILED)}
            ups = [time_upload(p, base, csv) for _ in range(args.repeat)]
            leeds = [time_map(p, base, LEEDS) for _ in range(args.repeat)]
            tiled = [time_map(p, base, TILED) for _ in range(args.repeat)]
    finally:
        server.terminate()
        server.wait(timeout=10)
    for name, runs in (
        ("upload_100k_to_profile_s", ups),
        ("leeds_2543_map_s", [r[0] for r in leeds]),
        ("tiled_30k_map_s", [r[0] for r in tiled]),
    ):
        results[name] = {"best": round(min(runs), 3), "median": round(statistics.median(runs), 3)}
    results["first_load_after_server_start_s"] = {k: round(v, 3) for k, v in first.items()}
    results["leeds_polygons"], results["leeds_renderer"] = leeds[0][1], leeds[0][2]
    results["tiled_polygons"], results["tiled_renderer"] = tiled[0][1], tiled[0][2]
    (WORK / "results.json").write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
