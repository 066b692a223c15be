"""``profile`` on Spark: the counting runs in Spark, the statistics on the driver.

The records (millions) are matched and counted in Spark: one aggregation gives the rows
per match status and, per output area, the matched customers and the sum of their cell
keys.  That table (at most one row per output area: about 240,000 for the UK) is all
that reaches the driver, where the core's own code chooses the area, the base, counts
per OAC cell, computes the statistics and applies the disclosure control
(:func:`oacinsight.profile.run.profile_file` with a ``customers`` loader), so the
results are those of the default engine.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import pandas as pd

from oacinsight.match import MATCHED, Assignment
from oacinsight.profile.result import ProfileResult
from oacinsight.profile.run import profile_file
from oacinsight.spark.matching import col, match
from oacinsight.spark.reference import Reference, load_reference
from oacinsight.store import Store
from oacinsight.store.cellkeys import SALT
from oacinsight.store.matching import ADDED_COLUMNS, STATUSES

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

__all__ = ["DRIVER_VIEWS", "count_customers", "profile", "record_key"]

#: Reference tables the driver reads as views on their Parquet files (only the columns
#: each query needs: the output area of each postcode for the coverage notes, the
#: editions), not loaded whole: the postcode tables, 2.7 million rows each for the UK.
DRIVER_VIEWS = ("pc_lookup", "postcodes")


def record_key(columns: list[str]) -> Column:
    """The cell key method's record key (0-255) of each row, from ``columns``: the first
    byte of SHA-256 of the salt and the columns as text joined by the unit separator
    (as :func:`oacinsight.store.cellkeys.record_keys`)."""
    from pyspark.sql import functions as F

    text = F.concat_ws("\x1f", F.lit(SALT), *(col(c).cast("string") for c in columns))
    return F.conv(F.substring(F.sha2(text, 256), 1, 2), 16, 10).cast("int")


def count_customers(
    name: str,
    matched: DataFrame,
    key_columns: list[str] | None = None,
    *,
    every_status: bool = True,
) -> Assignment:
    """Count ``matched`` (rows with ``match_status`` and ``oa21``) in Spark: the
    :class:`~oacinsight.match.Assignment` that :func:`oacinsight.match.assign_areas`
    gives for the same records (``oa, records, amount``, and ``ckey`` when
    ``key_columns`` are given).  Only one row per output area reaches the driver.

    ``every_status``: count every status of ``match`` (zeros included), as for records
    matched here; otherwise only the statuses the records have (matched before).
    """
    from pyspark.sql import functions as F

    status = col("match_status").cast("string")
    ok = status.isin(*MATCHED) & col("oa21").isNotNull()
    rkey = record_key(key_columns) if key_columns else F.lit(0)
    counts = (
        matched.select(
            status.alias("s"),
            F.when(ok, col("oa21").cast("string")).alias("oa"),
            F.when(ok, rkey).alias("rk"),
        )
        .groupBy("s", "oa")
        .agg(F.count(F.lit(1)).alias("n"), F.sum("rk").alias("k"))
        .toArrow()
        .to_pandas()
    )
    statuses = {s: 0 for s in STATUSES} if every_status else {}
    statuses.update({str(s): int(n) for s, n in _by_status(counts).items()})
    per = counts.groupby("oa", as_index=False, dropna=False)[["n", "k"]].sum()
    per = per.sort_values("oa", na_position="last").reset_index(drop=True)
    per_oa = pd.DataFrame(
        {
            "oa": per["oa"].astype(object).where(per["oa"].notna(), None),
            "records": per["n"].astype("int64"),
            "amount": per["n"].astype("float64"),
        }
    )
    if key_columns:
        per_oa["ckey"] = (per["k"].astype("int64") % 256).where(per["oa"].notna())
    return Assignment(name, int(counts["n"].sum()), statuses, per_oa)


def _by_status(counts: pd.DataFrame) -> dict[object, int]:
    out: dict[object, int] = {}
    for s, n in zip(counts["s"], counts["n"], strict=True):
        key = None if s is None or (isinstance(s, float) and s != s) else s
        out[key] = out.get(key, 0) + int(n)
    return out


def own_columns(columns: list[str]) -> list[str]:
    """The record's own columns for its cell key (the columns ``match`` adds left out)."""
    return [c for c in columns if c not in ADDED_COLUMNS] or ["oa21"]


def profile(
    df: DataFrame,
    reference: str | os.PathLike[str] | Reference,
    *,
    level: str = "supergroup",
    base: str = "residents",
    area: str | list[str] | None = None,
    confidence: float = 0.95,
    suppress_below: int = 10,
    postcode_col: str | None = None,
    disclosure: str = "suppress",
    broadcast: bool | None = None,
) -> ProfileResult:
    """Profile a Spark DataFrame of customer records (raw, or matched by :func:`match`).

    The parameters are those of :func:`oacinsight.profile.run.profile_file`
    (``area``: codes as a list or comma-separated); ``reference`` is a folder written
    by ``oacinsight data export``.  A ``base`` file path is read on the driver.

    Returns
    -------
    ProfileResult
        Equal to the default engine's result for the same records.
    """
    spark = df.sparkSession
    ref = load_reference(reference, spark)
    columns = list(df.columns)
    areas = area.split(",") if isinstance(area, str) else area

    def load(s: Store, keyed: bool) -> Assignment:
        already = {"match_status", "oa21"} <= set(columns) and postcode_col is None
        matched = df if already else match(df, ref, postcode_col, broadcast=broadcast)
        keys = own_columns(columns) if keyed else None
        return count_customers("records", matched, keys, every_status=not already)

    with ref.driver_store(spark, views=DRIVER_VIEWS) as s:
        return profile_file(
            "records",
            store=s,
            level=level,
            base=base,
            areas=areas,
            confidence=confidence,
            suppress_below=suppress_below,
            postcode_column=postcode_col,
            disclosure=disclosure,
            customers=load,
        )
