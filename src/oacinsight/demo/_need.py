"""Demoshire's areas of likely need: claimants with a planted take-up gap, then
``oacinsight need`` on the matched customers (rates) and the claimants (observed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["PLANTED_WARDS", "TAKE_UP", "run_demo_need", "write_claimants"]

#: Take-up among people with the need: everywhere, and in the planted wards.
TAKE_UP, PLANTED_TAKE_UP = 0.9, 0.4
#: How many wards (the largest by customers) get the low take-up.
PLANTED_WARDS = 2


def write_claimants(matched: Path, out: Path, *, seed: int = 2021) -> list[str]:
    """Claimants drawn from the matched customers (each claims with the take-up of their
    ward); returns the planted wards."""
    frame = pd.read_csv(matched, dtype=str, usecols=["postcode_clean", "ward"])
    frame = frame.dropna()
    planted = frame["ward"].value_counts().index[:PLANTED_WARDS].tolist()
    rng = np.random.default_rng(seed + 12)
    take = np.where(frame["ward"].isin(planted), PLANTED_TAKE_UP, TAKE_UP)
    claim = frame[rng.random(len(frame)) < take]
    out.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"postcode": claim["postcode_clean"]}).to_csv(out, index=False)
    return planted


def run_demo_need(
    matched: Path, store: Path, results: Path, *, seed: int = 2021
) -> dict[str, Path]:
    """Rates from the customers, take-up from the claimants, wards ranked by shortfall."""
    from oacinsight.need import NeedOptions, TargetRules, need_file

    claimants = results / "need_claimants.csv"
    write_claimants(matched, claimants, seed=seed)
    options = NeedOptions(observed=str(claimants), rules=TargetRules(area_type="ward", top=5))
    written = need_file(matched, options, store=store).write(results / "need")
    return {
        "need_html": written["html"],
        "need_targets": written["targets"],
        "need_expected": written["expected"],
        "need_gains": written["gains"],
    }
