"""The data every area profile of one store shares, and how an area's OAs are found.

:class:`AreaContext` reads the output-area frame once (see
:func:`oacinsight.store.areas.oa_frame`) and answers, in memory, which output areas
make up a ward, local authority, region, LSOA, country or a user's patch, what its
parent area is, and how its membership was decided (official lookup or postcode
majority).  A batch of profiles shares one context.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from oacinsight.areas.codes import KIND_LABELS, AreaRequest
from oacinsight.areas.coverage import FULL_DIRECTORY_AREAS, Coverage, area_coverage
from oacinsight.areas.indicators import Indicator, choose_indicators, with_parts
from oacinsight.errors import OacInsightError, StoreError
from oacinsight.oac import SUPERGROUP_NAMES
from oacinsight.store import Store
from oacinsight.store import areas as sql

__all__ = ["NATIONAL_NAME", "Area", "AreaContext"]

NATIONAL_NAME = "England and Wales"
#: Output areas of England and Wales in Census 2021; a store with fewer (a demo, an
#: extract) is compared with "all output areas in the store" instead.
EW_OUTPUT_AREAS = 188_880
#: Official names of the countries and English regions (stable GSS codes).
KNOWN_NAMES: dict[str, str] = {
    "E92000001": "England",
    "W92000004": "Wales",
    "E12000001": "North East",
    "E12000002": "North West",
    "E12000003": "Yorkshire and The Humber",
    "E12000004": "East Midlands",
    "E12000005": "West Midlands",
    "E12000006": "East of England",
    "E12000007": "London",
    "E12000008": "South East",
    "E12000009": "South West",
}
#: Column of the OA frame holding each kind of area.
KIND_COLUMNS: dict[str, str] = {
    "ward": "ward",
    "lad": "lad",
    "region": "region",
    "lsoa": "lsoa21",
    "msoa": "msoa21",
    "country": "nation",
}
_FACT_COLUMNS = {
    "ward": "postcodes.ward",
    "lad": "postcodes.laua",
    "region": "postcodes.rgn",
    "lsoa": "postcodes.lsoa11",
    "msoa": "oa_links.target_code",
}


@dataclass
class Area:
    """An area resolved against the store.

    Attributes
    ----------
    kind, code, name : str
        Kind (see :data:`oacinsight.areas.codes.AREA_KINDS`), code and name.
    rows : pandas.DataFrame
        Its output areas (rows of the context's frame).
    membership : str
        How the output areas were chosen, in one sentence.
    notes : list of str
        Caveats about completeness.
    coverage : Coverage, optional
        How completely the store holds the area (districts, wards, regions).
    """

    kind: str
    code: str
    name: str
    rows: pd.DataFrame
    membership: str
    notes: list[str] = field(default_factory=list)
    coverage: Coverage | None = None

    @property
    def is_whole(self) -> bool:
        """False when the store is known or suspected to hold only part of the area."""
        return self.coverage is None or self.coverage.is_whole

    @property
    def label(self) -> str:
        """``Name (code)``, or the code alone when there is no name."""
        return self.code if self.name == self.code else f"{self.name} ({self.code})"

    @property
    def kind_label(self) -> str:
        """Plain name of the kind of area."""
        return KIND_LABELS.get(self.kind, self.kind)


class AreaContext:
    """The output-area frame of a store, with the indicators chosen, ready for profiles.

    Parameters
    ----------
    store : Store
        An open store with the OAC and Census 2021 TS001 loaded.
    indicators : sequence of str or Indicator, optional
        Indicator keys or definitions; None: every known indicator whose census table
        is in the store.

    Raises
    ------
    StoreError
        When the store lacks the OAC or the census TS001 table.
    """

    def __init__(self, store: Store, indicators: Sequence[str | Indicator] | None = None) -> None:
        self.store = store
        available = sql.census_columns(store)
        if "ts001" not in available:
            raise StoreError(
                "the store has no Census 2021 TS001 (usual residents): ingest ts001.parquet "
                "or the Nomis CSV with 'oacinsight data ingest'"
            )
        if not store.has_table("oac_oa"):
            raise StoreError("the store has no OAC 2021: ingest the OAC output-area file")
        self.indicators, skipped = choose_indicators(indicators, available)
        self.skipped = (
            [f"indicators left out as their census table is not in the store: {'; '.join(skipped)}"]
            if skipped
            else []
        )
        cells: dict[str, list[str]] = {"ts001": ["ts0010001", "ts0010002", "ts0010003"]}
        if "ts0410001" in available.get("ts041", []):
            cells["ts041"] = ["ts0410001"]
        for ind in self.indicators:
            for table, cols in ind.cells.items():
                cells.setdefault(table, [])
                cells[table] += [c for c in cols if c not in cells[table]]
        self.frame = with_parts(sql.oa_frame(store, cells), self.indicators)
        self.has_households = "ts0410001" in self.frame.columns
        self.national = self.frame[self.frame["subgroup"].notna()]
        complete = len(self.national) >= 0.99 * EW_OUTPUT_AREAS
        self.national_name = (
            NATIONAL_NAME if complete else f"all {len(self.national):,} output areas in the store"
        )
        self.labels = sql.census_labels(store)
        self.oac_names = sql.oac_names(store)
        self.edition = sql.directory_edition(store)
        self.postcode_areas = sql.loaded_postcode_areas(store)
        self.cache: dict[Any, Any] = {}
        self._names: dict[str, str] = dict(KNOWN_NAMES)

    # -- names ------------------------------------------------------------------------
    def names(self, codes: Sequence[str]) -> dict[str, str]:
        """Names of codes (the code itself where no name file is loaded)."""
        missing = [c for c in codes if c not in self._names and isinstance(c, str)]
        if missing:
            found = sql.area_names(self.store, missing)
            for c in missing:
                self._names[c] = found.get(c, c)
        return {c: self._names.get(c, c) for c in codes}

    def name(self, code: str) -> str:
        """Name of one code (the code when unknown)."""
        return self.names([code])[code]

    def oac_name(self, level: str, code: str) -> str:
        """Official name of an OAC code (supergroup names are built in)."""
        name = self.oac_names.get((level, code))
        if name is None and level == "supergroup":
            name = SUPERGROUP_NAMES.get(code)
        return name or code

    # -- areas ------------------------------------------------------------------------
    def resolve(self, request: AreaRequest) -> Area:
        """The output areas of a requested area, with how they were chosen.

        Raises
        ------
        OacInsightError
            Unknown code, no OAC, no census counts or no residents, in one line.
        """
        if request.kind == "patch":
            rows = self._patch_rows(request)
        else:
            column = KIND_COLUMNS[request.kind]
            rows = self.frame[self.frame[column] == request.code]
            if rows.empty:
                raise OacInsightError(self._unknown(request))
        with_oac = rows[rows["subgroup"].notna()]
        if with_oac.empty:
            raise OacInsightError(
                f"{request.code}: none of its {len(rows):,} output areas has an OAC 2021 "
                "group in the store (ingest the OAC 2021 output-area file)"
            )
        if with_oac["residents"].fillna(0).sum() <= 0:
            raise OacInsightError(f"{request.code}: no usual residents in Census 2021 TS001")
        notes = []
        if len(with_oac) < len(rows):
            notes.append(
                f"{len(rows) - len(with_oac)} output area(s) without an OAC group are left out"
            )
        name = request.code if request.kind == "patch" else self.name(request.code)
        area = Area(
            request.kind,
            request.code,
            name,
            with_oac,
            self._membership(request.kind, with_oac),
            notes,
        )
        area.notes += self._coverage_notes(area)
        area.coverage = self.coverage(request.kind, request.code)
        return area

    def coverage(self, kind: str, code: str) -> Coverage | None:
        """How completely the store holds a district, ward or region (None otherwise)."""
        if kind not in ("lad", "ward", "region"):
            return None
        key = ("coverage", kind, code)
        if key not in self.cache:
            region_areas = None
            if kind == "region":
                oas = self.frame.loc[self.frame["region"] == code, "oa"]
                region_areas = sql.postcode_areas_of(self.store, list(oas))
            self.cache[key] = area_coverage(
                self.frame,
                kind,
                code,
                directory_areas=self.postcode_areas,
                region_areas=region_areas,
                cache=self.cache,
            )
        return self.cache[key]

    def _patch_rows(self, request: AreaRequest) -> pd.DataFrame:
        wanted = pd.Index(request.oas)
        rows = self.frame[self.frame["oa"].isin(wanted)]
        unknown = wanted.difference(pd.Index(rows["oa"]))
        if len(unknown):
            shown = ", ".join(sorted(unknown)[:3])
            more = f" and {len(unknown) - 3} more" if len(unknown) > 3 else ""
            raise OacInsightError(
                f"{request.code}: {len(unknown)} output area code(s) have no Census 2021 "
                f"counts in the store: {shown}{more}"
            )
        return rows

    def _unknown(self, request: AreaRequest) -> str:
        facts = sql.code_facts(self.store, request.code)
        kind = KIND_LABELS[request.kind]
        if request.kind == "lsoa" and "postcodes.lsoa11" in facts:
            return (
                f"{request.code} is a 2011 LSOA in the postcode directory but not a 2021 "
                "LSOA in the store: ingest the official OA 2021 to LSOA 2021 lookup"
            )
        if facts.get(_FACT_COLUMNS.get(request.kind, "")):
            return (
                f"{request.code}: this {kind} is in the postcode directory but none of "
                "its postcodes has a 2021 output area with Census 2021 counts"
            )
        where = ", ".join(self.postcode_areas[:20]) or "none"
        return (
            f"unknown {kind} code {request.code}: not in the store (postcode areas "
            f"loaded: {where}); load the postcode directory or lookup that covers it"
        )

    def _membership(self, kind: str, rows: pd.DataFrame) -> str:
        n = len(rows)
        if kind == "patch":
            return f"the {n:,} output areas listed by the user"
        if kind == "country":
            return (
                f"all {n:,} output areas of the country in the Census 2021 tables "
                "(by output-area code)"
            )
        if kind in ("lsoa", "msoa"):
            return f"{n:,} output areas from the official OA 2021 to {kind.upper()} lookup"
        source = rows[f"{KIND_COLUMNS[kind]}_source"].fillna("").astype(str)
        official = int(source.str.startswith("official").sum())
        label = KIND_LABELS[kind]
        if official == n:
            return f"{n:,} output areas from the official OA to {label} lookup"
        majority = (
            f"placed in the {label} where most of their postcodes lie (live postcodes "
            f"first; {self.edition or 'postcode directory'}), as no official OA to "
            f"{label} lookup is loaded"
        )
        if official == 0:
            return f"{n:,} output areas {majority}"
        return (
            f"{official:,} output areas from the official lookup and {n - official:,} "
            f"{majority} for them"
        )

    def _coverage_notes(self, area: Area) -> list[str]:
        """Warnings that an area built from a partial postcode directory may be incomplete."""
        if area.kind not in ("ward", "lad", "region"):
            return []
        source = area.rows[f"{KIND_COLUMNS[area.kind]}_source"].fillna("")
        if source.astype(str).str.startswith("official").all():
            return []
        notes = []
        lsoas = area.rows["lsoa21"].dropna().unique()
        if len(lsoas):
            same = self.frame[self.frame["lsoa21"].isin(lsoas)]
            gaps = int((same["postcodes"] == 0).sum())
            if gaps:
                notes.append(
                    f"{gaps} output area(s) in the same LSOAs have no postcode in "
                    "the loaded directory, so the area may be incomplete"
                )
        if 0 < len(self.postcode_areas) < FULL_DIRECTORY_AREAS:
            n = len(self.postcode_areas)
            notes.append(
                f"the loaded postcode directory covers {n} postcode "
                f"area{'s' if n > 1 else ''} only; any part of the area outside "
                f"{'them' if n > 1 else 'it'} is missing"
            )
        return notes

    def parent(self, area: Area) -> Area | None:
        """:meth:`find_parent`, remembered: the wards of a district share one parent."""
        key = ("parent-of", area.kind, area.code)
        if area.kind == "patch" or key not in self.cache:
            found = self.find_parent(area)
            if area.kind == "patch":
                return found
            self.cache[key] = found
        return self.cache[key]

    def find_parent(self, area: Area) -> Area | None:
        """The area to compare with: the local authority of a ward, LSOA, MSOA or patch
        (the one holding most of its residents), the region of an English local
        authority, the country of a Welsh one or of a region; None for a country."""
        if area.kind == "country":
            return None
        rows = area.rows
        if area.kind in ("ward", "lsoa", "msoa", "patch"):
            code, kind = _majority(rows, "lad"), "lad"
        elif area.kind == "lad":
            code, kind = _majority(rows, "region"), "region"
            if not (isinstance(code, str) and code.startswith("E12")):
                code = None
        else:
            code, kind = None, "country"
        if code is None:
            code, kind = _majority(rows, "nation"), "country"
        if code is None:
            return None
        key = ("area", kind, code)
        if key not in self.cache:
            self.cache[key] = self.resolve(AreaRequest(kind, code))
        return self.cache[key]

    def national_area(self) -> Area:
        """England and Wales: every output area with an OAC group and census counts."""
        return Area(
            "national",
            "K04000001",
            self.national_name,
            self.national,
            "every output area with an OAC group in the Census 2021 tables",
        )


def _majority(rows: pd.DataFrame, column: str) -> str | None:
    """The value of ``column`` holding most residents of ``rows`` (ties: smallest code)."""
    known = rows[rows[column].notna()]
    if known.empty:
        return None
    sums = known.groupby(column)["residents"].sum()
    best = sums[sums == sums.max()].index
    return str(sorted(best)[0])
