"""One disclosure pattern for a survey split into slices (``survey --by`` / ``--period``).

Every respondent is in exactly one slice, so each respondent count of the overall table
(a question's group) is the sum of that count over the slices, and each slice's total
for the question (its ``all`` row) is published.  A reader holding the overall table and
every slice could difference them, so the slice counts are hidden by the pattern that
``profile --by`` uses (:func:`oacinsight.profile.joint.joint_pattern`: every count from 0
to ``threshold - 1`` hidden, more hidden until the joint audit by integer programming
finds that every hidden count can take at least four values), applied to one flat table
per question: slices × groups, with the slice totals and the overall counts shown.

The overall table keeps its own pattern (it is identical to a plain ``survey`` of the
file).  The per-question accounting (answered but not placed, missing, don't know) and
the placement counts (placed, not found, ...) are tables of the same shape (slices ×
kinds, the slice's rows shown) and are protected the same way.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from oacinsight.errors import OacInsightError
from oacinsight.profile.joint import joint_pattern
from oacinsight.profile.suppress import SUPPRESSED_FLAG
from oacinsight.survey import disclose
from oacinsight.survey.result import ACCOUNT_COLUMNS, SurveyResult

__all__ = ["joint_hidden", "protect_slices"]


def joint_hidden(
    overall: np.ndarray, overall_hidden: np.ndarray, slices: np.ndarray, threshold: int
) -> tuple[np.ndarray, bool]:
    """Hidden cells (slices × kinds) of a flat table whose slice totals are shown.

    ``overall`` holds the column totals (the sum of ``slices`` over the slices) and
    ``overall_hidden`` their own pattern.  Returns the pattern and whether the fallback
    (every slice cell hidden) was needed.
    """
    k = len(overall)
    frame = pd.DataFrame(
        {
            "level": "supergroup",
            "code": [f"c{i}" for i in range(k)],
            "customers": np.asarray(overall, dtype="int64"),
            "flag": np.where(np.asarray(overall_hidden, bool), SUPPRESSED_FLAG, ""),
        }
    )
    tables = [frame.assign(customers=np.asarray(row, dtype="int64"), flag="") for row in slices]
    found = joint_pattern(frame, tables, threshold)
    return np.array(found.hidden, dtype=bool).reshape(len(tables), k), found.fallback


def _table_patterns(overall: SurveyResult, parts: list[SurveyResult], threshold: int) -> bool:
    """Set ``hidden`` on every slice: per question, the group counts jointly with the
    overall's; the slices' overall rows are shown (they hold at least the minimum)."""
    t = overall.table
    over_hidden = disclose.pattern(t, threshold)
    fallback = False
    patterns = [np.zeros(len(p.table), dtype=bool) for p in parts]
    for q in dict.fromkeys(t["question"]):
        rows = ((t["question"] == q) & (t["level"] != "overall")).to_numpy()
        codes = t.loc[rows, "code"].tolist()
        where = [_positions(p.table, q, codes) for p in parts]
        counts = np.array(
            [p.table["respondents"].to_numpy()[w] for p, w in zip(parts, where, strict=True)]
        )
        over = t.loc[rows, "respondents"].to_numpy(dtype="int64")
        hide, fell = joint_hidden(over, over_hidden[rows], counts, threshold)
        fallback |= fell
        for i, pos in enumerate(where):
            patterns[i][pos] = hide[i]
    for i, p in enumerate(parts):
        small = (p.table["level"] == "overall") & (p.table["respondents"] < threshold)
        p.hidden = patterns[i] | small.to_numpy()
    return fallback


def _positions(table: pd.DataFrame, question: str, codes: list[str]) -> np.ndarray:
    """Positions in ``table`` of the question's group rows, in the order of ``codes``
    (a slice has the overall's rows: :meth:`Prepared.result` is given them)."""
    mine = ((table["question"] == question) & (table["level"] != "overall")).to_numpy()
    found = pd.Series(np.flatnonzero(mine), index=table.loc[mine, "code"].to_numpy())
    if set(found.index) != set(codes):
        raise OacInsightError("a slice of the survey must have the overall table's groups")
    return found.reindex(codes).to_numpy(dtype=int)


def _accounting_patterns(overall: SurveyResult, parts: list[SurveyResult], threshold: int) -> bool:
    """Per question, answered-not-placed, missing and don't-know across the slices (each
    slice's rows less its answered-and-placed, both shown, is their total)."""
    kinds = [c for c in ACCOUNT_COLUMNS if c != "answered_placed"]
    over = overall.accounting
    over_hidden = overall.published_accounting()[kinds].isna().to_numpy()
    out = [pd.DataFrame(False, index=p.accounting.index, columns=list(ACCOUNT_COLUMNS))
           for p in parts]  # fmt: skip
    fallback = False
    for i in range(len(over)):
        counts = np.array([p.accounting.loc[i, kinds].to_numpy(dtype="int64") for p in parts])
        hide, fell = joint_hidden(
            over.loc[i, kinds].to_numpy(dtype="int64"), over_hidden[i], counts, threshold
        )
        fallback |= fell
        for j, frame in enumerate(out):
            frame.loc[i, kinds] = hide[j]
    for p, frame in zip(parts, out, strict=True):
        p.hidden_accounting = frame
    return fallback


def _placement_patterns(overall: SurveyResult, parts: list[SurveyResult], threshold: int) -> bool:
    kinds = sorted(overall.placement)
    published = overall._published_placement()
    over_hidden = np.array([published[k] is None for k in kinds])
    counts = np.array([[p.placement.get(k, 0) for k in kinds] for p in parts])
    over = np.array([overall.placement[k] for k in kinds])
    hide, fallback = joint_hidden(over, over_hidden, counts, threshold)
    for p, row in zip(parts, hide, strict=True):
        p.placement = {k: int(p.placement.get(k, 0)) for k in kinds}
        p.hidden_placement = {k: bool(h) for k, h in zip(kinds, row, strict=True)}
    return fallback


def protect_slices(overall: SurveyResult, parts: list[SurveyResult]) -> list[str]:
    """Give every slice its part of the joint pattern (in place); notes on fallbacks."""
    threshold = overall.options.suppress_below
    if threshold <= 1:
        return []
    notes = []
    if _table_patterns(overall, parts, threshold):
        notes.append("every respondent count of the slices is hidden for some question: "
                     "no pattern could protect them all")  # fmt: skip
    if _accounting_patterns(overall, parts, threshold):
        notes.append("the slices' answer accounting is hidden for some question")
    if _placement_patterns(overall, parts, threshold):
        notes.append("the slices' placement counts are hidden")
    return notes
