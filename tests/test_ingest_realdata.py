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


def test_2011_names_load_beside_the_2021_names(real_store_path):
    """The official 2011 names (with the CI/IoM pseudo code 9Z9) go to oac11_names; the
    2021 names keep their 8 + 21 + 52 rows, and supergroup 4 keeps its 2021 name."""
    with Store(real_store_path, read_only=True) as s:
        n11 = dict(s.con.execute("SELECT level, count(*) FROM oac11_names GROUP BY 1").fetchall())
        n21 = dict(s.con.execute("SELECT level, count(*) FROM oac_names GROUP BY 1").fetchall())
        four = s.con.execute(
            "SELECT (SELECT name FROM oac11_names WHERE level = 'supergroup' "
            "AND code = '4'), (SELECT name FROM oac_names WHERE level = "
            "'supergroup' AND code = '4')"
        ).fetchall()[0]
    assert n11 == {"supergroup": 9, "group": 27, "subgroup": 77}
    assert n21 == {"supergroup": 8, "group": 21, "subgroup": 52}
    official = pd.read_csv(need_shared("oac", "oac2021_names.csv"), dtype=str)
    assert four == (
        "Multicultural metropolitans",
        official.loc[official["supergroup"] == "4", "supergroup_name"].iloc[0],
    )
