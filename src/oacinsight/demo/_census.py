"""Synthetic Census 2021 topic-summary counts for the Demoshire output areas.

The tables follow the published OA-level layout (``OA`` then one column per cell,
``ts0010001``...), with every total equal to the sum of its parts.  Counts are drawn
per OA from multinomials whose shares depend on the OA's supergroup
(:data:`oacinsight.demo._world.PROFILES`), perturbed per OA.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from oacinsight.demo._world import PROFILES

#: ``Table_Metadata.csv`` header and the rows describing the five demo tables, as
#: published with the Census 2021 OA bulk tables (column descriptions only).
TABLE_METADATA_HEADER = ("Table_Name", "Variable_Name", "Type", "new_names", "Table_ID",
                         "old_names")  # fmt: skip
_RES = "Residence type"
_HH = "Number of households"
_CARS = "Number of cars or vans"
_TEN = "Tenure of household"
_HEALTH = "General health"
_TABLES: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("ts001", _RES, "Value",
     ("Total", "Lives in a household", "Lives in a communal establishment")),
    ("ts041", _HH, "Value", (_HH,)),
    ("ts045", _CARS, "NA",
     ("Total: All households", "No cars or vans in household", "1 car or van in household",
      "2 cars or vans in household", "3 or more cars or vans in household")),
    ("ts054", _TEN, "NA",
     ("Total: All households", "Owned", "Owned: Owns outright",
      "Owned: Owns with a mortgage or loan", "Shared ownership",
      "Shared ownership: Shared ownership", "Social rented",
      "Social rented: Rents from council or Local Authority",
      "Social rented: Other social rented", "Private rented",
      "Private rented: Private landlord or letting agency",
      "Private rented: Other private rented", "Lives rent free")),
    ("ts037", _HEALTH, "NA",
     ("Total: All usual residents", "Very good health", "Good health", "Fair health",
      "Bad health", "Very bad health")),
)  # fmt: skip
CENSUS_TABLE_IDS: tuple[str, ...] = tuple(sorted(t[0] for t in _TABLES))
#: Concentration of the per-OA Dirichlet around a supergroup's shares.
CONCENTRATION = 80.0


def table_metadata_rows() -> list[tuple[str, ...]]:
    """Rows of ``Table_Metadata.csv`` for the demo tables, in the published form."""
    rows: list[tuple[str, ...]] = []
    for table_id, table_name, kind, variables in _TABLES:
        for i, var in enumerate(variables, start=1):
            old = f"{table_name}: {var}" + ("; measures: Value" if kind == "Value" else "")
            rows.append((table_name, var, kind, f"{table_id}{i:04d}", table_id, old))
    return rows


def _shares(rng: np.random.Generator, base: tuple[float, ...]) -> np.ndarray:
    """Shares for one OA: a Dirichlet draw centred on ``base``."""
    p = np.asarray(base, dtype=float)
    return rng.dirichlet(p / p.sum() * CONCENTRATION)


def _residents(rng: np.random.Generator, sg: str) -> tuple[int, int, int]:
    """Total usual residents, in households, in communal establishments."""
    total = int(np.clip(rng.normal(340, 45), 250, 450))
    p_communal = 0.15 if sg in ("2", "3") else 0.05
    communal = int(rng.integers(8, 61)) if rng.random() < p_communal else 0
    return total, total - communal, communal


def _one_oa(rng: np.random.Generator, sg: str) -> dict[str, list[int]]:
    """All five tables' cells for one OA of supergroup ``sg``."""
    prof = PROFILES[sg]
    total, in_hh, communal = _residents(rng, sg)
    households = max(1, round(in_hh / (prof.hh_size * rng.lognormal(0.0, 0.08))))
    ten = rng.multinomial(households, _shares(rng, prof.tenure)).tolist()
    cars = rng.multinomial(households, _shares(rng, prof.cars)).tolist()
    health = rng.multinomial(total, _shares(rng, prof.health)).tolist()
    outright, mortgage, shared, council, other_social, landlord, other_private, free = ten
    tenure = [households, outright + mortgage, outright, mortgage, shared, shared,
              council + other_social, council, other_social, landlord + other_private,
              landlord, other_private, free]  # fmt: skip
    return {
        "ts001": [total, in_hh, communal],
        "ts041": [households],
        "ts045": [households, *cars],
        "ts054": tenure,
        "ts037": [total, *health],
    }


def census_tables(rng: np.random.Generator, oas: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Draw the five census tables for every OA.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness.
    oas : pandas.DataFrame
        Needs ``oa`` and ``supergroup``.

    Returns
    -------
    dict of str to pandas.DataFrame
        Table id → frame with ``OA`` (str) and float64 count columns ``tsNNNcccc``,
        sorted by ``OA`` like the published files.
    """
    cells: dict[str, list[list[int]]] = {t: [] for t in CENSUS_TABLE_IDS}
    for sg in oas["supergroup"]:
        for table_id, values in _one_oa(rng, sg).items():
            cells[table_id].append(values)
    out = {}
    for table_id in CENSUS_TABLE_IDS:
        arr = np.asarray(cells[table_id], dtype=np.float64)
        cols = [f"{table_id}{i:04d}" for i in range(1, arr.shape[1] + 1)]
        frame = pd.DataFrame(arr, columns=cols)
        frame.insert(0, "OA", oas["oa"].to_numpy())
        out[table_id] = frame.sort_values("OA", kind="stable").reset_index(drop=True)
    return out
