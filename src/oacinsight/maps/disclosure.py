"""One disclosure pattern for a customer file's profile and every map made from it.

Every output area (OA) has exactly one OAC subgroup and lies in one ward, one MSOA and
one district, so the profile's cells and the map's area counts are all sums of the same
per-OA counts: an attacker holding the profile and a map can combine them.  The pattern
is therefore worked out once, on all of them together (:func:`map_pattern`):

* the profile's own pattern (supergroups, groups, subgroups, the total) is taken as it
  is; it is safe on its own (``docs/profile.md``);
* customer counts are published only on layers of areas of ward size and up
  (:data:`PUBLISHED_TYPES`) and only for areas wholly inside the profiled area; OA and
  LSOA counts are never published (nearly all are below 10 for a council's file);
* area counts below the threshold are hidden, zeros included, and further areas are
  hidden until every hidden cell, of the profile or of any map layer, can still take at
  least four values given every published number (:func:`oacinsight.profile.audit.
  protect_sums`: integer programming over the OA-level unknowns, grouped into atoms).

Rates and indexes are blank wherever the count is.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from oacinsight.profile.audit import protect_sums
from oacinsight.profile.suppress import MIN_WIDTH, SUPPRESSED_FLAG

__all__ = ["PUBLISHED_TYPES", "MapPattern", "map_pattern"]

#: Layer area types whose customer counts may be published (with the joint audit).
PUBLISHED_TYPES: tuple[str, ...] = ("ward", "msoa", "lad", "region", "country")
_LEVEL_COLUMN = {"supergroup": "supergroup", "group": "group_code", "subgroup": "subgroup"}


@dataclass
class MapPattern:
    """Which map areas may show customer numbers, for one upload, area and threshold.

    Attributes
    ----------
    shown : dict of str to dict of str to int
        Per published layer: area code → customers shown.
    hidden : dict of str to set of str
        Per published layer: the areas inside the profiled area whose counts are hidden.
    threshold : int
        Counts from 0 to ``threshold - 1`` are hidden.
    layers : set of str
        Layers whose area type may show customer numbers at all.
    note : str
        Why a whole layer is blank, when it is (empty otherwise).
    """

    shown: dict[str, dict[str, int]] = field(default_factory=dict)
    hidden: dict[str, set[str]] = field(default_factory=dict)
    threshold: int = 10
    layers: set[str] = field(default_factory=set)
    note: str = ""

    def shown_codes(self, layer: str) -> set[str]:
        """Areas of ``layer`` whose customer numbers may be published."""
        return set(self.shown.get(layer, {}))

    def reason(self, layer: str, code: str) -> str:
        """Why an area's customer numbers are blank (hover text)."""
        if code in self.hidden.get(layer, set()):
            return (
                f"hidden (fewer than {self.threshold} customers, or to protect such an "
                "area or a hidden profile group)"
            )
        if layer not in self.layers:
            return "customer numbers are published for wards and larger areas only"
        return "outside the profiled area (or only partly inside it)"


def _inside(members: pd.DataFrame, area_oas: set[str]) -> pd.DataFrame:
    """Members of the features wholly inside the area."""
    inside = members["oa"].isin(area_oas)
    whole = inside.groupby([members["layer"], members["code"]]).transform("all")
    return members[whole.to_numpy(dtype=bool)]


def _atoms(
    oas: pd.DataFrame, members: pd.DataFrame, layers: list[str]
) -> tuple[pd.DataFrame, np.ndarray]:
    """OAs grouped by what they belong to: one row per atom, and each OA's atom."""
    sig = oas[["oa", "supergroup", "group_code", "subgroup"]].astype(str).copy()
    for layer in layers:
        part = members[members["layer"] == layer]
        codes = part.groupby("oa")["code"].agg(lambda c: ",".join(sorted(c)))
        sig[layer] = sig["oa"].map(codes).fillna("")
    keys = [c for c in sig.columns if c != "oa"]
    atom_of = sig.groupby(keys, sort=True).ngroup().to_numpy()
    atoms = sig.assign(atom=atom_of).drop_duplicates("atom").sort_values("atom")
    return atoms.reset_index(drop=True), atom_of


def _cells(
    atoms: pd.DataFrame, profile: pd.DataFrame, layers: list[str]
) -> tuple[list[tuple[str, str]], np.ndarray]:
    """The published cells (profile rows, then the areas of each layer) over the atoms."""
    keys, rows = [], []
    for lv, code in zip(profile["level"], profile["code"], strict=True):
        keys.append((str(lv), str(code)))
        rows.append((atoms[_LEVEL_COLUMN[lv]] == str(code)).to_numpy())
    for layer in layers:
        codes = sorted({c for v in atoms[layer] for c in v.split(",") if c})
        for code in codes:
            keys.append((layer, code))
            rows.append(atoms[layer].str.split(",").apply(lambda v, c=code: c in v).to_numpy())
    members = np.array(rows, dtype=float).reshape(len(rows), len(atoms))
    return keys, members


def map_pattern(
    oas: pd.DataFrame,
    members: pd.DataFrame,
    layer_types: dict[str, str],
    profile: pd.DataFrame,
    *,
    threshold: int = 10,
) -> MapPattern:
    """The map's share of the one disclosure pattern of a file's profile.

    Parameters
    ----------
    oas : pandas.DataFrame
        Every OA of the profiled area: ``oa, supergroup, group_code, subgroup,
        customers``.
    members : pandas.DataFrame
        ``layer, code, oa`` of every feature holding any of those OAs (all its OAs).
    layer_types : dict of str to str
        Layer → area type (``ward``, ``lad``, ``oa``, ...).
    profile : pandas.DataFrame
        The profile's whole hierarchy (``level, code, customers, flag``) as computed on
        the same records and area, with its pattern in ``flag``.
    threshold : int, default 10
        As ``suppress_below``; 0 or 1 turns suppression off.

    Returns
    -------
    MapPattern
    """
    layers = sorted(lay for lay, kind in layer_types.items() if kind in PUBLISHED_TYPES)
    out = MapPattern(threshold=int(threshold), layers=set(layers))
    members = _inside(members[members["layer"].isin(layers)], set(oas["oa"].astype(str)))
    layers = [lay for lay in layers if (members["layer"] == lay).any()]
    if not layers:
        return out
    atoms, atom_of = _atoms(oas, members, layers)
    per_atom = np.bincount(
        atom_of, weights=oas["customers"].to_numpy(dtype=float), minlength=len(atoms)
    )
    profile = profile[profile["level"].isin(_LEVEL_COLUMN)].reset_index(drop=True)
    keys, matrix = _cells(atoms, profile, layers)
    values = matrix @ per_atom
    n_profile = len(profile)
    if not np.array_equal(values[:n_profile], profile["customers"].to_numpy(dtype=float)):
        out.note = "the map's counts do not add up to the profile's: map counts left blank"
        out.hidden = {lay: set() for lay in layers}
        return out
    frozen = np.zeros(len(keys), dtype=bool)
    frozen[:n_profile] = True
    hidden = np.zeros(len(keys), dtype=bool)
    hidden[:n_profile] = (profile["flag"] == SUPPRESSED_FLAG).to_numpy()
    primary = np.zeros(len(keys), dtype=bool)
    if threshold > 1:
        primary[n_profile:] = values[n_profile:] < threshold
    hidden |= primary
    hidden, unprotected = protect_sums(
        matrix, values, hidden, per_atom.sum(), frozen=frozen, primary=primary, min_width=MIN_WIDTH
    )
    if unprotected:  # the profile alone is safe: publish no map counts at all
        hidden[n_profile:] = True
        out.note = "map counts hidden: they could not be protected jointly with the profile"
    for (layer, code), value, hide in zip(
        keys[n_profile:], values[n_profile:], hidden[n_profile:], strict=True
    ):
        if hide:
            out.hidden.setdefault(layer, set()).add(code)
        else:
            out.shown.setdefault(layer, {})[code] = int(value)
        out.hidden.setdefault(layer, set())
    return out
