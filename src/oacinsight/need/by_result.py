"""The result of ``oacinsight need --by`` / ``--period`` and its writers.

:class:`NeedByResult` holds the overall :class:`~oacinsight.need.NeedResult` (identical to
a plain ``need`` run) and one :class:`SliceNeed` per slice, whose customer counts are
published with the joint pattern (:func:`oacinsight.need.by.need_by_file`).  Every table
here is built from published tables only.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from oacinsight._version import __version__
from oacinsight.need import disclose
from oacinsight.need.rates import RATE_COLUMNS
from oacinsight.need.result import OUTPUTS, NeedResult, check_outputs
from oacinsight.profile.accounting import (
    AccountingTable,
    accounting_pattern,
    published_accounting_frame,
)
from oacinsight.tabular import write_workbook
from oacinsight.values import json_records, json_safe

__all__ = ["ALL_LABEL", "JSON_FORMAT", "NeedByResult", "SliceNeed"]

JSON_FORMAT = "oacinsight.need-by/1"
#: The label of the overall analysis's rows in the long tables (as ``profile --by``).
ALL_LABEL = "(all)"
_WIDE_KEYS = ["level", "code", "name"]
#: Match statuses counted per slice (as ``need_file`` counts them).
SLICE_STATUSES = ("matched", "matched_terminated", *disclose.UNMATCHED_STATUSES)
#: Each slice's rows split once: matched / by a terminated postcode, in the area or
#: outside it, then each status not matched.
_KINDS = ("matched_in", "matched_out", "terminated_in", "terminated_out",
          *disclose.UNMATCHED_STATUSES)  # fmt: skip
#: The columns of ``slices_by`` and the kinds of rows each adds up.
SLICE_COLUMNS: dict[str, tuple[int, ...]] = {
    "rows": tuple(range(len(_KINDS))),
    "matched": (0, 1),
    "matched_terminated": (2, 3),
    **{k: (4 + i,) for i, k in enumerate(disclose.UNMATCHED_STATUSES)},
    "customers_in_area": (0, 2),
    "customers_outside_area": (1, 3),
}
ACCOUNTING_FALLBACK = (
    "every count of the rows per slice is hidden (customers in the area aside): no "
    "pattern could protect its small counts"
)


@dataclass
class SliceNeed(NeedResult):
    """One slice's need analysis; its customer counts are hidden by ``joint_hidden``
    (the pattern chosen with the other slices and the overall), not by its own."""

    joint_hidden: np.ndarray | None = None
    #: Customers in the area matched by a terminated postcode (the accounting needs
    #: the split of ``customers_in_area`` by match status).
    terminated_in_area: int = 0

    @classmethod
    def of(cls, result: NeedResult, hidden: np.ndarray, terminated_in_area: int = 0) -> SliceNeed:
        values = {f.name: getattr(result, f.name) for f in dataclasses.fields(result) if f.init}
        return cls(
            **values,
            joint_hidden=np.asarray(hidden, dtype=bool),
            terminated_in_area=int(terminated_in_area),
        )

    def published_rates(self) -> pd.DataFrame:
        """``rates.csv`` of the slice, with the joint pattern."""
        if self.joint_hidden is None:
            return super().published_rates()
        pub = disclose.with_hidden(self.rates.reset_index(drop=True), self.joint_hidden)
        return pub[list(RATE_COLUMNS)].reset_index(drop=True)


@dataclass
class NeedByResult:
    """Need per slice of a customer file (``--by`` a column or ``--period``).

    Attributes
    ----------
    overall : NeedResult
        The need analysis of the whole file (identical to ``need_file``).
    slices : list of (str, SliceNeed)
        Each slice's label and analysis, same area and base, in order (by customers, or
        in time order), ``(blank)``, ``(no date)`` and ``other`` last.
    column, kind, freq : the column split by, ``by`` or ``period``, and the frequency.
    notes : what was grouped as ``other``, dates that could not be read.
    """

    overall: NeedResult
    slices: list[tuple[str, SliceNeed]]
    column: str
    kind: str
    freq: str | None = None
    notes: list[str] = field(default_factory=list)
    min_customers: int = 20
    _accounting: pd.DataFrame | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # the pattern first, so that its note (if any) is in every output
        self.accounting_frame()

    @property
    def label_column(self) -> str:
        """The first column of the long tables: ``by`` or ``period``."""
        return "by" if self.kind == "by" else "period"

    def _all(self) -> list[tuple[str, NeedResult]]:
        return [(ALL_LABEL, self.overall), *self.slices]

    def _long(self, tables: list[tuple[str, pd.DataFrame]]) -> pd.DataFrame:
        key = self.label_column
        out = pd.concat([t.assign(**{key: name}) for name, t in tables], ignore_index=True)
        return out[[key, *(c for c in out.columns if c != key)]]

    # -- published tables -------------------------------------------------------------
    def rates_frame(self) -> pd.DataFrame:
        """``rates_by.csv``: the rates of the overall analysis and of every slice."""
        return self._long([(n, r.published_rates()) for n, r in self._all()])

    def expected_frame(self) -> pd.DataFrame:
        """``expected_by.csv``: expected demand per area, overall and per slice."""
        return self._long([(n, r.to_frame()) for n, r in self._all()])

    def targets_frame(self) -> pd.DataFrame:
        """``targets_by.csv``: each slice's target list."""
        return self._long([(n, r.published_targets()) for n, r in self._all()])

    def gains_frame(self) -> pd.DataFrame:
        """``gains_by.csv``: each slice's gains curve."""
        return self._long([(n, r.published_gains()) for n, r in self._all()])

    def to_frame(self) -> pd.DataFrame:
        """The long rates table (``rates_by.csv``), safe to publish."""
        return self.rates_frame()

    def wide_frame(self, column: str = "rate_shrunk") -> pd.DataFrame:
        """``rates_wide.csv``: the rate of each group of the chosen tier (rows) in the
        overall analysis and each slice (columns); ``rate`` is blank where hidden."""
        long = self.rates_frame()
        long = long[long["level"] == self.overall.level]
        wide = long.pivot_table(index=_WIDE_KEYS, columns=self.label_column, values=column,
                                sort=False, dropna=False)  # fmt: skip
        wide = wide.reindex(columns=[n for n, _ in self._all()]).reset_index()
        wide.columns.name = None
        rows = long.loc[long[self.label_column] == ALL_LABEL, _WIDE_KEYS]
        return rows.merge(wide, on=_WIDE_KEYS, how="left").reset_index(drop=True)

    def expected_wide(self) -> pd.DataFrame:
        """``expected_wide.csv``: expected demand of every area (rows) overall and in
        each slice (columns)."""
        keys = ["area_code", "area_type", "name"]
        out = self.overall.to_frame()[keys].copy()
        index = pd.MultiIndex.from_frame(out[keys[:2]])
        for name, r in self._all():
            expected = r.to_frame().set_index(keys[:2])["expected"]
            out[name] = expected.reindex(index).to_numpy()
        return out

    def accounting_table(self) -> AccountingTable:
        """Each slice's rows split once (by match status, and the matched ones in the
        area or outside it) and the columns of ``slices_by`` made from them."""
        atoms = []
        for _, r in self.slices:
            acc = {k: int(r.accounting.get(k, 0)) for k in SLICE_STATUSES}
            t_in = r.terminated_in_area
            m_in = int(r.accounting.get("customers_in_area", 0)) - t_in
            atoms.append([m_in, acc["matched"] - m_in, t_in, acc["matched_terminated"] - t_in,
                          *(acc[k] for k in disclose.UNMATCHED_STATUSES)])  # fmt: skip
        return AccountingTable(
            atoms=np.array(atoms, dtype="int64").reshape(len(self.slices), len(_KINDS)),
            columns=SLICE_COLUMNS,
            fixed=("customers_in_area",),
            overall_hidden={k: v is None for k, v in self._overall_accounting().items()},
        )

    def _overall_accounting(self) -> dict[str, int | None]:
        """The whole file's accounting as ``need.json`` publishes it."""
        pub = self.overall.published_accounting()
        out = {k: pub.get(k, 0) for k in SLICE_COLUMNS if k != "customers_outside_area"}
        acc = self.overall.accounting
        matched = sum(int(acc.get(k, 0)) for k in ("matched", "matched_terminated"))
        out["customers_outside_area"] = matched - int(acc.get("customers_in_area", 0))
        return {k: (None if out[k] is None else int(out[k])) for k in SLICE_COLUMNS}

    def accounting_frame(self) -> pd.DataFrame:
        """The counts of ``slices_by``: every input row accounted for per slice, small
        counts hidden (``<NA>``) by one pattern on the slices and the whole file
        together (:mod:`oacinsight.profile.accounting`)."""
        if self._accounting is None:
            table = self.accounting_table()
            hidden, fallback = accounting_pattern(table, self.overall.suppress_below)
            if fallback:
                self.notes.append(ACCOUNTING_FALLBACK)
            names = [n for n, _ in self.slices]
            labels = (self.label_column, ALL_LABEL)
            self._accounting = published_accounting_frame(
                labels, names, table, hidden, self._overall_accounting()
            )
        return self._accounting.copy()

    def slice_frame(self) -> pd.DataFrame:
        """``slices_by.csv``: every input row accounted for per slice (rows, rows per
        match status, customers in the area and outside it; small counts hidden, see
        :meth:`accounting_frame`), the expected total and the reach."""
        frame = self.accounting_frame()
        expected, reach = [], []
        for _, r in self._all():
            oas = r.expected[r.expected["area_type"] == "oa"]
            expected.append(float(oas["expected"].sum()))
            reach.append(r.reach(0.2)["expected"])
        return frame.assign(expected=expected, reach_at_20pct=reach)

    # -- protocol ---------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Everything published for the slices, JSON-ready (the overall analysis is
        ``need.json``)."""
        o = self.overall
        return json_safe(
            {
                "format": JSON_FORMAT,
                "generator": f"oacinsight {__version__}",
                "column": self.column,
                "kind": self.kind,
                "freq": self.freq,
                "slices": [n for n, _ in self.slices],
                "min_customers": self.min_customers,
                "notes": self.notes,
                "level": o.level,
                "base": o.base_name,
                "areas": [{"code": c, "name": n} for c, n in o.areas],
                "confidence": o.confidence,
                "suppress_below": o.suppress_below,
                "disclosure_pattern": "one pattern on the customer counts of the slices "
                "and the overall rates together",
                "phi": {n: r.phi for n, r in self._all()},
                "slice_counts": json_records(self.slice_frame()),
                "rates": json_records(self.rates_frame()),
                "rates_wide": json_records(self.wide_frame()),
                "targets": json_records(self.targets_frame()),
                "gains": json_records(self.gains_frame()),
                "expected": json_records(self.expected_frame()),
                "findings": self.findings(),
            }
        )

    def text(self) -> str:
        """A few plain lines for the terminal: the overall run, then the slices."""
        freq = f" ({self.freq})" if self.freq else ""
        lines = [self.overall.text(), "", f"by {self.column!r}{freq}: {len(self.slices)} slices"]
        lines.append(self.slice_frame().to_string(index=False))
        wide = self.wide_frame()
        wide["name"] = wide["name"].astype(str).str.slice(0, 30)
        numbers = [c for c in wide.columns if c not in _WIDE_KEYS]
        wide[numbers] = (wide[numbers] * 1000).round(2)
        lines += [
            f"rate per 1,000 ({self.overall.base_name}), shrunk:",
            wide.to_string(index=False),
        ]
        lines += ["", *self.findings()]
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables written by ``write`` (file stems)."""
        return {
            "rates_by": self.rates_frame(),
            "rates_wide": self.wide_frame(),
            "expected_by": self.expected_frame(),
            "expected_wide": self.expected_wide(),
            "targets_by": self.targets_frame(),
            "gains_by": self.gains_frame(),
            "slices_by": self.slice_frame(),
        }

    def write(self, path: str | Path, outputs: tuple[str, ...] = OUTPUTS) -> dict[str, Path]:
        """Write the overall analysis (as ``need`` does) and the slices' tables (CSV),
        ``need_by.xlsx``, ``need_by.json`` and ``need_by.html`` into the folder ``path``."""
        wanted = check_outputs(outputs)
        out = Path(path)
        written = self.overall.write(out, tuple(sorted(wanted)))
        tables = self.tables() if wanted & {"csv", "xlsx"} else {}
        if "csv" in wanted:
            found = self.overall.write_csv(out, tables)
            written.update({f"{k}_csv": v for k, v in found.items()})
        if "xlsx" in wanted:
            written["by_xlsx"] = out / "need_by.xlsx"
            sheets = {k: v for k, v in tables.items() if k != "expected_by"}
            write_workbook(written["by_xlsx"], sheets, notes=self._about())
        if "json" in wanted:
            written["by_json"] = out / "need_by.json"
            text = json.dumps(self.to_dict(), allow_nan=False)
            written["by_json"].write_text(text, encoding="utf-8")
        if wanted & {"png", "html"}:
            written.update(self._write_pictures(out, "png" in wanted, "html" in wanted))
        return written

    def findings(self) -> list[str]:
        """Plain-language findings (:mod:`oacinsight.need.by_findings`)."""
        from oacinsight.need.by_findings import need_by_findings

        return need_by_findings(self)

    def heat_map_png(self) -> bytes:
        """The heat map of relative rates (group × slice) as PNG bytes."""
        from oacinsight.need.by_chart import rates_heat_map
        from oacinsight.reports.charts import png_bytes

        return png_bytes(rates_heat_map(self))

    def _write_pictures(self, out: Path, png: bool, page: bool) -> dict[str, Path]:
        from oacinsight.need.by_page import need_by_html

        heat_map = self.heat_map_png()
        written: dict[str, Path] = {}
        if png:
            written["heat_map_png"] = out / "rates_heat_map.png"
            written["heat_map_png"].write_bytes(heat_map)
        if page:
            written["by_html"] = out / "need_by.html"
            written["by_html"].write_text(need_by_html(self, heat_map), encoding="utf-8")
        return written

    def _about(self) -> list[tuple[str, Any]]:
        o = self.overall
        rows: list[tuple[str, Any]] = [
            ("generator", f"oacinsight {__version__}"),
            (self.label_column, self.column),
            ("freq", self.freq or ""),
            ("level", o.level),
            ("base", o.base_name),
            ("confidence", o.confidence),
            ("suppress_below", o.suppress_below),
            ("disclosure", "one pattern on the slices and the overall rates together"),
        ]
        rows += [(f"area {c}", n) for c, n in o.areas]
        rows += [("note", n) for n in self.notes]
        return rows
