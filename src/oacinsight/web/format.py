"""Formatting for the pages: numbers, plain-language status texts, charts as SVG."""

from __future__ import annotations

import io
import math
import threading
from typing import Any

from markupsafe import Markup
from matplotlib import rc_context

from oacinsight.match import STATUS_TEXT
from oacinsight.oac import colour_for
from oacinsight.profile.chart import plot_profile
from oacinsight.values import missing

_CHART_LOCK = threading.Lock()


def _number(value: Any) -> float | str | None:
    """A float, the text itself when not numeric, or None for missing values."""
    if missing(value):
        return None
    try:
        x = float(value)
    except (TypeError, ValueError):
        return str(value)
    return None if math.isnan(x) else x


def num(value: Any, decimals: int = 0) -> str:
    """``1,234`` / ``12.3``; blank for missing values."""
    x = _number(value)
    return "" if x is None else x if isinstance(x, str) else f"{x:,.{decimals}f}"


def pct(value: Any, decimals: int = 1) -> str:
    """A share (0-1) as ``12.3%``."""
    x = _number(value)
    return "" if x is None else x if isinstance(x, str) else f"{100 * x:.{decimals}f}%"


def count(value: Any, threshold: Any = 10) -> str:
    """A published count: ``1,234``, or ``hidden (fewer than 10, or protecting one)`` when
    it was hidden (a cell is hidden when it holds 0 to 9, or so that such a cell cannot be
    worked out from the others: see docs/profile.md)."""
    if missing(value):
        return f"hidden (fewer than {threshold}, or protecting one)"
    return num(value)


def status_text(status: str) -> str:
    """Plain-language meaning of a match status."""
    return STATUS_TEXT.get(status, "")


def oac_colour(code: Any) -> str:
    """Colour of an OAC code (its supergroup's)."""
    return colour_for(str(code))


def chart_svg(result: Any) -> Markup:
    """The profile's index chart as an inline ``<svg>`` (our own matplotlib output)."""
    buffer = io.StringIO()
    # matplotlib's settings are global: one chart at a time, with a fixed salt so the
    # same numbers give the same page
    with _CHART_LOCK, rc_context({"svg.hashsalt": "oacinsight"}):
        plot_profile(result).savefig(buffer, format="svg", metadata={"Date": None})
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg") :]
    start, end = svg.find("<metadata>"), svg.find("</metadata>")
    if start != -1 and end != -1:
        svg = svg[:start] + svg[end + len("</metadata>") :]
    svg = svg.replace("<svg ", '<svg role="img" aria-label="Index chart" ', 1)
    return Markup(svg)  # text inside is escaped by matplotlib's SVG writer
