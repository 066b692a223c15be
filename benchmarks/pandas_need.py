"""The pandas baseline of the need benchmark, as one whole process.

Python start, ``import pandas`` and ``scipy.stats``, read a Parquet copy of the output
area table (``oa, group_code, base, residents, households, lsoa, ward, lad``: what
``oacinsight need`` reads from the store) and the rates file, then the straightforward
way an analyst would do it: merge the group rates onto the OAs, expected = rate × base
per OA with the gamma interval of the rate, sums and variances per LSOA, ward and
district, the LSOAs ranked by expected rate, the top 20 and the gains curve, written as
``expected.csv``, ``targets.csv``, ``gains.csv`` and ``rates.csv``.

It does less than ``oacinsight need`` (no checks of the rates file, no area names, no
postcode list, no disclosure control, no group-mix warning), which favours it.

    python benchmarks/pandas_need.py oas.parquet rates.csv OUT_DIR
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats


def gamma_interval(mean: np.ndarray, var: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ok = (mean > 0) & (var > 0)
    shape = np.where(ok, mean**2 / np.where(ok, var, 1), 1.0)
    scale = np.where(ok, var / np.where(ok, mean, 1), 0.0)
    low = np.where(ok, stats.gamma.ppf(0.025, shape) * scale, mean)
    high = np.where(ok, stats.gamma.ppf(0.975, shape) * scale, mean)
    return low, high


def main(oas_path: str, rates_path: str, out_dir: str) -> None:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    oas = pd.read_parquet(oas_path)
    rates = pd.read_csv(rates_path, dtype={"code": str})
    rates = rates[rates["level"] == "group"]
    sd = (rates["shrunk_high"] - rates["shrunk_low"]) / (2 * 1.96)
    rates = rates.assign(var=sd**2)[["code", "rate_shrunk", "var"]]
    df = oas.merge(rates, left_on="group_code", right_on="code", how="left")
    df["expected"] = df["rate_shrunk"] * df["base"]
    df["var_e"] = df["var"] * df["base"] ** 2
    frames = []
    for kind, key in (("oa", "oa"), ("lsoa", "lsoa"), ("ward", "ward"), ("lad", "lad")):
        if kind == "oa":
            g = df.rename(columns={"oa": "area_code"})
        else:
            # within an area the same group rate multiplies every OA's base
            cells = df.groupby([key, "group_code"]).agg(
                base=("base", "sum"), rate=("rate_shrunk", "first"), var=("var", "first")
            )
            cells["expected"] = cells["rate"] * cells["base"]
            cells["var_e"] = cells["var"] * cells["base"] ** 2
            sums = cells.groupby(level=0)[["expected", "var_e"]].sum()
            totals = df.groupby(key)[["residents", "households", "base"]].sum()
            g = sums.join(totals).reset_index().rename(columns={key: "area_code"})
        low, high = gamma_interval(g["expected"].to_numpy(), g["var_e"].to_numpy())
        g = g.assign(area_type=kind, expected_low=low, expected_high=high)
        g["expected_rate"] = g["expected"] / g["base"]
        frames.append(
            g[
                [
                    "area_code",
                    "area_type",
                    "residents",
                    "households",
                    "base",
                    "expected",
                    "expected_low",
                    "expected_high",
                    "expected_rate",
                ]
            ]
        )
    expected = pd.concat(frames, ignore_index=True)
    expected.to_csv(out / "expected.csv", index=False)
    lsoas = expected[expected["area_type"] == "lsoa"].sort_values("expected_rate", ascending=False)
    lsoas[lsoas["expected"] >= 10].head(20).to_csv(out / "targets.csv", index=False)
    hh = lsoas["households"].fillna(lsoas["base"])
    gains = pd.DataFrame(
        {
            "area_code": lsoas["area_code"],
            "households_share": hh.cumsum() / hh.sum(),
            "expected_share": lsoas["expected"].cumsum() / lsoas["expected"].sum(),
        }
    )
    gains["lift_expected"] = gains["expected_share"] / gains["households_share"]
    gains.to_csv(out / "gains.csv", index=False)
    rates.to_csv(out / "rates.csv", index=False)


if __name__ == "__main__":
    main(*sys.argv[1:4])
