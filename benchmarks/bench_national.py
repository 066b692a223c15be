"""Benchmark at national scale, whole process: ingest, and match of 1,000 and 1,000,000 rows.

Every figure is one whole process (command start to exit, ``/usr/bin/time``), the way a
user runs it: Python start-up, imports, opening the store, reading and writing files.

- ``data ingest`` of a national-size postcode directory (made by
  ``make_national_directory.py``, 2.7 million postcodes, one 1.2 GB CSV) into a new
  store, against DuckDB's own plain ``read_csv`` of the same file into a table;
- ``match`` of 1,000 rows (Wigan postcodes) against the national store and against a
  store holding one postcode area (WN);
- ``match`` of 1,000,000 rows against the national store, against a pandas process
  (read CSV, merge with a pre-built Parquet copy of the lookup, write CSV).

    .venv/bin/python benchmarks/bench_national.py [--repeat 3] [--dir /tmp/oacinsight-national]

The directory and stores go to ``--dir`` (outside the repository: 1.2 GB and ~0.5 GB);
inputs and results to ``benchmarks/_work/`` (ignored by git).  The runs of each
comparison are interleaved, so a busy machine slows both sides alike; ratios are from
the same run.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_national_directory
import whole
from bench_match import make_input

REPO = whole.REPO
WORK = REPO / "benchmarks" / "_work"
DATA = REPO.parent / "shared" / "data"
EXTRA = [str(DATA / "oac"), str(DATA / "geography")]


def remove_store(path: Path) -> None:
    for f in path.parent.glob(path.name + "*"):
        f.unlink()


def build_store(path: Path, sources: list[str]) -> Path:
    """A store with ``sources`` plus the OAC and OA lookups (not measured)."""
    if not path.exists():
        whole.measure(
            whole.oacinsight("data", "ingest", *sources, *EXTRA, "--store", str(path)),
            label=f"build {path.name}",
        )
    return path


def wigan_input(rows: int) -> Path:
    """``rows`` Wigan (WN) postcodes, messy as council files are, 2% blank."""
    path = WORK / f"customers_wn_{rows}.csv"
    if not path.exists():
        pcs = pd.read_csv(
            DATA / "postcodes" / "NSPL_NOV_2021_UK_WN.csv", dtype=str, usecols=["pcds"]
        )["pcds"].to_numpy()
        rng = np.random.default_rng(7)
        pc = pcs[rng.integers(0, len(pcs), rows)].astype(object)
        pc = np.where(rng.random(rows) < 0.3, np.char.lower(pc.astype(str)), pc)
        pc = np.where(rng.random(rows) < 0.02, "", pc)
        WORK.mkdir(parents=True, exist_ok=True)
        pd.DataFrame(
            {
                "record_id": np.arange(1, rows + 1),
                "postcode": pc,
                "service": rng.choice(["housing", "libraries"], rows),
            }
        ).to_csv(path, index=False)
    return path


def bench_ingest(directory: Path, base: Path, repeat: int) -> dict[str, dict[str, object]]:
    csv = next(directory.glob("*.csv"))
    store, plain = base / "ingest_national.duckdb", base / "plain_read_csv.duckdb"
    duck = [
        sys.executable,
        "-c",
        "import duckdb, sys; con = duckdb.connect(sys.argv[1]); "
        "con.execute(f\"CREATE TABLE t AS SELECT * FROM read_csv('{sys.argv[2]}')\")",
        str(plain),
        str(csv),
    ]
    ingest = whole.oacinsight("data", "ingest", str(directory), "--store", str(store))
    runs: dict[str, list[dict[str, float | str]]] = {"ingest": [], "duckdb": []}
    for _ in range(repeat):
        remove_store(store)
        runs["ingest"].append(whole.measure(ingest, label="oacinsight data ingest"))
        remove_store(plain)
        runs["duckdb"].append(whole.measure(duck, label="duckdb read_csv"))
    remove_store(store)
    remove_store(plain)
    return whole.summarise(runs)


def match_cmd(inp: Path, store: Path, out: Path, src: Path | None = None) -> list[str]:
    """``oacinsight match``; with ``src``, the sources of another version (e.g. a
    ``git archive`` of an earlier commit) instead of this checkout's."""
    cmd = whole.oacinsight(
        "match", str(inp), "-o", str(out), "--postcode-column", "postcode", "--store", str(store)
    )
    return ["/usr/bin/env", f"PYTHONPATH={src}", *cmd] if src else cmd


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", type=Path, default=Path("/tmp/oacinsight-national"))
    ap.add_argument("--copies", type=int, default=25)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skip", nargs="*", default=[], choices=["ingest", "small", "large"])
    ap.add_argument(
        "--before",
        type=Path,
        help="also time match with the oacinsight sources "
        "in this folder (e.g. git archive COMMIT src | tar -x -C /tmp/before)",
    )
    args = ap.parse_args()
    base, directory = args.dir, args.dir / "directory"
    if not directory.exists():
        print("making the national-size directory", flush=True)
        make_national_directory.make(directory, args.copies, multi=False)
    national = build_store(base / "national.duckdb", [str(directory)])
    one_area = build_store(
        base / "one_area.duckdb", [str(DATA / "postcodes" / "NSPL_NOV_2021_UK_WN.csv")]
    )
    saved = WORK / "national_results.json"
    results: dict[str, object] = json.loads(saved.read_text()) if saved.exists() else {}
    with open(next(directory.glob("*.csv")), "rb") as fh:  # parts skipped keep their figures
        results["postcodes"] = sum(1 for _ in fh) - 1
    if "ingest" not in args.skip:
        print("ingest of the national directory vs DuckDB read_csv", flush=True)
        results["ingest"] = r = bench_ingest(directory, base, args.repeat)
        results["ingest_ratio"] = round(r["ingest"]["best_wall_s"] / r["duckdb"]["best_wall_s"], 2)
    if "small" not in args.skip:
        print("match of 1,000 rows: national vs one-area store", flush=True)
        small = wigan_input(1000)
        cmds = {
            "national": match_cmd(small, national, WORK / "out_1k_national.csv"),
            "one_area": match_cmd(small, one_area, WORK / "out_1k_one_area.csv"),
        }
        if args.before:
            cmds["before_national"] = match_cmd(
                small, national, WORK / "out_1k_before.csv", args.before
            )
        results["match_1k"] = r = whole.compare(cmds, repeat=args.repeat)
        results["match_1k_ratio"] = round(
            r["national"]["best_wall_s"] / r["one_area"]["best_wall_s"], 2
        )
    if "large" not in args.skip:
        print("match of 1,000,000 rows: national store vs pandas", flush=True)
        big = make_input(1_000_000)
        parquet = base / "pc_lookup_national.parquet"
        if not parquet.exists():
            import duckdb

            con = duckdb.connect(str(national), read_only=True)
            con.execute(f"COPY pc_lookup TO '{parquet}' (FORMAT parquet)")
            con.close()
        pandas = [
            sys.executable,
            str(REPO / "benchmarks" / "pandas_match.py"),
            str(big),
            str(parquet),
            str(WORK / "out_1m_pandas.csv"),
        ]
        cmds = {
            "oacinsight": match_cmd(big, national, WORK / "out_1m_national.csv"),
            "pandas": pandas,
        }
        if args.before:
            cmds["before"] = match_cmd(big, national, WORK / "out_1m_before.csv", args.before)
        results["match_1m"] = r = whole.compare(cmds, repeat=args.repeat)
        results["match_1m_speedup"] = round(
            r["pandas"]["best_wall_s"] / r["oacinsight"]["best_wall_s"], 2
        )
    whole.save(saved, results)
    report(results)


def report(results: dict) -> None:
    print(f"\nnational directory: {results['postcodes']:,} postcodes")
    if "ingest" in results:
        r = results["ingest"]
        print(
            f"ingest {r['ingest']['best_wall_s']:.1f} s / {r['ingest']['peak_mb']:.0f} MB; "
            f"duckdb read_csv {r['duckdb']['best_wall_s']:.1f} s / "
            f"{r['duckdb']['peak_mb']:.0f} MB; ratio {results['ingest_ratio']} (target <= 3, "
            "<= 2048 MB)"
        )
    if "match_1k" in results:
        r = results["match_1k"]
        print(
            f"match 1k: national {r['national']['best_wall_s']:.2f} s / "
            f"{r['national']['peak_mb']:.0f} MB; one area {r['one_area']['best_wall_s']:.2f} s"
            f"; ratio {results['match_1k_ratio']} (target <= 1.5, <= 400 MB)"
        )
        if "before_national" in r:
            print(
                f"  before: {r['before_national']['best_wall_s']:.2f} s / "
                f"{r['before_national']['peak_mb']:.0f} MB"
            )
    if "match_1m" in results:
        r = results["match_1m"]
        print(
            f"match 1M: oacinsight {r['oacinsight']['best_wall_s']:.2f} s / "
            f"{r['oacinsight']['peak_mb']:.0f} MB; pandas {r['pandas']['best_wall_s']:.2f} s / "
            f"{r['pandas']['peak_mb']:.0f} MB; speed-up {results['match_1m_speedup']}x "
            "(target >= 4, <= 1024 MB)"
        )
        if "before" in r:
            print(f"  before: {r['before']['best_wall_s']:.2f} s / {r['before']['peak_mb']:.0f} MB")


if __name__ == "__main__":
    main()
