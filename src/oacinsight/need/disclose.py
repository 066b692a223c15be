"""Disclosure control of need outputs: counts of people below the threshold hidden,
with secondary suppression so a hidden count cannot be recovered from totals.

Counts of people are the customers (or respondents) per group and the observed
counts per area.  Expected values are model outputs (rates × census counts), not
counts of people, and are shown; see ``docs/need.md``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from oacinsight.need.rates import LEVELS

if TYPE_CHECKING:
    from oacinsight.profile.audit import Hierarchy

__all__ = [
    "hidden",
    "published_accounting",
    "published_expected",
    "published_rates",
    "ranking_frame",
    "rates_hidden",
    "rates_tree",
    "with_hidden",
]

_RATE_HIDDEN = ("customers", "rate", "rate_low", "rate_high")
_OBSERVED_HIDDEN = ("observed", "ratio", "ratio_low", "ratio_high", "shortfall")


def hidden(counts: pd.Series, sets: pd.Series, threshold: int) -> np.ndarray:
    """Which counts to hide, by the one suppression rule
    (:func:`oacinsight.profile.suppress.suppression_mask` with ``sets``).

    ``sets`` gives, per count, the ids of the sets of cells that add up to a published
    total (a tuple of ids); each set is protected on its own.  Missing counts are taken
    as 0 (and so hidden where a set has anything to hide).
    """
    # imported here: the profile package (scipy.optimize, matplotlib) costs seconds to
    # import, and a run without counts of people (--rates, no --observed) never needs it
    from oacinsight.profile.suppress import suppression_mask

    values = counts.fillna(0).clip(lower=0).reset_index(drop=True)
    mask = suppression_mask(values, threshold=threshold, sets=sets.tolist())
    return mask.to_numpy(dtype=bool)


def rates_hidden(rates: pd.DataFrame, threshold: int) -> np.ndarray:
    """Which rows of a rates table hide their customer count: the profile's audit of the
    nested table (:func:`oacinsight.profile.suppress.suppression_mask` with the
    hierarchy of tiers): every tier adds up to the area total and every family of
    children to its parent, audited together, so that a hidden parent is not the sum
    of its shown children.  No count at all (rates from a file): nothing hidden."""
    from oacinsight.profile.suppress import suppression_mask

    counts = pd.to_numeric(rates["customers"], errors="coerce")
    if counts.isna().all():
        return np.zeros(len(rates), dtype=bool)
    values = counts.fillna(0).clip(lower=0).reset_index(drop=True)
    mask = suppression_mask(values, threshold=threshold, hierarchy=rates_tree(rates))
    return mask.to_numpy(dtype=bool)


def rates_tree(rates: pd.DataFrame) -> Hierarchy:
    """How the rows of a rates table add up: a group's parent is the row of the tier
    above whose code is the group's code less its last character."""
    from oacinsight.profile.audit import Hierarchy

    keys = [(str(lv), str(cd)) for lv, cd in zip(rates["level"], rates["code"], strict=True)]
    position = {key: i for i, key in enumerate(keys)}
    rank = [LEVELS.index(lv) for lv, _ in keys]
    parent = [
        position.get((LEVELS[r - 1], cd[:-1]), -1) if r > 0 else -1
        for r, (_, cd) in zip(rank, keys, strict=True)
    ]
    return Hierarchy.nested(rank, parent)


def with_hidden(rates: pd.DataFrame, hide: np.ndarray) -> pd.DataFrame:
    """The rates table with the customer counts of ``hide`` (and the raw rates that
    would reveal them) blanked."""
    out = rates.copy()
    counts = pd.to_numeric(out["customers"], errors="coerce")
    if counts.isna().all():
        return out
    out["customers"] = counts.round().astype("Int64")
    out.loc[hide, "customers"] = pd.NA
    for col in _RATE_HIDDEN[1:]:
        out[col] = out[col].astype(float)
        out.loc[hide, col] = np.nan
    return out


def published_rates(rates: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """The rates table with small customer counts (and the raw rates that would reveal
    them) blanked, by the pattern of :func:`rates_hidden`."""
    return with_hidden(rates, rates_hidden(rates, threshold))


def published_expected(expected: pd.DataFrame, oas: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """Expected demand with small observed counts (and what reveals them) blanked.

    Sets: the OAs of each LSOA and of each ward, the LSOAs of each district, the
    wards of each district, and the districts of the area.
    """
    if expected["observed"].isna().all():
        return expected  # nothing to hide (the caller selects the published columns)
    out = expected.copy()
    lsoa = dict(zip(oas["oa"], oas["lsoa"], strict=True))
    ward = dict(zip(oas["oa"], oas["ward"], strict=True))

    def sets(code: str, kind: str, lad: object) -> tuple:
        if kind == "oa":
            return (("lsoa", lsoa.get(code)), ("ward", ward.get(code)))
        if kind in ("lsoa", "ward"):
            return ((f"lad-{kind}", lad),)
        return (("area",),)

    groups = pd.Series(
        [
            sets(c, k, d)
            for c, k, d in zip(out["area_code"], out["area_type"], out["lad"], strict=True)
        ],
        index=out.index,
    )
    hide = hidden(out["observed"], groups, threshold) & out["observed"].notna().to_numpy()
    if threshold > 1:
        hide = _jointly(out, oas, hide, threshold)
    for col in _OBSERVED_HIDDEN:
        out.loc[hide, col] = np.nan
    out["suppressed"] = hide
    return out


def _jointly(rows: pd.DataFrame, oas: pd.DataFrame, hide: np.ndarray, threshold: int) -> np.ndarray:
    """The set-by-set pattern ``hide`` audited as one system over the area.

    An OA's count is in its LSOA's and its ward's, which cut across each other, so the
    sets protected one by one can still be combined: a ward's count less its shown OAs
    is the sum of its hidden OAs, and if those make up one hidden LSOA, that LSOA's
    count is known (7 people in one Demoshire LSOA).  And the observed records are often
    profiled too (``profile`` of the same claimants file): each OA lies in one OAC
    subgroup, so a profile's shown subgroup less its shown OAs is the sum of its hidden
    OAs (an OA of 4 claimants given back exactly).  Every OA, LSOA, ward and district
    count and every cell of the profile of the same records on the same area (its own
    pattern, frozen: it is safe on its own and published as it is) is a sum of OA
    counts, which add up to the area's count;
    :func:`oacinsight.profile.audit.protect_sums` hides more (the smallest counts
    first) until every hidden count can take at least four values.  Where it cannot,
    every OA, LSOA and ward count is hidden.  Counts per LSOA or ward (no OA counts)
    are one flat set per district, which the set-by-set rule covers.
    """
    from oacinsight.profile.audit import protect_sums
    from oacinsight.profile.suppress import MIN_WIDTH

    kinds = rows["area_type"].to_numpy()
    counted = rows["observed"].notna().to_numpy()
    if not (hide & (kinds == "oa") & counted).any():
        return hide
    hide = hide.copy()
    cells = np.flatnonzero(counted)
    values = rows["observed"].fillna(0).to_numpy(dtype=float)[cells]
    members = _members(oas, kinds[cells], rows["area_code"].astype(str).to_numpy()[cells])
    oac_members, oac_values, oac_hidden = _profile_cells(oas, rows, threshold)
    n = len(cells)
    sub, unprotected = protect_sums(
        np.vstack([members, oac_members]),
        np.concatenate([values, oac_values]),
        np.concatenate([hide[cells], oac_hidden]),
        float(values[kinds[cells] == "oa"].sum()),
        frozen=np.arange(n + len(oac_values)) >= n,
        primary=np.concatenate([values < threshold, np.zeros(len(oac_values), dtype=bool)]),
        min_width=MIN_WIDTH,
    )
    hide[cells] = sub[:n]
    if unprotected:
        hide[counted & (kinds != "lad")] = True
    return hide


def _profile_cells(
    oas: pd.DataFrame, rows: pd.DataFrame, threshold: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The cells of a profile of the observed records on the area (every supergroup,
    group and subgroup its OAs hold) over the OAs, their counts and the profile's own
    pattern (:func:`oacinsight.profile.suppress.suppression_mask` on the nested table,
    as ``profile`` chooses it)."""
    from oacinsight.profile.stats import table_hierarchy
    from oacinsight.profile.suppress import suppression_mask

    per_oa = rows[rows["area_type"] == "oa"].set_index("area_code")["observed"]
    counts = oas["oa"].astype(str).map(per_oa).fillna(0).to_numpy(dtype=float)
    keys, member_rows = [], []
    for level, column in (("supergroup", "supergroup"), ("group", "group_code"),
                          ("subgroup", "subgroup")):  # fmt: skip
        codes = oas[column].astype(str)
        for code in sorted(codes.unique()):
            keys.append((level, code))
            member_rows.append((codes == code).to_numpy(dtype=float))
    members = np.array(member_rows).reshape(len(keys), len(oas))
    values = members @ counts
    table = pd.DataFrame(
        {"level": [k[0] for k in keys], "code": [k[1] for k in keys], "parent": None}
    )
    mask = suppression_mask(
        pd.Series(values), threshold=threshold, hierarchy=table_hierarchy(table)
    )
    return members, values, mask.to_numpy(dtype=bool)


def _members(oas: pd.DataFrame, kinds: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """``cells × OAs`` (0/1): which of the OAs each OA, LSOA, ward or district holds."""
    column = {"oa": "oa", "lsoa": "lsoa", "ward": "ward", "lad": "lad"}
    atoms = oas["oa"].astype(str).to_numpy()
    out = np.zeros((len(codes), len(atoms)))
    for kind, key in column.items():
        rows = np.flatnonzero(kinds == kind)
        if not len(rows):
            continue
        where = {c: i for i, c in zip(rows, codes[rows], strict=True)}
        owner = oas[key].astype(str).map(where)
        hit = owner.notna().to_numpy()
        out[owner[hit].astype(int).to_numpy(), np.flatnonzero(hit)] = 1.0
    return out


def ranking_frame(published: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """What the target list, its order and the gains curve are worked out from: the
    *published* expected demand, where a hidden observed count is taken as the middle
    of the hidden range, ``(threshold - 1) / 2`` (4.5 by default), and its shortfall and
    ratio follow from that.

    Ranking or accumulating the true shortfall of a hidden area would publish it: the
    gains curve's step at that area is its shortfall over the total, and its place in
    the order lies between its neighbours' shown shortfalls (``docs/need.md``).  Built
    from published values only, nothing published moves when a hidden count does.
    """
    out = published.copy()
    if "suppressed" not in out or not out["suppressed"].any():
        return out
    hide = out["suppressed"].to_numpy(dtype=bool)
    stand_in = max(threshold - 1, 0) / 2.0
    expected = out.loc[hide, "expected"].astype(float)
    out.loc[hide, "observed"] = stand_in
    out.loc[hide, "shortfall"] = expected - stand_in
    with np.errstate(divide="ignore", invalid="ignore"):
        out.loc[hide, "ratio"] = np.where(expected > 0, stand_in / expected, np.nan)
    return out


#: Rows not matched, per status, as profile publishes them (zeros included).
UNMATCHED_STATUSES = ("not_found", "invalid_format", "missing", "no_oac")
#: Observed counts left out, whose total (rows read − counted in the area) is shown.
_OBSERVED_LEFT_OUT = ("observed_not_placed", "observed_outside_area")


def published_accounting(accounting: dict[str, Any], threshold: int) -> dict[str, Any]:
    """How the input rows were used, as published: the rows not matched per status and
    the observed counts left out are counts of people whose totals are shown beside
    them (rows − matched; observed rows − observed in the area), so each is protected as
    one set by the one suppression rule (None: hidden), as ``profile`` does
    (:func:`oacinsight.profile.suppress.published_counts`)."""
    from oacinsight.profile.suppress import published_counts

    out = dict(accounting)
    if "rows" in accounting:
        statuses = {k: int(accounting.get(k, 0)) for k in UNMATCHED_STATUSES}
        out.update(published_counts(statuses, threshold=threshold))
    if any(k in accounting for k in _OBSERVED_LEFT_OUT):
        left = {k: round(float(accounting.get(k, 0))) for k in _OBSERVED_LEFT_OUT}
        out.update(published_counts(left, threshold=threshold))
    return out
