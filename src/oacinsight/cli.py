"""The ``oacinsight`` command: a thin shell over the library.

Each command parses its options, calls one library function and formats the result.
Library errors (:class:`~oacinsight.errors.OacInsightError`) become a one-line message
on stderr and exit code 2 here, at the edge; nothing else in the package exits.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from oacinsight.errors import OacInsightError

app = typer.Typer(
    help="Offline customer insight from the Output Area Classification (OAC).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
data_app = typer.Typer(help="Load official ONS files into the store and see what is loaded.",
                       no_args_is_help=True)
app.add_typer(data_app, name="data")

F = TypeVar("F", bound=Callable[..., Any])

StoreOpt = Annotated[
    Path | None,
    typer.Option("--store", help="Store file (default: $OACINSIGHT_STORE or the user data dir)."),
]


def err(message: str) -> None:
    """Print one line to stderr."""
    typer.echo(message, err=True)


def edge(func: F) -> F:
    """Turn library errors into a one-line message and exit code 2."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except OacInsightError as exc:
            err(f"error: {exc}")
            raise typer.Exit(2) from None
        except KeyboardInterrupt:
            err("interrupted")
            raise typer.Exit(130) from None

    return wrapper  # type: ignore[return-value]


@data_app.command("ingest")
@edge
def data_ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files, folders or zips of official data.")],
    store: StoreOpt = None,
    kind: Annotated[str | None, typer.Option(help="Force the kind of every file.")] = None,
) -> None:
    """Recognise official ONS files by their columns and load them as published."""
    from oacinsight.ingest import ingest
    from oacinsight.store import Store

    with Store(store) as s:
        report = ingest(paths, s, kind=kind, progress=err)
        for item in report.items:
            if item.action == "loaded":
                typer.echo(f"{item.file}: {item.kind} ({item.detail}) {item.rows:,} rows")
            else:
                typer.echo(f"{item.file}: skipped: {item.detail}")
        if report.postcodes:
            typer.echo(f"postcode lookup: {report.postcodes:,} postcodes")
        typer.echo(f"store: {s.path}")


@data_app.command("status")
@edge
def data_status(store: StoreOpt = None) -> None:
    """List what is loaded in the store: file, kind, edition, rows, date."""
    from oacinsight.store import Store

    with Store(store, read_only=True) as s:
        df = s.status()
        typer.echo(f"store: {s.path}")
        if df.empty:
            typer.echo("nothing loaded yet: run 'oacinsight data ingest PATH'")
            return
        cols = ["kind", "file_name", "edition", "row_count", "loaded_at"]
        typer.echo(df[cols].to_string(index=False))


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
) -> None:
    """Attach output area, OAC group, LSOA, ward, district and IMD rank to every row."""
    from oacinsight.match import match_file

    summary = match_file(input, output, store=store, postcode_column=postcode_column,
                         report=report)
    typer.echo(summary.text())
    typer.echo(f"wrote {output}" + (f" and {report}" if report else ""))


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
        err(f"{len(problems)} problem(s) in {validate.name}")
        raise typer.Exit(1)
    typer.echo(f"{validate.name}: follows the customer record standard")


def main() -> None:
    """Console entry point."""
    try:
        app()
    except BrokenPipeError:  # e.g. piped into head
        sys.stderr.close()
