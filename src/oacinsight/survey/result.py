"""A survey analysis result and its writers (CSV, XLSX, JSON, HTML, PNG).

Every writer goes through :meth:`SurveyResult.to_frame`, which applies disclosure
control, so hidden counts never leave the process.  Text cells bound for spreadsheets
are neutralised against formula injection (question names come from users' files).
"""

from __future__ import annotations

import json
from collections.abc import Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from oacinsight._version import __version__
from oacinsight.reports.charts import png_bytes, png_data_uri
from oacinsight.results import write_by_suffix, write_json
from oacinsight.survey import disclose
from oacinsight.survey.chart import plot_survey
from oacinsight.survey.page import neutralised, plain, records, render
from oacinsight.tabular import write_workbook

if TYPE_CHECKING:
    from oacinsight.survey.run import SurveyOptions

__all__ = ["FLAGS", "WRITE_SUFFIXES", "SurveyResult"]

WRITE_SUFFIXES: tuple[str, ...] = (".csv", ".xlsx", ".json", ".html", ".png")
JSON_FORMAT = "oacinsight.survey/1"
FLAGS: dict[str, str] = {
    "under_represented": "the group's share of respondents is below 0.8 of its share of "
    "the area's residents",
    "low_n": "fewer respondents than --min-n: read with caution",
    "no_respondents": "nobody in this group answered the question",
    "suppressed": "numbers hidden to protect small counts",
    "overall": "a row for all respondents",
}
ACCOUNT_COLUMNS = ("answered_placed", "answered_not_placed", "missing", "dont_know")


@dataclass
class SurveyResult:
    """Survey answers by OAC group, with what is needed to publish them honestly."""

    table: pd.DataFrame  # unsuppressed: do not publish; use to_frame()
    input_name: str
    n_rows: int
    options: SurveyOptions
    placement: dict[str, int]
    placed_by: str
    accounting: pd.DataFrame
    areas: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: A disclosure pattern chosen with other tables (a slice of ``survey --by``): rows
    #: of ``table`` to hide, accounting cells to hide, placement counts to hide.
    hidden: np.ndarray | None = None
    hidden_accounting: pd.DataFrame | None = None
    hidden_placement: dict[str, bool] | None = None

    def to_frame(self) -> pd.DataFrame:
        """The published table: one row per question and group, small counts hidden."""
        return disclose.published(self.table, self.options.suppress_below, self.hidden)

    def _accounting_hidden(self, i: Hashable, counts: pd.Series) -> pd.Series:
        if self.hidden_accounting is not None:
            row = self.hidden_accounting[list(ACCOUNT_COLUMNS)].loc[[i]].to_numpy(dtype=bool)[0]
            return pd.Series(row, index=list(ACCOUNT_COLUMNS))
        return disclose.hidden_counts(counts, self.options.suppress_below)

    def published_accounting(self) -> pd.DataFrame:
        """Per question, how the rows were used; counts below the threshold hidden."""
        out = self.accounting.copy()
        for col in ACCOUNT_COLUMNS:
            out[col] = out[col].astype("Int64")
        for i, row in self.accounting.iterrows():
            counts = pd.Series([row[c] for c in ACCOUNT_COLUMNS], index=list(ACCOUNT_COLUMNS))
            hide = self._accounting_hidden(i, counts)
            for col in hide[hide].index:
                out.at[i, col] = pd.NA
        return out

    def metadata(self) -> dict[str, Any]:
        """How the result was made, as JSON-safe values (no rows)."""
        o = self.options
        return plain(
            {
                "format": JSON_FORMAT,
                "generator": f"oacinsight {__version__}",
                "input": self.input_name,
                "rows": self.n_rows,
                "questions": list(o.questions),
                "positive": o.positive,
                "edition": o.edition,
                "level": o.level,
                "placed_by": self.placed_by,
                "weight": o.weight,
                "placement": self._published_placement(),
                "areas": [{"code": c, "name": n} for c, n in self.areas],
                "confidence": o.confidence,
                "min_n": o.min_n,
                "interval": "Wilson score interval on the Kish effective sample size",
                "suppress_below": o.suppress_below,
                "suppression": (
                    f"respondent counts from 0 to {o.suppress_below - 1} are hidden "
                    "(zeros included), "
                    "plus secondary suppression so a hidden count cannot be "
                    "recovered from the question's total"
                ),
                "answers": records(self.published_accounting()),
                "flags": dict(FLAGS),
                "notes": list(self.notes),
            }
        )

    def _published_placement(self) -> dict[str, int | None]:
        counts = pd.Series(self.placement, dtype="int64")
        if counts.empty:
            return {}
        if self.hidden_placement is not None:
            hide = pd.Series([self.hidden_placement[str(k)] for k in counts.index])
        else:
            hide = disclose.hidden_counts(counts, self.options.suppress_below)
        rows = zip(counts.index, counts, hide, strict=True)  # hide has the index of counts
        return {str(k): (None if h else int(v)) for k, v, h in rows}

    def to_dict(self) -> dict[str, Any]:
        """Metadata plus the published rows, ready for :func:`json.dumps`."""
        frame = self.to_frame()
        return {**self.metadata(), "columns": list(frame.columns), "rows": records(frame)}

    def text(self) -> str:
        """A few lines for the terminal."""
        placed = self._published_placement().get("placed")
        n_placed = f"fewer than {self.options.suppress_below}" if placed is None else f"{placed:,}"
        lines = [
            f"{self.input_name}: {self.n_rows:,} rows; {n_placed} placed in an OAC "
            f"{self.options.edition} {self.options.level} by {self.placed_by}"
        ]
        others = {k: v for k, v in self._published_placement().items() if k != "placed"}
        if others:
            lines.append(
                "  not placed: "
                + ", ".join(
                    f"{k} {'<' + str(self.options.suppress_below) if v is None else f'{v:,}'}"
                    for k, v in others.items()
                )
            )
        if self.areas:
            lines.append("  area: " + "; ".join(f"{c} {n}" if n != c else c for c, n in self.areas))
        frame = self.to_frame()
        cols = [
            "code",
            "name",
            "respondents",
            "share",
            "share_low",
            "share_high",
            "representation_index",
            "flag",
        ]
        for q, block in frame.groupby("question", sort=False):
            lines.append(f"\n{q}")
            shown = block[cols].copy()
            shown["name"] = shown["name"].astype(str).str.slice(0, 32)
            lines.append(shown.round(3).to_string(index=False))
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)

    def write(self, path: str | Path) -> Path:
        """Write the published result; the format follows the suffix (.csv, .xlsx,
        .json, .html, .png)."""
        out = Path(path)
        if out.suffix.lower() in WRITE_SUFFIXES:
            out.parent.mkdir(parents=True, exist_ok=True)
        return write_by_suffix(
            "a survey result",
            out,
            {
                ".csv": self._csv,
                ".xlsx": self._xlsx,
                ".json": self._json,
                ".html": self._html,
                ".png": self._png,
            },
        )

    def _csv(self, out: Path) -> None:
        neutralised(self.to_frame()).to_csv(out, index=False, encoding="utf-8-sig")

    def _xlsx(self, out: Path) -> None:
        about = pd.DataFrame(
            [
                (k, json.dumps(v) if isinstance(v, (list, dict)) else v)
                for k, v in self.metadata().items()
            ],
            columns=["item", "value"],
        )
        write_workbook(
            out,
            {
                "survey": neutralised(self.to_frame()),
                "answers": neutralised(self.published_accounting()),
                "about": neutralised(about.astype(object)),
            },
        )

    def _json(self, out: Path) -> None:
        write_json(out, self.to_dict())

    def figure(self):
        """The chart (matplotlib Figure) of the published numbers."""
        title = f"Share of positive answers by OAC {self.options.edition} {self.options.level}"
        return plot_survey(self.to_frame(), title=title, confidence=self.options.confidence)

    def _png(self, out: Path) -> None:
        out.write_bytes(png_bytes(self.figure(), dpi=150))

    def to_html(self) -> str:
        """A standalone HTML page: how it was made, the chart, the table, the notes."""
        return render(
            self.metadata(), self.to_frame(), png_data_uri(png_bytes(self.figure(), dpi=110))
        )

    def _html(self, out: Path) -> None:
        out.write_text(self.to_html(), encoding="utf-8")
