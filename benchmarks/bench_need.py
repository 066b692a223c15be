"""Benchmark: expected demand for all 188,880 England & Wales output areas.

Builds (once) a store from ``../shared/data`` (postcodes, OAC, OA→LSOA, Census TS001
and TS041) in ``benchmarks/_work/need_store.duckdb`` and learns group rates from
synthetic customers in the districts of the eight English and Welsh postcode areas.

**Whole process** (what a user waits for, ``/usr/bin/time``: wall and peak memory of
the process and its children): ``oacinsight need --rates rates.csv --area K04000001
--outputs csv -o DIR`` from start to exit, against a pandas baseline in the same run
(``pandas_need.py``: read a Parquet copy of the OA table and the rates, rate × base per
OA with its interval, area totals, ranked LSOAs and gains, the CSVs written), rounds
interleaved.  ``--before SRC`` adds the same work with an older checkout's sources (the
CLI then wrote every output; and the library's tables-only path as a script); the
checkout must read the same store layout (``lookup.DERIVED_VERSION``, 5 since
``oa_facts``), else it refuses the store.
``--importtime`` measures ``python -X importtime`` of ``need --help`` and of the run.

**In-process** (``--inprocess``): the library call in a fresh subprocess, imports not
timed: the tables ("tables"), with the map ("map"), every output ("all").

``--national STORE`` times the same command against a store of a national-size
postcode directory (2.7M postcodes: ``make_national_directory.py`` then ``data ingest``
with the OAC, geography and TS001/TS041 files; a store built by an older version needs
``oacinsight data rebuild --store STORE`` once) in the same rounds.

    .venv/bin/python benchmarks/bench_need.py [--repeat 5] [--before /tmp/before/src]
        [--importtime] [--inprocess] [--all-outputs] [--national STORE]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
import whole

REPO = Path(__file__).resolve().parents[1]
WORK = REPO / "benchmarks" / "_work"
DATA = whole.DATA
STORE = WORK / "need_store.duckdb"
RATES = WORK / "need_rates" / "rates.csv"
OAS = WORK / "need_oas.parquet"
AREA = "K04000001"


def prepare() -> None:
    from oacinsight.need import NeedOptions, need_file
    from oacinsight.store import Store

    WORK.mkdir(parents=True, exist_ok=True)
    whole.census_store(STORE)
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
    if not OAS.exists():
        from oacinsight.need import inputs
        from oacinsight.store import need as sql

        with Store(STORE) as s:  # the OA table need reads, for the pandas baseline
            _codes, oa_list = inputs.area_of(s, [AREA], None)
            base, _name = inputs.base_of(s, "residents", oa_list)
            oas = sql.area_oas(s.con, oa_list, base)
        cols = ["oa", "group_code", "base", "residents", "households", "lsoa", "ward", "lad"]
        oas[cols].to_parquet(OAS, index=False)


def run(draw_map: bool, xlsx: bool, out: Path) -> dict:
    from oacinsight.need import NeedOptions, need_file

    res = need_file(
        None, NeedOptions(areas=(AREA,), rates=str(RATES), draw_map=draw_map), store=STORE
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


def inprocess() -> dict:
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
    return out


_BEFORE_SCRIPT = """
import sys
from oacinsight.need import NeedOptions, need_file
r = need_file(None, NeedOptions(areas=(sys.argv[1],), rates=sys.argv[2], draw_map=False),
              store=sys.argv[3])
r.write_csv(sys.argv[4])
"""


def _with_src(src: str, cmd: list[str]) -> list[str]:
    """``cmd`` with another checkout's sources first (``env`` runs under ``time``)."""
    return ["env", f"PYTHONPATH={src}", *cmd]


def commands(
    before: str | None, all_outputs: bool, national: str | None = None
) -> dict[str, list[str]]:
    need = ["need", "--rates", str(RATES), "--area", AREA, "--store", str(STORE)]
    out = {
        "need --outputs csv": whole.oacinsight(*need, "--outputs", "csv", "-o", str(WORK / "w1")),
        "pandas baseline": [
            sys.executable,
            str(REPO / "benchmarks" / "pandas_need.py"),
            str(OAS),
            str(RATES),
            str(WORK / "w_pandas"),
        ],
    }
    if national:  # the same run against a store of a national-size postcode directory
        nat = [*need[:-1], national, "--outputs", "csv", "-o", str(WORK / "w_nat")]
        out["need --outputs csv, national directory"] = whole.oacinsight(*nat)
    if all_outputs:
        out["need, every output"] = whole.oacinsight(*need, "-o", str(WORK / "w_all"))
    if before:
        out["before: need (every output)"] = _with_src(
            before, whole.oacinsight(*need, "-o", str(WORK / "w_before"))
        )
        lib = [sys.executable, "-c", _BEFORE_SCRIPT, AREA, str(RATES), str(STORE)]
        out["before: library, tables only"] = _with_src(before, [*lib, str(WORK / "w_b_lib")])
    return out


def measure(cmd: list[str], label: str) -> dict[str, float | str]:
    """:func:`whole.measure` (wall, CPU and peak memory of the whole process)."""
    return whole.measure(cmd, label=label)


def compare(cmds: dict[str, list[str]], repeat: int) -> dict[str, dict[str, object]]:
    """Rounds interleaved (a busy machine slows each alike): best wall and CPU time and
    the largest peak memory of each command."""
    runs: dict[str, list[dict[str, float | str]]] = {k: [] for k in cmds}
    for _ in range(repeat):
        for label, cmd in cmds.items():
            runs[label].append(measure(cmd, label))
    out = whole.summarise(runs)
    for label, rs in runs.items():
        out[label]["best_cpu_s"] = min(float(r["cpu_s"]) for r in rs)
        out[label]["load_average"] = round(os.getloadavg()[0], 1)
    return out


def check_same_totals() -> dict[str, float]:
    """Ours and the baseline agree: the same OAs and the same national expected total."""
    ours = pd.read_csv(WORK / "w1" / "expected.csv", usecols=["area_type", "expected"])
    base = pd.read_csv(WORK / "w_pandas" / "expected.csv", usecols=["area_type", "expected"])
    totals: dict[str, float] = {}
    for name, frame in (("ours", ours), ("pandas", base)):
        oa = frame[frame["area_type"] == "oa"]
        totals[f"{name}_oas"] = len(oa)
        totals[f"{name}_total"] = float(oa["expected"].sum())
    if totals["ours_oas"] != totals["pandas_oas"] or not np.isclose(
        totals["ours_total"], totals["pandas_total"], rtol=1e-9
    ):
        raise SystemExit(f"the baseline and need disagree: {totals}")
    return totals


def import_seconds(cmd: list[str], src: str | None = None) -> float:
    """Total import time (s) of ``python -X importtime`` running ``cmd``: the sum of the
    top-level imports' cumulative times."""
    env = whole.env()
    if src:
        env["PYTHONPATH"] = src
    res = subprocess.run(
        [sys.executable, "-X", "importtime", *cmd], env=env, capture_output=True, text=True
    )
    total = 0
    for line in res.stderr.splitlines():
        m = re.match(r"import time:\s+\d+ \|\s+(\d+) \| (\S.*)$", line)
        if m:  # a top-level import: no indent before the module name
            total += int(m.group(1))
    return total / 1e6


def importtimes(before: str | None, repeat: int) -> dict[str, float]:
    help_cmd = ["-m", "oacinsight", "need", "--help"]
    run_cmd = ["-m", "oacinsight", "need", "--rates", str(RATES), "--area", AREA]
    run_cmd += ["--store", str(STORE), "--outputs", "csv", "-o", str(WORK / "w_imp")]
    out = {
        "need --help": min(import_seconds(help_cmd) for _ in range(repeat)),
        "need --outputs csv (run)": min(import_seconds(run_cmd) for _ in range(repeat)),
    }
    if before:
        out["before: need --help"] = min(import_seconds(help_cmd, before) for _ in range(repeat))
        lib = ["-c", _BEFORE_SCRIPT, AREA, str(RATES), str(STORE), str(WORK / "w_imp_b")]
        out["before: library tables run"] = min(import_seconds(lib, before) for _ in range(repeat))
    for k, v in out.items():
        print(f"  imports, {k}: {v:.2f} s")
    return out


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2])
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--before", help="src folder of an older checkout, measured alike")
    ap.add_argument("--importtime", action="store_true")
    ap.add_argument("--inprocess", action="store_true")
    ap.add_argument("--all-outputs", action="store_true")
    ap.add_argument(
        "--national",
        help="a store holding a national-size postcode directory (make_national_directory.py "
        "+ data ingest, with the OAC, geography and TS001/TS041): timed too",
    )
    args = ap.parse_args()
    prepare()
    results: dict[str, object] = {"load_average_start": os.getloadavg()}
    if args.importtime:
        results["importtime_s"] = importtimes(args.before, 3)
    runs = compare(commands(args.before, args.all_outputs, args.national), args.repeat)
    results["whole"] = runs
    results["totals"] = check_same_totals()
    mine, base = runs["need --outputs csv"], runs["pandas baseline"]
    ratio = float(str(base["best_wall_s"])) / float(str(mine["best_wall_s"]))
    results["ratio_pandas_over_need"] = round(ratio, 2)
    cpu = float(str(base["best_cpu_s"])) / float(str(mine["best_cpu_s"]))
    results["ratio_pandas_over_need_cpu"] = round(cpu, 2)
    if args.inprocess:
        results["inprocess"] = inprocess()
    results["load_average_end"] = os.getloadavg()
    for label, r in runs.items():
        print(
            f"{label:<32} best {r['best_wall_s']:.2f} s wall, {r['best_cpu_s']:.2f} s CPU  "
            f"peak {r['peak_mb']:.0f} MB"
        )
    print(
        f"pandas baseline / need: {ratio:.2f}x wall, {cpu:.2f}x CPU; "
        f"load {results['load_average_end']}"
    )
    whole.save(WORK / "need_results.json", results)


if __name__ == "__main__":
    main()
