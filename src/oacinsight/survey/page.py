"""The HTML page of a survey result, and JSON/spreadsheet-safe values."""

from __future__ import annotations

from typing import Any

import pandas as pd
from jinja2 import Environment

from oacinsight.tabular import neutralise
from oacinsight.values import json_records, json_safe

__all__ = ["neutralised", "plain", "records", "render"]

_DECIMALS = {
    "weighted_n": 1,
    "effective_n": 1,
    "share": 3,
    "share_low": 3,
    "share_high": 3,
    "diff_from_overall": 3,
    "p_value": 4,
    "representation_index": 2,
    "respondent_share": 3,
    "resident_share": 3,
}
_TEXT = ("question", "code", "name", "flag", "level", "note")


#: JSON-safe values and rows: the package's one converter (kept under the old names).
plain = json_safe
records = json_records


def neutralised(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with text cells that Excel would run as formulas made inert."""
    out = frame.copy()
    for col in out.columns:
        if not pd.api.types.is_numeric_dtype(out[col]):
            out[col] = out[col].astype(object).map(neutralise)
    return out


def _cell(value: Any, column: str) -> str:
    if value is None:
        return ""
    if column == "p_value" and isinstance(value, float) and value < 0.0001:
        return "<0.0001"
    if column in _DECIMALS and isinstance(value, (int, float)):
        return f"{value:,.{_DECIMALS[column]}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def render(meta: dict[str, Any], frame: pd.DataFrame, chart_uri: str) -> str:
    """The standalone page (text escaped by Jinja2; the chart is an inline PNG)."""
    env = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)
    env.filters["cell"] = _cell
    blocks = [(q, records(b)) for q, b in frame.groupby("question", sort=False)]
    return env.from_string(_PAGE).render(
        meta=meta, blocks=blocks, chart=chart_uri, columns=list(frame.columns), text=_TEXT
    )


_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Survey by OAC {{ meta.edition }} {{ meta.level }}: {{ meta.input }}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2rem; color: #222; max-width: 80rem; }
table { border-collapse: collapse; font-size: 0.8rem; margin-bottom: 1.5rem; }
th, td { border-bottom: 1px solid #ddd; padding: 0.2rem 0.45rem; text-align: right; }
th { background: #f4f4f4; } td.text { text-align: left; }
tr.suppressed td { color: #888; } tr.overall td { font-weight: 600; }
td.under { color: #b00020; } td.name { min-width: 16rem; }
td.note { min-width: 30rem; font-size: 0.72rem; color: #555; }
dl { display: grid; grid-template-columns: max-content auto; gap: 0.2rem 1rem; }
dt { font-weight: 600; } img { max-width: 100%; } .scroll { overflow-x: auto; }
</style>
</head>
<body>
<h1>Survey answers by OAC {{ meta.edition }} {{ meta.level }}</h1>
<dl>
<dt>Survey</dt><dd>{{ meta.input }}: {{ meta.rows }} rows; groups by {{ meta.placed_by }}</dd>
<dt>Placed</dt><dd>{% for k, v in meta.placement.items() %}{{ k }}: {{ v if v is not none
 else "fewer than %d" % meta.suppress_below }}{{ "; " if not loop.last }}{% endfor %}</dd>
<dt>Positive answers</dt><dd>{{ meta.positive }}</dd>
<dt>Weights</dt><dd>{{ meta.weight or "none (every respondent counts 1)" }}</dd>
{% if meta.areas %}<dt>Area</dt><dd>{% for a in meta.areas %}{{ a.code }} {{ a.name }}
{{ "; " if not loop.last }}{% endfor %}</dd>{% endif %}
<dt>Interval</dt><dd>{{ "%g" % (100 * meta.confidence) }}%: {{ meta.interval }}</dd>
<dt>Suppression</dt><dd>{{ meta.suppression }}</dd>
</dl>
<img src="{{ chart }}" alt="Share of positive answers by group, with intervals">
{% for q, rows in blocks %}
<h2>{{ q }}</h2>
<div class="scroll"><table>
<thead><tr>{% for c in columns if c != "question" %}<th>{{ c }}</th>{% endfor %}</tr></thead>
<tbody>
{% for r in rows %}
<tr class="{{ r.flag }}">{% for c in columns if c != "question" %}
<td class="{{ c }}{{ ' text' if c in text }}
{{- ' under' if c == 'flag' and 'under' in (r.flag or '') }}">
{{ r[c] | cell(c) }}</td>{% endfor %}</tr>
{% endfor %}
</tbody></table></div>
{% endfor %}
<h2>Answers used</h2>
<table><thead><tr><th>question</th><th>answered, placed</th><th>answered, not placed</th>
<th>missing</th><th>don't know</th></tr></thead><tbody>
{% for a in meta.answers %}<tr><td class="text">{{ a.question }}</td>
<td>{{ a.answered_placed | cell('') }}</td><td>{{ a.answered_not_placed | cell('') }}</td>
<td>{{ a.missing | cell('') }}</td><td>{{ a.dont_know | cell('') }}</td></tr>{% endfor %}
</tbody></table>
<p>Blank counts: fewer than {{ meta.suppress_below }} (hidden).</p>
<h2>Flags and notes</h2>
<dl>{% for k, v in meta.flags.items() %}<dt>{{ k }}</dt><dd>{{ v }}</dd>{% endfor %}</dl>
{% for n in meta.notes %}<p>{{ n }}</p>{% endfor %}
<p><small>{{ meta.generator }}. Share = Σ weight × positive ÷ Σ weight. Representation
index = group's share of respondents ÷ its share of residents.</small></p>
</body>
</html>
"""
