"""A build folder read back to assign new areas: the spec as used (``provenance.json``),
the fitted standardisation (``scaling.csv``) and the centres (``centres.csv``).

``load_fitted(folder).predict(counts)`` puts areas given as census counts through the
same rates, transform and standardisation as at fit and assigns them tier by tier, as
:meth:`oacinsight.build.BuildResult.predict` does in memory.  The CSV files hold the
floats exactly (17 significant digits), so the training areas get their codes back.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from oacinsight.build.assign import assign_counts, assign_rates
from oacinsight.build.prepare import RateTransformer
from oacinsight.build.spec import BuildSpecError, Spec, parse_spec

__all__ = ["FittedBuild", "load_fitted"]


@dataclass(frozen=True)
class FittedBuild:
    """What a build folder needs to assign new areas."""

    spec: Spec
    scaler: RateTransformer
    centres: pd.DataFrame

    def predict(self, counts: pd.DataFrame) -> pd.DataFrame:
        """``oa``, codes per tier and ``distance`` from census counts (``oa`` + cells)."""
        return assign_counts(counts, self.spec, self.scaler, self.centres)

    def predict_rates(self, rates: pd.DataFrame) -> pd.DataFrame:
        """The same from rates (index ``oa``, one column per spec variable)."""
        return assign_rates(rates, self.scaler, self.centres)


def _read(folder: Path, name: str) -> Path:
    path = folder / name
    if not path.is_file():
        raise BuildSpecError(
            f"{folder}: no {name} (written by 'oacinsight build' from this version on)"
        )
    return path


def load_fitted(folder: str | os.PathLike[str]) -> FittedBuild:
    """Read ``provenance.json``, ``scaling.csv`` and ``centres.csv`` of a build folder."""
    path = Path(folder)
    try:
        prov = json.loads(_read(path, "provenance.json").read_text(encoding="utf-8"))
        scaling = pd.read_csv(_read(path, "scaling.csv"))
        centres = pd.read_csv(
            _read(path, "centres.csv"), dtype={"code": str, "parent": str}, keep_default_na=False
        )
    except (OSError, ValueError) as exc:
        raise BuildSpecError(f"{path}: cannot read the build: {exc}") from None
    if not isinstance(prov, dict) or not isinstance(prov.get("spec"), dict):
        raise BuildSpecError(f"{path}: provenance.json holds no spec")
    used = dict(prov["spec"])
    source = str(used.pop("source", "") or path / "provenance.json")
    spec = parse_spec(used, source=source)
    scaler = RateTransformer(method=spec.transform, standardise=spec.standardise)
    keep = scaling["kept"].astype(str).str.lower().eq("true").to_numpy()
    scaler.feature_names_in_ = scaling["variable"].astype(str).tolist()
    scaler.keep_ = keep
    scaler.centre_ = scaling.loc[keep, "centre"].to_numpy(dtype="float64")
    scaler.spread_ = scaling.loc[keep, "spread"].to_numpy(dtype="float64")
    missing = [v for v in scaler.kept if v not in centres.columns]
    if missing or not np.isfinite(scaler.spread_).all():
        raise BuildSpecError(f"{path}: scaling.csv and centres.csv do not agree")
    return FittedBuild(spec, scaler, centres)
