"""``oa_facts``: each output area's OAC codes, census counts, LSOA, ward and district,
built with the postcode lookup and read by ``need`` (checked against the base tables)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from oacinsight.ingest import ingest
from oacinsight.store import Store
from oacinsight.store import need as sql


def _from_base_tables(con) -> pd.DataFrame:
    """The facts worked out again in pandas from the tables they come from."""
    oac = con.sql("SELECT oa, supergroup, group_code, subgroup FROM oac_oa").df()
    o = oac.groupby("oa").min()
    links = con.sql("SELECT oa, target_code FROM oa_links WHERE target_type = 'lsoa'").df()
    lsoa = links.groupby("oa")["target_code"].min()
    pcs = con.sql("SELECT oa21, lsoa21 FROM pc_lookup WHERE lsoa21 IS NOT NULL").df()
    modal = pcs.groupby("oa21")["lsoa21"].agg(lambda v: set(v.mode()))
    out = o.copy()
    out["lsoa"] = lsoa.reindex(out.index)
    out["lsoa_modes"] = modal.reindex(out.index)
    areas = con.sql("SELECT oa, ward, lad FROM oa_areas").df().set_index("oa")
    out = out.join(areas)
    for name, table, column in (
        ("residents", "census_ts001", "ts0010001"),
        ("households", "census_ts041", "ts0410001"),
    ):
        found = con.sql(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", params=[table]
        ).fetchall()[0][0]
        if found:
            c = con.sql(f"SELECT oa, {column} AS v FROM {table}").df().set_index("oa")["v"]
            out[name] = c.reindex(out.index).astype(float)
        else:
            out[name] = np.nan
    return out


def _check(con, oas: list[str]) -> pd.DataFrame:
    got = sql.area_oas(con, oas, "residents").set_index("oa")
    want = _from_base_tables(con).reindex(sorted(set(oas) & set(_from_base_tables(con).index)))
    assert list(got.index) == list(want.index)  # every OA with an OAC, sorted, once
    for col in ("supergroup", "group_code", "subgroup", "ward", "lad"):
        assert (
            got[col].astype(object).where(got[col].notna(), None).tolist()
            == want[col].astype(object).where(want[col].notna(), None).tolist()
        ), col
    for col in ("residents", "households"):
        np.testing.assert_array_equal(got[col].to_numpy(float), want[col].to_numpy(float))
    np.testing.assert_array_equal(got["base"], want["residents"].fillna(0.0))
    assert got["has_base"].tolist() == want["residents"].notna().tolist()
    # the official LSOA where the lookup has one, else a most common LSOA of its postcodes
    official = want["lsoa"].notna()
    assert got.loc[official, "lsoa"].tolist() == want.loc[official, "lsoa"].tolist()
    for oa in want.index[~official]:
        modes = want.at[oa, "lsoa_modes"]
        if isinstance(modes, set):
            assert got.at[oa, "lsoa"] in modes
        else:
            assert pd.isna(got.at[oa, "lsoa"])
    return got


def test_facts_equal_the_base_tables_on_real_data(real_store_path):
    with Store(real_store_path) as s:
        every = [r[0] for r in s.con.sql("SELECT DISTINCT oa FROM oac_oa").fetchall()]
        got = _check(s.con, every)
        # England and Wales have the official lookup and census; Scotland and NI only OAC
        assert got.index.str.startswith(("E00", "W00")).sum() == 188_880
        assert got.loc[got.index.str.startswith("E00"), "residents"].notna().all()
        assert got.loc[got.index.str.startswith("S00"), "residents"].isna().all()
        assert len(got) == len(every)
        # a subset and an OA without an OAC (left out)
        some = [every[i] for i in range(0, len(every), 997)] + ["E00999999"]
        assert len(_check(s.con, some)) == len(some) - 1


def test_facts_follow_a_later_census_ingest(demo, tmp_path):
    """Residents ingested after the postcodes reach ``oa_facts`` (rebuilt each ingest)."""
    _, files = demo
    path = tmp_path / "store.duckdb"
    census = [p for p in files.reference_files if "census" in str(p).lower()]
    others = [p for p in files.reference_files if p not in census]
    assert census and others
    with Store(path) as s:
        ingest(others, s)
        oas = [r[0] for r in s.con.sql("SELECT oa FROM oac_oa").fetchall()]
        before = sql.area_oas(s.con, oas, "residents")
        assert before["residents"].isna().all() and not before["has_base"].any()
        ingest(census, s)
        after = _check(s.con, oas)
        assert after["residents"].notna().all() and after["has_base"].all()


def test_base_file_is_summed_per_output_area(demo):
    path, _ = demo
    with Store(path) as s:
        oas = [r[0] for r in s.con.sql("SELECT oa FROM oac_oa ORDER BY oa LIMIT 3").fetchall()]
        base = pd.DataFrame({"oa": [oas[0], oas[0], oas[1]], "base": [2.5, 4.0, 7.0]})
        got = sql.area_oas(s.con, oas, base).set_index("oa")
    assert got.loc[oas[0], "base"] == pytest.approx(6.5)
    assert got.loc[oas[1], "base"] == 7.0
    assert got.loc[oas[2], "base"] == 0.0
    assert got["has_base"].tolist() == [True, True, False]
