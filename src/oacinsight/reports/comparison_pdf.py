"""The PDF report of a profile by a column or a period (ReportLab): the findings, the
heat map, the small multiples, the trend chart and the index table.  Only published
numbers: hidden cells stay hidden."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer

from oacinsight.profile.compare_chart import plot_heat_map, plot_small_multiples, plot_trend
from oacinsight.reports.profile_pdf import WIDTH, _esc, _png, _styles, _table

if TYPE_CHECKING:
    from oacinsight.profile.comparison import ComparisonResult


def _index_table(result: ComparisonResult) -> Any:
    wide = result.wide_frame()
    names = [str(c) for c in wide.columns[3:]]
    rows: list[list[Any]] = [["Group", *(n[:14] for n in names)]]
    for rec in wide.to_dict(orient="records"):
        cells = ["hidden" if rec[n] != rec[n] else f"{rec[n]:.0f}" for n in names]
        rows.append([f"{rec['code']} {str(rec['name'])[:26]}", *cells])
    first = 55 * mm
    rest = (WIDTH - first) / max(1, len(names))
    return _table(rows, [first, *([rest] * len(names))], size=7)


def comparison_pdf(result: ComparisonResult) -> bytes:
    """The report as PDF bytes."""
    s = _styles()
    meta = result.metadata()
    story: list[Any] = [Paragraph(_esc(f"Customer profiles by {result.column}"), s["h1"])]
    for note in [*meta["coverage"], *result.notes]:
        story.append(Paragraph(_esc(note), s["small"]))
    story.append(
        Paragraph(
            _esc(
                f"Base: {meta['base_name']}. {meta['n_in_area']:,} customers in the area, "
                f"{len(result.slices)} slices. Disclosure control: {meta['disclosure_pattern']}; "
                f"{meta['suppression']}"
            ),
            s["small"],
        )
    )
    story.append(Paragraph("Findings", s["h2"]))
    story += [Paragraph(_esc(f), s["p"]) for f in result.findings()]
    story += [PageBreak(), _png(plot_heat_map(result), WIDTH), Spacer(1, 4 * mm)]
    story += [_index_table(result), PageBreak(), _png(plot_small_multiples(result), WIDTH)]
    if result.kind == "period" and len(result.period_slices()) >= 2:
        story += [PageBreak(), _png(plot_trend(result), WIDTH)]
    buffer = io.BytesIO()
    title = f"Customer profiles by {result.column}"
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm,
                            title=title, author="oacinsight")  # fmt: skip
    doc.build(story)
    return buffer.getvalue()
