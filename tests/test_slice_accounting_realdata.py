"""The rows per slice on real geography (``../shared/data``): a customer file of Wigan
postcodes with a few terminated ones, a few from Halifax (outside the area) and a few
bad ones, split by service; a survey of Wigan postcodes split by wave.  Run through
the command line (``profile --by``, ``need --by``, ``survey --by``); every published
count of the rows per slice agrees across the outputs, small ones are hidden, and the
attacker of ``tests.test_slice_accounting`` pins none of the hidden ones."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from tests.conftest import need_shared
from tests.test_slice_accounting import NEED_SPEC, PROFILE_SPEC, attack_frame, small_cells
from tests.test_slice_accounting_e2e import _frames_agree, _need_truth, _profile_truth
from typer.testing import CliRunner

from oacinsight.cli import app
from oacinsight.need import NeedOptions, need_by_file
from oacinsight.profile.run import profile_file
from oacinsight.survey import SurveyOptions
from oacinsight.survey.by import SurveySlices, survey_by_file

runner = CliRunner()
WIGAN = "E08000010"


def _postcodes(name: str) -> pd.DataFrame:
    cols = ["pcds", "doterm", "laua"]
    return pd.read_csv(need_shared("postcodes", name), dtype=str, usecols=cols)


@pytest.fixture(scope="module")
def customers(tmp_path_factory) -> tuple:
    """~900 customers of three services in Wigan, with 0 to 6 per service of each
    awkward kind (terminated, outside the area, unknown, blank, malformed)."""
    wn, hx = _postcodes("NSPL_NOV_2021_UK_WN.csv"), _postcodes("NSPL_NOV_2021_UK_HX.csv")
    live = wn[wn["doterm"].isna() & (wn["laua"] == WIGAN)]["pcds"].to_numpy()
    dead = wn[wn["doterm"].notna() & (wn["laua"] == WIGAN)]["pcds"].to_numpy()
    away = hx[hx["doterm"].isna()]["pcds"].to_numpy()
    rng = np.random.default_rng(2024)
    rows = []
    for service, n in (("Housing", 420), ("Libraries", 300), ("Parking", 180)):
        rows += [(p, service) for p in rng.choice(live, n)]
        for pool in (dead, away, ["ZZ9 9ZZ"], [""], ["NOT A POSTCODE"]):
            rows += [(p, service) for p in rng.choice(pool, int(rng.integers(0, 7)))]
    frame = pd.DataFrame(rows, columns=["postcode", "service"])
    path = tmp_path_factory.mktemp("slice_acct_real") / "customers.csv"
    frame.to_csv(path, index=False)
    return frame, path


def test_profile_by_on_real_data(real_store_path, customers, tmp_path):
    _, path = customers
    store = str(real_store_path)
    for suffix in ("json", "xlsx"):
        out = str(tmp_path / f"p.{suffix}")
        res = runner.invoke(app, ["profile", str(path), "--by", "service", "--area", WIGAN,
                                  "--store", store, "-o", out])  # fmt: skip
        assert res.exit_code == 0, res.output
    cols = ["by", *PROFILE_SPEC]
    data = pd.DataFrame(json.loads((tmp_path / "p.json").read_text())["slice_counts"])
    book = pd.read_excel(tmp_path / "p.xlsx", sheet_name="slices", dtype={"by": str},
                         engine="openpyxl")  # fmt: skip
    frame = _frames_agree([data[cols], book[cols]])
    result = profile_file(path, store=real_store_path, by="service", areas=[WIGAN])
    _frames_agree([result.slice_frame()[cols], frame])
    truth = _profile_truth(result)
    assert sum(t["out"] for t in truth.values()) > 0 and sum(t["nm"] for t in truth.values()) > 0
    for key in small_cells(frame, "by", PROFILE_SPEC, truth):
        name, col = key.split("|")
        assert pd.isna(frame.set_index("by").loc[name, col]), key
    assert attack_frame(frame, "by", PROFILE_SPEC, truth) == []


def test_need_by_on_real_data(real_store_path, customers, tmp_path):
    _, path = customers
    out = tmp_path / "need"
    res = runner.invoke(app, ["need", str(path), "--by", "service", "--area", WIGAN,
                              "--level", "group", "--store", str(real_store_path), "-o", str(out),
                              "--outputs", "csv,json,xlsx"])  # fmt: skip
    assert res.exit_code == 0, res.output
    cols = ["by", *NEED_SPEC]
    csv = pd.read_csv(out / "slices_by.csv", dtype={"by": str})
    data = pd.DataFrame(json.loads((out / "need_by.json").read_text())["slice_counts"])
    book = pd.read_excel(out / "need_by.xlsx", sheet_name="slices_by", dtype={"by": str},
                         engine="openpyxl")  # fmt: skip
    frame = _frames_agree([csv[cols], data[cols], book[cols]])
    options = NeedOptions(areas=(WIGAN,), level="group", draw_map=False)
    result = need_by_file(path, options, by="service", store=real_store_path)
    _frames_agree([result.slice_frame()[cols], frame])
    truth = _need_truth(result)
    assert sum(t["t_in"] + t["t_out"] for t in truth.values()) > 0  # terminated postcodes
    for key in small_cells(frame, "by", NEED_SPEC, truth):
        name, col = key.split("|")
        assert pd.isna(frame.set_index("by").loc[name, col]), key
    assert attack_frame(frame, "by", NEED_SPEC, truth) == []


def test_survey_by_on_real_data(real_store_path, customers, tmp_path):
    """Placement and answers per wave: every count below 10 hidden in every output."""
    frame, _ = customers
    rng = np.random.default_rng(77)
    survey = frame.rename(columns={"service": "wave"}).copy()
    survey["q"] = rng.choice(
        ["yes", "no", "Don't know", ""], len(survey), p=[0.5, 0.44, 0.03, 0.03]
    )
    path = tmp_path / "survey.csv"
    survey.to_csv(path, index=False)
    out = tmp_path / "s.json"
    res = runner.invoke(app, ["survey", str(path), "--question", "q", "--positive", "yes",
                              "--by", "wave", "--area", WIGAN, "--store", str(real_store_path),
                              "-o", str(out)])  # fmt: skip
    assert res.exit_code == 0, res.output
    data = json.loads(out.read_text())
    result = survey_by_file(
        path, SurveyOptions(questions=("q",), positive="yes", areas=(WIGAN,)),
        SurveySlices(by="wave"), store=real_store_path,
    )  # fmt: skip
    true = {name: part for name, part in result.slices}
    hidden = 0
    for row in data["slice_counts"][1:]:
        part = true[row["by"]]
        for kind, value in row.items():
            if kind in ("by", "rows"):
                continue
            truth = int(part.placement.get(kind, 0))
            assert value is None or value == truth, (row["by"], kind)
            assert truth >= 10 or value is None, (row["by"], kind, truth)
            hidden += value is None
    for row in data["answer_counts"][1:]:
        acc = true[row["by"]].accounting.iloc[0]
        for kind in ("answered_not_placed", "missing", "dont_know"):
            assert row[kind] is None or row[kind] == int(acc[kind])
            assert int(acc[kind]) >= 10 or row[kind] is None
            hidden += row[kind] is None
    assert hidden > 3
