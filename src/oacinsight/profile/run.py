"""Customer profiles from files: match (or read a matched file), choose the area and
the base, count per OAC group, and compute the profile.

:func:`profile_file` is what ``oacinsight profile`` and the web app call.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from oacinsight.errors import InputFileError, OacInsightError, StoreError
from oacinsight.match import MATCHED, choose_postcode_column, reference_store
from oacinsight.profile.cellkey import DISCLOSURE_METHODS
from oacinsight.profile.result import RESULT_LEVELS, ProfileResult
from oacinsight.store import Store, cellkeys, matching, profiles
from oacinsight.tabular import open_input

CENSUS_BASES = {
    "residents": ("census_ts001", "ts0010001", "usual residents (Census 2021 TS001)"),
    "households": ("census_ts041", "ts0410001", "households (Census 2021 TS041)"),
}
#: The default area: the local authorities holding at least this share of the matched
#: customers, or at least ``DEFAULT_MIN_CUSTOMERS`` of them (docs/profile.md).
DEFAULT_SHARE = 0.05
DEFAULT_MIN_CUSTOMERS = 20
#: Fills ``cust_oa`` (and ``cust_keys`` when its flag is true) on a store's connection
#: and returns the rows read and the rows per match status: another engine's
#: replacement for reading and matching the input here (the Spark engine's, see
#: :mod:`oacinsight.spark`).
CustomerLoader = Callable[[Store, bool], tuple[int, dict[str, int]]]
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
    customers: CustomerLoader | None = None,
) -> ProfileResult:
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
    customers : callable, optional
        Count the customers with another engine (see :data:`CustomerLoader`);
        ``input_path`` then only names them.

    Returns
    -------
    ProfileResult
    """
    if level not in RESULT_LEVELS:
        raise OacInsightError(f"unknown level {level!r}; use {', '.join(RESULT_LEVELS)}")
    if disclosure not in DISCLOSURE_METHODS:
        raise OacInsightError(
            f"unknown disclosure {disclosure!r}; use {' or '.join(DISCLOSURE_METHODS)}"
        )
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
    customers: CustomerLoader | None = None,
) -> ProfileResult:
    con = s.con
    keyed = disclosure == "cellkey"
    n_input, statuses, n_matched = _customers(s, input_path, postcode_column, keyed, customers)
    profiles.set_membership(s)
    codes, excluded, rule = _choose_areas(con, areas, n_matched)
    profiles.set_area(con, codes)
    n_in_area = profiles.in_area_total(con)
    if n_in_area == 0:
        raise InputFileError(
            f"none of the {n_matched:,} matched customers live in {', '.join(codes)}"
        )
    base_name, is_sample = _set_base(s, base, postcode_column)
    # always all three levels: one disclosure pattern for the whole hierarchy, sliced
    counts = profiles.group_counts(con, ["supergroup", "group", "subgroup"])
    if keyed:
        counts = counts.merge(cellkeys.cell_keys(con), on=["level", "code"], how="left")
    names = profiles.area_names(con, [*codes, *(c for c, _ in excluded if c)])
    result = ProfileResult.from_counts(
        counts,
        level=level,
        base_name=base_name,
        areas=[(c, names.get(c, c)) for c in codes],
        n_input=n_input,
        n_matched=n_matched,
        n_in_area=n_in_area,
        unmatched={k: v for k, v in statuses.items() if k not in MATCHED},
        confidence=confidence,
        suppress_below=suppress_below,
        base_is_sample=is_sample,
        disclosure=disclosure,
    )
    result.area_rule = rule
    result.excluded_areas = [
        (c or "", names.get(c, c) if c else "no local authority known", n) for c, n in excluded
    ]
    result.coverage_notes = _coverage_notes(s, codes, names)
    return result


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
) -> tuple[int, dict[str, int], int]:
    """Count customers per OA (and their record keys when ``keyed``); return rows in,
    rows per status, rows matched."""
    if customers is not None:
        n_input, statuses = customers(s, keyed)
    else:
        with open_input(input_path) as src:
            n_input, statuses = _load_customers(s, src, postcode_column, keyed)
    n_matched = sum(statuses.get(k, 0) for k in MATCHED)
    if n_matched == 0:
        raise InputFileError(
            f"none of the {n_input:,} rows matched an OAC group "
            f"({_describe(statuses)}); check the postcode column and the store"
        )
    return n_input, statuses, n_matched


def _describe(statuses: dict[str, int]) -> str:
    return ", ".join(f"{k} {v:,}" for k, v in sorted(statuses.items(), key=lambda kv: -kv[1]))


def _load_customers(
    s: Store, src, postcode_column: str | None, keyed: bool = False
) -> tuple[int, dict[str, int]]:
    """Fill ``cust_oa``; return the number of input rows and rows per match status."""
    con = s.con
    columns = matching.load_input(con, src)
    n = matching.row_count(con)
    if n == 0:
        raise InputFileError(f"{src.name}: has a header but no data rows")
    if {"match_status", "oa21"} <= set(columns) and postcode_column is None:
        view = "temp.inp"
    else:
        column = choose_postcode_column(
            columns, postcode_column, lambda cols: matching.postcode_shares(con, cols)
        )
        editions = ", ".join(matching.editions(con)) or "loaded edition"
        matching.create_matched(con, columns, column, editions, s.cache)
        view = "temp.matched"
    profiles.customers_from_view(con, view)
    if keyed:
        cellkeys.record_keys(con, view, list(columns))
    return n, profiles.status_counts_of(con, view)


def _choose_areas(
    con, areas: list[str] | None, n_matched: int
) -> tuple[list[str], list[tuple[str | None, int]], str]:
    """The area codes, the districts left out with their customers, and the rule used."""
    codes = [c.strip().upper() for c in (areas or []) if c.strip()]
    if not codes:
        return default_areas(profiles.customers_by_district(con), n_matched)
    for code in codes:
        _kind, n = profiles.resolve_area(con, code)
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


def _set_base(s: Store, base: str, postcode_column: str | None) -> tuple[str, bool]:
    """Fill ``base_oa``; return a description of the base and whether it is a sample."""
    con = s.con
    if base in CENSUS_BASES:
        table, column, name = CENSUS_BASES[base]
        if not s.has_table(table):
            raise StoreError(
                f"the store has no census table {table[7:]} for --base {base}: ingest "
                f"{table[7:]}.parquet (or the Nomis CSV) with 'oacinsight data ingest'"
            )
        profiles.census_base(con, table, column)
        _check_coverage(con, name)
        return name, False
    path = Path(base)
    if not path.exists():
        raise InputFileError(
            f"--base {base!r}: use residents, households or the path of a file of counts"
        )
    return _file_base(s, path, postcode_column)


def _check_coverage(con, name: str) -> None:
    n_oas, with_base = profiles.base_coverage(con)
    if with_base == 0:
        raise StoreError(
            f"no {name} counts for the {n_oas:,} output areas of the chosen area "
            "(Census 2021 tables cover England and Wales only)"
        )


def _file_base(s: Store, path: Path, postcode_column: str | None) -> tuple[str, bool]:
    """A base from a file: counts per OA, counts per postcode, or rows of records."""
    con = s.con
    with open_input(path) as src:
        columns = matching.load_input(con, src)
        lower = {c.lower(): c for c in columns}
        oa = next((lower[c] for c in _OA_COLUMNS if c in lower), None)
        count = next((lower[c] for c in _COUNT_COLUMNS if c in lower), None)
        if oa and count:
            frame = profiles.input_oa_counts(con, oa, count)
            profiles.frame_base(con, frame)
            return f"{path.name} (counts per output area)", False
        view = "temp.inp"
        if not {"match_status", "oa21"} <= set(columns):
            column = choose_postcode_column(
                columns, postcode_column, lambda cols: matching.postcode_shares(con, cols)
            )
            editions = ", ".join(matching.editions(con)) or "loaded edition"
            matching.create_matched(con, columns, column, editions, s.cache)
            view = "temp.matched"
        frame = profiles.matched_amounts(con, view, count)
    if frame.empty:
        raise InputFileError(f"{path.name}: no row of the base file matched an output area")
    profiles.frame_base(con, pd.DataFrame(frame))
    if count:
        return f"{path.name} (counts per postcode)", False
    return f"{path.name} (records, treated as a sample)", True
