"""The pandas baseline of the match benchmarks, as one whole process.

Python start, ``import pandas``, read the customers CSV, clean the postcode key, merge
with a pre-built Parquet copy of the store's ``pc_lookup``, set the status, write CSV:
the straightforward way an analyst would do it.

    python benchmarks/pandas_match.py customers.csv pc_lookup.parquet out.csv
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd


def main(inp: str, lookup_path: str, out: str) -> None:
    lookup = pd.read_parquet(lookup_path)
    df = pd.read_csv(inp, dtype=str, keep_default_na=False)
    key = df["postcode"].str.replace(r"[^A-Za-z0-9]", "", regex=True).str.upper()
    df["_key"] = key
    merged = df.merge(lookup, how="left", left_on="_key", right_on="pc_key")
    valid = key.str.match(r"^[A-Z]{1,2}[0-9][0-9A-Z]?[0-9][A-Z]{2}$")
    merged["match_status"] = np.select(
        [key.eq(""), merged["pc_key"].notna(), ~valid],
        ["missing", merged["status"], "invalid_format"],
        "not_found",
    )
    merged.drop(columns=["_key", "pc_key", "status"]).to_csv(out, index=False)


if __name__ == "__main__":
    main(*sys.argv[1:4])
