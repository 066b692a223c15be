"""The Python API: top-level names, and the same numbers as the CLI."""

import subprocess
import sys

import numpy as np

import oacinsight as oi


def test_top_level_names_resolve():
    for name in oi.__all__:
        assert getattr(oi, name) is not None
    assert oi.match_file.__module__ == "oacinsight.match"


def test_import_is_light():
    code = "import sys, oacinsight; print('duckdb' in sys.modules, 'pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_api_and_cli_agree(demo, tmp_path):
    import pandas as pd
    from typer.testing import CliRunner

    from oacinsight.cli import app

    store, files = demo
    out = tmp_path / "cli.csv"
    res = CliRunner().invoke(
        app,
        ["profile", str(files.customers), "-o", str(out), "--store", str(store), "--level", "all"],
    )
    assert res.exit_code == 0, res.output
    api = oi.profile_file(files.customers, store=store, level="all").to_frame()
    cli = pd.read_csv(out, dtype={"code": str})
    assert list(cli.columns) == list(api.columns) and len(cli) == len(api) == 76
    for col in api.columns:
        a, c = api[col].reset_index(drop=True), cli[col]
        if pd.api.types.is_numeric_dtype(c):
            assert np.allclose(a.astype(float), c.astype(float), equal_nan=True), col
        else:
            assert a.astype(str).tolist() == c.astype(str).tolist(), col
