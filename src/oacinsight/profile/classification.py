"""A local classification written by ``oacinsight build``, read back for use elsewhere
(``profile --classification DIR``).  Only the files are read: nothing here imports
the build code.

The folder's ``assignments.csv`` gives each output area its codes (``1``, ``1a``,
``1a1``: as many tiers as were built), ``names.csv`` the names (edited by the user or
the draft ``Cluster 1a``), ``provenance.json`` the spec, seed and date of the build.
"""

from __future__ import annotations

import itertools
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from oacinsight.errors import InputFileError

__all__ = ["LocalClassification", "load_classification"]

#: The tiers of ``assignments.csv``, coarsest first (as ``oacinsight.build`` writes).
TIER_NAMES = ("supergroup", "group", "subgroup")
#: Columns of the OA → code lookup handed to the counting step (OAC's column names).
LOOKUP_COLUMNS = ("oa", "supergroup", "group_code", "subgroup")


@dataclass(frozen=True)
class LocalClassification:
    """The codes, names and provenance of a local classification.

    Attributes
    ----------
    path : pathlib.Path
        The build's output folder.
    name : str
        The spec's name.
    seed : int or None
        The build's random seed.
    built : str
        The date of the build (``YYYY-MM-DD``; from ``provenance.json``, else the
        file's modification date).
    area : str or None
        The area code the build classified (None for an OA list).
    tiers : tuple of str
        The tiers built, e.g. ``('supergroup', 'group')``.
    lookup : pandas.DataFrame
        ``oa, supergroup, group_code, subgroup`` (None for tiers not built).
    names : pandas.DataFrame
        ``level, code, name`` of every cluster.
    """

    path: Path
    name: str
    seed: int | None
    built: str
    area: str | None
    tiers: tuple[str, ...]
    lookup: pd.DataFrame
    names: pd.DataFrame

    @property
    def title(self) -> str:
        """E.g. ``local classification 'compact' (seed 11, built 2026-12-02)``."""
        seed = f"seed {self.seed}, " if self.seed is not None else ""
        return f"local classification '{self.name}' ({seed}built {self.built})"

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe provenance for the outputs that use the classification."""
        return {
            "kind": "local",
            "name": self.name,
            "label": f"local classification '{self.name}'",
            "title": self.title,
            "seed": self.seed,
            "built": self.built,
            "area": self.area,
            "folder": self.path.name,
            "tiers": list(self.tiers),
            "output_areas": len(self.lookup),
        }

    def check_level(self, level: str) -> None:
        """Refuse a profile level the classification does not have."""
        if level != "all" and level not in self.tiers:
            raise InputFileError(
                f"the {self.title} has no {level} tier (it has {', '.join(self.tiers)})"
            )


def _fail(folder: Path, why: str) -> InputFileError:
    return InputFileError(f"--classification {folder}: {why}")


def load_classification(folder: str | os.PathLike[str]) -> LocalClassification:
    """Read the output folder of ``oacinsight build``; every problem is one line."""
    path = Path(folder)
    if not path.is_dir():
        raise _fail(path, "no such folder (give the output folder of 'oacinsight build')")
    codes = _assignments(path)
    tiers = tuple(t for t in TIER_NAMES if t in codes.columns)
    prov = _provenance(path)
    return LocalClassification(
        path=path,
        name=str(prov.get("spec", {}).get("name") or path.name),
        seed=_int_or_none(prov.get("seed")),
        built=_built(path, prov),
        area=prov.get("area"),
        tiers=tiers,
        lookup=_lookup(codes),
        names=_names(path, codes, tiers),
    )


def _read_csv(file: Path, folder: Path) -> pd.DataFrame:
    try:
        return pd.read_csv(file, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise _fail(folder, f"cannot read {file.name}: {exc}") from None


def _assignments(path: Path) -> pd.DataFrame:
    file = path / "assignments.csv"
    if not file.is_file():
        raise _fail(path, "no assignments.csv (not an output folder of 'oacinsight build')")
    frame = _read_csv(file, path)
    if "oa" not in frame.columns or "supergroup" not in frame.columns:
        raise _fail(path, "assignments.csv needs the columns oa and supergroup")
    tiers = [t for t in TIER_NAMES if t in frame.columns]
    if tiers != list(TIER_NAMES[: len(tiers)]):
        raise _fail(path, f"assignments.csv tiers {', '.join(tiers)} are not nested")
    frame = frame[["oa", *tiers]].apply(lambda c: c.str.strip())
    if frame.empty:
        raise _fail(path, "assignments.csv has no output areas")
    if (frame == "").any().any():
        raise _fail(path, "assignments.csv has blank codes")
    dup = frame["oa"].duplicated()
    if dup.any():
        raise _fail(path, f"output area {frame.loc[dup, 'oa'].iloc[0]} is listed twice")
    for upper, lower in itertools.pairwise(tiers):
        parents = frame.groupby(lower)[upper].nunique()
        if (parents > 1).any():
            raise _fail(path, f"{lower} {parents[parents > 1].index[0]} sits in two {upper}s")
    return frame


def _lookup(codes: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame({"oa": codes["oa"].str.upper()})
    out["supergroup"] = codes["supergroup"]
    out["group_code"] = codes.get("group")
    out["subgroup"] = codes.get("subgroup")
    return out.reset_index(drop=True)


def _names(path: Path, codes: pd.DataFrame, tiers: tuple[str, ...]) -> pd.DataFrame:
    """``level, code, name``: names.csv where given (blank → the code), else the code."""
    given: dict[str, str] = {}
    file = path / "names.csv"
    if file.is_file():
        frame = _read_csv(file, path)
        if not {"code", "name"} <= set(frame.columns):
            raise _fail(path, "names.csv needs the columns code and name")
        given = {c.strip(): n.strip() for c, n in zip(frame["code"], frame["name"], strict=True)}
    rows = [
        (tier, code, given.get(code) or f"Cluster {code}")
        for tier in tiers
        for code in sorted(codes[tier].unique())
    ]
    return pd.DataFrame(rows, columns=["level", "code", "name"])


def _provenance(path: Path) -> dict[str, Any]:
    file = path / "provenance.json"
    if not file.is_file():
        return {}
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise _fail(path, f"cannot read provenance.json: {exc}") from None
    return data if isinstance(data, dict) else {}


def _built(path: Path, prov: dict[str, Any]) -> str:
    """The build's date: ``created`` in provenance.json, else the assignments' mtime."""
    created = prov.get("created")
    if isinstance(created, str) and len(created) >= 10:
        return created[:10]
    stamp = (path / "assignments.csv").stat().st_mtime
    return datetime.fromtimestamp(stamp, tz=UTC).strftime("%Y-%m-%d")


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
