"""The result protocol every result object speaks, and the writers they share.

Every result (:class:`~oacinsight.match.MatchSummary`,
:class:`~oacinsight.profile.result.ProfileResult`,
:class:`~oacinsight.areas.result.AreaProfile`,
:class:`~oacinsight.areas.batch.BatchResult`,
:class:`~oacinsight.survey.result.SurveyResult`) has:

- ``to_frame()``: its main table, as published (small counts hidden);
- ``to_dict()``: JSON-ready (through :func:`oacinsight.values.json_safe`: no NaN, NA or
  numpy types; passes ``json.dumps(..., allow_nan=False)``);
- ``text()``: the lines the command line prints;
- ``write(path) -> pathlib.Path``: the format chosen by the suffix; returns the one path
  written (a file, or the folder for results written as a folder of files).

Shared here: :func:`write_json` (the one JSON writer) and :func:`unsupported` (the one
"wrong suffix" error).  The one workbook writer is
:func:`oacinsight.tabular.write_workbook`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import pandas as pd

from oacinsight.errors import OacInsightError
from oacinsight.outputs import atomic_output
from oacinsight.values import json_safe

__all__ = ["Result", "dumps", "unsupported", "write_by_suffix", "write_json"]


@runtime_checkable
class Result(Protocol):
    """What every result object offers (see the module docstring)."""

    def to_frame(self) -> pd.DataFrame: ...

    def to_dict(self) -> dict[str, Any]: ...

    def text(self) -> str: ...

    def write(self, path: str | Path) -> Path: ...


def dumps(payload: Any, *, indent: int | None = 2) -> str:
    """``payload`` as JSON text: made JSON-safe first, NaN refused, UTF-8 kept."""
    return json.dumps(json_safe(payload), indent=indent, ensure_ascii=False, allow_nan=False)


def write_json(path: Path, payload: Any) -> None:
    """Write ``payload`` as indented JSON with a final newline (to an open temp path)."""
    path.write_text(dumps(payload) + "\n", encoding="utf-8")


def unsupported(what: str, path: Path, suffixes: tuple[str, ...]) -> OacInsightError:
    """The error for a suffix a result cannot be written as."""
    return OacInsightError(
        f"cannot write {what} as {path.suffix or 'a file without suffix'!r}; "
        f"use one of {', '.join(suffixes)}"
    )


def write_by_suffix(what: str, path: str | Path, writers: dict[str, Any]) -> Path:
    """Write ``path`` with the writer of its suffix, atomically; return the path.

    ``writers`` maps a suffix (``.csv``) to a function taking the temporary path.
    """
    out = Path(path)
    writer = writers.get(out.suffix.lower())
    if writer is None:
        raise unsupported(what, out, tuple(writers))
    with atomic_output(out) as tmp:  # no partial file if this fails or is interrupted
        writer(tmp)
    return out
