"""``oacinsight build``: a local geodemographic classification with the OAC method."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from oacinsight.cli._common import StoreOpt, app, edge, err


@app.command("build")
@edge
def build_cmd(
    spec: Annotated[
        str,
        typer.Argument(
            help="A classification spec (YAML file) or a shipped one: oac2021, compact."
        ),
    ],
    output: Annotated[Path, typer.Option("-o", "--output", help="Folder for the outputs.")],
    area: Annotated[
        str | None,
        typer.Option(
            help="Local authority, ward, region or country code whose output areas to "
            "classify (K04000001 or EW: all England and Wales)."
        ),
    ] = None,
    oas: Annotated[
        Path | None,
        typer.Option(
            help="File of output area codes (one per line, or a CSV with an 'oa' column)."
        ),
    ] = None,
    k: Annotated[
        str | None,
        typer.Option(
            "--k", help="Clusters per tier, comma-separated, e.g. 8,3 (default: the spec's)."
        ),
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed (default: the spec's).")] = None,
    restarts: Annotated[
        int | None, typer.Option(help="k-means restarts per fit (default: the spec's).")
    ] = None,
    store: StoreOpt = None,
) -> None:
    """Build a classification of an area's output areas from census tables: rates,
    transform, standardise, k-means with many restarts, nested tiers, diagnostics."""
    from oacinsight.build import build_classification, read_oa_list

    oa_list = read_oa_list(oas) if oas is not None else None
    result = build_classification(
        spec, store, area=area, oas=oa_list, k=k, seed=seed, restarts=restarts, progress=err
    )
    result.write(output)
    typer.echo(result.text())
    typer.echo(f"wrote {output}")
