"""``need_by.html``: the summary page of ``oacinsight need --by`` / ``--period``.

Built from the published tables of :class:`~oacinsight.need.by_result.NeedByResult`
only; every cell is escaped (Jinja2 autoescape).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import pandas as pd
from jinja2 import Environment

from oacinsight.values import json_records

if TYPE_CHECKING:
    from oacinsight.need.by_result import NeedByResult

__all__ = ["need_by_html"]

_TOP = 5


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) < 100 else f"{value:,.0f}"
    return str(value)


def _rows(frame: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    columns = [str(c) for c in frame.columns]
    return columns, [[_cell(r[c]) for c in columns] for r in json_records(frame)]


def need_by_html(result: NeedByResult, heat_map: bytes | None = None) -> str:
    """The page: the slices and their reach, the heat map (PNG bytes, when given), the
    rates per 1,000 by group × slice, and each slice's first targets."""
    from oacinsight.reports.charts import png_data_uri

    o = result.overall
    wide = result.wide_frame()
    numbers = [c for c in wide.columns if c not in ("level", "code", "name")]
    wide[numbers] = wide[numbers] * 1000
    slices = result.slice_frame()
    slices["reach_at_20pct"] = (100 * slices["reach_at_20pct"]).round(0)
    targets = result.targets_frame()
    targets = targets[targets["rank"] <= _TOP]
    keep = [result.label_column, "rank", "area_code", "name", "expected", "expected_rate"]
    tables = {
        f"Rows and customers per {result.column} (reach: % of the expected need reached "
        "by contacting 20% of households in target-list order)": _rows(slices),
        f"Rate per 1,000 ({o.base_name}), shrunk, by OAC {o.level} and {result.column}": _rows(
            wide
        ),
        f"First {_TOP} {o.rules.area_type}s of each target list": _rows(targets[keep]),
    }
    env = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)
    return env.from_string(_HTML).render(
        result=result,
        areas=", ".join(f"{n} ({c})" for c, n in o.areas),
        tables=tables,
        heat_map=png_data_uri(heat_map) if heat_map else None,
    )


_HTML = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Areas of likely need by {{ result.column }}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2rem; color: #222; max-width: 75rem; }
table { border-collapse: collapse; font-size: 0.8rem; margin-bottom: 1.5rem; }
th, td { border-bottom: 1px solid #ddd; padding: 0.2rem 0.45rem; text-align: right; }
th { background: #f4f4f4; }
.scroll { overflow-x: auto; }
</style>
</head>
<body>
<h1>Areas of likely need by {{ result.column }}
{%- if result.freq %} ({{ result.freq }}){% endif %}</h1>
<p>{{ areas }}. Rates per OAC {{ result.overall.level }} from {{ result.overall.source }},
against {{ result.overall.base_name }}; every slice against the same area and base. The
whole file's analysis is in <a href="need.html">need.html</a>.</p>
<p>Disclosure control: customer counts below {{ result.overall.suppress_below }} are hidden,
with one pattern chosen on the slices and the overall rates together, so that no slice can be
differenced against the total. Expected values are model outputs (rate × census count).</p>
{% for n in result.notes %}<p class="note">{{ n }}</p>{% endfor %}
<h2>Findings</h2>
<ul>{% for f in result.findings() %}<li>{{ f }}</li>{% endfor %}</ul>
{% if heat_map %}<h2>Rate by group and {{ result.column }}, relative to each slice's average</h2>
<img alt="heat map of rates by group and {{ result.column }}" src="{{ heat_map }}"
style="max-width:100%">{% endif %}
{% for title, (columns, rows) in tables.items() %}
<h2>{{ title }}</h2>
<div class="scroll"><table>
<thead><tr>{% for c in columns %}<th>{{ c }}</th>{% endfor %}</tr></thead>
<tbody>{% for row in rows %}<tr>{% for v in row %}<td>{{ v }}</td>{% endfor %}</tr>
{% endfor %}</tbody>
</table></div>
{% endfor %}
<p><small>oacinsight: method in docs/need.md ("Need by a column or a period").</small></p>
</body>
</html>
"""
