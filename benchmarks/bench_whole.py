"""The profile, area and match (18 areas) benchmarks again, as whole processes.

``bench_match.py``, ``bench_profile.py`` and ``bench_areas.py`` time the library call in
a fresh subprocess with imports left out.  This script runs the same work as the user
does, one ``oacinsight`` command from start to exit (``/usr/bin/time``), on the stores
and inputs those scripts build (run each of them once first):

- ``match`` of the 1,000,000-row file against the 18-area store, CSV to CSV;
- ``profile --level all`` of the 1,000,000 matched records (Parquet in, CSV out);
- ``area E08000010 --batch`` (Wigan and its 23 wards, PDFs included).

    .venv/bin/python benchmarks/bench_whole.py [--repeat 3] [--skip match profile area]
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import whole

WORK = whole.REPO / "benchmarks" / "_work"


def commands(which: list[str]) -> dict[str, list[str]]:
    store, areas = WORK / "store.duckdb", WORK / "areas_store.duckdb"
    customers, matched = WORK / "customers_1000000.csv", WORK / "matched_1000000.parquet"
    need = {"match": [store, customers], "profile": [store, matched], "area": [areas]}
    out: dict[str, list[str]] = {}
    for name in which:
        missing = [str(p) for p in need[name] if not p.exists()]
        if missing:
            raise SystemExit(
                f"{name}: run bench_match.py, bench_profile.py and "
                f"bench_areas.py first (missing {', '.join(missing)})"
            )
    if "match" in which:
        out["match 1M rows (18 areas)"] = whole.oacinsight(
            "match",
            str(customers),
            "-o",
            str(WORK / "whole_match.csv"),
            "--postcode-column",
            "postcode",
            "--store",
            str(store),
        )
    if "profile" in which:
        out["profile --level all, 1M records"] = whole.oacinsight(
            "profile",
            str(matched),
            "-o",
            str(WORK / "whole_profile.csv"),
            "--level",
            "all",
            "--store",
            str(store),
        )
    if "area" in which:
        out["area E08000010 --batch (24 PDFs)"] = whole.oacinsight(
            "area", "E08000010", "-o", str(WORK / "whole_area"), "--batch", "--store", str(areas)
        )
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skip", nargs="*", default=[], choices=["match", "profile", "area"])
    args = ap.parse_args()
    which = [w for w in ("match", "profile", "area") if w not in args.skip]
    results = whole.compare(commands(which), repeat=args.repeat)
    shutil.rmtree(WORK / "whole_area", ignore_errors=True)
    whole.save(WORK / "whole_results.json", results)
    for label, r in results.items():
        print(f"{label:<36} best {r['best_wall_s']:.2f} s  peak {r['peak_mb']:.0f} MB")


if __name__ == "__main__":
    main()
