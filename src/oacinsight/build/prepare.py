"""From census counts to the clustering matrix: rates, transform, standardisation.

- rate = Σ numerator cells ÷ denominator cell × scale (per cent by default); a
  ``value`` variable (a density or ratio) is taken as is. A zero (or missing)
  denominator gives 0, as in the official OAC code (0/0 → 0); such areas are counted.
- transform: ``ihs`` asinh(x) = ln(x + √(x² + 1)) (2011 and 2021 OAC), ``log1p``
  ln(1 + x) (2001 OAC), or ``none``.
- standardise: ``range`` (x − min) / (max − min) to 0–1 (the OAC choice), or ``zscore``
  (x − mean) / sd (population sd).

A variable constant over the areas carries no information and would divide by zero;
it is dropped with a warning.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from oacinsight.build.spec import BuildSpecError, Spec

__all__ = ["Prepared", "prepare", "rates", "standardise", "transform"]


@dataclass
class Prepared:
    """The matrix to cluster and what went into it."""

    oas: list[str]
    rates: pd.DataFrame  # raw rates (per cent) or values, one column per variable
    matrix: np.ndarray  # transformed + standardised, float64, rows = oas
    variables: list[str]
    zero_denominators: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def rates(counts: pd.DataFrame, spec: Spec) -> tuple[pd.DataFrame, dict[str, int]]:
    """Variables as rates (or values) from the census counts; zero denominators → 0."""
    out: dict[str, np.ndarray] = {}
    zeros: dict[str, int] = {}
    for v in spec.variables:
        if v.value is not None:
            out[v.name] = counts[v.value].to_numpy(dtype="float64", na_value=np.nan)
            continue
        num = counts[list(v.numerator)].to_numpy(dtype="float64", na_value=np.nan).sum(axis=1)
        den = counts[str(v.denominator)].to_numpy(dtype="float64", na_value=np.nan)
        bad = ~(den > 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            r = np.where(bad, 0.0, num / np.where(bad, 1.0, den) * spec.scale)
        if bad.any():
            zeros[v.name] = int(bad.sum())
        out[v.name] = r
    return pd.DataFrame(out, index=pd.Index(counts["oa"].astype(str), name="oa")), zeros


def transform(x: np.ndarray, how: str) -> np.ndarray:
    """``ihs`` (asinh), ``log1p`` or ``none``."""
    if how == "ihs":
        return np.arcsinh(x)
    if how == "log1p":
        if (x <= -1).any():
            raise BuildSpecError("log1p needs every value above -1")
        return np.log1p(x)
    if how == "none":
        return np.asarray(x, dtype="float64").copy()
    raise BuildSpecError(f"unknown transform {how!r}")


def standardise(x: np.ndarray, how: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Column-wise ``range`` (0–1) or ``zscore``; returns (matrix, centre, spread) so
    new areas can be put on the same scale: (x − centre) / spread."""
    if how == "range":
        centre, spread = x.min(axis=0), x.max(axis=0) - x.min(axis=0)
    elif how == "zscore":
        centre, spread = x.mean(axis=0), x.std(axis=0)
    else:
        raise BuildSpecError(f"unknown standardisation {how!r}")
    return (x - centre) / spread, centre, spread


def prepare(counts: pd.DataFrame, spec: Spec) -> Prepared:
    """Rates → transform → drop constant variables → standardise."""
    raw, zeros = rates(counts, spec)
    warnings = []
    missing = raw.isna().any(axis=1)
    if missing.any():
        raise BuildSpecError(
            f"{int(missing.sum())} output area(s) lack census counts for some variables "
            f"(first: {raw.index[missing.to_numpy()][0]}); every table must cover every area"
        )
    t = transform(raw.to_numpy(), spec.transform)
    constant = np.isclose(t.max(axis=0), t.min(axis=0), rtol=0, atol=1e-12)
    if spec.standardise == "zscore":
        constant |= t.std(axis=0) == 0
    names = list(raw.columns)
    if constant.any():
        dropped = [n for n, c in zip(names, constant, strict=True) if c]
        if constant.all():
            raise BuildSpecError(
                f"every variable is constant over these {len(raw)} areas; nothing to cluster"
            )
        warnings.append(f"constant over these areas, dropped: {', '.join(dropped)}")
    keep = ~constant
    matrix, _, _ = standardise(t[:, keep], spec.standardise)
    for name, n in zeros.items():
        warnings.append(f"{name}: {n} area(s) with a zero denominator set to 0")
    return Prepared(
        oas=list(raw.index),
        rates=raw.loc[:, keep],
        matrix=matrix,
        variables=[n for n, k in zip(names, keep, strict=True) if k],
        zero_denominators=zeros,
        warnings=warnings,
    )
