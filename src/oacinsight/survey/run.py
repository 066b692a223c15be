"""Survey analysis from a file or a DataFrame: what ``oacinsight survey`` calls.

Read the file (as ``match`` reads it), sort out the answers and weights, place each
respondent in an OAC group, count the residents of the survey's area per group, and
compute the table (:mod:`.analyse`).
"""

from __future__ import annotations

import dataclasses
import os
from contextlib import nullcontext
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from oacinsight.errors import InputFileError, OacInsightError
from oacinsight.match import reference_store
from oacinsight.oac import LEVELS
from oacinsight.paths import resolve_store_path
from oacinsight.store import Store, oac11, open_store, surveys
from oacinsight.survey import answers as ans
from oacinsight.survey import place
from oacinsight.survey.analyse import Population, Settings, analyse
from oacinsight.survey.groups import EDITIONS, names_for, roll_up
from oacinsight.survey.result import SurveyResult
from oacinsight.tabular import open_input

__all__ = [
    "Prepared",
    "SurveyOptions",
    "prepare_file",
    "prepare_frame",
    "survey_file",
    "survey_frame",
]

#: A local authority holding fewer than this share of the placed respondents is not
#: part of the default survey area (stray addresses do not pull in a whole district).
AREA_MIN_SHARE = 0.01


@dataclass(frozen=True)
class SurveyOptions:
    """Everything ``oacinsight survey`` can be told (see :func:`survey_file`)."""

    questions: tuple[str, ...]
    positive: str
    postcode_column: str | None = None
    oa_column: str | None = None
    group_column: str | None = None
    edition: str = "2021"
    level: str = "supergroup"
    weight: str | None = None
    areas: tuple[str, ...] = ()
    min_n: int = 30
    confidence: float = 0.95
    suppress_below: int = 10
    dont_know: tuple[str, ...] = field(default_factory=tuple)

    def check(self) -> None:
        """Refuse impossible options with a one-line reason."""
        if not self.questions:
            raise OacInsightError("name at least one question column with --question")
        if self.edition not in EDITIONS:
            raise OacInsightError(f"--edition must be 2021 or 2011, not {self.edition!r}")
        if self.level not in LEVELS:
            raise OacInsightError(f"--level must be one of {', '.join(LEVELS)}, not {self.level!r}")
        given = [o for o in (self.postcode_column, self.oa_column, self.group_column) if o]
        if len(given) > 1:
            raise OacInsightError(
                "give only one of --postcode-column, --oa-column and --group-column"
            )
        if self.min_n < 1:
            raise OacInsightError(f"--min-n must be 1 or more, not {self.min_n}")
        if not 0.5 <= self.confidence < 1:
            raise OacInsightError(
                f"--confidence must be from 0.5 to below 1, not {self.confidence}"
            )
        if self.suppress_below < 0:
            raise OacInsightError("--suppress-below must be 0 or more")


def survey_file(
    input_path: str | os.PathLike[str],
    options: SurveyOptions,
    *,
    store: Store | str | os.PathLike[str] | None = None,
) -> SurveyResult:
    """Analyse a survey file (CSV, XLSX or Parquet) by OAC group.

    Parameters
    ----------
    input_path : path
        One row per respondent.
    options : SurveyOptions
        Questions, positive answers, where the group comes from, weights, level...
    store : Store or path, optional
        The reference store (default: the user's store).

    Returns
    -------
    SurveyResult
    """
    return prepare_file(input_path, options, store=store).result()


def survey_frame(
    frame: pd.DataFrame,
    options: SurveyOptions,
    *,
    store: Store | str | os.PathLike[str] | None = None,
    name: str = "survey",
) -> SurveyResult:
    """Analyse a survey held in a DataFrame (see :func:`survey_file`)."""
    return prepare_frame(frame, options, store=store, name=name).result()


def prepare_file(
    input_path: str | os.PathLike[str],
    options: SurveyOptions,
    *,
    store: Store | str | os.PathLike[str] | None = None,
) -> Prepared:
    """Read a survey file and sort it out (:class:`Prepared`), ready for analysis."""
    options.check()
    with _store(store, options) as s, open_input(input_path) as src:
        con = s.con if s is not None else surveys.scratch()
        frame = surveys.read_frame(con, src)
        return prepare(s, frame, options, src.name)


def prepare_frame(
    frame: pd.DataFrame,
    options: SurveyOptions,
    *,
    store: Store | str | os.PathLike[str] | None = None,
    name: str = "survey",
) -> Prepared:
    """Sort out a survey held in a DataFrame (see :func:`prepare_file`)."""
    options.check()
    with _store(store, options) as s:
        return prepare(s, frame.reset_index(drop=True), options, name)


def _store(store, options: SurveyOptions):
    """The store the placement needs: checked for matching by postcode; optional for a
    group column (names and residents are then left out, with a note)."""
    if options.oa_column is None and options.group_column is None:
        return reference_store(store)
    if (
        options.group_column
        and not isinstance(store, Store)
        and not resolve_store_path(store).exists()
    ):
        return nullcontext(None)
    return open_store(store)


@dataclass
class Prepared:
    """A survey file sorted out once: answers, weights, placement, names, residents.

    Everything after this is row by row, so any subset of the rows (a slice of
    ``--by``) is analysed exactly as a file holding only those rows would be, given the
    same area (:meth:`result`)."""

    frame: pd.DataFrame
    options: SurveyOptions
    name: str
    answers: list[ans.Answers]
    weights: np.ndarray
    placement: place.Placement
    names: dict[str, str]
    population: Population
    areas: list[tuple[str, str]]

    def result(
        self,
        rows: np.ndarray | None = None,
        name: str | None = None,
        groups: dict[str, list[str]] | None = None,
    ) -> SurveyResult:
        """The survey result of ``rows`` (a boolean mask; default all rows); ``groups``
        per question: rows to keep in the table even if nobody is in them."""
        keep = np.ones(len(self.frame), dtype=bool) if rows is None else np.asarray(rows, bool)
        opt, pop = self.options, self.population
        answers = [_subset(a, keep) for a in self.answers]
        placement = _placement_subset(self.placement, keep)
        part = Population(pop.residents, pop.in_area[keep], pop.note)
        cfg = Settings(level=opt.level, confidence=opt.confidence, min_n=opt.min_n)
        table = analyse(placement.codes, self.weights[keep], answers, self.names, part, cfg, groups)
        notes = [*placement.notes, *_label_notes(answers), *([pop.note] if pop.note else [])]
        return SurveyResult(
            table=table,
            input_name=name or self.name,
            n_rows=int(keep.sum()),
            options=opt,
            placement=placement.counts(),
            placed_by=placement.how,
            accounting=_accounting(answers, placement),
            areas=self.areas,
            notes=notes,
        )


def _subset(a: ans.Answers, keep: np.ndarray) -> ans.Answers:
    """One question's answers of the rows kept (positive labels absent: the file's)."""
    if keep.all():
        return a
    return dataclasses.replace(
        a, positive=a.positive[keep], missing=a.missing[keep], dont_know=a.dont_know[keep]
    )


def _placement_subset(p: place.Placement, keep: np.ndarray) -> place.Placement:
    if keep.all():
        return p
    return place.Placement(
        codes=p.codes[keep].reset_index(drop=True),
        oas=None if p.oas is None else p.oas[keep].reset_index(drop=True),
        status=p.status[keep].reset_index(drop=True),
        how=p.how,
        notes=list(p.notes),
    )


def prepare(s: Store | None, frame: pd.DataFrame, opt: SurveyOptions, name: str) -> Prepared:
    """Read answers and weights, place every row and count the area's residents."""
    if frame.empty:
        raise InputFileError(f"{name}: has a header but no data rows")
    columns = [str(c) for c in frame.columns]
    frame.columns = columns
    questions = list(dict.fromkeys(ans.find_column(columns, q, "question") for q in opt.questions))
    rule = ans.parse_positive(opt.positive)
    dk = ans.DONT_KNOW | {ans.norm_label(x) for x in opt.dont_know}
    answers = [ans.classify(frame[q], q, rule, dk) for q in questions]
    ans.check_labels(answers, rule, {q: frame[q] for q in questions})
    weights = (
        ans.read_weights(frame[ans.find_column(columns, opt.weight, "weight")], opt.weight)
        if opt.weight
        else np.ones(len(frame))
    )
    placement = _place(s, frame, columns, opt, name)
    level_names = _names(s, opt)
    if opt.edition == "2011" and not level_names:
        placement.notes.append(
            "2011 OAC names are not in the store: ingest the official "
            "oac2011_names.csv to see them (codes shown instead)"
        )
    pop, areas = _population(s, placement, opt)
    placement.notes.extend(_area_notes(s, areas))
    return Prepared(frame, opt, name, answers, weights, placement, level_names, pop, areas)


def _place(
    s: Store | None, frame: pd.DataFrame, columns: list[str], opt: SurveyOptions, name: str
) -> place.Placement:
    if opt.group_column:
        col = ans.find_column(columns, opt.group_column, "group")
        other = "2011" if opt.edition == "2021" else "2021"
        mine = names_for(opt.edition, _loaded_names(s, opt.edition))
        theirs = names_for(other, _loaded_names(s, other))
        return place.by_group_column(frame, col, opt.edition, opt.level, mine, theirs)
    if s is None:
        raise OacInsightError("placing respondents by postcode or output area needs a store")
    if opt.oa_column:
        col = ans.find_column(columns, opt.oa_column, "output area")
        return place.by_oa(s, frame, col, opt.edition, opt.level)
    pc_col = (
        ans.find_column(columns, opt.postcode_column, "postcode") if opt.postcode_column else None
    )
    return place.by_postcode(s, frame, pc_col, opt.edition, opt.level, name)


def _loaded_names(s: Store | None, edition: str) -> pd.DataFrame:
    if s is None:
        return pd.DataFrame(columns=["level", "code", "name"])
    return oac11.names(s.con) if edition == "2011" else surveys.names_2021(s.con)


def _names(s: Store | None, opt: SurveyOptions) -> dict[str, str]:
    """Code (as the edition writes it) → name, at the chosen level."""
    found = names_for(opt.edition, _loaded_names(s, opt.edition))
    out = {}
    for (level, code), text in found.items():
        if level == opt.level:
            out[code.upper() if opt.edition == "2011" else code.lower()] = text
    return out


def _population(
    s: Store | None, placement: place.Placement, opt: SurveyOptions
) -> tuple[Population, list[tuple[str, str]]]:
    everyone = np.ones(len(placement.codes), dtype=bool)
    if s is None:
        return Population(
            None,
            everyone,
            "no store: the representation index needs the "
            "census residents (run 'oacinsight data ingest')",
        ), []
    codes = list(opt.areas) or _default_areas(s, placement)
    if not codes:
        why = (
            "give --area for the representation index (group codes do not say where "
            "respondents live)"
            if placement.oas is None
            else "no local authority is known for the respondents' output areas"
        )
        return Population(None, everyone, why), []
    for code in codes:
        if surveys.area_kind(s, code)[1] == 0:
            raise InputFileError(
                f"area code {code} is not known to the store (use a local "
                "authority, region, ward or country GSS code)"
            )
    names = surveys.area_names(s.con, codes)
    areas = [(c, names.get(c, c)) for c in codes]
    oas = surveys.area_oas(s, codes)
    residents, why = _residents(s, opt, oas)
    in_area = everyone
    if placement.oas is not None:
        inside = set(oas)
        in_area = placement.oas.map(lambda o: o in inside).to_numpy(dtype=bool)
    return Population(residents, in_area, why), areas


def _area_notes(s: Store | None, areas: list[tuple[str, str]]) -> list[str]:
    """Plain lines when a chosen area is only partly in the store, and when it has no
    name loaded (its code is shown)."""
    if s is None or not areas:
        return []
    from oacinsight.areas.coverage_notes import profile_coverage_lines

    covers = "the residents behind the representation index and post-stratified shares cover"
    return profile_coverage_lines(s, [c for c, _ in areas], dict(areas), covers=covers)


def _residents(s: Store, opt: SurveyOptions, oas: list[str]) -> tuple[dict | None, str]:
    if opt.edition == "2011" and not oac11.has_oac11(s.con):
        return None, (
            "no 2011 OAC in the store's postcode directory: ingest the NSPL or "
            "ONSPD again to get the representation index by 2011 group"
        )
    table = surveys.residents_by_subgroup(s.con, opt.edition, oas)
    if table is None:
        return None, (
            "no census table TS001 in the store: ingest ts001 for the "
            "representation index and the post-stratified share"
        )
    out: dict[str, float] = {}
    for sub, n in table.itertuples(index=False):
        key = roll_up(str(sub), opt.level)
        key = key.upper() if opt.edition == "2011" else key.lower()
        out[key] = out.get(key, 0.0) + float(n)
    return out, ""


def _default_areas(s: Store, placement: place.Placement) -> list[str]:
    """The local authorities holding at least 1% of the placed respondents."""
    if placement.oas is None:
        return []
    oas = placement.oas.dropna()
    lads = surveys.oa_authorities(s.con, sorted(set(oas)))
    per = oas.map(dict(zip(lads["oa"], lads["lad"], strict=True))).dropna().value_counts()
    keep = per[per >= AREA_MIN_SHARE * per.sum()]
    return sorted(keep.index, key=lambda c: (-per[c], c))


def _accounting(answers: list[ans.Answers], placement: place.Placement) -> pd.DataFrame:
    """Per question: rows answered and placed, answered but not placed, missing, don't know."""
    placed = (placement.status == "placed").to_numpy()
    rows = []
    for a in answers:
        rows.append(
            {
                "question": a.question,
                "answered_placed": int((a.valid & placed).sum()),
                "answered_not_placed": int((a.valid & ~placed).sum()),
                "missing": int(a.missing.sum()),
                "dont_know": int(a.dont_know.sum()),
            }
        )
    return pd.DataFrame(rows)


def _label_notes(answers: list[ans.Answers]) -> list[str]:
    return [
        f"question {a.question!r}: nobody answered {', '.join(map(repr, a.labels_absent))}"
        for a in answers
        if a.labels_absent
    ]
