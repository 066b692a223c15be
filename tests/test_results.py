"""Every result speaks one protocol: to_frame(), to_dict(), text(), write(path) -> Path.

The instances are real: the Demoshire store (tests/conftest.py ``demo``) matched,
profiled, area-profiled (one ward and the district's batch) and surveyed.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from oacinsight.errors import OacInsightError
from oacinsight.results import Result
from oacinsight.values import json_records, json_safe

WARD = "E05999001"
LAD = "E06000999"

#: result name -> the suffixes its write() takes (PDF where the result has one)
SUFFIXES = {
    "match": (".json", ".csv", ".xlsx", ".txt"),
    "profile": (".csv", ".xlsx", ".json", ".html", ".png", ".svg", ".pdf"),
    "area": (".csv", ".xlsx", ".json", ".html", ".pdf"),
    "batch": (".csv", ".html", ".json", ".xlsx"),
    "survey": (".csv", ".xlsx", ".json", ".html", ".png"),
}


@pytest.fixture(scope="module")
def results(demo, tmp_path_factory) -> dict[str, object]:
    from oacinsight.areas import profile_area, profile_wards
    from oacinsight.demo._survey import POSITIVE, write_demo_survey
    from oacinsight.match import match_file
    from oacinsight.profile.run import profile_file
    from oacinsight.survey import SurveyOptions, survey_file

    store, files = demo
    root = tmp_path_factory.mktemp("results")
    matched = root / "matched.csv"
    survey = root / "survey.csv"
    write_demo_survey(
        files.postcode_directory, files.oac_assignment, files.census_dir / "ts001.parquet", survey
    )
    return {
        "match": match_file(files.customers, matched, store=store),
        "profile": profile_file(matched, store=store, level="all"),
        "area": profile_area(WARD, store=store, comparators=2),
        "batch": profile_wards(LAD, root / "batch", store=store, comparators=2, pdf=False, jobs=1),
        "survey": survey_file(
            survey,
            SurveyOptions(questions=("q1_satisfaction",), positive=POSITIVE, weight="weight"),
            store=store,
        ),
    }


def _plain_types(value: object) -> bool:
    """Only the types JSON has (exactly: no numpy float posing as float)."""
    if isinstance(value, dict):
        return all(type(k) is str and _plain_types(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_plain_types(v) for v in value)
    return value is None or type(value) in (str, int, float, bool)


@pytest.mark.parametrize("name", list(SUFFIXES))
def test_result_speaks_the_protocol(results, name):
    result = results[name]
    assert isinstance(result, Result)
    frame = result.to_frame()
    assert isinstance(frame, pd.DataFrame) and len(frame) > 0
    payload = result.to_dict()
    assert _plain_types(payload)
    text = json.dumps(payload, allow_nan=False)
    assert json.loads(text) == payload
    printed = result.text()
    assert isinstance(printed, str) and printed.strip()


@pytest.mark.parametrize("name", list(SUFFIXES))
def test_write_by_suffix_returns_the_path(results, name, tmp_path):
    result = results[name]
    for suffix in SUFFIXES[name]:
        path = tmp_path / f"out{suffix}"
        written = result.write(path)
        assert written == path and isinstance(written, Path)
        assert path.stat().st_size > 0, suffix
    # what the files hold is what the methods return
    assert json.loads((tmp_path / "out.json").read_text(encoding="utf-8")) == result.to_dict()
    csv = pd.read_csv(tmp_path / "out.csv")
    frame = result.to_frame()
    assert list(csv.columns) == [str(c) for c in frame.columns] and len(csv) == len(frame)
    if ".pdf" in SUFFIXES[name]:
        assert (tmp_path / "out.pdf").read_bytes().startswith(b"%PDF")
    with pytest.raises(OacInsightError, match=r"cannot write .* as '\.doc'"):
        result.write(tmp_path / "out.doc")
    assert not (tmp_path / "out.doc").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        f"out{s}" for s in SUFFIXES[name]
    )  # no temporary files left behind


def test_match_summary_numbers_agree(results, demo):
    summary = results["match"]
    lines = pd.read_csv(demo[1].customers, dtype=str, keep_default_na=False, skip_blank_lines=True)
    payload = summary.to_dict()
    by_status = summary.to_frame().set_index("status")["count"]
    assert {s: v["count"] for s, v in payload["status"].items()} == by_status.to_dict()
    assert by_status.sum() == summary.rows == payload["rows"] == len(lines) > 6000
    assert payload["row_account"]["reconciles"] is True
    assert summary.to_json() == payload  # the old name still answers


def test_profile_hides_small_counts_in_every_format(results, tmp_path):
    result = results["profile"]
    frame = result.to_frame()
    hidden = frame["customers"].isna()
    raw = result.table.set_index("code")["customers"]
    # every small count (1 to 9) is hidden (others may be too: secondary suppression),
    # and none leaves through to_dict()
    small = set(raw[(raw > 0) & (raw < result.suppress_below)].index)
    assert small and small <= set(frame.loc[hidden, "code"])
    rows = {r["code"]: r for r in result.to_dict()["rows"]}
    assert all(rows[c]["customers"] is None for c in frame.loc[hidden, "code"])
    assert result.summary_text() == result.text()
    assert result.to_json() == result.to_dict()


def test_area_profile_text_is_what_the_cli_prints(results, tmp_path):
    area = results["area"]
    assert area.text().splitlines() == [
        *area.coverage,
        *area.summary,
        *(f"note: {n}" for n in area.notes),
    ]
    folder = area.write(tmp_path / "abbey", pdf=False, html=False)
    assert folder == tmp_path / "abbey" and (folder / "oac_mix.csv").exists()
    assert not (folder / "profile.pdf").exists()
    with pytest.raises(OacInsightError, match="folder only"):
        area.write(tmp_path / "x.csv", pdf=False)


def test_batch_index_rows(results):
    batch = results["batch"]
    payload = batch.to_dict()
    assert len(payload["rows"]) == 1 + len(batch.wards) == 13
    assert payload["rows"][0]["code"] == LAD
    assert batch.text().splitlines()[-1 - len(batch.skipped)].endswith("12 ward profiles")


def test_json_safe_converts_everything_json_lacks():
    value = {
        "a": np.int64(3),
        "b": np.float64("nan"),
        "c": pd.NA,
        "d": pd.NaT,
        "e": float("inf"),
        1: (np.bool_(True), {np.int32(2)}),
        "f": pd.Timestamp("2021-03-21"),
        "g": dt.date(2021, 3, 21),
        "h": Path("x/y.csv"),
        "i": np.array([1.5, np.nan]),
    }
    out = json_safe(value)
    assert out == {
        "a": 3,
        "b": None,
        "c": None,
        "d": None,
        "e": None,
        "1": [True, [2]],
        "f": "2021-03-21T00:00:00",
        "g": "2021-03-21",
        "h": "x/y.csv",
        "i": [1.5, None],
    }
    assert _plain_types(out)
    frame = pd.DataFrame({"n": pd.array([1, None], dtype="Int64"), "x": [0.5, math.nan]})
    assert json_records(frame) == [{"n": 1, "x": 0.5}, {"n": None, "x": None}]
