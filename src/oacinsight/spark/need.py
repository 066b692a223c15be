"""``need`` on Spark: the counting runs in Spark, the statistics on the driver.

The records (customers with the need, and observed users or claimants) are matched and
counted per output area in Spark, with the Spark SQL match expressions of
:mod:`oacinsight.spark.matching` (no Python UDF); only one row per output area (and,
for observed counts by area code, one row per code) reaches the driver.  There the
core's own code (:func:`oacinsight.need.run.need_file`, fed through its
:class:`~oacinsight.need.run.Counted` seam) chooses the area and the base, computes
the rates, shrinkage, expected demand, observed against expected, the target lists, the
gains curve and the disclosure control, so the results are those of the default engine.

- :func:`need`: the library, for records already in Spark DataFrames;
- :class:`SparkNeed`: ``oacinsight need --engine spark``, whose files are read on the
  driver as by the default engine (the same reader, so the same rows) and counted in
  Spark (the postcodes, and the count column, cross as Parquet).
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
from collections.abc import Callable
from typing import TYPE_CHECKING

import pandas as pd

from oacinsight.errors import InputFileError, OacInsightError
from oacinsight.match import MATCHED, Assignment, coordinate_columns
from oacinsight.need import inputs
from oacinsight.need.result import NeedResult
from oacinsight.need.run import Counted, NeedOptions, need_file
from oacinsight.spark.matching import col, match, match_columns
from oacinsight.spark.reference import Reference, load_reference
from oacinsight.store import Store, matching
from oacinsight.store.matching import STATUSES
from oacinsight.tabular import InputSource, open_input

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

    from oacinsight.spark.engine import SparkEngine

__all__ = ["SparkNeed", "amount_value", "count_per_oa", "need", "refuse_unsupported"]

#: The large reference tables the driver reads as views on a local export's Parquet
#: files: each query reads only the rows it needs (the area's output areas, its
#: postcodes, the census base there), not the whole table.
VIEWS = ("pc_lookup", "postcodes", "oac_oa", "oa_links", "census_ts001", "census_ts041")
#: Characters DuckDB's ``TRY_CAST(... AS DOUBLE)`` skips around a number.
_DUCK_SPACE = "[ \\t\\n\\x0B\\f\\r]"
_CONTROL = "[\\x00-\\x08\\x0E-\\x1F]"


def amount_value(column: Column) -> Column:
    """A text count as a number, as DuckDB's ``TRY_CAST(x AS DOUBLE)`` reads it (NULL
    when it is not one): Spark's cast also takes ``5d``/``5f`` and trims control
    characters, DuckDB takes ``1_000``; both are brought to DuckDB's rule."""
    from pyspark.sql import functions as F

    text = column.cast("string")
    bad = text.rlike(f"[0-9.][dDfF]{_DUCK_SPACE}*$") | text.rlike(
        f"^{_DUCK_SPACE}*{_CONTROL}|{_CONTROL}{_DUCK_SPACE}*$"
    )
    plain = F.regexp_replace(text, "(?<=[0-9])_(?=[0-9])", "")
    return F.when(bad, F.lit(None).cast("double")).otherwise(plain.try_cast("double"))


def count_per_oa(
    name: str,
    matched: DataFrame,
    amount_column: str | None = None,
    *,
    every_status: bool = True,
) -> Assignment:
    """Count ``matched`` (rows with ``match_status`` and ``oa21``) per output area in
    Spark: the :class:`~oacinsight.match.Assignment` (``oa, records, amount``) that
    :func:`oacinsight.match.assign_rows` gives for the same records, ``amount`` summing
    ``amount_column`` read as a number (0 when it is not one), or 1 a row.

    ``every_status``: every status of ``match`` (zeros included), as for records matched
    here; otherwise the statuses the records carry (matched before).
    """
    from pyspark.sql import functions as F

    status = col("match_status").cast("string")
    ok = status.isin(*MATCHED) & col("oa21").isNotNull()
    value = F.coalesce(amount_value(col(amount_column)), F.lit(0.0)) if amount_column else None
    counts = (
        matched.select(
            status.alias("s"),
            F.when(ok, col("oa21").cast("string")).alias("oa"),
            (value if value is not None else F.lit(1.0)).alias("a"),
        )
        .groupBy("s", "oa")
        .agg(F.count(F.lit(1)).alias("n"), F.sum("a").alias("a"))
        .toArrow()
        .to_pandas()
    )
    statuses = {s: 0 for s in STATUSES} if every_status else {}
    by: dict[object, int] = {}
    for s, n in zip(counts["s"].astype(object), counts["n"], strict=True):
        key = None if pd.isna(s) else s
        by[key] = by.get(key, 0) + int(n)
    for s in sorted(by, key=lambda v: (v is None, str(v))):  # as statuses_as_given
        statuses[str(s)] = by[s]
    per = counts.groupby("oa", as_index=False, dropna=False)[["n", "a"]].sum()
    per = per.sort_values("oa", na_position="last").reset_index(drop=True)
    per_oa = pd.DataFrame(
        {
            "oa": per["oa"].astype(object).where(per["oa"].notna(), None),
            "records": per["n"].astype("int64"),
            "amount": per["a"].astype("float64"),
        }
    )
    return Assignment(name, int(counts["n"].sum()), statuses, per_oa)


def _already_matched(columns: list[str], postcode_column: str | None) -> bool:
    """Records matched before (as :func:`oacinsight.match.assign_rows` decides)."""
    return {"match_status", "oa21"} <= set(columns) and postcode_column is None


def _stripped(column: Column) -> Column:
    """Text without leading and trailing white space (as Python's ``str.strip``)."""
    from pyspark.sql import functions as F

    return F.regexp_replace(column.cast("string"), "(?U)^\\s+|\\s+$", "")


def _code_column(df: DataFrame) -> str | None:
    """:func:`oacinsight.need.inputs` rule in Spark: the first column whose non-null
    values are at least 90% GSS codes of a kind need knows (one pass over the rows)."""
    from pyspark.sql import functions as F

    prefixes = list(inputs._CODE_TYPES)
    aggs = []
    for i, c in enumerate(df.columns):
        text = F.upper(_stripped(col(c)))
        aggs += [
            F.count(col(c)).alias(f"n{i}"),
            F.sum(text.rlike(inputs._GSS.pattern).cast("long")).alias(f"g{i}"),
            F.sum(F.substring(text, 1, 3).isin(*prefixes).cast("long")).alias(f"k{i}"),
        ]
    row = df.agg(*aggs).first()
    if row is None:
        return None
    for i, c in enumerate(df.columns):
        n = int(row[f"n{i}"] or 0)
        if n and (row[f"g{i}"] or 0) / n >= 0.9 and (row[f"k{i}"] or 0) / n >= 0.9:
            return c
    return None


def _observed_by_code(
    s: Store, df: DataFrame, code_col: str, count: str | None, name: str
) -> inputs.Observed:
    """Observed counts per area code, summed in Spark (one row per code to the driver)."""
    from pyspark.sql import functions as F

    code = F.coalesce(F.upper(_stripped(col(code_col))), F.lit("NONE"))
    amount = amount_value(col(count)) if count else F.lit(1.0)
    per = (
        df.select(code.alias("code"), amount.alias("a"))
        .groupBy("code")
        .agg(
            F.sum("a").alias("a"),
            F.count(F.lit(1)).alias("n"),
            F.sum((F.col("a").isNull() | (F.col("a") < 0)).cast("long")).alias("bad"),
        )
        .toArrow()
        .to_pandas()
        .sort_values("code")
    )
    kind = inputs.code_kind(per["code"].tolist(), code_col, name)
    if per["bad"].sum() > 0:
        raise InputFileError(f"{name}: every count in {count!r} must be a number of 0 or more")
    amounts = pd.Series(per["a"].astype(float).to_numpy(), index=per["code"].to_numpy())
    return inputs.observed_by_code(s, amounts, kind, int(per["n"].sum()), name)


def refuse_unsupported(options: NeedOptions) -> None:
    """Refuse, with one line, what the Spark engine cannot do yet (never ignore it)."""
    if options.survey_question:
        raise OacInsightError(
            "the Spark engine does not take a survey input (--survey-question) yet; "
            "use the default engine"
        )


def _customers(
    records: DataFrame, ref: Reference, opt: NeedOptions, name: str, broadcast: bool | None
) -> Callable[[Store], Assignment]:
    """The library's customers: matched (unless matched before) and counted in Spark."""

    def load(s: Store) -> Assignment:
        already = _already_matched(list(records.columns), opt.postcode_column)
        matched = (
            records if already else match(records, ref, opt.postcode_column, broadcast=broadcast)
        )
        return count_per_oa(name, matched, every_status=not already)

    return load


def _observed(
    records: DataFrame, ref: Reference, opt: NeedOptions, broadcast: bool | None
) -> Callable[[Store, list[str]], inputs.Observed]:
    """The library's observed records: by area code (summed per code) or by postcode
    (matched and summed per output area), in Spark, with the core's rules and messages."""
    name, pc = str(opt.observed), opt.postcode_column

    def load(s: Store, oas: list[str]) -> inputs.Observed:
        count = inputs._count_column(list(records.columns), opt.observed_count, name)
        code_col = None if pc else _code_column(records)
        if code_col is not None:
            return _observed_by_code(s, records, code_col, count, name)
        already = _already_matched(list(records.columns), pc)
        matched = records if already else match(records, ref, pc, broadcast=broadcast)
        found = count_per_oa(name, matched, count, every_status=not already)
        return inputs.observed_in_area(found, oas, name)

    return load


def need(
    df: DataFrame | None,
    reference: str | os.PathLike[str] | Reference,
    options: NeedOptions | None = None,
    *,
    observed: DataFrame | None = None,
    broadcast: bool | None = None,
    name: str = "records",
) -> NeedResult:
    """Areas of likely need from Spark DataFrames: the result of ``oacinsight need``.

    Parameters
    ----------
    df : pyspark.sql.DataFrame or None
        Customers with the need, raw (a postcode column) or matched by
        :func:`~oacinsight.spark.match`; None with ``options.rates``.
    reference : path or Reference
        A folder written by ``oacinsight data export`` (any path Spark reads).
    options : NeedOptions, optional
        As for :func:`oacinsight.need.need_file` (``options.observed`` and survey
        inputs are not taken here: pass ``observed`` as a DataFrame).
    observed : pyspark.sql.DataFrame, optional
        Observed users or claimants: a postcode column, or a column of OA, LSOA, ward or
        district codes; one row per person, or a count column (``options.observed_count``).
    broadcast : bool, optional
        Passed to the match (None: Spark decides).
    name : str
        The records' name in messages and the result.

    Returns
    -------
    NeedResult
        Equal to the default engine's result for the same records.
    """
    opt = options or NeedOptions()
    refuse_unsupported(opt)
    if opt.observed:
        raise OacInsightError(
            "on Spark, give the observed records as a DataFrame (observed=...), not a path"
        )
    frames = [f for f in (df, observed) if f is not None]
    spark = frames[0].sparkSession if frames else None
    ref = load_reference(reference, spark)
    if observed is not None:
        opt = dataclasses.replace(opt, observed="observed")  # its name in messages
    counted = Counted(
        customers=_customers(df, ref, opt, name, broadcast) if df is not None else None,
        observed=_observed(observed, ref, opt, broadcast) if observed is not None else None,
    )
    with ref.driver_store(spark, views=VIEWS) as s:
        return need_file(name if df is not None else None, opt, store=s, counted=counted)


class SparkNeed:
    """``oacinsight need --engine spark``: the files read on the driver as by the default
    engine, their records matched and counted per output area in Spark."""

    def __init__(self, engine: SparkEngine) -> None:
        self.engine = engine

    def counted(self, input_path: str | os.PathLike[str] | None, options: NeedOptions) -> Counted:
        """The :class:`~oacinsight.need.run.Counted` of ``need_file`` for these files."""
        refuse_unsupported(options)
        pc = options.postcode_column

        def customers(path: str | os.PathLike[str]) -> Callable[[Store], Assignment]:
            def load(s: Store) -> Assignment:
                with open_input(path) as src, matching.loaded_input(s.con, src) as rows:
                    return self.assign_rows(s, src, rows, postcode_column=pc)

            return load

        def observed(s: Store, oas: list[str]) -> inputs.Observed:
            return inputs.load_observed(
                s, str(options.observed), pc, options.observed_count, oas, self.assign_rows
            )

        return Counted(
            customers=customers(input_path) if input_path is not None else None,
            observed=observed if options.observed else None,
        )

    def assign_rows(
        self,
        s: Store,
        src: InputSource,
        rows: matching.Rows,
        *,
        postcode_column: str | None = None,
        amount_column: str | None = None,
    ) -> Assignment:
        """:func:`oacinsight.match.assign_rows` with the matching and counting in Spark."""
        con = s.con
        if rows.count == 0:
            raise InputFileError(f"{src.name}: has a header but no data rows")
        columns = list(rows.columns)
        already = _already_matched(columns, postcode_column)
        place: tuple[str, str, str] | None = None
        if already:
            send = ["oa21", "match_status"]
        else:
            coords = coordinate_columns(columns)
            # as the default engine, which places no record by coordinates above this size
            place = coords if rows.count <= matching.IN_MEMORY_ROWS else None
            rows, column = self.engine._postcode_column(con, src, rows, postcode_column, coords)
            send = [column]
        if amount_column and amount_column not in send:
            send.append(amount_column)
        named = {c: f"c{i}" for i, c in enumerate(send)}
        numbers = place[:2] if place else ()
        with tempfile.TemporaryDirectory(prefix="oacinsight-spark-", dir=self.engine.work_dir) as t:
            sdf = self.engine._send(con, rows, send, t, numbers)
            if already:
                sdf = sdf.withColumnsRenamed({"c0": "oa21", "c1": "match_status"})
                named.update({"oa21": "oa21", "match_status": "match_status"})
            else:
                editions = ", ".join(matching.editions(con)) or "loaded edition"
                ref = self.engine.reference(con, s.cache)
                sdf = match_columns(
                    sdf,
                    "c0",
                    ref,
                    broadcast=self.engine.broadcast,
                    edition=editions,
                    coords=("n0", "n1", place[2]) if place else None,
                )
            amount = named[amount_column] if amount_column else None
            return count_per_oa(src.name, sdf, amount, every_status=not already)
