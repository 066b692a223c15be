"""The ``oacinsight`` command: a thin shell over the library.

Each command parses its options, calls one library function and formats the result.
Library errors (:class:`~oacinsight.errors.OacInsightError`) become a one-line message
on stderr and exit code 2 here, at the edge; nothing else in the package exits.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from oacinsight.cli._common import (  # noqa: F401  (re-exported for older imports)
    EngineOpt,
    F,
    OneLineGroup,
    SparkMasterOpt,
    StoreOpt,
    app,
    data_app,
    edge,
    err,
    failure,
    interrupted,
    leave,
    usage_line,
)
from oacinsight.cli._common import engine_for as _engine
from oacinsight.errors import EXIT_INTERRUPTED, EXIT_PROBLEMS, OacInsightError


@data_app.command("ingest")
@edge
def data_ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files, folders or zips of official data.")],
    store: StoreOpt = None,
    kind: Annotated[str | None, typer.Option(help="Force the kind of every file.")] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Load files the checks find suspicious (e.g. that would shrink an "
            "area); files they refuse are never loaded.",
        ),
    ] = False,
) -> None:
    """Recognise official ONS files by their columns and load them as published."""
    from oacinsight.ingest import ingest
    from oacinsight.progress import console_progress
    from oacinsight.store import Store

    with Store(store) as s:
        with console_progress() as show:
            report = ingest(paths, s, kind=kind, force=force, progress=show)
        for item in report.items:
            if item.action == "loaded":
                typer.echo(f"{item.file}: {item.kind} ({item.detail}) {item.rows:,} rows")
            else:
                detail = item.detail.removeprefix(f"{item.file}: ")
                typer.echo(f"{item.file}: skipped: {detail}")
        if report.postcodes:
            typer.echo(f"postcode lookup: {report.postcodes:,} postcodes")
        typer.echo(f"store: {s.path}")


@data_app.command("rebuild")
@edge
def data_rebuild(store: StoreOpt = None) -> None:
    """Rebuild the store's derived lookups from what is loaded (after an upgrade)."""
    from oacinsight.ingest import rebuild
    from oacinsight.store import Store

    with Store(store) as s:
        n = rebuild(s)
        typer.echo(f"postcode lookup rebuilt: {n:,} postcodes ({s.path})")


@data_app.command("status")
@edge
def data_status(store: StoreOpt = None) -> None:
    """List what is loaded in the store: file, kind, edition, rows, date."""
    from oacinsight.paths import resolve_store_path
    from oacinsight.store import Store

    if not resolve_store_path(store).exists():
        typer.echo(f"store: {resolve_store_path(store)}")
        typer.echo("nothing loaded yet: run 'oacinsight data ingest PATH'")
        return
    with Store(store, read_only=True) as s:
        df = s.status()
        typer.echo(f"store: {s.path}")
        if df.empty:
            typer.echo("nothing loaded yet: run 'oacinsight data ingest PATH'")
            return
        cols = ["kind", "file_name", "edition", "row_count", "loaded_at"]
        typer.echo(df[cols].to_string(index=False))


@data_app.command("export")
@edge
def data_export(
    folder: Annotated[Path, typer.Argument(help="Folder to write (new, or a previous export).")],
    store: StoreOpt = None,
) -> None:
    """Write the store's reference tables as Parquet with a manifest, for Spark."""
    from oacinsight.spark.reference import export_reference

    typer.echo(export_reference(folder, store=store).text())


@app.command("match")
@edge
def match_cmd(
    input: Annotated[Path, typer.Argument(help="Customer file: CSV, XLSX or Parquet.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Output .csv/.xlsx/.parquet.")],
    postcode_column: Annotated[
        str | None, typer.Option(help="Column holding the postcode (found when omitted).")
    ] = None,
    report: Annotated[Path | None, typer.Option(help="Write the summary as JSON here.")] = None,
    store: StoreOpt = None,
    engine: EngineOpt = "duckdb",
    spark_master: SparkMasterOpt = None,
) -> None:
    """Attach output area, OAC group, LSOA, ward, district and IMD rank to every row."""
    from oacinsight.match import match_file
    from oacinsight.progress import console_progress

    with console_progress() as show, _engine(engine, spark_master) as spark:
        summary = match_file(
            input,
            output,
            store=store,
            postcode_column=postcode_column,
            report=report,
            progress=show,
            matcher=spark.matcher if spark else None,
        )
    typer.echo(summary.text())
    typer.echo(f"wrote {output}" + (f" and {report}" if report else ""))


@app.command("profile")
@edge
def profile_cmd(
    input: Annotated[Path, typer.Argument(help="Customer file, raw or the output of match.")],
    output: Annotated[
        Path, typer.Option("-o", "--output", help="Output .csv/.xlsx/.json/.html/.png/.pdf.")
    ],
    level: Annotated[str, typer.Option(help="supergroup, group, subgroup or all.")] = "supergroup",
    base: Annotated[
        str, typer.Option(help="residents, households, or a file of counts / records.")
    ] = "residents",
    area: Annotated[
        str | None,
        typer.Option(
            help="Area GSS codes, comma-separated (default: the LAs "
            "holding at least 5% or 20 of the matched "
            "customers; the others are listed as excluded)."
        ),
    ] = None,
    confidence: Annotated[float, typer.Option(help="Confidence level of the interval.")] = 0.95,
    suppress_below: Annotated[
        int, typer.Option(help="Hide counts from 0 to this minus 1 in outputs.")
    ] = 10,
    postcode_column: Annotated[str | None, typer.Option(help="Postcode column.")] = None,
    store: StoreOpt = None,
    disclosure: Annotated[
        str,
        typer.Option(
            help="suppress (hide small counts) or cellkey (perturb every "
            "count, as ONS did for Census 2021)."
        ),
    ] = "suppress",
    by: Annotated[
        str | None,
        typer.Option(help="Profile each value of this column (a service, a channel) side by side."),
    ] = None,
    period: Annotated[
        str | None, typer.Option(help="Profile each period of this date column (see --freq).")
    ] = None,
    freq: Annotated[
        str, typer.Option(help="Periods of --period: year, quarter or month.")
    ] = "year",
    charts: Annotated[
        Path | None,
        typer.Option(
            help="With --by/--period: also write the heat map, small multiples and "
            "trend chart (PNG) into this folder."
        ),
    ] = None,
    classification: Annotated[
        Path | None,
        typer.Option(
            help="Output folder of 'oacinsight build': profile against its local "
            "clusters and names instead of the OAC."
        ),
    ] = None,
    engine: EngineOpt = "duckdb",
    spark_master: SparkMasterOpt = None,
) -> None:
    """Compare customers with the people who live in the area, group by group."""
    from oacinsight.outputs import check_output_path, same_file
    from oacinsight.profile.run import profile_file

    check_output_path(output)
    if same_file(input, output):
        raise OacInsightError(f"the output {output.name} is the input file; choose another name")
    if charts is not None and by is None and period is None:
        raise OacInsightError("--charts needs --by or --period")
    if engine == "spark" and (by or period or classification):
        raise OacInsightError(
            "--engine spark does not take --by, --period or --classification; "
            "use the default engine"
        )
    with _engine(engine, spark_master) as spark:
        result = profile_file(
            input,
            store=store,
            level=level,
            base=base,
            areas=area.split(",") if area else None,
            confidence=confidence,
            suppress_below=suppress_below,
            postcode_column=postcode_column,
            disclosure=disclosure,
            by=by,
            period=period,
            freq=freq,
            classification=classification,
            customers=spark.customers(input, postcode_column) if spark else None,
        )
    written = result.write(output)
    typer.echo(result.text())
    typer.echo(f"wrote {written}")
    if charts is not None and hasattr(result, "write_charts"):
        for path in result.write_charts(charts):
            typer.echo(f"wrote {path}")


@app.command("demo")
@edge
def demo_cmd(
    out: Annotated[Path, typer.Option(help="Folder for the demo files and results.")] = Path(
        "oacinsight-demo"
    ),
    seed: Annotated[int, typer.Option(help="Seed of the synthetic data.")] = 2021,
    serve: Annotated[bool, typer.Option("--serve", help="Then open it in the web app.")] = False,
) -> None:
    """Build a synthetic council (Demoshire) and run match and profile on it, offline."""
    from oacinsight.demo.run import run_demo

    run = run_demo(out, seed=seed, progress=err)
    if run.comparison is not None:
        typer.echo("Demo customers by OAC supergroup: the index recovered against the truth")
        typer.echo(run.comparison.round(1).to_string(index=False))
    typer.echo("\nOutputs:")
    for name, path in run.outputs.items():
        typer.echo(f"  {name:<20} {path}")
    typer.echo(f"Store: {run.store} (use --store {run.store} with any command)")
    if serve:
        from oacinsight.cli.serve import serve_app

        typer.echo(f"Upload {run.files.customers} in the app to try it.")
        serve_app(run.store, open_browser=True)


@app.command("schema")
@edge
def schema_cmd(
    validate: Annotated[
        Path | None, typer.Option(help="Check a customer file against the standard.")
    ] = None,
) -> None:
    """Show the customer record standard (JSON Schema), or check a file against it."""
    from oacinsight import records

    if validate is None:
        typer.echo(json.dumps(records.load_schema(), indent=2))
        return
    problems = records.validate_file(validate)
    for p in problems[:50]:
        typer.echo(p)
    if problems:
        shown = " (first 50 shown)" if len(problems) > 50 else ""
        err(f"{validate.name} does not follow the customer record standard{shown}")
        raise typer.Exit(EXIT_PROBLEMS)
    typer.echo(f"{validate.name}: follows the customer record standard")


def main() -> None:
    """Console entry point."""
    try:
        app()
    except BrokenPipeError:  # e.g. piped into head
        sys.stderr.close()
    except KeyboardInterrupt:  # Ctrl-C outside a command (while starting up)
        err("error: interrupted; no output was written or changed")
        sys.exit(EXIT_INTERRUPTED)
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            leave(exc.code or 0)
        raise
    leave(0)
