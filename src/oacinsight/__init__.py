"""oacinsight: offline customer insight from the Output Area Classification (OAC).

The library is the product; the command line (:mod:`oacinsight.cli`) and the web app
are thin shells over it.  The main entry points are importable from here::

    import oacinsight as oi
    with oi.Store("store.duckdb") as store:
        oi.ingest(["NSPL_NOV_2021_UK.zip", "oac2021/"], store)
    summary = oi.match_file("customers.csv", "matched.csv", store="store.duckdb")
    result = oi.profile_file("matched.csv", store="store.duckdb", level="all")

They are imported on first use, so ``import oacinsight`` stays light.
"""

from __future__ import annotations

import importlib
from typing import Any

from oacinsight._version import __version__
from oacinsight.errors import OacInsightError

_LAZY = {
    "Store": "oacinsight.store",
    "open_store": "oacinsight.store",
    "ingest": "oacinsight.ingest",
    "match_file": "oacinsight.match",
    "match_records": "oacinsight.match",
    "profile_file": "oacinsight.profile.run",
    "compare_file": "oacinsight.profile.run",
    "ProfileResult": "oacinsight.profile.result",
    "compute_profile": "oacinsight.profile.stats",
    "normalise": "oacinsight.postcodes",
    "run_demo": "oacinsight.demo.run",
}

__all__ = ["OacInsightError", "__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'oacinsight' has no attribute {name!r}")
