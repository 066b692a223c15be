"""Disclosure control of published survey tables: the one place survey analysis calls
the project's suppression rule (:func:`oacinsight.profile.suppress.suppression_mask`).

Respondent counts from 1 to ``threshold - 1`` are hidden, and further counts are hidden
so that a hidden one cannot be worked out from the overall count of the question
(secondary suppression).  A hidden row loses every number derived from its
respondents; its code, name and residents' share stay.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from oacinsight.profile.suppress import suppression_mask

__all__ = ["HIDDEN_COLUMNS", "SUPPRESSED", "hidden_counts", "published"]

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


def published(table: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """A copy of the survey table safe to publish: small counts hidden, flags set."""
    out = table.copy()
    groups = out["level"] != "overall"
    hide = pd.Series(False, index=out.index)
    for _question, block in out[groups].groupby("question", sort=False):
        hide.loc[block.index] = hidden_counts(block["respondents"], threshold).to_numpy()
    small_total = (~groups) & (out["respondents"] > 0) & (out["respondents"] < threshold)
    hide |= small_total  # a whole question answered by fewer than the threshold
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
