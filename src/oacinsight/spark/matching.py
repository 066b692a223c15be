"""``match`` on Spark: the same added columns, statuses and notes as ``oacinsight match``.

Everything is a Spark SQL expression (no Python UDF), so it runs in the JVM on every
executor.  The rules are those of :mod:`oacinsight.postcodes` and
:mod:`oacinsight.store.matching`, written once more for Spark:

- key: ``upper(regexp_replace(coalesce(CAST(pc AS STRING), ''), '[^A-Za-z0-9]', ''))``;
- blank: the text is empty or only Unicode space separators (what DuckDB's ``trim``
  removes: U+0020, U+00A0, U+1680, U+2000-U+200A, U+202F, U+205F, U+3000);
- the grammar, BFPO, area and district rules and the status and note of each row as in
  ``store/matching.py`` (``_STATUS`` and ``_NOTE``); the regular expressions are the
  very strings of :mod:`oacinsight.postcodes` (their RE2 syntax is also Java's);
- the lookup is ``pc_lookup`` of the exported reference (keys of at most 8 characters,
  as in the postcode index), joined on the key: broadcast to every executor when it is
  small enough for Spark (``spark.sql.autoBroadcastJoinThreshold``, or ``broadcast=True``),
  a sort-merge join otherwise.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from oacinsight.errors import InputFileError
from oacinsight.match import choose_postcode_column, coordinate_columns
from oacinsight.postcodes import BFPO_REGEX, POSTCODE_KEY_REGEX, STRIP_REGEX
from oacinsight.spark.reference import Reference, load_reference
from oacinsight.store.matching import ADDED_COLUMNS, INTERNAL_COLUMNS, LOOKUP_FIELDS, NO_POSTCODE

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

#: Characters DuckDB's ``trim`` removes (Unicode category Zs), as a Java regex class.
BLANK_CLASS = "[ \\u00A0\\u1680\\u2000-\\u200A\\u202F\\u205F\\u3000]"
_P = "__oac_"  # prefix of working columns
NOTE_BLANK = "no postcode given"
NOTE_BFPO = "BFPO (British Forces) address: not a geographic postcode"
NOTE_INVALID = "not a valid UK postcode format"

__all__ = ["BLANK_CLASS", "col", "match", "match_columns", "renamed"]


def col(name: str) -> Column:
    """A column by its exact name (dots, spaces and backticks allowed)."""
    from pyspark.sql import functions as F

    return F.col("`" + name.replace("`", "``") + "`")


def renamed(column: str) -> str:
    """An input column's name in the output (``_input`` added where it clashes)."""
    clash = column in ADDED_COLUMNS or column in INTERNAL_COLUMNS
    return f"{column}_input" if clash else column


def _lookup(ref: Reference, df: DataFrame, broadcast: bool | None) -> DataFrame:
    from pyspark.sql import functions as F

    lk = ref.read(df.sparkSession, "pc_lookup").where(F.length("pc_key") <= 8)
    lk = lk.select(
        F.col("pc_key").alias(f"{_P}pc_key"),
        *(F.col(c).alias(f"{_P}l_{c}") for c in LOOKUP_FIELDS),
    )
    if broadcast is True:
        return F.broadcast(lk)
    return lk.hint("merge") if broadcast is False else lk


def _known(ref: Reference, df: DataFrame) -> tuple[DataFrame, DataFrame]:
    """The postcode areas and districts of the directory, with a flag column each."""
    from pyspark.sql import functions as F

    districts = ref.read(df.sparkSession, "pc_districts")
    areas = districts.select(F.col("area").alias(f"{_P}area")).distinct()
    dist = districts.select(F.col("district").alias(f"{_P}district")).distinct()
    return (
        F.broadcast(areas.withColumn(f"{_P}ak", F.lit(True))),
        F.broadcast(dist.withColumn(f"{_P}dk", F.lit(True))),
    )


def _with_lookup(
    df: DataFrame, postcode_column: str, ref: Reference, broadcast: bool | None
) -> DataFrame:
    """``df`` with the key, its flags and the lookup's fields, as working columns."""
    from pyspark.sql import functions as F

    text = F.coalesce(col(postcode_column).cast("string"), F.lit(""))
    key = F.col(f"{_P}key")
    keyed = (
        df.withColumn(f"{_P}key", F.upper(F.regexp_replace(text, STRIP_REGEX, "")))
        .withColumn(f"{_P}blank", F.length(F.regexp_replace(text, BLANK_CLASS, "")) == 0)
        .withColumn(f"{_P}area", F.regexp_extract(key, "^([A-Z]*)", 1))
        .withColumn(f"{_P}district", F.expr(f"substring({_P}key, 1, length({_P}key) - 3)"))
    )
    areas, districts = _known(ref, df)
    lk = _lookup(ref, df, broadcast)
    return (
        keyed.join(lk, key == F.col(f"{_P}pc_key"), "left")
        .join(areas, f"{_P}area", "left")
        .join(districts, f"{_P}district", "left")
    )


def _added(edition: str, coords: bool = False) -> dict[str, Column]:
    """The added columns, from the working columns of :func:`_with_lookup` (and of
    :func:`oacinsight.spark.coordinates.place` when ``coords``)."""
    from pyspark.sql import functions as F

    def w(name: str) -> Column:
        return F.col(f"{_P}{name}")

    key, blank, status = w("key"), w("blank"), w("l_status")
    by_coords = w("bc") if coords else F.lit(False)
    coord_note = F.concat(
        w("cnote") if coords else F.lit(""),
        F.coalesce(F.concat(F.lit("; "), F.nullif(w("l_note"), F.lit(""))), F.lit("")),
    )
    valid = key.rlike(POSTCODE_KEY_REGEX)
    bfpo = key.rlike(BFPO_REGEX)
    area_known = w("ak").isNotNull()
    district_known = w("dk").isNotNull()
    clean = F.concat(
        F.expr(f"substring({_P}key, 1, length({_P}key) - 3)"),
        F.lit(" "),
        F.expr(f"right({_P}key, 3)"),
    )
    out: dict[str, Column] = {
        "postcode_clean": F.when(status.isNotNull() & ~by_coords, w("l_postcode_clean")).when(
            valid, clean
        )
    }
    for c in ADDED_COLUMNS[1:-2]:
        out[c] = w(f"l_{c}")
    out["match_status"] = (
        F.when(by_coords, status)
        .when(blank, "missing")
        .when(status.isNotNull(), status)
        .when(bfpo, "not_found")
        .when(~valid, "invalid_format")
        .otherwise("not_found")
    )
    out["match_note"] = (
        F.when(by_coords, coord_note)
        .when(blank, NOTE_BLANK)
        .when(status.isNotNull(), F.when(w("l_note") == "", None).otherwise(w("l_note")))
        .when(bfpo, NOTE_BFPO)
        .when(~valid, NOTE_INVALID)
        .when(
            ~area_known,
            F.concat(
                F.lit("postcode area "),
                w("area"),
                F.lit(" is not in the loaded postcode directory"),
            ),
        )
        .when(
            ~district_known,
            F.concat(
                F.lit("postcode district "),
                w("district"),
                F.lit(" is not in the loaded postcode directory"),
            ),
        )
        .otherwise(
            f"not in the postcode directory ({edition}): new since that edition, or mistyped"
        )
    )
    out["_laua_name"] = w("l_laua_name")
    out["_by_coords"] = by_coords
    return out


def match_columns(
    df: DataFrame,
    postcode_column: str,
    reference: Reference,
    *,
    keep: list[str] | None = None,
    internal: bool = False,
    broadcast: bool | None = None,
    edition: str | None = None,
    coords: tuple[str, str, str] | None = None,
) -> DataFrame:
    """``keep`` columns of ``df`` (default: all, renamed where they clash) followed by
    :data:`~oacinsight.store.matching.ADDED_COLUMNS` (and ``_laua_name, _by_coords`` when
    ``internal``); with ``coords`` (x column, y column, ``"bng"`` or ``"latlong"``),
    records with no postcode match are placed by their coordinates
    (:mod:`oacinsight.spark.coordinates`)."""
    keep = list(df.columns) if keep is None else keep
    joined = _with_lookup(df, postcode_column, reference, broadcast)
    if coords is not None:
        from oacinsight.spark.coordinates import place

        joined = place(joined, reference.read(df.sparkSession, "pc_lookup"), coords, _P)
    added = _added(edition or reference.edition, coords is not None)
    names = [*ADDED_COLUMNS, *(("_laua_name", "_by_coords") if internal else ())]
    return joined.select(
        *(col(c).alias(renamed(c)) for c in keep), *(added[n].alias(n) for n in names)
    )


def postcode_shares(df: DataFrame, columns: list[str]) -> dict[str, float]:
    """Share of the first 2,000 non-blank values of each column that look like postcodes
    (as :func:`oacinsight.store.matching.postcode_shares`)."""
    from pyspark.sql import functions as F

    out = {}
    for c in columns:
        text = col(c).cast("string")
        key = F.upper(F.regexp_replace(F.coalesce(text, F.lit("")), STRIP_REGEX, ""))
        sample = df.select(key.alias("k")).where(F.trim(text) != "").limit(2000)
        row = sample.agg(F.avg(F.col("k").rlike(POSTCODE_KEY_REGEX).cast("double"))).first()
        out[c] = float(row[0] or 0.0) if row else 0.0
    return out


def match(
    df: DataFrame,
    reference: str | os.PathLike[str] | Reference,
    postcode_col: str | None = None,
    *,
    broadcast: bool | None = None,
) -> DataFrame:
    """Match a Spark DataFrame of records: every row with the columns ``match`` adds.

    Parameters
    ----------
    df : pyspark.sql.DataFrame
        Records with a postcode column (any other columns are kept; names that clash
        with an added column get ``_input`` added, as ``oacinsight match`` does).
    reference : path or Reference
        A folder written by ``oacinsight data export`` (local path or any URI Spark
        reads: ``hdfs://``, ``s3a://``, ``gs://``, ``abfss://``, ``dbfs:/``).
    postcode_col : str, optional
        The postcode column; found by name or content (as ``match``) when omitted.
        Records with easting/northing or longitude/latitude columns (found by name, as
        ``match`` finds them) and no postcode match are placed by their coordinates
        (:mod:`oacinsight.spark.coordinates`); a table with coordinates and no postcode
        column gets an empty ``(no postcode column)``, as with ``match``.
    broadcast : bool, optional
        ``True``: broadcast the postcode lookup to every executor; ``False``: a
        sort-merge join; ``None`` (default): Spark decides by the lookup's size and
        ``spark.sql.autoBroadcastJoinThreshold``.

    Returns
    -------
    pyspark.sql.DataFrame
        The input columns, then ``postcode_clean ... match_status, match_note``.  Spark
        keeps no row order: carry an identifier column if you need one.
    """
    ref = load_reference(reference, df.sparkSession)
    columns = list(df.columns)
    if not columns:
        raise InputFileError("the DataFrame has no columns")
    coords = coordinate_columns(columns)
    try:
        column = choose_postcode_column(
            columns, postcode_col, lambda cols: postcode_shares(df, cols)
        )
    except InputFileError:
        if coords is None or postcode_col:
            raise
        from pyspark.sql import functions as F

        # coordinates only: an empty postcode column, as oacinsight match adds
        df = df.withColumn(NO_POSTCODE, F.lit(None).cast("string"))
        column = NO_POSTCODE
    return match_columns(df, column, ref, broadcast=broadcast, coords=coords)
