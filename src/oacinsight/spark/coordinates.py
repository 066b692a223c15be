"""Records placed by their coordinates, on Spark: the rule of :mod:`oacinsight.coordinates`.

A record whose postcode is not in the lookup (blank, invalid or unknown) but which has
finite coordinates (easting/northing, or longitude/latitude projected as in
:func:`oacinsight.coordinates.planar`) takes the lookup row of the **nearest live
postcode** within :data:`~oacinsight.coordinates.MAX_DISTANCE_M` metres: the smallest
``dx * dx + dy * dy``, at most ``MAX_DISTANCE_M ** 2``; among postcodes at that same
distance, the first in key order.  The distance in the note is the square root of that
squared distance, rounded half to even (as Python's ``{:.0f}``).

In Spark SQL (no UDF): the live postcodes are put in square cells a little wider than
the distance limit, so every postcode within range of a record lies in the record's cell
or one of its eight neighbours; each record that needs placing is joined with the
postcodes of those nine cells (an equi-join on the cell), and a window per record keeps
the nearest.  Records whose postcode was found do not take part.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from oacinsight.coordinates import _M_PER_DEG_LAT, _M_PER_DEG_LON, MAX_DISTANCE_M

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

#: Side of a cell (metres): wider than the limit, so a point within range of a record is
#: at most one cell away, whatever the rounding of the division.
CELL_M = MAX_DISTANCE_M + 1.0

__all__ = ["CELL_M", "place"]


def _planar(x: Column, y: Column, kind: str) -> tuple[Column, Column]:
    """Metres, as :func:`oacinsight.coordinates.planar` (the same multiplications)."""
    from pyspark.sql import functions as F

    if kind == "bng":
        return x, y
    return x * F.lit(float(_M_PER_DEG_LON)), y * F.lit(float(_M_PER_DEG_LAT))


def _finite(c: Column) -> Column:
    from pyspark.sql import functions as F

    return c.isNotNull() & ~F.isnan(c) & (F.abs(c) < F.lit(float("inf")))


def _postcodes(lookup: DataFrame, kind: str, p: str) -> DataFrame:
    """Live postcodes with usable centroids: key, the lookup's fields, planar point, cell."""
    from pyspark.sql import functions as F

    xs, ys = ("easting", "northing") if kind == "bng" else ("long", "lat")
    tx, ty = _planar(F.col(xs).cast("double"), F.col(ys).cast("double"), kind)
    live = lookup.where(
        (F.length("pc_key") <= 8) & F.col("doterm").isNull() & _finite(tx) & _finite(ty)
    )
    return live.select(
        F.col("pc_key").alias(f"{p}ck"),
        *(F.col(c).alias(f"{p}c_{c}") for c in _fields()),
        tx.alias(f"{p}tx"),
        ty.alias(f"{p}ty"),
        F.floor(tx / CELL_M).alias(f"{p}cx"),
        F.floor(ty / CELL_M).alias(f"{p}cy"),
    )


def _fields() -> tuple[str, ...]:
    from oacinsight.store.matching import LOOKUP_FIELDS

    return tuple(LOOKUP_FIELDS)


def place(
    df: DataFrame,
    lookup: DataFrame,
    coords: tuple[str, str, str],
    p: str,
) -> DataFrame:
    """``df`` (the working columns of the Spark match, lookup fields ``{p}l_*``) with
    ``{p}bc`` (placed by coordinates) and ``{p}cnote`` added; placed rows get the
    nearest postcode's lookup fields in ``{p}l_*``.  ``lookup`` is ``pc_lookup``."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    xcol, ycol, kind = coords
    x = F.expr(f"try_cast(`{xcol.replace('`', '``')}` AS DOUBLE)")
    y = F.expr(f"try_cast(`{ycol.replace('`', '``')}` AS DOUBLE)")
    px, py = _planar(x, y, kind)
    need = F.col(f"{p}l_status").isNull() & _finite(px) & _finite(py)
    flagged = df.withColumn(f"{p}need", F.coalesce(need, F.lit(False)))
    kept = flagged.where(~F.col(f"{p}need")).drop(f"{p}need")
    kept = kept.withColumn(f"{p}bc", F.lit(False)).withColumn(
        f"{p}cnote", F.lit(None).cast("string")
    )
    todo = (
        flagged.where(F.col(f"{p}need"))
        .drop(f"{p}need")
        .withColumn(f"{p}id", F.monotonically_increasing_id())
        .withColumn(f"{p}px", px)
        .withColumn(f"{p}py", py)
    )
    near = F.array(
        *(
            F.struct(F.lit(a).alias("a"), F.lit(b).alias("b"))
            for a in (-1, 0, 1)
            for b in (-1, 0, 1)
        )
    )
    cells = (
        todo.withColumn(f"{p}nb", F.explode(near))
        .withColumn(f"{p}qx", F.floor(F.col(f"{p}px") / CELL_M) + F.col(f"{p}nb.a"))
        .withColumn(f"{p}qy", F.floor(F.col(f"{p}py") / CELL_M) + F.col(f"{p}nb.b"))
    )
    pcs = _postcodes(lookup, kind, p)
    joined = cells.join(
        pcs,
        (F.col(f"{p}qx") == F.col(f"{p}cx")) & (F.col(f"{p}qy") == F.col(f"{p}cy")),
        "left",
    )
    dx = F.col(f"{p}px") - F.col(f"{p}tx")
    dy = F.col(f"{p}py") - F.col(f"{p}ty")
    d2 = dx * dx + dy * dy
    joined = joined.withColumn(f"{p}d2", F.when(d2 <= F.lit(MAX_DISTANCE_M**2), d2))
    order = Window.partitionBy(f"{p}id").orderBy(
        F.col(f"{p}d2").asc_nulls_last(), F.col(f"{p}ck").asc_nulls_last()
    )
    best = joined.withColumn(f"{p}rn", F.row_number().over(order)).where(F.col(f"{p}rn") == 1)
    placed = F.col(f"{p}d2").isNotNull()
    metres = F.bround(F.sqrt(F.col(f"{p}d2")), 0).cast("long").cast("string")
    best = best.withColumn(f"{p}bc", placed).withColumn(
        f"{p}cnote",
        F.when(
            placed,
            F.concat(
                F.lit("placed by coordinates: nearest postcode "),
                F.coalesce(F.col(f"{p}c_postcode_clean"), F.lit("None")),
                F.lit(", "),
                metres,
                F.lit(" m away"),
            ),
        ),
    )
    for c in _fields():
        best = best.withColumn(f"{p}l_{c}", F.when(placed, F.col(f"{p}c_{c}")))
    return kept.unionByName(best.select(*kept.columns))
