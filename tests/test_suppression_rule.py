"""One suppression rule for every feature: profile, survey and need decide their hidden
cells with :func:`oacinsight.profile.suppress.suppression_mask` (counts 0-9 hidden,
zeros included, then audited secondary suppression), and no survey output publishes a
zero or any count below the threshold."""

from __future__ import annotations

import json
import re

import numpy as np
import openpyxl
import pandas as pd
import pytest

from oacinsight.demo._survey import POSITIVE, write_demo_survey
from oacinsight.match import match_records
from oacinsight.need import NeedOptions, need_file
from oacinsight.need.disclose import hidden
from oacinsight.profile import suppress
from oacinsight.profile.run import profile_file
from oacinsight.survey import SurveyOptions, survey_frame


@pytest.fixture(scope="module")
def survey_input(demo, tmp_path_factory):
    """The demo survey without supergroup 1 (a group of residents nobody answered for)
    and with a question every respondent answered "Don't know" (a question nobody
    answered): zero respondent counts, in groups and in the overall rows."""
    store, files = demo
    path = tmp_path_factory.mktemp("zeros") / "survey.csv"
    write_demo_survey(
        files.postcode_directory, files.oac_assignment, files.census_dir / "ts001.parquet", path
    )
    frame = pd.read_csv(path, dtype=str)
    matched = match_records(frame, store=store).frame
    frame = frame[matched["oac_supergroup"].astype(str).ne("1").to_numpy()]
    frame = frame.assign(q2="Don't know").reset_index(drop=True)
    opts = SurveyOptions(questions=("q1_satisfaction", "q2"), positive=POSITIVE)
    return store, frame, opts


def test_survey_zeros_are_hidden_in_every_output(survey_input, tmp_path) -> None:
    store, frame, opts = survey_input
    result = survey_frame(frame, opts, store=store)
    raw = result.table.set_index(["question", "code"])["respondents"]
    assert raw[("q1_satisfaction", "1")] == 0  # the zeros are there before publishing
    assert raw[("q2", "all")] == 0 and raw[("q2", "all_poststratified")] == 0
    shown: dict[str, list[float]] = {}
    csv = pd.read_csv(result.write(tmp_path / "s.csv"), dtype={"code": str})
    shown["csv"] = csv["respondents"].dropna().tolist()
    assert csv.loc[csv["question"] == "q2", "respondents"].isna().all()
    assert csv.loc[csv["code"] == "1", "respondents"].isna().all()
    book = openpyxl.load_workbook(result.write(tmp_path / "s.xlsx"))
    rows = list(book["survey"].iter_rows(values_only=True))
    at = rows[0].index("respondents")
    shown["xlsx"] = [r[at] for r in rows[1:] if r[at] is not None]
    answers = list(book["answers"].iter_rows(values_only=True))
    shown["xlsx answers"] = [v for r in answers[1:] for v in r[1:] if v is not None]
    data = json.loads(result.write(tmp_path / "s.json").read_text())
    shown["json"] = [r["respondents"] for r in data["rows"] if r["respondents"] is not None]
    shown["json answers"] = [
        v for a in data["answers"] for k, v in a.items() if k != "question" and v is not None
    ]
    shown["json placement"] = [v for v in data["placement"].values() if v is not None]
    html = result.write(tmp_path / "s.html").read_text()
    cells = re.findall(r'<td class="respondents[^"]*">\s*([^<]*?)\s*</td>', html)
    assert len(cells) == len(result.table)
    shown["html"] = [float(c.replace(",", "")) for c in cells if c.strip()]
    for where, values in shown.items():
        assert values, where
        assert min(float(v) for v in values) >= 10, (where, sorted(values)[:3])
    assert not re.search(r"\b[0-9] placed\b", result.text())


def test_every_feature_decides_through_the_one_rule(demo, survey_input, monkeypatch) -> None:
    """Profile, survey and need each reach the one rule's core (counted by a wrapper)."""
    store, files = demo
    calls: list[int] = []
    core = suppress._pattern

    def counted(values, threshold, hierarchy):
        calls.append(len(values))
        return core(values, threshold, hierarchy)

    monkeypatch.setattr(suppress, "_pattern", counted)
    runs = {
        "profile": lambda: profile_file(files.customers, store=store, level="all").to_frame(),
        "survey": lambda: survey_frame(survey_input[1], survey_input[2], store=store).to_frame(),
        "need": lambda: need_file(
            files.customers,
            NeedOptions(level="subgroup", suppress_below=80, draw_map=False),
            store=store,
        ).tables(),
    }
    for name, run in runs.items():
        calls.clear()
        run()
        assert calls, f"{name} did not decide its hidden cells with suppression_mask"


def test_sets_protect_each_total_as_the_flat_rule() -> None:
    """Hand-worked: sets {A: a, b, c} and {B: c, d}; c = 3 is hidden in both; in A the
    next smallest (b = 12) is hidden too (one hidden cell would be known from the total);
    in B, d = 40 is hidden for the same reason.  Zeros are hidden."""
    counts = pd.Series([50, 12, 3, 40, 0, 25, 30])
    sets = [("A",), ("A",), ("A", "B"), ("B",), ("C",), ("C",), ("C",)]
    mask = suppress.suppression_mask(counts, threshold=10, sets=sets)
    assert mask.tolist() == [False, True, True, True, True, True, False]
    need = hidden(counts.astype(float), pd.Series(sets), 10)
    assert np.array_equal(need, mask.to_numpy())
    off = suppress.suppression_mask(counts, threshold=1, sets=sets)
    assert not off.any()
