"""Benchmark: batch ward profiles of a whole district, PDFs included.

Builds a store from the real files in ``../shared/data`` (the 18 NSPL areas, OAC, OA
lookups and the 13 census tables the indicators use) once, then times
``profile_wards`` (what ``oacinsight area CODE --batch`` runs) for whole districts: the
district's own profile and every ward's, each with CSVs, the XLSX, the HTML page and the
one-page PDF.  Each run is a fresh subprocess and includes opening the store and reading
the output-area frame; imports are not timed.

    .venv/bin/python benchmarks/bench_areas.py            # --repeat N, --jobs N
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import whole

REPO = Path(__file__).resolve().parents[1]
WORK = REPO / "benchmarks" / "_work"
TABLES = (
    "ts001",
    "ts006",
    "ts011",
    "ts037",
    "ts038",
    "ts039",
    "ts041",
    "ts045",
    "ts053",
    "ts054",
    "ts062",
    "ts063",
    "ts067",
)
#: Districts timed: Wigan (WN) and Dorset (DT), the store's largest ward counts.
DISTRICTS = {"E08000010": "Wigan", "E06000059": "Dorset"}
TARGET_S = 30.0


def prepare() -> Path:
    """The benchmark store (built on first use)."""
    return whole.census_store(WORK / "areas_store.duckdb", TABLES)


def child(district: str, store: str, jobs: str) -> None:
    """One timed batch run; prints a JSON line."""
    from oacinsight.areas import profile_wards

    out = WORK / f"areas_{district}"
    shutil.rmtree(out, ignore_errors=True)
    t = time.perf_counter()
    result = profile_wards(district, out, store=store, jobs=int(jobs) if jobs else None)
    wall = time.perf_counter() - t
    pdfs = len(list(out.glob("*/profile.pdf")))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "wall_s": round(wall, 2),
                "wards": len(result.wards),
                "pdfs": pdfs,
                "peak_mb": round(peak, 1),
            }
        )
    )


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(*sys.argv[2:5])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--jobs", default="", help="writer processes (default: CPUs, max 4)")
    args = parser.parse_args()
    store = prepare()
    results = {}
    for code, name in DISTRICTS.items():
        runs = [
            json.loads(
                subprocess.run(
                    [sys.executable, __file__, "--child", code, str(store), args.jobs],
                    check=True,
                    capture_output=True,
                    text=True,
                ).stdout.splitlines()[-1]
            )
            for _ in range(args.repeat)
        ]
        best = min(r["wall_s"] for r in runs)
        results[code] = {
            "name": name,
            "best_wall_s": best,
            "runs_s": [r["wall_s"] for r in runs],
            "wards": runs[0]["wards"],
            "pdfs": runs[0]["pdfs"],
            "peak_mb_main": max(r["peak_mb"] for r in runs),
        }
        verdict = "met" if best <= TARGET_S else "NOT met"
        print(
            f"{name} {code}: {runs[0]['wards']} wards + district, {runs[0]['pdfs']} PDFs: "
            f"best {best:.1f} s of {[r['wall_s'] for r in runs]} (target {TARGET_S:.0f} s "
            f"{verdict}), {best / (runs[0]['wards'] + 1):.2f} s per profile"
        )
    (WORK / "areas_results.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
