"""Profiles against a local classification (``profile --classification DIR``).

The classification written by ``oacinsight build`` replaces the OAC in the counting
step only: its OA → code lookup is passed to :mod:`oacinsight.store.localclass`, and
everything after (statistics, disclosure control, outputs) is the OAC profile's.  The
area profiled is the chosen area's output areas that the classification codes; the
others, and the customers in them, are named in the first lines of every output.
"""

from __future__ import annotations

import os

import duckdb
import pandas as pd

from oacinsight.errors import InputFileError
from oacinsight.profile.classification import LocalClassification, load_classification
from oacinsight.store import localclass

__all__ = ["local_counts", "open_classification", "restrict_area"]


def open_classification(
    folder: str | os.PathLike[str] | None, level: str
) -> LocalClassification | None:
    """The classification in ``folder`` (None: the OAC), checked to have ``level``."""
    if folder is None:
        return None
    local = load_classification(folder)
    local.check_level(level)
    return local


def restrict_area(
    oas: list[str],
    customers: pd.DataFrame,
    local: LocalClassification,
    suppress_below: int,
) -> tuple[list[str], list[str]]:
    """The area's output areas ``oas`` that the classification codes, and the note
    saying how many were left out (customers fewer than ``suppress_below`` not given).

    ``customers``: ``oa, customers`` of the matched records.
    """
    coded = set(local.lookup["oa"].astype(str))
    kept = [oa for oa in oas if oa in coded]
    if not kept:
        built = f" (it was built for {local.area})" if local.area else ""
        raise InputFileError(
            f"the {local.title} codes none of the output areas of the chosen area{built}; "
            "choose its area with --area"
        )
    left_out = sorted(set(oas) - coded)
    if not left_out:
        return kept, []
    n_customers = int(customers.loc[customers["oa"].isin(left_out), "customers"].sum())
    small = 0 < n_customers < suppress_below
    said = f"fewer than {suppress_below}" if small else f"{n_customers:,}"
    return kept, [
        f"{len(left_out):,} output area(s) of the chosen area are not in the {local.title} "
        f"and are left out, with the {said} matched customers in them"
    ]


def local_counts(
    con: duckdb.DuckDBPyConnection,
    local: LocalClassification,
    oas: list[str],
    customers: pd.DataFrame,
    base: pd.DataFrame,
    keyed: bool,
) -> pd.DataFrame:
    """``compute_profile`` input per local cluster of the area ``oas`` (with
    ``cell_key`` when ``keyed``; ``customers`` then carries the per-OA ``ckey``)."""
    counts = localclass.group_counts(con, local.lookup, local.names, oas, customers, base)
    if keyed:
        keys = localclass.cell_keys(con, local.lookup, oas, customers)
        counts = counts.merge(keys, on=["level", "code"], how="left")
    return counts
