"""``oacinsight survey``: survey answers by OAC group (weighted shares, intervals,
representation, Rao–Scott test)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from oacinsight.cli._common import StoreOpt, app, edge
from oacinsight.errors import OacInsightError


@app.command("survey")
@edge
def survey_cmd(
    input: Annotated[
        Path, typer.Argument(help="Survey file: CSV, XLSX or Parquet, one row per respondent.")
    ],
    question: Annotated[
        list[str], typer.Option("--question", help="A question column (repeat for several).")
    ],
    output: Annotated[
        Path, typer.Option("-o", "--output", help="Output .csv/.xlsx/.json/.html/.png.")
    ],
    positive: Annotated[
        str,
        typer.Option(
            help='Positive answers, comma-separated labels ("3_good,4_excellent"; trimmed, '
            'any case) or a threshold on numeric answers (">=4").'
        ),
    ],
    postcode_column: Annotated[
        str | None,
        typer.Option(
            help="Group from the postcode, matched as 'oacinsight match' does (found by name "
            "or content when no column option is given)."
        ),
    ] = None,
    oa_column: Annotated[
        str | None, typer.Option(help="Group from a 2021 output area code column.")
    ] = None,
    group_column: Annotated[
        str | None,
        typer.Option(help="Group from a column of OAC codes (7, 7a, 7a2) or names of --edition."),
    ] = None,
    edition: Annotated[str, typer.Option(help="OAC edition: 2021 or 2011.")] = "2021",
    level: Annotated[str, typer.Option(help="supergroup, group or subgroup.")] = "supergroup",
    weight: Annotated[str | None, typer.Option(help="Column of design weights.")] = None,
    area: Annotated[
        str | None,
        typer.Option(
            help="Survey area GSS codes, comma-separated (default: the local authorities "
            "holding at least 1% of respondents)."
        ),
    ] = None,
    min_n: Annotated[int, typer.Option(help="Flag groups with fewer respondents.")] = 30,
    confidence: Annotated[float, typer.Option(help="Confidence level.")] = 0.95,
    suppress_below: Annotated[
        int, typer.Option(help="Hide respondent counts from 1 to this minus 1.")
    ] = 10,
    dont_know: Annotated[
        str | None, typer.Option(help='More answers to count as "don\'t know", comma-separated.')
    ] = None,
    by: Annotated[
        str | None,
        typer.Option(help="Analyse each value of this column (a wave, a channel) side by side."),
    ] = None,
    period: Annotated[
        str | None, typer.Option(help="Analyse each period of this date column (see --freq).")
    ] = None,
    freq: Annotated[
        str, typer.Option(help="Periods of --period: year, quarter or month.")
    ] = "year",
    store: StoreOpt = None,
) -> None:
    """Analyse survey answers by OAC group: weighted share of positive answers with its
    interval, difference from the overall share, representation of each group."""
    from oacinsight.survey import SurveyOptions, SurveyResult, survey_file
    from oacinsight.survey.by import SurveySlices, survey_by_file
    from oacinsight.survey.comparison import SurveyComparison

    options = SurveyOptions(
        questions=tuple(question),
        positive=positive,
        postcode_column=postcode_column,
        oa_column=oa_column,
        group_column=group_column,
        edition=edition,
        level=level,
        weight=weight,
        areas=tuple(a.strip().upper() for a in (area or "").split(",") if a.strip()),
        min_n=min_n,
        confidence=confidence,
        suppress_below=suppress_below,
        dont_know=tuple(x for x in (dont_know or "").split(",") if x.strip()),
    )
    if by is None and period is None:
        if freq != "year":
            raise OacInsightError("--freq needs --period")
        result: SurveyResult | SurveyComparison = survey_file(input, options, store=store)
    else:
        slicing = SurveySlices(by=by, period=period, freq=freq)
        result = survey_by_file(input, options, slicing, store=store)
    written = result.write(output)
    typer.echo(result.text())
    typer.echo(f"wrote {written}")
