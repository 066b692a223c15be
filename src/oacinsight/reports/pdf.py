"""A small, reusable one-page PDF renderer (ReportLab, standard fonts, offline).

A report is laid out as boxes on one page: a title band, key-figure tiles, text, images
(charts rendered by matplotlib as PNG) and small tables.  Each box's content is fitted
with ReportLab's ``KeepInFrame(mode='shrink')``, so text that is longer than expected is
made smaller rather than spilling onto a second page: the result is always one page.

Only the 14 standard PDF fonts are used (no font files, no network).  They cover the
Windows-1252 characters; :func:`pdf_text` replaces the few others that reports use.

Example
-------
>>> page = OnePage("out.pdf", title="Ward profile")            # doctest: +SKIP
>>> top = page.rows([40, 700, 40])                             # doctest: +SKIP
>>> page.band(top[0], "Ward profile", "Census 2021")           # doctest: +SKIP
>>> page.save()                                                # doctest: +SKIP
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Frame, KeepInFrame, Paragraph, Table, TableStyle

__all__ = ["INK", "MUTED", "Box", "OnePage", "pdf_text", "styles"]

INK = colors.HexColor("#222222")
MUTED = colors.HexColor("#666666")
BAND = colors.HexColor("#1f3b57")
TILE = colors.HexColor("#eef2f6")
_REPLACE = {
    "≥": ">=",
    "≤": "<=",
    "−": "-",
    "→": "->",
    "≈": "~",
    "✓": "v",
    "\u2009": " ",
    "\u202f": " ",
}


def pdf_text(text: object) -> str:
    """Text safe for the standard fonts: a few symbols replaced, the rest as cp1252."""
    out = str(text)
    for old, new in _REPLACE.items():
        out = out.replace(old, new)
    return out.encode("cp1252", errors="replace").decode("cp1252")


def styles(base_size: float = 8.0) -> dict[str, ParagraphStyle]:
    """Paragraph styles of a one-page report: ``body``, ``small``, ``heading``, ``bullet``."""
    body = ParagraphStyle(
        "body", fontName="Helvetica", fontSize=base_size, leading=base_size * 1.25, textColor=INK
    )
    return {
        "body": body,
        "small": ParagraphStyle(
            "small",
            parent=body,
            fontSize=base_size * 0.78,
            leading=base_size * 0.98,
            textColor=MUTED,
        ),
        "heading": ParagraphStyle(
            "heading",
            parent=body,
            fontName="Helvetica-Bold",
            fontSize=base_size * 1.2,
            leading=base_size * 1.5,
            spaceAfter=2,
        ),
        "bullet": ParagraphStyle(
            "bullet", parent=body, leftIndent=8, bulletIndent=0, spaceAfter=2.5
        ),
    }


@contextmanager
def _binary_streams() -> Iterator[None]:
    """Write PDF streams as compressed binary, not ASCII85 (smaller and much faster);
    ReportLab reads this from a module setting, restored afterwards."""
    old = rl_config.useA85
    rl_config.useA85 = 0
    try:
        yield
    finally:
        rl_config.useA85 = old


@dataclass(frozen=True)
class Box:
    """A rectangle on the page, in points from the bottom-left corner."""

    x: float
    y: float
    width: float
    height: float

    def split(self, widths: Sequence[float], gap: float = 8.0) -> list[Box]:
        """Side-by-side boxes; ``widths`` are relative weights."""
        free = self.width - gap * (len(widths) - 1)
        total = float(sum(widths))
        out, x = [], self.x
        for w in widths:
            width = free * w / total
            out.append(Box(x, self.y, width, self.height))
            x += width + gap
        return out

    def inset(self, pad: float) -> Box:
        """The box shrunk by ``pad`` on every side."""
        return Box(self.x + pad, self.y + pad, self.width - 2 * pad, self.height - 2 * pad)


class OnePage:
    """A one-page PDF built box by box.

    Parameters
    ----------
    path : str or path-like
        The PDF file to write.
    title : str
        Document title (PDF metadata).
    author, subject : str
        PDF metadata.
    pagesize : tuple of float, default A4
    margin : float, default 24
        Page margin in points.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        title: str,
        author: str = "oacinsight",
        subject: str = "",
        pagesize: tuple[float, float] = A4,
        margin: float = 24.0,
    ) -> None:
        self.path = Path(path)
        self.page_width, self.page_height = pagesize
        self.margin = margin
        self.canvas = Canvas(str(self.path), pagesize=pagesize, invariant=1, pageCompression=1)
        self.canvas.setTitle(pdf_text(title))
        self.canvas.setAuthor(pdf_text(author))
        self.canvas.setSubject(pdf_text(subject))
        self.canvas.setCreator("oacinsight")
        self.style = styles()

    @property
    def content(self) -> Box:
        """The page inside the margins."""
        m = self.margin
        return Box(m, m, self.page_width - 2 * m, self.page_height - 2 * m)

    def rows(self, heights: Sequence[float], gap: float = 8.0) -> list[Box]:
        """Full-width boxes stacked from the top; ``heights`` are relative weights."""
        area = self.content
        free = area.height - gap * (len(heights) - 1)
        total = float(sum(heights))
        out, top = [], area.y + area.height
        for h in heights:
            height = free * h / total
            out.append(Box(area.x, top - height, area.width, height))
            top -= height + gap
        return out

    def _fit(self, box: Box, flowables: list[Flowable]) -> None:
        frame = Frame(
            box.x,
            box.y,
            box.width,
            box.height,
            leftPadding=0,
            rightPadding=0,
            topPadding=0,
            bottomPadding=0,
            showBoundary=0,
        )
        frame.addFromList(
            [KeepInFrame(box.width, box.height, flowables, mode="shrink")], self.canvas
        )

    def paragraph(self, text: str, style: str = "body") -> Paragraph:
        """A paragraph of plain text (escaped) in one of :func:`styles`."""
        return Paragraph(escape(pdf_text(text)), self.style[style])

    def band(self, box: Box, title: str, subtitle: str = "") -> None:
        """A dark title band with a large title and a subtitle line."""
        c = self.canvas
        c.setFillColor(BAND)
        c.rect(box.x, box.y, box.width, box.height, stroke=0, fill=1)
        c.setFillColor(colors.white)
        size = min(16.0, box.height * 0.36)
        c.setFont("Helvetica-Bold", size)
        title_text = pdf_text(title)
        while c.stringWidth(title_text, "Helvetica-Bold", size) > box.width - 20 and size > 9:
            size -= 0.5
            c.setFont("Helvetica-Bold", size)
        c.drawString(box.x + 10, box.y + box.height - size - 5, title_text)
        if subtitle:
            c.setFont("Helvetica", 7.5)
            c.drawString(box.x + 10, box.y + 6, pdf_text(subtitle)[:180])

    def tiles(self, box: Box, items: Sequence[tuple[str, str]]) -> None:
        """Key figures side by side: a big value over a small label in each tile."""
        c = self.canvas
        for tile, (label, value) in zip(box.split([1] * len(items), gap=6), items, strict=True):
            c.setFillColor(TILE)
            c.roundRect(tile.x, tile.y, tile.width, tile.height, 3, stroke=0, fill=1)
            c.setFillColor(INK)
            c.setFont("Helvetica-Bold", 13)
            c.drawString(tile.x + 7, tile.y + tile.height - 18, pdf_text(value))
            self._fit(
                Box(tile.x + 7, tile.y + 3, tile.width - 12, tile.height - 24),
                [self.paragraph(label, "small")],
            )

    def text(
        self,
        box: Box,
        paragraphs: Sequence[str],
        *,
        heading: str | None = None,
        bullets: bool = False,
        style: str = "body",
    ) -> None:
        """Paragraphs (or bullet points) fitted into the box."""
        flow: list[Flowable] = [self.paragraph(heading, "heading")] if heading else []
        for p in paragraphs:
            if bullets:
                flow.append(Paragraph(escape(pdf_text(p)), self.style["bullet"], bulletText="•"))
            else:
                flow.append(self.paragraph(p, style))
        self._fit(box, flow)

    def image(self, box: Box, png: bytes) -> None:
        """A PNG (e.g. a matplotlib chart) scaled into the box, aspect kept, centred."""
        reader = ImageReader(io.BytesIO(png))
        w, h = reader.getSize()
        scale = min(box.width / w, box.height / h)
        dw, dh = w * scale, h * scale
        with _binary_streams():
            self.canvas.drawImage(
                reader, box.x + (box.width - dw) / 2, box.y + (box.height - dh), dw, dh, mask="auto"
            )

    def table(
        self,
        box: Box,
        rows: Sequence[Sequence[object]],
        *,
        heading: str | None = None,
        col_widths: Sequence[float] | None = None,
        font_size: float = 7.0,
    ) -> None:
        """A small table (first row is the header), fitted into the box."""
        cells = [
            [
                Paragraph(
                    escape(pdf_text(v)),
                    ParagraphStyle(
                        "cell",
                        fontName="Helvetica-Bold" if i == 0 else "Helvetica",
                        fontSize=font_size,
                        leading=font_size * 1.15,
                        textColor=INK,
                    ),
                )
                for v in row
            ]
            for i, row in enumerate(rows)
        ]
        widths = None
        if col_widths is not None:
            total = float(sum(col_widths))
            widths = [box.width * w / total for w in col_widths]
        table = Table(cells, colWidths=widths, repeatRows=1, hAlign="LEFT")
        table.setStyle(
            TableStyle(
                [
                    ("LINEBELOW", (0, 0), (-1, 0), 0.6, INK),
                    ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.HexColor("#cccccc")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 2),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 2),
                    ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
                ]
            )
        )
        flow: list[Flowable] = [self.paragraph(heading, "heading")] if heading else []
        self._fit(box, [*flow, table])

    def rule(self, y: float) -> None:
        """A thin horizontal line across the content width at height ``y``."""
        self.canvas.setStrokeColor(colors.HexColor("#bbbbbb"))
        self.canvas.setLineWidth(0.4)
        self.canvas.line(self.content.x, y, self.content.x + self.content.width, y)

    def save(self) -> Path:
        """Finish the page and write the file."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with _binary_streams():
            self.canvas.showPage()
            self.canvas.save()
        return self.path
