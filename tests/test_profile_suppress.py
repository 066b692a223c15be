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
    published_frame,
    suppression_mask,
    table_hierarchy,
)
from oacinsight.profile.audit import Hierarchy, cell_ranges


def _mask(values: list[int], threshold: int = 10) -> list[bool]:
    return suppression_mask(pd.Series(values), threshold=threshold).tolist()


def test_nothing_hidden_when_all_at_or_above_threshold() -> None:
    assert _mask([10, 25, 300, 11]) == [False] * 4


def test_zeros_are_hidden_like_other_small_counts() -> None:
    # the two zeros alone would add up to 0 = 35 - 15 - 20: the audit hides 15 too
    assert _mask([0, 15, 20, 0]) == [True, True, False, True]


def test_two_hidden_cells_with_room_need_no_secondary() -> None:
    # 5 + 0 = 5 is known, but each can be anything from 0 to 5: six values
    assert _mask([40, 5, 0, 20, 30]) == [False, True, True, False, False]


def test_single_small_cell_forces_the_next_smallest() -> None:
    assert _mask([40, 5, 50, 20, 30]) == [False, True, False, True, False]


def test_hidden_cells_adding_up_to_too_little_force_another() -> None:
    # 1 + 1 = 2 would leave each hidden cell 0, 1 or 2: three values, too few
    assert _mask([1, 1, 50, 60]) == [True, True, True, False]
    assert _mask([3, 4, 50, 60]) == [True, True, False, False]


def test_threshold_changes_what_is_small() -> None:
    assert _mask([12, 40, 50], threshold=20) == [True, True, False]
    assert _mask([3, 40, 50], threshold=0) == [False, False, False]
    assert _mask([0, 40, 50], threshold=1) == [False, False, False]


def test_nested_secondary_crosses_tiers() -> None:
    # supergroups A=8, B=500; A's groups a1=8, a2=0; B's groups b1=200, b2=300
    values = pd.Series([8, 500, 8, 0, 200, 300])
    hierarchy = Hierarchy.nested([0, 0, 1, 1, 1, 1], [-1, -1, 0, 0, 1, 1])
    # A = 508 - B: B is hidden; B = b1 + b2 still gives A, so b1 (smaller) goes too
    assert suppression_mask(values, hierarchy=hierarchy).tolist() == [
        True,
        True,
        True,
        True,
        True,
        False,
    ]


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
        "1": False,
        "2": False,
        "1a": True,
        "1b": True,
        "2a": False,
        "2b": False,
    }


def test_three_tiers_hierarchy() -> None:
    rows = [
        ("supergroup", "1", None),
        ("group", "1a", "1"),
        ("group", "1b", "1"),
        ("subgroup", "1a1", "1a"),
        ("subgroup", "1a2", None),
        ("subgroup", "1b1", "1b"),
    ]
    frame = pd.DataFrame(rows, columns=["level", "code", "parent"])
    h = table_hierarchy(frame)
    # a missing parent is derived from an OAC code; leaves are the subgroups
    assert h.parent.tolist() == [-1, 0, 0, 1, 1, 2]
    assert h.leaves.tolist() == [3, 4, 5]
    assert h.members.tolist() == [
        [1, 1, 1],
        [1, 1, 0],
        [0, 0, 1],
        [1, 0, 0],
        [0, 1, 0],
        [0, 0, 1],
    ]
    assert h.consistent(np.array([9.0, 5, 4, 2, 3, 4]))
    assert not h.consistent(np.array([9.0, 5, 4, 2, 2, 4]))


def _random_nested(rng: np.random.Generator) -> pd.DataFrame:
    """Supergroup -> group -> subgroup counts that add up, many of them small."""
    rows = []
    for s in "1234":
        for g in "abc"[: rng.integers(1, 4)]:
            for k in "123"[: rng.integers(1, 4)]:
                n = int(rng.choice([0, rng.integers(1, 10), rng.integers(10, 80)]))
                rows.append(("subgroup", s + g + k, s + g, n, int(rng.integers(0, 900))))
    sub = pd.DataFrame(rows, columns=["level", "code", "parent", "customers", "base"])
    sub.loc[0, "customers"] += 20  # never all zero
    grp = sub.groupby("parent", as_index=False)[["customers", "base"]].sum()
    grp = grp.rename(columns={"parent": "code"}).assign(level="group")
    grp["parent"] = grp["code"].str[0]
    sg = grp.groupby("parent", as_index=False)[["customers", "base"]].sum()
    sg = sg.rename(columns={"parent": "code"}).assign(level="supergroup", parent=None)
    out = pd.concat([sg, grp, sub], ignore_index=True)
    out["name"] = "n" + out["code"]
    return out


@pytest.mark.parametrize("seed", range(10))
def test_every_hidden_cell_keeps_four_values(seed: int) -> None:
    counts = _random_nested(np.random.default_rng(seed))
    table = compute_profile(counts)
    hidden = table["flag"].eq("suppressed").to_numpy()
    customers = table["customers"].to_numpy(dtype=float)
    assert hidden[customers < 10].all()
    order = counts.sort_values(
        "level", key=lambda s: s.map({"supergroup": 0, "group": 1, "subgroup": 2}), kind="stable"
    )
    ranges = cell_ranges(customers, hidden, table_hierarchy(order), np.flatnonzero(hidden))
    for cell, (low, high) in ranges.items():
        assert low <= customers[cell] <= high
        assert high - low >= 3, (table.loc[cell, "code"], low, high)
    published = published_frame(table)["customers"].dropna()
    assert (published >= 10).all()


def test_published_frame_blanks_only_suppressed_numbers() -> None:
    counts = pd.DataFrame(
        {
            "level": "supergroup",
            "code": list("1234"),
            "name": list("abcd"),
            "parent": None,
            "customers": [4, 0, 25, 300],
            "base": [100, 2000, 500, 9000],
        }
    )
    table = compute_profile(counts)
    assert table["flag"].tolist()[:2] == ["suppressed", "suppressed"]
    published = published_frame(table)
    for column in SUPPRESSED_COLUMNS:
        assert published.loc[:1, column].isna().all(), column
        assert published.loc[2:, column].notna().all(), column
    assert published["base"].tolist() == [100, 2000, 500, 9000]
    assert published["customers"].tolist()[2:] == [25, 300]
    assert table.loc[0, "customers"] == 4  # the in-memory table is untouched


@pytest.fixture
def result() -> ProfileResult:
    counts = pd.DataFrame(
        {
            "level": "supergroup",
            "code": list("1234"),
            "name": ["=SUM(A1:A9)", "+44 lovers", "@home", "Plain"],
            "parent": None,
            "customers": [7, 12, 23, 300],
            "base": [100, 2000, 5000, 9000],
        }
    )
    return ProfileResult.from_counts(
        counts,
        level="supergroup",
        base_name="-residents",
        areas=[("E06000019", "=Here")],
        n_input=400,
        n_matched=330,
        n_in_area=330,
        unmatched={"not_found": 70},
    )


def test_every_writer_publishes_blanks(result: ProfileResult, tmp_path) -> None:
    csv = pd.read_csv(result.write(tmp_path / "p.csv"))
    assert csv.loc[:1, "customers"].isna().all() and csv.loc[:1, "index"].isna().all()
    assert csv["customers"].tolist()[2:] == [23, 300]
    rows = json.loads(result.write(tmp_path / "p.json").read_text())["rows"]
    assert [r["customers"] for r in rows] == [None, None, 23, 300]
    assert rows[0]["penetration_per_1000"] is None and rows[3]["index"] > 0
    sheet = openpyxl.load_workbook(result.write(tmp_path / "p.xlsx"))["profile"]
    assert [c.value for c in sheet["D"]][1:] == [None, None, 23, 300]
    html = result.write(tmp_path / "p.html").read_text()
    assert "<td>7</td>" not in html and "<td>12</td>" not in html
    pd.testing.assert_frame_equal(result.to_frame(), result.published_frame())


def test_csv_and_xlsx_neutralise_formulas(result: ProfileResult, tmp_path) -> None:
    csv = pd.read_csv(result.write(tmp_path / "p.csv"))
    assert csv["name"].tolist() == ["'=SUM(A1:A9)", "'+44 lovers", "'@home", "Plain"]
    book = openpyxl.load_workbook(result.write(tmp_path / "p.xlsx"))
    assert book.sheetnames == ["profile", "about"]
    assert [c.value for c in book["profile"]["C"]][1:] == [
        "'=SUM(A1:A9)",
        "'+44 lovers",
        "'@home",
        "Plain",
    ]
    about = dict(book["about"].iter_rows(min_row=2, values_only=True))
    assert about["base_name"] == "'-residents"
    assert about["area E06000019"] == "'=Here"
    assert about["n_input"] == 400 and about["suppress_below"] == 10
    assert book["profile"]["K"][3].value < 0  # a negative z stays a number


def test_json_is_strict_and_has_metadata(result: ProfileResult) -> None:
    payload = result.to_json()
    text = json.dumps(payload, allow_nan=False)
    back = json.loads(text)
    assert back["match_rate"] == pytest.approx(330 / 400)
    # every status is published, zeros too: the three hidden zeros beside 70 would be
    # known (70 - 70 = 0) unless 70 is hidden as well
    assert back["unmatched"] == dict.fromkeys(("not_found", "invalid_format", "missing", "no_oac"))
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


@pytest.mark.parametrize("seed", range(5))
def test_one_level_rule_agrees_with_the_integer_programme(seed: int) -> None:
    """A single level is audited directly; the ILP confirms every hidden cell's range."""
    rng = np.random.default_rng(seed)
    values = rng.choice([0, 1, 2, 5, 9, 12, 30, 80], size=12)
    hidden = suppression_mask(pd.Series(values)).to_numpy()
    assert hidden[values < 10].all()
    ranges = cell_ranges(values.astype(float), hidden, Hierarchy.flat(12), np.flatnonzero(hidden))
    assert all(high - low >= 3 for low, high in ranges.values())


def _with_unmatched(unmatched: dict[str, int], n_matched: int = 330) -> ProfileResult:
    counts = pd.DataFrame(
        {"level": "supergroup", "code": ["1", "2"], "name": ["A", "B"], "parent": None,
         "customers": [30, n_matched - 30], "base": [1000, 9000]}
    )  # fmt: skip
    return ProfileResult.from_counts(
        counts,
        level="supergroup",
        base_name="residents",
        areas=[("E06000019", "Here")],
        n_input=n_matched + sum(unmatched.values()),
        n_matched=n_matched,
        n_in_area=n_matched,
        unmatched=unmatched,
    )


def test_small_unmatched_counts_are_hidden_in_every_output(tmp_path) -> None:
    """3 rows of one status (say, postcodes with no OAC group: customers living outside
    the classification's coverage) are a small count of people: hidden everywhere,
    with enough hidden beside them that rows read - rows matched - shown statuses
    cannot give them back."""
    result = _with_unmatched({"not_found": 67, "no_oac": 3})
    hidden = "hidden (fewer than 10, or protecting one)"
    published = {"not_found": 67, "invalid_format": None, "missing": None, "no_oac": None}
    assert result.published_unmatched() == published
    meta = json.loads(result.write(tmp_path / "p.json").read_text())
    assert meta["unmatched"] == published and meta["unmatched_text"]["no_oac"] == hidden
    assert meta["n_input"] - meta["n_matched"] - 67 == 3  # shared by 3 hidden cells: 0-3 each
    about = dict(
        openpyxl.load_workbook(result.write(tmp_path / "p.xlsx"))["about"].iter_rows(
            min_row=2, values_only=True
        )
    )
    assert about["unmatched: not_found"] == "67" and about["unmatched: no_oac"] == hidden
    html = result.write(tmp_path / "p.html").read_text()
    assert f"no_oac: {hidden}" in html and "no_oac: 3" not in html
    assert f"not matched: not_found 67, invalid_format {hidden}" in result.text()
    # the example of the review: one status alone, 3 rows
    alone = _with_unmatched({"missing": 3}).published_unmatched()
    assert alone == dict.fromkeys(("not_found", "invalid_format", "missing", "no_oac"))
    # large counts are published exactly
    big = {"not_found": 150, "invalid_format": 40, "missing": 30, "no_oac": 12}
    assert _with_unmatched(big).published_unmatched() == big


def test_hidden_unmatched_counts_cannot_be_recovered_by_differencing() -> None:
    """Simulated attacker: given rows read, rows matched and the shown statuses, every
    hidden status can take at least 4 values (0 up to the rest of the total), or the
    total not matched is below 3 (then no pattern can help; the profile's own rule)."""
    rng = np.random.default_rng(11)
    statuses = ("not_found", "invalid_format", "missing", "no_oac")
    for _ in range(300):
        drawn = rng.choice([0, 1, 2, 3, 5, 9, 10, 11, 25, 200], size=4)
        result = _with_unmatched(dict(zip(statuses, map(int, drawn), strict=True)))
        shown = result.published_unmatched()
        meta = result.metadata()
        room = meta["n_input"] - meta["n_matched"] - sum(v for v in shown.values() if v)
        hidden = [k for k, v in shown.items() if v is None]
        for k in statuses:  # primary: every count below 10 is hidden
            assert shown[k] is None or shown[k] >= 10, (drawn, shown)
        if hidden and sum(drawn) >= 3:
            assert len(hidden) >= 2 and room >= 3, (drawn, shown)  # each hidden: 0..room
        assert sum(drawn[[statuses.index(k) for k in hidden]]) == room
