"""A realistic synthetic survey of Wigan made from the real ONS data in ../shared/data:
real live postcodes and output areas, real OAC 2021 supergroups and Census 2021
residents, known satisfaction per supergroup, unequal response, design weights.  The
shares, the post-stratified share and the representation index must recover the truth;
the 2011 edition must agree with an independent count from the NSPL's ``oac11``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from tests.conftest import need_shared

from oacinsight.demo._survey import POSITIVE, synthetic_survey
from oacinsight.errors import InputFileError
from oacinsight.survey import SurveyOptions, survey_file, survey_frame

pytestmark = pytest.mark.realdata
WIGAN = "E08000010"


@pytest.fixture(scope="module")
def wigan(tmp_path_factory):
    """(survey csv, truth, live Wigan postcodes of the NSPL, residents per OA)."""
    nspl = pd.read_csv(
        need_shared("postcodes", "NSPL_NOV_2021_UK_WN.csv"),
        dtype=str,
        usecols=["pcds", "doterm", "oa11", "laua", "oac11"],
    )
    live = nspl[nspl["doterm"].isna() & (nspl["laua"] == WIGAN)]
    oac = pd.read_parquet(need_shared("oac", "oac2021_uk_oa.parquet"))
    census = pd.read_parquet(need_shared("census2021_oa", "ts001.parquet"))
    residents = census.set_index("OA")["ts0010001"]
    residents = residents[residents.index.isin(set(live["oa11"]))]
    residents.attrs["supergroup"] = oac.set_index("Geography_Code")["Supergroup"].astype(str)
    rng = np.random.Generator(np.random.PCG64(11))
    frame, truth = synthetic_survey(
        rng, live.rename(columns={"oa11": "oa"})[["pcds", "oa"]], residents, 8000
    )
    path = tmp_path_factory.mktemp("wigan") / "wigan_survey.csv"
    frame.to_csv(path, index=False)
    return path, truth, live, residents


def _opts(**kw) -> SurveyOptions:
    return SurveyOptions(
        **{"questions": ("q1_satisfaction",), "positive": POSITIVE, "weight": "weight", **kw}
    )


def test_real_wigan_survey_recovers_the_truth(wigan, real_store_path) -> None:
    path, truth, _, _ = wigan
    result = survey_file(path, _opts(), store=real_store_path)
    assert result.areas[0][0] == WIGAN and len(result.areas) == 1
    t = result.to_frame().set_index("code")
    for code, share in truth["share_by_supergroup"].items():
        row = t.loc[code]
        assert row["resident_share"] == pytest.approx(truth["resident_share"][code], abs=0.01)
        if row["respondents"] >= 100:
            assert abs(row["share"] - share) < 0.06, (code, row["share"], share)
            assert row["share_low"] - 0.02 < share < row["share_high"] + 0.02
            assert row["representation_index"] == pytest.approx(
                truth["representation_index"][code], rel=0.15
            )
        elif row["respondents"] < 30:  # Wigan: supergroups 3, 4, 5 are about 0.3% each
            assert "low_n" in row["flag"] or row["flag"] == "suppressed"
    error_ps = abs(t.loc["all_poststratified", "share"] - truth["overall_share"])
    error_raw = abs(t.loc["all", "share"] - truth["overall_share"])
    assert error_ps < 0.02 < error_raw
    # the real files hold part of Wigan and no area names: the outputs say so
    partial = [n for n in result.notes if n.startswith(f"partial: {WIGAN}:")]
    assert len(partial) == 1 and "post-stratified shares cover the loaded part only" in partial[0]
    assert any(f"no area names loaded for {WIGAN} (codes shown)" in n for n in result.notes)
    assert all(n in result.text() for n in result.notes)


def test_real_2011_edition_matches_an_independent_count(wigan, real_store_path) -> None:
    path, _, live, residents = wigan
    result = survey_file(path, _opts(edition="2011"), store=real_store_path)
    t = result.table[result.table["level"] == "supergroup"].set_index("code")
    assert t.loc["8", "name"] == "Hard-pressed living"  # names from oac2011_names.csv
    survey = pd.read_csv(path, dtype=str, keep_default_na=False)
    answered = ~survey["q1_satisfaction"].str.contains("dont_know") & (
        survey["q1_satisfaction"].str.strip() != ""
    )
    pc11 = dict(zip(live["pcds"], live["oac11"], strict=True))
    expected = survey.loc[answered, "postcode"].map(pc11).str[0].value_counts()
    got = t["respondents"][t["respondents"] > 0]
    assert got.sort_index().to_dict() == expected.sort_index().to_dict()
    oa11 = live.groupby("oa11")["oac11"].agg(lambda s: s.mode().iloc[0]).str[0]
    res11 = residents.groupby(oa11.reindex(residents.index)).sum()
    share = res11 / res11.sum()
    for code, value in share.items():
        assert t.loc[code, "resident_share"] == pytest.approx(value, abs=0.01)


def test_real_2011_names_are_refused_as_2021(wigan, real_store_path) -> None:
    path, _, _, _ = wigan
    frame = pd.read_csv(path, dtype=str).head(200)
    frame["supergroup"] = np.resize(["Hard-pressed living", "Suburbanites", "Urbanites"], 200)
    with pytest.raises(InputFileError, match=r"OAC 2011 codes or names.*--edition 2011"):
        survey_frame(frame, _opts(group_column="supergroup"), store=real_store_path)
    ok = survey_frame(
        frame,
        _opts(group_column="supergroup", edition="2011", areas=(WIGAN,)),
        store=real_store_path,
    )
    assert set(ok.table.loc[ok.table["level"] == "supergroup", "code"]) >= {"8", "6", "5"}


def test_stray_respondents_do_not_widen_the_area(wigan, real_store_path, tmp_path) -> None:
    """20 respondents in West Lancashire (0.25%) keep the area Wigan; they count in the
    shares, not in the representation index."""
    path, _, _, _ = wigan
    nspl = pd.read_csv(
        need_shared("postcodes", "NSPL_NOV_2021_UK_WN.csv"),
        dtype=str,
        usecols=["pcds", "doterm", "laua"],
    )
    west_lancs = nspl[nspl["doterm"].isna() & (nspl["laua"] == "E07000127")]["pcds"]
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    extra = frame.head(20).assign(postcode=west_lancs.head(20).to_numpy(), q1_satisfaction="4_good")
    both = pd.concat([frame, extra], ignore_index=True)
    result = survey_frame(both, _opts(), store=real_store_path)
    assert [c for c, _ in result.areas] == [WIGAN]
    t = result.table[result.table["level"] == "supergroup"]
    alone = survey_file(path, _opts(), store=real_store_path).table
    alone = alone[alone["level"] == "supergroup"]
    assert t["respondents"].sum() == alone["respondents"].sum() + 20
    assert t["respondent_share"].sum() == pytest.approx(1.0)
    pd.testing.assert_series_equal(
        t["respondent_share"].reset_index(drop=True),
        alone["respondent_share"].reset_index(drop=True),
    )
