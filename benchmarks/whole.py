"""Whole-process measurement: wall time and peak memory of a command, start to exit.

Each command runs under ``/usr/bin/time -f '%e %M'`` (GNU time: elapsed seconds and the
maximum resident set size in KiB of the process and its children), so the figures
include Python start-up, imports, opening the store and writing the output: what a user
waits for.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TIME = "/usr/bin/time"
#: The real ONS files the benchmarks read (never copied into the repository).
DATA = REPO.parent / "shared" / "data"


def census_store(path: Path, tables: Sequence[str] = ("ts001", "ts041")) -> Path:
    """A store at ``path`` of the real files in ``../shared/data`` (every postcode file,
    the OAC files, the lookups and the census ``tables``), built on first use only."""
    from oacinsight.ingest import ingest
    from oacinsight.store import Store

    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        census = DATA / "census2021_oa"
        paths = [DATA / "postcodes", DATA / "oac", DATA / "geography"]
        paths += [census / "Table_Metadata.csv", *(census / f"{t}.parquet" for t in tables)]
        t = time.perf_counter()
        with Store(path) as s:
            ingest(paths, s)
        print(f"store built in {time.perf_counter() - t:.1f} s: {path}", file=sys.stderr)
    return path


def env() -> dict[str, str]:
    """The environment of the measured commands: this checkout's sources first."""
    e = dict(os.environ)
    e["PYTHONPATH"] = str(REPO / "src") + os.pathsep + e.get("PYTHONPATH", "")
    return e


def oacinsight(*args: str) -> list[str]:
    """The command line of ``oacinsight ARGS`` with this interpreter."""
    return [sys.executable, "-m", "oacinsight", *args]


def measure(cmd: list[str], *, label: str, src: str | None = None) -> dict[str, float | str]:
    """Run ``cmd`` once; its wall time (s), peak memory (MB) and CPU time (user +
    system, s: less inflated than the wall time on a shared machine) of the process and
    its children.  ``src``: another checkout's sources first instead of this one's."""
    if not Path(TIME).exists():
        raise SystemExit(f"{TIME} (GNU time) is needed: apt-get install time")
    e = env()
    if src:
        e["PYTHONPATH"] = src
    with tempfile.NamedTemporaryFile("r", suffix=".time") as out:
        res = subprocess.run(
            [TIME, "-f", "%e %M %U %S", "-o", out.name, *cmd], env=e, capture_output=True, text=True
        )
        if res.returncode != 0:
            raise SystemExit(f"{label} failed ({res.returncode}): {res.stderr[-2000:]}")
        wall, kib, user, system = Path(out.name).read_text().split()[-4:]
    return {
        "label": label,
        "wall_s": float(wall),
        "peak_mb": round(int(kib) / 1024, 1),
        "cpu_s": round(float(user) + float(system), 2),
    }


def best(cmd: list[str], *, label: str, repeat: int) -> dict[str, object]:
    """Best wall time of ``repeat`` runs, the largest peak memory, and every run."""
    runs = [measure(cmd, label=label) for _ in range(repeat)]
    print(
        f"  {label}: " + ", ".join(f"{r['wall_s']:.2f} s/{r['peak_mb']:.0f} MB" for r in runs),
        flush=True,
    )
    return {
        "label": label,
        "best_wall_s": min(float(r["wall_s"]) for r in runs),
        "peak_mb": max(float(r["peak_mb"]) for r in runs),
        "runs": [r["wall_s"] for r in runs],
    }


def compare(cmds: dict[str, list[str]], *, repeat: int) -> dict[str, dict[str, object]]:
    """Run the commands in turn, ``repeat`` rounds (interleaved, so a busy machine
    slows each alike); the best wall time and the largest peak memory of each."""
    runs: dict[str, list[dict[str, float | str]]] = {k: [] for k in cmds}
    for _ in range(repeat):
        for label, cmd in cmds.items():
            runs[label].append(measure(cmd, label=label))
    return summarise(runs)


def summarise(runs: dict[str, list[dict[str, float | str]]]) -> dict[str, dict]:
    """Print each command's runs; the best wall time and the largest peak memory."""
    out = {}
    for label, rs in runs.items():
        print(
            f"  {label}: " + ", ".join(f"{r['wall_s']:.2f} s/{r['peak_mb']:.0f} MB" for r in rs),
            flush=True,
        )
        out[label] = {
            "best_wall_s": min(float(r["wall_s"]) for r in rs),
            "peak_mb": max(float(r["peak_mb"]) for r in rs),
            "runs": [r["wall_s"] for r in rs],
        }
    return out


def save(path: Path, results: dict[str, object]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2))
