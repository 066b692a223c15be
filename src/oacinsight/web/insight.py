"""The calls of the survey and need pages and API (issues 11 and 12): parse the form
into the library's options (one-line errors naming the field), run one library
function on the shared store, cache the result per upload."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from oacinsight.errors import InputFileError, OacInsightError
from oacinsight.need import NeedOptions, NeedResult, TargetRules, need_file
from oacinsight.survey import SurveyOptions, SurveyResult, survey_frame
from oacinsight.tabular import open_input
from oacinsight.web import core
from oacinsight.web.state import Upload, WebState

PLACED_BY = ("postcode", "oa", "group")
SURVEY_LEVELS = ("supergroup", "group", "subgroup")
NEED_BASES = ("residents", "households")
TARGET_TYPES = ("oa", "lsoa", "ward")
#: Distinct answers listed as choices of positive answers (more: type them).
MAX_CHOICES = 30


def _int(field: str, value: str | int | None, default: int, low: int, high: int) -> int:
    if value in (None, ""):
        return default
    try:
        number = int(str(value).strip())
    except ValueError:
        raise OacInsightError(f"{field}: {str(value)[:30]!r} is not a whole number") from None
    if not low <= number <= high:
        raise OacInsightError(f"{field}: must be from {low} to {high}, not {number}")
    return number


def _choice(field: str, value: str | None, choices: tuple[str, ...], default: str) -> str:
    text = (value or default).strip().lower()
    if text not in choices:
        raise OacInsightError(f"{field}: {text[:30]!r} is not one of {', '.join(choices)}")
    return text


def survey_options(
    questions: list[str],
    positive: str | None,
    placed_by: str | None,
    column: str | None,
    edition: str | None,
    level: str | None,
    weight: str | None,
    area: str | None,
    min_n: str | int | None,
) -> SurveyOptions:
    """The form's fields as :class:`SurveyOptions` (the options of ``oacinsight survey``)."""
    chosen = tuple(q.strip() for q in questions if q and q.strip())
    if not chosen:
        raise OacInsightError("question: choose at least one question column")
    if not (positive or "").strip():
        raise OacInsightError("positive: give the positive answers (labels or e.g. >=4)")
    by = _choice("placed_by", placed_by, PLACED_BY, "postcode")
    col = (column or "").strip() or None
    if by != "postcode" and col is None:
        raise OacInsightError(f"column: name the {'OA' if by == 'oa' else 'group'} column")
    options = SurveyOptions(
        questions=chosen,
        positive=str(positive).strip(),
        postcode_column=col if by == "postcode" else None,
        oa_column=col if by == "oa" else None,
        group_column=col if by == "group" else None,
        edition=_choice("edition", edition, ("2021", "2011"), "2021"),
        level=_choice("level", level, SURVEY_LEVELS, "supergroup"),
        weight=(weight or "").strip() or None,
        areas=core.area_codes(area),
        min_n=_int("min_n", min_n, 30, 1, 100_000),
    )
    options.check()
    return options


def survey_query(options: SurveyOptions) -> list[tuple[str, str]]:
    """URL query of these options (for downloads and the form)."""
    pairs = [("question", q) for q in options.questions]
    by, col = next(
        (
            (k, v)
            for k, v in (
                ("postcode", options.postcode_column),
                ("oa", options.oa_column),
                ("group", options.group_column),
            )
            if v
        ),
        ("postcode", None),
    )
    pairs += [
        ("positive", options.positive),
        ("placed_by", by),
        ("column", col or ""),
        ("edition", options.edition),
        ("level", options.level),
        ("weight", options.weight or ""),
        ("area", ",".join(options.areas)),
        ("min_n", str(options.min_n)),
    ]
    return [(k, v) for k, v in pairs if v != ""]


def survey_table(state: WebState, upload: Upload) -> pd.DataFrame:
    """The uploaded survey as ``oacinsight survey`` reads it (cached)."""
    if "survey_frame" not in upload.results:
        with core.named(upload), state.job() as store, open_input(upload.raw) as src:
            from oacinsight.store import surveys

            upload.results["survey_frame"] = surveys.read_frame(store.con, src)
    return upload.results["survey_frame"]


def answer_choices(frame: pd.DataFrame, questions: tuple[str, ...] | list[str]) -> list[str]:
    """Distinct answers of the chosen question columns (trimmed), for the positive
    answers' choices; none when there are too many (a numeric scale: use a threshold)."""
    from oacinsight.survey.answers import norm_label

    seen: dict[str, str] = {}  # as compared: trimmed, lower case
    for q in questions:
        if q in frame.columns:
            for v in frame[q].dropna().astype(str).str.strip().unique():
                if v:
                    seen.setdefault(norm_label(v), v)
                if len(seen) > MAX_CHOICES:
                    return []
    return sorted(seen)


def run_survey(state: WebState, upload: Upload, options: SurveyOptions) -> SurveyResult:
    """``survey_file`` on the upload with these options (cached per options)."""
    key = ("survey", options)
    if key not in upload.results:
        frame = survey_table(state, upload)
        with core.named(upload), state.job() as store:
            upload.results[key] = survey_frame(frame, options, store=store, name=upload.name)
    return upload.results[key]


def survey_view(result: SurveyResult) -> dict[str, Any]:
    """Group rows and overall rows (raw, post-stratified with the Rao–Scott test)."""
    frame = result.to_frame()
    overall = frame["flag"].astype(str) == "overall"
    return {
        "rows": core.records(frame[~overall]),
        "overall": core.records(frame[overall]),
        "columns": list(frame.columns),
    }


NEED_SOURCES = ("customers", "rates", "survey")


def _float(field: str, value: Any, default: float, low: float, high: float) -> float:
    if value in (None, ""):
        return default
    try:
        number = float(str(value).strip())
    except ValueError:
        raise OacInsightError(f"{field}: {str(value)[:30]!r} is not a number") from None
    if not (low <= number <= high):  # NaN fails too
        raise OacInsightError(f"{field}: must be from {low:g} to {high:g}, not {number:g}")
    return number


def _text(values: Mapping[str, Any], key: str) -> str:
    return str(values.get(key) or "").strip()


@dataclass(frozen=True)
class NeedForm:
    """The need page's options: those of ``oacinsight need``.  The rates come from the
    upload's customers, from an uploaded rates file (``--rates``) or from an uploaded
    survey (``--survey-question``); files are named by their upload tokens."""

    areas: tuple[str, ...] = ()
    level: str = "group"
    base: str = "residents"
    source: str = "customers"
    rates: str = ""  # token of the uploaded rates file (source "rates")
    survey: str = ""  # token of the uploaded survey (source "survey")
    question: str = ""
    positive: str = ""
    weight: str = ""
    observed: str = ""  # token of the uploaded observed file
    observed_count: str = ""
    target_type: str = "lsoa"
    top: int = 20
    min_expected: float = 10.0
    max_ratio: float = 1.0
    min_shortfall: float = 0.0
    suppress_below: int = 10
    by: str = ""  # compare by this column (``--by``)
    period: str = ""  # or by period of this date column (``--period``)
    freq: str = "year"  # the periods of ``period`` (``--freq``)

    @classmethod
    def parse(cls, values: Mapping[str, Any], default_source: str = "customers") -> NeedForm:
        """Check each field (a query or form mapping); one-line errors naming the field.
        Whether the source has what it needs is :meth:`check`'s (run before a run)."""
        return cls(
            areas=core.area_codes(values.get("area")),
            level=_choice("level", values.get("level"), SURVEY_LEVELS, "group"),
            base=_choice("base", values.get("base"), NEED_BASES, "residents"),
            source=_choice("source", values.get("source"), NEED_SOURCES, default_source),
            rates=_text(values, "rates"),
            survey=_text(values, "survey"),
            question=_text(values, "question"),
            positive=_text(values, "positive"),
            weight=_text(values, "weight"),
            observed=_text(values, "observed"),
            observed_count=_text(values, "observed_count"),
            target_type=_choice("target_type", values.get("target_type"), TARGET_TYPES, "lsoa"),
            top=_int("top", values.get("top"), 20, 1, 1000),
            min_expected=_float("min_expected", values.get("min_expected"), 10.0, 0, 1e12),
            max_ratio=_float("max_ratio", values.get("max_ratio"), 1.0, 0, 1e6),
            min_shortfall=_float("min_shortfall", values.get("min_shortfall"), 0.0, -1e12, 1e12),
            suppress_below=_int("suppress_below", values.get("suppress_below"), 10, 0, 1000),
            **slice_fields(values),
        )

    @property
    def sliced(self) -> bool:
        """Whether the need is compared by a column or by period."""
        return bool(self.by or self.period)

    def check(self) -> None:
        """What a source needs, as one line naming the field."""
        if self.sliced and (self.source != "customers" or self.observed):
            raise OacInsightError(
                f"{'by' if self.by else 'period'}: compare by works on the customers of this "
                "file alone (not with a rates file, a survey or an observed file); for a "
                "survey use compare by on the survey page"
            )
        if self.source == "rates" and not self.rates:
            raise OacInsightError("rates: upload a rates file (a rates.csv of another run)")
        if self.source == "rates" and not self.areas:
            raise OacInsightError("area: choose the area the rates are applied to")
        if self.source == "survey":
            if not self.survey:
                raise OacInsightError("survey: choose an uploaded survey")
            if not self.question:
                raise OacInsightError("question: choose the survey column that marks the need")
            if not self.positive:
                raise OacInsightError("positive: give the answers that mean the need (or >=4)")

    def options(self, observed_path: str | None, postcode_column: str | None = None) -> NeedOptions:
        """As the library's :class:`NeedOptions` (``rates`` is filled by :func:`run_need`)."""
        survey = self.source == "survey"
        return NeedOptions(
            areas=self.areas,
            level=self.level,
            base=self.base,
            observed=observed_path,
            observed_count=self.observed_count or None,
            survey_question=self.question if survey else None,
            positive=self.positive if survey else None,
            weight=(self.weight or None) if survey else None,
            postcode_column=postcode_column,
            rules=TargetRules(
                area_type=self.target_type,
                top=self.top,
                min_expected=self.min_expected,
                max_ratio=self.max_ratio,
                min_shortfall=self.min_shortfall,
            ),
            suppress_below=self.suppress_below,
        )

    def query(self) -> dict[str, Any]:
        """URL query of these options (the defaults left out)."""
        default = NeedForm()
        values = {k: getattr(self, k) for k in self.__dataclass_fields__ if k != "areas"}
        values = {k: v for k, v in values.items() if v != getattr(default, k)}
        if self.source != "customers":
            values["source"] = self.source
        if self.areas:
            values["area"] = ",".join(self.areas)
        return {k: (f"{v:g}" if isinstance(v, float) else v) for k, v in values.items()}


def run_need(state: WebState, upload: Upload, form: NeedForm) -> NeedResult:
    """``need_file`` with the form's source of rates (cached per options on the page's
    upload): the upload's matched customers, an uploaded rates file or a survey."""
    key = ("need", form)
    if key in upload.results:
        return upload.results[key]
    form.check()
    observed = str(state.get(form.observed).raw) if form.observed else None
    options = form.options(observed)
    if form.source == "customers":
        if upload.summary is None:
            raise InputFileError(
                "this upload has not been matched: upload a customer file "
                "with postcodes on the home page, or take the rates from a survey or a file"
            )
        source, path, label = upload, str(upload.matched), f"customers in {upload.name}"
    elif form.source == "rates":
        source, path = state.get(form.rates), None
        options = replace(options, rates=str(source.raw))
        label = f"rates file {source.name}"
    else:
        source = state.get(form.survey)
        path, label = str(source.raw), f"survey answers to {form.question!r} in {source.name}"
    with core.named(source), state.job() as store:
        result = need_file(path, options, store=store)
    result.source = label
    upload.results[key] = result
    return result


def survey_uploads(state: WebState) -> list[tuple[str, str, list[str]]]:
    """Uploads that are not matched customer files (surveys), newest first:
    ``(token, name, columns)``."""
    out = []
    for up in reversed(list(state.uploads.values())):
        if up.summary is None and "survey_frame" in up.results:
            out.append((up.token, up.name, [str(c) for c in up.results["survey_frame"].columns]))
    return out


def need_view(result: NeedResult) -> dict[str, Any]:
    """What the need page shows: rates, targets, the reach sentence."""
    from oacinsight.need.figures import gains_figure
    from oacinsight.reports.charts import png_bytes, png_data_uri

    reach = result.reach(0.2)
    sentence = (
        f"Contact 20% of households, in target-list order, to reach "
        f"{100 * reach['expected']:.0f}% of the expected need"
        + (f" and {100 * reach['shortfall']:.0f}% of the shortfall" if "shortfall" in reach else "")
        + "."
    )
    gains = png_bytes(gains_figure(result.gains, result.has_observed, reach["expected"]), dpi=110)
    rates = result.published_rates()
    return {
        "rates": core.records(rates[rates["level"] == result.level]),
        "targets": core.records(result.published_targets()),
        "reach_sentence": sentence,
        "gains_uri": png_data_uri(gains),
        "map_uri": png_data_uri(result.map_png) if result.map_png else None,
    }


NEED_FILES = ("rates", "expected", "targets", "gains")


def slice_fields(values: Mapping[str, Any]) -> dict[str, str]:
    """``by``, ``period`` and ``freq`` of a form or query (``--by``, ``--period``,
    ``--freq``): at most one column; ``freq`` other than year only with ``period``."""
    from oacinsight.profile.periods import FREQS

    by, period = _text(values, "by"), _text(values, "period")
    freq = _choice("freq", values.get("freq"), FREQS, "year")
    if by and period:
        raise OacInsightError("by: compare by a column or by period of a date column, not both")
    if freq != "year" and not period:
        raise OacInsightError(f"freq: {freq} goes with period (a date column)")
    return {"by": by, "period": period, "freq": freq}
