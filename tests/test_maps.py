"""Boundaries: CRS choice (declared or told by the range, and said), reading GeoJSON,
GeoPackage and (zipped) Shapefile, gap-free simplification, area measures, colours."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pandas as pd
import pyogrio.raw
import pytest
import shapely
from tests.conftest import need_shared

from oacinsight.errors import IngestError
from oacinsight.ingest import ingest
from oacinsight.maps import crs
from oacinsight.maps.boundaries import read_boundaries, to_crs
from oacinsight.maps.choropleth import add_rates, group_colour, hidden_areas, map_values
from oacinsight.maps.geojson import feature_collection, simplify_layer
from oacinsight.store import Store
from oacinsight.store import boundaries as bsql

LEEDS_BOUNDS = (413_220.0, 422_595.0, 446_879.0, 450_175.0)


def test_crs_declared_and_fitting_is_kept():
    got = crs.choose_crs("EPSG:27700", LEEDS_BOUNDS, file_name="x")
    assert got.crs == "EPSG:27700" and got.declared == "EPSG:27700"
    assert got.note == "CRS declared in the file: EPSG:27700"


def test_crs_guessed_from_range_and_said():
    bng = crs.choose_crs(None, LEEDS_BOUNDS, file_name="x")
    assert bng.crs == crs.BNG and bng.declared is None
    assert "no CRS declared" in bng.note and "British National Grid" in bng.note
    lonlat = crs.choose_crs(None, (-1.8, 53.7, -1.29, 53.95), file_name="x")
    assert lonlat.crs == crs.WGS84
    merc = crs.choose_crs(None, (-200_000.0, 7_100_000.0, -140_000.0, 7_150_000.0), file_name="x")
    assert merc.crs == crs.WEB_MERCATOR


def test_crs_declared_but_contradicted_by_coordinates():
    got = crs.choose_crs("EPSG:4326", LEEDS_BOUNDS, file_name="x")
    assert got.crs == crs.BNG and got.declared == "EPSG:4326"
    assert "declares EPSG:4326 but its coordinates" in got.note
    with pytest.raises(IngestError, match="neither longitude/latitude nor British"):
        crs.choose_crs(None, (5e6, 5e6, 6e6, 6e6), file_name="odd.shp")
    # lon/lat numbers are never taken as metres
    assert not crs.fits(crs.BNG, (-1.8, 53.7, -1.29, 53.95))


def _squares(n: int = 3, size: float = 1000.0, x0: float = 430_000, y0: float = 400_000):
    """An n x n grid of squares (a valid coverage) with codes E00000001..."""
    geoms = [
        shapely.box(x0 + i * size, y0 + j * size, x0 + (i + 1) * size, y0 + (j + 1) * size)
        for j in range(n)
        for i in range(n)
    ]
    codes = [f"E00{k + 1:06d}" for k in range(n * n)]
    return codes, np.array(geoms, dtype=object)


def _write(path, codes, geoms, crs_name, driver, **extra):
    frame = {"OA21CD": np.array(codes, dtype=object), **extra}
    wkb = shapely.to_wkb(geoms)
    pyogrio.raw.write(
        path,
        wkb,
        list(frame.values()),
        fields=list(frame),
        geometry_type="Polygon",
        crs=crs_name,
        driver=driver,
    )


@pytest.mark.parametrize("driver,suffix", [("GPKG", ".gpkg"), ("ESRI Shapefile", ".shp")])
def test_read_gpkg_and_shapefile_in_wgs84_reprojected_to_bng(tmp_path, driver, suffix):
    codes, geoms = _squares()
    lonlat = to_crs(geoms, crs.BNG, crs.WGS84)
    path = tmp_path / f"oa{suffix}"
    _write(path, codes, lonlat, "EPSG:4326", driver)
    (layer,) = read_boundaries(path)
    assert layer.codes == codes and layer.area_type == "oa" and layer.code_column == "OA21CD"
    assert layer.crs.crs == "EPSG:4326" and layer.crs.declared == "EPSG:4326"
    back = shapely.total_bounds(layer.geometry)
    assert np.allclose(back, shapely.total_bounds(geoms), atol=0.01)  # round trip < 1 cm


@pytest.mark.filterwarnings("ignore:.crs. was not provided")
def test_zipped_shapefile_without_prj_is_read_as_bng_and_said(tmp_path):
    codes, geoms = _squares()
    folder = tmp_path / "shp"
    folder.mkdir()
    _write(folder / "oa.shp", codes, geoms, None, "ESRI Shapefile")
    assert not (folder / "oa.prj").exists()
    zipped = tmp_path / "OA_boundaries.zip"
    with zipfile.ZipFile(zipped, "w") as zf:
        for part in folder.iterdir():
            zf.write(part, f"inner/{part.name}")
    with Store(tmp_path / "s.duckdb") as store:
        report = ingest([zipped], store)
        (item,) = report.items
        layers = bsql.layers(store.con)
    assert item.kind == "boundaries" and item.rows == 9
    assert "no CRS declared" in item.detail and "British National Grid" in item.detail
    assert layers["crs_used"].tolist() == ["EPSG:27700"]
    assert layers["crs_declared"].isna().all()


def test_leeds_oas_no_crs_member_read_as_bng_and_simplified_without_gaps():
    path = need_shared("boundaries", "leeds_oa11_oac11.geojson")
    (layer,) = read_boundaries(path)
    assert len(layer) == 2543 and layer.area_type == "oa" and layer.code_column == "oa_code"
    assert layer.name_column is None  # supgrpname is an attribute, not the area's name
    assert layer.crs.crs == crs.BNG and layer.crs.declared is None
    assert "no CRS declared" in layer.crs.note
    simple = simplify_layer(layer.geometry)
    assert 10 < simple.tolerance_m < 20
    assert shapely.coverage_is_valid(simple.bng)
    before = int(shapely.get_num_coordinates(layer.geometry).sum())
    after = int(shapely.get_num_coordinates(simple.bng).sum())
    assert before == 91_260 and after < 0.95 * before
    # no gaps: the simplified areas add up to the outline of the original union
    total = shapely.area(simple.bng).sum()
    union = shapely.area(shapely.coverage_union_all(simple.bng))
    assert total == pytest.approx(union, rel=1e-9)
    assert union == pytest.approx(shapely.area(layer.geometry).sum(), rel=0.002)
    # WGS84 copy: Leeds is around 1.5 W, 53.8 N; 5 decimals
    west, south, east, north = shapely.total_bounds(simple.wgs84)
    assert -1.81 < west < east < -1.28 and 53.69 < south < north < 53.95
    text = feature_collection(layer.codes, layer.names, simple.wgs84, layer="leeds")
    data = json.loads(text)
    assert len(data["features"]) == 2543 and data["features"][0]["id"] == layer.codes[0]


@pytest.fixture(scope="module")
def leeds_store(tmp_path_factory):
    """Leeds OAs and wards with the real OAC 2021, names and Census TS001."""
    paths = [
        need_shared("boundaries", "leeds_oa11_oac11.geojson"),
        need_shared("boundaries", "leeds_wards17.geojson"),
        need_shared("oac", "oac2021_uk_oa.parquet"),
        need_shared("oac", "oac2021_names.csv"),
        need_shared("census2021_oa", "ts001.parquet"),
    ]
    path = tmp_path_factory.mktemp("leeds") / "store.duckdb"
    with Store(path) as store:
        ingest(paths, store)
    return path


def test_leeds_area_measures_match_an_independent_count(leeds_store):
    oac = pd.read_parquet(need_shared("oac", "oac2021_uk_oa.parquet"))
    ts001 = pd.read_parquet(need_shared("census2021_oa", "ts001.parquet"))
    codes = json.loads(need_shared("boundaries", "leeds_oa11_oac11.geojson").read_text())
    oas = {f["properties"]["oa_code"] for f in codes["features"]}
    expected_res = ts001[ts001["OA"].isin(oas)]["ts0010001"].sum()
    with Store(leeds_store, read_only=True) as store:
        layers = bsql.layers(store.con).set_index("layer")
        oa = bsql.area_measures(store.con, "leeds_oa11_oac11")
        wards = bsql.area_measures(store.con, "leeds_wards17")
    assert layers.loc["leeds_wards17", "area_type"] == "ward"
    assert len(oa) == 2543 and oa["residents"].sum() == expected_res
    assert oa["oas_with_oac"].sum() == int(oac["Geography_Code"].isin(oas).sum())
    one = oa.set_index("code").loc["E00056750"]
    truth = oac.set_index("Geography_Code").loc["E00056750"]
    assert one["supergroup"] == str(truth["Supergroup"]) and one["subgroup"] == truth["Subgroup"]
    # wards of 2017 are linked to OAs by position: every OA lands in exactly one ward
    assert len(wards) == 33 and wards["oas"].sum() == 2543
    assert wards["residents"].sum() == expected_res


def test_map_values_index_and_suppression():
    frame = pd.DataFrame(
        {
            "code": ["A", "B", "C", "D"],
            "name": ["a", "b", "c", "d"],
            "oas": [1] * 4,
            "residents": [1000.0, 1000.0, 2000.0, np.nan],
            "customers": [100, 50, 5, 0],
            "supergroup": ["1", "8", None, "3"],
            "supergroup_share": [1.0] * 4,
            "group_code": ["1a", "8b", None, "3c"],
            "subgroup": ["1a1", "8b2", None, "3c1"],
        }
    )
    rates = add_rates(frame)
    # index: share of customers (of 155) / share of residents (of 4,000) x 100
    assert rates["index"].iloc[0] == pytest.approx(100 * (100 / 155) / (1000 / 4000))
    assert rates["rate"].iloc[1] == pytest.approx(50.0)
    values = map_values(frame, "index", {"1": "Retired Professionals"})
    assert values.areas["A"]["colour"] == "#b2182b"  # 258: "150 and over"
    assert values.areas["C"]["value"] is None and "fewer than 10" in values.areas["C"]["text"]
    # 5 and 0 are hidden together (5 = 155 - 100 - 50 alone); D has no residents either
    hidden = [k for k, v in map_values(frame, "customers", {}).areas.items() if v["value"] is None]
    assert hidden == ["C", "D"]
    assert hidden_areas(pd.Series([100, 50, 5, 20]), 10).tolist() == [False, False, True, True]
    assert values.areas["D"]["text"] == "D d: no residents' count"
    groups = map_values(frame, "supergroup", {"1": "Retired Professionals"})
    assert groups.areas["A"]["text"] == "A a: 1 Retired Professionals"
    assert groups.areas["C"]["value"] is None
    assert group_colour("8a") != group_colour("8b")
    with pytest.raises(Exception, match="unknown map measure"):
        map_values(frame, "colour", {})


def test_static_map_draws_every_polygon():
    from oacinsight.maps.static import polygon_map

    codes, geoms = _squares()
    frame = pd.DataFrame(
        {
            "code": codes,
            "name": codes,
            "oas": 1,
            "residents": 100.0,
            "customers": range(10, 19),
            "supergroup": "2",
            "supergroup_share": 1.0,
            "group_code": "2a",
            "subgroup": "2a1",
        }
    )
    fig = polygon_map(codes, geoms, map_values(frame, "customers", {}))
    (collection,) = fig.axes[0].collections
    assert len(collection.get_paths()) == 9


def test_reingest_replaces_the_layer_and_wards_link_by_code(tmp_path):
    from tests.test_web_support import build_demo_store

    store, _ = build_demo_store(tmp_path)
    ward_file = next((tmp_path / "files" / "boundaries").glob("Wards*.geojson"))
    with Store(store) as s:
        before = bsql.layers(s.con)
        ingest([ward_file], s)
        after = bsql.layers(s.con)
        members = s.query_df(
            "SELECT layer, how, count(*) AS n FROM boundary_members GROUP BY ALL ORDER BY 1"
        )
    assert len(after) == len(before) == 2
    assert after["features"].tolist() == before["features"].tolist() == [290, 12]
    assert after["etag"].tolist() == before["etag"].tolist()
    # Demoshire's wards are known to the postcode directory, so OAs link by code
    assert members.to_dict("records") == [
        {"layer": "output_areas_dec_2021_boundaries_ew_bgc_demoshire", "how": "code", "n": 290},
        {"layer": "wards_may_2021_boundaries_uk_bgc_demoshire", "how": "area code", "n": 290},
    ]


def _two_wards():
    """Four OAs in two wards; subgroup 1a1 (5 customers) lies only in ward A, beside
    2a1 (30), so ward A (35) would give 1a1 away: 35 - 30 = 5."""
    from tests.attack import nested_counts

    from oacinsight.profile import ProfileResult

    oas = pd.DataFrame(
        {
            "oa": ["o1", "o2", "o3", "o4"],
            "subgroup": ["1a1", "2a1", "1a2", "2b1"],
            "ward": ["A", "A", "B", "B"],
            "customers": [5, 30, 20, 25],
        }
    )
    oas["supergroup"], oas["group_code"] = oas["subgroup"].str[0], oas["subgroup"].str[:2]
    sub = oas.rename(columns={"subgroup": "code"})[["code", "customers"]].assign(base=1000.0)
    profile = ProfileResult.from_counts(
        nested_counts(sub),
        level="all",
        base_name="residents",
        areas=[("D", "D")],
        n_input=80,
        n_matched=80,
        n_in_area=80,
        unmatched={},
    ).table
    members = pd.concat(
        [
            pd.DataFrame({"layer": "wards", "code": oas["ward"], "oa": oas["oa"]}),
            pd.DataFrame({"layer": "district", "code": "D", "oa": oas["oa"]}),
            pd.DataFrame({"layer": "oas", "code": oas["oa"], "oa": oas["oa"]}),
            pd.DataFrame({"layer": "wards", "code": "C", "oa": ["o4", "o9"]}),
        ]
    )  # C: partly in
    return oas, members, profile


def test_map_pattern_hides_a_ward_that_would_unpick_the_profile():
    from oacinsight.maps.disclosure import map_pattern

    oas, members, profile = _two_wards()
    hidden = profile.loc[profile["flag"] == "suppressed", "code"].tolist()
    assert sorted(hidden) == ["1a1", "1a2"]  # the profile's own pattern
    assert not hidden_areas(pd.Series([35, 45]), 10).any()  # the layer alone shows both
    pattern = map_pattern(oas, members, {"wards": "ward", "district": "lad", "oas": "oa"}, profile)
    # A = 35 gives 1a1 = 5; B = 45 gives A = 80 - 45: both hidden.  A = 30 + 1a1 keeps
    # 26 possible values.  The district is the published total.
    assert pattern.hidden["wards"] == {"A", "B"} and "wards" not in pattern.shown
    assert pattern.shown == {"district": {"D": 80}}
    assert "oas" not in pattern.hidden and "C" not in pattern.hidden["wards"]
    assert "outside the profiled area" in pattern.reason("wards", "C")
    assert "wards and larger" in pattern.reason("oas", "o1")
    frame = pd.DataFrame(
        {
            "code": ["A", "B", "C"],
            "name": ["A", "B", "C"],
            "oas": 2,
            "residents": [600.0, 500.0, 400.0],
            "customers": [35, 45, 3],
        }
    )
    for measure in ("customers", "rate", "index"):
        values = map_values(frame, measure, {}, pattern=pattern, layer="wards")
        assert all(a["value"] is None and a["colour"] == "#d0d0d0" for a in values.areas.values())
        assert "to protect such an area or a hidden profile group" in values.areas["A"]["text"]
        assert "outside the profiled area" in values.areas["C"]["text"]


def test_map_pattern_shows_wards_when_nothing_is_at_risk():
    from oacinsight.maps.disclosure import map_pattern

    oas, members, profile = _two_wards()
    oas["customers"] = [50, 30, 20, 25]  # nothing below 10: nothing hidden anywhere
    sub = oas.rename(columns={"subgroup": "code"})
    profile = profile.assign(flag="not_significant")
    for row in profile.itertuples():
        col = {"supergroup": "supergroup", "group": "group_code", "subgroup": "code"}[row.level]
        profile.loc[row.Index, "customers"] = sub.loc[sub[col] == row.code, "customers"].sum()
    pattern = map_pattern(oas, members, {"wards": "ward", "district": "lad"}, profile)
    assert pattern.shown == {"wards": {"A": 80, "B": 45}, "district": {"D": 125}}
