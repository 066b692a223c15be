"""A customer-profile PDF report (ReportLab): summary, index chart, table and map.

Everything in it is published output: the profile's suppressed counts stay hidden and
the map greys areas with few customers.  Fonts are ReportLab's built-in Helvetica, so
nothing is fetched.
"""

from __future__ import annotations

import io
from datetime import date
from typing import TYPE_CHECKING, Any

from matplotlib.figure import Figure
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import (
    Image,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from oacinsight._version import __version__
from oacinsight.match import STATUS_TEXT
from oacinsight.profile.chart import plot_profile
from oacinsight.profile.words import HOW_TO_READ, summarise
from oacinsight.values import missing

if TYPE_CHECKING:  # the results call this module to write themselves as PDF
    from oacinsight.match import MatchSummary
    from oacinsight.profile.result import ProfileResult

WIDTH = A4[0] - 36 * mm
#: Tallest image that fits in the page frame (A4 less the margins and some room).
MAX_HEIGHT = A4[1] - 45 * mm
TABLE_COLUMNS = (
    ("code", "Code"),
    ("name", "Name"),
    ("customers", "Customers"),
    ("customer_pct", "% customers"),
    ("base_pct", "% base"),
    ("index", "Index"),
    ("index_low", "Low"),
    ("index_high", "High"),
    ("flag", "Flag"),
)


def _png(fig: Figure, width: float) -> Image:
    """A matplotlib figure as a PNG flowable ``width`` points wide, or narrower so that
    it fits on one page (the chart of every level is tall)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=150)
    buffer.seek(0)
    w, h = fig.get_size_inches()
    scale = min(width / w, MAX_HEIGHT / h)
    return Image(buffer, width=w * scale, height=h * scale)


def _styles() -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()
    return {
        "h1": base["Title"],
        "h2": base["Heading2"],
        "p": base["BodyText"],
        "small": ParagraphStyle("small", parent=base["BodyText"], fontSize=8, leading=10),
    }


def _table(rows: list[list[Any]], widths: list[float] | None = None, size: int = 8) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), "Helvetica", size),
                ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", size),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#cccccc")),
                ("ALIGN", (2, 1), (-2, -1), "RIGHT"),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table


def _match_table(summary: MatchSummary, s: dict[str, ParagraphStyle]) -> Table:
    rows: list[list[Any]] = [["Status", "Rows", "Share", "Meaning"]]
    for status, count, share in summary.to_frame().itertuples(index=False):
        rows.append(
            [
                status,
                f"{count:,}",
                f"{share:.1%}",
                Paragraph(STATUS_TEXT.get(status, ""), s["small"]),
            ]
        )
    return _table(rows, [32 * mm, 20 * mm, 16 * mm, WIDTH - 68 * mm])


def _profile_table(result: ProfileResult, s: dict[str, ParagraphStyle]) -> Table:
    frame = result.published_frame()
    rows: list[list[Any]] = [[label for _, label in TABLE_COLUMNS]]
    for rec in frame.to_dict(orient="records"):
        row: list[Any] = []
        for col, _ in TABLE_COLUMNS:
            value = rec[col]
            if col == "name":
                row.append(Paragraph(_esc(value), s["small"]))
            elif missing(value):
                row.append(f"hidden (<{result.suppress_below})" if col == "customers" else "")
            elif isinstance(value, float):
                row.append("" if value != value else f"{value:,.{1 if 'pct' in col else 0}f}")
            else:
                row.append("" if value is None else str(value))
        rows.append(row)
    widths = [12 * mm, 52 * mm, 17 * mm, 17 * mm, 14 * mm, 13 * mm, 11 * mm, 11 * mm]
    return _table(rows, [*widths, WIDTH - sum(widths)], size=7)


def profile_pdf(
    result: ProfileResult,
    summary: MatchSummary | None,
    *,
    file_name: str | None,
    map_figure: Figure | None = None,
) -> bytes:
    """The customer-profile report as PDF bytes.

    Parameters
    ----------
    result : ProfileResult
        The profile (only its published numbers are used).
    summary : MatchSummary, optional
        The match summary of the same file.
    file_name : str or None
        The customer file's name, shown in the title block (left out when None).
    map_figure : matplotlib.figure.Figure, optional
        A static map (e.g. the customer index by ward).

    Returns
    -------
    bytes
    """
    s = _styles()
    areas = ", ".join(f"{c} {n}" if n != c else c for c, n in result.areas)
    local = result.classification
    title = f"Customer profile by {local['title']}" if local else _OAC_TITLE
    story: list[Any] = [
        Paragraph(_esc(title), s["h1"]),
        *[Paragraph(f"<b>{_esc(n)}</b>", s["p"]) for n in result.coverage_notes],
        Paragraph(
            (f"File: {_esc(file_name)}. " if file_name else "")
            + f"Areas: {_esc(areas)}. Compared with: "
            f"{_esc(result.base_name)}. Produced {date.today():%d %B %Y} by oacinsight "
            f"{__version__}, offline.",
            s["p"],
        ),
        *[Paragraph(_esc(line), s["small"]) for line in result.excluded_lines()],
        Paragraph("What this shows", s["h2"]),
        *[
            Paragraph(_esc(t), s["p"])
            for t in summarise(result.published_frame(), result.base_name)
        ],
        Paragraph(f"<b>How to read it.</b> {_esc(HOW_TO_READ)}", s["small"]),
        Spacer(1, 4 * mm),
        _png(plot_profile(result), WIDTH),
    ]
    if summary is not None:
        story += [
            Paragraph("Matching the records to output areas", s["h2"]),
            Paragraph(
                f"{summary.rows:,} rows read; {summary.matched:,} matched "
                f"({summary.match_rate:.1%}), postcode column "
                f"'{_esc(summary.postcode_column)}'.",
                s["p"],
            ),
            _match_table(summary, s),
        ]
    story += [
        PageBreak(),
        Paragraph("The numbers", s["h2"]),
        _profile_table(result, s),
        Paragraph(
            _esc(result.metadata()["suppression"]) + ". Interval: " + _esc(result.ci_method) + ".",
            s["small"],
        ),
    ]
    if map_figure is not None:
        story += [
            PageBreak(),
            Paragraph("Where the customers are", s["h2"]),
            _png(map_figure, WIDTH),
        ]
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=f"Customer profile ({local['name']})" if local else "Customer profile (OAC 2021)",
        author="oacinsight",
    )
    doc.build(story)
    return buffer.getvalue()


_OAC_TITLE = "Customer profile by Output Area Classification (OAC 2021)"


def _esc(text: str) -> str:
    """Escape text for ReportLab's mini-markup."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
