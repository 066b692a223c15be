"""Whole areas, honestly: the default area of a profile, coverage of partly loaded areas,
and the official OA lookups (hand-made frames and files in the official formats)."""

from __future__ import annotations

import pandas as pd
import pytest

from oacinsight.areas.coverage import area_coverage, district_estimates
from oacinsight.errors import StoreError
from oacinsight.profile.run import default_areas

MAJORITY = "postcode majority (3 postcodes)"


def _frame(
    rows: list[tuple[str, str, str | None, str | None, int]], source: str = MAJORITY
) -> pd.DataFrame:
    """(oa, lsoa, lad, ward, postcodes) with 100 residents each, as membership_frame."""
    frame = pd.DataFrame(rows, columns=["oa", "lsoa21", "lad", "ward", "postcodes"])
    placed = frame["lad"].notna()
    frame["region"] = frame["lad"].map(lambda v: "E12000001" if v else None)
    frame["lad_source"] = placed.map({True: source, False: None})
    frame["ward_source"] = frame["ward"].notna().map({True: "postcode majority", False: None})
    frame["region_source"] = placed.map({True: "postcode majority", False: None})
    frame["residents"] = 100.0
    frame["nation"] = "E92000001"
    return frame


A, B, C = "E06000001", "E06000002", "E06000003"
W1, W2, W3 = "E05000001", "E05000002", "E05000003"
# L1: A A | L2: A, (no postcode) | L3: (none) (none) | L4: A A | L5: B B | L6: (none) (none)
# | L7: C, 3 OAs without postcodes
WORLD = [
    ("E00000001", "E01000001", A, W1, 3),
    ("E00000002", "E01000001", A, W1, 2),
    ("E00000003", "E01000002", A, W2, 4),
    ("E00000004", "E01000002", None, None, 0),
    ("E00000005", "E01000003", None, None, 0),
    ("E00000006", "E01000003", None, None, 0),
    ("E00000007", "E01000004", A, W2, 1),
    ("E00000008", "E01000004", A, W2, 5),
    ("E00000009", "E01000005", B, W3, 2),
    ("E00000010", "E01000005", B, W3, 2),
    ("E00000011", "E01000006", None, None, 0),
    ("E00000012", "E01000006", None, None, 0),
    ("E00000013", "E01000007", C, "E05000004", 1),
    *((f"E0000001{i}", "E01000007", None, None, 0) for i in (4, 5, 6)),
]


def test_district_estimates_by_hand() -> None:
    est = district_estimates(_frame(WORLD))
    # A holds 5 OAs; 1 more shares its LSOA E01000002; E01000003 lies between two of its
    # LSOAs in code order with no other district's LSOA between: 2 more.  E01000006 lies
    # after B's last LSOA (no district on its other side): nobody's.
    assert est.loc[A, ["output_areas", "missing_output_areas"]].tolist() == [5, 3]
    assert est.loc[A, "missing_residents"] == 300.0
    assert est.loc[B, "missing_output_areas"] == 0
    assert est.loc[C, ["output_areas", "missing_output_areas"]].tolist() == [1, 3]


def test_partial_district_headline_and_mostly_missing() -> None:
    frame = _frame(WORLD)
    a = area_coverage(frame, "lad", A, directory_areas=["YY"])
    assert a.status == "partial" and a.share == pytest.approx(500 / 800)
    assert a.headline == (
        "partial: 5 output areas loaded (500 residents); the census holds 8 output areas "
        "(800 residents) in this district's LSOAs, so about 38% of its residents are "
        "missing from the loaded postcode directory"
    )
    assert a.short == "loaded part, about 62%"
    assert area_coverage(frame, "lad", B, directory_areas=["YY"]).is_whole
    c = area_coverage(frame, "lad", C, directory_areas=["YY"])
    assert c.status == "mostly missing" and c.share == pytest.approx(0.25)


def test_long_gap_in_the_code_block_is_not_counted() -> None:
    # Five LSOAs with no postcode between A's two LSOAs: more than the 2 LSOAs of A
    # loaded, so they may be whole other districts; only same-LSOA evidence counts.
    rows = [("E00000001", "E01000001", A, W1, 1)]
    rows += [(f"E0000010{i}", f"E0100001{i}", None, None, 0) for i in range(5)]
    rows += [("E00000002", "E01000020", A, W1, 1)]
    est = district_estimates(_frame(rows))
    assert est.loc[A, "missing_output_areas"] == 0
    rows = rows[:3] + rows[-1:]  # two LSOAs only between them: counted
    est = district_estimates(_frame(rows))
    assert est.loc[A, "missing_output_areas"] == 2


def test_official_lookup_makes_a_district_whole() -> None:
    frame = _frame(WORLD, source="official lookup")
    assert area_coverage(frame, "lad", A, directory_areas=["YY"]).is_whole


def test_ward_coverage_says_why() -> None:
    frame = _frame(WORLD)
    w2 = area_coverage(frame, "ward", W2, directory_areas=["YY"])
    assert w2.status == "partial"
    assert w2.estimated_output_areas == 4  # E00000004 shares LSOA E01000002
    assert "1 output area (100 residents) in its LSOAs with no postcode" in w2.headline
    assert f"its district {A} is partial (5 of about 8 output areas loaded)" in w2.headline
    w1 = area_coverage(frame, "ward", W1, directory_areas=["YY"])
    assert w1.status == "partial"  # no gap, but a ward of 2 output areas
    assert "a ward of 2 output areas is most likely a fragment" in w1.headline
    w3 = area_coverage(frame, "ward", W3, directory_areas=["YY"])
    assert "ward of 2 output areas" in w3.headline  # B is whole but the ward is tiny


def test_no_lsoa_lookup_means_unknown_with_a_partial_directory() -> None:
    frame = _frame(WORLD).assign(lsoa21=None)
    cov = area_coverage(frame, "lad", A, directory_areas=["YY"])
    assert cov.status == "unknown" and cov.headline.startswith("may be partial")
    full = area_coverage(frame, "lad", A, directory_areas=[f"A{i}" for i in range(120)])
    assert full.is_whole


@pytest.mark.parametrize(
    ("counts", "n", "chosen", "excluded"),
    [
        # 5% of 133 is 6.65: B (6) is out, C (25 >= 20) is in although 18.8% < A's share
        ([(A, 100), (C, 25), (B, 6), (None, 2)], 133, [A, C], [(B, 6), (None, 2)]),
        # exactly 5% is in; 19 of 1,000 is neither 5% nor 20
        ([(A, 931), (B, 50), (C, 19)], 1000, [A, B], [(C, 19)]),
        # nobody reaches 5% or 20: the district(s) holding the most
        ([(A, 4), (B, 4)] + [(f"E0700000{i}", 3) for i in range(30)], 98, [A, B], None),
    ],
)
def test_default_area_rule(counts, n, chosen, excluded) -> None:
    got, out, rule = default_areas(counts, n)
    assert got == chosen
    if excluded is not None:
        assert out == excluded
    assert "at least 5%" in rule and "at least 20" in rule


def test_default_area_without_any_district() -> None:
    with pytest.raises(StoreError, match="cannot tell the local authority"):
        default_areas([(None, 12)], 12)


def _official_files(folder):
    """The two ONS best-fit lookups in their published layout (codes made up)."""
    lsoa = folder / "OA21_LSOA21_MSOA21_LAD22_EW_LU.csv"
    pd.DataFrame(
        {
            "OA21CD": ["E00000001", "E00000002", "E00000003"],
            "LSOA21CD": ["E01000001", "E01000001", "E01000002"],
            "LSOA21NM": ["Testshire 001A", "Testshire 001A", "Testshire 001B"],
            "LSOA21NMW": ["", "", ""],
            "MSOA21CD": ["E02000001"] * 3,
            "MSOA21NM": ["Testshire 001"] * 3,
            "MSOA21NMW": [""] * 3,
            "LAD22CD": ["E06000001"] * 3,
            "LAD22NM": ["Testshire"] * 3,
            "LAD22NMW": [""] * 3,
            "ObjectId": [1, 2, 3],
        }
    ).to_csv(lsoa, index=False)
    ward = folder / "OA21_WD22_LAD22_EW_LU.csv"
    pd.DataFrame(
        {
            "OA21CD": ["E00000001", "E00000002", "E00000003"],
            "WD22CD": ["E05000001", "E05000001", "E05000009"],
            "WD22NM": ["Abbey", "Abbey", "Hill Top"],
            "WD22NMW": [""] * 3,
            "LAD22CD": ["E06000001"] * 3,
            "LAD22NM": ["Testshire"] * 3,
            "LAD22NMW": [""] * 3,
            "ObjectId": [1, 2, 3],
        }
    ).to_csv(ward, index=False)
    return lsoa, ward


def test_official_lookups_are_recognised_by_their_columns(tmp_path) -> None:
    from oacinsight.ingest.detect import detect
    from oacinsight.ingest.sniff import peek

    lsoa, ward = _official_files(tmp_path)
    found = detect(peek(lsoa))
    assert found.kind == "geo_lookup"
    assert found.detail == "ONS OA21 to LSOA21 to MSOA21 to LAD22 lookup"
    assert found.columns == {
        "oa": "OA21CD",
        "lsoa": "LSOA21CD",
        "lsoa_name": "LSOA21NM",
        "msoa": "MSOA21CD",
        "msoa_name": "MSOA21NM",
        "lad": "LAD22CD",
        "lad_name": "LAD22NM",
    }
    found = detect(peek(ward))
    assert found.detail == "ONS OA21 to ward to LAD22 lookup"
    assert found.columns == {
        "oa": "OA21CD",
        "ward": "WD22CD",
        "ward_name": "WD22NM",
        "lad": "LAD22CD",
        "lad_name": "LAD22NM",
    }


def test_official_lookups_give_membership_and_names(tmp_path) -> None:
    """The tiny store's OA E00000003 is in E06000002 by its postcode; the official
    lookup puts it in E06000001 and ward E05000009, with names; ObjectId is not a code."""
    from tests.tiny import write_tiny_reference

    from oacinsight.ingest import ingest
    from oacinsight.store import Store
    from oacinsight.store import areas as sql

    files = write_tiny_reference(tmp_path / "ref")
    census = tmp_path / "ref" / "ts001.csv"
    pd.DataFrame(
        {
            "geography code": ["E00000001", "E00000002", "E00000003", "E00000004"],
            "ts0010001": [300, 200, 100, 50],
            "ts0010002": [300, 200, 100, 50],
            "ts0010003": [0, 0, 0, 0],
        }
    ).to_csv(census, index=False)
    lsoa, ward = _official_files(tmp_path / "ref")
    with Store(tmp_path / "store.duckdb") as store:
        report = ingest([*files, census, lsoa, ward], store)
        kinds = report.to_frame().set_index("file")["kind"]
        assert kinds[lsoa.name] == kinds[ward.name] == "geo_lookup"
        frame = sql.membership_frame(store).set_index("oa")
        names = sql.area_names(store, ["E06000001", "E05000009", "E01000002", "E02000001"])
        links = store.con.execute("SELECT DISTINCT target_type FROM oa_links").fetchall()
    assert frame.loc["E00000003", ["lad", "ward"]].tolist() == ["E06000001", "E05000009"]
    assert frame.loc["E00000003", "lad_source"] == "official lookup"
    assert frame.loc["E00000004", "lad"] is None or pd.isna(frame.loc["E00000004", "lad"])
    assert names == {
        "E06000001": "Testshire",
        "E05000009": "Hill Top",
        "E01000002": "Testshire 001B",
        "E02000001": "Testshire 001",
    }
    assert {r[0] for r in links} == {"lsoa", "msoa", "lad", "ward"}
