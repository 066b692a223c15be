"""Customer profiles: how customers spread across OAC groups compared with a base.

The statistics core is pure (counts in, table out):

- :func:`compute_profile` — shares, index with confidence interval, z, penetration
  and a flag per group;
- :func:`suppression_mask` / :func:`published_frame` — disclosure control;
- :class:`ProfileResult` — a profile with its provenance, written by file suffix;
- :func:`plot_profile` — the index chart.

The method is described in ``docs/profile.md``.  The names are imported on first use,
so ``import oacinsight.profile.suppress`` (the need outputs) does not pay for
matplotlib and scipy.stats.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

_LAZY = {
    "plot_profile": "chart",
    "save_figure": "chart",
    "ProfileResult": "result",
    "neutralise_formula": "result",
    "FLAGS": "stats",
    "INPUT_COLUMNS": "stats",
    "OUTPUT_COLUMNS": "stats",
    "clopper_pearson_interval": "stats",
    "compute_profile": "stats",
    "index_interval": "stats",
    "katz_ratio_interval": "stats",
    "table_hierarchy": "stats",
    "wilson_interval": "stats",
    "z_score": "stats",
    "SUPPRESSED_COLUMNS": "suppress",
    "published_frame": "suppress",
    "suppression_mask": "suppress",
}

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


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f"oacinsight.profile.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'oacinsight.profile' has no attribute {name!r}")
