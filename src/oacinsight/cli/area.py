"""``oacinsight area``: a profile of a ward, LSOA, district, region or patch of OAs."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

import typer

from oacinsight.cli._common import StoreOpt, app, edge


@app.command("area")
@edge
def area_cmd(
    code: Annotated[
        str,
        typer.Argument(
            help="Ward (E05/W05), LSOA (E01/W01), MSOA, local authority (E06-E09/W06), region "
            "(E12) or country code; or output areas as a comma-separated list or a file."
        ),
    ],
    output: Annotated[Path, typer.Option("-o", "--output", help="Folder for the outputs.")],
    store: StoreOpt = None,
    comparators: Annotated[
        int, typer.Option(help="How many most similar areas of the same kind to list.")
    ] = 5,
    within: Annotated[
        str | None,
        typer.Option(
            help="Choose comparators only within this region, local authority or country."
        ),
    ] = None,
    batch: Annotated[
        bool,
        typer.Option(
            "--batch", help="With a local authority code: profile it and every ward in it."
        ),
    ] = False,
    indicators: Annotated[
        str | None,
        typer.Option(help="Census indicators, comma-separated keys (default: all available)."),
    ] = None,
    compare_by: Annotated[
        str, typer.Option(help="Comparator distance: both, mix (OAC groups) or indicators.")
    ] = "both",
    pdf: Annotated[bool, typer.Option(help="Write profile.pdf.")] = True,
) -> None:
    """Profile an area: population, OAC mix, deprivation, census indicators, comparators
    and the scale effect, as CSV, XLSX, HTML and a one-page PDF."""
    from oacinsight.areas import profile_area, profile_wards
    from oacinsight.outputs import check_output_folder

    check_output_folder(output)  # before any work: a file, a bad name, no permission
    chosen = [k for k in (indicators or "").split(",") if k.strip()] or None
    if batch:
        from oacinsight.progress import console_progress

        with console_progress() as show:
            result = profile_wards(
                code,
                output,
                store=store,
                comparators=comparators,
                within=within,
                indicators=chosen,
                compare_by=compare_by,
                pdf=pdf,
                progress=show,
            )
        typer.echo(result.text())
        typer.echo(f"wrote {result.index_html} and one folder per area in {output}")
        return
    profile = profile_area(
        _area_argument(code),
        store=store,
        comparators=comparators,
        within=within,
        indicators=chosen,
        compare_by=compare_by,
    )
    written = profile.write_folder(output, pdf=pdf)
    if text := profile.text():
        typer.echo(text)
    typer.echo(f"wrote {len(written)} files to {output}")


def _area_argument(code: str) -> str | Path:
    """The CODE argument as the library takes it: a file of output areas (a ``Path``)
    when it names an existing file and is not an area code, else the text itself."""
    path = Path(code.strip()).expanduser()
    if re.fullmatch(r"[EWSNKLM]\d{8}", code.strip(), re.IGNORECASE) or not path.is_file():
        return code
    return path
