"""Attach output area, OAC and area codes to every record, by postcode.

The output holds every input row, in input order, with all its columns, plus
:data:`ADDED_COLUMNS`.  ``match_status`` says what happened to each row and
``match_note`` why; nothing is dropped.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from oacinsight.errors import InputFileError, OutputError, StoreError
from oacinsight.outputs import atomic_output, check_output_path, same_file, write_text_atomic
from oacinsight.progress import Progress, watch
from oacinsight.results import write_by_suffix, write_json
from oacinsight.store import Store, lookup, matching, open_store, query_fraction
from oacinsight.store.matching import ADDED_COLUMNS, STATUSES
from oacinsight.tabular import (
    InputSource,
    dedupe_columns,
    neutralise,
    open_input,
    output_format,
    prepend_bom,
    write_workbook,
    write_xlsx,
)
from oacinsight.values import json_safe

MATCHED = ("matched", "matched_terminated")
_NAME_HINTS = re.compile(r"^(post_?codes?|pcds?|pcd[278]|postal_?code|zip|post_?code_?clean)$")

#: What each match status means, for someone who has not read the docs.
STATUS_TEXT: dict[str, str] = {
    "matched": "the postcode is live and its output area has an OAC group",
    "matched_terminated": "the postcode has been retired by Royal Mail, but its output "
    "area is still known, so it has an OAC group",
    "not_found": "the postcode looks valid but is not in the loaded postcode directory "
    "(newer than the directory, mistyped, or from an area not loaded)",
    "invalid_format": "the text is not a UK postcode (e.g. a typo or a partial postcode)",
    "missing": "the postcode cell is blank",
    "no_oac": "the postcode is known but its output area has no OAC 2021 group "
    "(e.g. Channel Islands, Isle of Man, or Scottish 2011 areas)",
}

__all__ = [
    "ADDED_COLUMNS",
    "STATUSES",
    "STATUS_TEXT",
    "Assignment",
    "MatchResult",
    "MatchSummary",
    "assign_areas",
    "match_file",
    "match_records",
]


@dataclass
class MatchSummary:
    """Counts of a match: per status, per local authority, and what was used."""

    input_name: str
    rows: int
    postcode_column: str
    editions: list[str]
    counts: dict[str, int]
    by_authority: pd.DataFrame
    renamed: dict[str, str] = field(default_factory=dict)
    encoding: str = "utf-8"
    output: str | None = None
    by_coordinates: int = 0
    reading: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def matched(self) -> int:
        """Rows with an OAC group (live and terminated postcodes)."""
        return sum(self.counts.get(s, 0) for s in MATCHED)

    @property
    def match_rate(self) -> float:
        return self.matched / self.rows if self.rows else 0.0

    def to_frame(self) -> pd.DataFrame:
        """One row per status: ``status, count, share``."""
        rows = [(s, self.counts.get(s, 0)) for s in STATUSES]
        df = pd.DataFrame(rows, columns=["status", "count"])
        df["share"] = df["count"] / self.rows if self.rows else 0.0
        return df

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (what ``--report`` writes)."""
        by_la = self.by_authority.astype(object).where(self.by_authority.notna(), None)
        return json_safe(
            {
                "input": self.input_name,
                "output": self.output,
                "rows": self.rows,
                "postcode_column": self.postcode_column,
                "encoding": self.encoding,
                "postcode_directory_editions": self.editions,
                "matched": self.matched,
                "match_rate": round(self.match_rate, 6),
                "status": {
                    s: {"count": int(c), "share": round(float(sh), 6)}
                    for s, c, sh in self.to_frame().itertuples(index=False)
                },
                "by_local_authority": by_la.to_dict(orient="records"),
                "renamed_input_columns": self.renamed,
                "placed_by_coordinates": self.by_coordinates,
                "row_account": self.row_account(),
                "reading": self.reading,
                "notes": self.reading.get("notes", []) + self.notes,
            }
        )

    def to_json(self) -> dict[str, Any]:
        """Deprecated alias of :meth:`to_dict` (it returns a dict, not JSON text)."""
        return self.to_dict()

    def write(self, path: str | Path) -> Path:
        """Write the summary; the format follows the suffix and the path is returned.

        ``.json`` (what ``--report`` writes), ``.csv`` (:meth:`to_frame`), ``.xlsx``
        (sheets ``status`` and ``by_local_authority``) or ``.txt`` (:meth:`text`).
        """
        return write_by_suffix(
            "a match summary",
            path,
            {
                ".json": lambda out: write_json(out, self.to_dict()),
                ".csv": lambda out: self.to_frame().to_csv(out, index=False, encoding="utf-8"),
                ".xlsx": lambda out: write_workbook(
                    out,
                    {
                        "status": self.to_frame(),
                        "by_local_authority": self.by_authority.astype(object).map(neutralise),
                    },
                ),
                ".txt": lambda out: out.write_text(self.text() + "\n", encoding="utf-8"),
            },
        )

    def row_account(self) -> dict[str, Any]:
        """Records read, rows written and rows per status: they reconcile exactly."""
        return {
            "records_read": self.reading.get("records", self.rows),
            "rows_written": self.rows,
            "blank_lines_skipped": self.reading.get("blank_lines_skipped", 0),
            "by_status": {s: int(self.counts.get(s, 0)) for s in STATUSES},
            "reconciles": self.reading.get("records", self.rows)
            == self.rows
            == sum(self.counts.get(s, 0) for s in STATUSES),
        }

    def text(self) -> str:
        """Human-readable lines for the terminal."""
        lines = [
            f"{self.input_name}: {self.rows:,} row{'' if self.rows == 1 else 's'}; "
            f"postcode column '{self.postcode_column}'; "
            f"directory {', '.join(self.editions) or '(unknown edition)'}",
        ]
        for status, count, share in self.to_frame().itertuples(index=False):
            lines.append(f"  {status:<19} {count:>10,}  {share:6.1%}")
        lines.append(
            f"  match rate {self.match_rate:.1%} ({self.matched:,} rows with an OAC group)"
        )
        top = self.by_authority.head(10)
        if len(top):
            lines.append(
                "  by local authority (top 10): "
                + "; ".join(
                    f"{r.laua}{' ' + r.name if isinstance(r.name, str) else ''} {r.rows:,}"
                    for r in top.itertuples()
                )
            )
        if self.by_coordinates:
            lines.append(
                f"  {self.by_coordinates:,} rows placed by their coordinates "
                "(nearest postcode; see match_note)"
            )
        for old, new in self.renamed.items():
            lines.append(f"  note: input column '{old}' renamed '{new}' (clashes with an output)")
        lines += [f"  note: {n}" for n in [*self.reading.get("notes", []), *self.notes]]
        return "\n".join(lines)


@dataclass
class MatchResult:
    """Matched records (a DataFrame) and their summary."""

    frame: pd.DataFrame
    summary: MatchSummary

    def to_frame(self) -> pd.DataFrame:
        return self.frame


def choose_postcode_column(
    columns: list[str], requested: str | None, shares: Callable[[list[str]], dict[str, float]]
) -> str:
    """The postcode column: the one asked for, else the one name or content points to."""
    if requested:
        exact = [c for c in columns if c == requested]
        loose = [c for c in columns if c.strip().lower() == requested.strip().lower()]
        if exact or len(loose) == 1:
            return (exact or loose)[0]
        raise InputFileError(f"no column {requested!r}; the columns are: {', '.join(columns)}")
    by_name = [
        c
        for c in columns
        if _NAME_HINTS.match(re.sub(r"[\s\-]", "_", c.lower()))
        or "postcode" in c.lower().replace(" ", "")
    ]
    pool = by_name or columns
    exact = [c for c in by_name if c.strip().lower() == "postcode"]
    if len(by_name) == 1 or len(exact) == 1:
        return (exact or by_name)[0]
    found = sorted(shares(pool).items(), key=lambda kv: -kv[1])
    good = [c for c, s in found if s >= 0.5]
    if len(good) == 1 or (good and found[0][1] >= 1.5 * found[1][1]):
        return good[0]
    if good:
        raise InputFileError(
            f"several columns could hold the postcode ({', '.join(good)}); "
            "choose one with --postcode-column"
        )
    raise InputFileError(
        f"no postcode column found; the columns are: {', '.join(columns)} "
        "(name it with --postcode-column)"
    )


def coordinate_columns(columns: list[str]) -> tuple[str, str, str] | None:
    """Easting/northing or longitude/latitude columns, by the record standard's names."""
    from oacinsight.records import map_columns

    found = map_columns(columns)
    if {"easting", "northing"} <= found.keys():
        return found["easting"], found["northing"], "bng"
    if {"latitude", "longitude"} <= found.keys():
        return found["longitude"], found["latitude"], "latlong"
    return None


@contextmanager
def reference_store(store: Store | str | os.PathLike[str] | None) -> Iterator[Store]:
    """An open store checked for matching (see :func:`~oacinsight.store.open_store`:
    closed afterwards only if this function opened it)."""
    with open_store(store) as s:
        if not lookup.postcode_count(s):
            raise StoreError(
                f"the store {s.path} has no postcode directory: run "
                "'oacinsight data ingest' on the NSPL or ONSPD first"
            )
        if lookup.derived_version(s.con) != lookup.DERIVED_VERSION:
            raise StoreError(
                f"the store {s.path} was built by an older oacinsight: run "
                f"'oacinsight data rebuild --store {s.path}' once"
            )
        yield s


def _unknown() -> float:
    return -1.0


#: Matches a loaded input for a ``with`` block: the signature of
#: :func:`oacinsight.store.matching.matched` (the default engine), giving the same
#: :class:`~oacinsight.store.matching.Matched` handle; the Spark engine
#: (:mod:`oacinsight.spark.engine`) passes its own.
Matcher = Callable[..., AbstractContextManager[matching.Matched]]


@contextmanager
def _matched(
    store: Store,
    src: InputSource,
    postcode_column: str | None,
    progress: Progress | None = None,
    matcher: Matcher | None = None,
) -> Iterator[tuple[MatchSummary, matching.Matched]]:
    """The input matched for the ``with`` block, and its summary (one job's work);
    ``matcher`` replaces :func:`oacinsight.store.matching.matched` (another engine)."""
    con = store.con
    size = src.path.stat().st_size / 1e6 if src.path is not None and src.path.exists() else 0.0
    done = query_fraction(con) if progress else _unknown
    with ExitStack() as stack:
        with watch(progress, f"reading {src.name}", size, "MB", done):
            rows = stack.enter_context(matching.loaded_input(con, src))
        with _matched_rows(store, src, rows, postcode_column, matcher) as found:
            yield found


@contextmanager
def _matched_rows(
    store: Store,
    src: InputSource,
    rows: matching.Rows,
    postcode_column: str | None,
    matcher: Matcher | None = None,
) -> Iterator[tuple[MatchSummary, matching.Matched]]:
    con = store.con
    if rows.count == 0:
        raise InputFileError(f"{src.name}: has a header but no data rows")
    columns = list(rows.columns)
    coords = coordinate_columns(columns)
    try:
        column = choose_postcode_column(
            columns, postcode_column, lambda cols: matching.postcode_shares(con, rows, cols)
        )
    except InputFileError as exc:
        if coords is None or postcode_column:
            raise InputFileError(f"{src.name}: {exc}") from None
        rows = matching.add_blank_postcode(con, rows)  # coordinates only
        column = matching.NO_POSTCODE
    editions = matching.editions(con)
    edition = ", ".join(editions) or "loaded edition"
    with (matcher or matching.matched)(con, rows, column, edition, store.cache, coords) as m:
        yield (
            MatchSummary(
                input_name=src.name,
                rows=rows.count,
                postcode_column=column,
                editions=editions,
                counts=matching.status_counts(con, m),
                by_authority=matching.authority_counts(con, m),
                renamed=matching.renamed_columns(columns),
                encoding=src.report.encoding,
                by_coordinates=matching.placed_by_coordinates(con, m),
                reading=src.report.to_dict(),
            ),
            m,
        )


def match_file(
    input_path: str | os.PathLike[str],
    output_path: str | os.PathLike[str],
    *,
    store: Store | str | os.PathLike[str] | None = None,
    postcode_column: str | None = None,
    report: str | os.PathLike[str] | None = None,
    input_name: str | None = None,
    progress: Progress | None = None,
    matcher: Matcher | None = None,
) -> MatchSummary:
    """Match a CSV/XLSX/Parquet file and write every row, enriched, to ``output_path``.

    Parameters
    ----------
    input_path, output_path : path
        Input and output files; the output format follows its suffix
        (``.csv``, ``.xlsx``, ``.parquet``).
    store : Store or path, optional
        The reference store (default: the user's store).
    postcode_column : str, optional
        The column holding the postcode; found by name or content when omitted.
    report : path, optional
        Also write the summary as JSON here.
    input_name : str, optional
        The input's name in messages and the summary (e.g. an upload's original name).
    progress : callable, optional
        Called with :class:`oacinsight.progress.Step` values while the input is read
        and the output written (see :mod:`oacinsight.progress`).
    matcher : callable, optional
        Another engine's :func:`~oacinsight.store.matching.matched` (the Spark
        engine, :func:`oacinsight.spark.engine.SparkEngine.matcher`); the same outputs.

    Outputs are written to a temporary file and renamed into place: a failed or
    interrupted run leaves no partial file.

    Returns
    -------
    MatchSummary
    """
    out = Path(output_path)
    check_outputs(input_path, out, report)
    fmt = output_format(out)
    with (
        reference_store(store) as s,
        open_input(input_path, name=input_name) as src,
        _matched(s, src, postcode_column, progress, matcher) as (summary, m),
        atomic_output(out) as tmp,
    ):
        summary.notes += _write_matched(s, m, tmp, fmt, out.name, summary.rows, progress)
    summary.output = str(out)
    if report:
        write_text_atomic(
            report, json.dumps(summary.to_dict(), indent=2, default=str), what="report"
        )
    return summary


def check_outputs(
    input_path: str | os.PathLike[str], out: Path, report: str | os.PathLike[str] | None
) -> None:
    """Refuse outputs that would overwrite the input or each other, before any work."""
    check_output_path(out)
    if same_file(input_path, out):
        raise OutputError(f"the output {out.name} is the input file; choose another name")
    if report is not None:
        check_output_path(report, what="report")
        if same_file(report, out):
            raise OutputError(
                f"--report {Path(report).name} is the same file as the output; choose another name"
            )
        if same_file(report, input_path):
            raise OutputError(
                f"--report {Path(report).name} is the input file; choose another name"
            )


def _write_matched(
    s: Store,
    m: matching.Matched,
    tmp: Path,
    fmt: str,
    name: str,
    rows: int,
    progress: Progress | None,
) -> list[str]:
    """Write the matched rows to ``tmp``; return notes (cells cut for Excel)."""
    if fmt == "xlsx":
        return [
            n.replace(tmp.name, name)
            for n in write_xlsx(matching.matched_frame(s.con, m), tmp, sheet="matched")
        ]
    done = query_fraction(s.con) if progress else _unknown
    with watch(progress, f"writing {name}", rows, "rows", done):
        has_bom = matching.copy_matched(s.con, m, tmp, fmt)
    if fmt == "csv" and not has_bom:
        prepend_bom(tmp)
    return []


def match_records(
    frame: pd.DataFrame,
    *,
    store: Store | str | os.PathLike[str] | None = None,
    postcode_column: str | None = None,
    name: str = "records",
) -> MatchResult:
    """Match a DataFrame of records; returns every row with the added columns."""
    if frame.shape[1] == 0:
        raise InputFileError(f"{name}: has no columns")
    frame = frame.copy()
    frame.columns = dedupe_columns([str(c) for c in frame.columns])
    src = InputSource(name, "frame", frame=frame)
    with reference_store(store) as s, _matched(s, src, postcode_column) as (summary, m):
        return MatchResult(matching.matched_frame(s.con, m), summary)


@dataclass
class Assignment:
    """Where the records of a file fall, counted per output area: what ``profile`` and
    ``need`` read, made by the same steps as ``oacinsight match`` (:func:`assign_areas`).

    Attributes
    ----------
    name : str
        The input's name.
    rows : int
        Records read.
    counts : dict
        Rows per match status: as ``match`` counts them (every status, zeros included),
        or, for a file matched before, as its ``match_status`` column says.
    per_oa : DataFrame
        ``oa, records, amount`` (and ``ckey`` when keyed): ``oa`` is None for the rows
        not placed; ``amount`` sums the amount column (or counts rows).
    summary : MatchSummary or None
        The match summary (None when the file was matched before).
    """

    name: str
    rows: int
    counts: dict[str, int]
    per_oa: pd.DataFrame
    summary: MatchSummary | None = None

    @property
    def matched(self) -> int:
        """Rows with an OAC group."""
        return sum(self.counts.get(s, 0) for s in MATCHED)

    def unmatched(self) -> dict[str, int]:
        """Rows per status other than matched (statuses with no row left out)."""
        return {k: v for k, v in self.counts.items() if k not in MATCHED and v}

    def placed(self) -> pd.DataFrame:
        """``per_oa`` of the placed rows only (``oa`` known)."""
        return self.per_oa[self.per_oa["oa"].notna()].reset_index(drop=True)


def assign_areas(
    store: Store,
    source: str | os.PathLike[str],
    *,
    postcode_column: str | None = None,
    amount_column: str | None = None,
    keyed: bool = False,
) -> Assignment:
    """Match a file as ``oacinsight match`` does and count its records per output area.

    A file that already has ``match_status`` and ``oa21`` (the output of ``match``) is
    taken as matched unless ``postcode_column`` is given.  ``amount_column`` sums a
    column per output area as well as counting rows; ``keyed`` adds each output area's
    cell key (:mod:`oacinsight.store.cellkeys`).
    """
    with open_input(source) as src, matching.loaded_input(store.con, src) as rows:
        return assign_rows(
            store,
            src,
            rows,
            postcode_column=postcode_column,
            amount_column=amount_column,
            keyed=keyed,
        )


def assign_rows(
    store: Store,
    src: InputSource,
    rows: matching.Rows,
    *,
    postcode_column: str | None = None,
    amount_column: str | None = None,
    keyed: bool = False,
) -> Assignment:
    """:func:`assign_areas` of a file already loaded (:func:`matching.loaded_input`)."""
    from oacinsight.store import cellkeys

    con = store.con
    if {"match_status", "oa21"} <= set(rows.columns) and postcode_column is None:
        if rows.count == 0:
            raise InputFileError(f"{src.name}: has a header but no data rows")
        per = matching.oa_totals(con, rows, amount_column)
        keys = cellkeys.record_keys(con, rows, list(rows.columns)) if keyed else None
        found = Assignment(src.name, rows.count, matching.statuses_as_given(con, rows), per)
    else:
        with _matched_rows(store, src, rows, postcode_column) as (summary, m):
            amount = matching.renamed_columns(list(rows.columns)).get(amount_column or "")
            per = matching.oa_totals(con, m, amount or amount_column)
            keys = cellkeys.record_keys(con, m, list(rows.columns)) if keyed else None
            found = Assignment(src.name, rows.count, dict(summary.counts), per, summary)
    if keys is not None:
        found.per_oa = found.per_oa.merge(keys, on="oa", how="left")
    return found
