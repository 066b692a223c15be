"""Benchmark: expected demand for all 188,880 England & Wales output areas.

Builds (once) a store from ``../shared/data`` (postcodes, OAC, OA→LSOA, Census TS001
and TS041) in ``benchmarks/_work/need_store.duckdb`` and learns group rates from
synthetic customers in the districts of the eight English and Welsh postcode areas.
Then it times, in a fresh subprocess each, the whole ``need`` job for England and
Wales (``--rates`` applied to ``K04000001``): rates read and checked, every OA's
expected demand with its interval, LSOA/ward/district totals, the target list, the
gains curve and the CSV outputs written ("tables"); the same with the map ("map");
and with every output, XLSX and HTML included ("all").

    .venv/bin/python benchmarks/bench_need.py
"""

from __future__ import annotations

import json
import os
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
STORE = WORK / "need_store.duckdb"
RATES = WORK / "need_rates" / "rates.csv"


def prepare() -> None:
    from oacinsight.ingest import ingest
    from oacinsight.need import NeedOptions, need_file
    from oacinsight.store import Store

    WORK.mkdir(parents=True, exist_ok=True)
    if not STORE.exists():
        census = DATA / "census2021_oa"
        with Store(STORE) as s:
            ingest(
                [
                    DATA / "postcodes",
                    DATA / "oac",
                    DATA / "geography",
                    census / "Table_Metadata.csv",
                    census / "ts001.parquet",
                    census / "ts041.parquet",
                ],
                s,
            )
    if not RATES.exists():
        nspl = pd.concat(
            [
                pd.read_csv(
                    DATA / "postcodes" / f"NSPL_NOV_2021_UK_{a}.csv",
                    dtype=str,
                    usecols=["pcds", "doterm"],
                )
                for a in ("DT", "HG", "HX", "SM", "SR", "WC", "WN", "LD")
            ]
        )
        live = nspl.loc[nspl["doterm"].isna(), "pcds"].to_numpy()
        rng = np.random.default_rng(5)
        path = WORK / "need_customers.csv"
        pd.DataFrame({"postcode": rng.choice(live, 20000)}).to_csv(path, index=False)
        res = need_file(path, NeedOptions(draw_map=False), store=STORE)
        res.write(RATES.parent)


def run(draw_map: bool, xlsx: bool, out: Path) -> dict:
    from oacinsight.need import NeedOptions, need_file

    res = need_file(
        None, NeedOptions(areas=("K04000001",), rates=str(RATES), draw_map=draw_map), store=STORE
    )
    if xlsx:
        res.write(out)
    else:
        res.write_csv(out)
    e = res.expected
    return {"oas": int((e["area_type"] == "oa").sum()), "rows": len(e)}


def child(which: str) -> None:
    import oacinsight.need  # noqa: F401  (imports not timed)

    t, cpu = time.perf_counter(), time.process_time()
    n = run(which in ("map", "all"), which == "all", WORK / f"need_out_{which}")
    wall, cpu = time.perf_counter() - t, time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {"wall_s": round(wall, 3), "cpu_s": round(cpu, 3), "peak_mb": round(peak, 1), **n}
        )
    )


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2])
        return
    prepare()
    out = {}
    for which in ("tables", "map", "all"):
        runs = [
            json.loads(
                subprocess.run(
                    [sys.executable, __file__, "--child", which],
                    check=True,
                    capture_output=True,
                    text=True,
                ).stdout.splitlines()[-1]
            )
            for _ in range(3 if which == "tables" else 1)
        ]
        out[which] = {
            "best_wall_s": min(r["wall_s"] for r in runs),
            "best_cpu_s": min(r["cpu_s"] for r in runs),
            "load_average": round(os.getloadavg()[0], 1),
            "peak_mb": max(r["peak_mb"] for r in runs),
            "oas": runs[0]["oas"],
            "rows": runs[0]["rows"],
        }
        print(
            f"{which:<7} best {out[which]['best_wall_s']:.2f} s wall, "
            f"{out[which]['best_cpu_s']:.2f} s CPU (load {out[which]['load_average']})  peak "
            f"{out[which]['peak_mb']:.0f} MB  OAs {out[which]['oas']:,}  "
            f"expected rows {out[which]['rows']:,}"
        )
    (WORK / "need_results.json").write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
