"""Shared set-up for the web, map and browser tests: Demoshire with its boundaries."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

BASE = "http://127.0.0.1:8765"
TOKEN = "test-token-0123456789"


def web_client(store: Path, **options):
    """A TestClient of the app over ``store`` carrying the token (``Authorization``)."""
    from fastapi.testclient import TestClient

    from oacinsight.web import create_app

    app = create_app(store, token=TOKEN, **options)
    return TestClient(app, base_url=BASE, headers={"Authorization": f"Bearer {TOKEN}"})


def build_demo_store(root: Path, *, boundaries: bool = True) -> tuple[Path, Path]:
    """Generate Demoshire under ``root`` and ingest it (with boundaries unless told not).

    Returns
    -------
    tuple of Path
        The store and the demo's customer file.
    """
    from oacinsight.demo.boundaries import write_demo_boundaries
    from oacinsight.demo.run import write_area_names
    from oacinsight.demo.synth import generate_demo
    from oacinsight.ingest import ingest
    from oacinsight.store import Store

    files = generate_demo(root / "files")
    paths = [*files.reference_files, *write_area_names(files)]
    if boundaries:
        names = dict(pd.read_csv(paths[-1], dtype=str).itertuples(index=False, name=None))
        paths += write_demo_boundaries(files, names)
    store = root / "store.duckdb"
    with Store(store) as s:
        ingest(paths, s)
    return store, files.customers
