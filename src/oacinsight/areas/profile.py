"""Build an area profile: the public entry point :func:`profile_area`."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar, cast

import pandas as pd

from oacinsight.areas.codes import AreaRequest, parse_request
from oacinsight.areas.comparators import (
    COMPARE_BY,
    MIN_RESIDENTS,
    comparator_table,
    features_of,
    majority_of,
)
from oacinsight.areas.comparators import feature_pool as _feature_pool
from oacinsight.areas.context import (
    EW_OUTPUT_AREAS,
    KIND_COLUMNS,
    NATIONAL_NAME,
    Area,
    AreaContext,
)
from oacinsight.areas.coverage_notes import names_line
from oacinsight.areas.deprivation import (
    deprivation_summary,
    deprivation_table,
    lsoa_table,
    with_deciles,
)
from oacinsight.areas.indicators import Indicator, indicator_totals, rate_of
from oacinsight.areas.mix import group_residents, oac_mix
from oacinsight.areas.result import AreaProfile
from oacinsight.areas.scale import scale_effect
from oacinsight.areas.summary import plain_summary
from oacinsight.errors import OacInsightError
from oacinsight.store import Store, open_store

__all__ = ["INDICATOR_COLUMNS", "build_profile", "open_context", "profile_area"]

INDICATOR_COLUMNS: tuple[str, ...] = (
    "indicator",
    "label",
    "short_label",
    "unit",
    "value",
    "parent_value",
    "national_value",
    "difference_vs_parent",
    "difference_vs_national",
    "numerator",
    "denominator",
    "table",
    "definition",
    "cells",
)
T = TypeVar("T")
DISCLOSURE = (
    "All counts are published Census 2021 counts, already protected by ONS's "
    "disclosure control (cell-key perturbation); no further suppression is "
    "needed, so none is applied."
)


def open_context(
    store: Store | str | os.PathLike[str] | None,
    indicators: Sequence[str | Indicator] | None = None,
) -> AreaContext:
    """An :class:`AreaContext` on a store object or a store path (opened read-only).

    Deprecated: the caller must close a store this opened; use
    ``with open_store(store) as s: AreaContext(s, indicators)`` instead.
    """
    if not isinstance(store, Store):
        store = Store(store, read_only=True)
    return AreaContext(store, indicators)


def _indicator_table(ctx: AreaContext, area: Area, parent: Area | None) -> pd.DataFrame:
    national = ctx.national
    records = []
    for ind in ctx.indicators:
        num, den = indicator_totals(area.rows, ind)
        value = rate_of(num, den, ind)
        par = rate_of(*indicator_totals(parent.rows, ind), ind) if parent else float("nan")
        key = ("national", ind.key)
        if key not in ctx.cache:
            ctx.cache[key] = rate_of(*indicator_totals(national, ind), ind)
        nat = ctx.cache[key]
        cells = "; ".join(
            f"{c} {ctx.labels.get(c, '')}".strip() for c in (*ind.numerator, ind.denominator)
        )
        records.append(
            (
                ind.key,
                ind.label,
                ind.chart_label,
                ind.unit,
                value,
                par,
                nat,
                value - par,
                value - nat,
                num,
                den,
                ind.table,
                ind.definition,
                cells,
            )
        )
    return pd.DataFrame(records, columns=list(INDICATOR_COLUMNS))


def _pool(ctx: AreaContext, kind: str) -> pd.DataFrame:
    key = ("pool", kind, tuple(i.key for i in ctx.indicators))
    if key not in ctx.cache:
        ctx.cache[key] = _feature_pool(ctx.frame, KIND_COLUMNS[kind], ctx.indicators, _groups(ctx))
    return ctx.cache[key]


def _groups(ctx: AreaContext) -> list[str]:
    return sorted(ctx.national["group_code"].dropna().unique())


def _comparators(
    ctx: AreaContext, area: Area, n: int, by: str, within: str | None
) -> tuple[pd.DataFrame, str]:
    kind = "ward" if area.kind == "patch" else area.kind
    if kind == "country":
        return pd.DataFrame(), "comparators are not made for countries"
    if within is not None and not within.strip():
        within = None
    pool = _pool(ctx, kind)
    if area.code in pool.index:
        # one row: the pool holds each code once (the stubs allow a frame for .loc[label])
        feats = cast("pd.Series", pool.loc[area.code])
    else:
        feats = features_of(
            area.rows, pd.Series(area.code, index=area.rows.index), ctx.indicators, _groups(ctx)
        ).iloc[0]
        for other in ("lad", "region", "nation"):
            feats[f"in_{other}"] = majority_of(area.rows.assign(_all=area.code), "_all", other).get(
                area.code
            )
    table, text = comparator_table(
        area.code,
        feats,
        pool,
        ctx.indicators,
        n=n,
        by=by,
        within=within.strip().upper() if within else None,
        min_residents=MIN_RESIDENTS.get(kind, 0.0),
    )
    table["name"] = table["code"].map(ctx.names(list(table["code"])))
    if area.kind == "patch":
        table.loc[table["rank"] == 0, "name"] = area.name
        text = "wards (a patch is compared with wards): " + text
    table["largest_supergroup_name"] = [
        ctx.oac_name("supergroup", str(c)) for c in table["largest_supergroup"]
    ]
    table["coverage"] = [_status(ctx.coverage(kind, str(c))) for c in table["code"]]
    if area.kind == "patch":
        table.loc[table["rank"] == 0, "coverage"] = "as listed"
    front = ["rank", "code", "name", "coverage", "distance", "mix_difference_pct", "residents"]
    front += [
        c
        for c in (
            "households",
            "most_deprived_20_pct",
            "largest_supergroup",
            "largest_supergroup_name",
            "largest_supergroup_pct",
            "in_lad",
            "in_region",
        )
        if c in table.columns
    ]
    rest = [c for c in table.columns if c.startswith("ind_")]
    return table.loc[:, front + rest].rename(columns={"in_lad": "lad", "in_region": "region"}), text


def _status(cov: object) -> str:
    """``whole``, ``partial``... of a comparator (``whole`` for kinds always whole)."""
    return str(getattr(cov, "status", "whole")) if cov is not None else "whole"


def build_profile(
    ctx: AreaContext,
    request: AreaRequest,
    *,
    comparators: int = 5,
    within: str | None = None,
    compare_by: str = "both",
) -> AreaProfile:
    """Compute the profile of one requested area with a ready context (see
    :func:`profile_area` for the parameters)."""
    if compare_by not in COMPARE_BY:
        raise OacInsightError(f"unknown --compare-by {compare_by!r}; use {', '.join(COMPARE_BY)}")
    area = ctx.resolve(request)
    _refuse_mostly_missing(area)
    parent = ctx.parent(area)
    parent_rows = parent.rows if parent is not None else ctx.national
    comp, comp_text = _comparators(ctx, area, comparators, compare_by, within)
    rows = area.rows
    profile = AreaProfile(
        code=area.code,
        name=area.name,
        kind=area.kind,
        parent_code=parent.code if parent else "K04000001",
        parent_name=parent.name if parent else ctx.national_name,
        national_name=ctx.national_name,
        residents=float(rows["residents"].sum()),
        household_residents=float(rows["household_residents"].sum()),
        communal_residents=float(rows["communal_residents"].sum()),
        households=float(rows["ts0410001"].sum()) if ctx.has_households else float("nan"),
        output_areas=len(rows),
        lsoas=int(rows["lsoa21"].nunique()),
        membership=area.membership,
        oac_mix=oac_mix(rows, _counts(ctx, parent), _counts(ctx, None), _oac_names(ctx)),
        indicators=_indicator_table(ctx, area, parent),
        deprivation=deprivation_table(rows, parent_rows if parent else None),
        deprivation_lsoas=lsoa_table(rows),
        deprivation_summary=deprivation_summary(rows),
        parent_deprivation_summary=_cached(
            ctx, ("dep", parent.code if parent else None), lambda: deprivation_summary(parent_rows)
        ),
        comparators=comp,
        comparators_method=comp_text,
        scale=scale_effect(rows, ctx.indicators),
        output_area_table=_oa_table(area),
        notes=[
            *area.notes,
            *(f"parent area: {n}" for n in (parent.notes if parent else [])),
            *ctx.skipped,
            *_unranked(rows),
        ],
        sources=_sources(ctx),
        disclosure=DISCLOSURE,
        coverage=_coverage_lines(ctx, area, parent),
        coverage_status=area.coverage.status if area.coverage else "whole",
        parent_short=parent.coverage.short if parent and parent.coverage else "",
    )
    profile.summary = plain_summary(profile)
    return profile


class MostlyMissingError(OacInsightError):
    """The store holds less than half of a district or ward: it is not profiled."""


def _refuse_mostly_missing(area: Area) -> None:
    cov = area.coverage
    if cov is None or cov.status != "mostly missing":
        return
    _, _, evidence = cov.headline.partition(": ")
    raise MostlyMissingError(
        f"{area.label} is mostly missing from the store, so it is not profiled as if whole: "
        f"{evidence}; load the postcode directory that covers it or the official OA lookup "
        "(ONS best fit), or profile the loaded output areas as a patch"
    )


def _coverage_lines(ctx: AreaContext, area: Area, parent: Area | None) -> list[str]:
    """What the outputs say first: the area or a comparator only partly held, names."""
    lines = []
    if area.coverage is not None and area.coverage.headline:
        lines.append(area.coverage.headline)
    if parent is not None and parent.coverage is not None and parent.coverage.headline:
        status, _, rest = parent.coverage.headline.partition(": ")
        lines.append(f"comparator {parent.label} is {status}: {rest}")
    if ctx.national_name != NATIONAL_NAME:
        lines.append(
            f"the national comparator is {ctx.national_name}, not England and "
            f"Wales: the census tables in the store hold {len(ctx.national):,} of "
            f"its {EW_OUTPUT_AREAS:,} output areas"
        )
    coded = [a for a in (area, parent) if a is not None and a.kind != "patch"]
    names = names_line([a.code for a in coded], {a.code: a.name for a in coded})
    return [*lines, *([names] if names else [])]


def _unranked(rows: pd.DataFrame) -> list[str]:
    """A note when some residents have no deprivation rank (OAs with no postcode loaded,
    placed by an official lookup)."""
    missing = rows["imd_rank"].isna()
    if not missing.any():
        return []
    return [
        f"{int(missing.sum()):,} output area(s) ({rows.loc[missing, 'residents'].sum():,.0f} "
        "residents) have no deprivation rank (none of their postcodes is in the loaded "
        "directory); the deprivation figures are of the other residents"
    ]


def _cached(ctx: AreaContext, key: tuple[object, ...], make: Callable[[], T]) -> T:
    if key not in ctx.cache:
        ctx.cache[key] = make()
    return ctx.cache[key]


def _counts(ctx: AreaContext, area: Area | None) -> dict[str, pd.Series]:
    """Residents per OAC code of an area (None: England and Wales), remembered."""
    rows = ctx.national if area is None else area.rows
    return _cached(ctx, ("mix", area.code if area else None), lambda: group_residents(rows))


def _oa_table(area: Area) -> pd.DataFrame:
    """The area's output areas with their codes, residents, IMD and placement."""
    rows = with_deciles(area.rows)
    source = {"ward": "ward_source", "lad": "lad_source", "region": "region_source"}.get(area.kind)
    out = pd.DataFrame(
        {
            "oa": rows["oa"],
            "lsoa21": rows["lsoa21"],
            "ward": rows["ward"],
            "lad": rows["lad"],
            "supergroup": rows["supergroup"],
            "group": rows["group_code"],
            "subgroup": rows["subgroup"],
            "residents": rows["residents"],
            "households": rows["ts0410001"] if "ts0410001" in rows.columns else float("nan"),
            "lsoa11": rows["lsoa11"],
            "imd_rank": rows["imd_rank"],
            "imd_decile": rows["imd_decile"],
            "postcodes": rows["postcodes"],
            "placed_by": rows[source] if source else _PLACED_BY.get(area.kind, ""),
        }
    )
    return out.reset_index(drop=True)


_PLACED_BY = {
    "lsoa": "official lookup",
    "msoa": "official lookup",
    "patch": "listed",
    "country": "output area code",
}


def _oac_names(ctx: AreaContext) -> dict[tuple[str, str], str]:
    names = dict(ctx.oac_names)
    for code in ctx.national["supergroup"].dropna().unique():
        names.setdefault(("supergroup", code), ctx.oac_name("supergroup", code))
    return names


def _sources(ctx: AreaContext) -> list[str]:
    tables = sorted(
        {
            "ts001",
            *(["ts041"] if ctx.has_households else []),
            *(t for i in ctx.indicators for t in i.cells),
        }
    )
    return [
        "Output Area Classification 2021 (ONS)",
        f"Census 2021 topic summaries {', '.join(t.upper() for t in tables)} (ONS)",
        f"Postcode directory {ctx.edition or '(none loaded)'}: output area to ward and "
        "local authority where no official lookup is loaded, and the IMD rank of each LSOA",
        "Contains National Statistics data © Crown copyright and database right; "
        "Open Government Licence v3.0",
    ]


def profile_area(
    code: str | Path | list[str],
    *,
    store: Store | str | os.PathLike[str] | None = None,
    comparators: int = 5,
    within: str | None = None,
    indicators: Sequence[str | Indicator] | None = None,
    compare_by: str = "both",
) -> AreaProfile:
    """Profile a ward, LSOA, MSOA, local authority, region, country or patch of OAs.

    Parameters
    ----------
    code : str, path or list of str
        A GSS code (``E05000849``), a comma-separated list or file of output areas, or
        a list of output area codes.
    store : Store or path, optional
        The reference store (default: ``$OACINSIGHT_STORE`` or the user data dir).
    comparators : int, default 5
        How many most similar areas of the same kind to list.
    within : str, optional
        Region, local authority or country code limiting the comparators.
    indicators : sequence of str or Indicator, optional
        Census indicators (keys of :data:`oacinsight.areas.INDICATORS` or custom
        definitions); default all whose tables are in the store.
    compare_by : {'both', 'mix', 'indicators'}
        What the comparator distance uses.

    Returns
    -------
    AreaProfile

    Raises
    ------
    OacInsightError
        For an unknown or unsupported code, an area without OAC or census counts, an
        empty list of output areas, or a store missing what is needed.
    """
    request = parse_request(code)
    with open_store(store) as s:
        return build_profile(
            AreaContext(s, indicators),
            request,
            comparators=comparators,
            within=within,
            compare_by=compare_by,
        )
