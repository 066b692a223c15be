"""Read a survey's columns: find them by name, sort each answer into positive, other,
missing or "don't know", and check the design weights.

Labels are compared after trimming, folding case and collapsing inner spaces, so
``" 4_Excellent "`` and ``"4_excellent"`` are the same answer.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from oacinsight.errors import InputFileError, OacInsightError

__all__ = [
    "DONT_KNOW",
    "Answers",
    "PositiveRule",
    "classify",
    "find_column",
    "parse_positive",
    "read_weights",
]

#: Answers counted as "don't know" (after normalising), then excluded from the share.
DONT_KNOW: frozenset[str] = frozenset(
    {
        "don't know",
        "dont know",
        "do not know",
        "don’t know",
        "dk",
        "not sure",
        "no opinion",
        "prefer not to say",
        "refused",
        "not applicable",
        "n/a",
        "na",
        "can't say",
        "cant say",
    }
)
_MISSING: frozenset[str] = frozenset({"", "nan", "none", "null", "-", ".", "missing"})
_OPS = {
    ">=": np.greater_equal,
    ">": np.greater,
    "<=": np.less_equal,
    "<": np.less,
    "=": np.equal,
    "==": np.equal,
}
_NUMBER = re.compile(r"^\s*([-+]?\d+(?:\.\d+)?)(?:$|[\s_.:)\-]+\D)")


def norm_label(value: object) -> str:
    """A label for comparison: text, trimmed, lower case, inner spaces collapsed."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return re.sub(r"\s+", " ", str(value)).strip().casefold()


def _stem(label: str) -> str:
    """A label without a leading answer code (``9_don't know`` → ``don't know``)."""
    return re.sub(r"^\s*[-+]?\d+(\.\d+)?\s*[_.:)\-]*\s*", "", label).replace("_", " ").strip()


def find_column(columns: list[str], requested: str, what: str) -> str:
    """The column named ``requested`` (exact, else trimmed and case-insensitive).

    Raises
    ------
    InputFileError
        Naming the close matches (difflib) or, without any, the columns there are.
    """
    if requested in columns:
        return requested
    loose = [c for c in columns if c.strip().casefold() == requested.strip().casefold()]
    if len(loose) == 1:
        return loose[0]
    close = difflib.get_close_matches(requested, columns, n=3, cutoff=0.6)
    if not close:
        close = difflib.get_close_matches(
            requested.casefold(), [c.casefold() for c in columns], n=3, cutoff=0.6
        )
        close = [c for c in columns if c.casefold() in close]
    hint = (
        f"close matches: {', '.join(close)}"
        if close
        else f"the columns are: {', '.join(columns[:30])}" + (" ..." if len(columns) > 30 else "")
    )
    raise InputFileError(f"{what} column {requested!r} is not in the file; {hint}")


@dataclass(frozen=True)
class PositiveRule:
    """What counts as a positive answer: a set of labels, or a numeric threshold."""

    text: str
    labels: frozenset[str] = frozenset()
    op: str = ""
    threshold: float = float("nan")

    @property
    def numeric(self) -> bool:
        return bool(self.op)


def parse_positive(text: str) -> PositiveRule:
    """``"3_good,4_excellent"`` (labels) or ``">=4"`` (a threshold on numeric answers)."""
    raw = (text or "").strip()
    m = re.fullmatch(r"(>=|<=|==|>|<|=)\s*([-+]?\d+(?:\.\d+)?)", raw)
    if m:
        return PositiveRule(raw, op=m.group(1), threshold=float(m.group(2)))
    labels = frozenset(norm_label(p) for p in raw.split(",") if norm_label(p))
    if not labels:
        raise OacInsightError(
            "--positive needs the positive answers, comma-separated (e.g. "
            '"3_good,4_excellent"), or a threshold on numeric answers (e.g. ">=4")'
        )
    return PositiveRule(raw, labels=labels)


@dataclass(frozen=True)
class Answers:
    """One question's answers sorted out, row by row."""

    question: str
    positive: np.ndarray  # 1.0 positive, 0.0 not, NaN excluded
    missing: np.ndarray  # bool
    dont_know: np.ndarray  # bool
    labels_absent: tuple[str, ...]  # positive labels no respondent gave

    @property
    def valid(self) -> np.ndarray:
        return ~(self.missing | self.dont_know)


def classify(
    values: pd.Series, question: str, rule: PositiveRule, dont_know: frozenset[str] = DONT_KNOW
) -> Answers:
    """Sort one question's answers: positive (1), other (0), missing, don't know."""
    labels = values.map(norm_label)
    missing = labels.isin(_MISSING).to_numpy()
    dk = (~missing) & (labels.isin(dont_know) | labels.map(_stem).isin(dont_know)).to_numpy()
    valid = ~(missing | dk)
    positive = np.full(len(values), np.nan)
    if rule.numeric:
        numbers = labels.map(_leading_number).to_numpy(dtype=float)
        bad = valid & np.isnan(numbers)
        if bad.any():
            examples = ", ".join(repr(v) for v in pd.unique(values[bad].astype(str))[:3])
            raise InputFileError(
                f"question {question!r}: {int(bad.sum()):,} answers are not numbers (e.g. "
                f"{examples}), so --positive {rule.text!r} cannot rank them; give the "
                'positive labels instead, e.g. --positive "4_good,5_very good"'
            )
        positive[valid] = _OPS[rule.op](numbers[valid], rule.threshold).astype(float)
        absent: tuple[str, ...] = ()
    else:
        positive[valid] = labels[valid].isin(rule.labels).to_numpy(dtype=float)
        seen = set(labels[valid])
        absent = tuple(sorted(rule.labels - seen))
    return Answers(question, positive, missing, dk, absent)


def _leading_number(label: str) -> float:
    """``4`` from ``"4"``, ``"4.0"``, ``"4_good"`` or ``"4 - good"``; NaN otherwise."""
    m = _NUMBER.match(label)
    return float(m.group(1)) if m else float("nan")


def check_labels(answers: list[Answers], rule: PositiveRule, values: dict[str, pd.Series]) -> None:
    """Refuse positive labels that look mistyped (no respondent gave them, but a close
    answer exists) or that nobody gave at all (every answer would be negative)."""
    if rule.numeric or not answers:
        return
    never = set.intersection(*(set(a.labels_absent) for a in answers))
    if not never:
        return
    seen = sorted({norm_label(v) for s in values.values() for v in s.dropna().unique()} - {""})
    for label in sorted(never):
        close = difflib.get_close_matches(label, seen, n=3, cutoff=0.8)
        if close:
            raise InputFileError(
                f"--positive answer {label!r} is not among the answers; "
                f"close answers: {', '.join(close)}"
            )
    if never == rule.labels:
        raise InputFileError(
            f"none of the --positive answers ({', '.join(sorted(never))}) is among the "
            f"answers: {', '.join(seen[:12])}" + (" ..." if len(seen) > 12 else "")
        )


def read_weights(values: pd.Series, column: str) -> np.ndarray:
    """Design weights as floats; refuse text, blanks, zeros and negatives in one line."""
    text = values.astype(object).map(
        lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)
    )
    numbers = pd.to_numeric(
        text.str.strip().str.replace(",", "", regex=False), errors="coerce"
    ).to_numpy(dtype=float)
    for problem, bad in (
        ("not a number", ~np.isfinite(numbers) & (text.str.strip() != "")),
        ("blank", text.str.strip() == ""),
        ("zero", numbers == 0),
        ("negative", numbers < 0),
    ):
        if bad.any():
            first = int(np.flatnonzero(bad)[0])
            raise InputFileError(
                f"weight column {column!r}: {int(bad.sum()):,} weights are {problem} (first at "
                f"data row {first + 1}: {text.iloc[first]!r}); design weights must be "
                "positive numbers"
            )
    return numbers
