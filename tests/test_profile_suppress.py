"""Disclosure control: primary and secondary suppression, and what gets published."""

from __future__ import annotations

import json

import numpy as np
import openpyxl
import pandas as pd
import pytest

from oacinsight.errors import OacInsightError
from oacinsight.profile import (
    SUPPRESSED_COLUMNS,
    ProfileResult,
    compute_profile,
    disclosure_sets,
    published_frame,
    suppression_mask,
)


def _mask(values: list[int], groups: list | None = None, threshold: int = 10) -> list[bool]:
    series = pd.Series(values)
    group_series = None if groups is None else pd.Series(groups, dtype=object)
    return suppression_mask(series, threshold=threshold, groups=group_series).tolist()


def test_nothing_hidden_when_all_at_or_above_threshold() -> None:
    assert _mask([10, 25, 300, 11]) == [False] * 4


def test_zero_is_shown() -> None:
    assert _mask([0, 15, 20, 0]) == [False] * 4


def test_single_small_cell_forces_the_next_smallest_non_zero() -> None:
    # 5 alone could be recovered from the total; 20 (not the 0) is hidden with it
    assert _mask([40, 5, 0, 20, 30]) == [False, True, False, True, False]


def test_two_small_cells_need_no_secondary() -> None:
    assert _mask([3, 4, 50, 60]) == [True, True, False, False]


def test_zero_hidden_only_when_nothing_else_is_left() -> None:
    assert _mask([5, 0, 0]) == [True, True, False]


def test_threshold_changes_what_is_small() -> None:
    assert _mask([12, 40, 50], threshold=20) == [True, True, False]
    assert _mask([3, 40, 50], threshold=0) == [False, False, False]


def test_sets_are_independent() -> None:
    # set a: 5 forces 30; set b has nothing small
    assert _mask([5, 30, 40, 1000, 2000], groups=["a", "a", "a", "b", "b"]) == [
        True, True, False, False, False,
    ]


def test_nested_secondary_crosses_tiers() -> None:
    # supergroups A=8, B=500; A's groups a1=8, a2=0; B's groups b1=200, b2=300
    values = [8, 500, 8, 0, 200, 300]
    groups = [
        ("sg", "famA"), ("sg", "famB"),
        ("grp", "famA"), ("grp", "famA"),
        ("grp", "famB"), ("grp", "famB"),
    ]
    # A and a1 are small; A alone at supergroup level forces B; B alone in its family
    # forces b1 (the smaller child), which also covers a1 at group level.
    assert _mask(values, groups) == [True, True, True, False, True, False]


def test_nested_profile_hides_a_sibling() -> None:
    rows = [
        ("supergroup", "1", "One", None, 155, 5000),
        ("supergroup", "2", "Two", None, 300, 5000),
        ("group", "1a", "a1", "1", 5, 1000),
        ("group", "1b", "a2", "1", 150, 4000),
        ("group", "2a", "b1", "2", 120, 2000),
        ("group", "2b", "b2", "2", 180, 3000),
    ]
    counts = pd.DataFrame(rows, columns=["level", "code", "name", "parent", "customers", "base"])
    table = compute_profile(counts)
    assert table.set_index("code")["flag"].eq("suppressed").to_dict() == {
        "1": False, "2": False, "1a": True, "1b": True, "2a": False, "2b": False,
    }


def test_three_tiers_family_sets() -> None:
    rows = [
        ("supergroup", "1", None), ("group", "1a", "1"), ("group", "1b", "1"),
        ("subgroup", "1a1", "1a"), ("subgroup", "1a2", None), ("subgroup", "1b1", "1b"),
    ]
    frame = pd.DataFrame(rows, columns=["level", "code", "parent"])
    sets = disclosure_sets(frame).tolist()
    assert sets[0] == (("level", "supergroup"), ("children", "supergroup", "1"))
    assert sets[1] == (
        ("level", "group"), ("children", "supergroup", "1"), ("children", "group", "1a"),
    )
    # a missing parent is derived from an OAC code
    assert sets[4] == (("level", "subgroup"), ("children", "group", "1a"))


def _random_nested(rng: np.random.Generator) -> pd.DataFrame:
    """Supergroup -> group -> subgroup counts that add up, many of them small."""
    rows = []
    for s in "1234":
        for g in "abc"[: rng.integers(1, 4)]:
            for k in "123"[: rng.integers(1, 4)]:
                n = int(rng.choice([0, rng.integers(1, 10), rng.integers(10, 80)]))
                rows.append(("subgroup", s + g + k, s + g, n, int(rng.integers(0, 900))))
    sub = pd.DataFrame(rows, columns=["level", "code", "parent", "customers", "base"])
    grp = sub.groupby("parent", as_index=False)[["customers", "base"]].sum()
    grp = grp.rename(columns={"parent": "code"}).assign(level="group")
    grp["parent"] = grp["code"].str[0]
    sg = grp.groupby("parent", as_index=False)[["customers", "base"]].sum()
    sg = sg.rename(columns={"parent": "code"}).assign(level="supergroup", parent=None)
    out = pd.concat([sg, grp, sub], ignore_index=True)
    out["name"] = "n" + out["code"]
    out.loc[0, "customers"] += 20  # never all zero
    return out


@pytest.mark.parametrize("seed", range(25))
def test_no_total_set_has_exactly_one_hidden_cell(seed: int) -> None:
    counts = _random_nested(np.random.default_rng(seed))
    table = compute_profile(counts)
    hidden = table["flag"].eq("suppressed").to_numpy()
    customers = table["customers"].to_numpy()
    assert hidden[(customers > 0) & (customers < 10)].all()
    members: dict[object, list[int]] = {}
    for pos, ids in enumerate(disclosure_sets(counts.sort_values("level", key=lambda s: s.map(
            {"supergroup": 0, "group": 1, "subgroup": 2}), kind="stable"))):
        for set_id in ids:
            members.setdefault(set_id, []).append(pos)
    for set_id, pos in members.items():
        assert hidden[pos].sum() != 1, set_id
    published = published_frame(table)["customers"].dropna()
    assert ((published == 0) | (published >= 10)).all()


def test_published_frame_blanks_only_suppressed_numbers() -> None:
    counts = pd.DataFrame({
        "level": "supergroup", "code": list("1234"), "name": list("abcd"), "parent": None,
        "customers": [4, 25, 0, 300], "base": [100, 2000, 500, 9000],
    })
    table = compute_profile(counts)
    assert table["flag"].tolist()[:2] == ["suppressed", "suppressed"]
    published = published_frame(table)
    for column in SUPPRESSED_COLUMNS:
        assert published.loc[:1, column].isna().all(), column
        assert published.loc[2:, column].notna().all(), column
    assert published["base"].tolist() == [100, 2000, 500, 9000]
    assert published["customers"].tolist()[2:] == [0, 300]
    assert table.loc[0, "customers"] == 4  # the in-memory table is untouched


@pytest.fixture
def result() -> ProfileResult:
    counts = pd.DataFrame({
        "level": "supergroup", "code": list("1234"),
        "name": ["=SUM(A1:A9)", "+44 lovers", "@home", "Plain"], "parent": None,
        "customers": [7, 23, 0, 300], "base": [100, 2000, 500, 9000],
    })
    return ProfileResult.from_counts(
        counts, level="supergroup", base_name="-residents", areas=[("E06000019", "=Here")],
        n_input=400, n_matched=330, n_in_area=330, unmatched={"not_found": 70},
    )


def test_every_writer_publishes_blanks(result: ProfileResult, tmp_path) -> None:
    csv = pd.read_csv(result.write(tmp_path / "p.csv"))
    assert csv.loc[:1, "customers"].isna().all() and csv.loc[:1, "index"].isna().all()
    assert csv["customers"].tolist()[2:] == [0, 300]
    rows = json.loads(result.write(tmp_path / "p.json").read_text())["rows"]
    assert [r["customers"] for r in rows] == [None, None, 0, 300]
    assert rows[0]["penetration_per_1000"] is None and rows[3]["index"] > 0
    sheet = openpyxl.load_workbook(result.write(tmp_path / "p.xlsx"))["profile"]
    assert [c.value for c in sheet["D"]][1:] == [None, None, 0, 300]
    html = result.write(tmp_path / "p.html").read_text()
    assert "<td>7</td>" not in html and "<td>23</td>" not in html
    pd.testing.assert_frame_equal(result.to_frame(), result.published_frame())


def test_csv_and_xlsx_neutralise_formulas(result: ProfileResult, tmp_path) -> None:
    csv = pd.read_csv(result.write(tmp_path / "p.csv"))
    assert csv["name"].tolist() == ["'=SUM(A1:A9)", "'+44 lovers", "'@home", "Plain"]
    book = openpyxl.load_workbook(result.write(tmp_path / "p.xlsx"))
    assert book.sheetnames == ["profile", "about"]
    assert [c.value for c in book["profile"]["C"]][1:] == [
        "'=SUM(A1:A9)", "'+44 lovers", "'@home", "Plain",
    ]
    about = dict(book["about"].iter_rows(min_row=2, values_only=True))
    assert about["base_name"] == "'-residents"
    assert about["area E06000019"] == "'=Here"
    assert about["n_input"] == 400 and about["suppress_below"] == 10
    assert book["profile"]["K"][3].value < 0  # negative z of the zero row stays a number


def test_json_is_strict_and_has_metadata(result: ProfileResult) -> None:
    payload = result.to_json()
    text = json.dumps(payload, allow_nan=False)
    back = json.loads(text)
    assert back["match_rate"] == pytest.approx(330 / 400)
    assert back["unmatched"] == {"not_found": 70}
    assert back["areas"] == [{"code": "E06000019", "name": "=Here"}]
    assert back["columns"][-1] == "flag" and len(back["rows"]) == 4
    assert result.match_rate == pytest.approx(0.825)


def test_unknown_suffix_and_bad_inputs_raise(result: ProfileResult, tmp_path) -> None:
    with pytest.raises(OacInsightError, match=r"cannot write a profile as '\.txt'"):
        result.write(tmp_path / "p.txt")
    with pytest.raises(OacInsightError, match="threshold"):
        suppression_mask(pd.Series([1, 2]), threshold=-1)
    with pytest.raises(OacInsightError, match="not negative"):
        suppression_mask(pd.Series([1, -2]))
    with pytest.raises(OacInsightError, match="unknown profile level"):
        ProfileResult(result.table, "ward", "x", [], 0, 0, 0, {}, 0.95, 10)
