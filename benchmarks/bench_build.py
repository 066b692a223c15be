"""Benchmark: local classification of all 188,880 England & Wales output areas.

Builds a store from ``../shared/data`` (OAC files and the census tables of the shipped
``compact`` spec) once, then in one run:

(a) k = 8 on the compact matrix: the best WCSS of ``--baseline`` scikit-learn
    ``KMeans(init="k-means++", n_init=1)`` restarts on the full matrix against
    :class:`ClassificationBuilder` (screened restarts) — time and WCSS of each, and the
    speed ratio;
(b) the whole three-tier build (``build_classification('compact', area='EW')``:
    reading, rates, tiers 8/3/3 with the spec's 100/30/20 restarts per fit, k-range
    diagnostics, comparison) and writing its outputs;
(c) the adjusted Rand index of the E&W supergroups against the official OAC 2021.

    .venv/bin/python benchmarks/bench_build.py      # --baseline 100 --restarts 100
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
WORK = REPO / "benchmarks" / "_work"
DATA = REPO.parent / "shared" / "data"


def prepare_store() -> Path:
    from oacinsight.build import load_spec
    from oacinsight.ingest import ingest
    from oacinsight.store import Store

    store = WORK / "build_store.duckdb"
    if not store.exists():
        WORK.mkdir(parents=True, exist_ok=True)
        tables = sorted({t for v in load_spec("compact").variables for t in v.tables})
        census = DATA / "census2021_oa"
        paths = [
            DATA / "oac",
            census / "Table_Metadata.csv",
            *(census / f"{t}.parquet" for t in tables),
        ]
        t = time.perf_counter()
        with Store(store) as s:
            ingest(paths, s)
        print(f"store built in {time.perf_counter() - t:.1f} s ({len(tables)} tables)")
    return store


def matrix(store: Path) -> np.ndarray:
    from oacinsight.build import load_spec
    from oacinsight.build.prepare import prepare
    from oacinsight.build.run import spec_cells
    from oacinsight.build.spec import check_cells
    from oacinsight.store import Store
    from oacinsight.store import build as sql

    with Store(store, read_only=True) as s:
        spec, _ = check_cells(load_spec("compact"), sql.census_columns(s))
        counts = sql.census_cells(s, spec_cells(spec), None)
    return prepare(counts, spec).matrix


def baseline(x: np.ndarray, n: int) -> dict:
    from sklearn.cluster import KMeans

    t = time.perf_counter()
    wcss = [
        KMeans(n_clusters=8, init="k-means++", n_init=1, random_state=i).fit(x).inertia_
        for i in range(n)
    ]
    wall = time.perf_counter() - t
    return {
        "restarts": n,
        "seconds": round(wall, 1),
        "per_restart_s": round(wall / n, 2),
        "best_wcss": round(float(min(wcss)), 3),
        "median_wcss": round(float(np.median(wcss)), 3),
    }


def ours(x: np.ndarray, restarts: int, sample: int, polish: int) -> dict:
    from oacinsight.build import ClassificationBuilder

    t = time.perf_counter()
    m = ClassificationBuilder(
        n_clusters=8, n_restarts=restarts, sample_size=sample, n_polish=polish, random_state=2021
    ).fit(x)
    wall = time.perf_counter() - t
    return {
        "restarts": restarts,
        "sample_size": sample,
        "polished": polish,
        "seconds": round(wall, 1),
        "best_wcss": round(m.inertia_, 3),
    }


def whole(store: Path, restarts: int | None) -> dict:
    from oacinsight.build import build_classification

    out = WORK / "build_ew"
    shutil.rmtree(out, ignore_errors=True)
    t = time.perf_counter()
    result = build_classification("compact", store, area="EW", restarts=restarts)
    result.write(out)
    wall = time.perf_counter() - t
    ari = {
        k: round(v["adjusted_rand_index"], 3)
        for k, v in (result.comparison or {}).items()
        if isinstance(v, dict) and v.get("adjusted_rand_index") is not None
    }
    return {
        "areas": len(result.codes),
        "restarts_per_fit": result.restarts,
        "seconds": round(wall, 1),
        "wcss": {k: round(v, 3) for k, v in result.wcss.items()},
        "ari_vs_official": ari,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--baseline", type=int, default=100)
    ap.add_argument("--restarts", type=int, default=100)
    ap.add_argument("--sample", type=int, default=2000)
    ap.add_argument("--polish", type=int, default=2)
    ap.add_argument(
        "--whole-restarts",
        type=int,
        default=None,
        help="restarts per fit in (b) (default: the spec's, 100/30/20)",
    )
    ap.add_argument("--skip", default="", help="comma-separated: baseline, ours, whole")
    args = ap.parse_args()
    skip = set(args.skip.split(","))
    store = prepare_store()
    t = time.perf_counter()
    x = matrix(store)
    report: dict = {"matrix": list(x.shape), "matrix_s": round(time.perf_counter() - t, 1)}
    if "ours" not in skip:
        report["ours"] = ours(x, args.restarts, args.sample, args.polish)
        print(json.dumps(report["ours"]))
    if "baseline" not in skip:
        report["baseline"] = baseline(x, args.baseline)
        print(json.dumps(report["baseline"]))
    if "ours" in report and "baseline" in report:
        report["speed_ratio"] = round(report["baseline"]["seconds"] / report["ours"]["seconds"], 1)
        report["ours_at_least_as_good"] = (
            report["ours"]["best_wcss"] <= report["baseline"]["best_wcss"] + 1e-6
        )
    if "whole" not in skip:
        report["whole"] = whole(store, args.whole_restarts)
    report["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
