"""oacinsight on Apache Spark (the ``oacinsight[spark]`` extra): the same match and
profile, for records that live on a cluster.

- :func:`match` (in :mod:`oacinsight.spark.matching`): a Spark DataFrame of records →
  the same DataFrame with the columns, statuses and notes of ``oacinsight match``;
- :func:`profile` (in :mod:`oacinsight.spark.profiling`): a Spark DataFrame of records →
  the :class:`~oacinsight.profile.result.ProfileResult` the default engine gives;
- :func:`need` (in :mod:`oacinsight.spark.need`): Spark DataFrames of customers (and
  observed users) → the :class:`~oacinsight.need.result.NeedResult` the default engine gives;
- the reference data is a folder written by ``oacinsight data export``
  (:mod:`oacinsight.spark.reference`).

PySpark is imported only when these run.  See docs/spark.md.
"""

from __future__ import annotations

from oacinsight.spark.matching import match
from oacinsight.spark.need import need
from oacinsight.spark.profiling import profile
from oacinsight.spark.reference import Reference, export_reference, load_reference
from oacinsight.spark.session import spark_session

__all__ = [
    "Reference",
    "export_reference",
    "load_reference",
    "match",
    "need",
    "profile",
    "spark_session",
]
