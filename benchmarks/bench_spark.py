"""Benchmark: 10,000,000 records through ``match`` and ``profile``, Spark against DuckDB.

Whole process (``/usr/bin/time``, see ``whole.py``), on this machine:

1. the default engine: ``oacinsight match IN.csv -o M.parquet``, then
   ``oacinsight profile M.parquet -o P.csv --level all``;
2. the same commands with ``--engine spark --spark-master local[2]``;
3. the cluster path on ``local[2]``: ``spark.read.csv`` → :func:`oacinsight.spark.match`
   → Parquet written by Spark, then :func:`oacinsight.spark.profile` of that Parquet, on
   the folder written by ``oacinsight data export`` (no DuckDB reading or writing of
   records).

4. ``need`` (``--steps need``): ``oacinsight need IN.csv -o DIR --area NEED_AREA
   --outputs csv,json`` from the raw records (matched and counted per output area by the
   engine; the statistics on the driver), on each engine.

The outputs of 1 and 2 must be byte-identical (checked); 3's profile must equal 1's;
every file of the two ``need`` folders must be byte-identical (checked).
Input: real postcodes of the 18 shared NSPL areas, respelled as in ``bench_match.py``
(lower case, no space, two spaces, leading space; 2% blank, 1% ``N/A``).

    .venv/bin/python benchmarks/bench_spark.py [--rows 10000000] [--repeat 1]
        [--steps match,profile,need] [--skip-cluster]

Needs ../shared/data, Java 17 and PySpark.  Results: stdout and
benchmarks/_work/spark_results.json.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import whole
from bench_match import make_input

WORK = whole.REPO / "benchmarks" / "_work"

CLUSTER_SCRIPT = """
import sys
from oacinsight.spark import match, profile, spark_session
inp, ref, out, prof = sys.argv[1:5]
spark = spark_session("local[2]")
df = spark.read.csv(inp, header=True, inferSchema=False)
match(df, ref, "postcode").write.mode("overwrite").parquet(out)
profile(spark.read.parquet(out), ref, level="all").write(prof)
spark.stop()
"""


def build_store() -> Path:
    """The 18-area store with the census bases the profile needs."""
    return whole.census_store(WORK / "spark_store.duckdb")


def _engine_runs(inp: Path, store: Path, repeat: int) -> dict[str, object]:
    out: dict[str, object] = {}
    for engine in ("duckdb", "spark"):
        extra = ["--engine", engine] + (["--spark-master", "local[2]"] if engine == "spark" else [])
        matched, prof = WORK / f"spark_m_{engine}.parquet", WORK / f"spark_p_{engine}.csv"
        cmd = ["match", str(inp), "-o", str(matched), "--store", str(store)]
        out[f"match {engine}"] = whole.best(
            whole.oacinsight(*cmd, "--postcode-column", "postcode", *extra),
            label=f"match {engine}",
            repeat=repeat,
        )
        cmd = ["profile", str(matched), "-o", str(prof), "--store", str(store), "--level", "all"]
        out[f"profile {engine}"] = whole.best(
            whole.oacinsight(*cmd, *extra), label=f"profile {engine}", repeat=repeat
        )
    return out


#: The area of the need step: Wigan and Calderdale (two districts of the shared areas).
NEED_AREA = "E08000010,E08000033"


def _need_runs(inp: Path, store: Path, repeat: int) -> tuple[dict[str, object], bool]:
    """``need`` of the raw records on each engine; whether every output file is equal."""
    out: dict[str, object] = {}
    for engine in ("duckdb", "spark"):
        extra = ["--engine", engine] + (["--spark-master", "local[2]"] if engine == "spark" else [])
        folder = WORK / f"spark_need_{engine}"
        shutil.rmtree(folder, ignore_errors=True)
        cmd = ["need", str(inp), "-o", str(folder), "--store", str(store), "--area", NEED_AREA]
        cmd += ["--postcode-column", "postcode", "--outputs", "csv,json"]
        out[f"need {engine}"] = whole.best(
            whole.oacinsight(*cmd, *extra), label=f"need {engine}", repeat=repeat
        )
    a, b = WORK / "spark_need_duckdb", WORK / "spark_need_spark"
    names = sorted(p.name for p in a.iterdir())
    same = names == sorted(p.name for p in b.iterdir()) and all(
        filecmp.cmp(a / n, b / n, shallow=False) for n in names
    )
    return out, same


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--skip-cluster", action="store_true")
    ap.add_argument("--steps", default="match,profile,need", help="match,profile and/or need")
    args = ap.parse_args()
    steps = set(args.steps.split(","))
    WORK.mkdir(parents=True, exist_ok=True)
    store = build_store()
    inp = make_input(args.rows)
    ref = WORK / "spark_ref"
    whole.measure(whole.oacinsight("data", "export", str(ref), "--store", str(store)), label="x")
    results: dict[str, object] = {}
    same: dict[str, bool] = {}
    if steps & {"match", "profile"}:
        results.update(_engine_runs(inp, store, args.repeat))
        same["match"] = filecmp.cmp(
            WORK / "spark_m_duckdb.parquet", WORK / "spark_m_spark.parquet", shallow=False
        )
        same["profile"] = filecmp.cmp(
            WORK / "spark_p_duckdb.csv", WORK / "spark_p_spark.csv", shallow=False
        )
    if "need" in steps:
        found, same["need"] = _need_runs(inp, store, args.repeat)
        results.update(found)
    if not args.skip_cluster and steps & {"match", "profile"}:
        out, prof = WORK / "spark_m_cluster", WORK / "spark_p_cluster.csv"
        shutil.rmtree(out, ignore_errors=True)
        cmd = [sys.executable, "-c", CLUSTER_SCRIPT, str(inp), str(ref), str(out), str(prof)]
        results["cluster path"] = whole.best(cmd, label="cluster path", repeat=args.repeat)
        same["cluster profile"] = filecmp.cmp(WORK / "spark_p_duckdb.csv", prof, shallow=False)
    for step in ("match", "profile", "need"):
        if f"{step} duckdb" not in results:
            continue
        duck = results[f"{step} duckdb"]["best_wall_s"]  # type: ignore[index]
        spark = results[f"{step} spark"]["best_wall_s"]  # type: ignore[index]
        print(f"{step}: spark/duckdb = {spark / duck:.2f}")
    print("identical outputs:", same)
    summary = {"rows": args.rows, "results": results, "identical": same}
    (WORK / "spark_results.json").write_text(json.dumps(summary, indent=2) + "\n")


if __name__ == "__main__":
    main()
