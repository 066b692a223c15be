"""Nested tiers as in the OAC: groups are found within each supergroup, subgroups
within each group.  Codes: supergroup ``1``…``9``/``10``…, group ``1a``, subgroup ``1a1``."""

from __future__ import annotations

import string
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from oacinsight.build.kmeans import ClassificationBuilder, nearest_two
from oacinsight.build.spec import Tiers

__all__ = ["TIER_NAMES", "TierFit", "fit_tiers"]

TIER_NAMES = ("supergroup", "group", "subgroup")


@dataclass
class TierFit:
    """Codes per area for every tier, centres per code, and the fit statistics."""

    codes: pd.DataFrame  # oa + one column per tier
    centres: pd.DataFrame  # tier, code, parent, size + one column per variable
    distance: np.ndarray  # squared distance to own centre, finest tier
    gap: np.ndarray  # second-nearest minus nearest, finest tier (siblings)
    wcss: dict[str, float] = field(default_factory=dict)
    restarts: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    top: ClassificationBuilder | None = None


def _code(parent: str, tier: int, j: int) -> str:
    if tier == 0:
        return str(j + 1)
    if tier == 1:
        return parent + string.ascii_lowercase[j]
    return parent + str(j + 1)


def _k_for(tiers: Tiers, tier: int, parent_index: int) -> int:
    t = tiers[tier]
    return t[parent_index] if isinstance(t, tuple) else t


def _restarts(restarts: tuple[int, ...], tier: int) -> int:
    return restarts[min(tier, len(restarts) - 1)]


def _every_tenth(say: Callable[[str], None]) -> Callable[[int, int], None]:
    """A progress line at every tenth of the restarts of a long fit."""

    def tick(done: int, total: int) -> None:
        if done == total or done % max(1, total // 10) == 0:
            say(f"  restarts {done}/{total}")

    return tick


def fit_tiers(
    x: np.ndarray,
    oas: list[str],
    variables: list[str],
    tiers: Tiers,
    *,
    restarts: tuple[int, ...],
    seed: int,
    sample_size: int | None = 2000,
    progress: Callable[[str], None] | None = None,
) -> TierFit:
    """Fit every tier; each parent's areas are clustered on their own."""
    say = progress or (lambda _m: None)
    codes = np.empty((len(tiers), len(x)), dtype=object)
    rows: list[dict] = []
    wcss: dict[str, float] = {}
    warnings: list[str] = []
    distance = np.zeros(len(x))
    gap = np.full(len(x), np.inf)
    groups: list[tuple[str, np.ndarray]] = [("", np.arange(len(x)))]
    top = None
    for tier in range(len(tiers)):
        total, next_groups = 0.0, []
        for p, (parent, idx) in enumerate(groups):
            k = _k_for(tiers, tier, p)
            distinct = len(np.unique(x[idx], axis=0))
            if k > distinct and tier > 0:
                warnings.append(
                    f"{TIER_NAMES[tier]}s of {parent}: k = {k} cut to {distinct} "
                    f"(only {distinct} distinct areas)"
                )
                k = distinct
            say(f"{TIER_NAMES[tier]} tier: {parent or 'all areas'} ({len(idx)} areas, k = {k})")
            model = ClassificationBuilder(
                n_clusters=k,
                n_restarts=_restarts(restarts, tier),
                sample_size=sample_size,
                random_state=seed + 7919 * tier + p,
                progress=_every_tenth(say) if len(idx) >= 20000 else None,
            ).fit(x[idx])
            if tier == 0:
                top = model
            total += model.inertia_
            _, d1, d2 = nearest_two(x[idx], model.cluster_centers_)
            distance[idx], gap[idx] = d1, d2 - d1
            for j in range(model.cluster_centers_.shape[0]):
                member = idx[model.labels_ == j]
                code = _code(parent, tier, j)
                codes[tier, member] = code
                next_groups.append((code, member))
                rows.append(
                    {
                        "tier": TIER_NAMES[tier],
                        "code": code,
                        "parent": parent,
                        "size": len(member),
                        **dict(zip(variables, model.cluster_centers_[j], strict=True)),
                    }
                )
        wcss[TIER_NAMES[tier]] = total
        groups = next_groups
    frame = pd.DataFrame({"oa": oas, **{TIER_NAMES[t]: codes[t] for t in range(len(tiers))}})
    return TierFit(
        codes=frame,
        centres=pd.DataFrame(rows),
        distance=distance,
        gap=gap,
        wcss=wcss,
        restarts={TIER_NAMES[t]: _restarts(restarts, t) for t in range(len(tiers))},
        warnings=warnings,
        top=top,
    )
