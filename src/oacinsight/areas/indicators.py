"""Census 2021 indicators of an area profile: definitions and how rates are computed.

Each :class:`Indicator` is a rate ``100 × Σ numerator cells ÷ Σ denominator cell`` over
the output areas of an area, with the numerator and denominator taken from the *same*
topic-summary table (the table's own total, so each rate uses the population the
question was asked of: households, residents aged 16+, residents aged 5+...).  Census
2021 counts are perturbed independently per table, so totals differ by a few people
between tables; using the table's own total keeps every rate between 0 and 100.

Population density is the exception: persons per square kilometre, aggregated as
``Σ residents ÷ Σ (residents ÷ density)`` (the land area of each output area recovered
from TS006 and TS001), so it is the density of the whole area, not a mean of densities.

The cell meanings are those of ``Table_Metadata.csv`` published with the tables; see
``docs/areas.md`` for the list.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from oacinsight.errors import OacInsightError

__all__ = [
    "DEFAULT_INDICATORS",
    "INDICATORS",
    "Indicator",
    "choose_indicators",
    "indicator_parts",
    "indicator_totals",
    "indicator_values",
    "rate_of",
    "with_parts",
]

_CELL = re.compile(r"^ts\d{3}[a-z]?\d{4}$")
DENSITY_KIND = "density"
RATE_KIND = "rate"


@dataclass(frozen=True)
class Indicator:
    """One census indicator: a percentage rate, or population density.

    Parameters
    ----------
    key : str
        Short identifier (``no_car``), used in files and on the command line.
    label : str
        Plain-language label for readers ("Households with no car or van").
    table : str
        Census topic-summary table id, e.g. ``ts045``.
    numerator : tuple of str
        Cells summed for the numerator (``('ts0450002',)``).
    denominator : str
        Cell holding the table's total for the population of the rate.
    unit : str
        What the number is, e.g. ``% of households``.
    kind : {'rate', 'density'}, default 'rate'
        ``density``: persons per km² from TS006 (numerator residents, denominator km²).
    short : str, optional
        A label of at most about 26 characters for charts (default: ``label``).
    """

    key: str
    label: str
    table: str
    numerator: tuple[str, ...]
    denominator: str
    unit: str
    kind: str = RATE_KIND
    short: str = ""

    def __post_init__(self) -> None:
        """Check the cells are census cells of the indicator's table."""
        if self.kind not in (RATE_KIND, DENSITY_KIND):
            raise OacInsightError(f"indicator {self.key}: kind must be rate or density")
        if not re.fullmatch(r"[a-z][a-z0-9_]*", self.key):
            raise OacInsightError(f"indicator key {self.key!r}: use lower-case letters, _")
        cells = (*self.numerator, self.denominator)
        if not self.numerator or not all(_CELL.match(c) for c in cells):
            raise OacInsightError(f"indicator {self.key}: cells must look like ts0450002")
        if self.kind == RATE_KIND and not all(c.startswith(self.table) for c in cells):
            raise OacInsightError(
                f"indicator {self.key}: numerator and denominator must come from {self.table}"
            )

    @property
    def chart_label(self) -> str:
        """The short label, or the label."""
        return self.short or self.label

    @property
    def cells(self) -> dict[str, list[str]]:
        """Census cells needed, by table (density also needs TS001 residents)."""
        if self.kind == DENSITY_KIND:
            return {self.table: list(self.numerator), "ts001": ["ts0010001"]}
        return {self.table: [*self.numerator, self.denominator]}

    @property
    def definition(self) -> str:
        """The formula in census cell names."""
        if self.kind == DENSITY_KIND:
            return (
                "ts0010001 residents ÷ land area; land area of each OA = "
                f"ts0010001 ÷ {self.numerator[0]} (persons per km²)"
            )
        return f"100 × ({' + '.join(self.numerator)}) ÷ {self.denominator}"


def _rate(key: str, label: str, table: str, num: Iterable[int], unit: str, short: str) -> Indicator:
    cells = tuple(f"{table}{i:04d}" for i in num)
    return Indicator(key, label, table, cells, f"{table}0001", unit, RATE_KIND, short)


#: Every indicator oacinsight knows, in the order they are shown.
INDICATORS: dict[str, Indicator] = {
    i.key: i
    for i in (
        Indicator(
            "density",
            "Population density",
            "ts006",
            ("ts0060001",),
            "ts0010001",
            "persons per km²",
            DENSITY_KIND,
            "Density",
        ),
        _rate(
            "owner_occupied",
            "Households owning their home",
            "ts054",
            [2],
            "% of households",
            "Owner occupied",
        ),
        _rate(
            "social_rented",
            "Households renting from a social landlord",
            "ts054",
            [7],
            "% of households",
            "Social renting",
        ),
        _rate(
            "private_rented",
            "Households renting privately",
            "ts054",
            [10],
            "% of households",
            "Private renting",
        ),
        _rate(
            "no_car",
            "Households with no car or van",
            "ts045",
            [2],
            "% of households",
            "No car or van",
        ),
        _rate(
            "overcrowded",
            "Households with fewer rooms than needed",
            "ts053",
            [5, 6],
            "% of households",
            "Overcrowded (rooms)",
        ),
        _rate(
            "deprived_2plus",
            "Households deprived in 2 or more dimensions",
            "ts011",
            [4, 5, 6],
            "% of households",
            "Deprived in 2+ dimensions",
        ),
        _rate(
            "bad_health",
            "Residents in bad or very bad health",
            "ts037",
            [5, 6],
            "% of residents",
            "Bad or very bad health",
        ),
        _rate(
            "disabled",
            "Residents disabled under the Equality Act",
            "ts038",
            [2],
            "% of residents",
            "Disabled",
        ),
        _rate(
            "unpaid_care",
            "Residents providing unpaid care",
            "ts039",
            [3, 6, 9],
            "% of residents aged 5+",
            "Unpaid carers",
        ),
        _rate(
            "no_qualifications",
            "Residents with no qualifications",
            "ts067",
            [2],
            "% of residents aged 16+",
            "No qualifications",
        ),
        _rate(
            "degree_level",
            "Residents with level 4 qualifications or above (degree)",
            "ts067",
            [7],
            "% of residents aged 16+",
            "Degree level (level 4+)",
        ),
        _rate(
            "students",
            "Full-time students",
            "ts062",
            [10],
            "% of residents aged 16+",
            "Full-time students",
        ),
        _rate(
            "managers_professionals",
            "Workers in managerial or professional jobs",
            "ts063",
            [2, 3],
            "% of residents aged 16+ in work",
            "Managers, professionals",
        ),
        _rate(
            "elementary_jobs",
            "Workers in elementary jobs",
            "ts063",
            [10],
            "% of residents aged 16+ in work",
            "Elementary jobs",
        ),
    )
}

#: Indicators profiled unless the caller chooses others.
DEFAULT_INDICATORS: tuple[str, ...] = tuple(INDICATORS)


def choose_indicators(
    wanted: Sequence[str | Indicator] | None, available: dict[str, list[str]]
) -> tuple[list[Indicator], list[str]]:
    """The indicators to profile, and a note for each one skipped for lack of data.

    Parameters
    ----------
    wanted : sequence of str or Indicator, optional
        Keys of :data:`INDICATORS` or custom :class:`Indicator` objects; None: all.
    available : dict
        Census tables in the store and their cells (from the store).

    Returns
    -------
    indicators, skipped : list of Indicator, list of str

    Raises
    ------
    OacInsightError
        For an unknown indicator key.
    """
    chosen: list[Indicator] = []
    for item in DEFAULT_INDICATORS if wanted is None else wanted:
        if isinstance(item, Indicator):
            chosen.append(item)
            continue
        key = str(item).strip().lower()
        if key not in INDICATORS:
            raise OacInsightError(f"unknown indicator {key!r}; choose from {', '.join(INDICATORS)}")
        chosen.append(INDICATORS[key])
    usable, skipped = [], []
    for ind in chosen:
        missing = [
            f"{t}.{c}"
            for t, cols in ind.cells.items()
            for c in cols
            if c not in available.get(t, [])
        ]
        if missing:
            skipped.append(f"{ind.label} ({ind.table})")
        else:
            usable.append(ind)
    return usable, skipped


def indicator_parts(frame: pd.DataFrame, ind: Indicator) -> tuple[pd.Series, pd.Series]:
    """Numerator and denominator of an indicator for each row (output area) of ``frame``.

    For a rate the numerator is the sum of the numerator cells and the denominator the
    table total; for density, residents and land area in km².  Rows with a missing
    cell get NaN in both (and are left out of every sum).  Columns added by
    :func:`with_parts` are used when present.
    """
    if f"_n_{ind.key}" in frame.columns:
        return frame[f"_n_{ind.key}"], frame[f"_d_{ind.key}"]
    if ind.kind == DENSITY_KIND:
        column = "residents" if "residents" in frame.columns else "ts0010001"
        residents = frame[column].astype(float)
        density = frame[ind.numerator[0]].astype(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            km2 = residents / density
        ok = (density > 0) & residents.notna()
        return residents.where(ok), km2.where(ok)
    num = frame[list(ind.numerator)].astype(float).sum(axis=1, min_count=len(ind.numerator))
    den = frame[ind.denominator].astype(float)
    ok = num.notna() & den.notna()
    return num.where(ok), den.where(ok)


def with_parts(frame: pd.DataFrame, indicators: Sequence[Indicator]) -> pd.DataFrame:
    """``frame`` with each indicator's numerator and denominator as ``_n_key``/``_d_key``
    columns, so that many profiles of the same frame do not recompute them."""
    parts = {}
    for ind in indicators:
        num, den = indicator_parts(frame, ind)
        parts[f"_n_{ind.key}"], parts[f"_d_{ind.key}"] = num, den
    return pd.concat([frame, pd.DataFrame(parts, index=frame.index)], axis=1)


def _scale(ind: Indicator) -> float:
    return 1.0 if ind.kind == DENSITY_KIND else 100.0


def indicator_values(
    frame: pd.DataFrame, indicators: Sequence[Indicator], by: str | pd.Series | None = None
) -> pd.DataFrame:
    """Indicator values over groups of output areas (sums of counts, then the ratio).

    Parameters
    ----------
    frame : pandas.DataFrame
        Output-area rows with the census cells.
    indicators : sequence of Indicator
    by : str or pandas.Series, optional
        Column (or aligned series) to group by; None: one value over all rows.

    Returns
    -------
    pandas.DataFrame
        One column per indicator key; one row per group (or one row ``all``).  A group
        whose denominator is 0 has NaN.
    """
    if not indicators:
        return pd.DataFrame(index=["all"] if by is None else None)
    if not all(f"_n_{i.key}" in frame.columns for i in indicators):
        frame = with_parts(frame, indicators)
    cols = [c for i in indicators for c in (f"_n_{i.key}", f"_d_{i.key}")]
    parts = frame[cols].astype(float)
    if by is None:
        sums = parts.sum().to_frame("all").T
    else:
        sums = parts.groupby(frame[by] if isinstance(by, str) else by).sum()
    out = {}
    with np.errstate(divide="ignore", invalid="ignore"):
        for ind in indicators:
            den = sums[f"_d_{ind.key}"]
            out[ind.key] = (_scale(ind) * sums[f"_n_{ind.key}"] / den).where(den > 0)
    return pd.DataFrame(out, index=sums.index)


def indicator_totals(frame: pd.DataFrame, ind: Indicator) -> tuple[float, float]:
    """Summed numerator and denominator of one indicator over the rows of ``frame``."""
    num, den = indicator_parts(frame, ind)
    return float(num.sum()), float(den.sum())


def rate_of(num: float, den: float, ind: Indicator) -> float:
    """The indicator's value from summed parts (NaN when the denominator is 0)."""
    return _scale(ind) * num / den if den > 0 else float("nan")
