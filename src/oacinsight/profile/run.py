"""Customer profiles from files: match (or read a matched file), choose the area and
the base, count per OAC group, and compute the profile.

:func:`profile_file` is what ``oacinsight profile`` and the web app call;
:func:`compare_file` (``profile --by`` / ``--period``) profiles each slice of a file.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, overload

import pandas as pd

from oacinsight.errors import InputFileError, OacInsightError, StoreError
from oacinsight.match import Assignment, assign_areas, assign_rows, reference_store
from oacinsight.profile.cellkey import DISCLOSURE_METHODS
from oacinsight.profile.classification import LocalClassification
from oacinsight.profile.local import local_counts, open_classification, restrict_area
from oacinsight.profile.result import RESULT_LEVELS, ProfileResult
from oacinsight.store import Store, cellkeys, matching, profiles
from oacinsight.tabular import open_input

if TYPE_CHECKING:
    from oacinsight.profile.comparison import ComparisonResult

CENSUS_BASES = {
    "residents": ("census_ts001", "ts0010001", "usual residents (Census 2021 TS001)"),
    "households": ("census_ts041", "ts0410001", "households (Census 2021 TS041)"),
}
#: The default area: the local authorities holding at least this share of the matched
#: customers, or at least ``DEFAULT_MIN_CUSTOMERS`` of them (docs/profile.md).
DEFAULT_SHARE = 0.05
DEFAULT_MIN_CUSTOMERS = 20
#: Places the customers with another engine (the Spark engine's, see
#: :mod:`oacinsight.spark`): given the store and whether cell keys are wanted, the
#: :class:`~oacinsight.match.Assignment` that :func:`~oacinsight.match.assign_areas`
#: gives (rows, rows per status, ``oa, records, amount`` and ``ckey`` when keyed).
CustomerLoader = Callable[[Store, bool], Assignment]
_OA_COLUMNS = ("oa21", "oa", "oa21cd", "oa_code", "output_area", "geography_code")
_COUNT_COLUMNS = (
    "base",
    "count",
    "n",
    "population",
    "residents",
    "households",
    "value",
    "total",
    "customers",
)


def compare_file(
    input_path: str | os.PathLike[str],
    *,
    by: str | None = None,
    period: str | None = None,
    freq: str = "year",
    store: Store | str | os.PathLike[str] | None = None,
    level: str = "supergroup",
    base: str = "residents",
    areas: list[str] | None = None,
    confidence: float = 0.95,
    suppress_below: int = 10,
    postcode_column: str | None = None,
    disclosure: str = "suppress",
) -> ComparisonResult:
    """Services, channels or periods side by side: one profile per value of the column
    ``by`` (or per ``period`` of the date column, ``freq`` year, quarter or month), every
    slice against the area and base of the overall profile, one disclosure pattern.

    The other parameters are those of :func:`profile_file`; ``profile_file(...,
    by=...)`` (or ``period=...``) calls this function.  Made by
    :func:`oacinsight.profile.by.profile_by`; see docs/profile.md.
    """
    from oacinsight.profile.by import SliceOptions, profile_by

    return profile_by(
        input_path,
        SliceOptions(by=by, period=period, freq=freq),
        profile=profile_file,
        store=store,
        level=level,
        base=base,
        areas=areas,
        confidence=confidence,
        suppress_below=suppress_below,
        postcode_column=postcode_column,
        disclosure=disclosure,
    )


@overload
def profile_file(
    input_path: str | os.PathLike[str],
    *,
    store: Store | str | os.PathLike[str] | None = ...,
    level: str = ...,
    base: str = ...,
    areas: list[str] | None = ...,
    confidence: float = ...,
    suppress_below: int = ...,
    postcode_column: str | None = ...,
    disclosure: str = ...,
    classification: str | os.PathLike[str] | None = ...,
    by: None = ...,
    period: None = ...,
    freq: str = ...,
    customers: CustomerLoader | None = ...,
) -> ProfileResult: ...
@overload
def profile_file(
    input_path: str | os.PathLike[str],
    *,
    store: Store | str | os.PathLike[str] | None = ...,
    level: str = ...,
    base: str = ...,
    areas: list[str] | None = ...,
    confidence: float = ...,
    suppress_below: int = ...,
    postcode_column: str | None = ...,
    disclosure: str = ...,
    classification: str | os.PathLike[str] | None = ...,
    by: str | None = ...,
    period: str | None = ...,
    freq: str = ...,
    customers: CustomerLoader | None = ...,
) -> ProfileResult | ComparisonResult: ...
def profile_file(
    input_path: str | os.PathLike[str],
    *,
    store: Store | str | os.PathLike[str] | None = None,
    level: str = "supergroup",
    base: str = "residents",
    areas: list[str] | None = None,
    confidence: float = 0.95,
    suppress_below: int = 10,
    postcode_column: str | None = None,
    disclosure: str = "suppress",
    classification: str | os.PathLike[str] | None = None,
    by: str | None = None,
    period: str | None = None,
    freq: str = "year",
    customers: CustomerLoader | None = None,
) -> ProfileResult | ComparisonResult:
    """Profile a customer file (raw, or the output of ``match``) against a base.

    Parameters
    ----------
    input_path : path
        Customer records (CSV, XLSX, Parquet).  A file with ``match_status`` and ``oa21``
        columns is used as matched; any other is matched on the fly.
    store : Store or path, optional
        The reference store.
    level : {'supergroup', 'group', 'subgroup', 'all'}
        OAC tier; ``all`` gives the three tiers nested.
    base : 'residents', 'households' or a path
        What customers are compared with: Census 2021 usual residents (TS001),
        households (TS041), or a file of counts per OA or per postcode, or another
        customer file (then the base is treated as a sample).
    areas : list of str, optional
        Local authority, region, ward or country codes.  Default: the local authorities
        holding at least 5% of the matched customers or at least 20 of them; the others
        are listed in the result as excluded, with their counts.
    confidence : float
        Level of the confidence interval of the index.
    suppress_below : int
        Counts from 0 to ``suppress_below - 1`` are hidden in published outputs (plus
        the audited secondary suppression, see docs/profile.md).
    postcode_column : str, optional
        The postcode column, when it cannot be found by name or content.
    disclosure : {'suppress', 'cellkey'}
        Hide small counts (default) or perturb every count with the cell key method.
    classification : path, optional
        The output folder of ``oacinsight build``: profile against its clusters (and
        the names in its ``names.csv``) instead of the OAC; see docs/build.md.
    by, period, freq : optional
        ``by="service"``: one profile per value of that column; ``period="date"`` with
        ``freq`` (year, quarter, month): one profile per period.  Then this is
        :func:`compare_file` and the result a
        :class:`~oacinsight.profile.comparison.ComparisonResult` (call
        :func:`compare_file` itself where the type matters).
    customers : callable, optional
        Count the customers with another engine (see :data:`CustomerLoader`);
        ``input_path`` then only names them.

    Returns
    -------
    ProfileResult, or ComparisonResult with ``by`` or ``period``
    """
    if customers is not None and (by or period or classification):
        raise OacInsightError(
            "--by, --period and --classification work with the default engine only"
        )
    if by is not None or period is not None:
        if classification is not None:
            raise OacInsightError(
                "--by and --period do not work with --classification yet (slices are "
                "counted by OAC codes; docs/profile.md)"
            )
        return compare_file(
            input_path,
            by=by,
            period=period,
            freq=freq,
            store=store,
            level=level,
            base=base,
            areas=areas,
            confidence=confidence,
            suppress_below=suppress_below,
            postcode_column=postcode_column,
            disclosure=disclosure,
        )
    if level not in RESULT_LEVELS:
        raise OacInsightError(f"unknown level {level!r}; use {', '.join(RESULT_LEVELS)}")
    if disclosure not in DISCLOSURE_METHODS:
        raise OacInsightError(
            f"unknown disclosure {disclosure!r}; use {' or '.join(DISCLOSURE_METHODS)}"
        )
    local = open_classification(classification, level)
    with reference_store(store) as s:
        return _profile(
            s,
            input_path,
            level,
            base,
            areas,
            confidence,
            suppress_below,
            postcode_column,
            disclosure,
            local,
            customers,
        )


def _profile(
    s: Store,
    input_path: str | os.PathLike[str],
    level: str,
    base: str,
    areas: list[str] | None,
    confidence: float,
    suppress_below: int,
    postcode_column: str | None,
    disclosure: str = "suppress",
    local: LocalClassification | None = None,
    loader: CustomerLoader | None = None,
) -> ProfileResult:
    keyed = disclosure == "cellkey"
    found = _customers(s, input_path, postcode_column, keyed, loader)
    customers = found.placed().rename(columns={"records": "customers"})
    codes, excluded, rule = _choose_areas(s, areas, found.matched, customers)
    oas = profiles.area_oas(s, codes)
    outside: list[str] = []
    if local is not None:
        oas, outside = restrict_area(oas, customers, local, suppress_below)
    n_in_area = int(customers.loc[customers["oa"].isin(oas), "customers"].sum())
    if n_in_area == 0:
        raise InputFileError(
            f"none of the {found.matched:,} matched customers live in {', '.join(codes)}"
        )
    base_frame, base_name, is_sample = _base(s, base, postcode_column, oas)
    # always all three levels: one disclosure pattern for the whole hierarchy, sliced
    counts = _counts(s, oas, customers, base_frame, keyed, local)
    names = profiles.area_names(s.con, [*codes, *(c for c, _ in excluded if c)])
    result = ProfileResult.from_counts(
        counts,
        level=level,
        base_name=base_name,
        areas=[(c, names.get(c, c)) for c in codes],
        n_input=found.rows,
        n_matched=found.matched,
        n_in_area=n_in_area,
        unmatched=found.unmatched(),
        confidence=confidence,
        suppress_below=suppress_below,
        base_is_sample=is_sample,
        disclosure=disclosure,
    )
    result.area_rule = rule
    result.excluded_areas = [
        (c or "", names.get(c, c) if c else "no local authority known", n) for c, n in excluded
    ]
    result.coverage_notes = _coverage_notes(s, codes, names) + outside
    result.classification = local.to_dict() if local is not None else None
    return result


def _counts(
    s: Store,
    oas: list[str],
    customers: pd.DataFrame,
    base: pd.DataFrame,
    keyed: bool,
    local: LocalClassification | None,
) -> pd.DataFrame:
    """Customers and base per cell of the whole hierarchy (with cell keys when ``keyed``)."""
    if local is not None:
        return local_counts(s.con, local, oas, customers, base, keyed)
    counts = profiles.group_counts(s.con, oas, customers, base, ["supergroup", "group", "subgroup"])
    if keyed:
        keys = cellkeys.cell_keys(s.con, oas, customers)
        counts = counts.merge(keys, on=["level", "code"], how="left")
    return counts


def _coverage_notes(s: Store, codes: list[str], names: dict[str, str]) -> list[str]:
    """First lines of every output: areas only partly held by the store, missing names."""
    from oacinsight.areas.coverage_notes import profile_coverage_lines

    return profile_coverage_lines(s, codes, names)


def _customers(
    s: Store,
    input_path: str | os.PathLike[str],
    postcode_column: str | None,
    keyed: bool = False,
    customers: CustomerLoader | None = None,
) -> Assignment:
    """The customers per output area (and their record keys when ``keyed``), placed by
    the match pipeline (:func:`oacinsight.match.assign_areas`) or by another engine
    (``customers``)."""
    if customers is not None:
        found = customers(s, keyed)
    else:
        found = assign_areas(s, input_path, postcode_column=postcode_column, keyed=keyed)
    if found.matched == 0:
        raise InputFileError(
            f"none of the {found.rows:,} rows matched an OAC group "
            f"({_describe(found.counts)}); check the postcode column and the store"
        )
    return found


def _describe(statuses: dict[str, int]) -> str:
    shown = sorted(((k, v) for k, v in statuses.items() if v), key=lambda kv: -kv[1])
    return ", ".join(f"{k} {v:,}" for k, v in shown)


def _choose_areas(
    s: Store, areas: list[str] | None, n_matched: int, customers: pd.DataFrame
) -> tuple[list[str], list[tuple[str | None, int]], str]:
    """The area codes, the districts left out with their customers, and the rule used."""
    codes = [c.strip().upper() for c in (areas or []) if c.strip()]
    if not codes:
        return default_areas(profiles.customers_by_district(s, customers), n_matched)
    for code in codes:
        _kind, n = profiles.resolve_area(s, code)
        if n == 0:
            raise InputFileError(
                f"area code {code} is not known to the store (use a local authority, region, "
                "ward or country GSS code, e.g. E08000010)"
            )
    return codes, [], "chosen with --area"


def default_areas(
    counts: list[tuple[str | None, int]], n_matched: int
) -> tuple[list[str], list[tuple[str | None, int]], str]:
    """The default area from matched customers per district (``None``: no district).

    A district is in when it holds at least 5% of the matched customers or at least 20
    of them; when none does, the district(s) holding the most.  Returns the codes (most
    customers first), the districts left out with their customers, and the rule in words.
    """
    known = [(c, n) for c, n in counts if c is not None]
    if not known:
        raise StoreError("cannot tell the local authority of the matched customers")
    need = DEFAULT_SHARE * n_matched
    chosen = [c for c, n in known if n >= need or n >= DEFAULT_MIN_CUSTOMERS]
    rule = (
        f"default: the local authorities holding at least {DEFAULT_SHARE:.0%} of the "
        f"{n_matched:,} matched customers or at least {DEFAULT_MIN_CUSTOMERS} of them "
        "(--area to choose)"
    )
    if not chosen:
        top = max(n for _, n in known)
        chosen = [c for c, n in known if n == top]
        rule += "; none does, so the one(s) holding the most"
    excluded = [(c, n) for c, n in counts if c not in chosen]
    return chosen, excluded, rule


def _base(
    s: Store, base: str, postcode_column: str | None, oas: list[str]
) -> tuple[pd.DataFrame, str, bool]:
    """The base per output area (``oa, base``), its description and whether it is a
    sample."""
    if base in CENSUS_BASES:
        table, column, name = CENSUS_BASES[base]
        if not s.has_table(table):
            raise StoreError(
                f"the store has no census table {table[7:]} for --base {base}: ingest "
                f"{table[7:]}.parquet (or the Nomis CSV) with 'oacinsight data ingest'"
            )
        frame = profiles.census_base(s.con, table, column, oas)
        _check_coverage(oas, frame, name)
        return frame, name, False
    path = Path(base)
    if not path.exists():
        raise InputFileError(
            f"--base {base!r}: use residents, households or the path of a file of counts"
        )
    return _file_base(s, path, postcode_column)


def base_coverage(oas: list[str], base: pd.DataFrame) -> tuple[int, int]:
    """(output areas in the area, of which with a base value)."""
    return len(set(oas)), int(pd.Series(sorted(set(oas)), dtype=object).isin(base["oa"]).sum())


def _check_coverage(oas: list[str], base: pd.DataFrame, name: str) -> None:
    n_oas, with_base = base_coverage(oas, base)
    if with_base == 0:
        raise StoreError(
            f"no {name} counts for the {n_oas:,} output areas of the chosen area "
            "(Census 2021 tables cover England and Wales only)"
        )


def _file_base(s: Store, path: Path, postcode_column: str | None) -> tuple[pd.DataFrame, str, bool]:
    """A base from a file: counts per OA, counts per postcode, or rows of records."""
    with open_input(path) as src, matching.loaded_input(s.con, src) as rows:
        lower = {c.lower(): c for c in rows.columns}
        oa = next((lower[c] for c in _OA_COLUMNS if c in lower), None)
        count = next((lower[c] for c in _COUNT_COLUMNS if c in lower), None)
        if oa and count:
            given = matching.column_totals(s.con, rows, oa, count)
            frame = profiles.frame_base(given.rename(columns={"key": "oa", "amount": "base"}))
            return frame, f"{path.name} (counts per output area)", False
        found = assign_rows(s, src, rows, postcode_column=postcode_column, amount_column=count)
    placed = found.placed()
    if placed.empty:
        raise InputFileError(f"{path.name}: no row of the base file matched an output area")
    frame = profiles.frame_base(placed.rename(columns={"amount": "base"}))
    if count:
        return frame, f"{path.name} (counts per postcode)", False
    return frame, f"{path.name} (records, treated as a sample)", True
