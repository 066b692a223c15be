"""``profile`` end to end on Demoshire: counts from the store equal an independent count."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from oacinsight.errors import OacInsightError
from oacinsight.match import match_file
from oacinsight.profile.comparison import ComparisonResult
from oacinsight.profile.run import compare_file, profile_file


@pytest.fixture(scope="module")
def matched(demo, tmp_path_factory):
    store, files = demo
    out = tmp_path_factory.mktemp("prof") / "matched.parquet"
    match_file(files.customers, out, store=store)
    return out


def _independent(matched_path, files) -> pd.DataFrame:
    """Supergroup customers and residents, counted with pandas from the source files."""
    m = pd.read_parquet(matched_path)
    ok = m[m["match_status"].isin(["matched", "matched_terminated"])]
    oac = pd.read_parquet(files.oac_assignment)
    res = pd.read_parquet(files.census_dir / "ts001.parquet")[["OA", "ts0010001"]]
    base = oac.merge(res, left_on="Geography_Code", right_on="OA")
    base = base.groupby(base["Supergroup"].astype(str))["ts0010001"].sum()
    cust = ok.groupby("oac_supergroup").size()
    return pd.DataFrame({"customers": cust, "base": base}).fillna(0)


def test_supergroup_profile_matches_independent_count(demo, matched):
    store, files = demo
    result = profile_file(matched, store=store)
    t = result.table.set_index("code")
    want = _independent(matched, files)
    assert list(t.index) == [str(i) for i in range(1, 9)]
    for code, row in want.iterrows():
        assert t.loc[code, "customers"] == row["customers"]
        assert t.loc[code, "base"] == pytest.approx(row["base"])
        share_c = row["customers"] / want["customers"].sum()
        share_b = row["base"] / want["base"].sum()
        assert t.loc[code, "index"] == pytest.approx(100 * share_c / share_b)
    assert result.areas == [("E06000999", "Demoshire")]
    assert result.n_input == len(pd.read_parquet(matched))
    assert result.n_matched == want["customers"].sum() == result.n_in_area
    truth = json.loads(files.truth.read_text())
    assert (
        result.n_matched
        == truth["expected_status"]["matched"] + truth["expected_status"]["matched_terminated"]
    )
    assert result.unmatched["invalid_format"] == truth["expected_status"]["invalid_format"]


def test_raw_file_is_matched_on_the_fly_with_same_numbers(demo, matched):
    store, files = demo
    a = profile_file(matched, store=store, level="all").table
    b = profile_file(files.customers, store=store, level="all").table
    pd.testing.assert_frame_equal(a, b)
    assert set(a["level"]) == {"supergroup", "group", "subgroup"}
    for level in ("supergroup", "group", "subgroup"):
        part = a[a["level"] == level]
        assert part["customer_pct"].sum() == pytest.approx(100)
        assert part["base_pct"].sum() == pytest.approx(100)


def test_true_propensities_recovered(demo, matched):
    """The demo was drawn with known rates: each true index lies in its 95% interval,
    except at most one of eight (1 in 20 are expected outside)."""
    store, files = demo
    truth = json.loads(files.truth.read_text())["expected_index_by_supergroup"]
    t = profile_file(matched, store=store).table.set_index("code")
    inside = [t.loc[c, "index_low"] <= v <= t.loc[c, "index_high"] for c, v in truth.items()]
    assert sum(inside) >= 7


def test_households_base_and_file_base(demo, matched, tmp_path):
    store, files = demo
    hh = profile_file(matched, store=store, base="households").table
    ts041 = pd.read_parquet(files.census_dir / "ts041.parquet")
    assert hh.loc[hh["level"] == "supergroup", "base"].sum() == pytest.approx(
        ts041.iloc[:, 1].sum()
    )
    # another customer file as base: the same file gives an index of 100 everywhere
    same = profile_file(matched, store=store, base=str(matched)).table
    assert same["index"].round(9).eq(100).all()
    # counts per OA as base
    per_oa = tmp_path / "base.csv"
    pd.DataFrame({"oa21": ["E00999001"], "count": [50]}).to_csv(per_oa, index=False)
    one = profile_file(matched, store=store, base=str(per_oa)).table
    assert one["base"].sum() == 50


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"areas": ["E06000001"]}, "area code E06000001 is not known"),
        ({"level": "ward"}, "unknown level 'ward'"),
        ({"base": "nonsense"}, "--base 'nonsense'"),
    ],
)
def test_bad_options(demo, matched, kwargs, message):
    store, _ = demo
    with pytest.raises(OacInsightError, match=message):
        profile_file(matched, store=store, **kwargs)


def test_compare_file_is_what_profile_file_by_gives(demo, matched):
    store, _ = demo
    via_profile = profile_file(matched, store=store, period="contact_date", freq="quarter")
    direct = compare_file(matched, store=store, period="contact_date", freq="quarter")
    assert isinstance(direct, ComparisonResult) and isinstance(via_profile, ComparisonResult)
    assert len(direct.slices) >= 4  # the demo's customers span several quarters
    pd.testing.assert_frame_equal(direct.to_frame(), via_profile.to_frame())
    with pytest.raises(OacInsightError, match="give one of --by COLUMN or --period COLUMN"):
        compare_file(matched, store=store)
    with pytest.raises(OacInsightError, match="give one of --by COLUMN or --period COLUMN"):
        compare_file(matched, store=store, by="service", period="contact_date")


def test_nothing_matches(demo, tmp_path):
    store, _ = demo
    path = tmp_path / "none.csv"
    path.write_text("postcode\nXX1 1XX\nN/A\n\n")
    with pytest.raises(OacInsightError, match="none of the 3 rows matched an OAC group"):
        profile_file(path, store=store, postcode_column="postcode")


def test_suppressed_in_published_outputs(demo, tmp_path):
    store, files = demo
    small = tmp_path / "small.csv"
    rows = pd.read_csv(files.customers, dtype=str, keep_default_na=False).head(60)
    rows.to_csv(small, index=False)
    result = profile_file(small, store=store, level="group")
    out = result.write(tmp_path / "p.csv")
    pub = pd.read_csv(out)
    shown = pub["customers"].dropna()
    assert ((shown == 0) | (shown >= 10)).all()
    assert (pub["flag"] == "suppressed").sum() >= 1


def test_plain_language_summary(demo, matched):
    from oacinsight.profile.words import summarise

    store, _ = demo
    result = profile_file(matched, store=store)
    pub = result.published_frame()
    words = summarise(pub, result.base_name)
    top = pub[pub["flag"] == "over"].sort_values("index").iloc[-1]
    assert words[0].startswith(
        f"Customers are most over-represented in {top['name']}: index {top['index']:.0f}"
    )
    assert "Legacy Communities" in words[0] and "80% more than expected" in words[0]
    html = result.to_html()
    assert "What this shows" in html and "How to read it." in html
