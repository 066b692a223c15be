"""Survey results split by a column or by period (``survey --by`` / ``--period``).

A residents' survey with several waves or channels: the survey analysed per slice
exactly as ``survey`` analyses a file (weights, intervals, representation, flags), all
slices against the same area as the overall result, with one disclosure pattern chosen
on the slices and the overall together (:mod:`oacinsight.survey.joint`), a Rao–Scott
test per group of whether the slices differ, and findings.  The slicing rules (labels,
``(blank)``, ``(no date)``, ``other``, the limit of 50 values) are those of ``profile
--by`` (:mod:`oacinsight.profile.slicing`); the method is in docs/survey.md ("By a column or a
period").
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import pandas as pd

from oacinsight.errors import OacInsightError
from oacinsight.profile.compare import holm
from oacinsight.profile.slicing import (
    MAX_VALUES,
    SliceColumn,
    check_slicing,
    choose_slices,
    slice_labels,
)
from oacinsight.store import Store
from oacinsight.survey.comparison import SurveyComparison
from oacinsight.survey.joint import protect_slices
from oacinsight.survey.run import Prepared, SurveyOptions, prepare_file, prepare_frame
from oacinsight.survey.stats import rao_scott

__all__ = ["MIN_RESPONDENTS", "SurveySlices", "survey_by_file", "survey_by_frame"]

#: A value with fewer respondents than this (to any one question) is grouped as ``other``.
MIN_RESPONDENTS = 20


@dataclass(frozen=True)
class SurveySlices(SliceColumn):
    """How to split a survey: ``by`` a column, or by ``period`` of a date column."""

    by: str | None = None
    period: str | None = None
    freq: str = "year"
    min_respondents: int = MIN_RESPONDENTS
    max_values: int = MAX_VALUES

    def check(self, suppress_below: int) -> None:
        """Refuse impossible options with a one-line reason."""
        check_slicing(self.by, self.period, self.freq, self.min_respondents, self.max_values)
        if self.min_respondents < suppress_below:
            raise OacInsightError(
                f"the smallest slice ({self.min_respondents} respondents) must be at least "
                f"--suppress-below ({suppress_below}), so every slice's total can be shown"
            )


def survey_by_file(
    input_path: str | os.PathLike[str],
    options: SurveyOptions,
    slicing: SurveySlices,
    *,
    store: Store | str | os.PathLike[str] | None = None,
) -> SurveyComparison:
    """Analyse a survey file per value of a column (or per period), side by side.

    Parameters
    ----------
    input_path : path
        One row per respondent (CSV, XLSX or Parquet).
    options : SurveyOptions
        As for :func:`oacinsight.survey.survey_file`.
    slicing : SurveySlices
        The column (``by``) or date column (``period`` with ``freq``) and the limits.
    store : Store or path, optional
        The reference store.

    Returns
    -------
    SurveyComparison
        The overall result (identical to ``survey_file``), one result per slice (same
        area), one disclosure pattern, tests and findings.
    """
    slicing.check(options.suppress_below)
    return _compare(prepare_file(input_path, options, store=store), slicing)


def survey_by_frame(
    frame: pd.DataFrame,
    options: SurveyOptions,
    slicing: SurveySlices,
    *,
    store: Store | str | os.PathLike[str] | None = None,
    name: str = "survey",
) -> SurveyComparison:
    """:func:`survey_by_file` for a survey held in a DataFrame."""
    slicing.check(options.suppress_below)
    return _compare(prepare_frame(frame, options, store=store, name=name), slicing)


def _sizes(prep: Prepared, labels: pd.Series) -> pd.Series:
    """Per label, the fewest respondents (valid answer, placed) to any one question."""
    placed = (prep.placement.status == "placed").to_numpy()
    per = [pd.Series(a.valid & placed).groupby(labels.to_numpy()).sum() for a in prep.answers]
    return pd.concat(per, axis=1).min(axis=1).astype(int)


def _compare(prep: Prepared, slicing: SurveySlices) -> SurveyComparison:
    labels, notes = slice_labels(prep.frame, slicing.column, slicing.kind, slicing.freq)
    labels = labels.reset_index(drop=True)
    names, mapping, grouping = choose_slices(
        labels, _sizes(prep, labels), column=slicing.column, kind=slicing.kind,
        freq=slicing.freq, min_size=slicing.min_respondents, max_values=slicing.max_values,
        unit="respondents", where=" (the fewest to any question)",
    )  # fmt: skip
    overall = prep.result()
    t = overall.table[overall.table["level"] != "overall"]
    groups = {str(q): b["code"].tolist() for q, b in t.groupby("question", sort=False)}
    where = mapping.to_numpy()
    parts = [prep.result(where == name, groups=groups) for name in names]
    protected = protect_slices(overall, parts)
    result = SurveyComparison(
        overall=overall,
        slices=list(zip(names, parts, strict=True)),
        column=slicing.column,
        kind=slicing.kind,
        freq=slicing.freq if slicing.kind == "period" else None,
        notes=[*notes, *grouping, *protected],
        min_respondents=slicing.min_respondents,
    )
    result.tests = slice_tests(prep, where, result)
    return result


def slice_tests(prep: Prepared, where: np.ndarray, result: SurveyComparison) -> pd.DataFrame:
    """Per question and group: do the slices differ? Rao–Scott test of slice × answer
    among the group's respondents, over the slices where the group is shown (and, on the
    ``all`` row, over every respondent); Holm-adjusted over the groups of a question."""
    codes = prep.placement.codes.astype(object).to_numpy()
    placed = (prep.placement.status == "placed").to_numpy()
    wide = result.long_frame()
    rows = []
    for a in prep.answers:
        valid = a.valid & placed
        y = np.nan_to_num(a.positive)
        mine = wide[wide["question"] == a.question]
        for code in dict.fromkeys(mine.loc[mine["level"] != "overall", "code"]):
            shown = mine[(mine["code"] == code) & mine["respondents"].notna()]
            shown = shown[shown[result.kind] != result.all_label]
            keep = valid & (codes == code) & np.isin(where, shown[result.kind].to_numpy())
            name = mine.loc[mine["code"] == code, "name"].iloc[0]
            test = _test_row(shown, where[keep], prep.weights[keep], y[keep])
            rows.append({"question": a.question, "code": code, "name": name, **test})
        everyone = mine[(mine["code"] == "all") & (mine[result.kind] != result.all_label)]
        test = _test_row(everyone, where[valid], prep.weights[valid], y[valid])
        rows.append({"question": a.question, "code": "all", "name": "All respondents", **test})
    out = pd.DataFrame(rows)
    groups = out["code"] != "all"
    out["p_holm"] = np.nan
    for _, block in out[groups].groupby("question", sort=False):
        out.loc[block.index, "p_holm"] = holm(block["p_value"])
    return out


def _test_row(shown: pd.DataFrame, slices: np.ndarray, w: np.ndarray, y: np.ndarray) -> dict:
    """One test: the Rao–Scott F of slice × answer, and the lowest and highest slices."""
    by = shown.columns[0]
    ranked = shown.dropna(subset=["share"]).sort_values("share", kind="stable")
    row = {
        "slices": len(ranked),
        "lowest": ranked[by].iloc[0] if len(ranked) else None,
        "lowest_share": ranked["share"].iloc[0] if len(ranked) else np.nan,
        "highest": ranked[by].iloc[-1] if len(ranked) else None,
        "highest_share": ranked["share"].iloc[-1] if len(ranked) else np.nan,
    }
    test = rao_scott(slices, w, y) if len(ranked) >= 2 else None
    if test is None or not np.isfinite(test.f):
        return {**row, "f": np.nan, "df1": np.nan, "df2": np.nan, "p_value": np.nan,
                "chisq": np.nan, "chisq_p": np.nan, "mean_deff": np.nan}  # fmt: skip
    return {**row, "f": test.f, "df1": test.f_df[0], "df2": test.f_df[1], "p_value": test.f_p,
            "chisq": test.chisq, "chisq_p": test.chisq_p, "mean_deff": test.mean_deff}  # fmt: skip
