"""``match`` on a hand-made store: statuses, notes, order, formats, messy files."""

from __future__ import annotations

import csv
import json

import numpy as np
import pandas as pd
import pytest

from oacinsight.errors import InputFileError, StoreError
from oacinsight.match import ADDED_COLUMNS, match_file, match_records

ROWS = [
    ("r1", "yy1 1aa", "Ann"),  # matched, lower case
    ("r2", "YY11AB", "=HYPERLINK()"),  # matched, no space, formula cell
    ("r3", "YY1  1AD", "Bo"),  # terminated, pcd2 style
    ("r4", "", "Cy"),  # missing
    ("r5", "NOT A PC", "Di"),  # invalid
    ("r6", "YY9 9YY", "Ed"),  # valid, district not in directory
    ("r7", "YY1 9YY", "Fi"),  # valid, district known, postcode not
    ("r8", "GY1 1AA", "Gu"),  # Channel Islands
    ("r9", "YY2 1AB", "Hu"),  # old 2011 OA
    ("r10", "BFPO 42", "Io"),  # forces
    ("r11", "AB1 1AA", "Jo"),  # area not loaded
    ("r12", "YY3 1AA", "Ka"),  # Scotland
    ("r13", " yy2 1aa ", "Zoë"),  # matched, spaces, accent
]
EXPECT = [
    "matched",
    "matched",
    "matched_terminated",
    "missing",
    "invalid_format",
    "not_found",
    "not_found",
    "no_oac",
    "no_oac",
    "not_found",
    "not_found",
    "no_oac",
    "matched",
]


@pytest.fixture
def customers(tmp_path):
    path = tmp_path / "customers.csv"
    pd.DataFrame(ROWS, columns=["id", "Post Code", "name"]).to_csv(path, index=False)
    return path


def test_statuses_notes_and_order(customers, tiny_store, tmp_path):
    out = tmp_path / "out.csv"
    summary = match_file(customers, out, store=tiny_store, report=tmp_path / "r.json")
    res = pd.read_csv(out, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert list(res.columns) == ["id", "Post Code", "name", *ADDED_COLUMNS]
    assert list(res["id"]) == [r[0] for r in ROWS]
    assert list(res["match_status"]) == EXPECT
    assert summary.postcode_column == "Post Code"
    notes = dict(zip(res["id"], res["match_note"], strict=True))
    assert notes["r3"] == "postcode terminated 201001; its output area is still known"
    assert notes["r4"] == "no postcode given"
    assert notes["r6"] == "postcode district YY9 is not in the loaded postcode directory"
    assert notes["r7"].startswith("not in the postcode directory (NSPL NOV 2021)")
    assert notes["r8"] == "Channel Islands postcode: no output area or OAC"
    assert "E00999999 has no 2021 equivalent" in notes["r9"]
    assert notes["r10"].startswith("BFPO")
    assert notes["r11"] == "postcode area AB is not in the loaded postcode directory"
    assert notes["r12"].startswith("Scottish 2011 output area S00090001")
    r1 = res.iloc[0]
    assert (r1.oa21, r1.lsoa21, r1.laua, r1.ward, r1.imd_rank) == (
        "E00000001",
        "E01000001",
        "E06000001",
        "E05000001",
        "100",
    )
    assert (r1.oac_supergroup, r1.oac_group, r1.oac_subgroup) == ("1", "1a", "1a1")
    assert r1.oac_supergroup_name == "Retired Professionals"
    assert r1.oac_subgroup_name == "Sub 1a1"
    assert res.iloc[12]["postcode_clean"] == "YY2 1AA" and res.iloc[12]["name"] == "Zoë"
    assert res.iloc[1]["name"] == "'=HYPERLINK()"  # neutralised for Excel
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["status"]["matched"] == {"count": 3, "share": round(3 / 13, 6)}
    assert report["matched"] == 4 and report["rows"] == 13
    by_la = {r["laua"]: r["rows"] for r in report["by_local_authority"]}
    assert by_la == {"(none)": 6, "E06000001": 3, "E06000002": 2, "L99999999": 1, "S12000001": 1}


@pytest.mark.parametrize("suffix", [".parquet", ".xlsx"])
def test_other_output_formats_keep_values(customers, tiny_store, tmp_path, suffix):
    out = tmp_path / f"out{suffix}"
    match_file(customers, out, store=tiny_store)
    res = pd.read_parquet(out) if suffix == ".parquet" else pd.read_excel(out, dtype=str)
    assert list(res["match_status"]) == EXPECT
    expected_name = "=HYPERLINK()" if suffix == ".parquet" else "'=HYPERLINK()"
    assert res["name"].iloc[1] == expected_name


@pytest.mark.parametrize(
    ("encoding", "sep"), [("utf-8", ";"), ("utf-8-sig", "\t"), ("cp1252", ","), ("cp1252", "|")]
)
def test_encodings_and_delimiters(tmp_path, tiny_store, encoding, sep):
    path = tmp_path / "in.csv"
    text = sep.join(["ref", "postcode", "note"]) + "\r\n"
    text += sep.join(["1", "yy1 1aa", '"Zoë said ""hi""\r\non two lines"']) + "\r\n"
    text += sep.join(["2", "YY2 1AA", "€5 café"]) + "\r\n"
    path.write_bytes(text.encode(encoding))
    out = tmp_path / "out.parquet"
    summary = match_file(path, out, store=tiny_store)
    res = pd.read_parquet(out)
    assert list(res["match_status"]) == ["matched", "matched"]
    assert res["note"].tolist() == ['Zoë said "hi"\r\non two lines', "€5 café"]
    assert summary.encoding == ("windows-1252" if encoding == "cp1252" else "utf-8")


def test_duplicate_and_clashing_columns(tmp_path, tiny_store):
    path = tmp_path / "in.csv"
    path.write_text("id,postcode,id,oa21\n1,YY1 1AA,x,mine\n")
    out = tmp_path / "out.csv"
    summary = match_file(path, out, store=tiny_store)
    res = pd.read_csv(out, dtype=str, encoding="utf-8-sig")
    assert list(res.columns[:4]) == ["id", "postcode", "id_1", "oa21_input"]
    assert res.loc[0, "oa21_input"] == "mine" and res.loc[0, "oa21"] == "E00000001"
    assert summary.renamed == {"oa21": "oa21_input"}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"id,postcode\n", "has a header but no data rows"),
        (b"id,name\n1,Ann\n", "no postcode column found; the columns are: id, name"),
        (b"a,pc1,pc2\n1,YY1 1AA,YY2 1AA\n", "several columns could hold the postcode"),
    ],
)
def test_unusable_files_say_why(tmp_path, tiny_store, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(InputFileError, match=message):
        match_file(path, tmp_path / "out.csv", store=tiny_store)


def test_content_detection_and_named_column(tmp_path, tiny_store):
    path = tmp_path / "in.csv"
    path.write_text("a,where\n1,YY1 1AA\n2,YY2 1AA\n")
    s = match_file(path, tmp_path / "o.csv", store=tiny_store)
    assert s.postcode_column == "where" and s.matched == 2
    with pytest.raises(InputFileError, match=r"no column 'nope'"):
        match_file(path, tmp_path / "o.csv", store=tiny_store, postcode_column="nope")


def test_missing_store_and_bad_output(tmp_path, customers, tiny_store):
    with pytest.raises(StoreError, match="no store at"):
        match_file(customers, tmp_path / "o.csv", store=tmp_path / "none.duckdb")
    with pytest.raises(InputFileError, match=r"unsupported output type '\.txt'"):
        match_file(customers, tmp_path / "o.txt", store=tiny_store)


def test_match_records_api(tiny_store):
    frame = pd.DataFrame({"pc": ["YY1 1AA", "nope"], "x": [1, 2]})
    result = match_records(frame, store=tiny_store)
    df = result.to_frame()
    assert list(df["match_status"]) == ["matched", "invalid_format"]
    assert list(df["x"]) == [1, 2]
    assert result.summary.match_rate == 0.5


def test_short_rows_are_padded_not_dropped(tmp_path, tiny_store):
    path = tmp_path / "ragged.csv"
    path.write_text("id,postcode,extra\n1,YY1 1AA\n2,YY2 1AA,x\n3\n")
    out = tmp_path / "o.parquet"
    s = match_file(path, out, store=tiny_store)
    res = pd.read_parquet(out)
    assert s.rows == 3 and list(res["match_status"]) == ["matched", "matched", "missing"]


def test_xlsx_input(tmp_path, tiny_store):
    path = tmp_path / "in.xlsx"
    pd.DataFrame({"Postcode": ["YY1 1AA", None], "n": [1, 2]}).to_excel(path, index=False)
    s = match_file(path, tmp_path / "o.csv", store=tiny_store)
    assert s.counts["matched"] == 1 and s.counts["missing"] == 1


def test_out_of_core_path_gives_identical_output(customers, tiny_store, tmp_path, monkeypatch):
    """Large files use the DuckDB join (spills to disk); it must equal the Arrow path."""
    from oacinsight.store import matching

    fast = tmp_path / "fast.csv"
    match_file(customers, fast, store=tiny_store)
    monkeypatch.setattr(matching, "IN_MEMORY_ROWS", 0)
    slow = tmp_path / "slow.csv"
    match_file(customers, slow, store=tiny_store)
    assert fast.read_bytes() == slow.read_bytes()


def test_both_paths_in_one_session(customers, tiny_store, tmp_path, monkeypatch):
    from oacinsight.store import Store, matching

    with Store(tiny_store, read_only=True) as s:
        for limit in (0, 10**9, 0):
            monkeypatch.setattr(matching, "IN_MEMORY_ROWS", limit)
            summary = match_file(customers, tmp_path / "o.csv", store=s)
            assert summary.counts["matched"] == 3


def test_coordinates_place_rows_without_a_usable_postcode(tmp_path, demo):
    store, files = demo
    nspl = pd.read_csv(files.postcode_directory, dtype=str)
    live = nspl[nspl["doterm"].isna() & nspl["oseast1m"].notna()].head(3)
    e, n = live["oseast1m"].astype(float), live["osnrth1m"].astype(float)
    frame = pd.DataFrame(
        {
            "postcode": ["", "NOT ONE", live["pcds"].iloc[2], ""],
            "easting": [e.iloc[0] + 30, e.iloc[1], e.iloc[2] + 5000, 100.0],
            "northing": [n.iloc[0] + 40, n.iloc[1], n.iloc[2], 100.0],
        }
    )
    res = match_records(frame, store=store)
    df = res.frame
    assert list(df["match_status"][:3]) == ["matched", "matched", "matched"]
    # brute force: the nearest live postcode with coordinates, and its distance
    pool = nspl[nspl["doterm"].isna() & nspl["oseast1m"].notna()]
    d = np.hypot(
        pool["oseast1m"].astype(float) - (e.iloc[0] + 30),
        pool["osnrth1m"].astype(float) - (n.iloc[0] + 40),
    )
    best = pool.iloc[int(np.argmin(d))]
    assert df["match_note"][0] == (
        f"placed by coordinates: nearest postcode {best['pcds']}, {d.min():.0f} m away"
    )
    assert df["oa21"][0] == best["oa11"]
    assert pd.isna(df["postcode_clean"][0])
    assert df["postcode_clean"][2] == live["pcds"].iloc[2]  # a good postcode wins
    assert df["match_status"][3] == "missing"  # coordinates far from any postcode
    assert res.summary.by_coordinates == 2


def test_coordinates_only_file(tmp_path, demo):
    store, files = demo
    nspl = pd.read_csv(files.postcode_directory, dtype=str)
    live = nspl[nspl["doterm"].isna() & nspl["oseast1m"].notna()].iloc[0]
    path = tmp_path / "xy.csv"
    pd.DataFrame(
        {
            "id": [1, 2],
            "easting": [float(live["oseast1m"]), 1.0],
            "northing": [float(live["osnrth1m"]), 1.0],
        }
    ).to_csv(path, index=False)
    out = tmp_path / "o.csv"
    summary = match_file(path, out, store=store)
    res = pd.read_csv(out, dtype=str, encoding="utf-8-sig")
    assert list(res.columns[:3]) == ["id", "easting", "northing"]
    assert list(res["match_status"]) == ["matched", "missing"]
    want = f"placed by coordinates: nearest postcode {live['pcds']}"
    assert res["match_note"][0].startswith(want)
    assert summary.by_coordinates == 1


def test_header_and_cells_neutralised_for_excel(tmp_path, tiny_store):
    path = tmp_path / "in.csv"
    path.write_text(
        '=HYPERLINK("http://x"),postcode,-inf\n-inf,YY1 1AA,-1_000\n-1.5,YY2 1AA,+2e3\n'
    )
    match_file(path, tmp_path / "o.csv", store=tiny_store)
    with open(tmp_path / "o.csv", encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0][:3] == ['\'=HYPERLINK("http://x")', "postcode", "'-inf"]
    assert [r[0] for r in rows[1:]] == ["'-inf", "-1.5"]  # plain numbers stay numbers
    assert [r[2] for r in rows[1:]] == ["'-1_000", "+2e3"]
    match_file(path, tmp_path / "o.xlsx", store=tiny_store)
    sheet = pd.read_excel(tmp_path / "o.xlsx", dtype=str, engine="calamine")
    assert list(sheet.columns[:3]) == ['\'=HYPERLINK("http://x")', "postcode", "'-inf"]
    match_file(path, tmp_path / "o.parquet", store=tiny_store)
    assert pd.read_parquet(tmp_path / "o.parquet").columns[0] == '=HYPERLINK("http://x")'


def test_columns_starting_with_underscore_are_kept(tmp_path, tiny_store):
    path = tmp_path / "in.csv"
    path.write_text("_id,postcode,_laua_name\n7,YY1 1AA,mine\n")
    summary = match_file(path, tmp_path / "o.parquet", store=tiny_store)
    res = pd.read_parquet(tmp_path / "o.parquet")
    assert list(res.columns[:3]) == ["_id", "postcode", "_laua_name_input"]
    assert res["_id"].tolist() == ["7"] and res["_laua_name_input"].tolist() == ["mine"]
    assert summary.renamed == {"_laua_name": "_laua_name_input"}


def test_long_cells_whole_in_csv_cut_with_a_note_in_xlsx(tmp_path, tiny_store):
    long = "é" * 40_000
    path = tmp_path / "in.csv"
    path.write_text(f"id,postcode,notes,after\n1,YY1 1AA,{long},kept\n", encoding="utf-8")
    match_file(path, tmp_path / "o.csv", store=tiny_store)
    res = pd.read_csv(tmp_path / "o.csv", dtype=str, encoding="utf-8-sig")
    assert res["notes"][0] == long
    summary = match_file(path, tmp_path / "o.xlsx", store=tiny_store)
    sheet = pd.read_excel(tmp_path / "o.xlsx", dtype=str, engine="calamine")
    assert len(sheet["notes"][0]) == 32_767 and sheet["notes"][0].endswith("…[cut]")
    assert sheet["after"][0] == "kept" and sheet["match_status"][0] == "matched"
    assert any(
        "1 cell longer than Excel's 32,767 characters cut in o.xlsx" in n for n in summary.notes
    )
    assert "cut in o.xlsx" in summary.text()


def test_nan_and_infinity_to_xlsx(tmp_path, tiny_store):
    path = tmp_path / "in.parquet"
    pd.DataFrame(
        {"postcode": ["YY1 1AA", "YY2 1AA", "x"], "v": [float("nan"), float("inf"), float("-inf")]}
    ).to_parquet(path)
    match_file(path, tmp_path / "o.xlsx", store=tiny_store)
    sheet = pd.read_excel(tmp_path / "o.xlsx", dtype=str, engine="calamine")
    assert sheet["v"].tolist()[1:] == ["inf", "'-inf"] and pd.isna(sheet["v"][0])


def test_row_account_reconciles_and_reading_notes(tmp_path, tiny_store):
    path = tmp_path / "in.csv"
    path.write_bytes(b"id,postcode\r\n1,YY1 1AA\n\n2,YY2 1AA,extra\r\n3\n")
    summary = match_file(
        path,
        tmp_path / "o.csv",
        store=tiny_store,
        report=tmp_path / "r.json",
        input_name="customers.csv",
    )
    account = json.loads((tmp_path / "r.json").read_text())["row_account"]
    assert account == {
        "records_read": 3,
        "rows_written": 3,
        "blank_lines_skipped": 1,
        "by_status": {
            "matched": 2,
            "matched_terminated": 0,
            "not_found": 0,
            "invalid_format": 0,
            "missing": 1,
            "no_oac": 0,
        },
        "reconciles": True,
    }
    assert summary.input_name == "customers.csv"
    text = summary.text()
    assert "1 blank line skipped" in text and "with fewer fields than the header" in text
    assert "extra values kept in field_3" in text


def test_input_name_in_errors(tmp_path, tiny_store):
    path = tmp_path / "upload.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(InputFileError, match=r"^my customers\.csv: no postcode column"):
        match_file(path, tmp_path / "o.csv", store=tiny_store, input_name="my customers.csv")
