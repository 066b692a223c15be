"""Check each official file against what its kind must hold, before it replaces anything.

:func:`check_plan` measures every file of an ingest (through :mod:`oacinsight.store.checks`)
and compares it with what the store already holds.  It returns :class:`Problem` s:
*refusals* (the file is wrong: no rows, codes that are not codes, counts that are not
numbers, a table without its total) and *doubts* (the file is plausible but suspicious:
it would shrink what the store holds for an area, it is far smaller than its coverage, a
handful of rows are malformed), which ``--force`` lets through.  The checks are listed
in docs/data-sources.md ("What ingest checks").
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from oacinsight.errors import IngestError
from oacinsight.ingest.detect import Detected
from oacinsight.ingest.sniff import peek
from oacinsight.store import checks

#: A file may shrink what the store holds for an area by at most this share.
MARGIN = 0.01
#: Malformed rows up to this share of a file make it doubtful (``--force``), more refuse it.
FEW = 0.001
#: A whole-UK postcode directory has about 2.6 million rows; fewer than this is doubtful.
UK_WIDE_MIN = 1_000_000

#: The 2021 OAC: number of subgroups in each of its 21 groups (8 supergroups, 52 subgroups).
OAC2021_GROUP_SIZES: dict[str, int] = {
    "1a": 2, "1b": 2, "1c": 2, "2a": 3, "2b": 2, "2c": 2, "3a": 4, "3b": 2, "3c": 2,
    "4a": 3, "4b": 4, "4c": 2, "5a": 3, "5b": 2, "6a": 3, "6b": 3, "6c": 2, "7a": 2,
    "7b": 2, "8a": 2, "8b": 3,
}  # fmt: skip
OAC2021_SUBGROUPS = frozenset(
    f"{g}{i + 1}" for g, n in OAC2021_GROUP_SIZES.items() for i in range(n)
)
#: The 2011 OAC's codes (e.g. 4A2): 8 supergroups, 26 groups A-D, 76 subgroups 1-4.
OAC2011_LIKE = re.compile(r"^[1-8][a-d][1-4]$")
#: The columns of the census ``Table_Metadata.csv`` that are loaded.
METADATA_COLUMNS = ("Table_Name", "Variable_Name", "new_names", "Table_ID")
COUNTRIES = {
    "E": "England",
    "W": "Wales",
    "S": "Scotland",
    "N": "Northern Ireland",
    "L": "the Channel Islands",
    "M": "the Isle of Man",
    "K": "Great Britain",
}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one file; ``forceable`` when ``--force`` may override it."""

    file: str
    message: str
    forceable: bool = False

    def line(self) -> str:
        return f"{self.file}: {self.message}"


class IngestRefused(IngestError):
    """Files refused by the checks; the store was not touched."""

    def __init__(self, message: str, problems: list[Problem]) -> None:
        super().__init__(message)
        self.problems = problems


@dataclass
class _File:
    path: Path  # as the user named it
    source: Path  # what is read (a workbook's first sheet as CSV)
    found: Detected
    facts: dict


def check_plan(
    con: duckdb.DuckDBPyConnection, plan: list[tuple[Path, Path, Detected]]
) -> list[Problem]:
    """Every problem of every file of an ingest, against the store behind ``con``."""
    problems: list[Problem] = []
    files: list[_File] = []
    for path, source, found in plan:
        problems += _truncated(path, source)
        if found.kind == "boundaries":
            continue
        try:
            files.append(_File(path, source, found, _facts(con, source, found)))
        except duckdb.Error as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            problems.append(Problem(path.name, f"cannot be read as {found.kind} ({first})"))
    named, used = checks.store_subgroups(con)
    for f in files:
        if f.found.kind == "oac_names":
            named |= set(f.facts["subgroups"])
        if f.found.kind == "oac":
            used |= set(f.facts["subgroups"])
    for f in files:
        problems += _check_file(con, f, named, used)
    return problems


def enforce(problems: list[Problem], force: bool, say: Callable[[str], None]) -> None:
    """Raise :class:`IngestRefused` for refusals (and for doubts without ``force``)."""
    hard = [p for p in problems if not p.forceable]
    soft = [p for p in problems if p.forceable]
    if hard or (soft and not force):
        shown = hard or soft
        more = f" (and {len(shown) - 3} more)" if len(shown) > 3 else ""
        what = "; ".join(p.line() for p in shown[:3]) + more
        advice = (
            ": check the file, or run again with --force to load it anyway"
            if not hard
            else " (--force does not load a file with these problems)"
            if force
            else ""
        )
        raise IngestRefused(f"refused, store left unchanged: {what}{advice}", shown)
    for p in soft:
        say(f"warning: {p.line()} (loaded anyway: --force)")


# -- measuring -------------------------------------------------------------------------
def _facts(con: duckdb.DuckDBPyConnection, source: Path, found: Detected) -> dict:
    kind, cols = found.kind, found.columns
    if kind == "postcode_directory":
        return checks.postcode_facts(con, source, cols)
    if kind in ("oac", "oac_lsoa"):
        return checks.oac_facts(con, source, cols, area=kind == "oac_lsoa")
    if kind == "oac_names":
        return checks.names_facts(con, source, cols)
    if kind == "oac11_names":
        return checks.oac11_names_facts(con, source, cols)
    if kind in ("geo_lookup", "oa11_oa21"):
        return checks.lookup_facts(con, source, cols)
    if kind == "census":
        return checks.census_facts(con, source, cols["oa"], _cells(source))
    if kind == "area_names":
        return checks.simple_facts(con, source, cols["code"], cols["name"])
    return checks.simple_facts(con, source, None, None)


def _cells(source: Path) -> list[str]:
    columns = peek(source, n_rows=0).columns
    cells = [c for c in columns if re.fullmatch(r"ts\d{3}[a-z]?\d{4}", c.lower())]
    return cells or [c for c in columns if "; measures:" in c.lower()]


def _truncated(path: Path, source: Path) -> list[Problem]:
    """A CSV whose last line stops part-way (fewer fields than the header, open quote)."""
    if source.suffix.lower() not in (".csv", ".txt"):
        return []
    with open(source, "rb") as fh:
        header = fh.readline().decode("utf-8-sig", errors="replace")
        size = fh.seek(0, 2)
        fh.seek(max(0, size - 65536))
        tail = fh.read().decode("utf-8", errors="replace")
    lines = [ln for ln in tail.splitlines() if ln.strip()]
    if not lines or not header.strip() or lines[-1].strip() == header.strip():
        return []
    last = lines[-1]
    delimiter = max(",;\t|", key=header.count)
    n_header = len(next(csv.reader(io.StringIO(header), delimiter=delimiter)))
    fields = next(csv.reader(io.StringIO(last), delimiter=delimiter), [])
    if last.count('"') % 2 == 0 and len(fields) >= n_header:
        return []
    return [
        Problem(
            path.name,
            f"ends part-way through a row (the last line has "
            f"{len(fields)} of {n_header} fields): the file looks cut short; "
            "download it again",
        )
    ]


# -- judging ---------------------------------------------------------------------------
BAD_WORDS = {
    "postcode": "a postcode that is not a UK postcode",
    "oa": "an output area code that is not an area code",
    "imd_text": "an IMD rank that is not a whole number",
    "imd_range": "an IMD rank outside its nation's range (England 1-33,755, Wales 1-1,917, "
    "Scotland 1-7,392, Northern Ireland 1-890)",
    "latlong": "a latitude or longitude that is not a number",
    "code": "an area code that is not of the expected kind (e.g. E00 and six digits for an "
    "output area)",
    "tiers": "a supergroup or group that does not match its subgroup",
    "name": "a blank subgroup name",
    "target": "an area code that is not a GSS code (a letter and eight digits)",
    "text": "a census count that is not a number",
    "negative": "a negative census count",
    "blank": "a blank code or name",
    "code11": "a code that is not a 2011 OAC subgroup code (a digit 1-8, a letter, a digit "
    "1-4, like 4A2; or the pseudo code 9Z9)",
}


def _check_file(
    con: duckdb.DuckDBPyConnection, f: _File, named: set[str], used: set[str]
) -> list[Problem]:
    name, facts, kind = f.path.name, f.facts, f.found.kind
    rows = facts["rows"]
    if rows == 0:
        return [Problem(name, "has a header but no data rows" + _would_remove(con, f))]
    out = [_bad(name, what, n, rows, ex) for what, (n, ex) in facts["bad"].items() if n]
    if (
        kind == "postcode_directory"
        and re.search(r"_UK\.(csv|txt)$", name, re.I)
        and rows < UK_WIDE_MIN
    ):
        out.append(
            Problem(
                name,
                f"is named as the whole-UK directory but has only {rows:,} "
                "rows (the whole UK has about 2.6 million)",
                forceable=True,
            )
        )
    if kind in ("oac", "oac_lsoa"):
        out += _unknown_oac(name, facts["subgroups"], rows, named)
    if kind == "oac_names":
        out += _names(name, facts["subgroups"], used)
    if kind == "census":
        out += _census(con, f)
    if kind == "census_metadata":
        have = {c.lower() for c in peek(f.source, n_rows=0).columns}
        missing = [c for c in METADATA_COLUMNS if c.lower() not in have]
        if missing:
            out.append(
                Problem(
                    name,
                    f"lacks the column{'s' if len(missing) > 1 else ''} "
                    f"{', '.join(missing)} of Table_Metadata.csv",
                )
            )
    out += _shrink(con, f)
    return out


def _bad(file: str, what: str, n: int, rows: int, example: str | None) -> Problem:
    eg = f" (e.g. {example!r})" if example is not None else ""
    return Problem(
        file,
        f"{n:,} of {rows:,} rows have {BAD_WORDS.get(what, what)}{eg}",
        forceable=n / rows <= FEW,
    )


def _unknown_oac(file: str, subgroups: dict[str, int], rows: int, named: set[str]) -> list[Problem]:
    known = OAC2021_SUBGROUPS | named
    unknown = {c: n for c, n in subgroups.items() if c not in known}
    if not unknown:
        return []
    n = sum(unknown.values())
    eg = ", ".join(repr(c or "(blank)") for c in sorted(unknown)[:3])
    hint = (
        "; they look like 2011 OAC codes (oacinsight uses the 2021 OAC)"
        if all(OAC2011_LIKE.match(c) for c in unknown)
        else ""
    )
    return [
        Problem(
            file,
            f"{n:,} of {rows:,} rows have a subgroup that is not a 2021 OAC "
            f"subgroup (e.g. {eg}; the 2021 OAC has supergroups 1-8, 21 groups "
            f"1a-8b, 52 subgroups 1a1-8b3){hint}",
        )
    ]


def _names(file: str, subgroups: dict[str, int], used: set[str]) -> list[Problem]:
    out = []
    unknown = sorted(c for c in subgroups if c not in OAC2021_SUBGROUPS)
    if unknown:
        eg = ", ".join(repr(c or "(blank)") for c in unknown[:3])
        out.append(
            Problem(
                file,
                f"names {len(unknown)} subgroups that are not 2021 OAC subgroups (e.g. {eg})",
                forceable=True,
            )
        )
    missing = sorted(used - set(subgroups))
    if missing:
        out.append(
            Problem(
                file,
                f"has no names for {len(missing)} of the {len(used)} "
                f"subgroups the classification uses (e.g. {missing[0]!r})",
                forceable=True,
            )
        )
    return out


def _census(con: duckdb.DuckDBPyConnection, f: _File) -> list[Problem]:
    table, name = f.found.detail, f.path.name
    out = []
    columns = {c.lower() for c in _cells(f.source)}
    if (
        any(re.fullmatch(r"ts\d{3}[a-z]?\d{4}", c) for c in columns)
        and f"{table}0001" not in columns
    ):
        out.append(
            Problem(
                name,
                f"census table {table} has no total column {table}0001 "
                "(every profile divides by it)",
            )
        )
    held = checks.oa_countries(con)
    for key, n_file in sorted(f.facts["by_key"].items()):
        n_store = held.get(key, 0)
        if n_store and n_file < (1 - MARGIN) * n_store:
            out.append(
                Problem(
                    name,
                    f"covers {n_file:,} of the {n_store:,} output areas of "
                    f"{COUNTRIES.get(key, key)} that the store's classification "
                    "holds",
                    forceable=True,
                )
            )
    return out


def _shrink(con: duckdb.DuckDBPyConnection, f: _File) -> list[Problem]:
    """What replacing the file's earlier rows with these would remove, per area."""
    kind, name = f.found.kind, f.path.name
    table = f"census_{f.found.detail}" if kind == "census" else None
    out = []
    for key, (before, own) in sorted(checks.held(con, kind, name, table).items()):
        new = f.facts["by_key"].get(key, 0)
        removed = own - new
        if removed > 0 and removed > MARGIN * before:
            out.append(
                Problem(
                    name,
                    f"would remove {removed:,} of the {before:,} "
                    f"{_unit(kind, key, table)} the store holds (the file has "
                    f"{new:,} where the store has {own:,} from it)",
                    forceable=True,
                )
            )
    return out


def _would_remove(con: duckdb.DuckDBPyConnection, f: _File) -> str:
    table = f"census_{f.found.detail}" if f.found.kind == "census" else None
    held = checks.held(con, f.found.kind, f.path.name, table)
    own = sum(o for _, o in held.values())
    return f" (loading it would remove the {own:,} rows the store holds from it)" if own else ""


def _unit(kind: str, key: str, table: str | None) -> str:
    place = COUNTRIES.get(key, key)
    return {
        "postcode_directory": f"postcodes in postcode area {key}",
        "oac": f"output areas of {place} in the classification",
        "oac_lsoa": f"areas of {place} in the classification by LSOA",
        "oac_names": "subgroup names",
        "oac11_names": "2011 subgroup names",
        "geo_lookup": f"output areas of {place} in the lookups",
        "oa11_oa21": f"2011 output areas of {place} in the OA 2011 to 2021 lookup",
        "census": f"output areas of {place} in {table}",
    }.get(kind, "rows")
