"""Reference files are checked before they replace anything: one test per kind of defect.

Every file here is synthetic, written in the official layout (tests/tiny.py's NSPL header,
the OAC, names, lookup and census layouts of ../shared/data).  Each refusal is checked
for its message (file named, what is wrong, with numbers) and for a store left as it was.
"""

from __future__ import annotations

import pandas as pd
import pytest
from tests.tiny import NSPL_HEADER, write_tiny_reference

from oacinsight.errors import IngestError
from oacinsight.ingest import ingest
from oacinsight.ingest.validate import OAC2021_GROUP_SIZES, OAC2021_SUBGROUPS, IngestRefused
from oacinsight.store import Store


def _nspl(path, n: int, area: str = "DG", imd=None, start: int = 0):
    """``n`` live postcodes of one postcode area in the NSPL layout, in England."""
    rows = []
    for i in range(start, start + n):
        letters = "ABDEFGHJLNPQRSTUWXYZ"
        pcds = f"{area}{1 + i // 400} 1{letters[i % 20]}{letters[(i // 20) % 20]}"
        row = dict.fromkeys(NSPL_HEADER, "")
        row.update(
            pcd=pcds,
            pcd2=pcds,
            pcds=pcds,
            dointr="199001",
            usertype="0",
            oa11=f"E00{100000 + i % 50:06d}",
            laua="E06000001",
            ward="E05000001",
            ctry="E92000001",
            imd=str(imd[i] if imd else 1 + i),
            lat="54.9",
            long="-3.6",
        )
        rows.append(row)
    pd.DataFrame(rows, columns=NSPL_HEADER).to_csv(path, index=False)
    return path


def _count(path, table: str) -> int:
    with Store(path, read_only=True) as s:
        return int(s.con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0])


def _refused(store_path, files, match: str, **kw) -> IngestRefused:
    with Store(store_path) as s, pytest.raises(IngestRefused, match=match) as info:
        ingest(files, s, **kw)
    assert "store left unchanged" in str(info.value) and "\n" not in str(info.value)
    return info.value


@pytest.fixture
def held(tmp_path):
    """A store holding 2,000 postcodes of area DG from NSPL_NOV_2021_UK_DG.csv."""
    store = tmp_path / "s.duckdb"
    with Store(store) as s:
        ingest([_nspl(tmp_path / "NSPL_NOV_2021_UK_DG.csv", 2000)], s)
    return store


# -- postcode directory ------------------------------------------------------------------
def test_header_only_directory_is_refused_even_with_force(held, tmp_path):
    empty = tmp_path / "x" / "NSPL_NOV_2021_UK_DG.csv"
    empty.parent.mkdir()
    empty.write_text(",".join(NSPL_HEADER) + "\n")
    for force in (False, True):
        err = _refused(
            held,
            [empty],
            "NSPL_NOV_2021_UK_DG.csv: has a header but no data rows "
            r"\(loading it would remove the 2,000 rows the store holds from it\)",
            force=force,
        )
        assert not err.problems[0].forceable
        assert str(err).endswith("(--force does not load a file with these problems)") == force
    assert _count(held, "postcodes") == 2000


def test_shorter_directory_for_an_area_needs_force(held, tmp_path):
    short = _nspl(tmp_path / "x.csv", 1200)
    short = short.rename(tmp_path / "NSPL_NOV_2021_UK_DG.csv")  # same file, cut at a line
    _refused(
        held,
        [short],
        r"NSPL_NOV_2021_UK_DG.csv: would remove 800 of the 2,000 "
        r"postcodes in postcode area DG the store holds \(the file has 1,200 where the "
        r"store has 2,000 from it\): check the file, or run again with --force",
    )
    assert _count(held, "postcodes") == 2000
    # 1% is the margin: 1,985 of 2,000 (15 fewer, 0.75%) passes without --force
    _nspl(short, 1985)
    with Store(held) as s:
        ingest([short], s)
    assert _count(held, "postcodes") == 1985
    _nspl(short, 1200)
    with Store(held) as s:
        report = ingest([short], s, force=True)
    assert _count(held, "postcodes") == 1200
    assert report.warnings == [
        "NSPL_NOV_2021_UK_DG.csv: would remove 785 of the 1,985 "
        "postcodes in postcode area DG the store holds (the file has "
        "1,200 where the store has 1,985 from it)"
    ]
    # a new edition under another name adds rows and removes none
    with Store(held) as s:
        ingest([_nspl(tmp_path / "NSPL_FEB_2022_UK_DG.csv", 10)], s)
    assert _count(held, "postcodes") == 1210


def test_directory_cut_mid_row_is_refused(held, tmp_path):
    path = _nspl(tmp_path / "NSPL_NOV_2021_UK_DG.csv", 3000)
    text = path.read_text()
    path.write_text(text[: text.rindex("\n", 0, len(text) - 1) + 30])  # 30 characters in
    _refused(
        held,
        [path],
        r"NSPL_NOV_2021_UK_DG.csv: ends part-way through a row \(the "
        r"last line has 4 of 41 fields\): the file looks cut short",
        force=True,
    )
    assert _count(held, "postcodes") == 2000


def test_whole_uk_file_far_too_small_needs_force(tmp_path):
    path = _nspl(tmp_path / "NSPL_NOV_2021_UK.csv", 50)
    _refused(
        tmp_path / "s.duckdb",
        [path],
        "NSPL_NOV_2021_UK.csv: is named as the whole-UK directory but has only 50 rows",
    )
    with Store(tmp_path / "s.duckdb") as s:
        ingest([path], s, force=True)
    assert _count(tmp_path / "s.duckdb", "postcodes") == 50


@pytest.mark.parametrize(
    ("imd", "message"),
    [
        (
            {5: "abc", 9: "12.5", 11: "-"},
            r"3 of 2,000 rows have an IMD rank that is not a whole "
            r"number \(e.g. '-'\)",
        ),
        (
            {5: "40000", 9: "0", 11: "33756"},
            "3 of 2,000 rows have an IMD rank outside its "
            r"nation's range \(England 1-33,755.*\(e.g. 'E:0'\)",
        ),
    ],
)
def test_junk_imd_is_refused(tmp_path, imd, message):
    ranks = {i: imd.get(i, 1 + i) for i in range(2000)}
    path = _nspl(tmp_path / "NSPL_NOV_2021_UK_DG.csv", 2000, imd=ranks)
    err = _refused(tmp_path / "s.duckdb", [path], "NSPL_NOV_2021_UK_DG.csv: " + message)
    assert not err.problems[0].forceable  # 3 of 2,000 is more than 1 in 1,000


def test_one_malformed_row_in_many_needs_force(tmp_path):
    ranks = {i: ("junk" if i == 7 else 1 + i) for i in range(2000)}
    path = _nspl(tmp_path / "NSPL_NOV_2021_UK_DG.csv", 2000, imd=ranks)
    err = _refused(
        tmp_path / "s.duckdb",
        [path],
        "1 of 2,000 rows have an IMD rank that is not a whole number .* run again with --force",
    )
    assert err.problems[0].forceable
    with Store(tmp_path / "s.duckdb") as s:
        ingest([path], s, force=True)
        nulls = s.con.execute("SELECT count(*) FROM postcodes WHERE imd IS NULL").fetchall()
    assert nulls[0][0] == 1


def test_postcodes_and_codes_that_are_not_codes(tmp_path):
    path = _nspl(tmp_path / "NSPL_NOV_2021_UK_DG.csv", 20)
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    df.loc[3, ["pcd", "pcd2", "pcds"]] = "NOT A PC"
    df.loc[4, "oa11"] = "E0012"
    df.to_csv(path, index=False)
    _refused(
        tmp_path / "s.duckdb",
        [path],
        r"1 of 20 rows have a postcode that is not a UK "
        r"postcode \(e.g. 'NOT A PC'\); NSPL_NOV_2021_UK_DG.csv: 1 of 20 rows have an "
        r"output area code that is not an area code \(e.g. 'E0012'\)",
    )


# -- OAC, names, lookups ---------------------------------------------------------------
def _oac(path, subgroups: list[str], groups=None):
    codes = [f"E00{100000 + i:06d}" for i in range(len(subgroups))]
    pd.DataFrame(
        {
            "Geography_Code": codes,
            "Supergroup": [s[0] for s in subgroups],
            "Group": groups or [s[:2] for s in subgroups],
            "Subgroup": subgroups,
        }
    ).to_parquet(path)
    return path


def test_builtin_codes_are_the_2021_structure():
    assert (
        len({s[0] for s in OAC2021_SUBGROUPS}),
        len(OAC2021_GROUP_SIZES),
        len(OAC2021_SUBGROUPS),
    ) == (8, 21, 52)


def test_unknown_oac_codes_are_refused(tmp_path):
    store = tmp_path / "s.duckdb"
    path = _oac(tmp_path / "oac.parquet", ["1a1", "zz9", "zz9", "8b3"])
    err = _refused(
        store,
        [path],
        r"oac.parquet: 2 of 4 rows have a subgroup that is not a "
        r"2021 OAC subgroup \(e.g. 'zz9'",
        force=True,
    )
    assert "2011" not in str(err)
    old = _oac(tmp_path / "oac11.parquet", ["4a4", "2d1", "1a1"])  # 2011-only codes
    _refused(store, [old], "2 of 3 rows .* they look like 2011 OAC codes")
    tiers = _oac(tmp_path / "tiers.parquet", ["1a1", "3b2"], groups=["1a", "3c"])
    _refused(
        store,
        [tiers],
        r"1 of 2 rows have a supergroup or group that does not match "
        r"its subgroup \(e.g. '3/3c/3b2'\)",
    )


def test_codes_declared_by_a_names_file_are_known(tmp_path):
    """A names file (e.g. of another edition) makes its codes known, with --force."""
    names = tmp_path / "names.csv"
    pd.DataFrame(
        {
            "subgroup": ["9z1"],
            "group": ["9z"],
            "supergroup": ["9"],
            "supergroup_name": ["S"],
            "group_name": ["G"],
            "subgroup_name": ["N"],
        }
    ).to_csv(names, index=False)
    oac = _oac(tmp_path / "oac.parquet", ["9z1"])
    _refused(
        tmp_path / "s.duckdb",
        [names, oac],
        r"names.csv: names 1 subgroups that are "
        r"not 2021 OAC subgroups \(e.g. '9z1'\)",
    )
    with Store(tmp_path / "s.duckdb") as s:
        ingest([names, oac], s, force=True)
    assert _count(tmp_path / "s.duckdb", "oac_oa") == 1


def test_half_a_names_file_and_half_a_lookup_need_force(tmp_path):
    ref = write_tiny_reference(tmp_path / "ref")
    store = tmp_path / "s.duckdb"
    with Store(store) as s:
        ingest(ref, s)
    names, lookup = ref[2], ref[3]
    full = pd.read_csv(names)
    full.iloc[:1].to_csv(names, index=False)
    _refused(
        store,
        [names],
        r"oac_names.csv: has no names for 2 of the 3 subgroups the "
        r"classification uses \(e.g. '3b2'\); oac_names.csv: would remove 2 of the 3 "
        r"subgroup names the store holds",
    )
    pd.read_csv(lookup).iloc[:1].to_csv(lookup, index=False)
    _refused(
        store,
        [lookup],
        r"oa_lsoa.csv: would remove 2 of the 3 output areas of England "
        r"in the lookups the store holds",
    )
    assert (_count(store, "oac_names"), _count(store, "oa_links")) == (9, 3)


def test_lookup_with_codes_that_are_not_codes(tmp_path):
    lookup = tmp_path / "oa_lsoa.csv"
    pd.DataFrame(
        {"OA": [f"E00{i:06d}" for i in range(10)], "LSOA21CD": ["E01000001"] * 9 + ["lsoa one"]}
    ).to_csv(lookup, index=False)
    _refused(
        tmp_path / "s.duckdb",
        [lookup],
        r"1 of 10 rows have an area code that is not a "
        r"GSS code \(a letter and eight digits\) \(e.g. 'lsoa one'\)",
    )


# -- census ------------------------------------------------------------------------------
def _census(path, cells: dict[str, list]):
    n = len(next(iter(cells.values())))
    pd.DataFrame({"OA": [f"E00{100000 + i:06d}" for i in range(n)], **cells}).to_parquet(path)
    return path


def test_census_counts_as_text_are_refused(tmp_path):
    path = _census(
        tmp_path / "ts001.parquet",
        {"ts0010001": ["300", "1,234", "n/a", "7"], "ts0010002": ["290", "1200", "5", "7"]},
    )
    _refused(
        tmp_path / "s.duckdb",
        [path],
        r"ts001.parquet: 2 of 4 rows have a census count "
        r"that is not a number \(e.g. 'ts0010001=1,234'\)",
    )
    ok = _census(tmp_path / "ts001.parquet", {"ts0010001": ["300", "1234", "5", "7"]})
    with Store(tmp_path / "s.duckdb") as s:  # numbers stored as text are numbers
        ingest([ok], s)
    assert _count(tmp_path / "s.duckdb", "census_ts001") == 4


def test_census_table_without_its_total_is_refused(tmp_path):
    path = _census(tmp_path / "ts001.parquet", {"ts0010002": [290.0], "ts0010003": [10.0]})
    _refused(
        tmp_path / "s.duckdb",
        [path],
        "ts001.parquet: census table ts001 has no total "
        r"column ts0010001 \(every profile divides by it\)",
        force=True,
    )
    neg = _census(tmp_path / "ts041.parquet", {"ts0410001": [-3.0, 4.0]})
    _refused(tmp_path / "s.duckdb", [neg], "1 of 2 rows have a negative census count")


def test_census_covering_part_of_the_classification_needs_force(tmp_path):
    store = tmp_path / "s.duckdb"
    with Store(store) as s:
        ingest([_oac(tmp_path / "oac.parquet", ["1a1"] * 200)], s)
    part = _census(tmp_path / "ts001.parquet", {"ts0010001": [5.0] * 150})
    _refused(
        store,
        [part],
        "ts001.parquet: covers 150 of the 200 output areas of England "
        "that the store's classification holds",
    )
    whole = _census(tmp_path / "ts001.parquet", {"ts0010001": [5.0] * 200})
    with Store(store) as s:
        ingest([whole], s)
    _census(tmp_path / "ts001.parquet", {"ts0010001": [5.0] * 100})
    _refused(
        store,
        [part],
        "would remove 100 of the 200 output areas of England in census_ts001 the store holds",
    )
    assert _count(store, "census_ts001") == 200


def test_refusal_is_one_line_with_exit_2_and_force_option(held, tmp_path):
    from typer.testing import CliRunner

    from oacinsight.cli import app

    short = _nspl(tmp_path / "NSPL_NOV_2021_UK_DG.csv", 1000)
    res = CliRunner().invoke(app, ["data", "ingest", str(short), "--store", str(held)])
    assert res.exit_code == 2
    last = res.output.strip().splitlines()[-1]
    assert last.startswith(
        "error: refused, store left unchanged: NSPL_NOV_2021_UK_DG.csv: "
        "would remove 1,000 of the 2,000 postcodes"
    )
    res = CliRunner().invoke(app, ["data", "ingest", str(short), "--store", str(held), "--force"])
    assert res.exit_code == 0, res.output
    assert "warning: NSPL_NOV_2021_UK_DG.csv: would remove 1,000" in res.output
    assert _count(held, "postcodes") == 1000


def test_refusals_are_ingest_errors():
    assert issubclass(IngestRefused, IngestError)


def test_2011_names_are_loaded_apart_and_checked(tmp_path):
    names = tmp_path / "oac2011_names.csv"
    names.write_text(
        "OAC11,Supergroup,Group,Subgroup\n"
        "4A2,Multicultural metropolitans,Rented family living,Private renting\n"
        "4A3,Multicultural metropolitans,Rented family living,Social renting\n"
        '9Z9,"(pseudo) CI, IoM","(pseudo) CI, IoM","(pseudo) CI, IoM"'
    )
    ref = write_tiny_reference(tmp_path / "ref")
    store = tmp_path / "s.duckdb"
    with Store(store) as s:
        report = ingest([*ref, names], s)
        rows = s.con.execute(
            "SELECT level, code, name, parent FROM oac11_names ORDER BY level, code"
        ).fetchall()
        sup3 = s.con.execute(
            "SELECT name FROM oac_names WHERE level = 'supergroup' AND code = '3'"
        ).fetchall()
    assert [i.action for i in report.items] == ["loaded"] * 5
    assert rows == [
        ("group", "4A", "Rented family living", "4"),
        ("group", "9Z", "(pseudo) CI, IoM", "9"),
        ("subgroup", "4A2", "Private renting", "4A"),
        ("subgroup", "4A3", "Social renting", "4A"),
        ("subgroup", "9Z9", "(pseudo) CI, IoM", "9Z"),
        ("supergroup", "4", "Multicultural metropolitans", None),
        ("supergroup", "9", "(pseudo) CI, IoM", None),
    ]
    assert sup3 == [("Multicultural and Educated Urbanites",)]  # the 2021 names untouched
    names.write_text("OAC11,Supergroup,Group,Subgroup\n4A2,M,R,P\nzz9,M,R,Q\n")
    _refused(
        store,
        [names],
        r"oac2011_names.csv: 1 of 2 rows have a code that is not a 2011 "
        r"OAC subgroup code .* \(e.g. 'ZZ9'\)",
    )


def test_census_metadata_without_its_columns_is_refused(tmp_path):
    meta = tmp_path / "Table_Metadata.csv"
    meta.write_text("Table_Name,Type,new_names,Table_ID\nResidence type,Value,ts0010001,ts001\n")
    _refused(
        tmp_path / "s.duckdb",
        [meta],
        "Table_Metadata.csv: lacks the column Variable_Name of Table_Metadata.csv",
    )
