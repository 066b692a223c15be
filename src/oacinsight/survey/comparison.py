"""The result of ``survey --by`` / ``--period``: the overall survey result and one per
slice, published with one disclosure pattern, with the tests and findings.

Every writer goes through :meth:`SurveyComparison.long_frame`, whose rows come from
each part's ``to_frame()`` (the joint pattern applied), so hidden counts never leave the
process.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd
from jinja2 import Environment

from oacinsight.profile.comparison import ALL_LABEL
from oacinsight.reports.charts import png_bytes, png_data_uri
from oacinsight.results import write_by_suffix, write_json
from oacinsight.survey.chart import plot_survey
from oacinsight.survey.page import _cell, neutralised, plain, records
from oacinsight.survey.result import SurveyResult
from oacinsight.tabular import write_workbook

__all__ = ["SurveyComparison"]

JSON_FORMAT = "oacinsight.survey-by/1"
WRITE_SUFFIXES: tuple[str, ...] = (".csv", ".xlsx", ".json", ".html", ".png")
TEST_METHOD = (
    "per question and group, Rao-Scott second-order F test of slice x answer among the "
    "group's respondents, over the slices where the group is shown; Holm-adjusted over "
    "the groups of a question"
)


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def _p(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


@dataclass
class SurveyComparison:
    """A survey split by a column or by period, side by side with the overall result."""

    overall: SurveyResult
    slices: list[tuple[str, SurveyResult]]
    column: str
    kind: str  # "by" or "period"
    freq: str | None
    notes: list[str] = field(default_factory=list)
    min_respondents: int = 20
    tests: pd.DataFrame = field(default_factory=pd.DataFrame)
    all_label: ClassVar[str] = ALL_LABEL

    def _parts(self) -> list[tuple[str, SurveyResult]]:
        return [(ALL_LABEL, self.overall), *self.slices]

    def _stacked(self, table: Callable[[SurveyResult], pd.DataFrame]) -> pd.DataFrame:
        """``table`` of every part, with the part's name in a first column."""
        frames = []
        for name, part in self._parts():
            frame = table(part)
            frame.insert(0, self.kind, name)
            frames.append(frame)
        return pd.concat(frames, ignore_index=True)

    def long_frame(self) -> pd.DataFrame:
        """Every part's published table, with the slice (``by`` or ``period``) first:
        the overall rows (``(all)``), then each slice."""
        return self._stacked(SurveyResult.to_frame)

    def to_frame(self) -> pd.DataFrame:
        """The long table (see :meth:`long_frame`)."""
        return self.long_frame()

    def wide_frame(self) -> pd.DataFrame:
        """The share answering positively by question and group (rows) × slice
        (columns, ``(all)`` first); blank where hidden."""
        long = self.long_frame()
        wide = long.loc[long[self.kind] == ALL_LABEL, ["question", "code", "name"]]
        wide = wide.reset_index(drop=True)
        keys = pd.MultiIndex.from_frame(wide[["question", "code"]])
        for name, _ in self._parts():
            part = long[long[self.kind] == name].set_index(["question", "code"])["share"]
            wide[name] = part.reindex(keys).to_numpy()
        return wide

    def slice_counts(self) -> pd.DataFrame:
        """Per slice: rows read and rows placed or not, by status (small counts hidden)."""
        rows = []
        for name, part in self._parts():
            placement = part._published_placement()
            rows.append({self.kind: name, "rows": part.n_rows, **placement})
        return pd.DataFrame(rows)

    def answers_frame(self) -> pd.DataFrame:
        """Per slice and question: answered and placed, not placed, missing, don't know."""
        return self._stacked(SurveyResult.published_accounting)

    def findings(self) -> list[str]:
        """Plain-language findings: per question, whether the slices differ overall, then
        the groups whose share differs between slices (Holm-adjusted p below 0.05)."""
        what = ("the values of" if self.kind == "by" else "the periods of") + f" {self.column!r}"
        long = self.long_frame()
        out = []
        for q, block in self.tests.groupby("question", sort=False):
            every = block[block["code"] == "all"].iloc[0]
            out.append(_overall_finding(str(q), every, what))
            sig = block[(block["code"] != "all") & (block["p_holm"] < 0.05)]
            for _, row in sig.sort_values("p_value", kind="stable").iterrows():
                out.append(_group_finding(row, long[long["question"] == q], self.kind))
            if sig.empty:
                out.append(f"{q}: no group's share differs clearly between {what} "
                           "(Holm-adjusted p of 0.05 or more for every group tested).")  # fmt: skip
        return out

    def metadata(self) -> dict[str, Any]:
        """How the result was made (the overall survey's metadata, plus the slicing)."""
        meta = self.overall.metadata()
        meta.update(
            format=JSON_FORMAT,
            column=self.column,
            kind=self.kind,
            freq=self.freq,
            slices=[n for n, _ in self.slices],
            min_respondents=self.min_respondents,
            tests=TEST_METHOD,
            suppression=meta["suppression"] + "; one pattern for the slices and the overall "
            "together, so no hidden count can be worked out by differencing them",
            notes=[*meta["notes"], *self.notes],
        )
        return plain(meta)

    def to_dict(self) -> dict[str, Any]:
        """Metadata, the long rows, the wide shares, counts, tests and findings."""
        long = self.long_frame()
        return {
            **self.metadata(),
            "columns": list(long.columns),
            "rows": records(long),
            "shares": records(self.wide_frame()),
            "slice_counts": records(self.slice_counts()),
            "answer_counts": records(self.answers_frame()),
            "slice_tests": records(self.tests),
            "findings": self.findings(),
        }

    def text(self) -> str:
        """A few lines for the terminal: the slices, the findings, the shares."""
        counts = self.slice_counts()
        lines = [
            f"{self.overall.input_name}: {self.overall.n_rows:,} rows in {len(self.slices)} "
            f"slices by {self.column!r}: "
            + ", ".join(f"{r[self.kind]} {r['rows']:,}" for _, r in counts.iloc[1:].iterrows())
        ]
        lines += ["", *self.findings(), ""]
        wide = self.wide_frame()
        wide["name"] = wide["name"].astype(str).str.slice(0, 28)
        for q, block in wide.groupby("question", sort=False):
            lines += [f"{q}: share answering positively", block.drop(columns="question")
                      .round(3).to_string(index=False), ""]  # fmt: skip
        lines += [f"note: {n}" for n in [*self.overall.notes, *self.notes]]
        return "\n".join(lines).rstrip()

    def write(self, path: str | Path) -> Path:
        """Write the published result; the format follows the suffix (.csv, .xlsx,
        .json, .html, .png)."""
        out = Path(path)
        if out.suffix.lower() in WRITE_SUFFIXES:
            out.parent.mkdir(parents=True, exist_ok=True)
        writers = {".csv": self._csv, ".xlsx": self._xlsx, ".json": self._json,
                   ".html": self._html, ".png": self._png}  # fmt: skip
        return write_by_suffix("a survey comparison", out, writers)

    def _csv(self, out: Path) -> None:
        neutralised(self.long_frame()).to_csv(out, index=False, encoding="utf-8-sig")

    def _xlsx(self, out: Path) -> None:
        about = pd.DataFrame(
            [(k, json.dumps(v) if isinstance(v, (list, dict)) else v)
             for k, v in self.metadata().items()],
            columns=["item", "value"],
        )  # fmt: skip
        sheets = {
            "survey": self.long_frame(),
            "shares": self.wide_frame(),
            "slices": self.slice_counts(),
            "answers": self.answers_frame(),
            "tests": self.tests,
            "findings": pd.DataFrame({"finding": self.findings()}),
            "about": about.astype(object),
        }
        write_workbook(out, {k: neutralised(v) for k, v in sheets.items()})

    def _json(self, out: Path) -> None:
        write_json(out, self.to_dict())

    def figure(self):
        """One panel per question and slice: the share by group with its interval."""
        long = self.long_frame()
        long["question"] = long["question"].astype(str) + " · " + long[self.kind].astype(str)
        o = self.overall.options
        title = f"Share of positive answers by OAC {o.edition} {o.level}, by {self.column}"
        return plot_survey(long, title=title, confidence=o.confidence)

    def _png(self, out: Path) -> None:
        out.write_bytes(png_bytes(self.figure(), dpi=130))

    def to_html(self) -> str:
        """A standalone page: findings, the chart, the shares, tests and the tables."""
        env = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)
        env.filters["cell"] = _cell
        tables = [
            ("Share answering positively, by group and slice", self.wide_frame().round(3)),
            ("Do the slices differ? (Rao–Scott, per group)", self.tests.round(4)),
            ("Rows per slice", self.slice_counts()),
            ("Answers per slice", self.answers_frame()),
            ("Every slice in full", self.long_frame()),
        ]
        blocks = [(title, list(t.columns), records(t)) for title, t in tables]
        chart = png_data_uri(png_bytes(self.figure(), dpi=100))
        return env.from_string(_PAGE).render(
            meta=self.metadata(), findings=self.findings(), blocks=blocks, chart=chart
        )

    def _html(self, out: Path) -> None:
        out.write_text(self.to_html(), encoding="utf-8")


def _overall_finding(q: str, row: pd.Series, what: str) -> str:
    if not pd.notna(row["p_value"]):
        return f"{q}: the slices could not be compared (every answer alike, or one slice)."
    spread = (f"from {_pct(row['lowest_share'])} in {row['lowest']} to "
              f"{_pct(row['highest_share'])} in {row['highest']}")  # fmt: skip
    test = (f"Rao–Scott F = {row['f']:.2f} on {row['df1']:.2f} and {row['df2']:.0f} df, "
            f"{_p(row['p_value'])}")  # fmt: skip
    if row["p_value"] < 0.05:
        return f"{q}: the share answering positively differs between {what}, {spread} ({test})."
    return f"{q}: no clear difference between {what} overall, {spread} ({test})."


def _group_finding(row: pd.Series, long: pd.DataFrame, kind: str) -> str:
    def share(slice_name: str) -> str:
        r = long[(long[kind] == slice_name) & (long["code"] == row["code"])].iloc[0]
        return f"{_pct(r['share'])} ({_pct(r['share_low'])}–{_pct(r['share_high'])})"

    return (
        f"{row['question']}, {row['name']} ({row['code']}): {share(row['highest'])} answered "
        f"positively in {row['highest']} against {share(row['lowest'])} in {row['lowest']}; "
        f"the {int(row['slices'])} slices differ (Rao–Scott F = {row['f']:.2f}, "
        f"{_p(row['p_value'])}; Holm-adjusted {_p(row['p_holm'])})."
    )


_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Survey by {{ meta.column }}: {{ meta.input }}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; max-width: 80em; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.2em 0.5em; text-align: right; }
th { background: #f3f3f3; } img { max-width: 100%; }
</style>
</head>
<body>
<h1>Survey answers by OAC {{ meta.edition }} {{ meta.level }}, by {{ meta.column }}</h1>
<dl>
<dt>Survey</dt><dd>{{ meta.input }}: {{ meta.rows }} rows;
slices: {{ meta.slices | join(", ") }}</dd>
<dt>Positive answers</dt><dd>{{ meta.positive }}</dd>
<dt>Weights</dt><dd>{{ meta.weight or "none (every respondent counts 1)" }}</dd>
<dt>Interval</dt><dd>{{ "%g" % (100 * meta.confidence) }}%: {{ meta.interval }}</dd>
<dt>Tests</dt><dd>{{ meta.tests }}</dd>
<dt>Suppression</dt><dd>{{ meta.suppression }}</dd>
</dl>
<h2>Findings</h2>
<ul>{% for f in findings %}<li>{{ f }}</li>{% endfor %}</ul>
<img src="{{ chart }}" alt="Share of positive answers by group, per slice">
{% for title, columns, rows in blocks %}
<h2>{{ title }}</h2>
<table><thead><tr>{% for c in columns %}<th>{{ c }}</th>{% endfor %}</tr></thead>
<tbody>{% for r in rows %}<tr>{% for c in columns %}<td>{{ r[c] | cell(c) }}</td>{% endfor %}</tr>
{% endfor %}</tbody></table>
{% endfor %}
<p>Blank counts: fewer than {{ meta.suppress_below }}, or hidden so that they cannot be
worked out from the other tables.</p>
{% for n in meta.notes %}<p>{{ n }}</p>{% endfor %}
<p><small>{{ meta.generator }}</small></p>
</body>
</html>
"""
