"""Customer profiles: how customers spread across OAC groups compared with a base.

The statistics core is pure (counts in, table out):

- :func:`compute_profile` — shares, index with confidence interval, z, penetration
  and a flag per group;
- :func:`suppression_mask` / :func:`published_frame` — disclosure control;
- :class:`ProfileResult` — a profile with its provenance, written by file suffix;
- :func:`plot_profile` — the index chart.

The method is described in ``docs/profile.md``.
"""

from oacinsight.profile.chart import plot_profile, save_figure
from oacinsight.profile.result import ProfileResult, neutralise_formula
from oacinsight.profile.stats import (
    FLAGS,
    INPUT_COLUMNS,
    OUTPUT_COLUMNS,
    clopper_pearson_interval,
    compute_profile,
    index_interval,
    katz_ratio_interval,
    table_hierarchy,
    wilson_interval,
    z_score,
)
from oacinsight.profile.suppress import SUPPRESSED_COLUMNS, published_frame, suppression_mask

__all__ = [
    "FLAGS",
    "INPUT_COLUMNS",
    "OUTPUT_COLUMNS",
    "SUPPRESSED_COLUMNS",
    "ProfileResult",
    "clopper_pearson_interval",
    "compute_profile",
    "index_interval",
    "katz_ratio_interval",
    "neutralise_formula",
    "plot_profile",
    "published_frame",
    "save_figure",
    "suppression_mask",
    "table_hierarchy",
    "wilson_interval",
    "z_score",
]
