"""The real ONS files in ../shared/data all pass ingest's checks: none is refused."""

from __future__ import annotations

import pandas as pd
from tests.conftest import need_shared

from oacinsight.ingest import check_files
from oacinsight.ingest.validate import OAC2021_SUBGROUPS
from oacinsight.store import Store


def test_builtin_2021_codes_are_the_official_ones():
    names = pd.read_csv(need_shared("oac", "oac2021_names.csv"), dtype=str)
    assert set(names["subgroup"]) == OAC2021_SUBGROUPS
    assert names["group"].nunique() == 21 and names["supergroup"].nunique() == 8


def test_every_real_file_passes_into_an_empty_store(tmp_path):
    root = need_shared()
    with Store(tmp_path / "empty.duckdb") as s:
        assert check_files([root], s) == []


def test_every_real_file_passes_again_over_a_store_holding_them(real_store_path):
    """Loading the same files again removes nothing, and every census table (Welsh-only
    ones included) covers the output areas of its nations in the loaded classification."""
    root = need_shared()
    with Store(real_store_path, read_only=True) as s:
        held = s.con.execute("SELECT count(*) FROM oac_oa").fetchall()[0][0]
        assert check_files([root], s) == []
    assert held == 239_023
