"""The result of a need analysis and its writers (CSV, XLSX, JSON, HTML, PNG, GeoJSON).

Every published table goes through :mod:`oacinsight.need.disclose` first, so hidden
counts never leave the process.
"""

from __future__ import annotations

import html
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from oacinsight._version import __version__
from oacinsight.errors import OacInsightError
from oacinsight.need import disclose
from oacinsight.need.expected import EXPECTED_COLUMNS
from oacinsight.need.rates import RATE_COLUMNS
from oacinsight.need.targets import GAINS_COLUMNS, TARGET_COLUMNS, TargetRules, reach_at
from oacinsight.tabular import FORMULA_START, neutralise, write_workbook

__all__ = ["JSON_FORMAT", "OUTPUTS", "NeedResult", "check_outputs"]

JSON_FORMAT = "oacinsight.need/1"
#: The kinds of output ``write`` can make (``oacinsight need --outputs``): the CSV
#: tables, the workbook, the JSON, the HTML summary, the PNG charts and the GeoJSON.
OUTPUTS: tuple[str, ...] = ("csv", "xlsx", "json", "html", "png", "geojson")
#: The outputs that need the map (drawn by ``need_file`` unless left out).
MAP_OUTPUTS = frozenset({"html", "png", "geojson"})
_CODE_COLUMNS = frozenset({"area_code", "area_type", "lad", "oa", "level"})


@dataclass
class NeedResult:
    """Rates, expected demand, targets and campaign reach for one area."""

    rates: pd.DataFrame  # unsuppressed: publish through published_rates()
    expected: pd.DataFrame  # unsuppressed: publish through to_frame()
    oas: pd.DataFrame  # OA → groups, LSOA, ward, district (for disclosure sets)
    order: pd.DataFrame  # every area of the target type, in campaign order
    targets: pd.DataFrame
    postcodes: pd.DataFrame
    gains: pd.DataFrame
    level: str
    base_name: str
    source: str
    areas: list[tuple[str, str]]
    rules: TargetRules
    has_observed: bool
    accounting: dict[str, Any] = field(default_factory=dict)
    phi: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    confidence: float = 0.95
    suppress_below: int = 10
    map_png: bytes | None = None
    geojson: dict[str, str] = field(default_factory=dict)
    _published: pd.DataFrame | None = field(default=None, init=False, repr=False)

    # -- published tables -------------------------------------------------------------
    def to_frame(self) -> pd.DataFrame:
        """Published expected demand (``expected.csv``): every OA, LSOA, ward, district."""
        return self._published_expected().copy()

    def _published_expected(self) -> pd.DataFrame:
        """:meth:`to_frame`, worked out once (225,000 rows for England and Wales); not
        to be changed in place."""
        if self._published is None:
            pub = disclose.published_expected(self.expected, self.oas, self.suppress_below)
            self._published = pub[list(EXPECTED_COLUMNS)].reset_index(drop=True)
        return self._published

    def published_rates(self) -> pd.DataFrame:
        """``rates.csv``: the chosen tier and its parents, small counts hidden."""
        pub = disclose.published_rates(self.rates, self.suppress_below)
        return pub[list(RATE_COLUMNS)].reset_index(drop=True)

    def published_targets(self, published: pd.DataFrame | None = None) -> pd.DataFrame:
        """``targets.csv``: the ranked target list, with published observed values."""
        pub = self._published_expected() if published is None else published
        rows = (pub["area_type"] == self.rules.area_type) & pub["area_code"].isin(
            self.targets["area_code"]
        )
        pub = pub[rows.to_numpy(dtype=bool)].set_index("area_code")
        t = self.targets[["rank", "area_code"]].copy()
        joined = t.join(pub, on="area_code")
        return joined[list(TARGET_COLUMNS)].reset_index(drop=True)

    def published_gains(self) -> pd.DataFrame:
        """``gains.csv``: cumulative shares in campaign order."""
        return self.gains[list(GAINS_COLUMNS)].reset_index(drop=True)

    def published_accounting(self) -> dict[str, Any]:
        """How the input rows were used, small counts of people hidden (None)."""
        return disclose.published_accounting(self.accounting, self.suppress_below)

    def reach(self, share: float = 0.2) -> dict[str, float]:
        """Shares of expected need and of the shortfall reached at ``share`` of households."""
        out = {"expected": reach_at(self.gains, share)}
        if self.has_observed:
            out["shortfall"] = reach_at(self.gains, share, "shortfall_share")
        return out

    # -- protocol ---------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Everything published, JSON-ready."""
        reach = self.reach(0.2)
        return {
            "format": JSON_FORMAT,
            "generator": f"oacinsight {__version__}",
            "level": self.level,
            "base": self.base_name,
            "source": self.source,
            "areas": [{"code": c, "name": n} for c, n in self.areas],
            "accounting": self.published_accounting(),
            "phi": self.phi,
            "notes": self.notes,
            "confidence": self.confidence,
            "suppress_below": self.suppress_below,
            "target_rules": self.rules.__dict__,
            "has_observed": self.has_observed,
            "reach_at_20pct_households": reach,
            "rates": _records(self.published_rates()),
            "targets": _records(self.published_targets()),
            "gains": _records(self.published_gains()),
            "expected": _records(self.to_frame()),
        }

    def text(self) -> str:
        """A few plain lines for the terminal."""
        is_oa = (self.expected["area_type"] == "oa").to_numpy(dtype=bool)
        # every OA, whether or not its district is known
        total = float(self.expected["expected"].to_numpy(dtype=float)[is_oa].sum())
        lines = [
            f"need by OAC {self.level} ({self.source}) against {self.base_name}",
            f"area: {', '.join(c if n == c else f'{n} ({c})' for c, n in self.areas)}",
            f"expected in the area: {total:,.0f} ({int(is_oa.sum()):,} output areas)",
        ]
        reach = self.reach(0.2)
        lines.append(
            f"contact 20% of households (target-list order) to reach "
            f"{_pct(reach['expected'])} of the expected need"
            + (f" and {_pct(reach['shortfall'])} of the shortfall" if "shortfall" in reach else "")
        )
        for _, row in self.published_targets().head(5).iterrows():
            lines.append(
                f"  {int(row['rank'])}. {row['area_code']} {row['name']}: expected "
                f"{row['expected']:,.0f}"
                + (f", shortfall {row['shortfall']:,.0f}" if pd.notna(row["shortfall"]) else "")
            )
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every published table by file stem."""
        return {name: frame.copy() for name, frame in self._tables().items()}

    def _tables(self) -> dict[str, pd.DataFrame]:
        """:meth:`tables` without copies (to write them; not to be changed in place)."""
        expected = self._published_expected()
        return {
            "rates": self.published_rates(),
            "expected": expected,
            "targets": self.published_targets(expected),
            "target_postcodes": self.postcodes,
            "gains": self.published_gains(),
        }

    def write_csv(
        self, path: str | Path, tables: dict[str, pd.DataFrame] | None = None
    ) -> dict[str, Path]:
        """Write the published tables as CSV files into the folder ``path``."""
        out = Path(path)
        out.mkdir(parents=True, exist_ok=True)
        written: dict[str, Path] = {}
        for name, frame in (tables or self._tables()).items():
            written[name] = out / f"{name}.csv"
            _csv(_texts_neutralised(frame), written[name])
        return written

    def write(self, path: str | Path, outputs: tuple[str, ...] = OUTPUTS) -> dict[str, Path]:
        """Write the outputs named in ``outputs`` (default: all of :data:`OUTPUTS`) into
        the folder ``path``; returns what was written.  The map and GeoJSON are those
        ``need_file`` made (none when it was told to leave them out)."""
        wanted = check_outputs(outputs)
        out = Path(path)
        out.mkdir(parents=True, exist_ok=True)
        tables = self._tables() if wanted & {"csv", "xlsx"} else {}
        written = self.write_csv(out, tables) if "csv" in wanted else {}
        if "xlsx" in wanted:
            written["xlsx"] = out / "need.xlsx"
            write_workbook(written["xlsx"], tables, notes=self._about())
        if "json" in wanted:
            written["json"] = out / "need.json"
            text = json.dumps(self.to_dict(), allow_nan=False)
            written["json"].write_text(text, encoding="utf-8")
        if wanted & {"png", "html"}:
            written.update(self._write_pictures(out, "png" in wanted, "html" in wanted))
        if "geojson" in wanted:
            for kind, text in self.geojson.items():
                written[f"geojson_{kind}"] = out / f"expected_{kind}.geojson"
                written[f"geojson_{kind}"].write_text(text, encoding="utf-8")
        return written

    def gains_png(self) -> bytes:
        """The gains chart as PNG bytes (matplotlib is imported only here)."""
        from oacinsight.need.figures import gains_figure
        from oacinsight.reports.charts import png_bytes

        return png_bytes(gains_figure(self.gains, self.has_observed, self.reach()["expected"]))

    def _write_pictures(self, out: Path, png: bool, page: bool) -> dict[str, Path]:
        gains_png = self.gains_png()
        written: dict[str, Path] = {}
        if png:
            written["gains_png"] = out / "gains.png"
            written["gains_png"].write_bytes(gains_png)
            if self.map_png is not None:
                written["map_png"] = out / "map.png"
                written["map_png"].write_bytes(self.map_png)
        if page:
            written["html"] = out / "need.html"
            written["html"].write_text(self._html(gains_png), encoding="utf-8")
        return written

    # -- helpers ----------------------------------------------------------------------
    def _about(self) -> list[tuple[str, Any]]:
        rows: list[tuple[str, Any]] = [
            ("generator", f"oacinsight {__version__}"),
            ("level", self.level),
            ("base", self.base_name),
            ("rates from", self.source),
            ("confidence", self.confidence),
            ("suppress_below", self.suppress_below),
            ("target type", self.rules.area_type),
            ("top", self.rules.top),
        ]
        rows += [(f"area {c}", n) for c, n in self.areas]
        rows += [(f"phi {k}", v) for k, v in self.phi.items()]
        hidden = f"hidden (fewer than {self.suppress_below}, or protecting one)"
        rows += [(k, hidden if v is None else v) for k, v in self.published_accounting().items()]
        rows += [("note", n) for n in self.notes]
        return rows

    def _html(self, gains_png: bytes) -> str:
        from oacinsight.reports.charts import png_data_uri

        esc = html.escape
        reach = self.reach(0.2)
        table = self.published_targets()
        if not self.has_observed:  # columns that would be blank in every row
            table = table.drop(columns=[c for c in _OBSERVED_COLUMNS if c in table.columns])
        table = table.assign(expected_rate=table["expected_rate"] * 1000).rename(
            columns={"expected_rate": "expected per 1,000"}
        )
        head = "".join(f"<th>{esc(c)}</th>" for c in table.columns)
        body = "".join(
            "<tr>" + "".join(f"<td>{esc(_cell(v))}</td>" for v in row) + "</tr>"
            for row in table.itertuples(index=False)
        )
        notes = "".join(f"<li>{esc(n)}</li>" for n in self.notes)
        figure = (
            f'<h2>Map</h2><img alt="map of likely need" src="'
            f'{png_data_uri(self.map_png)}" style="max-width:100%">'
            if self.map_png
            else ""
        )
        areas = ", ".join(c if n == c else f"{n} ({c})" for c, n in self.areas)
        sentence = (
            f"Contacting 20% of households in target-list order reaches "
            f"{_pct(reach['expected'])} of the expected need"
            + (f" and {_pct(reach['shortfall'])} of the shortfall" if "shortfall" in reach else "")
            + "."
        )
        return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Areas of likely need: {esc(areas)}</title>
<style>body{{font-family:sans-serif;max-width:70em;margin:1em auto;padding:0 1em}}
table{{border-collapse:collapse;font-size:0.85em}}td,th{{border:1px solid #ccc;padding:2px 6px}}
</style></head><body>
<h1>Areas of likely need</h1>
<p>{esc(areas)}. Rates per OAC {esc(self.level)} from {esc(self.source)}, against
{esc(self.base_name)}. Expected values are model outputs (rate × census count), not counts
of people; observed counts below {self.suppress_below} are hidden.</p>
{f'<ul class="notes">{notes}</ul>' if notes else ""}
<p><strong>{esc(sentence)}</strong></p>
<h2>Target list ({esc(self.rules.area_type)})</h2>
<p>{esc(_RANK_WORDS)}</p>
<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>
<h2>Campaign reach</h2><img alt="gains curve" src="{png_data_uri(gains_png)}"
style="max-width:100%">
{figure}
<p>oacinsight {esc(__version__)}: method in docs/need.md.</p></body></html>
"""


#: Columns of the target list that only observed counts fill.
_OBSERVED_COLUMNS = ("observed", "ratio", "ratio_low", "ratio_high", "shortfall")
#: What the rank of the target list means (gaps are areas the thresholds left out).
_RANK_WORDS = (
    "rank: the area's place in campaign order (the order of the gains curve); a missing "
    "rank is an area left out by the thresholds (--min-expected, --max-ratio, "
    "--min-shortfall)."
)


def check_outputs(outputs: tuple[str, ...] | list[str]) -> frozenset[str]:
    """The set of output kinds asked for; an unknown kind or none at all is refused."""
    wanted = frozenset(str(o).strip().lower() for o in outputs if str(o).strip())
    unknown = sorted(wanted - set(OUTPUTS))
    if unknown or not wanted:
        raise OacInsightError(
            f"unknown output kind {', '.join(unknown)!s}: choose from {', '.join(OUTPUTS)}"
            if unknown
            else f"choose at least one output kind: {', '.join(OUTPUTS)}"
        )
    return wanted


def _pct(x: float) -> str:
    return "n/a" if not math.isfinite(x) else f"{100 * x:.0f}%"


def _cell(v: Any) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)) or v is pd.NA:
        return ""
    if isinstance(v, (float, np.floating)):
        x = float(v)
        return f"{x:,.2f}" if abs(x) < 100 else f"{x:,.0f}"
    return str(v)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts (missing → None), through pandas' C JSON writer."""
    return json.loads(frame.to_json(orient="records", double_precision=12))


def _texts_neutralised(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with texts that would start a spreadsheet formula made safe (only the
    columns holding one are touched; codes come from the store's official lookups)."""
    out = frame
    for col in frame.columns:
        text = col not in _CODE_COLUMNS and not pd.api.types.is_numeric_dtype(frame[col])
        if text and _formula_start(frame[col]):
            out = out.copy() if out is frame else out
            out[col] = frame[col].astype(object).map(neutralise)
    return out


def _formula_start(values: pd.Series) -> bool:
    """Whether any text starts like a formula; through Arrow (names of 225,000 areas
    are checked), one by one where the column is not all text."""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        arr = pa.array(values.array, type=pa.string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # not all text: one by one
        return any(
            isinstance(v, str) and v != "" and v[0] in FORMULA_START for v in pd.unique(values)
        )
    first = pc.utf8_slice_codeunits(arr, 0, 1)
    return bool(pc.any(pc.is_in(first, value_set=pa.array(list(FORMULA_START)))).as_py())


def _csv(frame: pd.DataFrame, path: Path, parts: int = 2) -> None:
    """CSV through Arrow (fast for the 200,000-row tables); blanks for missing values.

    A large table is formatted in ``parts`` slices on threads (Arrow formats without
    the GIL) and written in order: the same bytes as one pass.
    """
    from concurrent.futures import ThreadPoolExecutor

    import pyarrow as pa
    from pyarrow import csv

    table = pa.Table.from_pandas(frame, preserve_index=False)
    options = csv.WriteOptions(quoting_style="needed")
    if table.num_rows < 50_000 or parts < 2:
        csv.write_csv(table, path, options)
        return
    body = csv.WriteOptions(quoting_style="needed", include_header=False)
    n = table.num_rows
    cuts = [n * i // parts for i in range(parts + 1)]

    def text(i: int) -> bytes:
        sink = pa.BufferOutputStream()
        piece = table.slice(cuts[i], cuts[i + 1] - cuts[i])
        csv.write_csv(piece, sink, options if i == 0 else body)
        return sink.getvalue().to_pybytes()

    with ThreadPoolExecutor(parts) as pool, open(path, "wb") as out:
        for chunk in pool.map(text, range(parts)):
            out.write(chunk)
