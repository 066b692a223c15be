"""Disclosure control of published survey tables: the one place survey analysis calls
the project's suppression rule (:func:`oacinsight.profile.suppress.suppression_mask`).

Respondent counts from 0 to ``threshold - 1`` are hidden (zeros included, as in every
oacinsight output), and further counts are hidden so that a hidden one cannot be worked
out from the overall count of the question (secondary suppression).  The overall rows
of a question answered by fewer than ``threshold`` (none included) are hidden too.  A
hidden row loses every number derived from its respondents; its code, name and
residents' share stay.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from oacinsight.profile.suppress import suppression_mask

__all__ = ["HIDDEN_COLUMNS", "SUPPRESSED", "hidden_counts", "pattern", "published"]

SUPPRESSED = "suppressed"
#: Columns blanked on a suppressed row.
HIDDEN_COLUMNS: tuple[str, ...] = (
    "respondents",
    "weighted_n",
    "effective_n",
    "share",
    "share_low",
    "share_high",
    "diff_from_overall",
    "p_value",
    "respondent_share",
    "representation_index",
)


def hidden_counts(counts: pd.Series, threshold: int) -> pd.Series:
    """Which of a set of counts adding up to a published total to hide."""
    return suppression_mask(counts.astype("int64"), threshold=threshold)


def pattern(table: pd.DataFrame, threshold: int) -> np.ndarray:
    """Which rows of the survey table to hide (True), by the project's rule.

    Sets adding up to a published total: the groups of each question; each overall row
    (a total) is a set of its own, so it is hidden when below the threshold."""
    overall = (table["level"] == "overall").to_numpy()
    sets = [
        (("overall", q, c),) if whole else (("groups", q),)
        for q, c, whole in zip(table["question"], table["code"], overall, strict=True)
    ]
    counts = table["respondents"].fillna(0).astype("int64")
    return np.asarray(suppression_mask(counts, threshold=threshold, sets=sets), dtype=bool)


def published(
    table: pd.DataFrame, threshold: int, hidden: np.ndarray | None = None
) -> pd.DataFrame:
    """A copy of the survey table safe to publish: small counts hidden, flags set.

    ``hidden`` is a pattern chosen elsewhere (the slices of ``survey --by``, audited
    together); by default :func:`pattern`."""
    out = table.copy()
    hide = pattern(table, threshold) if hidden is None else np.asarray(hidden, dtype=bool)
    for column in HIDDEN_COLUMNS:
        out[column] = out[column].astype(float)
        out.loc[hide, column] = np.nan
    out["respondents"] = out["respondents"].round().astype("Int64")
    out.loc[hide, "flag"] = SUPPRESSED
    out.loc[hide, "note"] = (
        f"fewer than {threshold} respondents, or hidden so such a count "
        "cannot be worked out from the total"
    )
    return out
