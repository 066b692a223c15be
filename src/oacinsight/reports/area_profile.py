"""The one-page area (ward) profile as PDF and as a standalone HTML page."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from jinja2 import Environment
from markupsafe import Markup

from oacinsight._version import __version__
from oacinsight.reports.area_charts import (
    deprivation_chart,
    indicator_chart,
    mix_chart,
    scale_chart,
)
from oacinsight.reports.charts import png_bytes, png_data_uri
from oacinsight.reports.pdf import Box, OnePage

if TYPE_CHECKING:
    from oacinsight.areas.result import AreaProfile

__all__ = ["render_charts", "write_html", "write_pdf"]

#: Relative heights of the page's rows: band, tiles and three content rows.
ROWS = (42, 44, 236, 214, 250)
#: The same with a coverage row under the band, for areas the store holds only in part.
ROWS_WITH_COVERAGE = (42, 34, 44, 226, 204, 240)
#: Chart sizes in inches, matching the half-width boxes of the page.
CHART_SIZES: dict[str, tuple[float, float]] = {
    "mix": (3.75, 3.2),
    "indicators": (3.75, 2.95),
    "deprivation": (3.75, 2.05),
    "scale": (3.75, 2.75),
}
MAX_PDF_COMPARATORS = 6


def render_charts(p: AreaProfile, dpi: int = 160) -> dict[str, bytes]:
    """The profile's charts as PNG bytes, sized for the one-page PDF."""
    makers = {
        "mix": mix_chart,
        "indicators": indicator_chart,
        "deprivation": deprivation_chart,
        "scale": scale_chart,
    }
    out = {}
    for name, make in makers.items():
        if name in ("indicators", "scale") and p.indicators.empty:
            continue
        out[name] = png_bytes(make(p, CHART_SIZES[name]), dpi=dpi)
    return out


def _fmt(value: Any, digits: int = 0, suffix: str = "") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, (int, float)):
        return f"{value:,.{digits}f}{suffix}"
    return str(value)


def _tiles(p: AreaProfile) -> list[tuple[str, str]]:
    dep = p.deprivation_summary
    density = p.indicators[p.indicators["indicator"] == "density"]
    tiles = [
        (
            "usual residents (Census 2021)"
            if p.is_whole
            else "usual residents (Census 2021) in the part held, not the whole area",
            _fmt(p.residents),
        ),
        ("households", _fmt(p.households)),
        (f"output areas in {p.lsoas} LSOAs", _fmt(p.output_areas)),
        (
            "of residents live in the most deprived 20% of LSOAs",
            _fmt(dep.get("pct_deciles_1_2"), 0, "%"),
        ),
    ]
    if not density.empty:
        tiles.append(("people per km²", _fmt(float(density["value"].iloc[0]))))
    return tiles


def comparator_rows(p: AreaProfile, limit: int = MAX_PDF_COMPARATORS) -> list[list[str]]:
    """Header and rows of the comparators table as text (the area first)."""
    c = p.comparators
    header = ["#", "Area", "Residents", "Distance", "Largest supergroup", "In most deprived 20%"]
    if c.empty:
        return [header]
    rows = [header]
    for _, r in c.head(limit + 1).iterrows():
        name = str(r["name"]) if r["name"] != r["code"] else str(r["code"])
        if r.get("coverage", "whole") not in ("whole", "as listed"):
            name += f" ({r['coverage']})"
        rows.append(
            [
                "this" if r["rank"] == 0 else str(int(r["rank"])),
                name,
                _fmt(r["residents"]),
                "–" if r["rank"] == 0 else _fmt(r["distance"], 2),
                f"{r['largest_supergroup']} ({_fmt(r['largest_supergroup_pct'], 0, '%')})",
                _fmt(r.get("most_deprived_20_pct"), 0, "%"),
            ]
        )
    return rows


def _footer(p: AreaProfile) -> list[str]:
    lines = [f"Output areas: {p.membership}."]
    lines += [f"Note: {n}." for n in p.notes]
    lines += [
        f"Comparators: {p.comparators_method}. Distance 0 = identical; see docs/areas.md.",
        p.disclosure,
        "Sources: " + "; ".join(p.sources) + f". Made with oacinsight {__version__}.",
    ]
    return lines


def write_pdf(p: AreaProfile, path: str | Path, charts: dict[str, bytes] | None = None) -> Path:
    """Write the one-page PDF profile.

    Parameters
    ----------
    p : AreaProfile
    path : str or pathlib.Path
        The PDF file.
    charts : dict, optional
        PNGs from :func:`render_charts` (rendered here when omitted).

    Returns
    -------
    pathlib.Path
    """
    charts = charts if charts is not None else render_charts(p)
    kind = _kind_title(p)
    page = OnePage(
        path,
        title=f"{kind} profile: {p.title}",
        subject="Area profile from the Output Area Classification and Census 2021",
    )
    if p.coverage:
        band, cover, tiles, row_a, row_b, row_c = page.rows(ROWS_WITH_COVERAGE, gap=7)
    else:
        band, tiles, row_a, row_b, row_c = page.rows(ROWS, gap=7)
    page.band(
        band,
        f"{kind} profile: {p.title}",
        f"Compared with {p.parent_label} and {p.national_name} · Census 2021, "
        "Output Area Classification 2021, IMD ranks from the postcode directory",
    )
    if p.coverage:
        page.text(cover, p.coverage, style="body")
    page.tiles(tiles, _tiles(p))
    left, right = row_a.split([1, 1], gap=10)
    page.text(left, p.summary, heading="In brief", bullets=True)
    _image(page, right, charts.get("mix"))
    left, right = row_b.split([1, 1], gap=10)
    _image(page, left, charts.get("indicators"))
    dep_box, note_box = (
        Box(right.x, right.y + 40, right.width, right.height - 40),
        Box(right.x, right.y, right.width, 36),
    )
    _image(page, dep_box, charts.get("deprivation"))
    page.text(note_box, [_deprivation_note(p)], style="small")
    left, right = row_c.split([1, 1], gap=10)
    _image(page, left, charts.get("scale"))
    table_box = Box(right.x, right.y + right.height * 0.47, right.width, right.height * 0.53)
    about_box = Box(right.x, right.y, right.width, right.height * 0.45)
    page.table(
        table_box,
        comparator_rows(p),
        heading="Most similar areas",
        col_widths=[0.35, 2.0, 0.9, 0.85, 1.3, 1.05],
        font_size=6.5,
    )
    page.text(about_box, _footer(p), heading="About these figures", style="small")
    return page.save()


def _kind_title(p: AreaProfile) -> str:
    """``Ward``, or ``Ward (partial)`` when the store holds only part of it."""
    kind = p.kind_label[:1].upper() + p.kind_label[1:]
    return kind if p.is_whole else f"{kind} ({p.coverage_status})"


def _image(page: OnePage, box: Box, png: bytes | None) -> None:
    if png is not None:
        page.image(box, png)


def _deprivation_note(p: AreaProfile) -> str:
    dep = p.deprivation_summary
    return (
        f"Each output area takes the deprivation rank of its LSOA ({dep.get('lsoas', 0)} "
        "LSOAs) from the postcode directory; deciles are within each nation (England "
        "1-32,844, Wales 1-1,909). Bars above the dashed line: more residents in that "
        "decile than an even spread."
    )


def write_html(p: AreaProfile, path: str | Path, charts: dict[str, bytes] | None = None) -> Path:
    """Write the profile as one standalone HTML page (charts embedded, no network)."""
    charts = charts if charts is not None else render_charts(p)
    env = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)
    env.filters["num"] = _fmt
    mix = p.oac_mix[p.oac_mix["level"].isin(["supergroup", "group"])]
    html = env.from_string(_TEMPLATE).render(
        p=p,
        kind=_kind_title(p),
        tiles=_tiles(p),
        charts={k: Markup(png_data_uri(v)) for k, v in charts.items()},  # our own PNG data
        mix=_records(mix),
        indicators=_records(p.indicators),
        deprivation=_records(p.deprivation),
        comparators=comparator_rows(p, 50),
        scale=_records(p.scale),
        generator=f"oacinsight {__version__}",
    )
    out = Path(path)
    out.write_text(html, encoding="utf-8")
    return out


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        {str(k): v for k, v in r.items()} for r in frame.astype(object).to_dict(orient="records")
    ]


_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{{ kind }} profile: {{ p.title }}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 1.5rem auto; color: #222; max-width: 64rem;
       padding: 0 1rem; }
header { background: #1f3b57; color: #fff; padding: 0.8rem 1rem; }
header h1 { margin: 0; font-size: 1.5rem; }
.tiles { display: flex; gap: 0.5rem; margin: 0.8rem 0; flex-wrap: wrap; }
.tile { background: #eef2f6; padding: 0.5rem 0.8rem; flex: 1; min-width: 9rem; }
.tile b { font-size: 1.3rem; display: block; }
.grid { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; }
img { max-width: 100%; }
table { border-collapse: collapse; font-size: 0.8rem; margin-bottom: 1rem; }
th, td { border-bottom: 1px solid #ddd; padding: 0.2rem 0.45rem; text-align: right; }
th { background: #f4f4f4; }
td.t, th.t { text-align: left; }
small, .small { color: #555; font-size: 0.8rem; }
</style>
</head>
<body>
<header><h1>{{ kind }} profile: {{ p.title }}</h1>
<div>Compared with {{ p.parent_label }} ({{ p.parent_code }}) and {{ p.national_name }}</div>
</header>
{% for line in p.coverage %}<p class="coverage"><strong>{{ line }}</strong></p>
{% endfor %}
<div class="tiles">{% for label, value in tiles %}
<div class="tile"><b>{{ value }}</b>{{ label }}</div>{% endfor %}
</div>
<div class="grid">
<section><h2>In brief</h2><ul>{% for s in p.summary %}<li>{{ s }}</li>{% endfor %}</ul></section>
<section>{% if charts.mix %}<img alt="OAC supergroup mix" src="{{ charts.mix }}">{% endif %}
</section>
<section>{% if charts.indicators %}<img alt="Census indicators" src="{{ charts.indicators }}">
{% endif %}</section>
<section>{% if charts.deprivation %}<img alt="IMD deciles" src="{{ charts.deprivation }}">
{% endif %}{% if charts.scale %}<img alt="Scale effect" src="{{ charts.scale }}">{% endif %}
</section>
</div>
<h2>Most similar areas</h2>
<p class="small">{{ p.comparators_method }}</p>
<table><thead><tr>{% for h in comparators[0] %}<th class="t">{{ h }}</th>{% endfor %}</tr>
</thead><tbody>{% for row in comparators[1:] %}<tr>{% for v in row %}
<td class="t">{{ v }}</td>{% endfor %}</tr>{% endfor %}</tbody></table>
<h2>OAC mix (supergroups and groups)</h2>
<table><thead><tr><th class="t">level</th><th class="t">code</th><th class="t">name</th>
<th>residents</th><th>%</th><th>{{ p.parent_label }} %</th><th>{{ p.national_name }} %</th>
<th>index vs {{ p.parent_label }}</th><th>index vs {{ p.national_name }}</th></tr></thead>
<tbody>
{% for r in mix %}<tr><td class="t">{{ r.level }}</td><td class="t">{{ r.code }}</td>
<td class="t">{{ r.name }}</td><td>{{ r.residents|num }}</td><td>{{ r.pct|num(1) }}</td>
<td>{{ r.parent_pct|num(1) }}</td><td>{{ r.national_pct|num(1) }}</td>
<td>{{ r.index_vs_parent|num }}</td><td>{{ r.index_vs_national|num }}</td></tr>
{% endfor %}</tbody></table>
<h2>Census indicators</h2>
<table><thead><tr><th class="t">indicator</th><th class="t">unit</th><th>this area</th>
<th>{{ p.parent_label }}</th><th>{{ p.national_name }}</th><th class="t">definition</th></tr>
</thead><tbody>{% for r in indicators %}<tr><td class="t">{{ r.label }}</td>
<td class="t">{{ r.unit }}</td><td>{{ r.value|num(1) }}</td><td>{{ r.parent_value|num(1) }}</td>
<td>{{ r.national_value|num(1) }}</td><td class="t small">{{ r.definition }}</td></tr>
{% endfor %}</tbody></table>
<h2>Deprivation (IMD deciles within each nation)</h2>
<table><thead><tr><th class="t">nation</th><th>decile</th><th>LSOAs</th><th>residents</th>
<th>%</th><th>{{ p.parent_label }} %</th></tr></thead><tbody>
{% for r in deprivation %}<tr><td class="t">{{ r.nation }}</td><td>{{ r.decile }}</td>
<td>{{ r.lsoas }}</td><td>{{ r.residents|num }}</td><td>{{ r.pct|num(1) }}</td>
<td>{{ r.parent_pct|num(1) }}</td></tr>{% endfor %}</tbody></table>
<h2>The scale effect</h2>
<table><thead><tr><th class="t">indicator</th><th class="t">over</th><th>units</th><th>min</th>
<th>median</th><th>max</th></tr></thead><tbody>{% for r in scale %}<tr>
<td class="t">{{ r.label }}</td><td class="t">{{ r.level }}</td><td>{{ r.units }}</td>
<td>{{ r.min|num(1) }}</td><td>{{ r.median|num(1) }}</td><td>{{ r.max|num(1) }}</td></tr>
{% endfor %}</tbody></table>
<h2>About these figures</h2>
<p class="small">Output areas: {{ p.membership }}.</p>
{% for n in p.notes %}<p class="small">Note: {{ n }}.</p>{% endfor %}
<p class="small">{{ p.disclosure }}</p>
<ul class="small">{% for s in p.sources %}<li>{{ s }}</li>{% endfor %}</ul>
<p class="small">{{ generator }}</p>
</body>
</html>
"""
