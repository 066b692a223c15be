"""Cell values: whether one is missing, and the one JSON-safe converter.

Every result's ``to_dict()`` and every JSON writer and API response uses
:func:`json_safe` / :func:`json_records`, so JSON output never holds NaN, infinity,
``pd.NA`` or numpy types (it passes ``json.dumps(..., allow_nan=False)``).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from pathlib import PurePath
from typing import Any

import numpy as np
import pandas as pd


def missing(value: Any) -> bool:
    """Whether a cell is empty: None, NaN, ``pd.NA`` or ``NaT`` (hidden counts are)."""
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def json_safe(value: Any) -> Any:
    """A JSON-ready Python value, recursively.

    None, NaN, infinity, ``pd.NA`` and ``NaT`` become None; numpy scalars and arrays
    become Python ones; dates become ISO text; paths become text; dict keys become text;
    tuples and sets become lists; any other object becomes its text (as
    ``json.dumps(..., default=str)`` would), so the result always serialises.
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset, np.ndarray)):
        items = sorted(value, key=str) if isinstance(value, (set, frozenset)) else value
        return [json_safe(v) for v in items]
    if isinstance(value, (dt.date, dt.datetime, pd.Timestamp)):
        return value.isoformat()
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, np.generic):
        return json_safe(value.item())
    return str(value)


def json_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows of a DataFrame as JSON-safe dicts (column names as text)."""
    columns = [str(c) for c in frame.columns]
    return [
        {c: json_safe(v) for c, v in zip(columns, row, strict=True)}
        for row in frame.astype(object).itertuples(index=False, name=None)
    ]
