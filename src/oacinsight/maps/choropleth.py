"""What a map shows: one value and one colour per area, a legend, and hover text.

The rules live here, in Python, so the web map, the static maps in reports and the
tests all agree: the browser only paints the colours it is given.

Measures
--------
``supergroup`` / ``group``
    The OAC supergroup or group most residents of the area live in (an output area has
    exactly one), in the supergroup's colour.
``customers``
    Matched customers living in the area.
``rate``
    Customers per 1,000 residents (Census 2021 usual residents).
``index``
    The area's share of all customers divided by its share of all residents, × 100:
    100 means as many customers as the number of residents would suggest, 150 half as
    many again, 50 half as many.

For a customer file, which areas show customer numbers is decided once for the file's
profile and every map layer together (:class:`oacinsight.maps.disclosure.MapPattern`,
passed as ``pattern``): only areas of ward size and up, wholly inside the profiled
area, are ever shown, and areas with 0 to ``suppress_below - 1`` customers are grey
(hidden), as are further areas so that no hidden number of the profile or of any map
can be narrowed to fewer than four values.  Without a pattern (no customer file), the
layer alone is audited (:func:`hidden_areas`).  Rates and indexes are blank wherever
the count is.
"""

from __future__ import annotations

import colorsys
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from oacinsight.errors import OacInsightError
from oacinsight.oac import colour_for

if TYPE_CHECKING:
    from oacinsight.maps.disclosure import MapPattern

MEASURES: dict[str, str] = {
    "supergroup": "OAC supergroup (most residents)",
    "group": "OAC group (most residents)",
    "index": "Customer index (100 = as many as residents suggest)",
    "rate": "Customers per 1,000 residents",
    "customers": "Customers",
}
CUSTOMER_MEASURES = ("index", "rate", "customers")
GREY = "#d0d0d0"
NO_DATA = "#f2f2f2"
#: Index classes: upper bound, colour, label (blue below 100, red above; colour-blind safe).
INDEX_CLASSES: tuple[tuple[float, str, str], ...] = (
    (50, "#2166ac", "under 50: fewer than half the expected customers"),
    (80, "#92c5de", "50 to 80"),
    (120, "#f7f7f7", "80 to 120: about as expected"),
    (150, "#f4a582", "120 to 150"),
    (math.inf, "#b2182b", "150 and over: at least half as many again"),
)
SEQUENTIAL = ("#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c")


@dataclass
class MapValues:
    """Colours and texts for one measure on one layer.

    Attributes
    ----------
    measure, label : str
        The measure's key and its title.
    legend : list of dict
        ``{"colour", "label"}`` entries, in order.
    areas : dict of str to dict
        Per area code: ``value`` (number or code), ``colour`` and ``text`` (hover).
    explanation : str
        One or two plain sentences on how to read the map.
    """

    measure: str
    label: str
    legend: list[dict[str, str]] = field(default_factory=list)
    areas: dict[str, dict[str, Any]] = field(default_factory=dict)
    explanation: str = ""

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "measure": self.measure,
            "label": self.label,
            "legend": self.legend,
            "areas": self.areas,
            "explanation": self.explanation,
        }


def group_colour(code: str) -> str:
    """Colour of an OAC group: its supergroup's hue, lighter for later letters."""
    base = colour_for(code).lstrip("#")
    if len(code) < 2:
        return f"#{base}"
    r, g, b = (int(base[i : i + 2], 16) / 255 for i in (0, 2, 4))
    h, lum, s = colorsys.rgb_to_hls(r, g, b)
    step = "abcdefgh".find(code[1].lower())
    lum = min(0.85, max(0.25, lum + 0.12 * (step - 1)))
    r, g, b = colorsys.hls_to_rgb(h, lum, s)
    return "#" + "".join(f"{round(v * 255):02x}" for v in (r, g, b))


def add_rates(frame: pd.DataFrame) -> pd.DataFrame:
    """Add ``rate`` (per 1,000 residents) and ``index`` to ``area_measures`` output."""
    out = frame.copy()
    res = pd.to_numeric(out["residents"], errors="coerce").astype(float)
    cust = out["customers"].astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["rate"] = np.where(res > 0, 1000 * cust / res, np.nan)
        total_c, total_r = cust.sum(), res[res > 0].sum()
        share_c = cust / total_c if total_c else np.nan
        share_r = res / total_r if total_r else np.nan
        out["index"] = np.where(res > 0, 100 * share_c / share_r, np.nan)
    return out


def map_values(
    frame: pd.DataFrame,
    measure: str,
    names: dict[str, str],
    *,
    suppress_below: int = 10,
    pattern: MapPattern | None = None,
    layer: str | None = None,
) -> MapValues:
    """Colours, legend and hover text of ``measure`` for every area of ``frame``.

    Parameters
    ----------
    frame : pandas.DataFrame
        :func:`oacinsight.store.boundaries.area_measures` output (or ``oa_points``).
    measure : str
        One of :data:`MEASURES`.
    names : dict of str to str
        OAC code → name.
    suppress_below : int
        Customer counts from 0 to this minus 1 are hidden (grey).
    pattern : MapPattern, optional
        The file's one disclosure pattern; customer numbers are shown only for the areas
        of ``layer`` it shows.  None: the layer is audited alone.
    layer : str, optional
        The layer ``frame`` holds (with ``pattern``).

    Returns
    -------
    MapValues
    """
    if measure not in MEASURES:
        raise OacInsightError(f"unknown map measure {measure!r}; use {', '.join(MEASURES)}")
    data = add_rates(frame)
    if measure in ("supergroup", "group"):
        return _categorical(data, measure, names)
    if pattern is None:
        hidden = hidden_areas(data["customers"], suppress_below)
        reasons: dict[str, str] = {}
    else:
        shown = pattern.shown_codes(layer or "")
        hidden = ~data["code"].astype(str).isin(shown).to_numpy(dtype=bool)
        reasons = {c: pattern.reason(layer or "", c) for c in data["code"][hidden]}
    return _numeric(data, measure, suppress_below, hidden, reasons)


def _area_title(row: Any) -> str:
    name = getattr(row, "name", None)
    name = name if isinstance(name, str) else ""
    return f"{row.code} {name}".strip()


def _categorical(data: pd.DataFrame, measure: str, names: dict[str, str]) -> MapValues:
    column = "supergroup" if measure == "supergroup" else "group_code"
    out = MapValues(
        measure,
        MEASURES[measure],
        explanation=(
            "Each area is coloured by the OAC " + measure + " most of its residents live in "
            "(an output area belongs to exactly one). Grey: no OAC 2021 for this area's code "
            "(for example a 2011 output area that was changed in 2021)."
        ),
    )
    seen: set[str] = set()
    row: Any  # a frame row: pandas-stubs types every field as any scalar
    for row in data.itertuples(index=False):
        code = getattr(row, column)
        if not isinstance(code, str) or not code:
            out.areas[row.code] = {
                "value": None,
                "colour": GREY,
                "text": f"{_area_title(row)}: no OAC 2021 for this code",
            }
            continue
        seen.add(code)
        colour = colour_for(code) if measure == "supergroup" else group_colour(code)
        share = getattr(row, "supergroup_share", None)
        extra = (
            f" ({share:.0%} of residents)"
            if measure == "supergroup" and share is not None and not pd.isna(share) and row.oas > 1
            else ""
        )
        out.areas[row.code] = {
            "value": code,
            "colour": colour,
            "text": f"{_area_title(row)}: {code} {names.get(code, '')}{extra}",
        }
    out.legend = [
        {
            "colour": colour_for(c) if measure == "supergroup" else group_colour(c),
            "label": f"{c} {names.get(c, '')}".strip(),
        }
        for c in sorted(seen)
    ]
    if any(a["value"] is None for a in out.areas.values()):
        out.legend.append({"colour": GREY, "label": "no OAC 2021 for this code"})
    return out


def hidden_areas(customers: pd.Series, suppress_below: int) -> np.ndarray:
    """Which areas of one layer to hide: the profile's rule applied to the layer (counts
    0 to ``suppress_below - 1``, then the smallest shown areas until no hidden count
    can be worked out from the shown ones and the total)."""
    from oacinsight.profile.suppress import suppression_mask  # scipy: only when mapping

    counts = pd.to_numeric(customers, errors="coerce").fillna(0).reset_index(drop=True)
    return suppression_mask(counts, threshold=int(suppress_below)).to_numpy(dtype=bool)


def _numeric(
    data: pd.DataFrame,
    measure: str,
    suppress_below: int,
    hidden: np.ndarray,
    reasons: dict[str, str],
) -> MapValues:
    out = MapValues(measure, MEASURES[measure])
    values = data[measure].astype(float).to_numpy()
    shown = np.isfinite(values) & ~hidden
    if measure == "index":
        classes = list(INDEX_CLASSES)
        out.explanation = (
            "Index = the area's share of all customers ÷ its share of all residents × 100. "
            "100 means as many customers as the number of residents would suggest; 150 "
            "means half as many again; 50 means half as many."
        )
    else:
        classes = _quantile_classes(values[shown], measure)
        out.explanation = "Darker areas have more customers" + (
            " for their number of residents." if measure == "rate" else "."
        )
    row: Any  # a frame row: pandas-stubs types every field as any scalar
    for row, value, hide in zip(data.itertuples(index=False), values, hidden, strict=True):
        out.areas[row.code] = _numeric_area(
            row, float(value), bool(hide), measure, classes, suppress_below
        )
        if hide and row.code in reasons and np.isfinite(value):
            out.areas[row.code]["text"] = f"{_area_title(row)}: {reasons[row.code]}"
    out.legend = [{"colour": c, "label": label} for _, c, label in classes]
    out.legend.append(
        {
            "colour": GREY,
            "label": f"hidden: 0 to {suppress_below - 1} customers "
            "(or hidden to protect such an area)" + ("; or not published" if reasons else ""),
        }
    )
    if (~np.isfinite(values)).any():
        out.legend.append({"colour": NO_DATA, "label": "no residents' count for this area"})
    out.explanation += (
        f" Grey areas have 0 to {suppress_below - 1} customers, too few to "
        "show without risk of identifying someone, or are hidden so that "
        "such an area cannot be worked out from the others."
    )
    return out


def _numeric_area(
    row: Any,
    value: float,
    hide: bool,
    measure: str,
    classes: list[tuple[float, str, str]],
    suppress_below: int,
) -> dict[str, Any]:
    title = _area_title(row)
    if not np.isfinite(value):  # says nothing about the customers
        return {"value": None, "colour": NO_DATA, "text": f"{title}: no residents' count"}
    if hide:
        return {
            "value": None,
            "colour": GREY,
            "text": f"{title}: hidden (fewer than {suppress_below} customers, or to "
            "protect such an area)",
        }
    colour = next(c for upper, c, _ in classes if value < upper)
    shown = f"{value:,.0f}" if measure != "rate" else f"{value:,.1f}"
    words = {"index": "index", "rate": "customers per 1,000 residents", "customers": "customers"}[
        measure
    ]
    residents = "" if pd.isna(row.residents) else f"; {row.residents:,.0f} residents"
    return {
        "value": round(float(value), 3),
        "colour": colour,
        "text": f"{title}: {words} {shown} ({int(row.customers):,} customers{residents})",
    }


def _quantile_classes(values: np.ndarray, measure: str) -> list[tuple[float, str, str]]:
    """Five classes with (about) as many areas in each; labels in plain numbers."""
    finite = values[np.isfinite(values)]
    if len(finite) == 0:
        return [(math.inf, SEQUENTIAL[2], "all areas")]
    cuts = np.unique(np.quantile(finite, [0.2, 0.4, 0.6, 0.8]))
    fmt = (lambda v: f"{v:,.1f}") if measure == "rate" else (lambda v: f"{v:,.0f}")
    bounds = [*cuts.tolist(), math.inf]
    colours = SEQUENTIAL[-len(bounds) :] if len(bounds) < len(SEQUENTIAL) else SEQUENTIAL
    out, low = [], None
    for upper, colour in zip(bounds, colours, strict=True):
        if low is None:
            label = f"under {fmt(upper)}"
        elif math.isinf(upper):
            label = f"{fmt(low)} and over"
        else:
            label = f"{fmt(low)} to under {fmt(upper)}"
        out.append((upper, colour, label))
        low = upper
    if len(out) == 1:
        out = [(math.inf, SEQUENTIAL[2], f"all {fmt(finite[0])}")]
    return out
