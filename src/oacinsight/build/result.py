"""The result of a local classification build and everything it writes."""

from __future__ import annotations

import json
import platform
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from oacinsight.build.prepare import RateTransformer
from oacinsight.build.spec import BuildSpecError, Spec
from oacinsight.values import json_safe

__all__ = ["BuildResult"]


@dataclass
class BuildResult:
    """Codes per output area, centres, diagnostics, pen portraits and comparison."""

    spec: Spec
    area: str | None
    codes: pd.DataFrame
    distance: np.ndarray
    gap: np.ndarray
    centres: pd.DataFrame
    rates: pd.DataFrame
    diagnostics: pd.DataFrame
    clustergram: pd.DataFrame
    index: pd.DataFrame
    portraits: pd.DataFrame
    labels: dict[str, str]
    wcss: dict[str, float]
    restarts: dict[str, int]
    comparison: dict | None = None
    warnings: list[str] = field(default_factory=list)
    not_found: list[str] = field(default_factory=list)
    seconds: float = 0.0
    created: str = field(
        default_factory=lambda: datetime.now(UTC).replace(microsecond=0).isoformat()
    )
    scaler: RateTransformer | None = None  # transform + standardisation fitted
    map_png: bytes | None = None  # the supergroups on the store's OA boundaries
    map_note: str = ""  # what the map shows, or why there is none

    def predict(self, counts: pd.DataFrame) -> pd.DataFrame:
        """Codes at every tier for areas given as census counts (``oa`` plus the spec's
        cells): rates, transform and standardisation as fitted, then the nearest centre
        tier by tier within the parent; ``oa, supergroup[, group, subgroup], distance``.
        For the fitted areas it returns their own codes."""
        from oacinsight.build.assign import assign_counts

        return assign_counts(counts, self.spec, self._scaler(), self.centres)

    def predict_rates(self, rates: pd.DataFrame) -> pd.DataFrame:
        """The same from rates (index ``oa``, one column per spec variable)."""
        from oacinsight.build.assign import assign_rates

        return assign_rates(rates, self._scaler(), self.centres)

    def _scaler(self) -> RateTransformer:
        if self.scaler is None:
            raise BuildSpecError("this build kept no fitted scaling; rebuild to predict")
        return self.scaler

    @property
    def tiers(self) -> list[str]:
        return [c for c in self.codes.columns if c != "oa"]

    def to_frame(self) -> pd.DataFrame:
        """``oa, supergroup[, group, subgroup], distance, gap`` — one row per area."""
        out = self.codes.copy()
        out["distance"] = np.round(self.distance, 6)
        out["gap"] = np.round(np.where(np.isfinite(self.gap), self.gap, np.nan), 6)
        return out

    def sizes(self) -> pd.DataFrame:
        return self.centres[["tier", "code", "parent", "size"]].merge(
            self.portraits[["code", "name"]], on="code", how="left"
        )

    def provenance(self) -> dict[str, Any]:
        import sklearn

        from oacinsight._version import __version__

        return {
            "spec": self.spec.to_dict(),
            "seed": self.spec.seed,
            "created": self.created,
            "area": self.area,
            "areas": len(self.codes),
            "areas_without_census": len(self.not_found),
            "wcss": self.wcss,
            "restarts": self.restarts,
            "best_wcss": self.wcss.get("supergroup"),
            "seconds": round(self.seconds, 2),
            "versions": {
                "oacinsight": __version__,
                "scikit-learn": sklearn.__version__,
                "numpy": np.__version__,
                "pandas": pd.__version__,
                "python": platform.python_version(),
            },
            "warnings": self.warnings,
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "provenance": self.provenance(),
            "sizes": self.sizes().to_dict(orient="records"),
            "diagnostics": self.diagnostics.to_dict(orient="records"),
            "pen_portraits": self.portraits.to_dict(orient="records"),
            "comparison": _ari_only(self.comparison),
        }

    def text(self) -> str:
        lines = [
            f"classification '{self.spec.name}' of {len(self.codes)} output areas, "
            f"{self.index.shape[1]} variables, seed {self.spec.seed}"
        ]
        for tier in self.tiers:
            n = self.codes[tier].nunique()
            lines.append(
                f"  {tier}: {n} clusters, WCSS {self.wcss[tier]:.3f} "
                f"(best of {self.restarts[tier]} restarts per fit)"
            )
        top = self.codes["supergroup"].value_counts().sort_index()
        lines.append("  supergroup sizes: " + ", ".join(f"{c}: {n}" for c, n in top.items()))
        ari = _ari_only(self.comparison)
        if ari:
            lines.append(
                "  against the official OAC 2021: "
                + ", ".join(f"{t} ARI {v:.3f}" for t, v in ari.items() if v is not None)
            )
        if self.map_note:
            lines.append(f"  {self.map_note}")
        lines += [f"  warning: {w}" for w in self.warnings[:12]]
        if len(self.warnings) > 12:
            lines.append(f"  ... and {len(self.warnings) - 12} more warnings (provenance.json)")
        lines.append(f"  took {self.seconds:.1f} s")
        return "\n".join(lines)

    def write(self, path: str | Path) -> Path:
        """Write every output into the folder ``path`` (created); returns it."""
        from oacinsight.build.report import write_charts, write_html

        out = Path(path)
        out.mkdir(parents=True, exist_ok=True)
        frame = self.to_frame()
        frame.drop(columns=["gap"]).to_csv(out / "assignments.csv", index=False)
        frame.to_parquet(out / "assignments.parquet", index=False)
        self.centres.to_csv(out / "centres.csv", index=False)
        if self.scaler is not None:
            self.scaler.to_frame().to_csv(out / "scaling.csv", index=False)
        self.diagnostics.to_csv(out / "diagnostics.csv", index=False)
        self.clustergram.to_csv(out / "clustergram.csv", index=False)
        self.index.round(1).to_csv(out / "grand_index.csv")
        self.portraits.to_csv(out / "names.csv", index=False)
        _json(out / "provenance.json", self.provenance())
        if self.comparison is not None:
            _json(out / "comparison.json", self.comparison)
        if self.map_png is not None:
            (out / "map.png").write_bytes(self.map_png)
        charts = write_charts(self, out)
        write_html(self, out / "report.html", charts)
        return out


def _ari_only(comparison: dict | None) -> dict[str, float | None]:
    if not comparison:
        return {}
    return {t: v.get("adjusted_rand_index") for t, v in comparison.items() if isinstance(v, dict)}


def _json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(json_safe(data), indent=2, allow_nan=False), encoding="utf-8")
