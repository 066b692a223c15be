"""A Spark session for oacinsight, and a plain message when Spark cannot run here."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from oacinsight.errors import OacInsightError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

#: The Spark master of ``--engine spark`` when none is given: Spark on this machine.
DEFAULT_MASTER = "local[*]"

#: Settings of the sessions oacinsight starts itself (never of a session passed in).
LOCAL_CONFIG: dict[str, str] = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.shuffle.partitions": "8",
    "spark.sql.session.timeZone": "UTC",
    "spark.driver.host": "127.0.0.1",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.sql.adaptive.enabled": "true",
}

__all__ = ["DEFAULT_MASTER", "LOCAL_CONFIG", "missing_spark", "owned_session", "spark_session"]


def missing_spark() -> str | None:
    """Why Spark cannot start here (PySpark or Java missing), or None when it can."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "PySpark is not installed: pip install 'oacinsight[spark]'"
    java_home = os.environ.get("JAVA_HOME")
    if shutil.which("java") is None and not (
        java_home and os.path.exists(os.path.join(java_home, "bin", "java"))
    ):
        return "Java is not installed (Spark needs Java 17 or newer)"
    return None


def spark_session(
    master: str = DEFAULT_MASTER,
    *,
    config: dict[str, str] | None = None,
    driver_memory: str = "2g",
) -> SparkSession:
    """The active Spark session, or a new one on ``master`` with :data:`LOCAL_CONFIG`.

    Parameters
    ----------
    master : str
        ``local[*]``, ``local[2]``, ``spark://host:7077``, ``yarn``...
    config : dict, optional
        More Spark settings (they win over :data:`LOCAL_CONFIG`).
    driver_memory : str
        Memory of the driver (for a local master: of all of Spark).

    Raises
    ------
    OacInsightError
        When PySpark or Java is missing.
    """
    why = missing_spark()
    if why:
        raise OacInsightError(f"the Spark engine cannot start: {why}")
    from pyspark.sql import SparkSession

    if master.startswith("local"):
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # no network for local Spark
    builder: Any = SparkSession.builder.master(master).appName("oacinsight")
    settings = {**LOCAL_CONFIG, "spark.driver.memory": driver_memory, **(config or {})}
    for key, value in settings.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


@contextmanager
def owned_session(master: str | None = None) -> Iterator[SparkSession]:
    """The active session if there is one (left running), else a new one on ``master``
    (stopped afterwards): what ``--engine spark`` runs on."""
    why = missing_spark()
    if why:
        raise OacInsightError(f"the Spark engine cannot start: {why}")
    from pyspark.sql import SparkSession

    existing = SparkSession.getActiveSession()
    if existing is not None:
        yield existing
        return
    spark = spark_session(master or DEFAULT_MASTER)
    try:
        yield spark
    finally:
        spark.stop()
