"""Reading the inputs of a need analysis as values: customers per OA (a frame), the
area (codes and their output areas), the base (a frame), observed counts and a rates file.

Customers are placed by the match pipeline (:func:`oacinsight.match.assign_areas`) and
counted per output area, and the area and base are built, with the same store functions
the profile uses (:mod:`oacinsight.store.profiles`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from oacinsight.errors import InputFileError, StoreError
from oacinsight.match import Assignment, assign_areas, assign_rows
from oacinsight.store import Store, matching, profiles
from oacinsight.store import need as sql
from oacinsight.tabular import open_input

__all__ = [
    "CENSUS_BASES",
    "Observed",
    "RowAssigner",
    "area_of",
    "base_of",
    "base_spec",
    "census_base",
    "choose_area",
    "code_kind",
    "customers_of",
    "load_customers",
    "load_observed",
    "no_base",
    "observed_by_code",
    "observed_in_area",
    "read_table",
]

CENSUS_BASES = {
    "residents": ("census_ts001", "ts0010001", "usual residents (Census 2021 TS001)"),
    "households": ("census_ts041", "ts0410001", "households (Census 2021 TS041)"),
}
_OA_COLUMNS = ("oa21", "oa", "oa21cd", "oa_code", "output_area", "geography_code")
_COUNT_COLUMNS = (
    "observed",
    "count",
    "n",
    "claimants",
    "users",
    "value",
    "total",
    "base",
    "population",
    "residents",
    "households",
)
_CODE_TYPES = {
    "E00": "oa",
    "W00": "oa",
    "E01": "lsoa",
    "W01": "lsoa",
    "E05": "ward",
    "W05": "ward",
    "E06": "lad",
    "E07": "lad",
    "E08": "lad",
    "E09": "lad",
    "W06": "lad",
}
_GSS = re.compile(r"^[EW]0\d{7}$")
#: Matches and counts loaded rows per output area: the signature of
#: :func:`oacinsight.match.assign_rows` (another engine passes its own).
RowAssigner = Callable[..., Assignment]


def load_customers(
    s: Store, path: str | os.PathLike[str], postcode_column: str | None
) -> tuple[dict[str, int], pd.DataFrame]:
    """The customers per output area (``oa, customers``), placed by the match pipeline
    (:func:`oacinsight.match.assign_areas`), and the rows in and per match status."""
    return customers_of(assign_areas(s, path, postcode_column=postcode_column), Path(path).name)


def customers_of(found: Assignment, name: str) -> tuple[dict[str, int], pd.DataFrame]:
    """:func:`load_customers` of records already counted per output area (by this
    engine or another: :mod:`oacinsight.spark.need`)."""
    if found.matched == 0:
        raise InputFileError(f"none of the {found.rows:,} rows of {name} matched an OAC group")
    customers = found.placed().rename(columns={"records": "customers"})[["oa", "customers"]]
    statuses = {k: v for k, v in found.counts.items() if v}
    return {"rows": found.rows, **statuses}, customers


def choose_area(s: Store, areas: list[str], customers: pd.DataFrame | None) -> list[str]:
    """The area codes (default, when ``customers`` are given: the districts holding them)."""
    codes = [c.strip().upper() for c in areas if c.strip()]
    if not codes and customers is not None:
        codes = profiles.default_areas(s, customers)
    if not codes:
        raise InputFileError(
            "choose the area with --area (local authority, ward, region or country GSS codes)"
        )
    for code in codes:
        if profiles.resolve_area(s, code)[1] == 0:
            raise InputFileError(
                f"area code {code} is not known to the store (use a local "
                "authority, region, ward or country GSS code)"
            )
    return codes


def area_of(
    s: Store, areas: list[str], customers: pd.DataFrame | None
) -> tuple[list[str], list[str]]:
    """The area codes (:func:`choose_area`) and their output areas."""
    codes = choose_area(s, areas, customers)
    return codes, profiles.area_oas(s, codes)


def base_of(s: Store, base: str, oas: list[str]) -> tuple[pd.DataFrame, str]:
    """The base per output area of ``oas`` (``oa, base``) from a census table or a file
    of counts per output area, and its description."""
    if base in CENSUS_BASES:
        table, column, name = census_base(s, base)
        frame = profiles.census_base(s.con, table, column, oas)
    else:
        given, name = _base_file(s, Path(base))
        frame = profiles.frame_base(given)
    wanted = set(oas)
    if not any(oa in wanted for oa in frame["oa"].tolist()):
        raise no_base(len(wanted), name)
    return frame, name


def base_spec(s: Store, base: str) -> tuple[pd.DataFrame | str, str]:
    """What :func:`oacinsight.store.need.area_oas` takes as the base: the name of a
    census base it joins itself (``residents``, ``households``: no round trip of
    188,880 values), else the file's counts per output area; and its description."""
    if base in CENSUS_BASES:
        return base, census_base(s, base)[2]
    given, name = _base_file(s, Path(base))
    return profiles.frame_base(given), name


def census_base(s: Store, base: str) -> tuple[str, str, str]:
    """The census table, column and description of a census base, refused with a
    one-line reason when the store lacks the table."""
    table, column, name = CENSUS_BASES[base]
    if not s.has_table(table):
        raise StoreError(
            f"the store has no census table {table[7:]} for --base {base}: "
            f"ingest {table[7:]}.parquet with 'oacinsight data ingest'"
        )
    return table, column, name


def no_base(n_oas: int, name: str) -> StoreError:
    """The error for a base with no counts for any output area of the area."""
    return StoreError(
        f"no {name} counts for the {n_oas:,} output areas of the area "
        "(Census 2021 tables cover England and Wales only)"
    )


def _base_file(s: Store, path: Path) -> tuple[pd.DataFrame, str]:
    if not path.exists():
        raise InputFileError(
            f"--base {str(path)!r}: use residents, households or the path "
            "of a file of counts per output area"
        )
    frame = read_table(s, path)
    lower = {c.lower(): c for c in frame.columns}
    oa = next((lower[c] for c in _OA_COLUMNS if c in lower), None)
    count = next((lower[c] for c in _COUNT_COLUMNS if c in lower), None)
    if not (oa and count):
        raise InputFileError(
            f"{path.name}: a base file needs an output-area column "
            f"({', '.join(_OA_COLUMNS)}) and a count column"
        )
    base = pd.DataFrame(
        {
            "oa": frame[oa].astype(str).str.strip(),
            "base": pd.to_numeric(frame[count], errors="coerce"),
        }
    )
    return base, f"{path.name} (counts per output area)"


def read_table(s: Store, path: str | os.PathLike[str]) -> pd.DataFrame:
    """A small user table (CSV, XLSX, Parquet) as text columns."""
    with open_input(path) as src, matching.loaded_input(s.con, src) as rows:
        frame = matching.input_frame(s.con, rows)
    if frame.empty:
        raise InputFileError(f"{Path(path).name}: has a header but no data rows")
    return frame


class Observed:
    """Observed counts per area code of one type, and how the file's rows were used."""

    def __init__(self, counts: pd.Series, kind: str, accounting: dict[str, float]) -> None:
        self.counts, self.kind, self.accounting = counts, kind, accounting


def load_observed(
    s: Store,
    path: str | os.PathLike[str],
    postcode_column: str | None,
    count_column: str | None,
    oas: list[str],
    assign: RowAssigner | None = None,
) -> Observed:
    """Observed counts from postcodes (matched to OAs) or area codes (OA, LSOA, ward,
    district), one row per person or with a count column; ``oas`` is the area.
    ``assign`` matches and counts the postcodes with another engine (the signature of
    :func:`oacinsight.match.assign_rows`)."""
    name = Path(path).name
    with open_input(path) as src, matching.loaded_input(s.con, src) as rows:
        if rows.count == 0:
            raise InputFileError(f"{name}: has a header but no data rows")
        frame = matching.input_frame(s.con, rows)
        count = _count_column(list(rows.columns), count_column, name)
        code_col = None if postcode_column else _code_column(frame)
        if code_col is not None:
            return _by_code(s, frame, code_col, count, name)
        found = (assign or assign_rows)(
            s, src, rows, postcode_column=postcode_column, amount_column=count
        )
    return observed_in_area(found, oas, name)


def observed_in_area(found: Assignment, oas: list[str], name: str) -> Observed:
    """Observed counts per output area of the area ``oas`` from records counted per
    output area (``amount``), and the accounting of the rows."""
    per = found.per_oa
    _check_plausible(per["amount"], name)
    placed = per[per["oa"].notna()].set_index("oa")["amount"]
    area = set(oas)
    inside = placed[placed.index.isin(area)]
    acc = {
        "observed_rows": float(found.rows),
        "observed_not_placed": float(per.loc[per["oa"].isna(), "amount"].sum()),
        "observed_outside_area": float(placed[~placed.index.isin(area)].sum()),
        "observed_in_area": float(inside.sum()),
    }
    if inside.sum() <= 0:
        raise InputFileError(f"{name}: no observed count falls inside the chosen area")
    return Observed(inside.rename("observed"), "oa", acc)


#: More people than live in the United Kingdom: no area's observed count can be this.
MAX_OBSERVED = 100_000_000


def _check_plausible(counts: pd.Series, name: str) -> None:
    """Refuse observed counts no area can hold (a count column of another unit, 1e300)."""
    values = counts.to_numpy(dtype=float)
    bad = ~np.isfinite(values) | (values > MAX_OBSERVED)
    if bad.any():
        raise InputFileError(
            f"{name}: an observed count of {values[bad][0]:.3g} for one area is more "
            f"than {MAX_OBSERVED:,} people: give counts of people (--observed-count)"
        )


def _count_column(columns: list[str], wanted: str | None, name: str) -> str | None:
    if wanted:
        hits = [c for c in columns if c.strip().lower() == wanted.strip().lower()]
        if not hits:
            raise InputFileError(
                f"{name}: no column {wanted!r}; the columns are: {', '.join(columns)}"
            )
        return hits[0]
    lower = {c.strip().lower(): c for c in columns}
    return next((lower[c] for c in _COUNT_COLUMNS if c in lower), None)


def _code_column(frame: pd.DataFrame) -> str | None:
    """A column whose values are mostly GSS area codes (OA, LSOA, ward, district)."""
    for col in frame.columns:
        values = frame[col].dropna().astype(str).str.strip().str.upper()
        if (
            len(values)
            and values.str.match(_GSS).mean() >= 0.9
            and values.str[:3].isin(list(_CODE_TYPES)).mean() >= 0.9
        ):
            return str(col)
    return None


def _by_code(
    s: Store, frame: pd.DataFrame, code_col: str, count: str | None, name: str
) -> Observed:
    codes = frame[code_col].astype(str).str.strip().str.upper()
    kind = code_kind(codes.unique().tolist(), code_col, name)
    amount = (
        pd.to_numeric(frame[count], errors="coerce") if count else pd.Series(1.0, index=frame.index)
    )
    if amount.isna().any() or (amount < 0).any():
        raise InputFileError(f"{name}: every count in {count!r} must be a number of 0 or more")
    _check_plausible(amount.groupby(codes).sum(), name)
    return observed_by_code(s, amount.groupby(codes).sum(), kind, len(frame), name)


def code_kind(codes: Sequence[str], code_col: str, name: str) -> str:
    """The one kind of area code (``oa``, ``lsoa``, ``ward``, ``lad``) of ``codes``."""
    kinds = pd.Series(list(codes), dtype=object).str[:3].map(_CODE_TYPES)
    if kinds.nunique() != 1:
        raise InputFileError(
            f"{name}: column {code_col!r} mixes kinds of area code "
            f"({', '.join(sorted(kinds.dropna().unique()))}); use one kind"
        )
    return str(kinds.dropna().iloc[0])


def observed_by_code(s: Store, per: pd.Series, kind: str, rows: int, name: str) -> Observed:
    """Observed counts per area code (``per``, summed over the file's ``rows``)."""
    known = sql.code_types(s.con, list(per.index))
    unknown = [c for c in per.index if c not in known]
    if unknown:
        raise InputFileError(
            f"{name}: {len(unknown):,} area code(s) unknown to the store (e.g. {unknown[0]})"
        )
    acc = {"observed_rows": float(rows), "observed_in_area": float(per.sum())}
    return Observed(per, kind, acc)
