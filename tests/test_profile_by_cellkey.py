"""``--by`` / ``--period`` with cell key perturbation (issue 13): every slice is the
cell key profile of its own rows (perturbed by the keys of its records), the overall
profile is the plain cell key profile of the file, nothing is hidden."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from oacinsight.errors import OacInsightError
from oacinsight.profile.run import profile_file

NUMBERS = ["customers", "base", "customer_pct", "base_pct", "index", "index_low",
           "index_high", "z", "penetration_per_1000"]  # fmt: skip


@pytest.fixture(scope="module")
def keyed(demo):
    store, files = demo
    return profile_file(files.customers, store=store, level="all", by="channel",
                        disclosure="cellkey")  # fmt: skip


def _same(mine: pd.DataFrame, theirs: pd.DataFrame) -> None:
    assert list(mine["code"]) == list(theirs["code"])
    np.testing.assert_allclose(mine[NUMBERS].to_numpy(float), theirs[NUMBERS].to_numpy(float),
                               rtol=1e-12, equal_nan=True)  # fmt: skip
    assert list(mine["flag"]) == list(theirs["flag"])


def test_each_slice_is_the_cell_key_profile_of_its_rows(demo, keyed, tmp_path):
    store, files = demo
    raw = pd.read_csv(files.customers, dtype=str, keep_default_na=False)
    alone = profile_file(files.customers, store=store, level="all", disclosure="cellkey")
    _same(keyed.overall.full_table, alone.full_table)
    codes = [c for c, _ in keyed.overall.areas]
    assert len(keyed.slices) == raw["channel"].nunique() == 4
    for name, prof in keyed.slices:
        path = tmp_path / "slice.csv"  # the slice's rows as a raw file: same record keys
        raw[raw["channel"] == name].to_csv(path, index=False)
        sep = profile_file(path, store=store, level="all", areas=codes, disclosure="cellkey")
        _same(prof.full_table, sep.full_table)
        assert prof.n_in_area == sep.n_in_area
        assert prof.full_table["customers"].notna().all()  # nothing hidden
        assert prof.disclosure == "cellkey"


def test_cell_key_slices_are_perturbed_not_true_counts(demo, keyed):
    store, files = demo
    true = profile_file(files.customers, store=store, level="all", by="channel",
                        suppress_below=0)  # fmt: skip
    moved = 0
    for (name, mine), (name2, theirs) in zip(keyed.slices, true.slices, strict=True):
        assert name == name2
        diff = mine.full_table["customers"].to_numpy(float) - theirs.full_table[
            "customers"
        ].to_numpy(float)
        assert np.abs(diff).max() <= 3  # the perturbation table moves a count by ±3 at most
        moved += int((diff != 0).sum())
        published = mine.full_table["customers"].to_numpy(float)
        assert not np.isin(published, [1, 2]).any()  # no published 1 or 2
    assert moved > 20
    meta = keyed.metadata()
    assert "own cell keys" in meta["disclosure_pattern"]
    assert "own cell keys" in keyed.text()


def test_by_with_a_local_classification_is_refused_with_the_reason(demo, tmp_path):
    store, files = demo
    with pytest.raises(OacInsightError, match="counted by OAC codes"):
        profile_file(files.customers, store=store, by="channel", classification=tmp_path)
