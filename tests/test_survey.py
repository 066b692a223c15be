"""Survey analysis end to end on Demoshire: placement by postcode, output area and code
column (2021 and 2011), the truth recovered, suppression, outputs, bad input, the CLI."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from oacinsight.cli import app
from oacinsight.demo._survey import POSITIVE, write_demo_survey
from oacinsight.errors import InputFileError, OacInsightError
from oacinsight.survey import SurveyOptions, survey_file, survey_frame
from oacinsight.survey.answers import classify, parse_positive, read_weights

runner = CliRunner()
Q = ("q1_satisfaction",)


@pytest.fixture(scope="module")
def survey(demo, tmp_path_factory):
    """(store, survey csv, truth) for the Demoshire resident survey."""
    store, files = demo
    out = tmp_path_factory.mktemp("survey") / "survey.csv"
    truth = write_demo_survey(
        files.postcode_directory, files.oac_assignment, files.census_dir / "ts001.parquet", out
    )
    return store, out, truth


def _opts(**kw) -> SurveyOptions:
    base = {"questions": Q, "positive": POSITIVE, "weight": "weight"}
    return SurveyOptions(**{**base, **kw})


def test_demo_survey_recovers_the_truth(survey) -> None:
    store, path, truth = survey
    result = survey_file(path, _opts(), store=store)
    t = result.to_frame().set_index("code")
    for code, share in truth["share_by_supergroup"].items():
        row = t.loc[code]
        assert row["share_low"] - 0.03 <= share <= row["share_high"] + 0.03, (code, row)
        assert row["representation_index"] == pytest.approx(
            truth["representation_index"][code], rel=0.2
        )
    ps = t.loc["all_poststratified", "share"]
    raw = t.loc["all", "share"]
    assert abs(ps - truth["overall_share"]) < 0.025
    assert abs(raw - truth["overall_share"]) > 2 * abs(ps - truth["overall_share"])
    assert t.loc["all", "p_value"] < 1e-6  # groups differ a lot: Rao-Scott sees it
    under = set(t.index[t["flag"].str.contains("under_represented")])
    expected = {c for c, v in truth["representation_index"].items() if v < 0.8}
    assert under == expected
    assert result.placement == {"placed": truth["n"]}


def test_same_numbers_by_postcode_oa_and_group_column(survey, tmp_path) -> None:
    store, path, _ = survey
    by_pc = survey_file(path, _opts(), store=store)
    frame = pd.read_csv(path, dtype=str)
    matched = by_pc.to_frame()
    from oacinsight.match import match_records

    m = match_records(frame, store=store).frame
    frame["oa"] = m["oa21"]
    frame["sg"] = m["oac_supergroup"]
    frame.to_csv(tmp_path / "s.csv", index=False)
    by_oa = survey_file(tmp_path / "s.csv", _opts(oa_column="oa"), store=store).to_frame()
    by_code = survey_file(
        tmp_path / "s.csv", _opts(group_column="sg", areas=("E06000999",)), store=store
    ).to_frame()
    cols = ["code", "respondents", "share", "share_low", "representation_index"]
    pd.testing.assert_frame_equal(matched[cols], by_oa[cols])
    pd.testing.assert_frame_equal(matched[cols], by_code[cols])


def test_group_column_without_area_says_why_no_index(survey, tmp_path) -> None:
    store, path, _ = survey
    frame = pd.read_csv(path, dtype=str)
    frame["sg"] = "3"
    res = survey_frame(frame, _opts(group_column="sg"), store=store)
    row = res.to_frame().iloc[0]
    assert pd.isna(row["representation_index"]) and "--area" in row["note"]


def test_2011_edition_by_postcode(survey) -> None:
    store, path, _ = survey
    result = survey_file(path, _opts(edition="2011"), store=store)
    table = result.to_frame()
    groups = table[table["level"] != "overall"]
    # Demoshire's NSPL gives 2011 subgroups like 8A1, 6B3: supergroups as 2011 codes
    assert set(groups["code"]) <= set("12345678") and len(groups) >= 5
    assert groups["respondents"].sum() == table.loc[table["code"] == "all", "respondents"].iloc[0]
    assert groups["resident_share"].sum() == pytest.approx(1.0)
    grp = survey_file(path, _opts(edition="2011", level="group"), store=store).to_frame()
    codes = set(grp.loc[grp["level"] == "group", "code"])
    assert codes and all(len(c) == 2 and c[1].isupper() for c in codes)


def test_wrong_edition_codes_are_detected(survey) -> None:
    store, path, _ = survey
    frame = pd.read_csv(path, dtype=str)
    frame["g11"] = np.resize(["7D2", "8C1", "2D3", "4A1"], len(frame))
    with pytest.raises(InputFileError, match=r"OAC 2011 codes.*--edition 2011"):
        survey_frame(frame, _opts(group_column="g11", level="subgroup"), store=store)
    ok = survey_frame(frame, _opts(group_column="g11", edition="2011", level="group"), store=store)
    assert {"7D", "8C", "2D", "4A"} <= set(ok.to_frame()["code"])
    frame["g21"] = np.resize(["6c1", "3a4", "8b3"], len(frame))  # not in 2011
    with pytest.raises(InputFileError, match=r"OAC 2021 codes.*--edition 2021"):
        survey_frame(
            frame, _opts(group_column="g21", edition="2011", level="subgroup"), store=store
        )
    frame["upper"] = np.resize(["1A", "3B", "8A"], len(frame))  # valid in both editions
    res = survey_frame(frame, _opts(group_column="upper", level="group"), store=store)
    assert any("upper case, as 2011" in n for n in res.notes)
    with pytest.raises(InputFileError, match="--level supergroup"):
        survey_frame(frame.assign(s="7"), _opts(group_column="s", level="group"), store=store)


def test_likert_labels_with_stray_spaces_and_case() -> None:
    rule = parse_positive(" 4_Good , 5_VERY GOOD")
    values = pd.Series(
        ["  4_good", "5_Very  Good ", "3_fair", None, "", "9_Dont_Know", "Don't know", "4_GOOD"]
    )
    a = classify(values, "q", rule)
    assert a.positive[[0, 1, 2, 7]].tolist() == [1, 1, 0, 1]
    assert a.missing.tolist() == [False, False, False, True, True, False, False, False]
    assert a.dont_know.sum() == 2
    num = classify(pd.Series(["5", "4_good", " 2 ", "9_dont_know", ""]), "q", parse_positive(">=4"))
    assert num.positive[:3].tolist() == [1, 1, 0] and num.dont_know[3] and num.missing[4]
    with pytest.raises(InputFileError, match="not numbers"):
        classify(pd.Series(["good", "4"]), "q", parse_positive(">=4"))


def test_missing_and_dont_know_are_counted_and_excluded(survey) -> None:
    store, path, _ = survey
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    res = survey_file(path, _opts(), store=store)
    acc = res.accounting.iloc[0]
    assert acc["missing"] == int((frame["q1_satisfaction"].str.strip() == "").sum())
    assert acc["dont_know"] == int(frame["q1_satisfaction"].str.contains("dont_know").sum())
    assert acc["answered_placed"] + acc["missing"] + acc["dont_know"] == len(frame)
    overall = res.to_frame().set_index("code").loc["all", "respondents"]
    assert overall == acc["answered_placed"]


@pytest.mark.parametrize(
    ("value", "problem"),
    [("abc", "not a number"), ("0", "zero"), ("-1.5", "negative"), ("", "blank")],
)
def test_bad_weights_are_one_line_errors(value: str, problem: str) -> None:
    with pytest.raises(InputFileError, match=f"are {problem}.*data row 2") as err:
        read_weights(pd.Series(["1.2", value, "0.8"]), "w")
    assert "\n" not in str(err.value)


def test_unknown_question_names_close_matches(survey) -> None:
    store, path, _ = survey
    with pytest.raises(InputFileError, match="close matches: q1_satisfaction"):
        survey_file(path, _opts(questions=("q1_satisfacton",)), store=store)
    with pytest.raises(InputFileError, match=r"'4_goood' is not among.*close answers: 4_good"):
        survey_file(path, _opts(positive="4_goood,5_very good"), store=store)
    with pytest.raises(InputFileError, match=r"none of the --positive answers \(excellent\)"):
        survey_file(path, _opts(positive="excellent"), store=store)
    with pytest.raises(OacInsightError, match="--edition"):
        survey_file(path, _opts(edition="2001"), store=store)


def test_small_groups_are_suppressed_with_secondary(survey) -> None:
    store, path, _ = survey
    frame = pd.read_csv(path, dtype=str).head(400)
    res = survey_frame(frame, _opts(level="group"), store=store)
    raw = res.table[res.table["level"] == "group"]
    pub = res.to_frame()
    pub_g = pub[pub["level"] == "group"]
    small = (raw["respondents"] > 0) & (raw["respondents"] < 10)
    assert small.any()
    hidden = pub_g["flag"] == "suppressed"
    assert hidden[small.to_numpy()].all() and hidden.sum() >= 2
    assert (
        pub_g.loc[
            hidden, ["respondents", "share", "share_low", "weighted_n", "representation_index"]
        ]
        .isna()
        .all()
        .all()
    )
    total = pub.loc[pub["code"] == "all", "respondents"].iloc[0]
    assert total - pub_g["respondents"].sum() >= 10 or hidden.sum() >= 2
    low = pub_g[~hidden & (pub_g["respondents"] > 0)]
    assert low.loc[low["respondents"] < 30, "flag"].str.contains("low_n").all()


def test_writes_every_format(survey, tmp_path) -> None:
    store, path, _ = survey
    res = survey_file(path, _opts(questions=("q1_satisfaction", "q2_safety")), store=store)
    for suffix in ("csv", "xlsx", "json", "html", "png"):
        assert res.write(tmp_path / f"s.{suffix}").stat().st_size > 500
    csv = pd.read_csv(tmp_path / "s.csv")
    assert list(csv.columns[:12]) == [
        "question",
        "code",
        "name",
        "respondents",
        "weighted_n",
        "share",
        "share_low",
        "share_high",
        "diff_from_overall",
        "p_value",
        "representation_index",
        "flag",
    ]
    assert csv["share"].between(0, 1).all()
    data = json.loads((tmp_path / "s.json").read_text())
    assert data["format"] == "oacinsight.survey/1" and len(data["rows"]) == len(csv)
    assert res.to_dict()["rows"] == data["rows"]
    assert '<img src="data:image/png;base64,' in (tmp_path / "s.html").read_text()
    with pytest.raises(OacInsightError, match="cannot write"):
        res.write(tmp_path / "s.doc")
    assert "q2_safety" in res.text()


def test_cli_survey(survey, tmp_path) -> None:
    store, path, _ = survey
    out = tmp_path / "s.csv"
    args = [
        "survey",
        str(path),
        "--question",
        "q1_satisfaction",
        "--question",
        "q2_safety",
        "-o",
        str(out),
        "--positive",
        POSITIVE,
        "--weight",
        "weight",
        "--store",
        str(store),
    ]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    assert "wrote" in res.output and len(pd.read_csv(out)) == 2 * 10
    bad = runner.invoke(app, [*args[:-2], "--store", str(store), "--weight", "age_band"])
    assert bad.exit_code == 2
    assert bad.output.startswith("error: weight column 'age_band'")
    assert "Traceback" not in bad.output


def test_store_without_oac11_says_reingest(survey, tmp_path) -> None:
    store, path, _ = survey
    copy = tmp_path / "old.duckdb"
    shutil.copy(store, copy)
    from oacinsight.store import Store

    with Store(copy) as s:
        s.con.execute("UPDATE postcodes SET oac11 = NULL")
    with pytest.raises(OacInsightError, match="ingest the NSPL or ONSPD again"):
        survey_file(path, _opts(edition="2011"), store=copy)


def test_2011_names_are_loaded_by_ingest(tmp_path) -> None:
    from oacinsight.ingest import ingest
    from oacinsight.store import Store, oac11

    names = tmp_path / "oac2011_names.csv"
    names.write_text(
        "OAC11,Supergroup,Group,Subgroup\n1A1,Rural residents,Farming "
        "communities,Rural workers and families\n7D4,Constrained city "
        "dwellers,Ageing city dwellers,Retired city hardship\n"
    )
    with Store(tmp_path / "s.duckdb") as s:
        report = ingest([names], s)
        assert report.items[0].action == "loaded" and report.items[0].kind == "oac11_names"
        got = oac11.names(s.con)
    assert len(got) == 6
    assert got.set_index("code").loc["7D", "name"] == "Ageing city dwellers"
    assert got.set_index("code").loc["1", "name"] == "Rural residents"


def test_demo_writes_the_survey_outputs(demo, tmp_path) -> None:
    from oacinsight.demo._survey import run_demo_survey

    store, files = demo
    out = run_demo_survey(files, store, tmp_path)
    assert {"survey_input", "survey_csv", "survey_html", "survey_png"} <= out.keys()
    table = pd.read_csv(out["survey_csv"])
    assert len(table) == 2 * 10 and set(table["question"]) == {"q1_satisfaction", "q2_safety"}
    ps = table[table["code"] == "all_poststratified"]
    assert ps["note"].str.contains("100.0% of the residents").all()


def test_a_question_few_people_answered_is_hidden_whole(survey) -> None:
    store, path, _ = survey
    frame = pd.read_csv(path, dtype=str).head(8)
    pub = survey_frame(frame, _opts(), store=store).to_frame()
    assert pub["respondents"].isna().sum() + (pub["respondents"] == 0).sum() == len(pub)
    assert (pub.loc[pub["code"] == "all", "flag"] == "suppressed").all()
