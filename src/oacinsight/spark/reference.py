"""Reference data for a cluster: the store's tables as Parquet, with a manifest.

``oacinsight data export DIR`` (:func:`export_reference`) writes every table of the store
as ``DIR/<table>.parquet`` and ``DIR/manifest.json`` (editions, row counts, SHA-256 of each
file).  Copy the folder anywhere Spark reads (HDFS, S3, GCS, ABFS, DBFS); the Spark
functions take its path as ``reference`` (:func:`load_reference`).  Exporting needs no
Spark.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from oacinsight._version import __version__
from oacinsight.errors import OacInsightError, OutputError, StoreError
from oacinsight.match import reference_store
from oacinsight.results import write_by_suffix, write_json
from oacinsight.store import Store, lookup, matching
from oacinsight.store import export as sql

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

MANIFEST = "manifest.json"
FORMAT = "oacinsight.reference/1"
#: Tables the Spark match reads on the executors; the others are read on the driver.
MATCH_TABLES = ("pc_lookup", "pc_districts")

__all__ = [
    "FORMAT",
    "MANIFEST",
    "ExportSummary",
    "Reference",
    "export_reference",
    "load_reference",
]


@dataclass
class ExportSummary:
    """What ``data export`` wrote: one row per table, and the manifest."""

    folder: Path
    manifest: dict[str, Any] = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """``table, file, rows, bytes, sha256``, one row per exported table."""
        rows = [{"table": t, **v} for t, v in self.manifest.get("tables", {}).items()]
        return pd.DataFrame(rows, columns=["table", "file", "rows", "bytes", "sha256"])

    def to_dict(self) -> dict[str, Any]:
        """The manifest (what ``manifest.json`` holds)."""
        return dict(self.manifest)

    def text(self) -> str:
        """Lines for the terminal."""
        frame = self.to_frame()
        total = int(frame["bytes"].sum()) if len(frame) else 0
        lines = [f"exported {len(frame)} tables to {self.folder} ({total / 1e6:,.1f} MB)"]
        lines += [f"  {r.table:<22} {r.rows:>12,} rows" for r in frame.itertuples()]
        eds = self.manifest.get("postcode_directory_editions") or []
        lines.append(f"  postcode directory: {', '.join(eds) or '(unknown edition)'}")
        lines.append(f"  manifest: {self.folder / MANIFEST}")
        return "\n".join(lines)

    def write(self, path: str | os.PathLike[str]) -> Path:
        """Write the manifest (``.json``) or the table list (``.csv``)."""
        return write_by_suffix(
            "an export summary",
            Path(path),
            {
                ".json": lambda out: write_json(out, self.to_dict()),
                ".csv": lambda out: self.to_frame().to_csv(out, index=False),
            },
        )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _check_folder(folder: Path) -> None:
    """Refuse a folder holding anything but a previous export."""
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"{folder} is a file: give data export a folder")
    if folder.is_dir():
        others = [p.name for p in folder.iterdir() if p.name != MANIFEST and p.suffix != ".parquet"]
        parquet = any(p.suffix == ".parquet" for p in folder.iterdir())
        if others or (parquet and not (folder / MANIFEST).exists()):
            raise OutputError(
                f"{folder} holds other files: give data export an empty or new folder"
            )


def export_reference(
    folder: str | os.PathLike[str], *, store: Store | str | os.PathLike[str] | None = None
) -> ExportSummary:
    """Write every table of the store to ``folder`` as Parquet, with ``manifest.json``.

    The folder is written complete or not at all: the files are made in a temporary
    folder beside it, which then replaces it (a previous export there is replaced).
    """
    out = Path(folder)
    _check_folder(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with reference_store(store) as s:
        tmp = Path(tempfile.mkdtemp(prefix=".oacinsight-export-", dir=out.parent))
        try:
            manifest = _write_tables(s, tmp)
            (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
            _swap(tmp, out)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return ExportSummary(out, manifest)


def _write_tables(s: Store, tmp: Path) -> dict[str, Any]:
    tables: dict[str, Any] = {}
    for table in s.tables():
        path = tmp / f"{table}.parquet"
        rows = sql.export_table(s.con, table, path)
        tables[table] = {
            "file": path.name,
            "rows": rows,
            "bytes": path.stat().st_size,
            "sha256": _sha256(path),
        }
    return {
        "format": FORMAT,
        "oacinsight_version": __version__,
        "derived_version": lookup.DERIVED_VERSION,
        "exported_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "store": s.path.name,
        "postcode_directory_editions": matching.editions(s.con),
        "editions": sql.store_editions(s.con),
        "tables": tables,
    }


def _swap(tmp: Path, out: Path) -> None:
    """Put the new export in place of ``out`` (moved aside first, then removed)."""
    old = None
    if out.exists():
        old = out.with_name(f".{out.name}.old-{os.getpid()}")
        out.rename(old)
    try:
        tmp.rename(out)
    except OSError as exc:
        if old is not None:
            old.rename(out)
        raise OutputError(f"cannot write {out}: {exc.strerror or exc}") from exc
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _is_local(path: str) -> bool:
    return "://" not in path or path.startswith("file://")


def _local(path: str) -> Path:
    return Path(path.removeprefix("file://"))


@dataclass
class Reference:
    """An exported reference folder (local path or any URI Spark reads)."""

    path: str
    manifest: dict[str, Any]

    @property
    def edition(self) -> str:
        """The postcode directory edition(s), as the match notes name them."""
        return ", ".join(self.manifest.get("postcode_directory_editions") or []) or (
            "loaded edition"
        )

    @property
    def tables(self) -> list[str]:
        return list(self.manifest.get("tables", {}))

    def table_path(self, table: str) -> str:
        """Where one table's Parquet file is."""
        return f"{self.path.rstrip('/')}/{self.manifest['tables'][table]['file']}"

    def read(self, spark: SparkSession, table: str) -> DataFrame:
        """One table as a Spark DataFrame."""
        return spark.read.parquet(self.table_path(table))

    def driver_store(self, spark: SparkSession | None = None, views: Collection[str] = ()) -> Store:
        """An in-memory store on the driver holding the exported tables (for the profile
        statistics, which run on the driver with the core's code); of a local folder,
        the tables named in ``views`` are views on their Parquet files (read as queried)."""
        if _is_local(self.path):
            return sql.open_exported(_local(self.path), self.tables, views=views)
        if spark is None:
            raise OacInsightError(f"reading {self.path} needs a Spark session")
        import weakref

        local = self.fetched(spark)
        store = sql.open_exported(Path(local.path), local.tables, views=views)
        weakref.finalize(store, shutil.rmtree, local.path, True)
        return store

    def fetched(self, spark: SparkSession) -> Reference:
        """A copy of the export in a local temporary folder: each table's Parquet file
        read whole by Spark (``binaryFiles``, any path Spark reads) and checked against
        the manifest's SHA-256.  The caller removes the folder."""
        folder = Path(tempfile.mkdtemp(prefix="oacinsight-ref-"))
        try:
            for table in self.tables:
                entry = self.manifest["tables"][table]
                found = spark.sparkContext.binaryFiles(self.table_path(table)).collect()
                data = bytes(found[0][1]) if len(found) == 1 else b""
                digest = hashlib.sha256(data).hexdigest()
                if entry.get("sha256") not in (None, digest):
                    raise StoreError(
                        f"{self.table_path(table)} does not match its checksum in {MANIFEST}: "
                        "copy the export again"
                    )
                (folder / entry["file"]).write_bytes(data)
            (folder / MANIFEST).write_text(json.dumps(self.manifest), encoding="utf-8")
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        return Reference(str(folder), self.manifest)


def load_reference(
    reference: str | os.PathLike[str] | Reference, spark: SparkSession | None = None
) -> Reference:
    """Read an exported folder's manifest and check it can be used."""
    if isinstance(reference, Reference):
        return reference
    path = str(reference)
    if _is_local(path):
        file = _local(path) / MANIFEST
        if not file.exists():
            raise StoreError(
                f"{path} holds no {MANIFEST}: write it with 'oacinsight data export {path}'"
            )
        text = file.read_text(encoding="utf-8")
    else:
        if spark is None:
            raise OacInsightError(f"reading {path} needs a Spark session")
        row = spark.read.text(f"{path.rstrip('/')}/{MANIFEST}", wholetext=True).first()
        if row is None:
            raise StoreError(f"{path}/{MANIFEST} is empty")
        text = str(row[0])
    manifest = json.loads(text)
    if manifest.get("format") != FORMAT:
        raise StoreError(f"{path}: not an oacinsight reference export ({MANIFEST} format)")
    if manifest.get("derived_version") != lookup.DERIVED_VERSION:
        raise StoreError(
            f"{path} was exported by another oacinsight version: run 'oacinsight data "
            "rebuild' and 'oacinsight data export' again"
        )
    missing = [t for t in MATCH_TABLES if t not in manifest.get("tables", {})]
    if missing:
        raise StoreError(f"{path}: the export lacks {', '.join(missing)}")
    return Reference(path, manifest)
