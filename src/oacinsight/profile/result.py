"""A computed customer profile with its provenance, and the writers that publish it.

Every writer goes through :meth:`ProfileResult.published_frame`, so suppressed counts
never leave the process.  Spreadsheet-bound text is neutralised against formula
injection (names may be typed by users).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from jinja2 import Environment
from markupsafe import Markup

from oacinsight._version import __version__
from oacinsight.errors import OacInsightError
from oacinsight.profile.cellkey import DISCLOSURE_METHODS, describe, perturb_counts
from oacinsight.profile.chart import plot_profile, save_figure
from oacinsight.profile.stats import OUTPUT_COLUMNS, compute_profile
from oacinsight.profile.suppress import published_counts, published_frame
from oacinsight.profile.words import HOW_TO_READ, summarise
from oacinsight.results import write_by_suffix, write_json
from oacinsight.tabular import neutralise as neutralise_formula
from oacinsight.tabular import write_workbook
from oacinsight.values import json_records, json_safe

__all__ = ["RESULT_LEVELS", "WRITE_SUFFIXES", "ProfileResult", "neutralise_formula"]

RESULT_LEVELS: tuple[str, ...] = ("supergroup", "group", "subgroup", "all")
WRITE_SUFFIXES: tuple[str, ...] = (".csv", ".xlsx", ".json", ".html", ".png", ".svg", ".pdf")
JSON_FORMAT = "oacinsight.profile/1"
#: ``match`` statuses of rows without an OAC group, each published in the metadata
#: (zeros too, since a count of 0 is a small count like any other).
UNMATCHED_STATUSES = ("not_found", "invalid_format", "missing", "no_oac")
#: The classification a profile uses unless ``classification`` says otherwise.
OFFICIAL_OAC: dict[str, Any] = {
    "kind": "official",
    "name": "OAC 2021",
    "label": "OAC 2021",
    "title": "2021 Output Area Classification (ONS)",
}

_FLAG_MEANINGS: dict[str, str] = {
    "over": "customers over-represented: the whole interval is above 100",
    "under": "customers under-represented: the whole interval is below 100",
    "not_significant": "the interval includes 100",
    "suppressed": "numbers hidden to protect small counts (see suppression)",
    "no_base": "the base is 0 in this group, so there is no index",
}


def _neutralised(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with every text cell passed through :func:`neutralise_formula`."""
    out = frame.copy()
    for column in out.columns:
        if not (
            pd.api.types.is_numeric_dtype(out[column]) or pd.api.types.is_bool_dtype(out[column])
        ):
            out[column] = out[column].astype(object).map(neutralise_formula)
    return out


#: JSON-safe values and rows: the package's one converter (kept under the old names).
_plain = json_safe
_records = json_records


def _slice(full: pd.DataFrame, level: str) -> pd.DataFrame:
    """The rows of ``level`` (all rows for ``all``, or when ``level`` is absent)."""
    if level == "all" or not (full["level"] == level).any():
        return full
    part = full[full["level"] == level].reset_index(drop=True)
    part.attrs.update(full.attrs)
    return part


@dataclass
class ProfileResult:
    """A customer profile with what is needed to publish it honestly.

    Attributes
    ----------
    table : pandas.DataFrame
        :func:`compute_profile` output: unsuppressed numbers, flags set.
    level : str
        ``supergroup``, ``group``, ``subgroup`` or ``all``.
    base_name : str
        What the base is, e.g. ``residents (Census 2021 TS001)``.
    areas : list of (str, str)
        ``(code, name)`` of the areas profiled.
    n_input, n_matched, n_in_area : int
        Records read, records matched to an output area, and matched records inside
        the areas profiled.
    unmatched : dict of str to int
        Count of unmatched records by status.
    confidence : float
        Confidence level of the intervals.
    suppress_below : int
        Suppression threshold used.
    base_is_sample : bool, default False
        True when the base is a sample (Katz interval), False for Census counts.
    coverage_notes : list of str
        First lines of every output: areas the store holds only in part, missing names.
    excluded_areas : list of (str, str, int)
        ``(code, name, customers)`` of districts holding matched customers that the
        default area left out.
    area_rule : str
        How the areas were chosen.
    full_table : pandas.DataFrame, optional
        The whole hierarchy the disclosure pattern was computed on (``table`` is its
        rows of ``level``); None when ``table`` is the whole of it.
    disclosure : str, default 'suppress'
        ``suppress`` (small counts hidden) or ``cellkey`` (counts perturbed).
    classification : dict, optional
        Provenance of the local classification profiled against
        (:meth:`oacinsight.profile.classification.LocalClassification.to_dict`); None: the OAC.
    """

    table: pd.DataFrame
    level: str
    base_name: str
    areas: list[tuple[str, str]]
    n_input: int
    n_matched: int
    n_in_area: int
    unmatched: dict[str, int]
    confidence: float
    suppress_below: int
    base_is_sample: bool = False
    coverage_notes: list[str] = field(default_factory=list)
    excluded_areas: list[tuple[str, str, int]] = field(default_factory=list)
    area_rule: str = ""
    full_table: pd.DataFrame | None = None
    disclosure: str = "suppress"
    classification: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        """Check the level and the table's columns."""
        if self.disclosure not in DISCLOSURE_METHODS:
            raise OacInsightError(f"unknown disclosure method {self.disclosure!r}")
        if self.level not in RESULT_LEVELS:
            raise OacInsightError(
                f"unknown profile level {self.level!r}; use {', '.join(RESULT_LEVELS)}"
            )
        missing = [c for c in OUTPUT_COLUMNS if c not in self.table.columns]
        if missing:
            raise OacInsightError(f"profile table is missing column(s): {', '.join(missing)}")

    @classmethod
    def from_counts(
        cls,
        counts: pd.DataFrame,
        *,
        level: str,
        base_name: str,
        areas: list[tuple[str, str]],
        n_input: int,
        n_matched: int,
        n_in_area: int,
        unmatched: dict[str, int],
        confidence: float = 0.95,
        suppress_below: int = 10,
        base_is_sample: bool = False,
        disclosure: str = "suppress",
    ) -> ProfileResult:
        """Run :func:`compute_profile` on ``counts`` and wrap the table with metadata.

        Parameters
        ----------
        counts : pandas.DataFrame
            Input of :func:`compute_profile`.  Give all three levels: the disclosure
            pattern is computed once on everything given and ``level`` is a slice of
            it, so profiles of the same file at different levels agree cell by cell.
        level, base_name, areas, n_input, n_matched, n_in_area, unmatched
            As the attributes of the same names.
        confidence, suppress_below, base_is_sample
            Passed to :func:`compute_profile`.
        disclosure : {'suppress', 'cellkey'}
            ``cellkey`` perturbs every count and the total (``counts`` then needs a
            ``cell_key`` column) and hides nothing.

        Returns
        -------
        ProfileResult
        """
        if disclosure not in DISCLOSURE_METHODS:
            raise OacInsightError(
                f"unknown disclosure method {disclosure!r}; use {' or '.join(DISCLOSURE_METHODS)}"
            )
        if disclosure == "cellkey":
            counts, n_in_area = perturb_counts(counts, int(n_in_area))
        full = compute_profile(
            counts,
            confidence=confidence,
            suppress_below=0 if disclosure == "cellkey" else suppress_below,
            base_is_sample=base_is_sample,
        )
        return cls(
            table=_slice(full, level),
            level=level,
            base_name=base_name,
            areas=list(areas),
            n_input=int(n_input),
            n_matched=int(n_matched),
            n_in_area=int(n_in_area),
            unmatched=dict(unmatched),
            confidence=float(confidence),
            suppress_below=int(suppress_below),
            base_is_sample=bool(base_is_sample),
            full_table=full,
            disclosure=disclosure,
        )

    def published_frame(self) -> pd.DataFrame:
        """The table with suppressed rows' customer numbers blanked (safe to publish)."""
        return published_frame(self.table)

    def to_frame(self) -> pd.DataFrame:
        """Same as :meth:`published_frame`: safe by default."""
        return self.published_frame()

    @property
    def match_rate(self) -> float:
        """Share of input records matched to an output area (NaN for an empty input)."""
        return self.n_matched / self.n_input if self.n_input else float("nan")

    @property
    def ci_method(self) -> str:
        """One line naming the interval method used."""
        if self.base_is_sample:
            return (
                "Katz log interval for a ratio of two independent proportions "
                "(Walter's +0.5 adjustment when the customer count is 0)"
            )
        text = (
            "Clopper-Pearson (exact) interval for the customer share, divided by the "
            "fixed base share"
        )
        if self.disclosure == "suppress" and self.suppress_below > 1:
            text += (
                f"; a count is published only when it reached {self.suppress_below}, so "
                "its interval is that of the binomial truncated there (keeps 95% "
                "coverage among published counts)"
            )
        return text

    def metadata(self) -> dict[str, Any]:
        """Provenance and method as JSON-safe values (no rows)."""
        return _plain(
            {
                "format": JSON_FORMAT,
                "generator": f"oacinsight {__version__}",
                "level": self.level,
                "classification": dict(self.classification or OFFICIAL_OAC),
                "base_name": self.base_name,
                "areas": [{"code": str(c), "name": str(n)} for c, n in self.areas],
                "coverage": list(self.coverage_notes),
                "area_rule": self.area_rule,
                "excluded_areas": self.published_excluded(),
                "n_input": self.n_input,
                "n_matched": self.n_matched,
                "n_in_area": self.n_in_area,
                "match_rate": self.match_rate,
                "unmatched": self.published_unmatched(),
                "unmatched_text": self.unmatched_text(),
                "confidence": self.confidence,
                "ci_method": self.ci_method,
                "base_is_sample": self.base_is_sample,
                "suppress_below": self.suppress_below,
                "disclosure": self.disclosure,
                "suppression": describe(self.disclosure, self.suppress_below),
                "flags": dict(_FLAG_MEANINGS),
            }
        )

    def summary_text(self) -> str:
        """Deprecated alias of :meth:`text`."""
        return self.text()

    def text(self) -> str:
        """A few lines for the terminal: coverage, base, and the published table."""
        areas = ", ".join(f"{c} {n}" if n != c else c for c, n in self.areas)
        lines = [*self.coverage_notes, *self.excluded_lines()]
        if self.classification is not None:
            lines.append(f"classification: {self.classification['title']}")
        lines += [
            f"{self.n_input:,} records; {self.n_matched:,} matched to an OAC group "
            f"({self.match_rate:.1%}); {self.n_in_area:,} in {areas}",
            f"base: {self.base_name}; {self.confidence:.0%} intervals",
            "disclosure control: " + describe(self.disclosure, self.suppress_below),
        ]
        if self.n_input > self.n_matched:
            lines.append(
                "not matched: " + ", ".join(f"{k} {v}" for k, v in self.unmatched_text().items())
            )
        cols = ["level", "code", "name", "customers", "index", "index_low", "index_high", "flag"]
        frame = self.published_frame()[cols].copy()
        frame["name"] = frame["name"].astype(str).str.slice(0, 40)
        lines.append(frame.round(1).to_string(index=False))
        return "\n".join(lines)

    def published_excluded(self) -> list[dict[str, Any]]:
        """The districts the default area left out, with their customer counts, hidden
        by the suppression rule (``customers`` None) like any cell: see
        :func:`~oacinsight.profile.suppress.published_counts`."""
        shown = published_counts(
            {str(i): k for i, (_c, _n, k) in enumerate(self.excluded_areas)},
            threshold=self.suppress_below,
        )
        return [
            {
                "code": code,
                "name": name,
                "customers": shown[str(i)],
                "customers_text": self._count_text(shown[str(i)]),
            }
            for i, (code, name, _k) in enumerate(self.excluded_areas)
        ]

    def published_unmatched(self) -> dict[str, int | None]:
        """Rows not matched, per status (every status of :data:`UNMATCHED_STATUSES`,
        zeros included), hidden by the suppression rule (None): their total, rows read
        minus rows matched, is published, so the hidden counts are protected as one
        set (:func:`~oacinsight.profile.suppress.published_counts`)."""
        extra = [k for k in self.unmatched if k not in UNMATCHED_STATUSES]
        counts = {k: int(self.unmatched.get(k, 0)) for k in (*UNMATCHED_STATUSES, *extra)}
        return published_counts(counts, threshold=self.suppress_below)

    def _count_text(self, count: int | None) -> str:
        """A published count in words; every hidden one alike (the words must not tell
        a count below the threshold from one hidden to protect it)."""
        if count is None:
            return f"hidden (fewer than {self.suppress_below}, or protecting one)"
        return f"{count:,}"

    def unmatched_text(self) -> dict[str, str]:
        """:meth:`published_unmatched` in words (``hidden (fewer than 10, or protecting
        one)`` where hidden)."""
        return {k: self._count_text(v) for k, v in self.published_unmatched().items()}

    def excluded_lines(self) -> list[str]:
        """The console line naming the districts left out (small counts hidden)."""
        if not self.excluded_areas:
            return []
        shown = "; ".join(
            (
                f"{e['code']} {e['name']}"
                if e["name"] != e["code"] and e["code"]
                else e["code"] or e["name"]
            )
            + f": {e['customers_text']}"
            for e in self.published_excluded()
        )
        return [f"excluded (outside the area): {shown}"]

    def to_json(self) -> dict[str, Any]:
        """Deprecated alias of :meth:`to_dict` (it returns a dict, not JSON text)."""
        return self.to_dict()

    def to_dict(self) -> dict[str, Any]:
        """Metadata plus the published rows, ready for :func:`json.dumps`."""
        payload = self.metadata()
        frame = self.published_frame()
        payload["columns"] = [str(c) for c in frame.columns]
        payload["rows"] = _records(frame)
        return payload

    def write(self, path: str | Path) -> Path:
        """Write the published profile; the format follows the file suffix.

        Parameters
        ----------
        path : str or pathlib.Path
            Ends in ``.csv``, ``.xlsx`` (sheets ``profile`` and ``about``), ``.json``,
            ``.html`` (standalone page, chart inline), ``.png`` or ``.svg`` (chart) or
            ``.pdf`` (the printable report, :mod:`oacinsight.reports.profile_pdf`).

        Returns
        -------
        pathlib.Path
            The path written.

        Raises
        ------
        OacInsightError
            For any other suffix.
        """
        return write_by_suffix(
            "a profile",
            path,
            {
                ".csv": self._write_csv,
                ".xlsx": self._write_xlsx,
                ".json": self._write_json,
                ".html": self._write_html,
                ".png": self._write_chart,
                ".svg": self._write_chart,
                ".pdf": self._write_pdf,
            },
        )

    def _about_rows(self) -> list[tuple[str, Any]]:
        """``(item, value)`` pairs for the spreadsheet's ``about`` sheet."""
        meta = self.metadata()
        rows: list[tuple[str, Any]] = [
            (key, meta[key])
            for key in (
                "generator",
                "level",
                "classification",
                "base_name",
                "n_input",
                "n_matched",
                "match_rate",
                "n_in_area",
                "confidence",
                "ci_method",
                "suppress_below",
                "disclosure",
                "suppression",
            )
        ]
        rows = [(k, v["title"] if k == "classification" else v) for k, v in rows]
        rows += [(f"area {a['code']}", a["name"]) for a in meta["areas"]]
        rows = [
            *(("coverage", n) for n in meta["coverage"]),
            *rows,
            ("areas chosen", self.area_rule),
        ]
        rows += [
            (
                f"excluded {e['code']}",
                f"{e['name']}: {e['customers_text']}"
                + (" customers" if e["customers"] is not None else ""),
            )
            for e in meta["excluded_areas"]
        ]
        rows += [(f"unmatched: {k}", v) for k, v in meta["unmatched_text"].items()]
        rows += [(f"flag {k}", v) for k, v in meta["flags"].items()]
        return rows

    def _write_csv(self, out: Path) -> None:
        _neutralised(self.published_frame()).to_csv(out, index=False, encoding="utf-8")

    def _write_xlsx(self, out: Path) -> None:
        about = pd.DataFrame(self._about_rows(), columns=["item", "value"])
        write_workbook(
            out,
            {
                "profile": _neutralised(self.published_frame()),
                "about": _neutralised(about.astype(object)),
            },
        )

    def _write_json(self, out: Path) -> None:
        write_json(out, self.to_dict())

    def _write_pdf(self, out: Path) -> None:
        from oacinsight.reports.profile_pdf import profile_pdf

        out.write_bytes(profile_pdf(self, None, file_name=None))

    def _write_chart(self, out: Path) -> None:
        save_figure(plot_profile(self), out)

    def _chart_svg(self) -> str:
        """The chart as an inline ``<svg>`` element (no XML prolog or RDF metadata)."""
        buffer = io.StringIO()
        plot_profile(self).savefig(buffer, format="svg", metadata={"Date": None})
        svg = buffer.getvalue()
        svg = svg[svg.index("<svg") :]
        start, end = svg.find("<metadata>"), svg.find("</metadata>")
        if start != -1 and end != -1:
            svg = svg[:start] + svg[end + len("</metadata>") :]
        return svg

    def to_html(self) -> str:
        """A small standalone HTML page: metadata, the chart (inline SVG), the table."""
        env = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)
        env.filters["num"] = _format_number
        frame = self.published_frame()
        return env.from_string(_HTML_TEMPLATE).render(
            meta=self.metadata(),
            columns=list(frame.columns),
            rows=_records(frame),
            chart=Markup(self._chart_svg()),  # our own matplotlib output; text escaped
            decimals=_DECIMALS,
            text_columns=("level", "code", "name", "flag"),
            sentences=summarise(frame, self.base_name),
            how_to_read=HOW_TO_READ,
        )

    def _write_html(self, out: Path) -> None:
        out.write_text(self.to_html(), encoding="utf-8")


_DECIMALS: dict[str, int] = {
    "customer_pct": 1,
    "base_pct": 1,
    "index": 0,
    "index_low": 0,
    "index_high": 0,
    "z": 2,
    "penetration_per_1000": 1,
    "customers": 0,
    "base": 0,
}


def _format_number(value: Any, decimals: int | None = None) -> str:
    """Cell text: blank for None, rounded numbers, other values as text."""
    if value is None:
        return ""
    if decimals is not None and isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{value:,.{decimals}f}"
    return str(value)


_HTML_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Customer profile against {{ meta.base_name }}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2rem; color: #222; max-width: 70rem; }
table { border-collapse: collapse; font-size: 0.85rem; }
th, td { border-bottom: 1px solid #ddd; padding: 0.25rem 0.5rem; text-align: right; }
th { background: #f4f4f4; }
td.text { text-align: left; }
tr.suppressed td, tr.no_base td { color: #888; }
dl { display: grid; grid-template-columns: max-content auto; gap: 0.2rem 1rem; }
dt { font-weight: 600; }
.chart svg { max-width: 100%; height: auto; }
.scroll { overflow-x: auto; }
.help { background: #f6f8fa; padding: 0.6rem 0.8rem; border-left: 4px solid #6fa8dc; }
</style>
</head>
<body>
<h1>Customer profile: {{ meta.classification.label }} {{ meta.level }}</h1>
{% for n in meta.coverage %}<p class="coverage"><strong>{{ n }}</strong></p>
{% endfor %}
<dl>
<dt>Classification</dt><dd>{{ meta.classification.title }}</dd>
<dt>Base</dt><dd>{{ meta.base_name }}</dd>
<dt>Areas</dt>
<dd>{% for a in meta.areas %}{{ a.code }} {{ a.name }}{{ "; " if not loop.last }}
{% endfor %}{% if meta.area_rule %} ({{ meta.area_rule }}){% endif %}</dd>
{% if meta.excluded_areas %}<dt>Excluded</dt>
<dd>{% for e in meta.excluded_areas %}{{ e.code }} {{ e.name }}: {{ e.customers_text }}
{{- " customers" if e.customers is not none }}{{ "; " if not loop.last }}
{%- endfor %}</dd>{% endif %}
<dt>Records</dt>
<dd>{{ meta.n_input }} read, {{ meta.n_matched }} matched
{% if meta.match_rate is not none %} ({{ "%.1f" % (100 * meta.match_rate) }}%){% endif %},
{{ meta.n_in_area }} in the areas</dd>
{% if meta.n_input > meta.n_matched %}
<dt>Not matched</dt>
<dd>{% for k, v in meta.unmatched_text.items() %}{{ k }}: {{ v }}{{ "; " if not loop.last }}
{% endfor %}</dd>
{% endif %}
<dt>Interval</dt><dd>{{ "%g" % (100 * meta.confidence) }}% — {{ meta.ci_method }}</dd>
<dt>Disclosure control</dt><dd>{{ meta.suppression }}</dd>
</dl>
<h2>What this shows</h2>
{% for s in sentences %}<p>{{ s }}</p>
{% endfor %}
<p class="help"><strong>How to read it.</strong> {{ how_to_read }}</p>
<div class="chart">{{ chart }}</div>
<div class="scroll"><table>
<thead><tr>{% for c in columns %}<th>{{ c }}</th>{% endfor %}</tr></thead>
<tbody>
{% for row in rows %}
<tr class="{{ row.flag }}">
{% for c in columns %}
<td{% if c in text_columns %} class="text"{% endif %}>{{ row[c] | num(decimals.get(c)) }}</td>
{% endfor %}
</tr>
{% endfor %}
</tbody>
</table></div>
<h2>Flags</h2>
<dl>{% for k, v in meta.flags.items() %}<dt>{{ k }}</dt><dd>{{ v }}</dd>{% endfor %}</dl>
<p><small>{{ meta.generator }}. Index = customer share ÷ base share × 100.</small></p>
</body>
</html>
"""
