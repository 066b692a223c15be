"""Profiles of a file split by a column or by period (``profile --by`` / ``--period``).

Who × What × Where: one profile per value of a column (a service, a channel) or per
period of a date column, all against the same base and area as the file's overall
profile, with one disclosure pattern chosen on the slices and the overall profile
together (:mod:`oacinsight.profile.joint`).  :func:`profile_by` is what
``profile_file(..., by=...)`` / ``profile_file(..., period=..., freq=...)`` call; the
method is in docs/profile.md ("Profiles by a column or a period").
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from oacinsight.errors import InputFileError, OacInsightError
from oacinsight.match import MATCHED, match_records, reference_store
from oacinsight.profile.cellkey import DISCLOSURE_METHODS
from oacinsight.profile.comparison import BLANK, NO_DATE, OTHER, ComparisonResult
from oacinsight.profile.joint import joint_pattern, slice_table, with_pattern
from oacinsight.profile.result import ProfileResult
from oacinsight.profile.slicing import (
    MAX_VALUES,
    SliceColumn,
    check_slicing,
    choose_slices,
    other_label,
    slice_labels,
)
from oacinsight.store import Store, slices
from oacinsight.store.inputs import read_text_frame
from oacinsight.tabular import open_input

__all__ = [
    "BLANK",
    "MAX_VALUES",
    "MIN_CUSTOMERS",
    "NO_DATE",
    "OTHER",
    "SliceOptions",
    "other_label",
    "profile_by",
]

#: A value with fewer customers in the area than this is grouped into ``other``.
MIN_CUSTOMERS = 20


@dataclass(frozen=True)
class SliceOptions(SliceColumn):
    """How to split a file: ``by`` a column, or by ``period`` of a date column."""

    by: str | None = None
    period: str | None = None
    freq: str = "year"
    min_customers: int = MIN_CUSTOMERS
    max_values: int = MAX_VALUES

    def check(self) -> None:
        check_slicing(self.by, self.period, self.freq, self.min_customers, self.max_values)


def profile_by(
    input_path: str | os.PathLike[str],
    options: SliceOptions,
    *,
    profile: Callable[..., ProfileResult],
    store: Store | str | os.PathLike[str] | None = None,
    level: str = "supergroup",
    base: str = "residents",
    areas: list[str] | None = None,
    confidence: float = 0.95,
    suppress_below: int = 10,
    postcode_column: str | None = None,
    disclosure: str = "suppress",
) -> ComparisonResult:
    """Profile each slice of a customer file against the base of the overall profile.

    Parameters are those of :func:`oacinsight.profile.run.profile_file`, plus
    ``options`` (the column, the frequency and the limits) and ``profile``, the function
    that profiles the whole file (``profile_file`` itself, which calls this function:
    passing it keeps the two modules free of an import cycle).

    Returns
    -------
    ComparisonResult
        The overall profile, one profile per slice (same area and base), one pattern.
    """
    options.check()
    if disclosure not in DISCLOSURE_METHODS:
        raise OacInsightError(
            f"unknown disclosure {disclosure!r}; use {' or '.join(DISCLOSURE_METHODS)}"
        )
    kwargs = {"level": level, "base": base, "confidence": confidence,
              "suppress_below": suppress_below, "disclosure": disclosure}  # fmt: skip
    with reference_store(store) as s, tempfile.TemporaryDirectory(prefix="oacinsight-") as tmp:
        rows, profile_path = _matched_rows(s, input_path, postcode_column, Path(tmp))
        labels, notes = _labels(rows, options)
        overall = profile(profile_path, store=s, areas=areas, postcode_column=None, **kwargs)
        codes = [c for c, _ in overall.areas]
        oac = slices.area_subgroups(s, codes).set_index("oa")
        in_area = rows["oa21"].astype("string").isin(oac.index) & rows["match_status"].isin(MATCHED)
        names, mapping, grouping = _choose(labels, in_area, options)
        result_slices = []
        for name in names:
            part = mapping == name
            if disclosure == "cellkey":  # each slice perturbed by its own cell keys
                path = Path(tmp) / "slice.parquet"
                rows[part].to_parquet(path, index=False)
                found = profile(path, store=s, areas=codes, postcode_column=None, **kwargs)
                result_slices.append(found)
            else:
                result_slices.append(_slice_profile(overall, rows[part], in_area[part], oac))
    return _assemble(overall, names, result_slices, options, [*notes, *grouping])


def compare_counts(
    slices: list[tuple[str, pd.DataFrame]],
    *,
    column: str = "by",
    kind: str = "by",
    freq: str | None = None,
    level: str = "supergroup",
    base_name: str = "base",
    confidence: float = 0.95,
    suppress_below: int = 10,
    base_is_sample: bool = False,
) -> ComparisonResult:
    """A comparison from counts already made: one ``compute_profile`` input per slice.

    Every slice holds the same rows (``level, code, name, parent, customers, base``) with
    the same base; the overall profile is their sum.  Used by the tests and by callers
    that count their own slices; :func:`profile_by` counts a file.
    """
    if len(slices) < 2:
        raise OacInsightError("a comparison needs at least two slices")
    first = slices[0][1].reset_index(drop=True)
    total = first.copy()
    total["customers"] = sum(c["customers"].to_numpy() for _, c in slices)
    n = int(total.loc[total["level"] == total["level"].iloc[0], "customers"].sum())
    overall = ProfileResult.from_counts(
        total, level=level, base_name=base_name, areas=[], n_input=n, n_matched=n,
        n_in_area=n, unmatched={}, confidence=confidence, suppress_below=suppress_below,
        base_is_sample=base_is_sample,
    )  # fmt: skip
    full = overall.full_table if overall.full_table is not None else overall.table
    profiles = []
    for _, counts in slices:
        keyed = counts.set_index(["level", "code"])["customers"]
        frame = full[["level", "code", "name", "base"]].assign(parent=None)
        frame["customers"] = [
            int(keyed.get((lv, cd), 0))
            for lv, cd in zip(frame["level"], frame["code"], strict=True)
        ]
        table = slice_table(frame, confidence=confidence, suppress_below=suppress_below,
                            base_is_sample=base_is_sample)  # fmt: skip
        k = int(frame.loc[frame["level"] == frame["level"].iloc[0], "customers"].sum())
        profiles.append(dataclasses.replace(overall, table=table, full_table=table, n_input=k,
                                            n_matched=k, n_in_area=k))  # fmt: skip
    by, period = (column, None) if kind == "by" else (None, column)
    options = SliceOptions(by=by, period=period, freq=freq or "year")
    return _assemble(overall, [name for name, _ in slices], profiles, options, [])


def _matched_rows(
    s: Store, input_path: str | os.PathLike[str], postcode_column: str | None, tmp: Path
) -> tuple[pd.DataFrame, str | os.PathLike[str]]:
    """Every input row with ``match_status`` and ``oa21``; the file to profile."""
    with open_input(input_path) as src:
        frame = read_text_frame(src)
        name = src.name
    if frame.empty:
        raise InputFileError(f"{name}: has a header but no data rows")
    if {"match_status", "oa21"} <= set(frame.columns) and postcode_column is None:
        return frame, input_path
    matched = match_records(frame, store=s, postcode_column=postcode_column, name=name).frame
    path = tmp / "matched.parquet"
    matched.to_parquet(path, index=False)
    return matched, path


def _labels(rows: pd.DataFrame, options: SliceOptions) -> tuple[pd.Series, list[str]]:
    """The slice label of every row (before grouping) and notes on how they were read."""
    return slice_labels(rows, options.column, options.kind, options.freq)


def _choose(
    labels: pd.Series, in_area: pd.Series, options: SliceOptions
) -> tuple[list[str], pd.Series, list[str]]:
    """The slices in order, each row's slice, and notes on values grouped as ``other``."""
    counts = in_area.groupby(labels).sum().astype(int)
    return choose_slices(
        labels, counts, column=options.column, kind=options.kind, freq=options.freq,
        min_size=options.min_customers, max_values=options.max_values,
    )  # fmt: skip


def _slice_profile(
    overall: ProfileResult, rows: pd.DataFrame, in_area: pd.Series, oac: pd.DataFrame
) -> ProfileResult:
    """The profile of one slice's rows against the overall profile's area and base."""
    full = overall.full_table if overall.full_table is not None else overall.table
    oa = rows.loc[in_area, "oa21"].astype(str)
    cells = oac.loc[oa.to_numpy()]
    found: dict[tuple[str, str], int] = {}
    for level, column in (
        ("supergroup", "supergroup"),
        ("group", "group_code"),
        ("subgroup", "subgroup"),
    ):
        for code, n in cells[column].astype(str).value_counts().items():
            found[(level, str(code))] = int(n)
    counts = full[["level", "code", "name", "base"]].assign(parent=None)
    counts["customers"] = [
        found.get((lv, str(cd)), 0) for lv, cd in zip(counts["level"], counts["code"], strict=True)
    ]
    statuses = rows["match_status"].astype(str).value_counts().to_dict()
    n_matched = int(sum(v for k, v in statuses.items() if k in MATCHED))
    table = slice_table(
        counts,
        confidence=overall.confidence,
        suppress_below=overall.suppress_below,
        base_is_sample=overall.base_is_sample,
    )
    return ProfileResult(
        table=table,
        full_table=table,
        level=overall.level,
        base_name=overall.base_name,
        areas=overall.areas,
        n_input=len(rows),
        n_matched=n_matched,
        n_in_area=int(in_area.sum()),
        unmatched={str(k): int(v) for k, v in statuses.items() if k not in MATCHED},
        confidence=overall.confidence,
        suppress_below=overall.suppress_below,
        base_is_sample=overall.base_is_sample,
        area_rule=overall.area_rule,
    )


def _assemble(
    overall: ProfileResult,
    names: list[str],
    profiles: list[ProfileResult],
    options: SliceOptions,
    notes: list[str],
) -> ComparisonResult:
    """Apply the joint pattern to every slice and wrap everything in a result."""
    if overall.disclosure == "cellkey":  # consistent by design: every cell has its key
        return ComparisonResult(
            overall=overall, slices=list(zip(names, profiles, strict=True)),
            column=options.column, kind=options.kind,
            freq=options.freq if options.kind == "period" else None,
            notes=notes, min_customers=options.min_customers,
        )  # fmt: skip
    full = overall.full_table if overall.full_table is not None else overall.table
    fulls = [p.full_table if p.full_table is not None else p.table for p in profiles]
    pattern = joint_pattern(full, fulls, overall.suppress_below)
    if pattern.fallback:
        notes = [*notes, "every slice cell is hidden: no pattern could protect them all"]
    out = []
    for name, prof, table, hidden in zip(names, profiles, fulls, pattern.hidden, strict=True):
        new_full = with_pattern(table, hidden)
        shown = new_full if overall.level == "all" else new_full[new_full["level"] == overall.level]
        shown = shown.reset_index(drop=True)
        shown.attrs.update(new_full.attrs)
        out.append((name, dataclasses.replace(prof, table=shown, full_table=new_full)))
    return ComparisonResult(
        overall=overall,
        slices=out,
        column=options.column,
        kind=options.kind,
        freq=options.freq if options.kind == "period" else None,
        notes=notes,
        min_customers=options.min_customers,
    )
