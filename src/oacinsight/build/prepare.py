"""From census counts to the clustering matrix: rates, transform, standardisation.

:class:`RateTransformer` keeps what the standardisation learned (centre and spread per
variable), so new areas go through the same transform and scale as the fitted ones.

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

__all__ = ["Prepared", "RateTransformer", "prepare", "rates", "standardise", "transform"]


@dataclass
class Prepared:
    """The matrix to cluster and what went into it."""

    oas: list[str]
    rates: pd.DataFrame  # raw rates (per cent) or values, one column per variable
    matrix: np.ndarray  # transformed + standardised, float64, rows = oas
    variables: list[str]
    zero_denominators: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    scaler: RateTransformer | None = None  # the fitted transform + standardisation


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


class RateTransformer:
    """Transform and standardise rates, fitted like a scikit-learn transformer.

    ``fit`` learns, over the areas given, which variables vary (constant ones are
    dropped) and each kept column's centre and spread after the transform (min and
    range for ``range``, mean and population sd for ``zscore``); ``transform`` puts
    any areas on that same scale, so new areas can be assigned to the clusters of a
    fitted build.

    Parameters
    ----------
    method : {'ihs', 'log1p', 'none'}
        The transform (the spec's ``transform``).
    standardise : {'range', 'zscore'}

    Attributes
    ----------
    feature_names_in_ : list of str
        The variables seen at fit (DataFrame columns, else ``x0``, ``x1``...).
    keep_ : numpy.ndarray of bool
        The variables kept (not constant at fit).
    centre_, spread_ : numpy.ndarray
        Per kept variable: z = (t - centre) / spread.
    """

    def __init__(self, *, method: str = "ihs", standardise: str = "range") -> None:
        self.method = method
        self.standardise = standardise

    @staticmethod
    def _matrix(x: pd.DataFrame | np.ndarray) -> np.ndarray:
        values = np.asarray(x, dtype="float64")
        if values.ndim != 2 or not np.isfinite(values).all():
            raise BuildSpecError("the rates must be a 2-D table of finite numbers")
        return values

    def fit(self, x: pd.DataFrame | np.ndarray) -> RateTransformer:
        """Learn the kept variables and their centre and spread."""
        t = transform(self._matrix(x), self.method)
        if isinstance(x, pd.DataFrame):
            names = [str(c) for c in x.columns]
        else:
            names = [f"x{i}" for i in range(t.shape[1])]
        constant = np.isclose(t.max(axis=0), t.min(axis=0), rtol=0, atol=1e-12)
        if self.standardise == "zscore":
            constant |= t.std(axis=0) == 0
        if constant.all():
            raise BuildSpecError(
                f"every variable is constant over these {len(t)} areas; nothing to cluster"
            )
        _, centre, spread = standardise(t[:, ~constant], self.standardise)
        self.feature_names_in_ = names
        self.keep_ = ~constant
        self.centre_, self.spread_ = centre, spread
        return self

    def transform(self, x: pd.DataFrame | np.ndarray) -> np.ndarray:
        """The standardised matrix of ``x`` on the scale learned at fit."""
        if not hasattr(self, "keep_"):
            raise BuildSpecError("fit the transformer before transform")
        if isinstance(x, pd.DataFrame):
            missing = [c for c in self.kept if c not in x.columns]
            if missing:
                raise BuildSpecError(f"the rates lack the variable(s) {', '.join(missing)}")
            values = self._matrix(x[self.kept])
        else:
            values = self._matrix(x)
            if values.shape[1] != len(self.keep_):
                raise BuildSpecError(
                    f"the rates have {values.shape[1]} variables; the fit had {len(self.keep_)}"
                )
            values = values[:, self.keep_]
        return (transform(values, self.method) - self.centre_) / self.spread_

    def fit_transform(self, x: pd.DataFrame | np.ndarray) -> np.ndarray:
        return self.fit(x).transform(x)

    @property
    def kept(self) -> list[str]:
        """The names of the variables kept at fit."""
        return [n for n, k in zip(self.feature_names_in_, self.keep_, strict=True) if k]

    def to_frame(self) -> pd.DataFrame:
        """``variable, kept, centre, spread`` (written as ``scaling.csv``)."""
        centre = np.full(len(self.keep_), np.nan)
        spread = np.full(len(self.keep_), np.nan)
        centre[self.keep_], spread[self.keep_] = self.centre_, self.spread_
        return pd.DataFrame(
            {
                "variable": self.feature_names_in_,
                "kept": self.keep_,
                "centre": centre,
                "spread": spread,
            }
        )


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
    scaler = RateTransformer(method=spec.transform, standardise=spec.standardise)
    matrix = scaler.fit_transform(raw)
    if not scaler.keep_.all():
        dropped = [n for n, k in zip(raw.columns, scaler.keep_, strict=True) if not k]
        warnings.append(f"constant over these areas, dropped: {', '.join(dropped)}")
    for name, n in zeros.items():
        warnings.append(f"{name}: {n} area(s) with a zero denominator set to 0")
    return Prepared(
        oas=list(raw.index),
        rates=raw.loc[:, scaler.keep_],
        matrix=matrix,
        variables=scaler.kept,
        zero_denominators=zeros,
        warnings=warnings,
        scaler=scaler,
    )
