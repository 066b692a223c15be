"""Chart helpers shared by reports: figures without pyplot, rendered to PNG bytes.

Figures are :class:`matplotlib.figure.Figure` objects on an Agg canvas (no global pyplot
state, no display needed).  Fonts are matplotlib's bundled DejaVu Sans, so rendering is
offline and the same on every machine.
"""

from __future__ import annotations

import base64
import io
from typing import TYPE_CHECKING, Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType  # a Literal of rc keys, for the checker only

__all__ = ["CHART_STYLE", "new_figure", "png_bytes", "png_data_uri"]

#: rcParams used by every report chart.
CHART_STYLE: dict[RcKeyType, Any] = {
    "font.size": 7.0,
    "axes.titlesize": 8.0,
    "axes.titleweight": "bold",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlelocation": "left",
    "legend.fontsize": 6.5,
    "legend.frameon": False,
    "xtick.labelsize": 6.5,
    "ytick.labelsize": 6.5,
    "axes.edgecolor": "#666666",
    "axes.linewidth": 0.6,
}


def new_figure(width_in: float, height_in: float) -> Figure:
    """An empty figure of the given size (inches) on an Agg canvas."""
    fig = Figure(figsize=(width_in, height_in))
    FigureCanvasAgg(fig)
    return fig


def png_bytes(fig: Figure, dpi: int = 170) -> bytes:
    """The figure as PNG bytes (no timestamp in the metadata)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, metadata={"Software": "oacinsight"})
    return buffer.getvalue()


def png_data_uri(png: bytes) -> str:
    """A ``data:image/png;base64,...`` URI for embedding a PNG in HTML."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")
