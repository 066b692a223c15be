"""What the user asked for: an area code, a list of output areas, or a file of them.

Pure functions: no store.  :func:`parse_request` turns the ``CODE`` argument of
``oacinsight area`` into an :class:`AreaRequest`; the store is asked later whether the
area exists.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from oacinsight.errors import OacInsightError

__all__ = ["AREA_KINDS", "KIND_LABELS", "AreaRequest", "classify_code", "parse_request"]

GSS = re.compile(r"^[EWSNKLM]\d{8}$")

#: Kinds of area a profile can be made for.
AREA_KINDS: tuple[str, ...] = ("ward", "lsoa", "msoa", "lad", "region", "country", "patch")

#: Plain names of the kinds, for text.
KIND_LABELS: dict[str, str] = {
    "ward": "ward",
    "lsoa": "LSOA",
    "msoa": "MSOA",
    "lad": "local authority",
    "region": "region",
    "country": "country",
    "patch": "patch of output areas",
}

_SUPPORTED: dict[str, str] = {
    "E05": "ward",
    "W05": "ward",
    "E01": "lsoa",
    "W01": "lsoa",
    "E02": "msoa",
    "W02": "msoa",
    "E06": "lad",
    "E07": "lad",
    "E08": "lad",
    "E09": "lad",
    "W06": "lad",
    "E12": "region",
    "E92": "country",
    "W92": "country",
    "E00": "oa",
    "W00": "oa",
}

#: Code types recognised but not profiled, and why (for the error message).
_OTHER_TYPES: dict[str, str] = {
    "E10": "county",
    "E11": "metropolitan county",
    "E13": "inner/outer London",
    "E14": "Westminster constituency",
    "W07": "Westminster constituency",
    "E15": "European electoral region",
    "E47": "combined authority",
    "E38": "clinical commissioning group",
    "E54": "integrated care board",
    "E23": "police force area",
    "K02": "United Kingdom",
    "K03": "Great Britain",
    "K04": "England and Wales",
    "E04": "civil parish",
    "W04": "community",
}

_NO_OAC: dict[str, str] = {
    "S00": "Scottish output area",
    "S01": "Scottish data zone",
    "S02": "Scottish intermediate zone",
    "S12": "Scottish council area",
    "S13": "Scottish ward",
    "S92": "Scotland",
    "N00": "Northern Ireland small area",
    "N09": "Northern Ireland district",
    "N08": "Northern Ireland ward",
    "N20": "Northern Ireland data zone",
    "N21": "Northern Ireland super data zone",
    "N92": "Northern Ireland",
    "L99": "Channel Islands pseudo code",
    "M99": "Isle of Man pseudo code",
}

_SUPPORTED_TEXT = (
    "a ward (E05/W05), LSOA (E01/W01), MSOA (E02/W02), local authority "
    "(E06-E09/W06), region (E12), country (E92/W92), or a file or comma-"
    "separated list of output areas (E00/W00)"
)


@dataclass(frozen=True)
class AreaRequest:
    """An area to profile.

    Attributes
    ----------
    kind : str
        One of :data:`AREA_KINDS`.
    code : str
        The GSS code, or a label for a patch (``patch of 12 output areas`` or a file name).
    oas : tuple of str
        The output areas of a patch (empty for coded areas).
    """

    kind: str
    code: str
    oas: tuple[str, ...] = ()


def classify_code(code: str) -> str:
    """The kind of a GSS code (``ward``, ``lad``...; ``oa`` for an output area).

    Raises
    ------
    OacInsightError
        For text that is not a GSS code, a type of code oacinsight does not profile,
        or an area without OAC 2021 and Census 2021 counts (Scotland, Northern Ireland).
    """
    text = code.strip().upper()
    if not GSS.match(text):
        raise OacInsightError(f"{code!r} is not an area code or a file: use {_SUPPORTED_TEXT}")
    prefix = text[:3]
    if prefix in _SUPPORTED:
        return _SUPPORTED[prefix]
    if prefix in _NO_OAC:
        raise OacInsightError(
            f"{text} is a {_NO_OAC[prefix]} code: it has no OAC 2021 with Census 2021 counts "
            "(the 2021 census tables and this profile cover England and Wales only; the "
            "postcode directory's Scottish codes are 2011 geography)"
        )
    kind = _OTHER_TYPES.get(prefix, f"{prefix} type")
    raise OacInsightError(
        f"{text} is a {kind} code, which 'area' does not profile: use {_SUPPORTED_TEXT}"
    )


def _tokens(text: str) -> list[str]:
    return [t.strip().strip('"').strip("'") for t in re.split(r"[,;\s]+", text) if t.strip()]


def _oas_from_file(path: Path) -> list[str]:
    """Output area codes in a text/CSV file (one per line or the first column) or XLSX."""
    if path.suffix.lower() == ".xlsx":
        import pandas as pd

        frame = pd.read_excel(path, header=None, dtype=str)
        values = [str(v) for v in frame.iloc[:, 0].dropna()] if frame.shape[1] else []
    else:
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            text = path.read_text(encoding="cp1252")
        values = [_tokens(line)[0] for line in text.splitlines() if _tokens(line)]
    if values and not GSS.match(values[0].strip().upper()):
        values = values[1:]  # a header such as "oa21cd"
    return values


def _check_oas(values: list[str], source: str) -> tuple[str, ...]:
    codes = [v.strip().upper() for v in values if v.strip()]
    if not codes:
        raise OacInsightError(f"{source}: no output area codes given (the list is empty)")
    bad = [c for c in codes if not re.match(r"^[EW]00\d{6}$", c)]
    if bad:
        shown = ", ".join(bad[:3]) + (f" and {len(bad) - 3} more" if len(bad) > 3 else "")
        hint = (
            " (Scottish and Northern Irish areas have no Census 2021 counts)"
            if any(b[:1] in "SN" for b in bad)
            else ""
        )
        raise OacInsightError(
            f"{source}: not England or Wales output area codes (E00/W00): {shown}{hint}"
        )
    return tuple(dict.fromkeys(codes))  # keep order, drop repeats


def parse_request(code: str | Path | list[str] | tuple[str, ...]) -> AreaRequest:
    """Turn the user's ``CODE`` into an :class:`AreaRequest`.

    Parameters
    ----------
    code : str, path or list of str
        A GSS code or a comma-separated list of output areas (text is never opened as
        a file); a :class:`pathlib.Path` to a file of output areas (one per line, or the
        first column of a CSV/XLSX; a header row is skipped); or a list of output area
        codes.

    Returns
    -------
    AreaRequest

    Raises
    ------
    OacInsightError
        Empty lists, malformed codes and unsupported code types, in one line.
    """
    if isinstance(code, (list, tuple)):
        oas = _check_oas([str(c) for c in code], "output area list")
        return AreaRequest("patch", f"patch of {len(oas)} output areas", oas)
    if isinstance(code, os.PathLike):  # a file only when asked for explicitly
        path = Path(code).expanduser()
        if not path.is_file():
            raise OacInsightError(f"{path.name}: no such file of output areas")
        oas = _check_oas(_oas_from_file(path), path.name)
        return AreaRequest("patch", path.stem, oas)
    text = str(code).strip()
    if not text:
        raise OacInsightError("no area given: pass an area code or a list of output areas")
    parts = _tokens(text)
    if not parts:
        raise OacInsightError("output area list: no output area codes given (the list is empty)")
    if len(parts) > 1 or classify_code(parts[0]) == "oa":
        oas = _check_oas(parts, "output area list")
        return AreaRequest("patch", f"patch of {len(oas)} output areas", oas)
    return AreaRequest(classify_code(parts[0]), parts[0].upper())
