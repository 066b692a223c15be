"""Local geodemographic classifications with the OAC method (docs/build.md).

spec (YAML) → census rates → transform → standardise → k-means with many restarts →
nested tiers (supergroup / group / subgroup) → diagnostics, pen portraits, comparison.
"""

from oacinsight.build.kmeans import ClassificationBuilder
from oacinsight.build.result import BuildResult
from oacinsight.build.run import build_classification, read_oa_list
from oacinsight.build.spec import SHIPPED, BuildSpecError, Spec, Variable, load_spec

__all__ = [
    "SHIPPED",
    "BuildResult",
    "BuildSpecError",
    "ClassificationBuilder",
    "Spec",
    "Variable",
    "build_classification",
    "load_spec",
    "read_oa_list",
]
