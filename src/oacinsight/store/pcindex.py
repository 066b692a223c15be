"""The postcode index: ``pc_lookup`` sorted by a compact key, memory-mapped at match time.

A match needs, for each of its rows, the ``pc_lookup`` row of its postcode.  Reading the
whole lookup into memory costs time and memory that grow with the directory (2.7 million
postcodes for the UK), however few rows are matched.  So ``data ingest`` (and ``data
rebuild``) also writes the lookup as one uncompressed Arrow IPC file beside the store:

- ``k``: the postcode key (upper-case letters and digits, at most 8 characters) packed
  into an unsigned 64-bit integer (its bytes, padded with zero bytes, read big-endian),
  so integer order is the order of the keys and the file is sorted by it;
- the fields ``match`` attaches, repeated text dictionary-encoded (an integer per row);
- the postcode centroids, for records placed by their coordinates.

A match memory-maps the file, finds its keys by binary search (``numpy.searchsorted``)
and gathers the rows it needs: the pages it touches are the only ones read, so a
1,000-row match costs about the same against the whole UK as against one postcode area.

The file is named ``<store>.pcindex-<id>.arrow``; the store's ``meta`` table names the
current ``<id>``, written in the same transaction as ``pc_lookup``.  A store copied
without its index, or built by an older version, still matches correctly: the same
structure is then built in memory from ``pc_lookup`` (slower, as before).
"""

from __future__ import annotations

import contextlib
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

#: ``pc_lookup`` fields gathered for every matched row (``match``'s added columns before
#: the status, then the lookup's own status, note and local authority name).
FIELDS = (
    "postcode_clean",
    "oa21",
    "lsoa21",
    "laua",
    "ward",
    "imd_rank",
    "oac_supergroup",
    "oac_group",
    "oac_subgroup",
    "oac_supergroup_name",
    "oac_group_name",
    "oac_subgroup_name",
    "status",
    "note",
    "laua_name",
)
#: Centroids (usable ones only: elsewhere null) and whether the postcode is live.
COORDS = ("easting", "northing", "long", "lat", "live")
_PLAIN_TEXT = ("postcode_clean",)  # unique per postcode: dictionary encoding would not help
KEY_BYTES = 8
_META_KEY = "pcindex_id"


@dataclass(frozen=True)
class PostcodeIndex:
    """``pc_lookup`` sorted by packed key: ``keys`` (uint64) and ``table`` (same order)."""

    keys: np.ndarray
    table: pa.Table
    source: str  # "file" (memory-mapped) or "memory" (built from the store)

    def find(self, keys: pa.Array | pa.ChunkedArray) -> pa.Array:
        """Row of each key in :attr:`table` (null where absent), in the order given."""
        packed, ok = pack_keys(keys)
        n = len(self.keys)
        if n == 0:
            return pa.nulls(len(packed), type=pa.int64())
        pos = np.minimum(np.searchsorted(self.keys, packed), n - 1)
        hit = ok & (self.keys[pos] == packed)
        return pa.array(pos.astype(np.int64), mask=~hit)


def pack_keys(keys: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """Pack postcode keys (letters and digits) into uint64: bytes padded with zero bytes,
    read big-endian, so integer order is key order.

    Returns the packed keys and whether each could be packed (not null, at most
    :data:`KEY_BYTES` bytes); the others are 0 and must not be looked up.  Keys never
    hold a zero byte (they are letters and digits), so packing is one to one.
    """
    arr = keys.combine_chunks() if isinstance(keys, pa.ChunkedArray) else keys
    arr = arr.cast(pa.binary())
    n = len(arr)
    if n == 0:
        return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=bool)
    length = pc.fill_null(pc.binary_length(arr), KEY_BYTES + 1).to_numpy(zero_copy_only=False)
    ok = length <= KEY_BYTES
    empty = pa.scalar(b"", pa.binary())
    safe = pc.if_else(pa.array(ok), arr, empty)
    zeros = pa.scalar(b"\0" * KEY_BYTES, pa.binary())
    fixed = pc.binary_slice(pc.binary_join_element_wise(safe, zeros, empty), 0, KEY_BYTES)
    offsets = np.frombuffer(
        fixed.buffers()[1], dtype=np.int32, count=n + 1, offset=4 * fixed.offset
    )
    if int(offsets[-1] - offsets[0]) == KEY_BYTES * n:
        raw = np.frombuffer(fixed.buffers()[2], dtype=">u8", count=n, offset=int(offsets[0]))
    else:  # pragma: no cover - the kernel always writes fixed-width values contiguously
        raw = np.array(fixed.to_pylist(), dtype=f"S{KEY_BYTES}").view(">u8")
    return np.where(ok, raw.astype(np.uint64), np.uint64(0)), ok


def _text(col: pa.Array) -> pa.Array:
    """Text columns as plain ``string`` (DuckDB may hand over other string layouts)."""
    if pa.types.is_large_string(col.type) or str(col.type) == "string_view":
        return col.cast(pa.string())
    return col


def build(con: duckdb.DuckDBPyConnection) -> PostcodeIndex:
    """The index built in memory from the store's ``pc_lookup`` (one column at a time).

    Keys that cannot be packed (longer than 8 characters: never a valid postcode) are
    left out.  Relies on DuckDB returning a table's rows in the same (insertion) order
    in every scan without ``ORDER BY`` (its default, ``preserve_insertion_order``).
    """
    pc_key = con.sql("SELECT pc_key FROM pc_lookup").to_arrow_table()["pc_key"]
    packed, ok = pack_keys(pc_key)
    rows = np.flatnonzero(ok)
    order = rows[np.argsort(packed[rows], kind="stable")]
    take = pa.array(order, type=pa.int64())
    columns: dict[str, pa.Array] = {}
    for name in (*FIELDS, *COORDS):
        expr = "doterm IS NULL" if name == "live" else name
        col = con.sql(f"SELECT {expr} AS c FROM pc_lookup").to_arrow_table()["c"]
        col = _text(col.combine_chunks()).take(take)
        if pa.types.is_string(col.type) and name not in _PLAIN_TEXT:
            col = col.dictionary_encode()
        columns[name] = col
    return PostcodeIndex(packed[order], pa.table(columns), "memory")


def index_path(db_path: Path, index_id: str) -> Path:
    """Where the index file of a store lives: beside it."""
    return db_path.with_name(f"{db_path.name}.pcindex-{index_id}.arrow")


def _db_path(con: duckdb.DuckDBPyConnection) -> Path | None:
    rows = con.execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchall()
    path = rows[0][0] if rows else None
    return Path(path) if path and path != ":memory:" else None


def current_id(con: duckdb.DuckDBPyConnection) -> str | None:
    """The id of the store's index file (None when there is none)."""
    exists = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'meta' AND NOT temporary "
        "AND database_name = current_database()"
    ).fetchall()[0][0]
    if not exists:
        return None
    rows = con.execute("SELECT value FROM meta WHERE key = ?", [_META_KEY]).fetchall()
    return rows[0][0] if rows else None


def write(con: duckdb.DuckDBPyConnection) -> Path | None:
    """Write the index file of the store's current ``pc_lookup`` and name it in ``meta``
    (call inside the transaction that rebuilt ``pc_lookup``).  None for in-memory stores."""
    db = _db_path(con)
    if db is None:
        return None
    index = build(con)
    new_id = uuid.uuid4().hex[:16]
    path = index_path(db, new_id)
    table = index.table.add_column(0, "k", pa.array(index.keys, type=pa.uint64()))
    table = table.replace_schema_metadata({"pcindex_id": new_id})
    tmp = path.with_name(path.name + ".tmp")
    with pa.OSFile(str(tmp), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table, max_chunksize=max(len(table), 1))
    os.replace(tmp, path)
    old = current_id(con)
    con.execute("CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
    con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [_META_KEY, new_id])
    _prune(db, keep={new_id, old or ""})
    return path


def _prune(db: Path, keep: set[str]) -> None:
    """Remove index files of earlier builds (kept when in use elsewhere and locked)."""
    for f in db.parent.glob(f"{db.name}.pcindex-*.arrow"):
        if f.name.removeprefix(f"{db.name}.pcindex-").removesuffix(".arrow") not in keep:
            with contextlib.suppress(OSError):
                f.unlink()


def load(con: duckdb.DuckDBPyConnection) -> PostcodeIndex:
    """The store's index: its file memory-mapped when present and current, else built."""
    db, index_id = _db_path(con), current_id(con)
    if db is not None and index_id:
        path = index_path(db, index_id)
        try:
            table = pa.ipc.open_file(pa.memory_map(str(path), "r")).read_all()
        except (OSError, pa.ArrowInvalid):
            table = None
        meta = (table.schema.metadata or {}) if table is not None else {}
        if (
            table is not None
            and meta.get(b"pcindex_id") == index_id.encode()
            and table.column_names == ["k", *FIELDS, *COORDS]
        ):
            k = table["k"]
            keys = (
                k.chunk(0).to_numpy()
                if k.num_chunks == 1
                else k.combine_chunks().to_numpy()
                if len(k)
                else np.zeros(0, dtype=np.uint64)
            )
            return PostcodeIndex(keys, table.drop_columns(["k"]), "file")
    return build(con)
