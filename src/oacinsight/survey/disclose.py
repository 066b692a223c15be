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
    """A copy of the survey table safe to publish: small counts hidden, flags set.

    Sets adding up to a published total: the groups of each question; each overall row
    (a total) is a set of its own, so it is hidden when below the threshold."""
    out = table.copy()
    overall = (out["level"] == "overall").to_numpy()
    sets = [
        (("overall", q, c),) if whole else (("groups", q),)
        for q, c, whole in zip(out["question"], out["code"], overall, strict=True)
    ]
    counts = out["respondents"].fillna(0).astype("int64")
    hide = suppression_mask(counts, threshold=threshold, sets=sets)
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
