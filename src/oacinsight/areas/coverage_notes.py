"""Coverage lines for a customer profile's areas, read from the store.

The customer profile (``oacinsight profile``) compares customers with the residents of
one or more districts, regions or wards.  When the store holds only part of one of them
(a partial postcode directory and no official lookup), every output says so in its
first lines; this module writes those lines with :mod:`oacinsight.areas.coverage`.
"""

from __future__ import annotations

from oacinsight.areas.codes import classify_code
from oacinsight.areas.coverage import Coverage, area_coverage
from oacinsight.errors import OacInsightError
from oacinsight.store import Store
from oacinsight.store import areas as sql

__all__ = ["names_line", "profile_coverage_lines", "store_coverage"]


def store_coverage(store: Store, code: str) -> Coverage | None:
    """The coverage of a district, ward or region code (None for other kinds)."""
    try:
        kind = classify_code(code)
    except OacInsightError:
        return None
    if kind not in ("lad", "ward", "region") or not store.has_table("census_ts001"):
        return None
    frame = sql.membership_frame(store)
    cache = store.cache.setdefault("areas.coverage", {})
    region_areas = None
    if kind == "region":
        region_areas = sql.postcode_areas_of(store, list(frame.loc[frame["region"] == code, "oa"]))
    return area_coverage(
        frame,
        kind,
        code,
        directory_areas=sql.loaded_postcode_areas(store),
        region_areas=region_areas,
        cache=cache,
    )


def names_line(codes: list[str], names: dict[str, str]) -> str:
    """A plain line when some areas have no name in the store ('' when all have one)."""
    nameless = [c for c in codes if names.get(c, c) == c]
    if not nameless:
        return ""
    return (
        f"names: no area names loaded for {', '.join(nameless)} (codes shown); ingest "
        "the ONS names and codes files or an official OA lookup with names"
    )


def profile_coverage_lines(
    store: Store,
    codes: list[str],
    names: dict[str, str],
    covers: str = "customers and base cover",
) -> list[str]:
    """One line per area that is not whole (``covers`` says what covers only its loaded
    part), then the missing-names line if any."""
    lines = []
    for code in codes:
        cov = store_coverage(store, code)
        if cov is None or cov.is_whole or not cov.headline:
            continue
        label = code if names.get(code, code) == code else f"{names[code]} ({code})"
        tail = f"; {covers} the loaded part only" if cov.status != "unknown" else ""
        status, _, rest = cov.headline.partition(": ")
        lines.append(f"{status}: {label}: {rest}{tail}")
    names_text = names_line(codes, names)
    return [*lines, *([names_text] if names_text else [])]
