"""Area profiles for wards, LSOAs, local authorities, regions and patches of OAs.

:func:`profile_area` returns an :class:`AreaProfile`: population and households, the OAC
mix at three tiers with indexes against the parent area and England and Wales,
deprivation (IMD deciles), census indicators, comparator areas and the scale effect,
with a plain-language summary.  :func:`profile_wards` profiles every ward of a district
in one run.  The method is written up in ``docs/areas.md``.
"""

from oacinsight.areas.batch import BatchResult, profile_wards
from oacinsight.areas.codes import AREA_KINDS, AreaRequest, parse_request
from oacinsight.areas.comparators import COMPARE_BY
from oacinsight.areas.indicators import DEFAULT_INDICATORS, INDICATORS, Indicator
from oacinsight.areas.mix import MIX_COLUMNS
from oacinsight.areas.profile import build_profile, open_context, profile_area
from oacinsight.areas.result import OUTPUT_FILES, AreaProfile

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
