"""Ingest: recognising official files by their columns, atomic and idempotent loads."""

from __future__ import annotations

import zipfile

import pandas as pd
import pytest
from tests.tiny import write_tiny_reference

from oacinsight.errors import IngestError
from oacinsight.ingest import ingest
from oacinsight.ingest.detect import detect
from oacinsight.ingest.sniff import peek
from oacinsight.store import Store


@pytest.fixture
def ref(tmp_path):
    return write_tiny_reference(tmp_path / "ref")


def _count(store: Store, table: str) -> int:
    return int(store.con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0])


def test_recognises_each_file(ref):
    nspl, oac, names, lsoa = ref
    assert detect(peek(nspl)).kind == "postcode_directory"
    assert detect(peek(oac)).kind == "oac"
    assert detect(peek(oac)).columns == {
        "oa": "Geography_Code",
        "supergroup": "Supergroup",
        "group": "Group",
        "subgroup": "Subgroup",
    }
    assert detect(peek(names)).kind == "oac_names"
    assert detect(peek(lsoa)).kind == "geo_lookup"


def test_publisher_column_variants(tmp_path):
    # another publisher's OAC layout, an ONSPD-style directory with oa21, a Nomis census file
    oac = tmp_path / "oac_alt.csv"
    pd.DataFrame({"OA21CD": ["E00000001"], "SPRGRP": [1], "GRP": ["1A"], "SUBGRP": ["1A1"]}).to_csv(
        oac, index=False
    )
    found = detect(peek(oac))
    assert found.kind == "oac" and found.columns["oa"] == "OA21CD"
    onspd = tmp_path / "ONSPD_MAY_2025_UK.csv"
    pd.DataFrame(
        {
            "pcd": ["YY1 1AA"],
            "pcds": ["YY1 1AA"],
            "doterm": [""],
            "oslaua": ["E06000001"],
            "osward": ["E05000001"],
            "oa11": ["E00000001"],
            "oa21": ["E00000001"],
            "imd": [5],
        }
    ).to_csv(onspd, index=False)
    found = detect(peek(onspd))
    assert found.detail == "ONSPD"
    assert found.columns["laua"] == "oslaua" and found.columns["oa21"] == "oa21"
    nomis = tmp_path / "census2021-ts001-oa.csv"
    pd.DataFrame(
        {
            "date": [2021],
            "geography": ["E00000001"],
            "geography code": ["E00000001"],
            "Residence type: Total; measures: Value": [300],
            "Residence type: Lives in a household; measures: Value": [290],
        }
    ).to_csv(nomis, index=False)
    found = detect(peek(nomis))
    assert (found.kind, found.detail) == ("census", "ts001")


def test_oac_lower_cased_and_oa21_edition_used(tmp_path):
    oac = tmp_path / "oac_alt.csv"
    pd.DataFrame({"OA21CD": ["E00000009"], "SPRGRP": [1], "GRP": ["1A"], "SUBGRP": ["1A1"]}).to_csv(
        oac, index=False
    )
    onspd = tmp_path / "ONSPD_MAY_2025_UK.csv"
    pd.DataFrame(
        {
            "pcds": ["YY1 1AA"],
            "doterm": [""],
            "oslaua": ["E06000001"],
            "oa11": ["E00000001"],
            "oa21": ["E00000009"],
        }
    ).to_csv(onspd, index=False)
    with Store(tmp_path / "s.duckdb") as s:
        ingest([oac, onspd], s, force=True)  # a one-row "whole UK" file needs --force
        row = s.query_df("SELECT oa21, oac_subgroup, status FROM pc_lookup").iloc[0]
    assert tuple(row) == ("E00000009", "1a1", "matched")


def test_idempotent_and_provenance(ref, tmp_path):
    with Store(tmp_path / "s.duckdb") as s:
        first = ingest(ref, s)
        counts = {t: _count(s, t) for t in ("postcodes", "oac_oa", "oac_names", "oa_links")}
        ingest(ref, s)
        assert {t: _count(s, t) for t in counts} == counts
        status = s.status()
    assert counts == {"postcodes": 8, "oac_oa": 3, "oac_names": 9, "oa_links": 3}
    assert sorted(status["kind"]) == ["geo_lookup", "oac", "oac_names", "postcode_directory"]
    nspl = status[status["kind"] == "postcode_directory"].iloc[0]
    assert nspl["edition"] == "NSPL NOV 2021" and nspl["row_count"] == 8
    assert len(nspl["sha256"]) == 64
    assert first.postcodes == 8


def test_failure_leaves_store_unchanged(ref, tmp_path):
    path = tmp_path / "s.duckdb"
    with Store(path) as s:
        ingest(ref, s)
    broken = tmp_path / "NSPL_FEB_2022_UK_YY.csv"
    broken.write_text('pcds,oa11,laua\n"YY9 9AA","E00000001","E06000001"\n"unterminated\n')
    with Store(path) as s, pytest.raises(IngestError, match="store left unchanged"):
        ingest([ref[1], broken], s)
    with Store(path, read_only=True) as s:
        assert _count(s, "postcodes") == 8
        assert len(s.status()) == 4


def test_zip_and_folder_and_duplicate_parts(ref, tmp_path):
    nspl = ref[0]
    # an official-style zip: the whole directory plus the same rows split by area
    z = tmp_path / "NSPL_NOV_2021_UK.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.write(nspl, "Data/NSPL_NOV_2021_UK.csv")
        zf.write(nspl, "Data/multi_csv/NSPL_NOV_2021_UK_YY.csv")
        zf.writestr("Documents/readme.txt", "not a table")
    with Store(tmp_path / "s.duckdb") as s:
        report = ingest([z, tmp_path / "ref"], s, force=True)  # an 8-row "whole UK" file
        assert _count(s, "postcodes") == 8
    actions = report.to_frame().set_index("file")["action"].to_dict()
    assert actions["NSPL_NOV_2021_UK_YY.csv"] == "skipped"
    assert actions["NSPL_NOV_2021_UK.csv"] == "loaded"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("a,b\n1,2\n", "not recognised as an official file oacinsight knows"),
        ("", "the file is empty"),
    ],
)
def test_unrecognised_files_say_why(tmp_path, content, message):
    path = tmp_path / "x.csv"
    path.write_text(content)
    with Store(tmp_path / "s.duckdb") as s, pytest.raises(IngestError, match=message):
        ingest([path], s)


def test_forced_kind_and_unknown_kind(ref, tmp_path):
    with Store(tmp_path / "s.duckdb") as s:
        with pytest.raises(IngestError, match="not recognised as a oac file"):
            ingest([ref[0]], s, kind="oac")
        with pytest.raises(IngestError, match="unknown --kind 'nonsense'"):
            ingest([ref[0]], s, kind="nonsense")
        with pytest.raises(IngestError, match="no such file"):
            ingest([tmp_path / "missing.csv"], s)


def test_census_and_metadata(tmp_path):
    ts = tmp_path / "ts001.parquet"
    pd.DataFrame(
        {
            "OA": ["E00000001", "E00000002"],
            "ts0010001": [300.0, 200.0],
            "ts0010002": [290.0, 200.0],
            "ts0010003": [10.0, 0.0],
        }
    ).to_parquet(ts)
    meta = tmp_path / "Table_Metadata.csv"
    meta.write_text(
        "Table_Name,Variable_Name,Type,new_names,Table_ID,old_names\n"
        "Residence type,Total,Value,ts0010001,ts001,x\n"
    )
    with Store(tmp_path / "s.duckdb") as s:
        ingest([ts, meta], s)
        got = s.query_df("SELECT * FROM census_ts001 ORDER BY oa")
        assert list(got.columns) == ["oa", "ts0010001", "ts0010002", "ts0010003"]
        assert got["ts0010001"].tolist() == [300.0, 200.0]
        meta_rows = s.query_df("SELECT variable_name FROM census_metadata")
        assert meta_rows["variable_name"][0] == "Total"


def test_oa11_to_oa21_lookup_places_changed_areas(ref, tmp_path):
    """Postcodes in a 2011 OA with no 2021 code are placed through the official lookup;
    a split 2011 OA is placed in its first 2021 OA and the note says so."""
    from oacinsight.match import match_records

    lookup = tmp_path / "OA11_OA21_EW_LU.csv"
    pd.DataFrame(
        {
            "OA11CD": ["E00999999", "E00999998", "E00999998"],
            "OA21CD": ["E00000003", "E00000002", "E00000003"],
            "CHNGIND": ["M", "S", "S"],
        }
    ).to_csv(lookup, index=False)
    with Store(tmp_path / "s.duckdb") as s:
        ingest(ref, s)
        before = match_records(pd.DataFrame({"pc": ["YY2 1AB"]}), store=s).frame
        assert before["match_status"][0] == "no_oac"
        ingest([lookup], s)
        after = match_records(pd.DataFrame({"pc": ["YY2 1AB"]}), store=s).frame
    assert after["match_status"][0] == "matched"
    assert after["oa21"][0] == "E00000003" and after["oac_subgroup"][0] == "8a1"


def test_xlsx_official_file_and_other_geography_census(tmp_path):
    names = tmp_path / "LAD21_names.xlsx"
    pd.DataFrame({"LAD21CD": ["E06000001"], "LAD21NM": ["Hartlepool"]}).to_excel(names, index=False)
    rgn = tmp_path / "census2021-ts001-rgn.csv"
    pd.DataFrame(
        {
            "date": [2021],
            "geography": ["North East"],
            "geography code": ["E12000001"],
            "Residence type: Total; measures: Value": [2647013],
        }
    ).to_csv(rgn, index=False)
    with Store(tmp_path / "s.duckdb") as s:
        ingest([names], s)
        assert s.query_df("SELECT code, name FROM area_names").values.tolist() == [
            ["E06000001", "Hartlepool"]
        ]
        with pytest.raises(IngestError, match="not output areas: load the output-area file"):
            ingest([rgn], s)
        folder = tmp_path / "nomis"
        folder.mkdir()
        rgn.rename(folder / rgn.name)
        with pytest.raises(IngestError, match=r"nothing to load.*not output areas"):
            ingest([folder], s)
        with pytest.raises(IngestError, match="unknown --kind"):
            ingest([folder], s, kind="nonsense")
