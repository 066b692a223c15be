"""``--engine spark``: the commands' files read and written as by the default engine,
the matching and counting done by Spark.

Byte-identical outputs need the same reader and writer, so those stay the core's: the
input is read into the driver's DuckDB as usual (every encoding, separator and row-count
rule of docs/match.md), its postcodes (with their row numbers) go to Spark as Parquet,
Spark matches them (:func:`oacinsight.spark.matching.match_columns`), and the added columns
come back as Parquet and are joined to the input rows by position, as the default engine
does (the same :class:`~oacinsight.store.matching.Matched` handle as the default
engine's); the core then writes the output and the summary.  For ``profile``, Spark also
does the counting (:func:`oacinsight.spark.profiling.count_customers`), which gives the
:class:`~oacinsight.match.Assignment` the core's profile works on.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from oacinsight.errors import InputFileError
from oacinsight.match import Assignment, choose_postcode_column, coordinate_columns
from oacinsight.profile.run import CustomerLoader
from oacinsight.spark.matching import match_columns
from oacinsight.spark.profiling import count_customers, own_columns
from oacinsight.spark.reference import FORMAT, Reference
from oacinsight.store import Store, matching
from oacinsight.store import export as sql
from oacinsight.tabular import InputSource, open_input

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

__all__ = ["SparkEngine"]


class SparkEngine:
    """The Spark engine of the commands, on one session and one work folder.

    Parameters
    ----------
    spark : SparkSession
        The session (see :func:`oacinsight.spark.session.spark_session`).
    work_dir : path, optional
        Where the Parquet hand-over files go (a temporary folder by default; on a
        cluster, a path both the driver and the executors can read).
    broadcast : bool, optional
        Passed to the match (None: Spark decides).
    """

    def __init__(
        self,
        spark: SparkSession,
        work_dir: str | os.PathLike[str] | None = None,
        broadcast: bool | None = None,
    ) -> None:
        self.spark = spark
        self.work_dir = Path(work_dir) if work_dir else None
        self.broadcast = broadcast
        self._refs: dict[str, Reference] = {}

    def _tmp(self) -> tempfile.TemporaryDirectory[str]:
        return tempfile.TemporaryDirectory(prefix="oacinsight-spark-", dir=self.work_dir)

    def reference(self, con: duckdb.DuckDBPyConnection, cache: dict[str, Any]) -> Reference:
        """The store's match tables as Parquet, written once per store and process."""
        if "spark_reference" not in cache:
            folder = tempfile.mkdtemp(prefix="oacinsight-spark-ref-", dir=self.work_dir)
            tables = {}
            for table in ("pc_lookup", "pc_districts"):
                path = Path(folder) / f"{table}.parquet"
                rows = sql.export_table(con, table, path)
                tables[table] = {"file": path.name, "rows": rows}
            editions = matching.editions(con)
            manifest = {
                "format": FORMAT,
                "postcode_directory_editions": editions,
                "tables": tables,
            }
            cache["spark_reference"] = Reference(folder, manifest)
        ref: Reference = cache["spark_reference"]
        return ref

    def _send(
        self,
        con: duckdb.DuckDBPyConnection,
        rows: matching.Rows,
        columns: list[str],
        tmp: str,
        numbers: tuple[str, ...] = (),
    ) -> DataFrame:
        """``_row`` and ``columns`` of the loaded input as a Spark DataFrame (``c0``...),
        and ``numbers`` read as numbers (``n0``...)."""
        path = Path(tmp) / "input.parquet"
        sql.write_keys(con, rows, columns, path, numbers)
        return self.spark.read.parquet(str(path))

    @contextmanager
    def matcher(
        self,
        con: duckdb.DuckDBPyConnection,
        rows: matching.Rows,
        postcode_column: str,
        edition: str,
        cache: dict[str, Any],
        coords: tuple[str, str, str] | None = None,
    ) -> Iterator[matching.Matched]:
        """:func:`oacinsight.store.matching.matched`, with the matching in Spark: the
        same :class:`~oacinsight.store.matching.Matched` handle for the ``with`` block;
        with ``coords``, records are also placed by their coordinates (read as numbers
        on the driver, as the default engine reads them)."""
        ref = self.reference(con, cache)
        if rows.count > matching.IN_MEMORY_ROWS:
            coords = None  # as the default engine, which places no record by coordinates there
        numbers = coords[:2] if coords is not None else ()
        with self._tmp() as tmp:
            sdf = self._send(con, rows, [postcode_column], tmp, numbers)
            out = match_columns(
                sdf,
                "c0",
                ref,
                keep=["_row"],
                internal=True,
                broadcast=self.broadcast,
                edition=edition,
                coords=("n0", "n1", coords[2]) if coords is not None else None,
            )
            out.write.parquet(str(Path(tmp) / "rows"))
            folder = Path(tmp) / "rows"
            with sql.spark_matched(con, rows, postcode_column, folder) as m:
                yield m

    def customers(
        self, input_path: str | os.PathLike[str], postcode_column: str | None
    ) -> CustomerLoader:
        """A loader for :func:`oacinsight.profile.run.profile_file`: read the file as the
        core does, match and count in Spark."""

        def load(s: Store, keyed: bool) -> Assignment:
            with open_input(input_path) as src, matching.loaded_input(s.con, src) as rows:
                return self._count(s, src, rows, postcode_column, keyed)

        return load

    def _count(
        self,
        s: Store,
        src: InputSource,
        rows: matching.Rows,
        postcode_column: str | None,
        keyed: bool,
    ) -> Assignment:
        con = s.con
        if rows.count == 0:
            raise InputFileError(f"{src.name}: has a header but no data rows")
        columns = list(rows.columns)
        already = {"match_status", "oa21"} <= set(columns) and postcode_column is None
        coords = None if already else coordinate_columns(columns)
        # as the default engine, which places no record by coordinates above this size
        place = coords if rows.count <= matching.IN_MEMORY_ROWS else None
        if already:
            send = ["oa21", "match_status"]
        else:
            rows, column = self._postcode_column(con, src, rows, postcode_column, coords)
            send = [column]
        own = own_columns(columns) if keyed else []
        send += [c for c in own if c not in send]
        named = {c: f"c{i}" for i, c in enumerate(send)}
        with self._tmp() as tmp:
            sdf = self._send(con, rows, send, tmp, place[:2] if place else ())
            if already:
                sdf = sdf.withColumnsRenamed({"c0": "oa21", "c1": "match_status"})
            else:
                editions = ", ".join(matching.editions(con)) or "loaded edition"
                ref = self.reference(con, s.cache)
                sdf = match_columns(
                    sdf,
                    "c0",
                    ref,
                    broadcast=self.broadcast,
                    edition=editions,
                    coords=("n0", "n1", place[2]) if place else None,
                )
            keys = [named[c] for c in own] if keyed else None
            if already and keyed:
                keys = [{"c0": "oa21", "c1": "match_status"}.get(k, k) for k in keys or []]
            return count_customers(src.name, sdf, keys, every_status=not already)

    @staticmethod
    def _postcode_column(
        con: duckdb.DuckDBPyConnection,
        src: InputSource,
        rows: matching.Rows,
        postcode_column: str | None,
        coords: tuple[str, str, str] | None,
    ) -> tuple[matching.Rows, str]:
        """The postcode column, as ``match`` chooses it (a blank one for a file with
        coordinates and no postcode column)."""
        try:
            shares = lambda cols: matching.postcode_shares(con, rows, cols)  # noqa: E731
            return rows, choose_postcode_column(list(rows.columns), postcode_column, shares)
        except InputFileError as exc:
            if coords is None or postcode_column:
                raise InputFileError(f"{src.name}: {exc}") from None
            return matching.add_blank_postcode(con, rows), matching.NO_POSTCODE
