"""Areas of likely need and campaign targeting.

Rates of a need per OAC group (from customers, a survey or rates learnt elsewhere),
stabilised by empirical Bayes shrinkage towards the parent tier; expected demand for
every output area, LSOA, ward and district with intervals; observed against expected;
ranked target lists of areas and postcodes; campaign reach (gains curve).

The method is described in ``docs/need.md``.
"""

from oacinsight.need.by import need_by_file
from oacinsight.need.by_result import NeedByResult
from oacinsight.need.result import NeedResult
from oacinsight.need.run import NeedOptions, need_file
from oacinsight.need.stats import dissimilarity, gamma_interval, poisson_interval, shrink
from oacinsight.need.targets import TargetRules

__all__ = [
    "NeedByResult",
    "NeedOptions",
    "NeedResult",
    "TargetRules",
    "dissimilarity",
    "gamma_interval",
    "need_by_file",
    "need_file",
    "poisson_interval",
    "shrink",
]
