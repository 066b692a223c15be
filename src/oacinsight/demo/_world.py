"""The synthetic geography of Demoshire: wards, LSOAs, OAs and postcodes.

Everything here is invented.  Only the *shape* follows the official products: the
2021 OAC code structure (8 supergroups, 21 groups, 52 subgroups), GSS-style area codes
and the UK postcode grammar.  The functions build plain :class:`pandas.DataFrame`
objects; :mod:`oacinsight.demo.synth` writes them in the official file formats.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

LAD_CODE = "E06000999"
LAD_NAME = "Demoshire"
POSTCODE_AREA = "DM"
N_WARDS = 12
WARD_COLUMNS = 4
LSOAS_PER_WARD = 5
CELL_METRES = 2400
GRID_ORIGIN = (428_000, 399_000)  # easting, northing of the south-west corner
LATLONG_REF = (433_000, 403_000, 53.526, -1.500)  # easting, northing, lat, long
#: Letters Royal Mail uses in the two last places of the inward code.
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
#: 2011 output areas that no longer exist in 2021 (no OAC, no census row).
OLD_OA_CODES = tuple(f"E00{999995 + i}" for i in range(5))
IMD_RANKS_ENGLAND = 32_844

#: Number of subgroups in each official 2021 OAC group (the real code structure).
OAC_GROUP_SIZES: dict[str, int] = {
    "1a": 2, "1b": 2, "1c": 2, "2a": 3, "2b": 2, "2c": 2, "3a": 4, "3b": 2, "3c": 2,
    "4a": 3, "4b": 4, "4c": 2, "5a": 3, "5b": 2, "6a": 3, "6b": 3, "6c": 2, "7a": 2,
    "7b": 2, "8a": 2, "8b": 3,
}  # fmt: skip

#: Dominant supergroup of each ward, from the centre of the town outwards.
URBAN_TO_RURAL = ("3", "8", "4", "7", "8", "6", "7", "6", "5", "2", "2", "1")
#: Supergroups that plausibly border each supergroup.
NEIGHBOURS: dict[str, str] = {
    "1": "25", "2": "156", "3": "46", "4": "386", "5": "261", "6": "7825", "7": "68",
    "8": "764",
}  # fmt: skip

#: Plausible 2011 OAC subgroup codes (the NSPL ``oac11`` field) per 2021 supergroup.
OAC11_LIKE: dict[str, tuple[str, ...]] = {
    "1": ("1A2", "1B1", "1C2", "6A1"), "2": ("6A1", "6B2", "1C1"), "3": ("2A1", "2B1", "2C1"),
    "4": ("4A1", "4B2", "2D1"), "5": ("5A1", "6A2", "4A3"), "6": ("6B3", "8B1", "3D1"),
    "7": ("8A1", "8B2", "8D1"), "8": ("7A1", "7C1", "7D1"),
}  # fmt: skip


@dataclass(frozen=True)
class Profile:
    """How an invented supergroup looks in the census and in the customer data.

    Attributes
    ----------
    take_up : float
        Relative customer rate per resident (scaled later to the wanted total).
    imd_pct : float
        Typical deprivation percentile, 0 = most deprived, 1 = least.
    hh_size : float
        Mean household size.
    tenure : tuple of float
        Outright, mortgage, shared ownership, council, other social, private
        landlord, other private, rent free (``ts054`` leaf cells).
    cars : tuple of float
        No car, 1, 2, 3 or more (``ts045``).
    health : tuple of float
        Very good, good, fair, bad, very bad (``ts037``).
    rural : float
        Share of the supergroup's OAs that are rural.
    """

    take_up: float
    imd_pct: float
    hh_size: float
    tenure: tuple[float, ...]
    cars: tuple[float, ...]
    health: tuple[float, ...]
    rural: float


PROFILES: dict[str, Profile] = {
    "1": Profile(0.45, 0.85, 2.30, (.50, .33, .005, .02, .02, .10, .015, .01),
                 (.08, .40, .38, .14), (.46, .34, .14, .045, .015), 0.60),
    "2": Profile(0.65, 0.70, 2.35, (.40, .32, .01, .05, .05, .14, .02, .01),
                 (.12, .42, .33, .13), (.44, .35, .14, .05, .02), 0.40),
    "3": Profile(0.85, 0.45, 1.90, (.10, .18, .01, .06, .07, .52, .05, .01),
                 (.45, .40, .12, .03), (.55, .31, .10, .03, .01), 0.00),
    "4": Profile(1.10, 0.25, 2.60, (.12, .18, .01, .14, .10, .40, .04, .01),
                 (.40, .40, .16, .04), (.50, .32, .12, .045, .015), 0.00),
    "5": Profile(0.70, 0.65, 2.80, (.22, .45, .01, .05, .04, .20, .02, .01),
                 (.15, .42, .33, .10), (.50, .33, .12, .04, .01), 0.05),
    "6": Profile(1.00, 0.45, 2.35, (.28, .30, .01, .14, .08, .16, .02, .01),
                 (.22, .44, .26, .08), (.45, .34, .14, .05, .02), 0.15),
    "7": Profile(1.45, 0.22, 2.30, (.25, .25, .005, .18, .10, .19, .02, .005),
                 (.33, .43, .19, .05), (.40, .34, .16, .07, .03), 0.05),
    "8": Profile(1.90, 0.10, 2.10, (.15, .10, .005, .38, .20, .15, .01, .005),
                 (.52, .35, .10, .03), (.35, .33, .19, .09, .04), 0.00),
}  # fmt: skip


@dataclass(frozen=True)
class World:
    """The whole synthetic local authority.

    Attributes
    ----------
    oas : pandas.DataFrame
        One row per 2021 OA: ``oa, lsoa, msoa, ward, ward_index, supergroup, group,
        subgroup, east, north, ru11ind, oac11``.
    lsoas : pandas.DataFrame
        ``lsoa, ward, imd`` (rank of the LSOA in England's index, 1 = most deprived).
    postcodes : pandas.DataFrame
        ``pcds, oa, lsoa, ward, kind, usertype, dointr, doterm, east, north`` where
        ``kind`` is ``live``, ``terminated``, ``old_oa`` (live, OA not in 2021 OAC) or
        ``no_grid`` (terminated, no grid reference and no areas).
    census : dict of str to pandas.DataFrame
        ``ts001``, ``ts037``, ``ts041``, ``ts045``, ``ts054`` keyed by table id.
    """

    oas: pd.DataFrame
    lsoas: pd.DataFrame
    postcodes: pd.DataFrame
    census: dict[str, pd.DataFrame]


def subgroups_of(group: str) -> list[str]:
    """The official subgroup codes of a 2021 OAC group (``3c`` → ``3c1, 3c2``)."""
    return [f"{group}{i + 1}" for i in range(OAC_GROUP_SIZES[group])]


def groups_of(supergroup: str) -> list[str]:
    """The official group codes of a 2021 OAC supergroup (``3`` → ``3a, 3b, 3c``)."""
    return [g for g in OAC_GROUP_SIZES if g[0] == supergroup]


def layout_world(rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Invent the areas and postcodes of Demoshire.

    Parameters
    ----------
    rng : numpy.random.Generator
        The only source of randomness; the same state gives the same result.

    Returns
    -------
    tuple of pandas.DataFrame
        ``oas``, ``lsoas`` and ``postcodes`` as described in :class:`World`.
    """
    oas = _layout(rng)
    _place(rng, oas)
    lsoas = _lsoa_imd(rng, oas)
    return oas, lsoas, _make_postcodes(rng, oas)


def _ward_dominants() -> list[str]:
    """Dominant supergroup per ward index: central wards urban, outer wards rural."""
    cx, cy = (WARD_COLUMNS - 1) / 2, (N_WARDS // WARD_COLUMNS - 1) / 2
    dist = [np.hypot(w % WARD_COLUMNS - cx, w // WARD_COLUMNS - cy) for w in range(N_WARDS)]
    order = sorted(range(N_WARDS), key=lambda w: (dist[w], w))
    dominant = [""] * N_WARDS
    for rank, w in enumerate(order):
        dominant[w] = URBAN_TO_RURAL[rank]
    return dominant


def _neighbour(rng: np.random.Generator, supergroup: str) -> str:
    """A supergroup that often borders ``supergroup``."""
    options = NEIGHBOURS[supergroup]
    return options[int(rng.integers(len(options)))]


def _pick(rng: np.random.Generator, options: list[str]) -> str:
    """One element of ``options``, uniformly."""
    return options[int(rng.integers(len(options)))]


def _layout(rng: np.random.Generator) -> pd.DataFrame:
    """Wards → LSOAs → OAs with spatially clustered supergroups, groups and subgroups."""
    dominants = _ward_dominants()
    rows: list[dict[str, object]] = []
    for w in range(N_WARDS):
        for li in range(LSOAS_PER_WARD):
            j = w * LSOAS_PER_WARD + li
            lsoa_sg = dominants[w]
            if li > 0 and rng.random() >= 0.6:
                lsoa_sg = _neighbour(rng, dominants[w])
            preferred: dict[str, str] = {}
            for k in range(int(rng.integers(4, 7))):
                sg = lsoa_sg
                if k > 0 and rng.random() >= 0.75:
                    sg = _neighbour(rng, lsoa_sg)
                if sg not in preferred:
                    preferred[sg] = _pick(rng, groups_of(sg))
                group = preferred[sg] if rng.random() < 0.8 else _pick(rng, groups_of(sg))
                rows.append({
                    "oa": f"E00{999001 + len(rows)}", "lsoa": f"E01{999001 + j}",
                    "msoa": f"E02{999001 + w}", "ward": f"E05{999001 + w}",
                    "ward_index": w, "supergroup": sg, "group": group,
                    "subgroup": _pick(rng, subgroups_of(group)),
                })  # fmt: skip
    return pd.DataFrame(rows)


def _place(rng: np.random.Generator, oas: pd.DataFrame) -> None:
    """Add OA centroids (``east``, ``north``) and the rural-urban indicator, in place."""
    east = np.zeros(len(oas), dtype=np.int64)
    north = np.zeros(len(oas), dtype=np.int64)
    ru = []
    ward_index = oas["ward_index"].to_numpy(dtype=np.int64)
    for _, idx in oas.groupby("lsoa", sort=True).indices.items():
        w = int(ward_index[idx[0]])
        x0 = GRID_ORIGIN[0] + (w % WARD_COLUMNS) * CELL_METRES
        y0 = GRID_ORIGIN[1] + (w // WARD_COLUMNS) * CELL_METRES
        cx, cy = rng.uniform(300, CELL_METRES - 300, size=2)
        east[idx] = np.rint(x0 + cx + rng.normal(0, 220, len(idx)))
        north[idx] = np.rint(y0 + cy + rng.normal(0, 220, len(idx)))
    oac11 = []
    for sg in oas["supergroup"]:
        if rng.random() < PROFILES[sg].rural:
            ru.append(("D1", "E1", "F1")[int(rng.choice(3, p=[0.5, 0.35, 0.15]))])
        else:
            ru.append("C1")
        oac11.append(_pick(rng, list(OAC11_LIKE[sg])))
    oas["east"] = east
    oas["north"] = north
    oas["ru11ind"] = ru
    oas["oac11"] = oac11


def _lsoa_imd(rng: np.random.Generator, oas: pd.DataFrame) -> pd.DataFrame:
    """IMD rank per LSOA, driven by the deprivation typical of its OAs' supergroups."""
    pct = oas["supergroup"].map(lambda s: PROFILES[s].imd_pct)
    by_lsoa = pct.groupby(oas["lsoa"], sort=True).mean()
    noisy = np.clip(by_lsoa.to_numpy() + rng.normal(0, 0.07, len(by_lsoa)), 0.001, 0.999)
    ranks = np.ceil(noisy * IMD_RANKS_ENGLAND).astype(np.int64)
    wards = oas.groupby("lsoa", sort=True)["ward"].first()
    return pd.DataFrame({"lsoa": by_lsoa.index, "ward": wards.to_numpy(), "imd": ranks})


def _postcode_slots(rng: np.random.Generator, oas: pd.DataFrame) -> pd.DataFrame:
    """Which OA-like entries each LSOA must give postcodes to, and how many.

    Every real OA gets 8-13 postcodes.  Each old 2011 OA code and two "no grid
    reference" postcodes are attached to a random LSOA so that they take units from
    the same postcode sector as their neighbours.
    """
    slots = oas[["oa", "lsoa", "ward", "ward_index", "east", "north"]].copy()
    slots["kind"] = "real"
    slots["n"] = rng.integers(8, 14, len(slots))
    hosts = rng.choice(len(oas), size=len(OLD_OA_CODES) + 2, replace=False)
    extra = oas.iloc[hosts][["lsoa", "ward", "ward_index", "east", "north"]].copy()
    extra["oa"] = [*OLD_OA_CODES, "", ""]
    extra["kind"] = ["old_oa"] * len(OLD_OA_CODES) + ["no_grid", "no_grid"]
    extra["n"] = [2] * len(OLD_OA_CODES) + [1, 1]
    slots = pd.concat([slots, extra], ignore_index=True)
    return slots.sort_values(["lsoa", "kind", "oa"], kind="stable").reset_index(drop=True)


def _make_postcodes(rng: np.random.Generator, oas: pd.DataFrame) -> pd.DataFrame:
    """Postcodes for every OA: one sector per LSOA, consecutive units per OA."""
    slots = _postcode_slots(rng, oas)
    next_sector: dict[int, int] = {}
    frames = []
    for lsoa, part in slots.groupby("lsoa", sort=True):
        district = 1 + int(part["ward_index"].iloc[0]) * 9 // N_WARDS
        sector = next_sector.get(district, 1)
        next_sector[district] = (sector + 1) % 10
        units = np.sort(rng.choice(400, size=int(part["n"].sum()), replace=False))
        inward = [f"{sector}{INWARD_LETTERS[u // 20]}{INWARD_LETTERS[u % 20]}" for u in units]
        rows = part.loc[part.index.repeat(part["n"])].reset_index(drop=True)
        rows["pcds"] = [f"{POSTCODE_AREA}{district} {i}" for i in inward]
        rows["lsoa"] = lsoa
        frames.append(rows)
    pcs = pd.concat(frames, ignore_index=True)
    pcs["east"] = np.rint(pcs["east"] + rng.normal(0, 90, len(pcs))).astype(np.int64)
    pcs["north"] = np.rint(pcs["north"] + rng.normal(0, 90, len(pcs))).astype(np.int64)
    _postcode_status(rng, pcs)
    _postcode_dates(rng, pcs)
    pcs = pcs.sort_values("pcds", kind="stable").reset_index(drop=True)
    if pcs["pcds"].duplicated().any():
        raise RuntimeError("demo postcode sectors overlap: too many LSOAs per district")
    return pcs[["pcds", "oa", "lsoa", "ward", "kind", "usertype", "dointr", "doterm",
                "east", "north"]]  # fmt: skip


def _postcode_status(rng: np.random.Generator, pcs: pd.DataFrame) -> None:
    """Mark ~8% terminated and ~4% large-user postcodes, in place.

    Every real OA keeps at least three live small-user postcodes so customers can be
    placed in it.
    """
    real = (pcs["kind"] == "real").to_numpy()
    term = real & (rng.random(len(pcs)) < 0.085)
    large = real & ~term & (rng.random(len(pcs)) < 0.04)
    for positions in pcs.groupby("oa", sort=True).indices.values():
        idx = np.asarray(positions)  # the stubs allow an Index or an int here too
        if not real[idx[0]]:
            continue
        usable = idx[~term[idx] & ~large[idx]]
        if len(usable) < 3:
            fix = idx[term[idx] | large[idx]][: 3 - len(usable)]
            term[fix] = False
            large[fix] = False
    kind = pcs["kind"].to_numpy(dtype=object).copy()
    kind[term] = "terminated"
    kind[kind == "real"] = "live"
    pcs["kind"] = kind
    pcs["usertype"] = np.where(large | (kind == "no_grid"), "1", "0")


def _month(year: np.ndarray, month: np.ndarray) -> list[str]:
    """``YYYYMM`` strings."""
    return [f"{y:04d}{m:02d}" for y, m in zip(year, month, strict=True)]


def _postcode_dates(rng: np.random.Generator, pcs: pd.DataFrame) -> None:
    """Add ``dointr`` (introduced) and ``doterm`` (terminated, blank if live), in place."""
    n = len(pcs)
    start = rng.integers(1980 * 12, 2021 * 12 + 7, n)  # months since year 0
    start = np.where(rng.random(n) < 0.45, 1980 * 12, start)
    dead = pcs["kind"].isin(["terminated", "no_grid"]).to_numpy()
    start = np.where(dead, np.minimum(start, 2014 * 12), start)
    end = start + rng.integers(1, 12 * 12, n)
    end = np.minimum(end, 2021 * 12 + 7)
    pcs["dointr"] = _month(start // 12, start % 12 + 1)
    pcs["doterm"] = np.where(dead, _month(end // 12, end % 12 + 1), "")
