"""A map of a local classification: the output-area boundary layer of the store
(loaded with ``oacinsight data ingest``) filled with each area's cluster colour.

The colours are a qualitative palette of their own (not the OAC's), so a local
cluster ``1`` is not mistaken for the official supergroup 1; groups take their
supergroup's hue, lighter for later letters.  Without an output-area layer, or when
no classified area is in it, there is no map and the note says why.
"""

from __future__ import annotations

import colorsys

import pandas as pd

from oacinsight.store import Store
from oacinsight.store import boundaries as bsql

__all__ = ["NO_BOUNDARIES", "cluster_colours", "cluster_map"]

#: Said (web page, report, console) when the store holds no output-area boundaries.
NO_BOUNDARIES = (
    "no map: the store holds no output-area boundaries (ingest an OA boundary file, "
    "e.g. GeoJSON in British National Grid, with 'oacinsight data ingest' to get one)"
)
#: Tableau 10: distinct hues for up to ten supergroups (then repeated).
PALETTE = (
    "#4e79a7",
    "#f28e2b",
    "#e15759",
    "#76b7b2",
    "#59a14f",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
)


def cluster_colours(codes: list[str], tops: list[str]) -> dict[str, str]:
    """Colour of each code: a supergroup's own palette colour (``tops`` in order); a
    group or subgroup its supergroup's hue, lighter or darker by its place among the
    clusters under the same supergroup (the middle one keeps the supergroup's colour)."""
    hue = {top: PALETTE[i % len(PALETTE)] for i, top in enumerate(tops)}
    out: dict[str, str] = {}
    siblings: dict[str, list[str]] = {}
    for code in codes:
        if code in hue:
            out[code] = hue[code]
            continue
        top = next((t for t in sorted(tops, key=len, reverse=True) if code.startswith(t)), "")
        siblings.setdefault(top, []).append(code)
    for top, members in siblings.items():
        base = hue.get(top, "#999999").lstrip("#")
        r, g, b = (int(base[i : i + 2], 16) / 255 for i in (0, 2, 4))
        h, lum, s = colorsys.rgb_to_hls(r, g, b)
        for j, code in enumerate(sorted(members)):
            step = j - (len(members) - 1) / 2
            light = min(0.85, max(0.2, lum + 0.12 * step))
            rr, gg, bb = colorsys.hls_to_rgb(h, light, s)
            out[code] = "#" + "".join(f"{round(v * 255):02x}" for v in (rr, gg, bb))
    return out


def _best_oa_layer(store: Store, oas: set[str]) -> tuple[str | None, list[str], object]:
    """The OA layer holding most of ``oas``: (layer, codes, BNG polygons)."""
    from oacinsight.ingest.boundaries import layer_static_shapes

    layers = bsql.layers(store.con)
    best: tuple[str | None, list[str], object] = (None, [], None)
    best_n = 0
    for layer in layers.loc[layers["area_type"] == "oa", "layer"]:
        codes, geoms = layer_static_shapes(store.con, str(layer))
        n = sum(c in oas for c in codes)
        if n > best_n:
            best, best_n = (str(layer), codes, geoms), n
    return best


def cluster_map(
    store: Store,
    codes: pd.DataFrame,
    names: dict[str, str],
    *,
    tier: str = "supergroup",
    title: str | None = None,
) -> tuple[bytes | None, str]:
    """``(PNG, note)`` of the ``tier`` codes of ``codes`` (``oa`` + tier columns) on
    the store's OA boundaries; ``(None, why)`` when there is nothing to draw."""
    from oacinsight.maps.choropleth import MapValues
    from oacinsight.maps.static import polygon_map
    from oacinsight.reports.charts import png_bytes

    if not bsql.has_boundaries(store.con):
        return None, NO_BOUNDARIES
    by_oa = dict(zip(codes["oa"].astype(str), codes[tier].astype(str), strict=True))
    layer, layer_codes, geoms = _best_oa_layer(store, set(by_oa))
    if layer is None:
        return None, (
            "no map: none of the classified output areas is in the boundary layers loaded "
            "(load the output-area boundaries of this area)"
        )
    keep = [i for i, c in enumerate(layer_codes) if c in by_oa]
    clusters = sorted(set(by_oa.values()), key=lambda c: (len(c), c))
    tops = sorted(codes["supergroup"].astype(str).unique(), key=lambda c: (len(c), c))
    colour = cluster_colours(clusters, tops)
    values = MapValues(tier, f"Local {tier}s")
    for oa, code in by_oa.items():
        values.areas[oa] = {"value": code, "colour": colour[code], "text": f"{oa}: {code}"}
    values.legend = [
        {"colour": colour[c], "label": f"{c} {names.get(c, '')}".strip()} for c in clusters
    ]
    fig = polygon_map(
        [layer_codes[i] for i in keep],
        geoms[keep],  # type: ignore[index]
        values,
        title=title or f"Local classification: {tier}s",
    )
    missing = len(by_oa) - len(keep)
    note = f"map: {len(keep):,} of the {len(by_oa):,} classified output areas drawn from {layer}"
    if missing:
        note += f" ({missing:,} not in that boundary layer, not drawn)"
    return png_bytes(fig, dpi=110), note
