"""Build a local classification: spec + areas → tiers, diagnostics, comparison."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from oacinsight.build.clustermap import cluster_map
from oacinsight.build.diagnostics import compare, grand_index, k_range, pen_portraits
from oacinsight.build.prepare import prepare
from oacinsight.build.result import BuildResult
from oacinsight.build.spec import BuildSpecError, Spec, check_cells, load_spec, parse_tiers
from oacinsight.build.tiers import TIER_NAMES, fit_tiers
from oacinsight.errors import StoreError
from oacinsight.paths import resolve_store_path
from oacinsight.store import Store
from oacinsight.store import build as sql

__all__ = ["build_classification", "read_oa_list", "spec_cells"]


def read_oa_list(path: str | Path) -> list[str]:
    """Output area codes from a file: one per line, or a CSV with an ``oa`` column."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise BuildSpecError(f"cannot read the OA list {path}: {exc}") from None
    lines = [ln.strip().strip('"') for ln in text.splitlines() if ln.strip()]
    if lines and "," in lines[0]:
        header = [h.strip().strip('"').lower() for h in lines[0].split(",")]
        col = next((i for i, h in enumerate(header) if h in ("oa", "oa21", "oa21cd")), None)
        if col is None:
            raise BuildSpecError(f"{path}: a CSV OA list needs an 'oa' column")
        lines = [ln.split(",")[col].strip().strip('"') for ln in lines[1:]]
    elif lines and lines[0].lower() in ("oa", "oa21", "oa21cd"):
        lines = lines[1:]
    oas = list(dict.fromkeys(x.upper() for x in lines if x))
    if not oas:
        raise BuildSpecError(f"{path} lists no output area codes")
    return oas


def spec_cells(spec: Spec) -> dict[str, list[str]]:
    """The census cells a spec reads, by table: ``{'ts054': ['ts0540001', ...]}``."""
    cells: dict[str, list[str]] = {}
    for v in spec.variables:
        for c in v.cells:
            table = cells.setdefault(c[:-4], [])
            if c not in table:
                table.append(c)
    return cells


def build_classification(
    spec: str | Path | Spec,
    store: Store | str | Path | None = None,
    *,
    area: str | None = None,
    oas: list[str] | None = None,
    k: str | list | None = None,
    seed: int | None = None,
    restarts: int | None = None,
    k_range_values: list[int] | None = None,
    diagnostic_restarts: int = 5,
    compare_official: bool = True,
    progress: Callable[[str], None] | None = None,
) -> BuildResult:
    """Build a classification of the output areas of ``area`` (or the list ``oas``).

    ``k`` ("8,3" or a tiers list) and ``seed``/``restarts`` override the spec's; the
    store may be an open :class:`Store` or a path (opened read-only).
    """
    if isinstance(store, Store):
        return _build(
            spec,
            store,
            area=area,
            oas=oas,
            k=k,
            seed=seed,
            restarts=restarts,
            k_range_values=k_range_values,
            diagnostic_restarts=diagnostic_restarts,
            compare_official=compare_official,
            progress=progress,
        )
    path = resolve_store_path(store)
    if not path.exists():
        raise StoreError(
            f"no store at {path}: run 'oacinsight data ingest' on the census tables first"
        )
    with Store(path, read_only=True) as s:
        return _build(
            spec,
            s,
            area=area,
            oas=oas,
            k=k,
            seed=seed,
            restarts=restarts,
            k_range_values=k_range_values,
            diagnostic_restarts=diagnostic_restarts,
            compare_official=compare_official,
            progress=progress,
        )


def _build(
    spec: str | Path | Spec,
    store: Store,
    *,
    area: str | None,
    oas: list[str] | None,
    k: str | list | None,
    seed: int | None,
    restarts: int | None,
    k_range_values: list[int] | None,
    diagnostic_restarts: int,
    compare_official: bool,
    progress: Callable[[str], None] | None,
) -> BuildResult:
    started = time.perf_counter()
    say = progress or (lambda _m: None)
    spec = spec if isinstance(spec, Spec) else load_spec(spec)
    spec = spec.with_overrides(
        tiers=parse_tiers(k) if k is not None else None, seed=seed, restarts=restarts
    )
    wanted = _resolve_oas(store, area, oas)
    spec, counts, warnings, not_found = _census_counts(store, spec, wanted)
    say(f"{len(counts)} output areas, {len(spec.variables)} variables")
    prep = prepare(counts, spec)
    warnings += prep.warnings
    fit = fit_tiers(
        prep.matrix,
        prep.oas,
        prep.variables,
        spec.tiers,
        restarts=spec.restarts,
        seed=spec.seed,
        progress=say,
    )
    warnings += fit.warnings
    ks = k_range_values or [k for k in range(2, 13) if k <= len(counts)]
    say(f"diagnostics for k = {ks[0]}..{ks[-1]}")
    diag, gram = k_range(prep.matrix, ks, restarts=diagnostic_restarts, seed=spec.seed)
    labels = {v.name: v.label for v in spec.variables}
    index = _grand_index(prep.rates, fit.codes, len(spec.tiers))
    comparison = None
    if compare_official:
        comparison = _compare(store, fit.codes)
    portraits = pen_portraits(index, labels)
    say("map of the supergroups")
    map_png, map_note = cluster_map(
        store, fit.codes, dict(zip(portraits["code"], portraits["name"], strict=True))
    )
    return BuildResult(
        spec=spec,
        area=area,
        codes=fit.codes,
        distance=fit.distance,
        gap=fit.gap,
        centres=fit.centres,
        rates=prep.rates,
        diagnostics=diag,
        clustergram=gram,
        index=index,
        portraits=portraits,
        labels=labels,
        wcss=fit.wcss,
        restarts=fit.restarts,
        comparison=comparison,
        warnings=warnings,
        not_found=not_found,
        seconds=time.perf_counter() - started,
        scaler=prep.scaler,
        map_png=map_png,
        map_note=map_note,
    )


def _census_counts(
    store: Store, spec: Spec, wanted: list[str] | None
) -> tuple[Spec, pd.DataFrame, list[str], list[str]]:
    """The spec with its cells checked, the counts of the areas, warnings, and the
    areas asked for that have no census counts."""
    spec, warnings = check_cells(spec, sql.census_columns(store))
    counts = sql.census_cells(store, spec_cells(spec), wanted)
    not_found = [] if wanted is None else sorted(set(wanted) - set(counts["oa"]))
    if wanted is not None and len(not_found) == len(wanted):
        raise BuildSpecError(
            f"none of the {len(wanted)} output areas has census counts in "
            f"the store (first: {wanted[0]})"
        )
    if not_found:
        warnings.append(
            f"{len(not_found)} output area(s) without census counts left out "
            f"(first: {not_found[0]})"
        )
    top_k = spec.tiers[0]
    if isinstance(top_k, int) and top_k > len(counts):
        raise BuildSpecError(
            f"k = {top_k} is more than the {len(counts)} output areas to "
            "classify; choose a smaller --k"
        )
    return spec, counts, warnings, not_found


def _grand_index(rates: pd.DataFrame, codes: pd.DataFrame, n_tiers: int) -> pd.DataFrame:
    """The grand index of every cluster of every tier (rows), variables (columns)."""
    return pd.concat(
        [grand_index(rates, codes[t].set_axis(rates.index)) for t in TIER_NAMES[:n_tiers]]
    )


def _resolve_oas(store: Store, area: str | None, oas: list[str] | None) -> list[str] | None:
    if (area is None) == (oas is None):
        raise BuildSpecError("give either an area code (--area) or a list of OAs (--oas)")
    if oas is not None:
        if not oas:
            raise BuildSpecError("the OA list is empty")
        return list(dict.fromkeys(oas))
    code = str(area).strip().upper()
    found = sql.area_oas(store, code)
    if not found:
        raise BuildSpecError(
            f"no output areas known for {code} (the store knows a district's OAs from "
            "the postcode directory or an OA lookup; use --oas FILE with a list of OA codes)"
        )
    return None if code in sql.ALL_EW else found


def _compare(store: Store, codes: pd.DataFrame) -> dict | None:
    official = sql.official_oac(store, codes["oa"].tolist())
    if official.empty:
        return None
    merged = codes.merge(
        official.add_prefix("official_").rename(columns={"official_oa": "oa"}), on="oa", how="left"
    )
    out: dict[str, Any] = {"against": "official OAC 2021"}
    pairs = [
        ("supergroup", "official_supergroup"),
        ("group", "official_group_code"),
        ("subgroup", "official_subgroup"),
    ]
    for tier, col in pairs:
        if tier in codes:
            out[tier] = compare(merged[tier], merged[col])
    return out
