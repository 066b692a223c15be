"""The result of an area profile and the files it is written to."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from oacinsight._version import __version__
from oacinsight.areas.codes import KIND_LABELS
from oacinsight.errors import OacInsightError
from oacinsight.outputs import atomic_output
from oacinsight.results import write_by_suffix, write_json
from oacinsight.tabular import neutralise, write_workbook
from oacinsight.values import json_safe

__all__ = ["OUTPUT_FILES", "AreaProfile"]

#: Files :meth:`AreaProfile.write` creates in the output folder.
OUTPUT_FILES: tuple[str, ...] = (
    "oac_mix.csv",
    "indicators.csv",
    "comparators.csv",
    "deprivation.csv",
    "scale_effect.csv",
    "output_areas.csv",
    "area_profile.xlsx",
    "profile.json",
    "profile.html",
    "profile.pdf",
)


@dataclass
class AreaProfile:
    """An area profile: population, OAC mix, deprivation, indicators, comparators.

    Attributes
    ----------
    code, name, kind : str
        The area (``kind`` as in :data:`oacinsight.areas.codes.AREA_KINDS`).
    parent_code, parent_name : str
        The area compared with (England and Wales, ``K04000001``, for a country).
    national_name : str
        What the national figures cover: ``England and Wales``, or all output areas in
        the store when its census tables do not cover England and Wales.
    residents, household_residents, communal_residents, households : float
        Census 2021 TS001 usual residents and TS041 households (NaN when not loaded).
    output_areas, lsoas : int
        Output areas in the area and 2021 LSOAs they belong to.
    membership : str
        How the output areas of the area were found.
    oac_mix, indicators, deprivation, deprivation_lsoas, comparators, scale :
        pandas.DataFrame
        The tables (see ``docs/areas.md``).
    output_area_table : pandas.DataFrame
        The output areas of the area: codes, OAC, residents, IMD rank, and how each
        was placed in the area.
    deprivation_summary, parent_deprivation_summary : dict
        Headline IMD figures of the area and its parent.
    comparators_method : str
        What the comparators were chosen from and by.
    notes : list of str
        Caveats (incomplete coverage, indicators skipped).
    sources : list of str
        Data used, with attribution.
    disclosure : str
        The disclosure-control statement.
    summary : list of str
        Plain-language sentences generated from the numbers.
    coverage : list of str
        What every output says first: the area or a comparator only partly held by the
        store (``partial: ...``), names missing.
    coverage_status : str
        ``whole``, ``partial`` or ``unknown`` (see :mod:`oacinsight.areas.coverage`).
    parent_short : str
        What the parent comparator covers when it is not whole (``HG, HX only``).
    """

    code: str
    name: str
    kind: str
    parent_code: str
    parent_name: str
    national_name: str
    residents: float
    household_residents: float
    communal_residents: float
    households: float
    output_areas: int
    lsoas: int
    membership: str
    oac_mix: pd.DataFrame
    indicators: pd.DataFrame
    deprivation: pd.DataFrame
    deprivation_lsoas: pd.DataFrame
    deprivation_summary: dict[str, Any]
    parent_deprivation_summary: dict[str, Any]
    comparators: pd.DataFrame
    comparators_method: str
    scale: pd.DataFrame
    output_area_table: pd.DataFrame
    notes: list[str]
    sources: list[str]
    disclosure: str
    summary: list[str] = field(default_factory=list)
    coverage: list[str] = field(default_factory=list)
    coverage_status: str = "whole"
    parent_short: str = ""

    @property
    def is_whole(self) -> bool:
        """False when the store holds, or may hold, only part of the area."""
        return self.coverage_status == "whole"

    @property
    def kind_label(self) -> str:
        """Plain name of the kind of area (``ward``, ``local authority``...)."""
        return KIND_LABELS.get(self.kind, self.kind)

    @property
    def title(self) -> str:
        """``Name (code)``, or the code when no name is known."""
        return self.code if self.name == self.code else f"{self.name} ({self.code})"

    @property
    def parent_label(self) -> str:
        """The parent area's name (its code when no name is known), with what it covers
        when that is not the whole area (``Yorkshire and The Humber (HG, HX only)``)."""
        return (
            f"{self.parent_name} ({self.parent_short})" if self.parent_short else self.parent_name
        )

    def to_dict(self) -> dict[str, Any]:
        """Key facts as JSON-safe values, coverage first."""
        return json_safe(
            {
                "coverage": list(self.coverage),
                "coverage_status": self.coverage_status,
                "code": self.code,
                "name": self.name,
                "kind": self.kind,
                "parent": {
                    "code": self.parent_code,
                    "name": self.parent_name,
                    "label": self.parent_label,
                },
                "national": self.national_name,
                "residents": _plain(self.residents),
                "households": _plain(self.households),
                "output_areas": self.output_areas,
                "lsoas": self.lsoas,
                "membership": self.membership,
                "notes": list(self.notes),
                "summary": list(self.summary),
            }
        )

    def text(self) -> str:
        """What the command line prints: coverage, the plain-language summary, notes."""
        return "\n".join([*self.coverage, *self.summary, *(f"note: {note}" for note in self.notes)])

    def to_frame(self) -> pd.DataFrame:
        """The OAC mix at the three tiers (the columns of ``oac_mix.csv``)."""
        return self.oac_mix.copy()

    def overview(self) -> pd.DataFrame:
        """Key facts as ``item, value`` rows (the first sheet of the workbook)."""
        dep = self.deprivation_summary
        rows: list[tuple[str, Any]] = [
            *(("coverage", line) for line in self.coverage),
            ("area", self.title),
            ("kind", self.kind_label),
            ("compared with", f"{self.parent_label} ({self.parent_code}) and {self.national_name}"),
            ("usual residents (TS001)", self.residents),
            ("in households", self.household_residents),
            ("in communal establishments", self.communal_residents),
            ("households (TS041)", self.households),
            ("output areas", self.output_areas),
            ("2021 LSOAs", self.lsoas),
            ("output area membership", self.membership),
            ("LSOAs ranked by the IMD", dep.get("lsoas")),
            ("% residents in most deprived 20% of LSOAs", dep.get("pct_deciles_1_2")),
            ("comparators", self.comparators_method),
            ("disclosure control", self.disclosure),
            ("generator", f"oacinsight {__version__}"),
        ]
        rows += [("note", n) for n in self.notes]
        rows += [("summary", s) for s in self.summary]
        rows += [("source", s) for s in self.sources]
        return pd.DataFrame(rows, columns=["item", "value"])

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table by sheet name, in the order of the workbook."""
        return {
            "overview": self.overview(),
            "oac_mix": self.to_frame(),
            "indicators": self.indicators,
            "deprivation": self.deprivation,
            "deprivation_lsoas": self.deprivation_lsoas,
            "comparators": self.comparators,
            "scale_effect": self.scale,
            "output_areas": self.output_area_table,
        }

    def write(self, path: str | Path, *, pdf: bool = True, html: bool = True) -> Path:
        """Write the profile; the format follows the suffix and the path is returned.

        Parameters
        ----------
        path : str or pathlib.Path
            A folder (no suffix, or an existing folder): every file of
            :data:`OUTPUT_FILES` in it (see :meth:`write_folder`); or one file: ``.csv``
            (the OAC mix), ``.xlsx`` (every table), ``.json`` (key facts), ``.html`` or
            ``.pdf`` (the one-page profile).
        pdf, html : bool, default True
            For a folder: also write ``profile.pdf`` / ``profile.html``.

        Returns
        -------
        pathlib.Path
            ``path``.
        """
        out = Path(path)
        if not out.suffix or out.is_dir():
            self.write_folder(out, pdf=pdf, html=html)
            return out
        if not (pdf and html):
            raise OacInsightError(
                f"pdf=False / html=False apply to a folder only; {out.name} is one file"
            )
        return write_by_suffix(
            "an area profile",
            out,
            {
                ".csv": lambda tmp: _safe(self.to_frame()).to_csv(
                    tmp, index=False, encoding="utf-8"
                ),
                ".xlsx": self._write_sheets,
                ".json": lambda tmp: write_json(tmp, self.to_dict()),
                ".html": lambda tmp: self._write_report(tmp, "html"),
                ".pdf": lambda tmp: self._write_report(tmp, "pdf"),
            },
        )

    def _write_report(self, out: Path, kind: str) -> None:
        from oacinsight.reports.area_profile import render_charts, write_html, write_pdf

        (write_html if kind == "html" else write_pdf)(self, out, render_charts(self))

    def write_folder(
        self, out_dir: str | Path, *, pdf: bool = True, html: bool = True
    ) -> dict[str, Path]:
        """Write every output file of the profile into ``out_dir``.

        Parameters
        ----------
        out_dir : str or pathlib.Path
            Folder (created if missing).
        pdf, html : bool, default True
            Also write ``profile.pdf`` / ``profile.html``.

        Returns
        -------
        dict of str to pathlib.Path
            Output name to path.
        """
        from oacinsight.reports.area_profile import render_charts, write_html, write_pdf

        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        written: dict[str, Path] = {}
        csvs = {
            "oac_mix": self.to_frame(),
            "indicators": self.indicators,
            "comparators": self.comparators,
            "deprivation": self.deprivation,
            "scale_effect": self.scale,
            "output_areas": self.output_area_table,
        }
        for name, frame in csvs.items():
            written[name] = out / f"{name}.csv"
            with atomic_output(written[name]) as tmp:
                _safe(frame).to_csv(tmp, index=False, encoding="utf-8")
        written["xlsx"] = out / "area_profile.xlsx"
        self.write_xlsx(written["xlsx"])
        written["json"] = out / "profile.json"
        with atomic_output(written["json"]) as tmp:
            write_json(tmp, self.to_dict())
        if pdf or html:
            charts = render_charts(self)
            for name, wanted, writer in (("html", html, write_html), ("pdf", pdf, write_pdf)):
                if wanted:
                    written[name] = out / f"profile.{name}"
                    with atomic_output(written[name]) as tmp:
                        writer(self, tmp, charts)
        return written

    def write_xlsx(self, path: str | Path) -> Path:
        """Every table as a sheet of one workbook."""
        out = Path(path)
        with atomic_output(out) as tmp:
            self._write_sheets(tmp)
        return out

    def _write_sheets(self, out: Path) -> None:
        write_workbook(out, {sheet: _safe(frame) for sheet, frame in self.tables().items()})


def _safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with text cells neutralised against spreadsheet formulas, floats rounded."""
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_float_dtype(out[column]):
            out[column] = out[column].round(6)
        elif not pd.api.types.is_numeric_dtype(out[column]):
            out[column] = (
                out[column]
                .astype(object)
                .map(lambda v: neutralise(v) if isinstance(v, str) else _plain(v))
            )
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    return value
