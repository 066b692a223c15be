"""Killing an ingest part-way leaves the store as it was (the load is one transaction).

An ingest of 30 census tables runs in a subprocess; once it says it is loading the third,
it is killed (SIGKILL, SIGTERM) or interrupted (SIGINT, i.e. Ctrl-C).  The store must then
open, hold exactly the old rows and provenance, and take the same ingest to the end.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from tests.conftest import REPO
from tests.tiny import write_tiny_reference

from oacinsight.ingest import ingest
from oacinsight.store import Store

N_TABLES, N_OAS, N_CELLS = 30, 10_000, 10


def _census_folder(folder):
    folder.mkdir()
    rng = np.random.default_rng(9)
    oas = pa.array([f"E00{i:06d}" for i in range(N_OAS)])
    for t in range(N_TABLES):
        table = f"ts{100 + t:03d}"
        cells = {
            f"{table}{c:04d}": pa.array(rng.integers(0, 500, N_OAS).astype("float64"))
            for c in range(1, N_CELLS + 1)
        }
        pq.write_table(pa.table({"OA": oas, **cells}), folder / f"{table}.parquet")
    return folder


def _state(path):
    with Store(path, read_only=True) as s:
        tables = sorted(t for t in s.tables() if t.startswith("census_ts"))
        counts = s.con.execute(
            "SELECT (SELECT count(*) FROM postcodes), "
            "(SELECT count(*) FROM oac_oa), (SELECT count(*) FROM pc_lookup), "
            "(SELECT count(*) FROM provenance)"
        ).fetchall()[0]
    return tables, counts


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT])
def test_killed_ingest_leaves_the_store_as_it_was(tmp_path, sig):
    store = tmp_path / "store.duckdb"
    with Store(store) as s:
        ingest(write_tiny_reference(tmp_path / "ref"), s)
    before = _state(store)
    assert before == ([], (8, 3, 8, 4))
    folder = _census_folder(tmp_path / "census")
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "oacinsight", "data", "ingest", str(folder), "--store", str(store)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stderr is not None
    seen = []
    for line in proc.stderr:
        seen.append(line)
        if sum(ln.startswith("loading ts") for ln in seen) == 3:
            proc.send_signal(sig)
            break
    _out, rest = proc.communicate(timeout=120)
    assert proc.returncode == (130 if sig == signal.SIGINT else -sig), (seen, rest)
    if sig == signal.SIGINT:
        last = rest.strip().splitlines()[-1]
        assert last.startswith("error: interrupted"), last
    assert _state(store) == before  # opens, same rows, no half-loaded census tables
    with Store(store) as s:
        report = ingest([folder], s)
    assert len(report.loaded) == N_TABLES
    tables, counts = _state(store)
    assert len(tables) == N_TABLES and counts == (8, 3, 8, 4 + N_TABLES)
