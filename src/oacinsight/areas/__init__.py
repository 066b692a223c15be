"""Area profiles for wards, LSOAs, local authorities, regions and patches of OAs.

:func:`profile_area` returns an :class:`AreaProfile`: population and households, the OAC
mix at three tiers with indexes against the parent area and England and Wales,
deprivation (IMD deciles), census indicators, comparator areas and the scale effect,
with a plain-language summary.  :func:`profile_wards` profiles every ward of a district
in one run.  The method is written up in ``docs/areas.md``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from oacinsight.areas.batch import BatchResult, profile_wards
    from oacinsight.areas.codes import AREA_KINDS, AreaRequest, parse_request
    from oacinsight.areas.comparators import COMPARE_BY
    from oacinsight.areas.indicators import DEFAULT_INDICATORS, INDICATORS, Indicator
    from oacinsight.areas.mix import MIX_COLUMNS
    from oacinsight.areas.profile import build_profile, open_context, profile_area
    from oacinsight.areas.result import OUTPUT_FILES, AreaProfile

#: Where each public name lives: imported on first use, so that a light submodule
#: (e.g. :mod:`oacinsight.areas.coverage_notes`, used by ``need`` and ``survey``) does
#: not pull in the area profile's scipy.stats (~1.5 s).
_HOMES = {
    "BatchResult": "batch",
    "profile_wards": "batch",
    "AREA_KINDS": "codes",
    "AreaRequest": "codes",
    "parse_request": "codes",
    "COMPARE_BY": "comparators",
    "DEFAULT_INDICATORS": "indicators",
    "INDICATORS": "indicators",
    "Indicator": "indicators",
    "MIX_COLUMNS": "mix",
    "build_profile": "profile",
    "open_context": "profile",
    "profile_area": "profile",
    "OUTPUT_FILES": "result",
    "AreaProfile": "result",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'oacinsight.areas' has no attribute {name!r}")
    return getattr(importlib.import_module(f"oacinsight.areas.{home}"), name)


__all__ = [
    "AREA_KINDS",
    "COMPARE_BY",
    "DEFAULT_INDICATORS",
    "INDICATORS",
    "MIX_COLUMNS",
    "OUTPUT_FILES",
    "AreaProfile",
    "AreaRequest",
    "BatchResult",
    "Indicator",
    "build_profile",
    "open_context",
    "parse_request",
    "profile_area",
    "profile_wards",
]
