"""OAC editions for surveys: the codes of 2011 and 2021, reading a column of codes or
names, telling one edition from the other, and rolling codes up to a level.

2021 codes are written ``7``, ``7a``, ``7a2`` (8 / 21 / 52); 2011 codes ``7``, ``7A``,
``7A2`` (8 / 26 / 76, plus ``9Z9`` for the Channel Islands and Isle of Man).  Letters are
compared without case; the case people write is only used for a warning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd

from oacinsight.errors import InputFileError, OacInsightError
from oacinsight.oac import LEVELS, SUPERGROUP_NAMES

__all__ = ["EDITIONS", "GroupColumn", "all_codes", "names_for", "parse_group_column", "roll_up"]

EDITIONS: tuple[str, ...] = ("2021", "2011")

_SUB_2021 = (
    "1a1 1a2 1b1 1b2 1c1 1c2 2a1 2a2 2a3 2b1 2b2 2c1 2c2 3a1 3a2 3a3 3a4 3b1 3b2 "
    "3c1 3c2 4a1 4a2 4a3 4b1 4b2 4b3 4b4 4c1 4c2 5a1 5a2 5a3 5b1 5b2 6a1 6a2 6a3 "
    "6b1 6b2 6b3 6c1 6c2 7a1 7a2 7b1 7b2 8a1 8a2 8b1 8b2 8b3"
)
_SUB_2011 = (
    "1a1 1a2 1a3 1a4 1b1 1b2 1b3 1c1 1c2 1c3 2a1 2a2 2a3 2b1 2b2 2c1 2c2 2c3 2d1 "
    "2d2 2d3 3a1 3a2 3b1 3b2 3b3 3c1 3c2 3d1 3d2 3d3 4a1 4a2 4a3 4b1 4b2 4c1 4c2 "
    "4c3 5a1 5a2 5a3 5b1 5b2 5b3 6a1 6a2 6a3 6a4 6b1 6b2 6b3 6b4 7a1 7a2 7a3 7b1 "
    "7b2 7b3 7c1 7c2 7c3 7d1 7d2 7d3 7d4 8a1 8a2 8b1 8b2 8c1 8c2 8c3 8d1 8d2 8d3 9z9"
)
_SUBGROUPS = {"2021": tuple(_SUB_2021.split()), "2011": tuple(_SUB_2011.split())}
_CODE = re.compile(r"^\d(?:[a-z](?:\d)?)?$", re.IGNORECASE)


def canonical(code: str, edition: str) -> str:
    """A code as the edition writes it: lower case letters for 2021, upper for 2011."""
    return code.upper() if edition == "2011" else code.lower()


def all_codes(edition: str) -> set[str]:
    """Every code of an edition at every level, lower case (for comparison)."""
    subs = _SUBGROUPS[edition]
    return set(subs) | {s[:2] for s in subs} | {s[:1] for s in subs}


def level_of(code: str) -> str:
    """``supergroup``, ``group`` or ``subgroup`` from the length of a code."""
    return LEVELS[len(code) - 1]


def roll_up(code: str, level: str) -> str:
    """The code of ``level`` containing ``code`` (``7a2`` → ``7a`` for ``group``)."""
    return code[: LEVELS.index(level) + 1]


def names_for(edition: str, loaded: pd.DataFrame) -> dict[tuple[str, str], str]:
    """``(level, lower-case code) → name``; 2021 supergroups are named even unloaded."""
    out: dict[tuple[str, str], str] = {}
    if edition == "2021":
        out.update({("supergroup", c): n for c, n in SUPERGROUP_NAMES.items()})
    for level, code, name in loaded[["level", "code", "name"]].itertuples(index=False):
        if isinstance(code, str) and isinstance(name, str):
            out[(level, code.lower())] = name
    return out


@dataclass
class GroupColumn:
    """A column of group codes or names read as one edition, at one level."""

    codes: pd.Series  # canonical codes at the level; None where blank
    notes: list[str] = field(default_factory=list)


def _by_name(names: dict[tuple[str, str], str]) -> dict[str, str]:
    """Lower-case name → lower-case code (names repeated at two levels keep the finer)."""
    out: dict[str, str] = {}
    for (_level, code), name in sorted(names.items(), key=lambda kv: len(kv[0][1])):
        out[re.sub(r"\s+", " ", name).strip().casefold()] = code
    return out


def _resolve(
    values: list[str],
    edition: str,
    names: dict[tuple[str, str], str],
    other_names: dict[tuple[str, str], str],
) -> dict[str, str]:
    """Value → lower-case code; raise for values of the other edition or of neither."""
    other = "2011" if edition == "2021" else "2021"
    mine, theirs = all_codes(edition), all_codes(other)
    by_name, other_by_name = _by_name(names), _by_name(other_names)
    out, wrong, unknown = {}, [], []
    for v in values:
        key = re.sub(r"\s+", " ", v).strip().casefold()
        if _CODE.match(key) and key in mine:
            out[v] = key
        elif key in by_name:
            out[v] = by_name[key]
        elif key in theirs or key in other_by_name:
            wrong.append(v)
        else:
            unknown.append(v)
    if wrong and len(wrong) >= len(unknown):
        raise InputFileError(
            f"the group column holds OAC {other} codes or names, not {edition} ones (e.g. "
            f"{', '.join(repr(w) for w in wrong[:3])}); use --edition {other}"
        )
    if unknown or wrong:
        bad = unknown + wrong
        hint = "; ingest the official names file to use names" if not names else ""
        raise InputFileError(
            f"{len(bad):,} value(s) of the group column are not OAC {edition} codes or names "
            f"(e.g. {', '.join(repr(b) for b in bad[:3])}){hint}"
        )
    return out


def _case_note(values: list[str], edition: str) -> str | None:
    """A warning when every lettered code is written the way the other edition writes it."""
    lettered = [v.strip() for v in values if _CODE.match(v.strip()) and len(v.strip()) > 1]
    if not lettered:
        return None
    upper = all(c[1].isupper() for c in lettered)
    lower = all(c[1].islower() for c in lettered)
    if edition == "2021" and upper:
        return (
            "the codes are written in upper case, as 2011 OAC codes are (e.g. "
            f"{lettered[0]}); they were read as 2021 codes: if they are 2011 codes, "
            "use --edition 2011"
        )
    if edition == "2011" and lower:
        return (
            "the codes are written in lower case, as 2021 OAC codes are (e.g. "
            f"{lettered[0]}); they were read as 2011 codes: if they are 2021 codes, "
            "use --edition 2021"
        )
    return None


def parse_group_column(
    values: pd.Series,
    *,
    edition: str,
    level: str,
    names: dict[tuple[str, str], str],
    other_names: dict[tuple[str, str], str],
) -> GroupColumn:
    """Read a column of OAC codes or names as ``edition`` codes at ``level``.

    Raises
    ------
    InputFileError
        For codes of the other edition (said so), unknown values, or codes coarser
        than ``level``.
    """
    if edition not in EDITIONS:
        raise OacInsightError(f"unknown OAC edition {edition!r}; use 2021 or 2011")
    text = values.astype(object).map(lambda v: "" if v is None or v != v else str(v).strip())
    text = text.str.replace(r"\.0$", "", regex=True)  # supergroups read as numbers: 7.0
    distinct = sorted(set(text) - {""})
    found = _resolve(distinct, edition, names, other_names)
    coarse = sorted(
        {c for c in found.values() if LEVELS.index(level_of(c)) < LEVELS.index(level)}, key=len
    )
    if coarse:
        raise InputFileError(
            f"the group column holds {level_of(coarse[0])} codes (e.g. {coarse[0]}), which "
            f"cannot be split into {level}s; use --level {level_of(coarse[0])}"
        )
    mapping = {v: canonical(roll_up(c, level), edition) for v, c in found.items()}
    codes = text.map(lambda v: mapping.get(v))
    note = _case_note(distinct, edition)
    return GroupColumn(codes, [note] if note else [])
