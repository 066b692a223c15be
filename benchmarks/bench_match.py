"""Benchmark: enrich 1,000,000 messy customer records end to end with ``match``.

Compares oacinsight's ``match_file`` with a straightforward pandas implementation of the
same enrichment (same statuses for the common cases) on the same input, each run in a
fresh subprocess so peak memory (max RSS) is measured per run.

    .venv/bin/python benchmarks/bench_match.py [--rows 1000000]

Needs ../shared/data (the real NSPL files and OAC).  Results go to stdout as a table and
to benchmarks/_work/match_results.json.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
WORK = REPO / "benchmarks" / "_work"
DATA = REPO.parent / "shared" / "data"


def build_store() -> Path:
    from oacinsight.ingest import ingest
    from oacinsight.store import Store

    path = WORK / "store.duckdb"
    if not path.exists():
        with Store(path) as s:
            ingest([DATA / "postcodes", DATA / "oac", DATA / "geography"], s)
    return path


def make_input(rows: int) -> Path:
    path = WORK / f"customers_{rows}.csv"
    if path.exists():
        return path
    files = sorted((DATA / "postcodes").glob("*.csv"))
    pcs = pd.concat(pd.read_csv(f, dtype=str, usecols=["pcds"]) for f in files)["pcds"].to_numpy()
    rng = np.random.default_rng(42)
    pc = pcs[rng.integers(0, len(pcs), rows)].astype(object)
    style = rng.integers(0, 6, rows)
    pc = np.where(style == 1, np.char.lower(pc.astype(str)), pc)
    pc = np.where(style == 2, np.char.replace(pc.astype(str), " ", ""), pc)
    pc = np.where(style == 3, np.char.replace(pc.astype(str), " ", "  "), pc)
    pc = np.where(style == 4, np.char.add(" ", pc.astype(str)), pc)
    junk = rng.random(rows)
    pc = np.where(junk < 0.02, "", pc)
    pc = np.where((junk >= 0.02) & (junk < 0.03), "N/A", pc)
    df = pd.DataFrame(
        {
            "record_id": np.arange(1, rows + 1),
            "postcode": pc,
            "service": rng.choice(["housing", "benefits", "libraries"], rows),
            "contact_date": "2024-05-01",
        }
    )
    df.to_csv(path, index=False)
    return path


def run_oacinsight(inp: Path, store: Path, out: Path) -> None:
    from oacinsight.match import match_file

    match_file(inp, out, store=store, postcode_column="postcode")


def run_pandas(inp: Path, store: Path, out: Path) -> None:
    """The straightforward way: pandas read, string clean-up, merge, np.select, to_csv
    (the same code as the whole-process baseline, ``pandas_match.py``)."""
    from pandas_match import main as pandas_match

    pandas_match(str(inp), str(WORK / "pc_lookup.parquet"), str(out))


def child(which: str, inp: str, store: str, out: str) -> None:
    import oacinsight.match  # noqa: F401  (imports are not timed, for either side)

    t = time.perf_counter()
    {"oacinsight": run_oacinsight, "pandas": run_pandas}[which](Path(inp), Path(store), Path(out))
    wall = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"which": which, "wall_s": round(wall, 3), "peak_mb": round(peak, 1)}))


def measure(which: str, inp: Path, store: Path, repeat: int) -> dict:
    runs = []
    for _ in range(repeat):
        out = WORK / f"out_{which}.csv"
        res = subprocess.run(
            [sys.executable, __file__, "--child", which, str(inp), str(store), str(out)],
            check=True,
            capture_output=True,
            text=True,
        )
        runs.append(json.loads(res.stdout.strip().splitlines()[-1]))
    best = min(runs, key=lambda r: r["wall_s"])
    return {
        "which": which,
        "best_wall_s": best["wall_s"],
        "peak_mb": max(r["peak_mb"] for r in runs),
        "runs": [r["wall_s"] for r in runs],
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--child", nargs=4)
    args = ap.parse_args()
    if args.child:
        child(*args.child)
        return
    WORK.mkdir(parents=True, exist_ok=True)
    store = build_store()
    import duckdb

    con = duckdb.connect(str(store), read_only=True)
    con.execute(f"COPY pc_lookup TO '{WORK / 'pc_lookup.parquet'}' (FORMAT parquet)")
    con.close()
    inp = make_input(args.rows)
    results = [measure(w, inp, store, args.repeat) for w in ("oacinsight", "pandas")]
    ratio = results[1]["best_wall_s"] / results[0]["best_wall_s"]
    summary = {
        "rows": args.rows,
        "input_mb": round(inp.stat().st_size / 1e6, 1),
        "results": results,
        "speedup_vs_pandas": round(ratio, 2),
    }
    (WORK / "match_results.json").write_text(json.dumps(summary, indent=2))
    for r in results:
        print(
            f"{r['which']:<11} best {r['best_wall_s']:.2f} s  peak {r['peak_mb']:.0f} MB  "
            f"runs {r['runs']}"
        )
    print(f"oacinsight is {ratio:.1f}x faster than the pandas version on {args.rows:,} rows")


if __name__ == "__main__":
    main()
