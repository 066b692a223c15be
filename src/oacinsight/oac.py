"""Facts about the 2021 Output Area Classification used for labels and colours.

The full names of groups and subgroups come from the official names file the user
ingests (``oacinsight data ingest``).  The eight supergroup names and a colour for each
are kept here so that charts are labelled and coloured even before names are loaded.
"""

from __future__ import annotations

SUPERGROUP_NAMES: dict[str, str] = {
    "1": "Retired Professionals",
    "2": "Suburbanites and Peri-Urbanites",
    "3": "Multicultural and Educated Urbanites",
    "4": "Low-Skilled Migrant and Student Communities",
    "5": "Ethnically Diverse Suburban Professionals",
    "6": "Baseline UK",
    "7": "Semi- and Un-Skilled Workforce",
    "8": "Legacy Communities",
}

#: One colour per supergroup; groups and subgroups take their supergroup's colour.
SUPERGROUP_COLOURS: dict[str, str] = {
    "1": "#6fa8dc",
    "2": "#93c47d",
    "3": "#e06666",
    "4": "#8e7cc3",
    "5": "#f6b26b",
    "6": "#c9b458",
    "7": "#76a5af",
    "8": "#a64d79",
}

LEVELS: tuple[str, ...] = ("supergroup", "group", "subgroup")


def colour_for(code: str) -> str:
    """Colour of any OAC code (``3``, ``3c`` or ``3c2``): its supergroup's colour."""
    return SUPERGROUP_COLOURS.get(str(code)[:1], "#999999")


def level_of(code: str) -> str:
    """``supergroup`` for ``3``, ``group`` for ``3c``, ``subgroup`` for ``3c2``."""
    n = len(str(code))
    if n not in (1, 2, 3):
        raise ValueError(f"not an OAC 2021 code: {code!r}")
    return LEVELS[n - 1]
