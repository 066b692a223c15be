"""Real data: a national-size store (the 18 shared areas plus copies under new postcode
areas, made by benchmarks/make_national_directory.py) gives exactly the answers of the
18-area store for postcodes of the 18 areas, and the copies match like their originals."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd
import pytest
from tests.conftest import REPO, need_shared

from oacinsight.ingest import ingest
from oacinsight.match import match_file, match_records
from oacinsight.store import Store, pcindex


def _maker():
    spec = importlib.util.spec_from_file_location(
        "make_national_directory", REPO / "benchmarks" / "make_national_directory.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def national(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """A store of the 18 areas and one copy of each under a new area; the area mapping."""
    maker = _maker()
    source = need_shared("postcodes")
    root = tmp_path_factory.mktemp("national")
    n = maker.make(root / "directory", copies=1, multi=True, source=source)
    areas = [a for a, _ in maker.source_files(source)]
    mapping = maker.new_areas(areas, 1)[0]
    path = root / "store.duckdb"
    with Store(path) as store:
        report = ingest([root / "directory", need_shared("oac"), need_shared("geography")], store)
    assert report.postcodes == n == 2 * 105_690
    return path, mapping


@pytest.fixture(scope="module")
def customers(tmp_path_factory) -> Path:
    """Every postcode of the 18 areas (as ``pcd``), plus rows that cannot match."""
    files = sorted(need_shared("postcodes").glob("NSPL_*.csv"))
    pcs = pd.concat([pd.read_csv(f, dtype=str, usecols=["pcd"]) for f in files])["pcd"]
    junk = ["", "N/A", "BFPO 123", "WN99 9ZZ", "wn1 9zz", "DT1", "12345"]
    frame = pd.DataFrame({"postcode": [*pcs, *junk]})
    frame.insert(0, "id", range(len(frame)))
    path = tmp_path_factory.mktemp("cust") / "customers.csv"
    frame.to_csv(path, index=False)
    return path


def test_national_store_gives_the_answers_of_the_18_area_store(
    national, real_store_path, customers, tmp_path
):
    store, _ = national
    with Store(store, read_only=True) as s:
        assert pcindex.load(s.con).source == "file"
    a = match_file(
        customers, tmp_path / "a.parquet", store=real_store_path, postcode_column="postcode"
    )
    b = match_file(customers, tmp_path / "b.parquet", store=store, postcode_column="postcode")
    got, want = pd.read_parquet(tmp_path / "b.parquet"), pd.read_parquet(tmp_path / "a.parquet")
    assert len(got) == 105_690 + 7
    pd.testing.assert_frame_equal(got, want)
    assert a.counts == b.counts
    assert b.counts["matched"] == 40_022  # live postcodes with an OAC (the rest: terminated,
    # Scotland, islands: see test_realdata_match)
    pd.testing.assert_frame_equal(a.by_authority, b.by_authority)  # ties: ordered by code
    # the same through match_records (a DataFrame in, the in-memory path)
    frame = pd.read_csv(customers, dtype=str, keep_default_na=False).head(5000)
    pd.testing.assert_frame_equal(
        match_records(frame, store=store).frame, match_records(frame, store=real_store_path).frame
    )


def test_copies_match_like_their_originals(national, customers, tmp_path):
    store, mapping = national
    frame = pd.read_csv(customers, dtype=str, keep_default_na=False).head(105_690)
    copy = frame.assign(postcode=[mapping[p[:2]] + p[2:] for p in frame["postcode"]])
    orig_res = match_records(frame, store=store).frame
    copy_res = match_records(copy, store=store).frame
    assert (copy_res["postcode_clean"].str[:2] != orig_res["postcode_clean"].str[:2]).all()
    same = [c for c in orig_res.columns if c not in ("postcode", "postcode_clean")]
    pd.testing.assert_frame_equal(copy_res[same], orig_res[same])
