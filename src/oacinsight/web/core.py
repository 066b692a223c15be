"""The calls the pages and the API make: each parses nothing and formats nothing, it
runs one library function on the shared store and caches the result per upload."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from oacinsight.areas.codes import GSS
from oacinsight.errors import InputFileError, OacInsightError
from oacinsight.match import MATCHED, MatchSummary, match_file
from oacinsight.profile.cellkey import DISCLOSURE_METHODS
from oacinsight.profile.result import RESULT_LEVELS, ProfileResult
from oacinsight.profile.run import CENSUS_BASES, profile_file
from oacinsight.store import boundaries as bsql
from oacinsight.values import json_records, json_safe
from oacinsight.web.state import Upload, WebState

POINTS = "points"


@dataclass(frozen=True)
class ProfileOptions:
    """The options of ``oacinsight profile``, as the web forms and the API take them."""

    level: str = "supergroup"
    base: str = "residents"
    areas: tuple[str, ...] = ()
    confidence: float = 0.95
    suppress_below: int = 10
    disclosure: str = "suppress"

    @classmethod
    def parse(
        cls,
        level: str | None = None,
        base: str | None = None,
        area: str | None = None,
        confidence: float | None = None,
        suppress_below: int | None = None,
        disclosure: str | None = None,
    ) -> ProfileOptions:
        """Check and normalise the options (one-line errors for bad values)."""
        level = (level or "supergroup").strip().lower()
        if level not in RESULT_LEVELS:
            raise OacInsightError(f"unknown level {level!r}; use {', '.join(RESULT_LEVELS)}")
        base = (base or "residents").strip().lower()
        if base not in CENSUS_BASES:
            raise OacInsightError(
                f"unknown base {base!r}; use {', '.join(CENSUS_BASES)} (or send a base file)"
            )
        conf = 0.95 if confidence is None else float(confidence)
        if not 0.5 <= conf < 1:
            raise OacInsightError("confidence must be between 0.5 and 0.999 (e.g. 0.95)")
        sup = 10 if suppress_below is None else int(suppress_below)
        if not 1 <= sup <= 1000:
            raise OacInsightError("suppress_below must be between 1 and 1000")
        codes = area_codes(area)
        method = (disclosure or "suppress").strip().lower()
        if method not in DISCLOSURE_METHODS:
            raise OacInsightError(f"unknown disclosure {method!r}; use suppress or cellkey")
        return cls(level, base, codes, conf, sup, method)

    def query(self, **changes: Any) -> dict[str, Any]:
        """URL query parameters of these options (with ``changes``)."""
        values = {
            "level": self.level,
            "base": self.base,
            "area": ",".join(self.areas),
            "confidence": self.confidence,
            "suppress_below": self.suppress_below,
            "disclosure": None if self.disclosure == "suppress" else self.disclosure,
        }
        values.update(changes)
        return {k: v for k, v in values.items() if v not in ("", None)}


def area_codes(text: str | None) -> tuple[str, ...]:
    """Comma-separated GSS codes (``area=`` of the forms), each checked to be a code."""
    codes = tuple(c.strip().upper() for c in (text or "").replace(";", ",").split(",") if c.strip())
    bad = [c for c in codes if not GSS.match(c)]
    if bad:
        shown = bad[0][:30] + ("..." if len(bad[0]) > 30 else "")
        raise OacInsightError(
            f"{shown!r} is not an area code: use GSS codes such as E08000010, comma-separated"
        )
    return codes


def overview(state: WebState) -> dict[str, Any]:
    """What the store holds: files and editions, postcode count, boundary layers."""
    with state.job() as store:
        status = store.status()
        layers = bsql.layers(store.con)
    files = status.drop(columns=[c for c in ("sha256", "columns_used") if c in status])
    return {
        "path": str(state.store.path),
        "files": files,
        "layers": layers,
        "kinds": sorted(set(files["kind"])) if len(files) else [],
    }


@contextmanager
def named(upload: Upload) -> Iterator[None]:
    """Library errors about an upload name the user's file, not the app's copies."""
    try:
        yield
    except OacInsightError as exc:
        text = str(exc)
        for path in (upload.matched, upload.raw):
            text = text.replace(str(path), upload.name)
        if upload.name not in text:
            text = f"{upload.name}: {text}"
        exc.args = (text,)
        raise


def match_upload(state: WebState, upload: Upload, postcode_column: str | None) -> MatchSummary:
    """Match an upload (every row kept) into its Parquet; cache the summary."""
    with named(upload), state.job() as store:
        summary = match_file(
            upload.raw, upload.matched, store=store, postcode_column=postcode_column or None
        )
    summary.input_name = upload.name
    summary.output = None
    upload.summary, upload.postcode_column = summary, postcode_column or None
    return summary


def matched(upload: Upload) -> Upload:
    """The upload, refused when it was kept without matching (a survey file)."""
    summary_of(upload)
    return upload


def summary_of(upload: Upload) -> MatchSummary:
    """The upload's match summary, refused when it was kept without matching."""
    if upload.summary is None:
        raise InputFileError(
            f"{upload.name} was uploaded as a survey, not matched: upload "
            "it on the home page to match it"
        )
    return upload.summary


def failed_rows(upload: Upload, limit: int | None = 200) -> tuple[pd.DataFrame, int]:
    """Rows that did not match (row number, postcode given, status, reason) and their count."""
    if upload.summary is None:
        raise InputFileError("this upload has not been matched")
    column = upload.summary.postcode_column
    table = pq.read_table(upload.matched, columns=[column, "match_status", "match_note"])
    bad = pc.fill_null(
        pc.invert(pc.is_in(table["match_status"], value_set=pa.array(list(MATCHED)))), True
    )
    rows = pc.indices_nonzero(bad)
    total = len(rows)
    if limit is not None:
        rows = rows[:limit]
    frame = table.take(rows).to_pandas()
    frame.columns = ["postcode_given", "match_status", "match_note"]
    frame["postcode_given"] = (
        frame["postcode_given"].astype(object).where(frame["postcode_given"].notna(), "")
    )
    frame.insert(0, "row", rows.to_numpy() + 2)  # spreadsheet row: header is row 1
    return frame, total


def customers_by_oa(upload: Upload) -> pd.DataFrame:
    """``oa, customers``: matched customers per 2021 output area."""
    table = pq.read_table(matched(upload).matched, columns=["oa21", "match_status"])
    frame = table.to_pandas()
    frame = frame[frame["match_status"].isin(MATCHED) & frame["oa21"].notna()]
    out = frame.groupby("oa21").size().rename("customers").reset_index()
    return out.rename(columns={"oa21": "oa"})


def profile_upload(state: WebState, upload: Upload, options: ProfileOptions) -> ProfileResult:
    """The profile of an upload's matched records with these options (cached)."""
    key = ("profile", options)
    if key not in upload.results:
        with named(upload), state.job() as store:
            upload.results[key] = profile_file(
                upload.matched,
                store=store,
                level=options.level,
                base=options.base,
                areas=list(options.areas) or None,
                confidence=options.confidence,
                suppress_below=options.suppress_below,
                disclosure=options.disclosure,
            )
    return upload.results[key]


def layer_list(state: WebState) -> pd.DataFrame:
    """The boundary layers loaded."""
    with state.job() as store:
        return bsql.layers(store.con)


def layer_geojson(state: WebState, layer: str) -> tuple[str, str]:
    """``(geojson, etag)`` of a layer (kept in memory after the first request)."""
    key = f"geojson:{layer}"
    if key not in state.cache:
        with state.job() as store:
            found = bsql.layer_geojson(store.con, layer)
        if found is None:
            raise OacInsightError(f"no boundary layer {layer!r} is loaded")
        state.cache[key] = found
    return state.cache[key]


def layer_geojson_gzip(state: WebState, layer: str) -> tuple[bytes, str]:
    """The layer's GeoJSON gzip-compressed once (then served as is), and its ETag."""
    key = f"geojson.gz:{layer}"
    if key not in state.cache:
        text, etag = layer_geojson(state, layer)
        state.cache[key] = (gzip.compress(text.encode("utf-8"), compresslevel=6), etag)
    return state.cache[key]


def area_frame(
    state: WebState, upload: Upload | None, layer: str, areas: tuple[str, ...] = ()
) -> pd.DataFrame:
    """Per area of ``layer`` (or per OA point): OAs, residents, customers, main group."""
    cust = customers_by_oa(upload) if upload is not None else None
    with state.job() as store:
        if layer != POINTS:
            return bsql.area_measures(store.con, layer, cust)
        oas = _point_oas(store, cust, areas)
        return bsql.oa_points(store.con, oas, cust)


def _point_oas(store: Any, cust: pd.DataFrame | None, areas: tuple[str, ...]) -> list[str]:
    """OAs to draw as points: those of the areas chosen, else those with customers."""
    from oacinsight.store import profiles

    if areas:
        return profiles.area_oas(store, list(areas))
    if cust is None or cust.empty:
        raise OacInsightError(
            "no boundaries are loaded: upload a customer file to see "
            "its output areas as points, or ingest boundary files"
        )
    return cust["oa"].astype(str).tolist()


def area_profile(state: WebState, code: str) -> Any:
    """Issue 4's area profile of ``code`` (:class:`oacinsight.areas.AreaProfile`), cached."""
    from oacinsight.areas import profile_area

    key = f"area:{code}"
    if key not in state.cache:
        with state.job() as store:
            state.cache[key] = profile_area(code, store=store)
    return state.cache[key]


def oac_names(state: WebState) -> dict[str, str]:
    """OAC code → name."""
    if "oac_names" not in state.cache:
        with state.job() as store:
            state.cache["oac_names"] = bsql.oac_names(store.con)
    return state.cache["oac_names"]


def search_areas(state: WebState, text: str) -> pd.DataFrame:
    """Areas whose code or name contains ``text``."""
    with state.job() as store:
        return bsql.search_areas(store.con, text)


#: JSON-safe values and rows: the package's one converter (kept under the old names).
plain = json_safe
records = json_records
