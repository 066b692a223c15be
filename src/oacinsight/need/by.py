"""Need by a column or by period (``oacinsight need --by COLUMN`` / ``--period COLUMN``).

One need analysis per value of a column (a service, a channel) or per period of a date
column, all against the area and base of the file's overall need analysis, with one
disclosure pattern on the customer counts of the slices and the overall rates together.
The slicing (labels, ``(blank)`` and ``(no date)`` slices, values grouped as ``other``,
the limit of 50 values, dates) is the profile's (:mod:`oacinsight.profile.by`); the
pattern is the profile's joint pattern (:mod:`oacinsight.profile.joint`) with the overall
rates' own pattern kept.  The method is in docs/need.md ("Need by a column or a period").
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from oacinsight.errors import OacInsightError
from oacinsight.match import MATCHED, reference_store
from oacinsight.need import disclose, inputs
from oacinsight.need import rates as rt
from oacinsight.need.by_result import NeedByResult, SliceNeed
from oacinsight.need.result import NeedResult
from oacinsight.need.run import NeedOptions, _assemble, _categorical, need_file
from oacinsight.store import Store, profiles
from oacinsight.store import need as sql

if TYPE_CHECKING:
    from oacinsight.profile.by import SliceOptions

__all__ = ["need_by_file"]


def need_by_file(
    input_path: str | os.PathLike[str] | None,
    options: NeedOptions,
    *,
    by: str | None = None,
    period: str | None = None,
    freq: str | None = None,
    store: Store | str | os.PathLike[str] | None = None,
) -> NeedByResult:
    """Need per value of ``by`` (or per period of the date column ``period`` at ``freq``:
    year, quarter or month), each slice against the overall analysis's area and base.

    Parameters
    ----------
    input_path : path
        Customer records (raw or matched) with the column to split by.
    options : NeedOptions
        As for :func:`oacinsight.need.need_file`; ``rates``, ``survey_question`` and
        ``observed`` are refused (they are not split by a column).
    by, period, freq : optional
        One of ``by`` or ``period``; ``freq`` (default ``year``) only with ``period``.

    Returns
    -------
    NeedByResult
        The overall :class:`~oacinsight.need.NeedResult` (identical to ``need_file``)
        and one per slice, with one disclosure pattern on their customer counts.
    """
    from oacinsight.profile.by import SliceOptions, _labels, _matched_rows

    if freq is not None and period is None:
        raise OacInsightError("--freq goes with --period COLUMN")
    slicing = SliceOptions(by=by, period=period, freq=freq or "year")
    slicing.check()
    _refuse(options, slicing.kind)
    if input_path is None:
        raise OacInsightError(f"--{slicing.kind} needs INPUT, a customer file with the column")
    options.check(True)
    with reference_store(store) as s:
        with tempfile.TemporaryDirectory(prefix="oacinsight-") as tmp:
            rows, _ = _matched_rows(s, input_path, options.postcode_column, Path(tmp))
        labelled = _labels(rows, slicing)  # a missing column is refused before the run
        overall = need_file(input_path, options, store=s)
        return _slices(s, rows, labelled, options, slicing, overall)


def _refuse(options: NeedOptions, kind: str) -> None:
    """Sources and options that are not split by a column, refused with the reason."""
    if options.rates:
        raise OacInsightError(f"--{kind} splits a customer file; it does not work with --rates")
    if options.survey_question:
        raise OacInsightError(
            f"--{kind} splits a customer file; for a survey use 'oacinsight survey --by'"
        )
    if options.observed:
        raise OacInsightError(
            f"--{kind} does not take --observed: observed counts are not split by the "
            "column; run need on each slice's rows with its own --observed"
        )


def _slices(
    s: Store,
    rows: pd.DataFrame,
    labelled: tuple[pd.Series, list[str]],
    options: NeedOptions,
    slicing: SliceOptions,
    overall: NeedResult,
) -> NeedByResult:
    """Every slice's analysis on the overall's area and base, and the joint pattern."""
    from oacinsight.profile.by import _choose

    labels, notes = labelled
    codes = [c for c, _ in overall.areas]
    _, oa_list = inputs.area_of(s, codes, None)
    placed = rows["oa21"].astype("string").isin(set(oa_list)) & rows["match_status"].isin(MATCHED)
    in_area = pd.Series(placed.to_numpy(dtype=bool), index=rows.index)
    names, mapping, grouping = _choose(labels, in_area, slicing)
    base, base_name = inputs.base_of(s, options.base, oa_list)
    # as need_file makes it (a newer store query adds ``has_base``, which it drops)
    oas = _categorical(sql.area_oas(s.con, oa_list, base)).drop(columns="has_base", errors="ignore")
    opt = dataclasses.replace(options, areas=tuple(codes), draw_map=False)
    counted = []
    for name in names:
        part = (mapping == name).to_numpy()
        customers, accounting = _slice_counts(rows[part], in_area[part])
        by_group = rt.in_tier_order(
            profiles.group_counts(s.con, oa_list, customers, base, list(rt.LEVELS))
        )
        counted.append((name, accounting, by_group))
    # the pattern first: each slice's model is then fitted on its published counts only
    hidden = _joint_hidden(overall, [g for _, _, g in counted])
    made = []
    for (name, accounting, by_group), mask in zip(counted, hidden.masks, strict=True):
        source = f"{overall.source}, {slicing.column} {name}"
        result = _slice_need(s, opt, (by_group, accounting), mask, oas, base_name, source)
        made.append((name, result))
    slices = []
    for (name, result), mask in zip(made, hidden.masks, strict=True):
        part = (mapping == name).to_numpy()
        terminated = _terminated_in_area(rows[part], in_area[part])
        slices.append((name, SliceNeed.of(result, mask, terminated)))
    if hidden.fallback:
        notes = [*notes, "every customer count of the slices is hidden: no pattern protected them"]
    return NeedByResult(
        overall=overall,
        slices=slices,
        column=slicing.column,
        kind=slicing.kind,
        freq=slicing.freq if slicing.kind == "period" else None,
        notes=[*notes, *grouping],
        min_customers=slicing.min_customers,
    )


def _slice_counts(rows: pd.DataFrame, in_area: pd.Series) -> tuple[pd.DataFrame, dict]:
    """Customers per output area of one slice's rows, and the accounting of its rows
    (as ``need_file`` counts them: rows, rows per match status, customers in the area)."""
    oa = rows.loc[in_area.to_numpy(), "oa21"].astype(str)
    customers = oa.value_counts().rename_axis("oa").reset_index(name="customers")
    statuses = rows["match_status"].astype(str).value_counts()
    accounting: dict[str, float] = {"rows": len(rows)}
    accounting.update({str(k): int(v) for k, v in statuses.items() if v})
    accounting["customers_in_area"] = int(customers["customers"].sum())
    return customers, accounting


def _terminated_in_area(rows: pd.DataFrame, in_area: pd.Series) -> int:
    """Rows of a slice matched by a terminated postcode and placed in the area (the
    accounting's split of its customers in the area, :meth:`NeedByResult.slice_frame`)."""
    terminated = (rows["match_status"].astype(str) == "matched_terminated").to_numpy()
    return int((terminated & in_area.to_numpy(dtype=bool)).sum())


def _slice_need(
    s: Store,
    opt: NeedOptions,
    counts: tuple[pd.DataFrame, dict],
    hidden: np.ndarray,
    oas: pd.DataFrame,
    base_name: str,
    source: str,
) -> NeedResult:
    """The need analysis of one slice's customers (counts per group, in tier order, and
    the accounting of its rows): what ``need_file`` does with them (rates, shrinkage on
    the published counts, expected demand, targets, gains) on the overall's area and
    base; ``hidden`` is the slice's part of the joint pattern."""
    by_group, accounting = counts
    rates, phi = rt.from_counts(by_group, opt.confidence, hidden=hidden)
    codes = list(opt.areas)
    return _assemble(s, opt, rates, phi, oas, codes, base_name, source, accounting, [])


@dataclasses.dataclass(frozen=True)
class _Joint:
    masks: list[np.ndarray]
    fallback: bool


def _joint_hidden(overall: NeedResult, slices: list[pd.DataFrame]) -> _Joint:
    """The customer counts of each slice to hide: the profile's joint pattern over the
    slices, their totals and the overall rates (whose own pattern is kept)."""
    from oacinsight.profile.joint import joint_pattern
    from oacinsight.profile.suppress import SUPPRESSED_FLAG

    threshold = overall.suppress_below
    own = disclose.rates_hidden(overall.rates, threshold)
    frame = overall.rates[["level", "code", "customers"]].reset_index(drop=True)
    frame["flag"] = np.where(own, SUPPRESSED_FLAG, "shown")
    tables = [t[["level", "code", "customers"]].reset_index(drop=True) for t in slices]
    pattern = joint_pattern(frame, tables, threshold)
    return _Joint([np.asarray(h, dtype=bool) for h in pattern.hidden], pattern.fallback)
