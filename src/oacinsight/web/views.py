"""Small helpers that turn library results into what a page shows."""

from __future__ import annotations

from typing import Any

import pandas as pd

from oacinsight.areas.codes import GSS
from oacinsight.errors import OacInsightError
from oacinsight.maps.boundaries import AREA_LABELS
from oacinsight.match import MatchSummary
from oacinsight.store import boundaries as bsql
from oacinsight.store import profiles
from oacinsight.web import core
from oacinsight.web.state import Upload, WebState

#: Above this many polygons the map draws on a canvas instead of SVG (much faster).
CANVAS_ABOVE = 5000
#: Layer types in the order a map opens on (readable areas first).
LAYER_PREFERENCE = ("ward", "lsoa", "msoa", "oa", "dz", "lad", "sdz", "region", "country", "other")

#: What a code's prefix says it is.
CODE_KINDS = {
    **dict.fromkeys(("E00", "W00"), "output area"),
    **dict.fromkeys(("E01", "W01"), "LSOA"),
    **dict.fromkeys(("E02", "W02"), "MSOA"),
    **dict.fromkeys(("E05", "W05"), "ward"),
    **dict.fromkeys(("E06", "E07", "E08", "E09", "W06"), "local authority"),
    "E12": "region",
    "E92": "country",
    "W92": "country",
}

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
    out: list[tuple[str, str]] = []
    row: Any  # a frame row: pandas-stubs types every field as any scalar
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
    rows: list[Any] = list(layers.itertuples(index=False))  # fields typed as any scalar
    order = sorted(rows, key=lambda r: (rank.get(r.area_type, 99), r.features))
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
    out: list[tuple[str, str]] = []
    r: Any  # a frame row: pandas-stubs types every field as any scalar
    for r in layers.itertuples(index=False):
        out.append(
            (
                r.layer,
                f"{AREA_LABELS.get(r.area_type, 'areas').capitalize()}: "
                f"{r.file_name} ({r.features:,})",
            )
        )
    out.append((core.POINTS, "Points: output-area centres from the postcode directory"))
    return out


def area_code(text: str) -> str:
    """An area code from a URL, checked to be a GSS code (never a file name or path).

    Raises
    ------
    OacInsightError
        For anything that is not a GSS code (one line; the text is cut short).
    """
    code = (text or "").strip().upper()
    if not GSS.match(code):
        shown = code[:30] + ("..." if len(code) > 30 else "")
        raise OacInsightError(
            f"{shown!r} is not an area code: use a GSS code such as "
            "E05000849 (ward) or E08000010 (local authority)"
        )
    return code


def kind_label(code: str, kind: Any = None) -> str:
    """What kind of area a code is, in words (``ward``, ``local authority``...)."""
    if isinstance(kind, str) and kind:
        return AREA_LABELS.get(kind, kind).rstrip("s") if kind != "oa" else "output area"
    return CODE_KINDS.get(str(code)[:3].upper(), "area")


def area_context(
    state: WebState, code: str, up: Upload | None, level: str | None
) -> dict[str, Any]:
    """What the area page shows: name, kind, layers, the area profile (population, OAC
    mix, indicators, similar areas) and the customers' profile there."""
    found = core.search_areas(state, code)
    exact = found[found["code"] == code]
    name = exact["name"].iloc[0] if len(exact) else None
    with state.job() as store:
        layers = bsql.area_layers(store.con, code)
    context: dict[str, Any] = {
        "name": name if isinstance(name, str) else None,
        "layers": layers,
        "kind": AREA_LABELS.get(layers["area_type"].iloc[0], "areas") if len(layers) else None,
        "profile": None,
        "profile_error": None,
        "result": None,
        "error": None,
        "level": level or "supergroup",
        "members_note": None,
        "customers_here": None,
    }
    members: list[str] = []
    try:
        context["profile"] = core.area_profile(state, code)
        context["name"] = context["name"] or context["profile"].name
    except OacInsightError as exc:
        with state.job() as store:
            members = bsql.area_members(store.con, code) if len(layers) else []
        if not members:
            context["profile_error"] = str(exc)
        else:
            _boundary_only(state, context, members)
    if up is not None and members:
        context["customers_here"] = _customers_in(state, up, code)
    elif up is not None:
        try:
            options = core.ProfileOptions.parse(level, None, code, None, None)
            context["result"] = core.profile_upload(state, up, options)
        except OacInsightError as exc:
            context["error"] = str(exc)
    return context


def _boundary_only(state: WebState, context: dict[str, Any], members: list[str]) -> None:
    """An area drawn in a boundary file that the postcode directory does not place any
    postcode in: profile the output areas inside its boundary."""
    context["members_note"] = (
        f"The postcode directory places no postcode in this area, so it is profiled as the "
        f"{len(members):,} output areas whose centres lie inside its boundary."
    )
    try:
        context["profile"] = core.area_profile(state, ",".join(members))
    except OacInsightError as exc:
        context["profile_error"] = str(exc)


#: What an output area's page says instead of its customer count.
OA_NOT_PUBLISHED = (
    "not published for a single output area (see the ward map; counts are "
    "published for wards and larger areas)"
)


def _customers_in(state: WebState, up: Upload, code: str) -> str:
    """Matched customers in a boundary area exactly as the map publishes them (the
    upload's one disclosure pattern, :func:`oacinsight.web.geo.map_pattern_of`)."""
    from oacinsight.web.geo import map_pattern_of

    pattern = map_pattern_of(state, up, (), 10)
    for shown in pattern.shown.values():
        if code in shown:
            return f"{shown[code]:,}"
    layer = next((lay for lay, codes in pattern.hidden.items() if code in codes), "")
    return pattern.reason(layer, code)


def oa_context(state: WebState, code: str, up: Upload | None) -> dict[str, Any]:
    """What an output area's page shows: its OAC groups with names, the ward, local
    authority and region it is in (linked), residents, and customers there unless the
    count is hidden."""
    with state.job() as store:
        facts = bsql.oa_facts(store.con, code)
        layers = bsql.area_layers(store.con, code)
        parents = [facts.get(k) for k in ("ward", "lad", "region")] if facts else []
        names = profiles.area_names(store.con, [p for p in parents if p])
    oac = core.oac_names(state)
    tiers = []
    if facts:
        for label, key in (
            ("Supergroup", "supergroup"),
            ("Group", "group_code"),
            ("Subgroup", "subgroup"),
        ):
            value = facts.get(key)
            if value:
                tiers.append((label, str(value), oac.get(str(value), "")))
    inside = [(kind_label(c), c, names.get(c, "")) for c in parents if c]
    customers = None
    if up is not None:
        customers = OA_NOT_PUBLISHED
    return {
        "facts": facts,
        "tiers": tiers,
        "inside": inside,
        "layers": layers,
        "customers_here": customers,
    }
