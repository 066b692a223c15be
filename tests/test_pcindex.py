"""The postcode index (store/pcindex.py): packed keys, binary search, the file beside
the store, and the same answers with or without that file."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from oacinsight.match import match_file
from oacinsight.store import Store, lookup, pcindex
from oacinsight.store.matching import ADDED_COLUMNS, LOOKUP_FIELDS


def test_fields_are_the_added_columns_then_status_note_name():
    # ADDED_COLUMNS is derived from pcindex.FIELDS: pin the public contract (README) here.
    contract = (
        "postcode_clean", "oa21", "lsoa21", "laua", "ward", "imd_rank",
        "oac_supergroup", "oac_group", "oac_subgroup",
        "oac_supergroup_name", "oac_group_name", "oac_subgroup_name",
        "match_status", "match_note",
    )  # fmt: skip
    assert contract == ADDED_COLUMNS
    assert (*ADDED_COLUMNS[:-2], "status", "note", "laua_name") == LOOKUP_FIELDS


def test_packed_keys_sort_like_the_keys_and_are_one_to_one():
    rng = np.random.default_rng(3)
    alphabet = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"))
    keys = ["".join(rng.choice(alphabet, rng.integers(1, 9))) for _ in range(5000)]
    keys += ["A", "A0", "AB1", "AB10", "AB1A", "B", "ZZZZZZZZ"]
    packed, ok = pcindex.pack_keys(pa.array(keys))
    assert ok.all()
    order = np.argsort(packed, kind="stable")
    assert [keys[i] for i in order] == sorted(keys)
    assert len(set(packed.tolist())) == len(set(keys))


def test_pack_keys_by_hand_and_unpackable_values():
    packed, ok = pcindex.pack_keys(pa.array(["A", "", None, "ABCDEFGHI", "WN11AA"]))
    assert ok.tolist() == [True, True, False, False, True]
    assert int(packed[0]) == ord("A") << 56
    assert int(packed[1]) == 0
    assert int(packed[2]) == int(packed[3]) == 0
    expected = int.from_bytes(b"WN11AA\0\0", "big")
    assert int(packed[4]) == expected


def test_find_hits_misses_nulls_and_long_keys():
    keys = ["AB11AA", "B11AA", "ZE99ZZ"]
    packed, _ = pcindex.pack_keys(pa.array(keys))
    index = pcindex.PostcodeIndex(np.sort(packed), pa.table({"x": [0, 1, 2]}), "memory")
    sliced = pa.array(["Q", "B11AA", "XX", None, "AB11AA", "ZE99ZZ", "ZZ99ZZZZZ"]).slice(1)
    assert index.find(sliced).to_pylist() == [1, None, None, 0, 2, None]
    empty = pcindex.PostcodeIndex(
        np.zeros(0, np.uint64), pa.table({"x": pa.array([], pa.int64())}), "memory"
    )
    assert empty.find(pa.array(["AB11AA"])).to_pylist() == [None]


def test_index_file_beside_the_store_holds_pc_lookup_sorted(tiny_store):
    with Store(tiny_store, read_only=True) as s:
        index = pcindex.load(s.con)
        built = pcindex.build(s.con)
        lookup_df = s.query_df(f"SELECT pc_key, {', '.join(LOOKUP_FIELDS)} FROM pc_lookup")
    assert index.source == "file" and built.source == "memory"
    files = list(tiny_store.parent.glob(tiny_store.name + ".pcindex-*.arrow"))
    assert len(files) == 1
    assert len(index.keys) == len(lookup_df) == 8
    assert (np.diff(index.keys.astype(np.int64)) > 0).all()
    assert index.keys.tolist() == built.keys.tolist()
    assert index.table.to_pylist() == built.table.to_pylist()
    # each row is the pc_lookup row of its key
    got = index.table.select(list(LOOKUP_FIELDS)).to_pandas()
    for col in got.columns:
        got[col] = got[col].astype(object)
    got.insert(0, "pc_key", sorted(lookup_df["pc_key"]))
    want = lookup_df.sort_values("pc_key").reset_index(drop=True).astype(object)
    pd.testing.assert_frame_equal(
        got.where(got.notna(), None), want.where(want.notna(), None), check_dtype=False
    )


def _match_bytes(store, customers, out):
    match_file(customers, out, store=store)
    return out.read_bytes()


@pytest.fixture()
def customers(tmp_path):
    path = tmp_path / "c.csv"
    pd.DataFrame(
        {
            "id": range(9),
            "postcode": [
                "yy1 1aa",
                "YY11AB",
                "YY1 1AD",
                "YY2 1AB",
                "GY1 1AA",
                "YY3 1AA",
                "YY9 9ZZ",
                "",
                "nope",
            ],
        }
    ).to_csv(path, index=False)
    return path


def test_same_answers_without_the_index_file_or_with_a_stale_one(tiny_store, tmp_path, customers):
    want = _match_bytes(tiny_store, customers, tmp_path / "a.csv")
    # a copy of the store without its index file: built in memory, same output
    bare = tmp_path / "bare" / "store.duckdb"
    bare.parent.mkdir()
    shutil.copy(tiny_store, bare)
    with Store(bare, read_only=True) as s:
        assert pcindex.load(s.con).source == "memory"
    assert _match_bytes(bare, customers, tmp_path / "b.csv") == want
    # an index file of another build (wrong id inside): not used
    (index_file,) = tiny_store.parent.glob(tiny_store.name + ".pcindex-*.arrow")
    with Store(bare, read_only=True) as s:
        wanted_name = pcindex.index_path(bare, pcindex.current_id(s.con)).name
    shutil.copy(index_file, bare.parent / wanted_name.replace(".arrow", "x.arrow"))
    other = pa.ipc.open_file(pa.memory_map(str(index_file))).read_all()
    other = other.replace_schema_metadata({"pcindex_id": "someoneelse"})
    with (
        pa.OSFile(str(bare.parent / wanted_name), "wb") as sink,
        pa.ipc.new_file(sink, other.schema) as w,
    ):
        w.write_table(other)
    with Store(bare, read_only=True) as s:
        assert pcindex.load(s.con).source == "memory"
    assert _match_bytes(bare, customers, tmp_path / "d.csv") == want
    # the matched values are the hand-made ones
    res = pd.read_csv(tmp_path / "a.csv", dtype=str, encoding="utf-8-sig")
    assert res["oa21"].tolist()[:2] == ["E00000001", "E00000002"]
    assert res["match_status"].tolist() == [
        "matched",
        "matched",
        "matched_terminated",
        "no_oac",
        "no_oac",
        "no_oac",
        "not_found",
        "missing",
        "invalid_format",
    ]


def test_rebuild_writes_a_new_file_and_removes_old_ones(tiny_store, tmp_path):
    store = tmp_path / "s" / "store.duckdb"
    store.parent.mkdir()
    shutil.copy(tiny_store, store)
    ids = []
    for _ in range(3):
        with Store(store) as s, s.transaction() as con:
            lookup.rebuild(con)
            ids.append(pcindex.current_id(con))
    left = sorted(p.name for p in store.parent.glob("store.duckdb.pcindex-*.arrow"))
    # the current file and the one before it (a reader may still have it open)
    assert left == sorted(f"store.duckdb.pcindex-{i}.arrow" for i in ids[-2:])
    assert len(set(ids)) == 3
    with Store(store, read_only=True) as s:
        assert pcindex.load(s.con).source == "file"


def test_in_memory_database_gets_no_index_file():
    import duckdb

    con = duckdb.connect(":memory:")
    assert pcindex.write(con) is None
