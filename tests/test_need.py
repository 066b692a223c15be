"""``oacinsight need`` on Demoshire: outputs and their columns, rates applied from a
file, a survey as the source, and bad input refused with one line."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from oacinsight.cli import app
from oacinsight.errors import InputFileError
from oacinsight.need import NeedOptions, TargetRules, need_file

runner = CliRunner()
LAD = "E06000999"


@pytest.fixture(scope="module")
def run(demo, tmp_path_factory):
    store, files = demo
    out = tmp_path_factory.mktemp("need") / "out"
    res = runner.invoke(
        app,
        [
            "need",
            str(files.customers),
            "-o",
            str(out),
            "--store",
            str(store),
            "--level",
            "group",
            "--top",
            "5",
        ],
    )
    assert res.exit_code == 0, res.output
    return out, res.output


def test_names_note_names_only_what_lacks_names(run):
    """Demoshire's district and ward names are ingested, its LSOA names not: the note
    says codes are shown for LSOAs only."""
    _, text = run
    lines = [line for line in text.splitlines() if "codes shown" in line]
    assert lines == [
        "note: names: no names loaded for some LSOAs (codes shown); ingest the ONS names "
        "and codes files to see them"
    ]


def test_outputs_and_contract_columns(run):
    out, text = run
    for name in (
        "rates.csv",
        "expected.csv",
        "targets.csv",
        "gains.csv",
        "need.xlsx",
        "need.html",
        "need.json",
        "gains.png",
        "map.png",
        "target_postcodes.csv",
    ):
        assert (out / name).stat().st_size > 0, name
    rates = pd.read_csv(out / "rates.csv", dtype={"code": str})
    assert list(rates.columns[:8]) == [
        "code",
        "name",
        "customers",
        "base",
        "rate",
        "rate_low",
        "rate_high",
        "rate_shrunk",
    ]
    e = pd.read_csv(out / "expected.csv")
    assert list(e.columns[:12]) == [
        "area_code",
        "area_type",
        "name",
        "residents",
        "expected",
        "expected_low",
        "expected_high",
        "observed",
        "ratio",
        "ratio_low",
        "ratio_high",
        "shortfall",
    ]
    assert set(e["area_type"]) == {"oa", "lsoa", "ward", "lad"}
    assert (e["expected_low"] <= e["expected"]).all()
    assert (e["expected"] <= e["expected_high"]).all()
    shown = rates["customers"].dropna()
    assert ((shown == 0) | (shown >= 10)).all()
    assert rates["customers"].isna().any()  # Demoshire has small subgroups
    t = pd.read_csv(out / "targets.csv")
    assert t["rank"].tolist() == [1, 2, 3, 4, 5]
    assert "contact 20% of households" in text
    assert "gains curve" in (out / "need.html").read_text()
    payload = json.loads((out / "need.json").read_text())
    assert payload["format"] == "oacinsight.need/1" and len(payload["targets"]) == 5


def test_expected_matches_rates_times_base(run):
    out, _ = run
    e = pd.read_csv(out / "expected.csv")
    r = pd.read_csv(out / "rates.csv", dtype={"code": str})
    groups = r[r["level"] == "group"]
    lad = e[e["area_type"] == "lad"].iloc[0]
    assert lad["expected"] == pytest.approx((groups["base"] * groups["rate_shrunk"]).sum())
    assert lad["residents"] == groups["base"].sum()


def test_rates_file_applied(demo, run, tmp_path):
    store, _ = demo
    out, _ = run
    applied = need_file(
        None, NeedOptions(areas=(LAD,), rates=str(out / "rates.csv"), draw_map=False), store=store
    )
    e = pd.read_csv(out / "expected.csv")
    mine = applied.expected.set_index(["area_type", "area_code"])["expected"]
    theirs = e.set_index(["area_type", "area_code"])["expected"]
    assert mine.reindex(theirs.index).to_numpy() == pytest.approx(theirs.to_numpy(), rel=1e-9)
    assert not [n for n in applied.notes if n.startswith("warning")]
    skewed = pd.read_csv(out / "rates.csv", dtype={"code": str})
    skewed.loc[skewed["code"].str.startswith(("1", "2")), "base"] *= 20
    skewed.to_csv(tmp_path / "skewed.csv", index=False)
    warned = need_file(
        None,
        NeedOptions(areas=(LAD,), rates=str(tmp_path / "skewed.csv"), draw_map=False),
        store=store,
    )
    assert any("index of dissimilarity" in n for n in warned.notes)


def test_observed_by_ward_codes(demo, run, tmp_path):
    store, files = demo
    out, _ = run
    e = pd.read_csv(out / "expected.csv")
    wards = e[e["area_type"] == "ward"].sort_values("area_code")
    obs = pd.DataFrame({"ward": wards["area_code"], "count": np.round(wards["expected"] * 0.9)})
    obs.iloc[0, 1] = round(wards["expected"].iloc[0] * 0.3)  # a planted shortfall
    obs.to_csv(tmp_path / "obs.csv", index=False)
    res = need_file(
        files.customers,
        NeedOptions(
            observed=str(tmp_path / "obs.csv"),
            rules=TargetRules(area_type="ward", top=3),
            draw_map=False,
        ),
        store=store,
    )
    assert res.targets["area_code"].iloc[0] == wards["area_code"].iloc[0]
    lad = res.expected[res.expected["area_type"] == "lad"].iloc[0]
    assert lad["observed"] == obs["count"].sum()
    assert res.gains["lift_shortfall"].iloc[0] > 1


def test_survey_as_source(demo, tmp_path):
    from oacinsight.demo._survey import POSITIVE, write_demo_survey
    from oacinsight.survey import SurveyOptions, survey_file

    store, files = demo
    path = tmp_path / "survey.csv"
    write_demo_survey(
        files.postcode_directory, files.oac_assignment, files.census_dir / "ts001.parquet", path
    )
    res = need_file(
        path,
        NeedOptions(
            level="supergroup",
            survey_question="q1_satisfaction",
            positive=POSITIVE,
            weight="weight",
            draw_map=False,
        ),
        store=store,
    )
    sv = survey_file(
        path,
        SurveyOptions(questions=("q1_satisfaction",), positive=POSITIVE, weight="weight"),
        store=store,
    ).table
    sv = sv[sv["level"] == "supergroup"].set_index("code")
    r = res.rates.set_index("code")
    assert r["rate"].to_numpy() == pytest.approx(sv.loc[r.index, "share"].to_numpy())
    lad = res.expected[res.expected["area_type"] == "lad"].iloc[0]
    # expected = Σ residents of the group × shrunk share (the survey's base is its
    # effective sample size; the expected demand uses the census residents)
    residents = res.oas.groupby("supergroup")["base"].sum()
    assert lad["expected"] == pytest.approx((residents * r["rate_shrunk"]).sum())


def test_bad_input_one_line_errors(demo, run, tmp_path):
    store, files = demo
    out, _ = run
    e = pd.read_csv(out / "expected.csv")
    wards = sorted(e.loc[e["area_type"] == "ward", "area_code"])
    oas = pd.read_csv(out / "expected.csv")
    # observed OA codes outside the chosen ward
    inside = need_file(files.customers, NeedOptions(areas=(wards[0],), draw_map=False), store=store)
    elsewhere = sorted(set(oas.loc[oas["area_type"] == "oa", "area_code"]) - set(inside.oas["oa"]))[
        :3
    ]
    pd.DataFrame({"oa": elsewhere}).to_csv(tmp_path / "obs.csv", index=False)
    with pytest.raises(InputFileError, match="outside the chosen area"):
        need_file(
            files.customers,
            NeedOptions(areas=(wards[0],), draw_map=False, observed=str(tmp_path / "obs.csv")),
            store=store,
        )
    # zero base in a group: a base file covering only some output areas
    some = inside.oas[inside.oas["supergroup"] != inside.oas["supergroup"].iloc[0]]
    some[["oa", "base"]].to_csv(tmp_path / "base.csv", index=False)
    with pytest.raises(InputFileError, match="zero base"):
        need_file(
            files.customers,
            NeedOptions(areas=(wards[0],), draw_map=False, base=str(tmp_path / "base.csv")),
            store=store,
        )
    # rates of the other OAC edition, and unknown codes, through the CLI
    pd.DataFrame({"code": ["1A", "2B"], "rate": [0.1, 0.2]}).to_csv(
        tmp_path / "r11.csv", index=False
    )
    pd.DataFrame({"code": ["1a", "9z"], "rate": [0.1, 0.2]}).to_csv(
        tmp_path / "rx.csv", index=False
    )
    for name, message in (("r11.csv", "2011 OAC code"), ("rx.csv", "unknown OAC 2021 code")):
        lines = _refused("--rates", str(tmp_path / name), "--area", LAD, *_out(tmp_path, store))
        assert len(lines) == 1 and lines[0].startswith("error:") and message in lines[0]
    res = runner.invoke(
        app,
        [
            "need",
            str(files.customers),
            "--rates",
            str(tmp_path / "rx.csv"),
            "-o",
            str(tmp_path / "x"),
            "--store",
            str(store),
        ],
    )
    assert res.exit_code == 2 and "not both" in res.output


def _out(tmp_path, store) -> tuple[str, ...]:
    """The output folder and store options of a refused run."""
    return ("-o", str(tmp_path / "x"), "--store", str(store))


def _refused(*args: str) -> list[str]:
    """``oacinsight need ARGS``, which must exit 2: the lines it printed."""
    res = runner.invoke(app, ["need", *args])
    assert res.exit_code == 2, res.output
    return res.output.strip().splitlines()


def test_demo_need_plants_wards_on_top(demo, tmp_path):
    from oacinsight.demo._need import PLANTED_WARDS, run_demo_need, write_claimants
    from oacinsight.match import match_file

    store, files = demo
    matched = tmp_path / "matched.csv"
    match_file(files.customers, matched, store=store)
    planted = write_claimants(matched, tmp_path / "c.csv")
    out = run_demo_need(matched, store, tmp_path)
    targets = pd.read_csv(out["need_targets"])
    assert set(targets["area_code"][:PLANTED_WARDS]) == set(planted)
    # the take-up planted there (0.4 against 0.9), in the unsuppressed result: the
    # published ratio may be hidden, as the claimants' OA counts are audited jointly
    # with a profile of the same claimants (docs/need.md, disclosure control)
    options = NeedOptions(
        observed=str(tmp_path / "need_claimants.csv"),
        rules=TargetRules(area_type="ward", top=5),
        draw_map=False,
    )
    raw = need_file(matched, options, store=store).expected.set_index("area_code")
    assert raw.loc[planted, "ratio"].between(0.3, 0.5).all()
    assert "Campaign reach" in out["need_html"].read_text()


@pytest.mark.parametrize("value", ["1e300", "inf", "200000000"])
def test_implausible_observed_counts_refused(demo, run, tmp_path, value):
    """A count no area can hold (another unit, 1e300, infinity) is refused in one line,
    given per area code or per postcode with a count column."""
    store, files = demo
    out, _ = run
    e = pd.read_csv(out / "expected.csv")
    ward = sorted(e.loc[e["area_type"] == "ward", "area_code"])[0]
    postcode = pd.read_csv(files.customers, dtype=str)["postcode"].iloc[0]
    by_code = pd.DataFrame({"ward": [ward], "count": [value]})
    by_postcode = pd.DataFrame({"postcode": [postcode], "count": [value]})
    for name, frame in (("code.csv", by_code), ("pc.csv", by_postcode)):
        frame.to_csv(tmp_path / name, index=False)
        observed = ("--observed", str(tmp_path / name), "--observed-count", "count")
        lines = _refused(str(files.customers), *observed, "--area", LAD, *_out(tmp_path, store))
        assert len(lines) == 1 and "more than 100,000,000 people" in lines[0], lines


def test_observed_audit_reports_progress(demo, run, tmp_path):
    """The joint audit of the observed counts (long for a district) is reported as a
    task that starts and finishes; without observed counts nothing is reported."""
    store, files = demo
    out, _ = run
    e = pd.read_csv(out / "expected.csv")
    oas = e.loc[e["area_type"] == "oa", "area_code"].tolist()[:40]
    pd.DataFrame({"oa": oas, "count": [3] * len(oas)}).to_csv(tmp_path / "obs.csv", index=False)
    steps = []
    opt = NeedOptions(
        areas=(LAD,), draw_map=False, observed=str(tmp_path / "obs.csv"), progress=steps.append
    )
    need_file(files.customers, opt, store=store)
    tasks = [s for s in steps if s.task.startswith("checking that no hidden observed count")]
    assert tasks[0].done == 0 and tasks[-1].finished
    steps.clear()
    need_file(
        files.customers,
        NeedOptions(areas=(LAD,), draw_map=False, progress=steps.append),
        store=store,
    )
    assert steps == []
