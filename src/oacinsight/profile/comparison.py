"""The result of a profile by a column or by period, and its writers.

:class:`ComparisonResult` holds the overall profile and one
:class:`~oacinsight.profile.result.ProfileResult` per slice, all with the one joint
disclosure pattern; every writer goes through their ``published_frame()``.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from jinja2 import Environment
from markupsafe import Markup
from matplotlib.figure import Figure

from oacinsight._version import __version__
from oacinsight.profile.accounting import (
    AccountingTable,
    accounting_pattern,
    published_accounting_frame,
)
from oacinsight.profile.chart import save_figure
from oacinsight.profile.result import ProfileResult
from oacinsight.results import write_by_suffix, write_json
from oacinsight.tabular import neutralise, write_workbook
from oacinsight.values import json_records, json_safe

__all__ = ["ALL_LABEL", "BLANK", "NO_DATE", "OTHER", "ComparisonResult"]

#: The label of the overall profile's rows in the long table.
ALL_LABEL = "(all)"
#: Label of the slice of rows whose ``--by`` value is blank.
BLANK = "(blank)"
#: Label of the slice of rows with no usable date (blank or unparseable).
NO_DATE = "(no date)"
#: Label of the slice gathering values with too few customers.
OTHER = "other"
JSON_FORMAT = "oacinsight.profile-by/1"
#: The columns of :meth:`ComparisonResult.slice_frame` and the kinds of rows they add
#: up (0 in the area, 1 matched outside it, 2 not matched).
SLICE_COLUMNS: dict[str, tuple[int, ...]] = {
    "rows": (0, 1, 2),
    "matched": (0, 1),
    "in_area": (0,),
    "outside_area": (1,),
    "not_matched": (2,),
}
#: Under cell key perturbation: the rows split into matched (0) and not matched (1).
CELLKEY_COLUMNS: dict[str, tuple[int, ...]] = {"rows": (0, 1), "matched": (0,), "not_matched": (1,)}
ACCOUNTING_FALLBACK = (
    "every count of the records per slice is hidden (in-area customers aside): no "
    "pattern could protect its small counts"
)


def _neutralised(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for column in out.columns:
        if not pd.api.types.is_numeric_dtype(out[column]):
            out[column] = out[column].astype(object).map(neutralise)
    return out


@dataclass
class ComparisonResult:
    """Profiles of the slices of a file (``--by`` or ``--period``) and the overall one.

    Attributes
    ----------
    overall : ProfileResult
        The profile of the whole file (identical to a plain ``profile`` of it).
    slices : list of (str, ProfileResult)
        Each slice's label and profile, in order (by customers, or in time order),
        ``(blank)``, ``(no date)`` and ``other`` last.
    column : str
        The column the file was split by.
    kind : str
        ``by`` or ``period``.
    freq : str or None
        ``year``, ``quarter`` or ``month`` for periods.
    notes : list of str
        What was grouped as ``other``, dates that could not be read.
    min_customers : int
        Values with fewer customers in the area were grouped as ``other``.
    """

    overall: ProfileResult
    slices: list[tuple[str, ProfileResult]]
    column: str
    kind: str
    freq: str | None = None
    notes: list[str] = field(default_factory=list)
    min_customers: int = 20
    _accounting: pd.DataFrame | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def label_column(self) -> str:
        """The first column of the long table: ``by`` or ``period``."""
        return "by" if self.kind == "by" else "period"

    def period_slices(self) -> list[tuple[str, ProfileResult]]:
        """The slices that are periods (not ``(no date)`` or ``other``), in time order."""
        if self.kind != "period":
            return []
        return [(n, p) for n, p in self.slices if n not in (NO_DATE, OTHER)]

    def long_frame(self) -> pd.DataFrame:
        """Published rows of the overall profile (``(all)``) and of every slice."""
        parts = [(ALL_LABEL, self.overall), *self.slices]
        frames = [p.published_frame().assign(**{self.label_column: name}) for name, p in parts]
        out = pd.concat(frames, ignore_index=True)
        return out[[self.label_column, *(c for c in out.columns if c != self.label_column)]]

    def to_frame(self) -> pd.DataFrame:
        """The long table (safe to publish)."""
        return self.long_frame()

    def wide_frame(self) -> pd.DataFrame:
        """Index by group (rows) × slice (columns), blank where hidden."""
        long = self.long_frame()
        keys = ["level", "code", "name"]
        wide = long.pivot_table(index=keys, columns=self.label_column, values="index",
                                sort=False, dropna=False)  # fmt: skip
        order = [ALL_LABEL, *(n for n, _ in self.slices)]
        wide = wide.reindex(columns=order).reset_index()
        wide.columns.name = None
        rows = self.overall.published_frame()[keys]
        return rows.merge(wide, on=keys, how="left")

    def accounting_table(self) -> AccountingTable:
        """The slices' rows split once (in the area, matched outside it, not matched)
        and the columns published from them.  Under cell key perturbation the in-area
        totals are perturbed (not sums of rows): the rows are split into matched and
        not matched only, and the in-area figures are published as perturbed."""
        if self.overall.disclosure == "cellkey":
            pairs = [[p.n_matched, p.n_input - p.n_matched] for _, p in self.slices]
            atoms = np.array(pairs, dtype="int64").reshape(len(self.slices), 2)
            return AccountingTable(atoms=atoms, columns=CELLKEY_COLUMNS)
        atoms = np.array(
            [[p.n_in_area, p.n_matched - p.n_in_area, p.n_input - p.n_matched]
             for _, p in self.slices],
            dtype="int64",
        ).reshape(len(self.slices), 3)  # fmt: skip
        return AccountingTable(atoms=atoms, columns=SLICE_COLUMNS, fixed=("in_area",))

    def slice_frame(self) -> pd.DataFrame:
        """Every input row accounted for, per slice: rows, matched, in the area, matched
        but outside it, not matched.  Small counts are hidden (``<NA>``) by one pattern
        on the slices and the whole file together (:mod:`oacinsight.profile.accounting`):
        the whole file's figures are published, so a slice's small count could
        otherwise be read by subtraction along its row or down its column."""
        if self._accounting is None:
            self._accounting = self._published_accounting()
        return self._accounting.copy()

    def _published_accounting(self) -> pd.DataFrame:
        table = self.accounting_table()
        hidden, fallback = accounting_pattern(table, self.overall.suppress_below)
        o = self.overall
        overall = {
            "rows": o.n_input,
            "matched": o.n_matched,
            "in_area": o.n_in_area,
            "outside_area": o.n_matched - o.n_in_area,
            "not_matched": o.n_input - o.n_matched,
        }
        if fallback:
            self.notes.append(ACCOUNTING_FALLBACK)
        names = [n for n, _ in self.slices]
        labels = (self.label_column, ALL_LABEL)
        out = published_accounting_frame(labels, names, table, hidden, overall)
        if "in_area" not in out.columns:  # cell keys: the perturbed totals, no difference
            parts = [self.overall, *(p for _, p in self.slices)]
            out["in_area"] = pd.array([p.n_in_area for p in parts], dtype="Int64")
            out["outside_area"] = pd.array([None] * len(parts), dtype="Int64")
            out = out[[self.label_column, *SLICE_COLUMNS]]
        return out

    def __post_init__(self) -> None:
        # the pattern first, so that its note (if any) is in every output
        self._accounting = self._published_accounting()

    def pairwise(self) -> pd.DataFrame:
        """Chi-square tests between every pair of slices (published counts only)."""
        from oacinsight.profile.compare import pairwise_tests

        return pairwise_tests(self)

    def changes(self) -> pd.DataFrame:
        """First against last period, per group (empty unless ``kind == 'period'``)."""
        from oacinsight.profile.compare import change_tests

        return change_tests(self)

    def findings(self) -> list[str]:
        """Plain-language findings (see :func:`oacinsight.profile.compare.findings`)."""
        from oacinsight.profile.compare import findings

        return findings(self)

    def metadata(self) -> dict[str, Any]:
        meta = self.overall.metadata()
        meta.update(
            format=JSON_FORMAT,
            generator=f"oacinsight {__version__}",
            column=self.column,
            kind=self.kind,
            freq=self.freq,
            slices=[n for n, _ in self.slices],
            min_customers=self.min_customers,
            notes=list(self.notes),
            disclosure_pattern=self.pattern_text(),
        )
        return json_safe(meta)

    def pattern_text(self) -> str:
        """How the slices and the overall profile were protected together."""
        if self.overall.disclosure == "cellkey":
            return (
                "the overall profile and every slice perturbed by their own cell keys "
                "(the same records always get the same noise)"
            )
        return "one pattern chosen on the slices and the overall profile together"

    def to_dict(self) -> dict[str, Any]:
        """Metadata, the long rows, the slices, the tests and the findings."""
        payload = self.metadata()
        long = self.long_frame()
        payload["columns"] = [str(c) for c in long.columns]
        payload["rows"] = json_records(long)
        payload["slice_counts"] = json_records(self.slice_frame())
        payload["pairwise_tests"] = json_records(self.pairwise())
        payload["changes"] = json_records(self.changes())
        payload["findings"] = self.findings()
        return json_safe(payload)

    def text(self) -> str:
        """What ``oacinsight profile --by/--period`` prints."""
        o = self.overall
        lines = [*o.coverage_notes, *o.excluded_lines(), *self.notes]
        areas = ", ".join(f"{c} {n}" if n != c else c for c, n in o.areas)
        lines.append(
            f"{o.n_input:,} records; {o.n_matched:,} matched; {o.n_in_area:,} in {areas}; "
            f"{len(self.slices)} slices by {self.column!r}"
            + (f" ({self.freq})" if self.freq else "")
        )
        lines.append(f"base: {o.base_name}; {o.confidence:.0%} intervals")
        lines.append(f"disclosure control: {self.pattern_text()}; "
                     + self.metadata()["suppression"])  # fmt: skip
        lines.append(self.slice_frame().to_string(index=False))
        wide = self.wide_frame()
        wide["name"] = wide["name"].astype(str).str.slice(0, 30)
        lines.append("index by " + self.column + ":")
        lines.append(wide.round(0).to_string(index=False))
        lines += ["", *self.findings()]
        return "\n".join(lines)

    # --- writers -------------------------------------------------------------------

    def write(self, path: str | Path) -> Path:
        """Write the comparison; the format follows the suffix (``.csv`` long table,
        ``.xlsx`` sheets, ``.json``, ``.html`` page, ``.png``/``.svg`` heat map (trend
        chart for periods), ``.pdf`` report)."""
        return write_by_suffix(
            "a comparison",
            path,
            {
                ".csv": self._write_csv,
                ".xlsx": self._write_xlsx,
                ".json": lambda out: write_json(out, self.to_dict()),
                ".html": lambda out: out.write_text(self.to_html(), encoding="utf-8"),
                ".png": self._write_chart,
                ".svg": self._write_chart,
                ".pdf": self._write_pdf,
            },
        )

    def main_figure(self) -> Figure:
        from oacinsight.profile.compare_chart import plot_heat_map, plot_trend

        return plot_trend(self) if self.kind == "period" else plot_heat_map(self)

    def write_charts(self, folder: str | Path) -> list[Path]:
        """``heat_map.png``, ``small_multiples.png`` and (periods) ``trend.png`` in
        ``folder`` (created if needed); returns the paths written."""
        from oacinsight.profile.compare_chart import (
            plot_heat_map,
            plot_small_multiples,
            plot_trend,
        )

        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        figures = {"heat_map": plot_heat_map, "small_multiples": plot_small_multiples}
        if self.kind == "period" and len(self.period_slices()) >= 2:
            figures["trend"] = plot_trend
        return [save_figure(make(self), out / f"{name}.png") for name, make in figures.items()]

    def _write_chart(self, out: Path) -> None:
        save_figure(self.main_figure(), out)

    def _write_csv(self, out: Path) -> None:
        _neutralised(self.long_frame()).to_csv(out, index=False, encoding="utf-8")

    def _write_xlsx(self, out: Path) -> None:
        about = [(k, str(v)) for k, v in self.metadata().items() if not isinstance(v, (dict, list))]
        about += [("note", n) for n in self.notes]
        sheets = {
            "profiles": self.long_frame(),
            "index": self.wide_frame(),
            "slices": self.slice_frame(),
            "pairwise_tests": self.pairwise(),
            "findings": pd.DataFrame({"finding": self.findings()}),
            "about": pd.DataFrame(about, columns=["item", "value"]),
        }
        if self.kind == "period":
            sheets["changes"] = self.changes()
        write_workbook(out, {k: _neutralised(v) for k, v in sheets.items()})

    def _write_pdf(self, out: Path) -> None:
        from oacinsight.reports.comparison_pdf import comparison_pdf

        out.write_bytes(comparison_pdf(self))

    def figures_svg(self) -> dict[str, str]:
        """The charts as inline ``<svg>`` elements: heat map, small multiples, trend."""
        from oacinsight.profile.compare_chart import (
            plot_heat_map,
            plot_small_multiples,
            plot_trend,
        )

        out = {
            "heat_map": _svg(plot_heat_map(self)),
            "small_multiples": _svg(plot_small_multiples(self)),
        }
        if self.kind == "period" and len(self.period_slices()) >= 2:
            out["trend"] = _svg(plot_trend(self))
        return out

    def to_html(self) -> str:
        """A standalone page: findings, charts, the index table, tests and all rows."""
        env = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)
        tables = {
            "Index by group and " + self.column: self.wide_frame().round(0),
            "Records per slice": self.slice_frame(),
            "Do two slices differ? (chi-square)": self.pairwise().round(4),
        }
        if self.kind == "period":
            tables["Change from the first to the last period"] = self.changes().round(3)
        tables["Every published row"] = self.long_frame().round(2)
        return env.from_string(_HTML).render(
            meta=self.metadata(),
            findings=self.findings(),
            charts={k: Markup(v) for k, v in self.figures_svg().items()},  # our own SVG
            tables={k: (list(v.columns), json_records(v)) for k, v in tables.items()},
        )


def _svg(fig: Figure) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None})
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg") :]
    start, end = svg.find("<metadata>"), svg.find("</metadata>")
    if start != -1 and end != -1:
        svg = svg[:start] + svg[end + len("</metadata>") :]
    return svg


_HTML = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Customer profiles by {{ meta.column }}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2rem; color: #222; max-width: 75rem; }
table { border-collapse: collapse; font-size: 0.8rem; margin-bottom: 1.5rem; }
th, td { border-bottom: 1px solid #ddd; padding: 0.2rem 0.45rem; text-align: right; }
th { background: #f4f4f4; }
.chart svg { max-width: 100%; height: auto; }
.scroll { overflow-x: auto; }
</style>
</head>
<body>
<h1>Customer profiles by {{ meta.column }}{% if meta.freq %} ({{ meta.freq }}){% endif %}</h1>
{% for n in meta.coverage %}<p><strong>{{ n }}</strong></p>{% endfor %}
<p>Base: {{ meta.base_name }}. Areas: {% for a in meta.areas %}{{ a.code }} {{ a.name }}
{{- "; " if not loop.last }}{% endfor %}.
{{ meta.n_input }} records, {{ meta.n_matched }} matched, {{ meta.n_in_area }} in the areas.
Disclosure control: {{ meta.disclosure_pattern }}; {{ meta.suppression }}</p>
{% for n in meta.notes %}<p class="note">{{ n }}</p>{% endfor %}
<h2>Findings</h2>
<ul>{% for f in findings %}<li>{{ f }}</li>{% endfor %}</ul>
{% for name, svg in charts.items() %}<div class="chart">{{ svg }}</div>{% endfor %}
{% for title, (columns, rows) in tables.items() %}
<h2>{{ title }}</h2>
<div class="scroll"><table>
<thead><tr>{% for c in columns %}<th>{{ c }}</th>{% endfor %}</tr></thead>
<tbody>{% for row in rows %}<tr>{% for c in columns %}
<td>{{ "" if row[c] is none else row[c] }}</td>{% endfor %}</tr>{% endfor %}</tbody>
</table></div>
{% endfor %}
<p><small>{{ meta.generator }}. Index = customer share ÷ base share × 100.</small></p>
</body>
</html>
"""
