"""Small helpers that turn library results into what a page shows."""

from __future__ import annotations

from typing import Any

import pandas as pd

from oacinsight.errors import OacInsightError
from oacinsight.maps.boundaries import AREA_LABELS
from oacinsight.match import MatchSummary
from oacinsight.store import boundaries as bsql
from oacinsight.web import core
from oacinsight.web.state import Upload, WebState

#: Above this many polygons the map draws on a canvas instead of SVG (much faster).
CANVAS_ABOVE = 5000
#: Layer types in the order a map opens on (readable areas first).
LAYER_PREFERENCE = ("ward", "lsoa", "msoa", "oa", "dz", "lad", "sdz", "region", "country",
                    "other")

FLAG_TEXT = {
    "over": "more customers than the base suggests (the whole interval is above 100)",
    "under": "fewer customers than the base suggests (the whole interval is below 100)",
    "not_significant": "the interval includes 100: the difference could be chance",
    "suppressed": "hidden: fewer than the threshold of customers (or needed to protect one)",
    "no_base": "no residents in the base for this group here, so no index",
}


def profile_rows(published: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows of the published profile with a plain explanation of each flag."""
    rows = core.records(published)
    for row in rows:
        row["flag_text"] = FLAG_TEXT.get(row["flag"], "")
    return rows


def authority_choices(summary: MatchSummary | None) -> list[tuple[str, str]]:
    """``(code, label)`` of the local authorities holding matched customers."""
    if summary is None:
        return []
    out = []
    for row in summary.by_authority.itertuples(index=False):
        if row.matched and row.laua != "(none)":
            name = row.name if isinstance(row.name, str) else ""
            out.append((row.laua, f"{row.laua} {name} ({row.matched:,} matched)".strip()))
    return out


def default_layer(state: WebState, layers: pd.DataFrame, up: Upload | None) -> str:
    """The layer a map opens on: the one holding most customers, readable areas first."""
    if layers.empty:
        return core.POINTS
    rank = {t: i for i, t in enumerate(LAYER_PREFERENCE)}
    order = sorted(layers.itertuples(index=False),
                   key=lambda r: (rank.get(r.area_type, 99), r.features))
    if up is not None:
        oas = core.customers_by_oa(up)["oa"].tolist()
        with state.job() as store:
            hits = bsql.layer_hits(store.con, oas)
        if not any(hits.values()):
            return core.POINTS
        order = sorted(order, key=lambda r: -hits.get(r.layer, 0))
    return str(order[0].layer)


def layer_options(layers: pd.DataFrame) -> list[tuple[str, str]]:
    """``(layer, label)`` for the layer menu."""
    out = []
    for r in layers.itertuples(index=False):
        out.append((r.layer, f"{AREA_LABELS.get(r.area_type, 'areas').capitalize()}: "
                             f"{r.file_name} ({r.features:,})"))
    out.append((core.POINTS, "Points: output-area centres from the postcode directory"))
    return out


def area_context(state: WebState, code: str, up: Upload | None,
                 level: str | None) -> dict[str, Any]:
    """What the area page shows: name, kind, layers, the area profile (population, OAC
    mix, indicators, similar areas) and the customers' profile there."""
    found = core.search_areas(state, code)
    exact = found[found["code"] == code]
    name = exact["name"].iloc[0] if len(exact) else None
    with state.job() as store:
        layers = bsql.area_layers(store.con, code)
    context: dict[str, Any] = {
        "name": name if isinstance(name, str) else None, "layers": layers,
        "kind": AREA_LABELS.get(layers["area_type"].iloc[0], "areas") if len(layers) else None,
        "profile": None, "profile_error": None, "result": None, "error": None,
        "level": level or "supergroup",
    }
    try:
        context["profile"] = core.area_profile(state, code)
        context["name"] = context["name"] or context["profile"].name
    except OacInsightError as exc:
        context["profile_error"] = str(exc)
    if up is not None:
        try:
            options = core.ProfileOptions.parse(level, None, code, None, None)
            context["result"] = core.profile_upload(state, up, options)
        except OacInsightError as exc:
            context["error"] = str(exc)
    return context
