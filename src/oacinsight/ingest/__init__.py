"""Load official ONS files into the store: recognise each, load it as published.

``ingest(paths, store)`` accepts files, folders and zips.  Each file is recognised by
its columns (see :mod:`.detect`); the whole call is one transaction, so a failure leaves
the store as it was, and loading the same file again replaces its rows (idempotent).
"""

from __future__ import annotations

import hashlib
import re
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from oacinsight.errors import IngestError
from oacinsight.ingest import validate
from oacinsight.ingest.detect import KINDS, Detected, detect
from oacinsight.ingest.sniff import TABULAR_SUFFIXES, Peek, peek
from oacinsight.maps import formats as geo
from oacinsight.progress import Progress, say, watch
from oacinsight.store import Store, _first_line, loaders, lookup, query_fraction


@dataclass
class IngestItem:
    """One file considered by an ingest."""

    file: str
    kind: str
    detail: str
    rows: int = 0
    columns_used: str = ""
    action: str = "loaded"  # loaded | skipped


@dataclass
class IngestReport:
    """What an ingest did, file by file."""

    items: list[IngestItem] = field(default_factory=list)
    postcodes: int = 0
    #: Findings of the checks loaded anyway with ``force`` (one line each).
    warnings: list[str] = field(default_factory=list)

    def to_frame(self) -> pd.DataFrame:
        """One row per file: file, kind, detail, rows, columns_used, action."""
        return pd.DataFrame([vars(i) for i in self.items])

    @property
    def loaded(self) -> list[IngestItem]:
        return [i for i in self.items if i.action == "loaded"]


def ingest(
    paths: Iterable[str | Path],
    store: Store,
    *,
    kind: str | None = None,
    force: bool = False,
    progress: Progress | None = None,
) -> IngestReport:
    """Recognise and load official files into ``store`` in one transaction.

    Parameters
    ----------
    paths : iterable of path
        Files (CSV, Parquet, XLSX), folders (searched recursively) or zip files.
    store : Store
        An open, writable store.
    kind : str, optional
        Force every file to be read as this kind (see ``detect.KINDS``).
    force : bool, default False
        Load files the checks find plausible but suspicious (see :mod:`.validate`):
        one that would shrink what the store holds for an area, a few malformed rows.
        Files the checks refuse outright are never loaded.
    progress : callable, optional
        Called with :class:`oacinsight.progress.Step` values: a line per file, and how
        far loading each file and building the postcode lookup has got.

    Returns
    -------
    IngestReport
    """
    report = IngestReport()
    with tempfile.TemporaryDirectory(prefix="oacinsight-ingest-") as tmp:
        plan = _plan_some(paths, Path(tmp), kind, report)
        sources = {path: _readable(path, Path(tmp)) for path, _found in plan}
        report.warnings = _check(
            store,
            [(p, sources[p], found) for p, found in plan],
            force,
            lambda line: say(progress, line),
        )
        try:
            with store.transaction() as con:
                loaders.ensure_tables(con)
                done = query_fraction(con) if progress else (lambda: -1.0)
                for path, found in plan:
                    say(progress, f"loading {path.name} as {found.describe()}")
                    size = path.stat().st_size / 1e6
                    with watch(progress, f"loading {path.name}", size, "MB", done):
                        report.items.append(_load_one(store, con, path, sources[path], found))
                if loaders.has_rows(con, "postcodes"):
                    say(progress, "building the postcode lookup")
                    with watch(progress, "building the postcode lookup", 100, "%", done):
                        report.postcodes = lookup.rebuild(con)
                _link_boundaries(con)
        except duckdb.Error as exc:
            raise IngestError(f"load failed, store left unchanged: {_first_line(exc)}") from exc
        finally:
            store.cache.clear()  # anything derived from the old contents is stale
    return report


def _plan_some(
    paths: Iterable[str | Path], tmp: Path, kind: str | None, report: IngestReport
) -> list[tuple[Path, Detected]]:
    """The files to load; an error when there is none."""
    if kind is not None and kind not in KINDS:
        raise IngestError(f"unknown --kind {kind!r}; choose one of {', '.join(KINDS)}")
    plan = _plan(_expand(paths, tmp), kind, report)
    if not plan:
        reasons = "; ".join(i.detail for i in report.items[:3])
        raise IngestError(
            "nothing to load: no recognised official file among the inputs"
            + (f" ({reasons})" if reasons else "")
        )
    return plan


def check_files(
    paths: Iterable[str | Path], store: Store, *, kind: str | None = None
) -> list[validate.Problem]:
    """What ingest would refuse or ask ``--force`` for, without loading anything."""
    report = IngestReport()
    with tempfile.TemporaryDirectory(prefix="oacinsight-check-") as tmp:
        plan = _plan_some(paths, Path(tmp), kind, report)
        sources = [(p, _readable(p, Path(tmp)), found) for p, found in plan]
        return validate.check_plan(store.con, sources)


def _check(
    store: Store,
    plan: list[tuple[Path, Path, Detected]],
    force: bool,
    say: Callable[[str], None],
) -> list[str]:
    """Refuse (raise) before anything is replaced when a file fails its checks; the
    findings let through by ``force``."""
    say(f"checking {len(plan)} file{'s' if len(plan) != 1 else ''}")
    try:
        problems = validate.check_plan(store.con, plan)
    except duckdb.Error as exc:
        raise IngestError(
            f"cannot check the files, store left unchanged: {_first_line(exc)}"
        ) from exc
    validate.enforce(problems, force, say)
    return [p.line() for p in problems]


def _readable(path: Path, tmp: Path) -> Path:
    """The file to read: a workbook's first sheet as CSV, other files as they are."""
    if path.suffix.lower() != ".xlsx":
        return path
    out = tmp / "xlsx" / str(abs(hash(str(path))))
    out.mkdir(parents=True, exist_ok=True)
    return _xlsx_as_csv(path, out)


def rebuild(store: Store) -> int:
    """Rebuild the derived lookups of a writable store; returns the postcodes."""
    if not store.has_table("postcodes"):
        raise IngestError(f"the store {store.path} has no postcode directory to rebuild from")
    try:
        with store.transaction() as con:
            loaders.ensure_tables(con)
            return lookup.rebuild(con)
    finally:
        store.cache.clear()


def _expand(paths: Iterable[str | Path], tmp: Path) -> list[tuple[Path, bool]]:
    """Files to consider, each with whether the user named it explicitly."""
    out: list[tuple[Path, bool]] = []
    for raw in paths:
        path = Path(raw).expanduser()
        if not path.exists():
            raise IngestError(f"{path}: no such file or folder")
        if path.is_dir():
            out += [(p, False) for p in sorted(path.rglob("*")) if _tabular(p)]
        elif path.suffix.lower() == ".zip":
            out += [(p, False) for p in _unzip(path, tmp)]
        else:
            out.append((path, True))
    return out


def _tabular(p: Path) -> bool:
    wanted = (*TABULAR_SUFFIXES, *geo.BOUNDARY_SUFFIXES)
    return p.is_file() and p.suffix.lower() in wanted and not p.name.startswith(".")


def _unzip(path: Path, tmp: Path) -> list[Path]:
    dest = tmp / path.stem
    try:
        with zipfile.ZipFile(path) as zf:
            wanted = (*TABULAR_SUFFIXES, *geo.BOUNDARY_SUFFIXES, *geo.SIDECAR_SUFFIXES)
            members = [m for m in zf.namelist() if Path(m).suffix.lower() in wanted]
            for m in members:
                zf.extract(m, dest)
    except zipfile.BadZipFile as exc:
        raise IngestError(f"{path.name}: not a readable zip file") from exc
    return sorted(p for p in dest.rglob("*") if _tabular(p))


def _plan(
    files: list[tuple[Path, bool]], kind: str | None, report: IngestReport
) -> list[tuple[Path, Detected]]:
    plan: list[tuple[Path, Detected]] = []
    for path, explicit in files:
        if geo.is_boundary_file(path) and kind in (None, "boundaries"):
            plan.append((path, Detected("boundaries", {}, "boundary polygons")))
            continue
        try:
            found = detect(peek(path), kind)
        except IngestError as exc:
            if explicit:
                raise
            report.items.append(IngestItem(path.name, "-", str(exc), action="skipped"))
            continue
        plan.append((path, found))
    return _drop_duplicate_directory_parts(plan, report)


def _drop_duplicate_directory_parts(
    plan: list[tuple[Path, Detected]], report: IngestReport
) -> list[tuple[Path, Detected]]:
    """An official zip holds the whole directory and the same rows split by area: keep one."""
    full = {_edition(p) for p, d in plan if d.kind == "postcode_directory" and _is_full(p)}
    keep = []
    for path, found in plan:
        if found.kind == "postcode_directory" and not _is_full(path) and _edition(path) in full:
            reason = "same rows as the single-file directory of this edition"
            report.items.append(IngestItem(path.name, found.kind, reason, action="skipped"))
            continue
        keep.append((path, found))
    return keep


def _is_full(path: Path) -> bool:
    return bool(re.search(r"_UK\.(csv|txt)$", path.name, re.IGNORECASE))


def _edition(path: Path) -> str:
    m = re.search(r"(NSPL|ONSPD)\w*?_([A-Z]{3})_(\d{4})", path.name, re.IGNORECASE)
    return f"{m.group(1).upper()} {m.group(2).upper()} {m.group(3)}" if m else ""


def _link_boundaries(con: duckdb.DuckDBPyConnection) -> None:
    """Link boundary areas to output areas again (boundaries or lookups may have changed)."""
    from oacinsight.ingest.boundaries import rebuild_members

    rebuild_members(con)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _load_one(
    store: Store, con: duckdb.DuckDBPyConnection, path: Path, source: Path, found: Detected
) -> IngestItem:
    target, rows = _dispatch(con, source, found)
    edition = _edition(path) or found.detail
    used = "; ".join(f"{k}={v}" for k, v in found.columns.items())
    store.record_provenance(
        con,
        {
            "kind": found.kind,
            "target": target,
            "file_name": path.name,
            "file_path": str(path),
            "edition": edition,
            "row_count": rows,
            "sha256": _sha256(path),
            "columns_used": used,
        },
    )
    return IngestItem(path.name, found.kind, found.detail, rows, used)


def _xlsx_as_csv(path: Path, tmp: Path) -> Path:
    """The first sheet of a workbook as CSV text, under the workbook's own file name
    (so the store records where the rows came from)."""
    from oacinsight.tabular import read_xlsx

    out = tmp / path.name
    read_xlsx(path).to_csv(out, index=False)
    return out


def _dispatch(con: duckdb.DuckDBPyConnection, path: Path, found: Detected) -> tuple[str, int]:
    cols, kind = found.columns, found.kind
    if kind == "postcode_directory":
        edition = _edition(path) or f"{found.detail} (edition not in file name)"
        return "postcodes", loaders.load_postcodes(con, path, cols, edition)
    if kind in ("oac", "oac_lsoa"):
        return (
            "oac_area" if kind == "oac_lsoa" else "oac_oa",
            loaders.load_oac(con, path, cols, area=kind == "oac_lsoa"),
        )
    if kind == "oac_names":
        return "oac_names", loaders.load_oac_names(con, path, cols)
    if kind == "oac11_names":
        return "oac11_names", loaders.load_oac11_names(con, path, cols)
    if kind == "geo_lookup":
        return "oa_links", loaders.load_links(con, path, cols)
    if kind == "oa11_oa21":
        return "oa11_oa21", loaders.load_oa11_oa21(con, path, cols)
    if kind == "census":
        columns = peek(path, n_rows=0).columns
        return (
            f"census_{found.detail}",
            loaders.load_census(con, path, cols["oa"], found.detail, columns),
        )
    if kind == "boundaries":
        from oacinsight.ingest.boundaries import load_boundary_file

        rows, found.detail = load_boundary_file(con, path)
        return "boundary_layers", rows
    if kind == "census_metadata":
        return "census_metadata", loaders.load_census_metadata(con, path)
    if kind == "area_names":
        return "area_names", loaders.load_area_names(con, path, cols)
    raise IngestError(f"{path.name}: {kind} files are not loaded")


__all__ = ["IngestItem", "IngestReport", "Peek", "check_files", "ingest", "rebuild"]
