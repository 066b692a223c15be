"""Benchmark: profile 1,000,000 matched records at all three OAC tiers.

Uses the store and the 1,000,000-row customer file of ``bench_match.py`` (run it first),
matches it once to Parquet, then times ``profile_file(level="all")`` on the matched file
against a straightforward pandas version (read, group by OA, join OAC and residents,
sum per tier, shares and index).  Each run is a fresh subprocess.

    .venv/bin/python benchmarks/bench_profile.py
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
WORK = REPO / "benchmarks" / "_work"
DATA = REPO.parent / "shared" / "data"


def prepare() -> tuple[Path, Path]:
    from oacinsight.ingest import ingest
    from oacinsight.match import match_file
    from oacinsight.store import Store

    store = WORK / "store.duckdb"
    customers = WORK / "customers_1000000.csv"
    if not store.exists() or not customers.exists():
        sys.exit("run benchmarks/bench_match.py first")
    with Store(store) as s:
        if not s.has_table("census_ts001"):
            ingest([DATA / "census2021_oa" / "ts001.parquet"], s)
    matched = WORK / "matched_1000000.parquet"
    if not matched.exists():
        match_file(customers, matched, store=store, postcode_column="postcode")
    return store, matched


def run_oacinsight(matched: Path, store: Path) -> int:
    from oacinsight.profile.run import profile_file

    return len(profile_file(matched, store=store, level="all").table)


def run_pandas(matched: Path, store: Path) -> int:
    m = pd.read_parquet(matched, columns=["oa21", "match_status", "laua"])
    m = m[m["match_status"].isin(["matched", "matched_terminated"])]
    las = set(m["laua"].dropna())
    oac = pd.read_parquet(DATA / "oac" / "oac2021_uk_oa.parquet")
    res = pd.read_parquet(DATA / "census2021_oa" / "ts001.parquet", columns=["OA", "ts0010001"])
    nspl = pd.read_parquet(WORK / "pc_lookup.parquet", columns=["oa21", "laua"])
    area_oas = set(nspl.loc[nspl["laua"].isin(las), "oa21"].dropna())
    base = oac[oac["Geography_Code"].isin(area_oas)].merge(
        res, left_on="Geography_Code", right_on="OA"
    )
    cust = m.groupby("oa21").size().rename("customers")
    j = base.merge(cust, left_on="Geography_Code", right_index=True, how="left").fillna(
        {"customers": 0}
    )
    rows = 0
    for col in ("Supergroup", "Group", "Subgroup"):
        t = j.groupby(col)[["customers", "ts0010001"]].sum()
        t["index"] = (
            100 * (t["customers"] / t["customers"].sum()) / (t["ts0010001"] / t["ts0010001"].sum())
        )
        rows += len(t)
    return rows


def child(which: str, matched: str, store: str) -> None:
    import oacinsight.profile.run  # noqa: F401  (imports not timed)

    t = time.perf_counter()
    n = {"oacinsight": run_oacinsight, "pandas": run_pandas}[which](Path(matched), Path(store))
    wall = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"wall_s": round(wall, 3), "peak_mb": round(peak, 1), "rows": n}))


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(*sys.argv[2:5])
        return
    store, matched = prepare()
    out = {}
    for which in ("oacinsight", "pandas"):
        runs = [
            json.loads(
                subprocess.run(
                    [sys.executable, __file__, "--child", which, str(matched), str(store)],
                    check=True,
                    capture_output=True,
                    text=True,
                ).stdout.splitlines()[-1]
            )
            for _ in range(3)
        ]
        out[which] = {
            "best_wall_s": min(r["wall_s"] for r in runs),
            "peak_mb": max(r["peak_mb"] for r in runs),
            "rows": runs[0]["rows"],
        }
        print(
            f"{which:<11} best {out[which]['best_wall_s']:.2f} s  "
            f"peak {out[which]['peak_mb']:.0f} MB  table rows {out[which]['rows']}"
        )
    ratio = out["pandas"]["best_wall_s"] / out["oacinsight"]["best_wall_s"]
    print(f"oacinsight profile (3 tiers, CIs, suppression) is {ratio:.1f}x the pandas index-only")
    (WORK / "profile_results.json").write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
