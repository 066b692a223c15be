"""Where oacinsight keeps its files, and where the shared reference data lives."""

from __future__ import annotations

import os
from pathlib import Path

STORE_ENV = "OACINSIGHT_STORE"
DATA_ENV = "OACINSIGHT_SHARED_DATA"


def default_store_path() -> Path:
    """The store file: ``$OACINSIGHT_STORE`` or ``<user data dir>/oacinsight/store.duckdb``."""
    env = os.environ.get(STORE_ENV)
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("oacinsight", appauthor=False)) / "store.duckdb"


def resolve_store_path(store: str | os.PathLike[str] | None) -> Path:
    """An explicit ``--store`` wins over the environment and the default."""
    return Path(store).expanduser() if store else default_store_path()
