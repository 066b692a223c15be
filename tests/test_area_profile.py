"""Area profiles on the synthetic Demoshire store, the request parser, indicators, the
PDF renderer and the ``area`` command."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from pypdf import PdfReader
from typer.testing import CliRunner

from oacinsight.areas import (
    MIX_COLUMNS,
    OUTPUT_FILES,
    Indicator,
    parse_request,
    profile_area,
    profile_wards,
)
from oacinsight.areas.codes import classify_code
from oacinsight.areas.indicators import INDICATORS, choose_indicators, indicator_values
from oacinsight.cli import app
from oacinsight.errors import OacInsightError, StoreError
from oacinsight.reports import OnePage, pdf_text

runner = CliRunner()
WARD = "E05999001"  # "Abbey" in the demo's ward names file
LAD = "E06000999"


@pytest.fixture(scope="module")
def demo_store(demo) -> Path:
    return demo[0]


@pytest.fixture(scope="module")
def abbey(demo_store):
    return profile_area(WARD, store=demo_store, comparators=4)


@pytest.fixture(scope="module")
def demo_census(demo) -> dict[str, pd.DataFrame]:
    files = demo[1]
    return {
        p.stem: pd.read_parquet(p).set_index("OA")
        for p in sorted(files.census_dir.glob("ts*.parquet"))
    }


# -- requests ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("E05000849", "ward"),
        ("w05000001", "ward"),
        ("E01011040", "lsoa"),
        ("E08000010", "lad"),
        ("W06000023", "lad"),
        ("E12000002", "region"),
        ("E92000001", "country"),
        ("E02000001", "msoa"),
    ],
)
def test_codes_are_classified(code: str, kind: str) -> None:
    assert parse_request(code).kind == kind
    assert parse_request(code).code == code.upper()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no area given"),
        (" , ;", "the list is empty"),
        ("hello", "not an area code or a file"),
        ("E14000530", "Westminster constituency code, which 'area' does not profile"),
        ("K04000001", "England and Wales code"),
        ("S12000006", "Scottish council area code: it has no OAC 2021"),
        ("N09000001", "Northern Ireland district"),
        ("E00000001,S00090001", "not England or Wales output area codes"),
        ("E00000001,E05000849", "E05000849"),
    ],
)
def test_bad_requests_say_why(text: str, message: str) -> None:
    with pytest.raises(OacInsightError, match=message) as info:
        parse_request(text)
    assert "\n" not in str(info.value)


def test_lists_and_files_of_output_areas(tmp_path: Path) -> None:
    r = parse_request("E00000001, e00000002;E00000001")
    assert (r.kind, r.oas) == ("patch", ("E00000001", "E00000002"))
    assert r.code == "patch of 2 output areas"
    assert parse_request("E00000003").oas == ("E00000003",)
    assert parse_request(["E00000004", "W00000001"]).oas == ("E00000004", "W00000001")
    f = tmp_path / "Canal side.csv"
    f.write_text('"OA21CD","note"\n"E00000001","x"\nE00000002,y\n\n', encoding="utf-8")
    r = parse_request(f)
    assert (r.code, r.oas) == ("Canal side", ("E00000001", "E00000002"))
    with pytest.raises(OacInsightError, match="not England or Wales output area codes"):
        parse_request(str(f))  # text is never opened as a file
    (tmp_path / "SECRET.CSV").write_text("E00000001\n", encoding="utf-8")
    with pytest.raises(OacInsightError, match="not an area code"):
        parse_request(str(tmp_path / "SECRET.CSV"))
    empty = tmp_path / "empty.txt"
    empty.write_text("oa\n", encoding="utf-8")
    with pytest.raises(OacInsightError, match=r"empty\.txt: no output area codes given"):
        parse_request(empty)
    with pytest.raises(OacInsightError, match="no such file"):
        parse_request(tmp_path / "missing.csv")
    with pytest.raises(OacInsightError, match="list is empty"):
        parse_request([])


def test_classify_code_accepts_only_gss() -> None:
    assert classify_code("E00000001") == "oa"
    with pytest.raises(OacInsightError, match="E40 type"):
        classify_code("E40000001")


# -- indicators -------------------------------------------------------------------------
def test_indicator_definitions_are_checked() -> None:
    with pytest.raises(OacInsightError, match="must come from ts054"):
        Indicator("mixed", "Mixed", "ts054", ("ts0450002",), "ts0540001", "%")
    with pytest.raises(OacInsightError, match="cells must look like"):
        Indicator("bad", "Bad", "ts054", ("owned",), "ts0540001", "%")
    with pytest.raises(OacInsightError, match="kind must be"):
        Indicator("bad", "Bad", "ts054", ("ts0540002",), "ts0540001", "%", "mean")
    with pytest.raises(OacInsightError, match="unknown indicator 'cars'"):
        choose_indicators(["cars"], {})
    chosen, skipped = choose_indicators(
        ["no_car", "density"], {"ts045": ["ts0450001", "ts0450002"]}
    )
    assert [i.key for i in chosen] == ["no_car"]
    assert skipped == ["Population density (ts006)"]
    assert INDICATORS["unpaid_care"].definition == (
        "100 × (ts0390003 + ts0390006 + ts0390009) ÷ ts0390001"
    )


def test_indicator_values_sum_counts_before_dividing() -> None:
    frame = pd.DataFrame(
        {
            "oa": ["a", "b", "c"],
            "g": ["x", "x", "y"],
            "ts0450001": [10.0, 30.0, 0.0],
            "ts0450002": [5.0, 3.0, 0.0],
            "ts0010001": [20.0, 60.0, 10.0],
            "ts0060001": [1000.0, 3000.0, 0.0],
        }
    )
    ind = [INDICATORS["no_car"], INDICATORS["density"]]
    by = indicator_values(frame, ind, by="g")
    assert by.loc["x", "no_car"] == pytest.approx(100 * 8 / 40)  # not the mean of 50 and 10
    assert pd.isna(by.loc["y", "no_car"])  # 0 households: no rate
    # density of the whole: 80 residents on 0.02 + 0.02 km² (OA c has no area)
    assert by.loc["x", "density"] == pytest.approx(80 / 0.04)
    assert indicator_values(frame, ind).loc["all", "no_car"] == pytest.approx(20.0)


# -- a demo ward ------------------------------------------------------------------------
def test_demo_ward_numbers(abbey, demo_census) -> None:
    p = abbey
    oas = pd.Index(p.output_area_table["oa"])
    assert p.name == "Abbey" and p.title == f"Abbey ({WARD})"
    assert p.parent_code == LAD and p.parent_name == "Demoshire"
    assert p.national_name == "all 290 output areas in the store"
    assert p.residents == demo_census["ts001"].loc[oas, "ts0010001"].sum()
    assert p.households == demo_census["ts041"].loc[oas, "ts0410001"].sum()
    mix = p.to_frame()
    assert tuple(mix.columns) == MIX_COLUMNS
    sup = mix[mix["level"] == "supergroup"]
    assert sup["pct"].sum() == pytest.approx(100.0)
    assert sup["residents"].sum() == p.residents
    # the parent is the whole demo store here, so parent and national agree
    assert sup["parent_pct"].to_numpy() == pytest.approx(sup["national_pct"].to_numpy())
    t = demo_census["ts054"].loc[oas]
    owners = 100 * t["ts0540002"].sum() / t["ts0540001"].sum()
    ind = p.indicators.set_index("indicator")
    assert ind.loc["owner_occupied", "value"] == pytest.approx(owners)
    assert set(ind.index) == {
        "owner_occupied",
        "social_rented",
        "private_rented",
        "no_car",
        "bad_health",
    }
    assert any("ts006" in n for n in p.notes)  # indicators without tables are named


def test_summary_sentences_carry_the_numbers(abbey) -> None:
    p = abbey
    top = p.oac_mix[p.oac_mix["level"] == "supergroup"].sort_values("residents").iloc[-1]
    text = " ".join(p.summary)
    assert f"{p.residents:,.0f} usual residents" in text
    assert f"'{top['name']}': {top['pct']:.0f}% of residents" in text
    dep = p.deprivation_summary["pct_deciles_1_2"]
    assert f"{dep:.0f}% of residents live in neighbourhoods (LSOAs)" in text
    assert "postcodes lie" in text


def test_demo_comparators(abbey, demo_store) -> None:
    c = abbey.comparators
    assert list(c["rank"]) == [0, 1, 2, 3, 4]
    assert c.loc[0, "code"] == WARD and c.loc[0, "distance"] == 0
    assert c["code"].iloc[1:].str.startswith("E05999").all()
    assert (c["distance"].iloc[1:].diff().dropna() >= 0).all()
    assert c["mix_difference_pct"].between(0, 100).all()
    again = profile_area(WARD, store=demo_store, comparators=4)
    pd.testing.assert_frame_equal(c, again.comparators)
    none = profile_area(WARD, store=demo_store, comparators=0)
    assert list(none.comparators["rank"]) == [0]
    with pytest.raises(OacInsightError, match="0 or more"):
        profile_area(WARD, store=demo_store, comparators=-1)
    with pytest.raises(OacInsightError, match="unknown --compare-by"):
        profile_area(WARD, store=demo_store, compare_by="vibes")


def test_custom_indicator_through_the_api(demo_store, demo_census) -> None:
    outright = Indicator(
        "owns_outright",
        "Households owning outright",
        "ts054",
        ("ts0540003",),
        "ts0540001",
        "% of households",
    )
    p = profile_area(WARD, store=demo_store, indicators=[outright, "no_car"])
    assert list(p.indicators["indicator"]) == ["owns_outright", "no_car"]
    t = demo_census["ts054"].loc[list(p.output_area_table["oa"])]
    assert p.indicators.loc[0, "value"] == pytest.approx(
        100 * t["ts0540003"].sum() / t["ts0540001"].sum()
    )


def test_patch_and_district(demo_store, demo_census) -> None:
    oas = ["E00999001", "E00999002", "E00999040"]
    p = profile_area(",".join(oas), store=demo_store)
    assert p.kind == "patch" and p.parent_code == LAD
    assert p.residents == demo_census["ts001"].loc[oas, "ts0010001"].sum()
    assert p.comparators.loc[0, "name"] == "patch of 3 output areas"
    lad = profile_area(LAD, store=demo_store)
    assert lad.residents == demo_census["ts001"]["ts0010001"].sum()
    assert lad.parent_code.startswith("E12")


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("E05000001", "unknown ward code E05000001"),
        ("E00999001,E00000007", "1 output area code"),
        ("E01000001", "unknown LSOA code"),
    ],
)
def test_demo_bad_areas(demo_store, code, message) -> None:
    with pytest.raises(OacInsightError, match=message):
        profile_area(code, store=demo_store)


def test_store_without_census(tiny_store) -> None:
    with pytest.raises(StoreError, match="no Census 2021 TS001"):
        profile_area("E05000001", store=tiny_store)


# -- outputs ----------------------------------------------------------------------------
def test_writes_every_output(abbey, tmp_path) -> None:
    written = abbey.write_folder(tmp_path / "abbey")
    names = sorted(p.name for p in written.values())
    assert names == sorted(OUTPUT_FILES)
    mix = pd.read_csv(written["oac_mix"], dtype={"code": str})
    assert list(mix.columns) == list(MIX_COLUMNS)
    assert len(mix) == len(abbey.oac_mix)
    sheets = pd.ExcelFile(written["xlsx"]).sheet_names
    assert sheets == [
        "overview",
        "oac_mix",
        "indicators",
        "deprivation",
        "deprivation_lsoas",
        "comparators",
        "scale_effect",
        "output_areas",
    ]
    reader = PdfReader(written["pdf"])
    assert len(reader.pages) == 1
    text = " ".join(reader.pages[0].extract_text().split())
    assert "Ward profile: Abbey (E05999001)" in text
    assert f"{abbey.residents:,.0f} usual residents (Census 2021)" in text
    assert "no further suppression is needed, so none is applied" in text
    html = written["html"].read_text(encoding="utf-8")
    assert abbey.summary[0] in html
    assert "http://" not in html and "https://" not in html  # offline: nothing fetched
    assert html.count("data:image/png;base64,") == 4


def test_pdf_renderer_keeps_to_one_page(tmp_path) -> None:
    page = OnePage(tmp_path / "long.pdf", title="Long")
    band, body = page.rows([1, 9])
    page.band(band, "A title ≥ long", "subtitle")
    page.text(body, ["A long paragraph − with symbols. " * 60] * 40, heading="Lots")
    path = page.save()
    reader = PdfReader(path)
    assert len(reader.pages) == 1
    assert "A title >= long" in reader.pages[0].extract_text()
    assert pdf_text("a ≥ b − c ≈ d") == "a >= b - c ~ d"


def test_batch_profiles_every_ward(demo_store, tmp_path) -> None:
    result = profile_wards(
        LAD, tmp_path / "batch", store=demo_store, comparators=2, pdf=False, jobs=1
    )
    assert len(result.wards) == 12
    index = result.to_frame()
    assert index.loc[0, "code"] == LAD and len(index) == 13
    assert index["residents"].iloc[1:].sum() == result.district.residents
    html = result.index_html.read_text(encoding="utf-8")
    for ward in result.wards:
        assert (tmp_path / "batch" / ward.code / "oac_mix.csv").exists()
        assert f'href="{ward.code}/profile.html"' in html
    with pytest.raises(OacInsightError, match="needs a local authority code"):
        profile_wards(WARD, tmp_path / "bad", store=demo_store)


def test_batch_in_worker_processes(demo_store, tmp_path) -> None:
    result = profile_wards(LAD, tmp_path / "pool", store=demo_store, comparators=2, jobs=2)
    pdfs = sorted((tmp_path / "pool").glob("*/profile.pdf"))
    assert len(pdfs) == len(result.wards) + 1
    assert all(len(PdfReader(p).pages) == 1 for p in pdfs[:3])


# -- command line -----------------------------------------------------------------------
def test_cli_area(demo_store, tmp_path) -> None:
    out = tmp_path / "cli"
    res = runner.invoke(
        app,
        [
            "area",
            WARD,
            "-o",
            str(out),
            "--store",
            str(demo_store),
            "--comparators",
            "3",
            "--no-pdf",
        ],
    )
    assert res.exit_code == 0, res.output
    assert "Abbey (E05999001) is a ward of" in res.output
    assert (out / "oac_mix.csv").exists() and not (out / "profile.pdf").exists()
    comp = pd.read_csv(out / "comparators.csv")
    assert len(comp) == 4


def test_cli_area_reads_a_named_file_of_output_areas(demo_store, tmp_path, monkeypatch) -> None:
    patch = tmp_path / "my patch.csv"
    patch.write_text("oa21cd\nE00999001\nE00999002\n", encoding="utf-8")
    res = runner.invoke(
        app,
        ["area", str(patch), "-o", str(tmp_path / "out"), "--store", str(demo_store), "--no-pdf"],
    )
    assert res.exit_code == 0, res.output
    assert "my patch" in res.output
    monkeypatch.chdir(tmp_path)
    (tmp_path / WARD).write_text("E00999001\n", encoding="utf-8")  # a file named as a code
    res = runner.invoke(
        app, ["area", WARD, "-o", str(tmp_path / "w"), "--store", str(demo_store), "--no-pdf"]
    )
    assert res.exit_code == 0 and f"Abbey ({WARD}) is a ward of" in res.output  # the code


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["E14000530"], "error: E14000530 is a Westminster constituency code"),
        ([","], "error: output area list: no output area codes given"),
        (["E05999001", "--batch"], "error: --batch needs a local authority code"),
        (["E05999001", "--indicators", "cars"], "error: unknown indicator 'cars'"),
    ],
)
def test_cli_bad_input_exit_2(demo_store, tmp_path, args, message) -> None:
    res = runner.invoke(app, ["area", *args, "-o", str(tmp_path / "x"), "--store", str(demo_store)])
    assert res.exit_code == 2
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert lines[-1].startswith(message)
    assert len([ln for ln in lines if ln.startswith("error:")]) == 1


def test_demo_writes_a_ward_profile(tmp_path) -> None:
    from oacinsight.demo.run import DEMO_WARD, run_demo

    run = run_demo(tmp_path / "demo", n_customers=500)
    pdf = run.outputs["ward_profile_pdf"]
    assert pdf.parent.name == "ward_profile"
    text = " ".join(PdfReader(pdf).pages[0].extract_text().split())
    assert f"Ward profile: Abbey ({DEMO_WARD})" in text
    assert len(PdfReader(pdf).pages) == 1
    assert run.outputs["ward_profile_xlsx"].exists()


def test_whole_ward_in_a_small_store_says_what_national_covers(abbey, demo_census) -> None:
    n = len(demo_census["ts001"])
    assert abbey.is_whole and abbey.coverage_status == "whole"
    assert abbey.coverage == [
        f"the national comparator is all {n:,} output areas in the store, not England and "
        f"Wales: the census tables in the store hold {n:,} of its 188,880 output areas"
    ]
    assert abbey.parent_label == abbey.parent_name == "Demoshire"
    assert set(abbey.comparators["coverage"]) == {"whole"}
    assert abbey.to_dict()["coverage"] == abbey.coverage
