"""Areas of likely need from files: rates per OAC group (customers, a survey or a rates
file), expected demand per area, observed against expected, targets and reach.

:func:`need_file` is what ``oacinsight need`` calls.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from oacinsight.errors import InputFileError, OacInsightError
from oacinsight.match import Assignment, reference_store
from oacinsight.need import disclose, inputs
from oacinsight.need import expected as exp
from oacinsight.need import rates as rt
from oacinsight.need.result import NeedResult
from oacinsight.need.stats import dissimilarity
from oacinsight.need.targets import TargetRules, gains_curve, postcode_list, ranked, target_list
from oacinsight.progress import Progress, watch
from oacinsight.store import Store, profiles
from oacinsight.store import need as sql
from oacinsight.warm import warm

__all__ = ["MIX_WARNING", "Counted", "NeedOptions", "need_file"]

#: Index of dissimilarity of group mixes above which applied rates get a warning.
MIX_WARNING = 0.2
_LEVEL_COLUMN = {"supergroup": "supergroup", "group": "group_code", "subgroup": "subgroup"}


@dataclass(frozen=True)
class NeedOptions:
    """Everything ``oacinsight need`` can be told (see :func:`need_file`)."""

    areas: tuple[str, ...] = ()
    level: str = "group"
    base: str = "residents"
    rates: str | None = None
    observed: str | None = None
    observed_count: str | None = None
    survey_question: str | None = None
    positive: str | None = None
    weight: str | None = None
    postcode_column: str | None = None
    rules: TargetRules = field(default_factory=TargetRules)
    confidence: float = 0.95
    suppress_below: int = 10
    draw_map: bool = True  # the map PNG and GeoJSON (False: tables only, no matplotlib)
    #: Where long work is reported (the command line's progress; None: nowhere).
    progress: Progress | None = field(default=None, compare=False, repr=False)

    def check(self, has_input: bool) -> None:
        """Refuse impossible or ignored options with a one-line reason."""
        rt.check_level(self.level)
        self.rules.check()
        if has_input == bool(self.rates):
            raise OacInsightError(
                "give either INPUT (customers or a survey) or --rates FILE, not both or neither"
            )
        if bool(self.survey_question) != bool(self.positive):
            raise OacInsightError("--survey-question and --positive go together")
        if self.weight and not self.survey_question:
            raise OacInsightError("--weight is for a survey input (--survey-question)")
        if self.rates and not self.areas:
            raise OacInsightError("with --rates, choose the area with --area")
        if not 0.5 <= self.confidence < 1:
            raise OacInsightError(
                f"--confidence must be from 0.5 to below 1, not {self.confidence}"
            )
        if self.suppress_below < 0:
            raise OacInsightError("--suppress-below must be 0 or more")


@dataclass(frozen=True)
class Counted:
    """Customers and observed counts per output area made by another engine (the Spark
    engine, :mod:`oacinsight.spark.need`) instead of this one's match pipeline.

    ``customers(store)`` gives the customers' :class:`~oacinsight.match.Assignment`
    (as :func:`oacinsight.match.assign_areas`); ``observed(store, oas)`` the observed
    counts of the area's output areas ``oas`` (as :func:`.inputs.load_observed`).
    """

    customers: Callable[[Store], Assignment] | None = None
    observed: Callable[[Store, list[str]], inputs.Observed] | None = None


def need_file(
    input_path: str | os.PathLike[str] | None,
    options: NeedOptions,
    *,
    store: Store | str | os.PathLike[str] | None = None,
    counted: Counted | None = None,
) -> NeedResult:
    """Rates of need per OAC group, expected demand per OA, LSOA, ward and district,
    observed against expected, a target list and the campaign's reach.

    Parameters
    ----------
    input_path : path or None
        Customer records (raw or matched) or, with ``survey_question``, a survey file.
        None when ``options.rates`` gives rates learnt elsewhere.
    options : NeedOptions
    store : Store or path, optional
    counted : Counted, optional
        Customers and observed counts counted by another engine (Spark).

    Returns
    -------
    NeedResult
    """
    options.check(input_path is not None)
    warm("scipy.special")  # needed for the intervals, imported while the store is read
    with reference_store(store) as s:
        return _need(s, input_path, options, counted or Counted())


def _need(s: Store, input_path, opt: NeedOptions, counted: Counted) -> NeedResult:
    notes: list[str] = []
    accounting: dict[str, float] = {}
    if opt.survey_question:
        rates, phi, codes, oa_list, source = _from_survey(s, input_path, opt)
        base, base_name = inputs.base_spec(s, opt.base)
    elif input_path is not None:
        if counted.customers is not None:
            counts, customers = inputs.customers_of(counted.customers(s), Path(input_path).name)
        else:
            counts, customers = inputs.load_customers(s, input_path, opt.postcode_column)
        accounting.update(counts)
        codes, oa_list = inputs.area_of(s, list(opt.areas), customers)
        accounting["customers_in_area"] = int(
            customers.loc[customers["oa"].isin(oa_list), "customers"].sum()
        )
        if accounting["customers_in_area"] == 0:
            raise InputFileError(f"none of the matched customers live in {', '.join(codes)}")
        base, base_name = inputs.base_of(s, opt.base, oa_list)
        counts_by_group = rt.in_tier_order(
            profiles.group_counts(s.con, oa_list, customers, base, list(rt.LEVELS))
        )
        hide = disclose.rates_hidden(counts_by_group, opt.suppress_below)
        rates, phi = rt.from_counts(counts_by_group, opt.confidence, hidden=hide)
        source = f"customers in {Path(input_path).name}"
    else:
        rates, phi, codes, oa_list, base, base_name = _from_file(s, opt)
        source = f"rates file {Path(str(opt.rates)).name}"
    oas = _categorical(sql.area_oas(s.con, oa_list, base))
    if oas.empty:
        raise InputFileError("the chosen area has no output area with an OAC")
    if not oas.pop("has_base").any():
        raise inputs.no_base(len(set(oa_list)), base_name)
    if opt.rates:
        note = _mix_note(oas, rates, opt.level)
        notes.extend([note] if note else [])
    return _assemble(s, opt, rates, phi, oas, codes, base_name, source, accounting, notes, counted)


def _categorical(oas: pd.DataFrame) -> pd.DataFrame:
    """Area and group codes as categories (fast grouping over 188,880 OAs)."""
    out = oas.copy()
    out["oa"] = out["oa"].astype(object)
    for col in ("supergroup", "group_code", "subgroup", "lsoa", "ward", "lad"):
        out[col] = _category(out[col])
    return out


def _category(values: pd.Series) -> pd.Categorical:
    """``values.astype(object).astype("category")`` (sorted categories), encoded by
    Arrow: three times faster on 188,880 text codes."""
    import pyarrow as pa

    if values.isna().all():  # no codes at all (e.g. no wards loaded): nothing to encode
        return pd.Categorical(values.astype(object))
    arr = pa.array(values.array)
    encoded = (
        arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
    ).dictionary_encode()
    words = np.asarray(encoded.dictionary.to_pylist(), dtype=object)
    order = np.argsort(words, kind="stable")
    rank = np.empty(len(order), dtype=np.int32)
    rank[order] = np.arange(len(order), dtype=np.int32)
    index = encoded.indices
    valid = ~np.asarray(index.is_null(), dtype=bool)
    codes = np.full(len(index), -1, dtype=np.int32)
    codes[valid] = rank[np.asarray(index.fill_null(0))[valid]]
    return pd.Categorical.from_codes(codes, categories=pd.Index(words[order], dtype=object))


def _from_survey(s: Store, path, opt: NeedOptions):
    from oacinsight.survey import SurveyOptions, survey_file

    levels = rt.LEVELS[: rt.LEVELS.index(opt.level) + 1]
    tables, areas = {}, list(opt.areas)
    for level in levels:
        sv = survey_file(
            path,
            SurveyOptions(
                questions=(str(opt.survey_question),),
                positive=str(opt.positive),
                postcode_column=opt.postcode_column,
                level=level,
                weight=opt.weight,
                areas=tuple(opt.areas),
                confidence=opt.confidence,
                suppress_below=opt.suppress_below,
            ),
            store=s,
        )
        tables[level] = sv.table
        areas = areas or [c for c, _ in sv.areas]
    codes, oa_list = inputs.area_of(s, areas, None)
    rates, phi = rt.from_survey(
        tables, opt.confidence, hide=lambda t: disclose.rates_hidden(t, opt.suppress_below)
    )
    source = f"survey answers to {opt.survey_question!r} in {Path(path).name}"
    return rates, phi, codes, oa_list, source


def _from_file(s: Store, opt: NeedOptions):
    codes, oa_list = inputs.area_of(s, list(opt.areas), None)
    base, base_name = inputs.base_spec(s, opt.base)
    name = Path(str(opt.rates)).name
    rates = rt.from_table(
        inputs.read_table(s, str(opt.rates)), opt.level, sql.oac_codes(s.con), name
    )
    return rates, {}, codes, oa_list, base, base_name


def _mix_note(oas: pd.DataFrame, rates: pd.DataFrame, level: str) -> str | None:
    """A warning when the area's group mix is far from where the rates were learnt."""
    here = oas.groupby(_LEVEL_COLUMN[level], observed=True)["base"].sum()
    learnt = dict(zip(rates["code"], rates["base"], strict=True))
    if not all(np.isfinite(v) for v in learnt.values()):
        return "the rates file has no base column: the group mix could not be compared"
    d = dissimilarity({str(k): float(v) for k, v in here.items()}, learnt)
    if d > MIX_WARNING:
        return (
            f"warning: the area's mix of OAC {level}s differs from where the rates were "
            f"learnt (index of dissimilarity {d:.2f} > {MIX_WARNING}): the expected "
            "demand leans on groups the rates saw little of"
        )
    return None


def _assemble(
    s: Store,
    opt: NeedOptions,
    rates: pd.DataFrame,
    phi: dict[str, float],
    oas: pd.DataFrame,
    codes: list[str],
    base_name: str,
    source: str,
    accounting: dict[str, float],
    notes: list[str],
    counted: Counted | None = None,
) -> NeedResult:
    con = s.con
    wanted = [c for col in ("lsoa", "ward", "lad") for c in oas[col].cat.categories.tolist()]
    names = sql.names_of(con, list(dict.fromkeys([*wanted, *codes])))
    moments = exp.rate_moments(rates, opt.level)
    expected = exp.expected_demand(oas, moments, opt.level, names, opt.confidence)
    notes = [*notes, *_area_notes(s, codes, names, oas)]
    has_observed = opt.observed is not None
    if has_observed:
        if counted is not None and counted.observed is not None:
            observed = counted.observed(s, oas["oa"].tolist())
        else:
            observed = inputs.load_observed(
                s, str(opt.observed), opt.postcode_column, opt.observed_count, oas["oa"].tolist()
            )
        expected = exp.attach_observed(
            expected, oas, observed.counts, observed.kind, opt.confidence
        )
        accounting.update(observed.accounting)
        if observed.kind not in ("oa", opt.rules.area_type):
            raise InputFileError(
                f"observed counts per {observed.kind} cannot rank "
                f"{opt.rules.area_type}s: use --target-type {observed.kind}"
            )
    else:
        for col in ("observed", "ratio", "ratio_low", "ratio_high", "shortfall"):
            expected[col] = np.nan
    # the order, target list and gains are worked out from published values only
    published = expected
    if has_observed:  # one audit of every observed count: a district can take a minute
        task = "checking that no hidden observed count can be worked out"
        with watch(opt.progress, task, 1, "audit", lambda: -1.0):
            published = disclose.published_expected(expected, oas, opt.suppress_below)
    ranking = disclose.ranking_frame(published, opt.suppress_below)
    order = ranked(ranking, opt.rules.area_type, has_observed)
    targets = target_list(order, opt.rules, has_observed)
    notes.extend(_hidden_targets_note(published, targets, opt))
    oa_rows = expected[expected["area_type"] == "oa"]
    postcodes = postcode_list(
        targets,
        oas,
        oa_rows,
        sql.live_postcodes(con, _target_oas(oas, targets, opt)),
        opt.rules.area_type,
    )
    result = NeedResult(
        rates=rates,
        expected=expected,
        oas=oas,
        order=order,
        targets=targets,
        postcodes=postcodes,
        gains=gains_curve(order, has_observed),
        level=opt.level,
        base_name=base_name,
        source=source,
        areas=[(c, names.get(c, c)) for c in codes],
        rules=opt.rules,
        has_observed=has_observed,
        accounting=accounting,
        phi=phi,
        notes=notes,
        confidence=opt.confidence,
        suppress_below=opt.suppress_below,
    )
    if has_observed:  # worked out once: the order above used it
        result._published = published[list(exp.EXPECTED_COLUMNS)].reset_index(drop=True)
    if opt.draw_map:
        from oacinsight.need import maps  # matplotlib, shapely: only for the map

        result.map_png, result.geojson = maps.need_maps(
            con, oas, expected, targets, postcodes, opt.rules.area_type
        )
    return result


def _area_notes(s: Store, codes: list[str], names: dict[str, str], oas: pd.DataFrame) -> list[str]:
    """Plain lines when a chosen area is only partly in the store, when output areas
    have no ward or district known, and when areas have no name loaded (their codes are
    shown instead)."""
    from oacinsight.areas.coverage_notes import profile_coverage_lines

    lines = profile_coverage_lines(s, codes, names, covers="expected demand covers")
    for col, word in (("ward", "ward"), ("lad", "local authority")):
        missing = int(oas[col].isna().sum())
        if missing:
            lines.append(
                f"{missing:,} of {len(oas):,} output areas have no {word} known (none of "
                "their postcodes is in the loaded directory, and no official lookup): they "
                f"count in the output area and LSOA rows and the area's total, in no {word} row"
            )
    nameless = [
        KIND_WORDS[k]
        for k in ("lsoa", "ward", "lad")
        if any(names.get(c, c) == c for c in oas[k].cat.categories)
    ]
    if nameless:
        lines.append(
            f"names: no names loaded for some {', '.join(nameless)} (codes shown); ingest the "
            "ONS names and codes files to see them"
        )
    return lines


#: Plural words for the area types of ``expected.csv`` in notes.
KIND_WORDS = {"lsoa": "LSOAs", "ward": "wards", "lad": "local authorities"}


def _hidden_targets_note(
    published: pd.DataFrame, targets: pd.DataFrame, opt: NeedOptions
) -> list[str]:
    """Say plainly when the target list holds areas whose observed count is hidden."""
    if "suppressed" not in published or targets.empty:
        return []
    rows = published[published["area_type"] == opt.rules.area_type]
    hidden = set(rows.loc[rows["suppressed"].astype(bool), "area_code"].astype(str))
    n = int(targets["area_code"].astype(str).isin(hidden).sum())
    if not n:
        return []
    stand_in = max(opt.suppress_below - 1, 0) / 2
    return [
        f"{n} of the {len(targets)} target areas have their observed count hidden (fewer "
        f"than {opt.suppress_below}, or hidden to protect one): they are ranked as if "
        f"{stand_in:g} had been observed, so their true shortfall may differ (by more "
        "where a larger count was hidden to protect a small one)"
    ]


def _target_oas(oas: pd.DataFrame, targets: pd.DataFrame, opt: NeedOptions) -> list[str]:
    key = {"oa": "oa", "lsoa": "lsoa", "ward": "ward"}[opt.rules.area_type]
    return oas.loc[oas[key].isin(targets["area_code"]), "oa"].tolist()
