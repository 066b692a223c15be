"""``oacinsight need``: areas of likely need, take-up gaps, target lists and campaign
reach, from customer or survey rates per OAC group."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Annotated, Any

import typer

from oacinsight.cli._common import EngineOpt, SparkMasterOpt, StoreOpt, app, edge, engine_for
from oacinsight.errors import OacInsightError


@app.command("need")
@edge
def need_cmd(
    output: Annotated[Path, typer.Option("-o", "--output", help="Folder for the outputs.")],
    input: Annotated[
        Path | None,
        typer.Argument(
            help="Customers with the need (CSV, XLSX, Parquet; raw or matched), or a survey "
            "file with --survey-question. Leave out with --rates."
        ),
    ] = None,
    area: Annotated[
        str | None,
        typer.Option(
            help="Area GSS codes, comma-separated (default: the districts holding the customers)."
        ),
    ] = None,
    level: Annotated[str, typer.Option(help="supergroup, group or subgroup.")] = "group",
    base: Annotated[
        str, typer.Option(help="residents, households or a file of counts per output area.")
    ] = "residents",
    rates: Annotated[
        Path | None, typer.Option(help="Apply rates learnt elsewhere (a rates.csv of another run).")
    ] = None,
    observed: Annotated[
        Path | None,
        typer.Option(
            help="Observed users or claimants: postcodes, or OA/LSOA/ward/district codes, "
            "one row each or with a count column."
        ),
    ] = None,
    observed_count: Annotated[
        str | None,
        typer.Option(help="The count column of --observed (found by name when not given)."),
    ] = None,
    survey_question: Annotated[
        str | None,
        typer.Option(
            help="INPUT is a survey: the question column whose positive answers mark need."
        ),
    ] = None,
    positive: Annotated[
        str | None, typer.Option(help="Positive answers of --survey-question (labels or '>=4').")
    ] = None,
    weight: Annotated[str | None, typer.Option(help="Survey weight column.")] = None,
    target_type: Annotated[str, typer.Option(help="Rank oa, lsoa or ward.")] = "lsoa",
    top: Annotated[int, typer.Option(help="Areas in the target list.")] = 20,
    min_expected: Annotated[
        float, typer.Option(help="Leave out areas with less expected need.")
    ] = 10.0,
    max_ratio: Annotated[
        float,
        typer.Option(
            help="With --observed: leave out areas whose observed/expected is above this."
        ),
    ] = 1.0,
    min_shortfall: Annotated[
        float, typer.Option(help="With --observed: leave out areas with a smaller shortfall.")
    ] = 0.0,
    postcode_column: Annotated[str | None, typer.Option(help="The postcode column.")] = None,
    confidence: Annotated[float, typer.Option(help="Confidence level.")] = 0.95,
    suppress_below: Annotated[
        int, typer.Option(help="Hide counts of people from 1 to this minus 1.")
    ] = 10,
    outputs: Annotated[
        str,
        typer.Option(
            help="Outputs to write, comma-separated: csv, xlsx, json, html, png, geojson "
            "(default all; 'csv' alone skips the map and charts)."
        ),
    ] = "all",
    by: Annotated[
        str | None,
        typer.Option(
            help="Need per value of this column (a service, a channel), same area and base."
        ),
    ] = None,
    period: Annotated[
        str | None, typer.Option(help="Need per period of this date column (see --freq).")
    ] = None,
    freq: Annotated[
        str | None, typer.Option(help="Periods of --period: year (default), quarter or month.")
    ] = None,
    store: StoreOpt = None,
    engine: EngineOpt = "duckdb",
    spark_master: SparkMasterOpt = None,
) -> None:
    """Rates of a need per OAC group, expected demand for every OA, LSOA, ward and
    district, observed against expected, a ranked target list and the campaign reach."""
    from oacinsight.need import NeedOptions, TargetRules
    from oacinsight.need.result import MAP_OUTPUTS, OUTPUTS, check_outputs
    from oacinsight.progress import console_progress

    kinds = OUTPUTS if outputs.strip().lower() == "all" else tuple(outputs.split(","))
    wanted = check_outputs(kinds)
    options = NeedOptions(
        areas=tuple(a.strip().upper() for a in (area or "").split(",") if a.strip()),
        level=level,
        base=base,
        rates=str(rates) if rates else None,
        observed=str(observed) if observed else None,
        observed_count=observed_count,
        survey_question=survey_question,
        positive=positive,
        weight=weight,
        postcode_column=postcode_column,
        rules=TargetRules(
            area_type=target_type,
            top=top,
            min_expected=min_expected,
            max_ratio=max_ratio,
            min_shortfall=min_shortfall,
        ),
        confidence=confidence,
        suppress_below=suppress_below,
        draw_map=bool(wanted & MAP_OUTPUTS),
    )
    with console_progress() as show:
        _run(
            input,
            dataclasses.replace(options, progress=show),
            output,
            wanted,
            engine,
            spark_master,
            (by, period, freq),
            store,
        )


def _run(
    input: Path | None,
    options: Any,
    output: Path,
    wanted: frozenset[str],
    engine: str,
    spark_master: str | None,
    slicing: tuple[str | None, str | None, str | None],
    store: Path | None,
) -> None:
    """Run need (or need by a column) and write its outputs."""
    from oacinsight.need import NeedByResult, NeedResult, need_by_file, need_file

    by, period, freq = slicing
    sliced = by is not None or period is not None or freq is not None
    if engine == "spark":  # before Spark starts
        from oacinsight.spark.need import refuse_unsupported

        if sliced:
            raise OacInsightError(
                "--engine spark does not take --by, --period or --freq; use the default engine"
            )
        options.check(input is not None)
        refuse_unsupported(options)
    result: NeedResult | NeedByResult
    if sliced:
        result = need_by_file(input, options, by=by, period=period, freq=freq, store=store)
    else:
        with engine_for(engine, spark_master) as spark:
            counted = _spark_counted(spark, input, options) if spark else None
            result = need_file(input, options, store=store, counted=counted)
    written = result.write(output, tuple(sorted(wanted)))
    typer.echo(result.text())
    typer.echo(f"wrote {len(written)} files to {output}")


def _spark_counted(spark: Any, input: Path | None, options: Any) -> Any:
    """The customers and observed counts counted in Spark (``--engine spark``)."""
    from oacinsight.spark.need import SparkNeed

    return SparkNeed(spark).counted(input, options)
