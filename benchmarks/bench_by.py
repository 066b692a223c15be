"""Benchmark: ``oacinsight profile --by`` / ``--period`` with 4, 12 and 36 slices.

Builds (once) a store from ``../shared/data`` (postcodes, OAC, OA→LSOA, Census TS001) in
``benchmarks/_work/by_store.duckdb`` and a synthetic customer file on real live postcodes
of the WN (Wigan) and HX (Calderdale) postcode areas, with a ``service`` column (4 values)
and a ``date`` column spread over three years (12 quarters, 36 months).

**Whole process** (``/usr/bin/time``: wall, CPU and peak memory, start to exit):
``oacinsight profile FILE --by service`` (4 slices), ``--period date --freq quarter``
(12 slices) and ``--period date --freq month`` (36 slices), each ``--level all -o
out.csv``, and the same with an older checkout's sources (``--before SRC``, e.g. the
``src`` of ``git archive`` of the commit before the joint audit was made fast), rounds
interleaved.  ``--profile`` prints the top of a cProfile of the 36-slice run in process.

    .venv/bin/python benchmarks/bench_by.py [--repeat 3] [--before /tmp/before/src]
        [--before-upto 2] [--rows 20000] [--profile]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
import whole

REPO = Path(__file__).resolve().parents[1]
WORK = REPO / "benchmarks" / "_work"
DATA = REPO.parent / "shared" / "data"
STORE = WORK / "by_store.duckdb"
AREAS = ("WN", "HX")
SLICINGS = {
    "by service (4)": ["--by", "service"],
    "quarters (12)": ["--period", "date", "--freq", "quarter"],
    "months (36)": ["--period", "date", "--freq", "month"],
}


def prepare(rows: int) -> Path:
    from oacinsight.ingest import ingest
    from oacinsight.store import Store

    WORK.mkdir(parents=True, exist_ok=True)
    if not STORE.exists():
        census = DATA / "census2021_oa"
        with Store(STORE) as s:
            ingest(
                [
                    *(DATA / "postcodes" / f"NSPL_NOV_2021_UK_{a}.csv" for a in AREAS),
                    DATA / "oac",
                    DATA / "geography" / "oa21_to_lsoa21_ew.csv",
                    census / "Table_Metadata.csv",
                    census / "ts001.parquet",
                ],
                s,
            )
    path = WORK / f"by_customers_{rows}.csv"
    if not path.exists():
        nspl = pd.concat(
            pd.read_csv(
                DATA / "postcodes" / f"NSPL_NOV_2021_UK_{a}.csv",
                dtype=str,
                usecols=["pcds", "doterm"],
            )
            for a in AREAS
        )
        live = nspl.loc[nspl["doterm"].isna(), "pcds"].to_numpy()
        rng = np.random.default_rng(13)
        services = rng.choice(
            ["Libraries", "Housing", "Adult care", "Council tax support"],
            rows,
            p=[0.4, 0.3, 0.2, 0.1],
        )
        days = rng.integers(0, 3 * 365, rows)
        dates = (pd.Timestamp("2022-01-01") + pd.to_timedelta(days, unit="D")).strftime("%Y-%m-%d")
        frame = pd.DataFrame(
            {"postcode": rng.choice(live, rows), "service": services, "date": dates}
        )
        frame.to_csv(path, index=False)
    return path


def measure(cmd: list[str], label: str, src: str | None) -> dict[str, float | str]:
    """Wall, CPU (user + system) and peak memory of ``cmd`` run once."""
    return whole.measure(cmd, label=label, src=src)


def commands(
    customers: Path, before: str | None, before_upto: int
) -> dict[str, tuple[list[str], str | None]]:
    out: dict[str, tuple[list[str], str | None]] = {}
    for i, (name, opts) in enumerate(SLICINGS.items()):
        for who, src in (("now", None), ("before", before)):
            if who == "before" and (not src or i >= before_upto):
                continue
            dest = WORK / f"by_out_{who}_{i}.csv"
            cmd = whole.oacinsight(
                "profile", str(customers), "--store", str(STORE), "--level", "all", *opts,
                "-o", str(dest),
            )  # fmt: skip
            out[f"{who}: {name}"] = (cmd, src)
    return out


def same_outputs(before: str | None) -> dict[str, bool]:
    """Whether the outputs of the two versions are identical (they need not be: the
    pattern may differ, both safe)."""
    if not before:
        return {}
    return {
        name: (WORK / f"by_out_now_{i}.csv").read_text()
        == (WORK / f"by_out_before_{i}.csv").read_text()
        for i, name in enumerate(SLICINGS)
        if (WORK / f"by_out_before_{i}.csv").exists()
    }


def hidden_cells(path: Path) -> int:
    frame = pd.read_csv(path)
    return int(frame["customers"].isna().sum())


def profile_inprocess(customers: Path) -> None:
    import cProfile
    import pstats

    from oacinsight.profile.run import profile_file

    prof = cProfile.Profile()
    prof.enable()
    profile_file(customers, store=STORE, level="all", period="date", freq="month")
    prof.disable()
    pstats.Stats(prof).sort_stats("cumulative").print_stats(25)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--rows", type=int, default=20000)
    ap.add_argument("--before", help="src folder of an older checkout, measured alike")
    ap.add_argument("--before-upto", type=int, default=3, help="time --before on the first N")
    ap.add_argument("--profile", action="store_true")
    args = ap.parse_args()
    customers = prepare(args.rows)
    if args.profile:
        profile_inprocess(customers)
        return
    cmds = commands(customers, args.before, args.before_upto)
    runs: dict[str, list[dict[str, float | str]]] = {k: [] for k in cmds}
    for _ in range(args.repeat):
        for label, (cmd, src) in cmds.items():
            runs[label].append(measure(cmd, label, src))
    results: dict[str, object] = {"rows": args.rows, "load_average": os.getloadavg()[0]}
    table = {}
    for label, rs in runs.items():
        table[label] = {
            "best_wall_s": min(float(r["wall_s"]) for r in rs),
            "best_cpu_s": min(float(r["cpu_s"]) for r in rs),
            "peak_mb": max(float(r["peak_mb"]) for r in rs),
        }
        print(
            f"{label:<28} wall {table[label]['best_wall_s']:6.2f} s  CPU "
            f"{table[label]['best_cpu_s']:6.2f} s  peak {table[label]['peak_mb']:.0f} MB"
        )
    results["whole"] = table
    results["hidden_cells"] = {
        f"{who}: {name}": hidden_cells(WORK / f"by_out_{who}_{i}.csv")
        for i, name in enumerate(SLICINGS)
        for who in ("now", "before")
        if (WORK / f"by_out_{who}_{i}.csv").exists() and (who == "now" or args.before)
    }
    results["identical_outputs"] = same_outputs(args.before)
    print(json.dumps(results, indent=1))
    (WORK / "by_results.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
