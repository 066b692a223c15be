"""``oacinsight need --outputs``: only the outputs asked for are made, and the tables-only
run imports none of the heavy libraries the charts, maps and workbooks need (so a user
waiting for expected demand does not pay for them: see docs/benchmarks.md)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from oacinsight.cli import app

runner = CliRunner()
LAD = "E06000999"
SRC = Path(__file__).resolve().parents[1] / "src"

#: Imported only for outputs other than the CSV tables (or never by ``need``).
HEAVY = (
    "matplotlib",
    "scipy.stats",
    "scipy.optimize",
    "shapely",
    "pyogrio",
    "pyproj",
    "geopandas",
    "openpyxl",
    "xlsxwriter",
    "jinja2",
    "sklearn",
    "reportlab",
    "PIL",
    "fastapi",
    "oacinsight.reports",
    "oacinsight.maps",
    "oacinsight.profile.chart",
    "oacinsight.profile.result",
    "oacinsight.profile.stats",
)

_RUN_AND_LIST = """
import json, sys
from oacinsight.cli._common import app
code = app(sys.argv[1:], standalone_mode=False)
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(SRC)}


def _modules_after(args: list[str]) -> tuple[int, set[str]]:
    """Run ``oacinsight ARGS`` in a fresh interpreter; its exit code and sys.modules."""
    res = subprocess.run(
        [sys.executable, "-c", _RUN_AND_LIST, *args],
        capture_output=True,
        text=True,
        env=_env(),
        check=True,
    )
    last = json.loads(res.stdout.strip().splitlines()[-1])
    return last["code"], set(last["modules"])


def _heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY))


def test_importing_the_need_path_stays_light():
    code = (
        "import sys, oacinsight.cli, oacinsight.cli.need, oacinsight.need, "
        "oacinsight.need.run, oacinsight.need.disclose, oacinsight.profile.suppress; "
        "print('\\n'.join(sorted(sys.modules)))"
    )
    res = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=_env(),
        check=True,
    )
    modules = set(res.stdout.split())
    assert "oacinsight.need.run" in modules  # the check saw the imports
    assert _heavy(modules) == []


@pytest.fixture(scope="module")
def rates_file(demo, tmp_path_factory):
    store, files = demo
    out = tmp_path_factory.mktemp("need_outputs") / "learnt"
    res = runner.invoke(
        app,
        ["need", str(files.customers), "-o", str(out), "--store", str(store), "--outputs", "csv"],
    )
    assert res.exit_code == 0, res.output
    return out / "rates.csv"


def test_tables_only_run_writes_csv_and_imports_nothing_heavy(demo, rates_file, tmp_path):
    store, _ = demo
    out = tmp_path / "tables"
    args = ["--rates", str(rates_file), "--area", LAD, "-o", str(out), "--store", str(store)]
    code, modules = _modules_after(["need", *args, "--outputs", "csv"])
    assert code == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "expected.csv",
        "gains.csv",
        "rates.csv",
        "target_postcodes.csv",
        "targets.csv",
    ]
    assert "oacinsight.need.expected" in modules
    assert _heavy(modules) == []
    # the same numbers as a run with every output
    full = tmp_path / "full"
    res = runner.invoke(
        app,
        ["need", "--rates", str(rates_file), "--area", LAD, "-o", str(full), "--store", str(store)],
    )
    assert res.exit_code == 0, res.output
    assert {"need.xlsx", "need.json", "need.html", "gains.png", "map.png"} <= {
        p.name for p in full.iterdir()
    }
    for name in ("expected.csv", "rates.csv", "targets.csv", "gains.csv"):
        pd.testing.assert_frame_equal(pd.read_csv(out / name), pd.read_csv(full / name))


def test_outputs_chosen_and_unknown_refused(demo, rates_file, tmp_path):
    store, _ = demo
    base = ["need", "--rates", str(rates_file), "--area", LAD, "--store", str(store)]
    res = runner.invoke(app, [*base, "-o", str(tmp_path / "a"), "--outputs", "json,png"])
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == [
        "gains.png",
        "map.png",
        "need.json",
    ]
    payload = json.loads((tmp_path / "a" / "need.json").read_text())
    assert payload["format"] == "oacinsight.need/1"
    res = runner.invoke(app, [*base, "-o", str(tmp_path / "b"), "--outputs", "csv,pdf"])
    assert res.exit_code == 2
    lines = res.output.strip().splitlines()
    assert len(lines) == 1 and "unknown output kind pdf" in lines[0]
    assert not (tmp_path / "b").exists()


def test_text_cells_that_start_like_formulas_are_neutralised():
    from oacinsight.need.result import _texts_neutralised

    frame = pd.DataFrame(
        {
            "name": ["Ward =A", "=HYPERLINK(1)", "-1.5", "Ünïon", None, "@SUM(A1)"],
            "mixed": [1, "+cmd", "plain", None, 2.5, "\tx"],
            "safe": ["a", "b", "c", "d", "e", "f"],
            "area_code": ["=code"] * 6,  # code columns come from the store: left alone
            "expected": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
        }
    )
    out = _texts_neutralised(frame)
    assert out["name"].tolist()[:4] == ["Ward =A", "'=HYPERLINK(1)", "-1.5", "Ünïon"]
    assert pd.isna(out["name"].iloc[4]) and out["name"].iloc[5] == "'@SUM(A1)"
    assert out["mixed"].tolist()[1:3] == ["'+cmd", "plain"] and out["mixed"].iloc[5] == "'\tx"
    assert out["safe"].tolist() == frame["safe"].tolist()
    assert out["area_code"].eq("=code").all()


@pytest.mark.parametrize(
    "values",
    [
        pd.Series(["E05000002", "E05000001", None, "E05000002"], dtype="str"),
        pd.Series(["b", "a", float("nan")], dtype=object),
        pd.Series([None, None], dtype="str"),  # no wards loaded
        pd.Series([float("nan")] * 3),
    ],
)
def test_area_codes_as_categories_as_pandas_makes_them(values):
    from oacinsight.need.run import _category

    mine = pd.Series(_category(values))
    theirs = values.astype(object).astype("category")
    assert list(mine.cat.categories) == list(theirs.cat.categories)
    assert mine.cat.codes.tolist() == theirs.cat.codes.tolist()


def test_large_csv_written_in_threaded_slices_has_the_bytes_of_one_pass(tmp_path):
    from oacinsight.need.result import _csv

    rng = np.random.default_rng(3)
    n = 120_001
    frame = pd.DataFrame(
        {
            "area_code": [f"E0{i:07d}" for i in range(n)],
            "name": np.where(rng.random(n) < 0.1, 'a "quoted", name', "plain"),
            "expected": rng.gamma(2.0, 10.0, n),
            "observed": np.where(rng.random(n) < 0.2, np.nan, rng.integers(0, 50, n)),
        }
    )
    _csv(frame, tmp_path / "one.csv", parts=1)
    one = (tmp_path / "one.csv").read_bytes()
    for parts in (2, 3):
        _csv(frame, tmp_path / f"p{parts}.csv", parts=parts)
        assert (tmp_path / f"p{parts}.csv").read_bytes() == one
    back = pd.read_csv(tmp_path / "one.csv", keep_default_na=False, na_values=[""])
    assert len(back) == n and back["name"].iloc[:5].tolist() == frame["name"].iloc[:5].tolist()
    assert np.allclose(back["expected"], frame["expected"], rtol=1e-15)
