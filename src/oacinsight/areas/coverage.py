"""Is an area whole?  How much of a district, ward or region the store really holds.

Without an official OA lookup, districts, wards and regions are built from the postcode
directory (each output area goes where most of its postcodes lie), so an area that
extends beyond the loaded postcode areas is silently cut short.  This module finds the
evidence of what is missing, in memory, from the output-area frame of
:func:`oacinsight.store.areas.membership_frame` (or the area context's frame):

* **same LSOAs**: 2021 LSOAs nest in districts, so an output area with no postcode in the
  loaded directory whose LSOA holds output areas of district X belongs to X;
* **code block**: ONS numbered LSOAs in blocks by district, so LSOAs with no postcode
  loaded whose codes lie between two LSOAs of X, with no LSOA of another district
  between them, belong to X (a run longer than the LSOAs of X already loaded is not
  counted: it may hold whole districts that have no postcode loaded);
* **wards**: output areas with no postcode loaded in the ward's LSOAs (they belong to
  this ward or a neighbour), whether its district is partial, and its size against
  the district's median ward.

The rules and their checks on real data are in ``docs/areas.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import pandas as pd

__all__ = [
    "MOSTLY_MISSING_SHARE",
    "Coverage",
    "area_coverage",
    "district_estimates",
    "ward_estimates",
]

#: Below this share of the estimated residents loaded, an area is "mostly missing".
MOSTLY_MISSING_SHARE = 0.5
#: A ward below this fraction of its district's median ward is probably a fragment.
FRAGMENT_OF_MEDIAN = 0.25
#: A directory with fewer postcode areas than this is a partial extract.
FULL_DIRECTORY_AREAS = 100


@dataclass(frozen=True)
class Coverage:
    """How completely the store holds one area.

    Attributes
    ----------
    code, kind : str
        The area and its kind (``lad``, ``ward``, ``region``...).
    status : str
        ``whole`` (no evidence of anything missing), ``partial``, ``mostly missing``
        or ``unknown`` (a partial directory and no LSOA lookup to check with).
    output_areas, residents : int, float
        What the store holds of the area.
    estimated_output_areas, estimated_residents : int, float
        Those plus the output areas found missing (equal when nothing was found).
    headline : str
        The first line every output carries when the area is not whole ('' if whole).
    short : str
        A few words for labels (``loaded part, about 75%``; '' if whole).
    """

    code: str
    kind: str
    status: str
    output_areas: int
    residents: float
    estimated_output_areas: int
    estimated_residents: float
    headline: str = ""
    short: str = ""

    @property
    def share(self) -> float:
        """Share of the estimated residents that the store holds (1.0 when whole)."""
        if not self.estimated_residents:
            return 1.0
        return float(self.residents / self.estimated_residents)

    @property
    def is_whole(self) -> bool:
        return self.status == "whole"

    def to_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "kind": self.kind,
            "status": self.status,
            "output_areas": int(self.output_areas),
            "residents": float(self.residents),
            "estimated_output_areas": int(self.estimated_output_areas),
            "estimated_residents": float(self.estimated_residents),
            "headline": self.headline,
        }


def _primary(placed: pd.DataFrame, column: str) -> pd.Series:
    """LSOA -> the value of ``column`` holding most residents of its placed OAs."""
    sums = placed.groupby(["lsoa21", column])["residents"].sum().reset_index()
    sums = sums.sort_values(["lsoa21", "residents", column], ascending=[True, False, True])
    return sums.drop_duplicates("lsoa21").set_index("lsoa21")[column]


def _block_lsoas(frame: pd.DataFrame) -> pd.Series:
    """LSOAs with no placed OA that lie inside a district's code block -> that district."""
    lsoas = pd.Series(sorted(frame["lsoa21"].dropna().unique()), dtype=object)
    if lsoas.empty:
        return pd.Series(dtype=object)
    placed = frame[frame["lad"].notna() & frame["lsoa21"].notna()]
    table = pd.DataFrame({"lsoa": lsoas, "prefix": lsoas.str[:3]})
    table["lad"] = table["lsoa"].map(_primary(placed, "lad"))
    by = table.groupby("prefix")["lad"]
    table["prev"], table["next"] = by.ffill(), by.bfill()
    table["run"] = table["lad"].notna().cumsum()
    gap = table[table["lad"].isna() & table["prev"].notna() & (table["prev"] == table["next"])]
    if gap.empty:
        return pd.Series(dtype=object)
    length = gap.groupby("run")["lsoa"].transform("size")
    loaded = table.groupby("lad")["lsoa"].size()
    ok = length.to_numpy() <= gap["prev"].map(loaded).to_numpy()
    return gap[ok].set_index("lsoa")["prev"]


def district_estimates(frame: pd.DataFrame) -> pd.DataFrame:
    """Per district: OAs and residents held, and OAs / residents found missing.

    Returns
    -------
    pandas.DataFrame
        Indexed by district code: ``output_areas, residents, missing_output_areas,
        missing_residents, official`` (every OA from an official lookup).
    """
    placed = frame[frame["lad"].notna()]
    held = placed.groupby("lad").agg(output_areas=("oa", "size"), residents=("residents", "sum"))
    held["official"] = (
        placed["lad_source"]
        .fillna("")
        .astype(str)
        .str.startswith("official")
        .groupby(placed["lad"])
        .all()
    )
    loose = frame[frame["lad"].isna() & frame["lsoa21"].notna()]
    pairs = placed[["lsoa21", "lad"]].dropna().drop_duplicates()
    same = loose.drop(columns=["lad"]).merge(pairs, on="lsoa21")[["oa", "lad", "residents"]]
    block = _block_lsoas(frame)
    in_block = loose[loose["lsoa21"].isin(block.index)]
    in_block = in_block.assign(lad=in_block["lsoa21"].map(block))[["oa", "lad", "residents"]]
    missing = pd.concat([same, in_block]).drop_duplicates(["oa", "lad"])
    lost = missing.groupby("lad").agg(
        missing_output_areas=("oa", "size"), missing_residents=("residents", "sum")
    )
    return _with_missing(held, lost)


def _with_missing(held: pd.DataFrame, lost: pd.DataFrame) -> pd.DataFrame:
    """``held`` with the missing OAs and residents of ``lost`` (none for areas whose
    membership came from an official lookup: those are whole)."""
    out = held.join(lost).fillna({"missing_output_areas": 0, "missing_residents": 0.0})
    out.loc[out["official"], ["missing_output_areas", "missing_residents"]] = 0
    out["missing_output_areas"] = out["missing_output_areas"].astype(int)
    return out


def ward_estimates(frame: pd.DataFrame) -> pd.DataFrame:
    """Per ward: OAs and residents held, OAs with no postcode in its LSOAs, its district
    (by residents) and the median ward of that district.

    Returns
    -------
    pandas.DataFrame
        Indexed by ward code: ``output_areas, residents, missing_output_areas,
        missing_residents, official, lad, median_ward_residents``.
    """
    placed = frame[frame["ward"].notna()]
    held = placed.groupby("ward").agg(output_areas=("oa", "size"), residents=("residents", "sum"))
    held["official"] = (
        placed["ward_source"]
        .fillna("")
        .astype(str)
        .str.startswith("official")
        .groupby(placed["ward"])
        .all()
    )
    sums = placed.groupby(["ward", "lad"])["residents"].sum().reset_index()
    sums = sums.sort_values(["ward", "residents", "lad"], ascending=[True, False, True])
    held["lad"] = sums.drop_duplicates("ward").set_index("ward")["lad"]
    held["median_ward_residents"] = held.groupby("lad")["residents"].transform("median")
    loose = frame[frame["ward"].isna() & (frame["postcodes"] == 0) & frame["lsoa21"].notna()]
    pairs = placed[["lsoa21", "ward"]].dropna().drop_duplicates()
    same = loose.drop(columns=["ward"]).merge(pairs, on="lsoa21")
    lost = same.groupby("ward").agg(
        missing_output_areas=("oa", "size"), missing_residents=("residents", "sum")
    )
    return _with_missing(held, lost)


def _n(value: float) -> str:
    return f"{value:,.0f}"


def _oas(n: int) -> str:
    return f"{n:,} output area{'' if n == 1 else 's'}"


def _estimate(est: pd.DataFrame, code: str) -> pd.Series:
    """One area's row of the estimates. Their index holds each code once, which the stubs
    cannot know (they type ``.loc[label]`` as a row or a frame)."""
    return cast("pd.Series", est.loc[code])


def _counted(kind: str, code: str, rows: pd.DataFrame, est: pd.DataFrame) -> Coverage:
    """Coverage of a district or ward from its row of the estimates."""
    r = _estimate(est, code)
    n, res = int(r["output_areas"]), float(r["residents"])
    n_est = n + int(r["missing_output_areas"])
    res_est = res + float(r["missing_residents"])
    status = "whole"
    if r["missing_output_areas"] > 0:
        status = "mostly missing" if res < MOSTLY_MISSING_SHARE * res_est else "partial"
    return Coverage(code, kind, status, n, res, n_est, res_est)


def _district(code: str, frame: pd.DataFrame, est: pd.DataFrame) -> Coverage:
    c = _counted("lad", code, frame, est)
    if c.is_whole:
        return c
    lost = 100 * (1 - c.share)
    headline = (
        f"{c.status}: {_oas(c.output_areas)} loaded "
        f"({_n(c.residents)} residents); the census holds "
        f"{_oas(c.estimated_output_areas)} ({_n(c.estimated_residents)} "
        f"residents) in this district's LSOAs, so about {lost:.0f}% of its "
        "residents are missing from the loaded postcode directory"
    )
    return Coverage(
        c.code,
        c.kind,
        c.status,
        c.output_areas,
        c.residents,
        c.estimated_output_areas,
        c.estimated_residents,
        headline,
        f"loaded part, about {100 * c.share:.0f}%",
    )


def _ward(code: str, frame: pd.DataFrame, est: pd.DataFrame, district: Coverage | None) -> Coverage:
    c = _counted("ward", code, frame, est)
    r = _estimate(est, code)
    if bool(r["official"]):
        return c
    reasons = []
    if r["missing_output_areas"] > 0:
        reasons.append(
            f"{_oas(int(r['missing_output_areas']))} "
            f"({_n(r['missing_residents'])} residents) in its LSOAs with no "
            "postcode in the loaded directory may belong to it"
        )
    small = (
        district is not None
        and not district.is_whole
        and c.residents < FRAGMENT_OF_MEDIAN * float(r["median_ward_residents"])
    )
    if district is not None and not district.is_whole:
        reasons.append(
            f"its district {district.code} is partial "
            f"({district.output_areas:,} of about "
            f"{district.estimated_output_areas:,} output areas loaded)"
        )
    if small:
        reasons.append(
            f"it is under a quarter of the median ward of its district "
            f"({_n(r['median_ward_residents'])} residents here), so it is "
            "probably only a fragment of a ward"
        )
    if c.output_areas <= 2:
        reasons.append(
            f"a ward of {c.output_areas} output area"
            f"{'s' if c.output_areas > 1 else ''} is most likely a fragment "
            "of a ward lying outside the loaded postcode areas"
        )
    if not reasons or (c.is_whole and not small and c.output_areas > 2):
        return c
    status = c.status if c.status != "whole" else "partial"
    headline = (
        f"{status}: {_oas(c.output_areas)} ({_n(c.residents)} residents) "
        "placed in this ward from the loaded postcode directory; " + "; ".join(reasons)
    )
    return Coverage(
        c.code,
        c.kind,
        status,
        c.output_areas,
        c.residents,
        c.estimated_output_areas,
        c.estimated_residents,
        headline,
        "loaded part",
    )


def _region(
    code: str,
    rows: pd.DataFrame,
    directory_areas: list[str],
    region_areas: list[str],
    districts: pd.DataFrame,
) -> Coverage:
    n, res = len(rows), float(rows["residents"].sum())
    official = rows["region_source"].fillna("").astype(str).str.startswith("official")
    lads = sorted(rows["lad"].dropna().unique())
    partial_lads = [
        d for d in lads if d in districts.index and districts.loc[d, "missing_output_areas"] > 0
    ]
    full = len(directory_areas) >= FULL_DIRECTORY_AREAS
    if (official.all() and not partial_lads) or (full and not partial_lads):
        return Coverage(code, "region", "whole", n, res, n, res)
    where = ", ".join(region_areas) or "none"
    missing = float(districts.loc[partial_lads, "missing_residents"].sum())
    headline = (
        f"partial: this region here is only what lies in the loaded postcode "
        f"areas ({where}): {_oas(n)} ({_n(res)} residents) in parts of "
        f"{len(lads)} local authorit{'y' if len(lads) == 1 else 'ies'}"
    )
    if partial_lads:
        headline += (
            f"; {len(partial_lads)} of them are partial (at least {_n(missing)} residents missing)"
        )
    return Coverage(
        code,
        "region",
        "partial",
        n,
        res,
        n,
        res + missing,
        headline,
        f"{where} only" if region_areas else "loaded part",
    )


def _without_lsoas(
    code: str, kind: str, rows: pd.DataFrame, source: pd.Series, directory: list[str]
) -> Coverage:
    """No OA to LSOA lookup: whole only by an official lookup or a full directory."""
    n, res = len(rows), float(rows["residents"].sum())
    official = source.fillna("").astype(str).str.startswith("official").all()
    if official or len(directory) >= FULL_DIRECTORY_AREAS:
        return Coverage(code, kind, "whole", n, res, n, res)
    return Coverage(
        code,
        kind,
        "unknown",
        n,
        res,
        n,
        res,
        f"may be partial: the loaded postcode directory covers {len(directory)} "
        "postcode areas only and no OA to LSOA lookup is loaded to check what is "
        "missing",
        "loaded part",
    )


def area_coverage(
    frame: pd.DataFrame,
    kind: str,
    code: str,
    *,
    directory_areas: list[str] | None = None,
    region_areas: list[str] | None = None,
    cache: dict[object, object] | None = None,
) -> Coverage:
    """The coverage of one area of the store.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per England and Wales output area with ``oa, lsoa21, lad, ward, region,
        lad_source, ward_source, region_source, postcodes, residents``.
    kind : str
        ``lad``, ``ward`` or ``region`` (other kinds are whole by construction).
    code : str
        The area.
    directory_areas : list of str, optional
        Postcode areas of the loaded directory (``HX``, ``WN``...).
    region_areas : list of str, optional
        Postcode areas holding the region's output areas (for the region's label).
    cache : dict, optional
        Where the per-kind estimates are kept between calls (e.g. a batch).

    Returns
    -------
    Coverage
    """
    store: dict[object, object] = cache if cache is not None else {}
    column = {"lad": "lad", "ward": "ward", "region": "region"}.get(kind)
    if column is None:
        return Coverage(code, kind, "whole", 0, 0.0, 0, 0.0)
    rows = frame[frame[column] == code]
    if rows.empty:
        return Coverage(code, kind, "unknown", 0, 0.0, 0, 0.0)
    directory = list(directory_areas or [])
    if not frame["lsoa21"].notna().any():
        return _without_lsoas(code, kind, rows, rows[f"{column}_source"], directory)
    if "coverage.lad" not in store:
        store["coverage.lad"] = district_estimates(frame)
    districts: pd.DataFrame = store["coverage.lad"]  # type: ignore[assignment]
    if kind == "lad":
        return _district(code, frame, districts)
    if kind == "region":
        return _region(code, rows, directory, list(region_areas or []), districts)
    if "coverage.ward" not in store:
        store["coverage.ward"] = ward_estimates(frame)
    wards: pd.DataFrame = store["coverage.ward"]  # type: ignore[assignment]
    lad = wards.loc[code, "lad"]
    parent = _district(str(lad), frame, districts) if isinstance(lad, str) else None
    return _ward(code, frame, wards, parent)
