"""The scale effect: the same indicator over an area's output areas, LSOAs and the whole.

An area's single value is an average over very different neighbourhoods.  Showing the
minimum, median and maximum of the indicator over its output areas (about 130
households each) and over its LSOAs (about 650) next to the whole-area value lets a
reader see what the average hides.  LSOAs cut by the area's boundary are counted with
their output areas inside the area only, so every number is about the area's residents.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from oacinsight.areas.indicators import Indicator, indicator_values

__all__ = ["SCALE_COLUMNS", "SCALE_LEVELS", "scale_effect"]

SCALE_LEVELS: tuple[str, ...] = ("output area", "LSOA", "whole area")
SCALE_COLUMNS: tuple[str, ...] = (
    "indicator",
    "label",
    "unit",
    "level",
    "units",
    "min",
    "median",
    "max",
)


def scale_effect(rows: pd.DataFrame, indicators: Sequence[Indicator]) -> pd.DataFrame:
    """Min / median / max of each indicator over the area's OAs, LSOAs and the whole area.

    Parameters
    ----------
    rows : pandas.DataFrame
        The area's output areas with their census cells and ``lsoa21``.
    indicators : sequence of Indicator

    Returns
    -------
    pandas.DataFrame
        Columns :data:`SCALE_COLUMNS`, three rows per indicator; ``units`` is the number
        of output areas / LSOAs with a value (1 for the whole area).
    """
    per_level = {
        "output area": indicator_values(rows, indicators, by="oa"),
        "LSOA": indicator_values(rows[rows["lsoa21"].notna()], indicators, by="lsoa21"),
        "whole area": indicator_values(rows, indicators),
    }
    records = []
    for ind in indicators:
        for level in SCALE_LEVELS:
            values = (
                per_level[level][ind.key].dropna()
                if len(per_level[level])
                else pd.Series(dtype=float)
            )
            if values.empty:
                records.append((ind.key, ind.label, ind.unit, level, 0, *([float("nan")] * 3)))
                continue
            records.append(
                (
                    ind.key,
                    ind.label,
                    ind.unit,
                    level,
                    len(values),
                    float(values.min()),
                    float(values.median()),
                    float(values.max()),
                )
            )
    return pd.DataFrame(records, columns=list(SCALE_COLUMNS))
