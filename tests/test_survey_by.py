"""Survey results by a column or a period (issue 13): every slice equals a separate
survey of its rows, the slices and the overall result share one safe disclosure pattern
(tested by an independent attacker), the findings name planted differences, and bad
input is refused with one line or accounted for."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from tests.attack import attack_sums
from typer.testing import CliRunner

from oacinsight.cli import app
from oacinsight.demo._survey import POSITIVE, write_demo_survey
from oacinsight.errors import OacInsightError
from oacinsight.profile.comparison import ALL_LABEL, BLANK, NO_DATE, OTHER
from oacinsight.survey import SurveyOptions, survey_file
from oacinsight.survey.by import SurveySlices, survey_by_file, survey_by_frame

runner = CliRunner()
QS = ("q1_satisfaction", "q2_safety")
NUMBERS = ["respondents", "weighted_n", "share", "share_low", "share_high", "diff_from_overall",
           "p_value", "representation_index", "effective_n", "respondent_share",
           "resident_share"]  # fmt: skip


@pytest.fixture(scope="module")
def waves(demo, tmp_path_factory):
    """(store, csv) of the Demoshire survey with a wave, a channel and a date column."""
    store, files = demo
    out = tmp_path_factory.mktemp("survey_by") / "survey.csv"
    write_demo_survey(
        files.postcode_directory, files.oac_assignment, files.census_dir / "ts001.parquet", out
    )
    frame = pd.read_csv(out, dtype=str, keep_default_na=False)
    rng = np.random.default_rng(13)
    frame["wave"] = rng.choice(["2022", "2023", "2024", ""], len(frame), p=[0.3, 0.3, 0.3, 0.1])
    frame["channel"] = rng.choice(
        ["web", "phone", "post", "kiosk"], len(frame), p=[0.45, 0.3, 0.245, 0.005]
    )
    frame["date"] = rng.choice(
        ["2022-03-04", "04/05/2023", "45000", "", "soon"], len(frame), p=[0.3, 0.3, 0.3, 0.05, 0.05]
    )
    frame.to_csv(out, index=False)
    return store, out


def _opts(**kw) -> SurveyOptions:
    return SurveyOptions(**{"questions": QS, "positive": POSITIVE, "weight": "weight", **kw})


@pytest.fixture(scope="module")
def by_wave(waves):
    store, path = waves
    return survey_by_file(path, _opts(level="group"), SurveySlices(by="wave"), store=store)


def test_each_slice_equals_a_separate_survey_of_its_rows(waves, by_wave, tmp_path):
    store, path = waves
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    alone = survey_file(path, _opts(level="group"), store=store)
    pd.testing.assert_frame_equal(by_wave.overall.to_frame(), alone.to_frame())
    names = [n for n, _ in by_wave.slices]
    assert sorted(names) == sorted(["2022", "2023", "2024", BLANK])
    assert sum(p.n_rows for _, p in by_wave.slices) == len(raw) == alone.n_rows
    codes = tuple(c for c, _ in by_wave.overall.areas)
    for name, part in by_wave.slices:
        rows = raw[raw["wave"] == ("" if name == BLANK else name)]
        rows.to_csv(tmp_path / "slice.csv", index=False)
        sep = survey_file(tmp_path / "slice.csv", _opts(level="group", areas=codes), store=store)
        mine = part.table.set_index(["question", "code"])
        theirs = sep.table.set_index(["question", "code"])
        assert set(theirs.index) <= set(mine.index)
        extra = mine.index.difference(theirs.index)
        assert (mine.loc[extra, "respondents"] == 0).all()  # rows kept so no row tells a 0
        mine = mine.loc[theirs.index]
        np.testing.assert_allclose(mine[NUMBERS].to_numpy(float), theirs[NUMBERS].to_numpy(float),
                                   rtol=1e-12, equal_nan=True)  # fmt: skip
        assert (mine["flag"] == theirs["flag"]).all()
        assert (part.n_rows, part.placement) == (sep.n_rows, {
            k: v for k, v in part.placement.items() if v or k in sep.placement})  # fmt: skip
        pd.testing.assert_frame_equal(part.accounting, sep.accounting)
        shown = part.to_frame()
        ok = shown["respondents"].notna().to_numpy()
        assert ok.sum() > 5
        got = shown.set_index(["question", "code"]).loc[theirs.index]
        np.testing.assert_allclose(
            got.loc[got["respondents"].notna(), NUMBERS].to_numpy(float),
            sep.table.set_index(["question", "code"]).loc[got.index[got["respondents"].notna()],
                                                          NUMBERS].to_numpy(float),
            rtol=1e-12, equal_nan=True,
        )  # fmt: skip


def test_every_respondent_in_exactly_one_slice(by_wave):
    total = by_wave.overall
    for q_i in range(len(QS)):
        for col in total.accounting.columns[1:]:
            assert sum(int(p.accounting.loc[q_i, col]) for _, p in by_wave.slices) == int(
                total.accounting.loc[q_i, col]
            )
    long = by_wave.long_frame()
    assert list(long.columns[:2]) == ["by", "question"]
    assert list(dict.fromkeys(long["by"])) == [ALL_LABEL, *(n for n, _ in by_wave.slices)]


# -- disclosure: the attacker -----------------------------------------------------------
def _attack(result) -> int:
    """Bound every hidden respondent count of every question from the published long
    table (groups and totals of the slices and of the overall) with integer programming."""
    long = result.long_frame()
    kind = long.columns[0]
    names = [n for n, _ in result.slices]
    checked = 0
    for q in dict.fromkeys(long["question"]):
        block = long[long["question"] == q]
        groups = block.loc[(block[kind] == ALL_LABEL) & (block["level"] != "overall"), "code"]
        atoms = [f"{n}|{g}" for n in names for g in groups]
        cells, truth = [], {}
        raw = {ALL_LABEL: result.overall.table, **{n: p.table for n, p in result.slices}}
        for row in block.itertuples(index=False):
            by, code = getattr(row, kind), row.code
            if code == "all_poststratified":
                continue
            owners = names if by == ALL_LABEL else [by]
            members = [f"{n}|{g}" for n in owners for g in groups if code in ("all", g)]
            value = None if pd.isna(row.respondents) else float(row.respondents)
            key = f"{by}|{code}"
            cells.append((key, members, value))
            t = raw[by]
            truth[key] = int(
                t.loc[(t["question"] == q) & (t["code"] == code), "respondents"].iloc[0]
            )
        total = int(truth[f"{ALL_LABEL}|all"])
        ranges = attack_sums(cells, atoms, total, truth)
        for key, (low, high) in ranges.items():
            assert low <= truth[key] <= high, (q, key)
            assert high - low >= 3, (q, key, low, high)
        checked += len(ranges)
    assert checked, "nothing hidden: the test would prove nothing"
    return checked


def test_no_hidden_count_recoverable_demo(by_wave):
    assert _attack(by_wave) > 10


def _random_survey(rng, n_slices: int, sizes) -> pd.DataFrame:
    frames = []
    for k, n in enumerate(sizes[:n_slices]):
        p = rng.dirichlet(np.full(8, 0.6))
        frames.append(pd.DataFrame({
            "sg": rng.choice([str(g) for g in range(1, 9)], n, p=p),
            "q": rng.choice(["yes", "no", "dk", ""], n, p=[0.5, 0.4, 0.05, 0.05]),
            "wave": f"w{k}",
        }))  # fmt: skip
    return pd.concat(frames, ignore_index=True)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_no_hidden_count_recoverable_random_files(seed, tmp_path):
    rng = np.random.default_rng(1310 + seed)
    frame = _random_survey(rng, 3, rng.integers(40, 160, 3))
    opts = SurveyOptions(questions=("q",), positive="yes", group_column="sg")
    result = survey_by_frame(frame, opts, SurveySlices(by="wave"), store=tmp_path / "none")
    assert _attack(result) >= 4
    # the accounting across slices: each slice's rows less its answered total is shown
    acc = result.answers_frame()
    kinds = ["answered_not_placed", "missing", "dont_know"]
    names = [n for n, _ in result.slices]
    cells, truth = [], {}
    raw = {ALL_LABEL: result.overall.accounting, **{n: p.accounting for n, p in result.slices}}
    for row in acc.itertuples(index=False):
        for kind in kinds:
            owners = names if row.by == ALL_LABEL else [row.by]
            value = getattr(row, kind)
            key = f"{row.by}|{kind}"
            cells.append((key, [f"{n}|{kind}" for n in owners], None if pd.isna(value) else value))
            truth[key] = int(raw[row.by].loc[0, kind])
    for name, part in result.slices:
        rest = part.n_rows - int(part.accounting.loc[0, "answered_placed"])
        cells.append((f"{name}|rest", [f"{name}|{k}" for k in kinds], float(rest)))
    total = sum(truth[f"{ALL_LABEL}|{k}"] for k in kinds)
    for key, (low, high) in attack_sums(cells, [f"{n}|{k}" for n in names for k in kinds],
                                        total, truth).items():  # fmt: skip
        assert high - low >= 3, (key, low, high)


# -- findings: planted differences ------------------------------------------------------
def test_findings_name_the_planted_differences(tmp_path):
    rng = np.random.default_rng(2013)
    rows = []
    truth = {("web", "3"): 0.85, ("phone", "7"): 0.15}
    for channel in ("web", "phone", "post"):
        for g in range(1, 9):
            p = truth.get((channel, str(g)), 0.5)
            n = 160
            rows.append(pd.DataFrame({
                "sg": str(g), "channel": channel,
                "q": np.where(rng.random(n) < p, "good", "poor"),
                "w": np.exp(rng.normal(0, 0.3, n)).round(4).astype(str),
            }))  # fmt: skip
    frame = pd.concat(rows, ignore_index=True)
    opts = SurveyOptions(questions=("q",), positive="good", group_column="sg", weight="w")
    result = survey_by_frame(frame, opts, SurveySlices(by="channel"), store=tmp_path / "none")
    tests = result.tests.set_index("code")
    found = set(tests.index[(tests.index != "all") & (tests["p_holm"] < 0.05)])
    assert found == {"3", "7"}
    assert tests.loc["3", "highest"] == "web" and tests.loc["7", "lowest"] == "phone"
    assert tests.loc["3", "p_value"] < 1e-6 and tests.loc["7", "p_value"] < 1e-6
    text = " ".join(result.findings())
    assert "(3): " in text and "(7): " in text and "(5): " not in text
    assert "in web against" in text and "in phone;" in text
    # the overall share differs too (0.5 elsewhere, web and phone pulled opposite ways)
    assert tests.loc["all", "p_value"] < 0.01


def test_rao_scott_with_equal_weights_is_the_design_adjusted_pearson(tmp_path):
    """Hand check: equal weights, two slices, one group: the first-order statistic is the
    Pearson X² of the 2 × 2 table × (n-1)/n."""
    frame = pd.DataFrame({
        "sg": "1", "channel": ["a"] * 40 + ["b"] * 40,
        "q": ["y"] * 30 + ["n"] * 10 + ["y"] * 15 + ["n"] * 25,
    })  # fmt: skip
    opts = SurveyOptions(questions=("q",), positive="y", group_column="sg")
    result = survey_by_frame(frame, opts, SurveySlices(by="channel"), store=tmp_path / "none")
    row = result.tests.set_index("code").loc["1"]
    from scipy.stats import chi2_contingency

    x2 = chi2_contingency([[30, 10], [15, 25]], correction=False)[0]
    assert row["chisq"] == pytest.approx(x2 * 79 / 80, rel=1e-9)


# -- slicing rules shared with profile --------------------------------------------------
def test_small_values_grouped_as_other_and_periods(waves):
    store, path = waves
    result = survey_by_file(path, _opts(), SurveySlices(by="channel"), store=store)
    assert [n for n, _ in result.slices] == ["web", "phone", OTHER]
    # kiosk alone is too small, so the smallest other value (post) is taken in with it
    assert any("kiosk" in n and "post" in n and "2 value(s)" in n for n in result.notes)
    result = survey_by_file(path, _opts(), SurveySlices(period="date", freq="year"), store=store)
    names = [n for n, _ in result.slices]
    assert names == ["2022", "2023", NO_DATE]  # 45000 is 2023-03-15
    note = next(n for n in result.notes if "unparseable" in n)
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert f"{(raw['date'] == 'soon').sum():,} unparseable" in note and "'soon'" in note
    assert dict(result.slices)[NO_DATE].n_rows == int(raw["date"].isin(["", "soon"]).sum())


def test_writers(by_wave, tmp_path):
    csv = pd.read_csv(by_wave.write(tmp_path / "s.csv"), dtype={"by": str})
    assert csv.columns[0] == "by" and len(csv) == len(by_wave.long_frame())
    hidden = csv["respondents"].isna()
    assert hidden.any() and csv.loc[hidden, "share"].isna().all()
    book = pd.read_excel(by_wave.write(tmp_path / "s.xlsx"), sheet_name=None, engine="openpyxl")
    assert {"survey", "shares", "slices", "answers", "tests", "findings", "about"} <= set(book)
    data = json.loads(by_wave.write(tmp_path / "s.json").read_text())
    assert data["findings"] == by_wave.findings() and data["kind"] == "by"
    assert all(r["respondents"] is None or r["respondents"] >= 10 for r in data["rows"])
    html = by_wave.write(tmp_path / "s.html").read_text()
    assert "Findings" in html and "data:image/png;base64," in html
    assert by_wave.write(tmp_path / "s.png").stat().st_size > 1000
    assert "slices by 'wave'" in by_wave.text()


# -- bad input ---------------------------------------------------------------------------
def _cli(waves, tmp_path, *extra):
    store, path = waves
    args = ["survey", str(path), "--question", "q1_satisfaction", "--positive", POSITIVE,
            "-o", str(tmp_path / "out.csv"), "--store", str(store), *extra]  # fmt: skip
    return runner.invoke(app, args)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--by", "wav"], "--by 'wav': no such column"),
        (["--by", "respondent_id"], "2,500 different values, more than the limit of 50"),
        (["--period", "postcode"], "no value could be read as a date"),
        (["--period", "date", "--freq", "week"], "unknown --freq 'week'"),
        (["--by", "wave", "--period", "date"], "give one of --by COLUMN or --period COLUMN"),
        (["--freq", "month"], "--freq needs --period"),
    ],
)
def test_bad_input_one_line_and_exit_2(waves, tmp_path, extra, message):
    res = _cli(waves, tmp_path, *extra)
    assert res.exit_code == 2, res.output
    lines = res.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0]


def test_cli_by_writes_the_long_table(waves, tmp_path):
    res = _cli(waves, tmp_path, "--by", "wave", "--suppress-below", "10")
    assert res.exit_code == 0, res.output
    out = pd.read_csv(tmp_path / "out.csv", dtype=str, keep_default_na=False)
    assert out.columns[0] == "by" and BLANK in set(out["by"])


def test_min_respondents_below_threshold_refused(waves):
    store, path = waves
    with pytest.raises(OacInsightError, match="must be at least --suppress-below"):
        survey_by_file(path, _opts(), SurveySlices(by="wave", min_respondents=5), store=store)


def test_nothing_to_compare_refused(tmp_path):
    frame = pd.DataFrame({"sg": "1", "q": ["y", "n"] * 15, "wave": ["a"] * 25 + ["b"] * 5})
    opts = SurveyOptions(questions=("q",), positive="y", group_column="sg")
    with pytest.raises(OacInsightError, match=r"fewer than two values with at least 20 "):
        survey_by_frame(frame, opts, SurveySlices(by="wave"), store=tmp_path / "none")
