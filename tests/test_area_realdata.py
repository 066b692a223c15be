"""Area profiles on the real ONS data: every number checked against pandas on the files.

Wards of Calderdale (HX), Sunderland (SR) and Wigan (WN) are derived from the postcode
directory (no official OA-to-ward lookup is in the shared data), so the independent
recomputation redoes that derivation from the NSPL CSVs with pandas.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from tests.conftest import need_shared

from oacinsight.areas import MIX_COLUMNS, open_context, parse_request, profile_area
from oacinsight.areas.indicators import INDICATORS
from oacinsight.areas.profile import build_profile
from oacinsight.errors import OacInsightError

pytestmark = pytest.mark.realdata

TABLES = (
    "ts001",
    "ts006",
    "ts011",
    "ts037",
    "ts038",
    "ts039",
    "ts041",
    "ts045",
    "ts053",
    "ts054",
    "ts062",
    "ts063",
    "ts067",
)
WARDS = {
    "calderdale": ("E05001376", "E08000033"),
    "sunderland": ("E05001158", "E08000024"),
    "wigan": ("E05000854", "E08000010"),
}


@pytest.fixture(scope="session")
def area_store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every postcode file, the OAC files, lookups and the census tables the indicators use."""
    from oacinsight.ingest import ingest
    from oacinsight.store import Store

    census = need_shared("census2021_oa")
    paths = [
        need_shared("postcodes"),
        need_shared("oac"),
        need_shared("geography"),
        census / "Table_Metadata.csv",
        *(census / f"{t}.parquet" for t in TABLES),
    ]
    path = tmp_path_factory.mktemp("areas") / "store.duckdb"
    with Store(path) as store:
        ingest(paths, store)
    return path


@pytest.fixture(scope="module")
def census() -> dict[str, pd.DataFrame]:
    folder = need_shared("census2021_oa")
    return {t: pd.read_parquet(folder / f"{t}.parquet").set_index("OA") for t in TABLES}


@pytest.fixture(scope="module")
def placement() -> pd.DataFrame:
    """OA -> ward, LAD and IMD rank by the postcode majority (live postcodes first), in
    pandas straight from the NSPL CSVs."""
    cols = ["pcds", "doterm", "oa11", "laua", "ward", "imd"]
    files = sorted(need_shared("postcodes").glob("NSPL_*.csv"))
    nspl = pd.concat([pd.read_csv(f, usecols=cols, dtype=str) for f in files])
    oac = pd.read_parquet(need_shared("oac", "oac2021_uk_oa.parquet"))
    nspl = nspl[nspl["oa11"].isin(set(oac["Geography_Code"]))]
    live = nspl[nspl["doterm"].isna()]
    use = pd.concat([live, nspl[~nspl["oa11"].isin(set(live["oa11"]))]])
    out = {}
    for key in ("ward", "laua", "imd"):
        counts = use.groupby(["oa11", key]).size().rename("n").reset_index()
        counts = counts.sort_values(["oa11", "n"], ascending=[True, False])
        out[key] = counts.drop_duplicates("oa11").set_index("oa11")[key]
    frame = pd.DataFrame(out)
    frame["imd"] = frame["imd"].astype(int)
    return frame


def _rate(census: dict[str, pd.DataFrame], oas: pd.Index, key: str) -> float:
    ind = INDICATORS[key]
    if ind.kind == "density":
        res = census["ts001"].loc[oas, "ts0010001"]
        dens = census["ts006"].loc[oas, "ts0060001"]
        ok = dens > 0
        return float(res[ok].sum() / (res[ok] / dens[ok]).sum())
    table = census[ind.table].loc[oas]
    return (
        100.0 * float(table[list(ind.numerator)].sum().sum()) / float(table[ind.denominator].sum())
    )


@pytest.fixture(scope="module")
def profiles(area_store_path: Path) -> dict[str, object]:
    ctx = open_context(area_store_path)
    out = {
        name: build_profile(ctx, parse_request(code), comparators=5)
        for name, (code, _) in WARDS.items()
    }
    ctx.store.close()
    return out


@pytest.mark.parametrize("name", list(WARDS))
def test_ward_membership_matches_the_postcode_majority(name, profiles, placement) -> None:
    ward, lad = WARDS[name]
    p = profiles[name]
    expected = set(placement.index[placement["ward"] == ward])
    assert set(p.output_area_table["oa"]) == expected
    assert (p.output_area_table["placed_by"] == "postcode majority").all()
    assert p.parent_code == lad
    assert "most of their postcodes" in p.membership


@pytest.mark.parametrize("name", list(WARDS))
def test_residents_and_mix_add_up(name, profiles, census) -> None:
    p = profiles[name]
    oas = pd.Index(p.output_area_table["oa"])
    residents = float(census["ts001"].loc[oas, "ts0010001"].sum())
    assert p.residents == residents
    assert p.households == float(census["ts041"].loc[oas, "ts0410001"].sum())
    mix = p.to_frame()
    assert tuple(mix.columns) == MIX_COLUMNS
    for level, n in (("supergroup", 8), ("group", 21), ("subgroup", 52)):
        part = mix[mix["level"] == level]
        assert len(part) == n
        assert part["pct"].sum() == pytest.approx(100.0, abs=1e-9)
        assert part["parent_pct"].sum() == pytest.approx(100.0, abs=1e-9)
        assert part["national_pct"].sum() == pytest.approx(100.0, abs=1e-9)
        assert part["residents"].sum() == residents


def test_mix_matches_pandas(profiles, census, placement) -> None:
    p = profiles["sunderland"]
    oac = pd.read_parquet(need_shared("oac", "oac2021_uk_oa.parquet")).set_index("Geography_Code")
    res = census["ts001"]["ts0010001"]
    ew = oac.loc[oac.index.isin(res.index)].join(res)
    mine = ew.loc[list(p.output_area_table["oa"])]
    lad = ew.loc[ew.index.isin(placement.index[placement["laua"] == "E08000024"])]
    got = p.to_frame().set_index(["level", "code"])
    for code in ("7", "8", "6"):
        pct = (
            100
            * mine.loc[mine["Supergroup"].astype(str) == code, "ts0010001"].sum()
            / (mine["ts0010001"].sum())
        )
        par = (
            100
            * lad.loc[lad["Supergroup"].astype(str) == code, "ts0010001"].sum()
            / (lad["ts0010001"].sum())
        )
        nat = (
            100
            * ew.loc[ew["Supergroup"].astype(str) == code, "ts0010001"].sum()
            / (ew["ts0010001"].sum())
        )
        row = got.loc[("supergroup", code)]
        assert row["pct"] == pytest.approx(pct)
        assert row["parent_pct"] == pytest.approx(par)
        assert row["national_pct"] == pytest.approx(nat)
        if par > 0:
            assert row["index_vs_parent"] == pytest.approx(100 * pct / par)
        assert row["index_vs_national"] == pytest.approx(100 * pct / nat)


@pytest.mark.parametrize("name", list(WARDS))
def test_indicator_rates_match_pandas(name, profiles, census, placement) -> None:
    lad = WARDS[name][1]
    p = profiles[name]
    oas = pd.Index(p.output_area_table["oa"])
    lad_oas = pd.Index(placement.index[placement["laua"] == lad]).intersection(
        census["ts001"].index
    )
    all_oas = census["ts001"].index
    table = p.indicators.set_index("indicator")
    assert list(table.index) == list(INDICATORS)
    for key in INDICATORS:
        assert table.loc[key, "value"] == pytest.approx(_rate(census, oas, key), rel=1e-12)
        assert table.loc[key, "parent_value"] == pytest.approx(
            _rate(census, lad_oas, key), rel=1e-12
        )
        assert table.loc[key, "national_value"] == pytest.approx(
            _rate(census, all_oas, key), rel=1e-12
        )


def test_known_values_of_a_sunderland_ward(profiles) -> None:
    p = profiles["sunderland"]
    t = p.indicators.set_index("indicator")
    # Sums of the published Census 2021 OA counts of the 46 OAs placed in E05001158
    # (checked against pandas above); kept as a regression check.
    assert p.output_areas == 46
    assert (p.residents, p.households) == (11_463, 5_406)
    assert (t.loc["no_car", "numerator"], t.loc["no_car", "denominator"]) == (2_867, 5_406)
    assert t.loc["no_car", "value"] == pytest.approx(53.0337, abs=1e-4)
    assert t.loc["unpaid_care", "denominator"] < p.residents  # residents aged 5+


@pytest.mark.parametrize("name", list(WARDS))
def test_deprivation_matches_pandas(name, profiles, census, placement) -> None:
    p = profiles[name]
    oas = pd.Index(p.output_area_table["oa"])
    rank = placement.loc[oas, "imd"]
    decile = np.ceil(10 * rank / 32_844)
    res = census["ts001"].loc[oas, "ts0010001"]
    share = 100 * res[decile.to_numpy() <= 2].sum() / res.sum()
    assert p.deprivation_summary["pct_deciles_1_2"] == pytest.approx(share)
    dep = p.deprivation
    assert list(dep["decile"]) == list(range(1, 11))
    assert dep["pct"].sum() == pytest.approx(100.0)
    assert dep["residents"].sum() == res.sum()
    for d in range(1, 11):
        want = res[decile.to_numpy() == d].sum()
        assert dep.loc[dep["decile"] == d, "residents"].iloc[0] == want
    assert p.deprivation_summary["lsoas"] == rank.nunique()


def test_scale_effect_matches_pandas(profiles, census) -> None:
    p = profiles["wigan"]
    oas = pd.Index(p.output_area_table["oa"])
    t = census["ts045"].loc[oas]
    per_oa = 100 * t["ts0450002"] / t["ts0450001"]
    s = p.scale[p.scale["indicator"] == "no_car"].set_index("level")
    assert s.loc["output area", "units"] == len(oas)
    assert s.loc["output area", "min"] == pytest.approx(per_oa.min())
    assert s.loc["output area", "median"] == pytest.approx(per_oa.median())
    assert s.loc["output area", "max"] == pytest.approx(per_oa.max())
    lsoa = p.output_area_table.set_index("oa")["lsoa21"]
    by_lsoa = t.groupby(lsoa.loc[oas].to_numpy()).sum()
    per_lsoa = 100 * by_lsoa["ts0450002"] / by_lsoa["ts0450001"]
    assert s.loc["LSOA", "units"] == len(per_lsoa)
    assert s.loc["LSOA", "min"] == pytest.approx(per_lsoa.min())
    assert s.loc["LSOA", "max"] == pytest.approx(per_lsoa.max())
    whole = 100 * t["ts0450002"].sum() / t["ts0450001"].sum()
    assert s.loc["whole area", "median"] == pytest.approx(whole)
    assert s.loc["output area", "min"] <= s.loc["LSOA", "min"] <= whole
    assert whole <= s.loc["LSOA", "max"] <= s.loc["output area", "max"]


def _mix_distance_by_pandas(area_store_path: Path, ward: str) -> pd.Series:
    """The documented mix distance, recomputed: z-scored group shares of every ward with
    at least 1,000 residents (and the ward itself), RMS of the differences."""
    ctx = open_context(area_store_path)
    f = ctx.frame[ctx.frame["ward"].notna() & ctx.frame["group_code"].notna()]
    ctx.store.close()
    shares = f.pivot_table(
        index="ward", columns="group_code", values="residents", aggfunc="sum", fill_value=0.0
    )
    totals = shares.sum(axis=1)
    shares = 100 * shares.div(totals, axis=0)
    pool = shares[(totals >= 1000) | (shares.index == ward)]
    z = (pool - pool.mean()) / pool.std(ddof=0)
    z = z.loc[:, pool.std(ddof=0) > 0]
    d = np.sqrt(((z - z.loc[ward]) ** 2).mean(axis=1)).drop(ward)
    return d.sort_values(kind="mergesort")


def test_comparators_follow_the_documented_distance(area_store_path) -> None:
    ward = WARDS["sunderland"][0]
    p = profile_area(ward, store=area_store_path, comparators=5, compare_by="mix")
    c = p.comparators
    assert c.loc[0, "code"] == ward and c.loc[0, "rank"] == 0
    expected = _mix_distance_by_pandas(area_store_path, ward)
    expected = expected.reset_index().sort_values([0, "ward"], kind="mergesort").head(5)
    assert list(c["code"].iloc[1:]) == list(expected["ward"])
    assert np.allclose(c["distance"].iloc[1:].astype(float), expected[0], rtol=1e-9)
    assert (c["residents"].iloc[1:] >= 1000).all()
    assert list(c["distance"].iloc[1:]) == sorted(c["distance"].iloc[1:])


def test_comparators_are_reproducible_and_within_a_region(area_store_path) -> None:
    ward = WARDS["calderdale"][0]
    a = profile_area(ward, store=area_store_path, comparators=8)
    b = profile_area(ward, store=area_store_path, comparators=8)
    pd.testing.assert_frame_equal(a.comparators, b.comparators)
    inside = profile_area(ward, store=area_store_path, comparators=8, within="E12000003")
    assert (inside.comparators["region"].iloc[1:] == "E12000003").all()
    assert "in E12000003" in inside.comparators_method
    assert len(inside.comparators) == 9


def test_lsoa_and_district_profiles(area_store_path, census) -> None:
    lsoa = profile_area("E01011040", store=area_store_path, comparators=3)
    lookup = pd.read_csv(need_shared("geography", "oa21_to_lsoa21_ew.csv"), dtype=str)
    oas = pd.Index(lookup.loc[lookup["geography_code"] == "E01011040", "OA"])
    assert set(lsoa.output_area_table["oa"]) == set(oas)
    assert lsoa.residents == census["ts001"].loc[oas, "ts0010001"].sum()
    assert "official" in lsoa.membership
    lad = profile_area("E08000024", store=area_store_path, comparators=3)
    assert lad.parent_code == "E12000001"
    assert lad.kind_label == "local authority"
    assert any("postcode areas only" in n for n in lad.notes)


def test_country_profile_is_england(area_store_path, census) -> None:
    p = profile_area("W92000004", store=area_store_path, comparators=3)
    wales = census["ts001"].index[census["ts001"].index.str.startswith("W")]
    assert p.residents == census["ts001"].loc[wales, "ts0010001"].sum()
    assert p.comparators.empty
    assert p.parent_name == "England and Wales"


def test_patch_file_of_output_areas(area_store_path, tmp_path, census) -> None:
    patch = tmp_path / "my patch.csv"
    oas = ["E00051234", "E00051235", "E00051236"]
    patch.write_text("oa21cd\n" + "\n".join(oas) + "\n", encoding="utf-8")
    p = profile_area(patch, store=area_store_path, comparators=3)
    assert p.kind == "patch" and p.name == "my patch"
    assert p.residents == census["ts001"].loc[oas, "ts0010001"].sum()
    assert "listed" in p.membership


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("S12000006", "Scottish council area"),
        ("S13002884", "no OAC 2021"),
        ("E05099999", "unknown ward code E05099999"),
        ("E14000530", "Westminster constituency"),
        ("E00999999,E00051234", "no Census 2021"),
    ],
)
def test_bad_codes_on_real_data(area_store_path, code, message) -> None:
    with pytest.raises(OacInsightError, match=message) as info:
        profile_area(code, store=area_store_path)
    assert "\n" not in str(info.value)


def test_profile_pdf_one_page_with_text(profiles, tmp_path) -> None:
    from pypdf import PdfReader

    p = profiles["wigan"]
    written = p.write_folder(tmp_path / "wigan")
    reader = PdfReader(written["pdf"])
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    # only WN is loaded: 8 OAs with no postcode share this ward's LSOAs, so it is partial
    for want in (
        "Ward (partial) profile",
        "partial: 49 output areas (15,428 residents)",
        WARDS["wigan"][0],
        "In brief",
        "Most similar areas",
        "About these figures",
        "Averages hide differences",
    ):
        assert want in text
    assert f"{p.residents:,.0f}" in text
    assert not math.isnan(p.residents)


def test_calderdale_is_headlined_as_partial(area_store_path, tmp_path) -> None:
    """Only HX is loaded: Calderdale's headline says so, with the census evidence, and the
    estimate is within 1% of ONS's published Census 2021 population (206,600)."""
    import json

    p = profile_area("E08000033", store=area_store_path, comparators=3)
    assert p.coverage_status == "partial" and p.residents == 160_368
    first = p.coverage[0]
    assert first.startswith(
        "partial: 516 output areas loaded (160,368 residents); the census holds "
    )
    estimate = float(first.split("output areas (")[1].split(" residents")[0].replace(",", ""))
    assert estimate == pytest.approx(206_600, rel=0.01)
    assert p.parent_label == "Yorkshire and The Humber (HG, HX only)"
    assert p.coverage[1].startswith(
        "comparator Yorkshire and The Humber (E12000003) is "
        "partial: this region here is only what lies in the "
        "loaded postcode areas (HG, HX)"
    )
    assert p.summary[0].startswith("The part of E08000033 (local authority) held in the store")
    written = p.write_folder(tmp_path / "calderdale")
    assert json.loads(written["json"].read_text(encoding="utf-8"))["coverage"][0] == first
    overview = pd.read_excel(written["xlsx"], sheet_name="overview")
    assert overview.iloc[0].tolist() == ["coverage", first]
    html = written["html"].read_text(encoding="utf-8")
    assert html.index(first[:60]) < html.index("In brief")
    from pypdf import PdfReader

    text = " ".join(PdfReader(written["pdf"]).pages[0].extract_text().split())
    assert "Local authority (partial) profile: E08000033" in text
    assert "partial: 516 output areas loaded" in text
    assert text.index("partial: 516") < text.index("In brief")


def test_wigan_estimate_is_its_lsoa_code_block(area_store_path, census) -> None:
    """Wigan's 2021 LSOAs are numbered E01006212-E01006411: the 1,073 output areas in
    them hold 329,317 residents (ONS publishes 329,300), which is what the profile says
    the census holds while the WN directory places only 804 of them."""
    lookup = pd.read_csv(need_shared("geography", "oa21_to_lsoa21_ew.csv"), dtype=str)
    number = lookup["geography_code"].str[3:].astype(int)
    block = lookup[lookup["geography_code"].str.startswith("E01") & number.between(6212, 6411)]
    assert block["geography_code"].nunique() == 200
    residents = census["ts001"].loc[block["OA"], "ts0010001"].sum()
    assert (len(block), residents) == (1_073, 329_317)
    p = profile_area("E08000010", store=area_store_path, comparators=3)
    assert p.coverage[0].startswith(
        "partial: 804 output areas loaded (245,903 residents); the census holds 1,073 output "
        "areas (329,317 residents) in this district's LSOAs"
    )


@pytest.mark.parametrize(
    ("code", "why"),
    [
        ("E07000163", "1 output area loaded (206 residents); the census holds 7 output areas"),
        ("E05000843", "1 output area (247 residents) placed in this ward"),
    ],
)
def test_mostly_missing_areas_are_not_profiled(area_store_path, code, why) -> None:
    from oacinsight.areas.profile import MostlyMissingError

    with pytest.raises(MostlyMissingError, match="mostly missing from the store") as info:
        profile_area(code, store=area_store_path)
    assert why in str(info.value) and "as a patch" in str(info.value)


def test_fragment_ward_is_said_to_be_partial(area_store_path) -> None:
    p = profile_area("E05000855", store=area_store_path, comparators=3)  # 7 OAs of a ward
    assert p.coverage_status == "partial"
    assert "probably only a fragment of a ward" in p.coverage[0]
    assert p.parent_label == "E08000010 (loaded part, about 75%)"


@pytest.fixture(scope="module")
def official_store(tmp_path_factory) -> Path:
    """WN postcodes, the OAC, the OA->LSOA lookup, TS001 and an OA21 to LSOA21 to MSOA21
    to LAD22 lookup in the official layout for Wigan's LSOA block (names made up)."""
    from oacinsight.ingest import ingest
    from oacinsight.store import Store

    root = tmp_path_factory.mktemp("official")
    lookup = pd.read_csv(need_shared("geography", "oa21_to_lsoa21_ew.csv"), dtype=str)
    number = lookup["geography_code"].str[3:].astype(int)
    block = lookup[
        lookup["geography_code"].str.startswith("E01") & number.between(6212, 6411)
    ].reset_index(drop=True)
    official = pd.DataFrame(
        {
            "OA21CD": block["OA"],
            "LSOA21CD": block["geography_code"],
            "LSOA21NM": "Wigan " + block["geography_code"].str[-3:],
            "LSOA21NMW": "",
            "MSOA21CD": "E02009999",
            "MSOA21NM": "Wigan 999",
            "MSOA21NMW": "",
            "LAD22CD": "E08000010",
            "LAD22NM": "Wigan",
            "LAD22NMW": "",
            "ObjectId": range(1, len(block) + 1),
        }
    )
    path = root / "OA21_LSOA21_MSOA21_LAD22_EW_LU.csv"
    official.to_csv(path, index=False)
    census = need_shared("census2021_oa")
    store_path = root / "store.duckdb"
    with Store(store_path) as store:
        ingest(
            [
                need_shared("postcodes", "NSPL_NOV_2021_UK_WN.csv"),
                need_shared("oac"),
                need_shared("geography", "oa21_to_lsoa21_ew.csv"),
                census / "ts001.parquet",
                path,
            ],
            store,
        )
    return store_path


def test_official_lookup_makes_wigan_whole(official_store) -> None:
    p = profile_area("E08000010", store=official_store, comparators=3)
    assert (p.output_areas, p.residents) == (1_073, 329_317)
    assert p.name == "Wigan" and p.is_whole
    assert p.membership == "1,073 output areas from the official OA to local authority lookup"
    assert not any(line.startswith("partial") for line in p.coverage)
    assert not any(line.startswith("names:") for line in p.coverage[:1])
    # the 269 OAs with no WN postcode have no IMD rank from the directory: said so
    assert any(n.startswith("269 output area(s)") and "no deprivation rank" in n for n in p.notes)
    assert p.deprivation["residents"].sum() == 245_903


def test_customer_profile_base_is_the_official_district(official_store, tmp_path) -> None:
    from oacinsight.profile.run import profile_file

    nspl = pd.read_csv(
        need_shared("postcodes", "NSPL_NOV_2021_UK_WN.csv"),
        dtype=str,
        usecols=["pcds", "doterm", "laua"],
    )
    live = nspl[nspl["doterm"].isna() & (nspl["laua"] == "E08000010")]
    path = tmp_path / "customers.csv"
    live[["pcds"]].iloc[::7].rename(columns={"pcds": "postcode"}).to_csv(path, index=False)
    result = profile_file(path, store=official_store)
    assert result.areas == [("E08000010", "Wigan")]
    assert result.table[result.table["level"] == "supergroup"]["base"].sum() == 329_317
    assert not any(n.startswith("partial") for n in result.coverage_notes)


def test_batch_lists_mostly_missing_wards_as_not_profiled(
    area_store_path, tmp_path, monkeypatch
) -> None:
    from oacinsight.areas import batch, profile_wards

    monkeypatch.setattr(batch, "_write_one", lambda *_args: None)  # numbers only
    (tmp_path / "wigan").mkdir()
    result = profile_wards(
        "E08000010", tmp_path / "wigan", store=area_store_path, comparators=2, pdf=False, jobs=1
    )
    skipped = dict(result.skipped)
    assert {"E05000843", "E05000848"} <= set(skipped)
    assert all("mostly missing from the store" in why for why in skipped.values())
    assert not {p.code for p in result.wards} & set(skipped)
    assert all(p.coverage_status != "mostly missing" for p in result.wards)
    html = result.index_html.read_text(encoding="utf-8")
    assert "Wards not profiled" in html and html.index("partial: 804") < html.index("<table>")
