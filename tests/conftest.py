"""Shared fixtures: the real ONS data beside the repo, and stores built from it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def shared_data_dir() -> Path:
    """``$OACINSIGHT_SHARED_DATA`` or ``../shared/data`` from the repository root."""
    env = os.environ.get("OACINSIGHT_SHARED_DATA")
    return Path(env) if env else REPO.parent / "shared" / "data"


def need_shared(*parts: str) -> Path:
    """A path in the shared data; skip visibly when absent, fail loudly under CI."""
    path = shared_data_dir().joinpath(*parts)
    if not path.exists():
        message = f"real data not found: {path} (set OACINSIGHT_SHARED_DATA)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def real_store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with every postcode file, the OAC files, lookups and census ts001/ts041."""
    from oacinsight.ingest import ingest
    from oacinsight.store import Store

    census = need_shared("census2021_oa")
    paths = [
        need_shared("postcodes"),
        need_shared("oac"),
        need_shared("geography"),
        census / "Table_Metadata.csv",
        census / "ts001.parquet",
        census / "ts041.parquet",
    ]
    path = tmp_path_factory.mktemp("real") / "store.duckdb"
    with Store(path) as store:
        ingest(paths, store)
    return path


@pytest.fixture(scope="session")
def tiny_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store built from the hand-made files in ``tests/tiny.py``."""
    from tests.tiny import write_tiny_reference

    from oacinsight.ingest import ingest
    from oacinsight.store import Store

    root = tmp_path_factory.mktemp("tiny")
    files = write_tiny_reference(root / "ref")
    path = root / "store.duckdb"
    with Store(path) as store:
        ingest(files, store)
    return path


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory):
    """The synthetic Demoshire files, ingested into a store: (store path, DemoFiles)."""
    from oacinsight.demo.run import write_area_names
    from oacinsight.demo.synth import generate_demo
    from oacinsight.ingest import ingest
    from oacinsight.store import Store

    root = tmp_path_factory.mktemp("demo")
    files = generate_demo(root / "files")
    path = root / "store.duckdb"
    with Store(path) as store:
        ingest([*files.reference_files, *write_area_names(files)], store)
    return path, files


@pytest.fixture(scope="session")
def spark():
    """One local Spark session (``local[2]``) for the whole test run.

    Skips visibly where PySpark or Java is missing; fails under ``CI=true``.
    """
    from oacinsight.spark.session import missing_spark, spark_session

    why = missing_spark()
    if why:
        message = f"Spark tests need PySpark and Java 17: {why}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    session = spark_session(
        "local[2]",
        config={"spark.sql.shuffle.partitions": "2", "spark.default.parallelism": "2"},
        driver_memory="1g",
    )
    yield session
    session.stop()


def _uses_spark(item: pytest.Item) -> bool:
    """A test of a ``test_spark*.py`` file (some run ``--engine spark`` through the CLI,
    which starts Spark in the test process) or one using the ``spark`` fixture."""
    return item.path.name.startswith("test_spark") or "spark" in getattr(item, "fixturenames", ())


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under pytest-xdist (``bash run test`` runs ``-n 2 --dist loadgroup``): each test
    file is one unit of work, so its module fixtures are built once; every test that
    starts Spark is in one unit, so one JVM serves them all, and that unit comes first
    (the longest).  Without xdist nothing changes."""
    if not hasattr(config, "workerinput"):
        return
    for item in items:
        group = "spark" if _uses_spark(item) else item.nodeid.split("::", 1)[0]
        item.add_marker(pytest.mark.xdist_group(group))
    items.sort(key=lambda item: not _uses_spark(item))
