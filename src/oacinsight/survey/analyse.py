"""The survey table: per question and OAC group, the weighted share with its interval,
the difference from the overall share, the representation index and flags; per
question, the overall and post-stratified shares and the Rao–Scott test.

Pure: arrays in, an unsuppressed table out.  Suppression is applied when publishing
(:mod:`oacinsight.survey.disclose`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from oacinsight.survey.answers import Answers
from oacinsight.survey.stats import (
    Share,
    difference_test,
    interval,
    rao_scott,
    weighted_share,
)

__all__ = ["COLUMNS", "Population", "Settings", "analyse"]

#: Output columns, in order (the first twelve named in issue 11 are a public contract).
COLUMNS: tuple[str, ...] = (
    "question",
    "code",
    "name",
    "respondents",
    "weighted_n",
    "share",
    "share_low",
    "share_high",
    "diff_from_overall",
    "p_value",
    "representation_index",
    "flag",
    "level",
    "effective_n",
    "respondent_share",
    "resident_share",
    "note",
)
#: A group is flagged under-represented below this representation index.
UNDER_REPRESENTED = 0.8


@dataclass(frozen=True)
class Settings:
    """How the table is computed."""

    level: str = "supergroup"
    confidence: float = 0.95
    method: str = "wilson"
    min_n: int = 30
    under: float = UNDER_REPRESENTED


@dataclass(frozen=True)
class Population:
    """Residents per group of the survey's area, and which respondents live in it."""

    residents: dict[str, float] | None  # None: unknown (reason in ``note``)
    in_area: np.ndarray  # bool per row (all True when the area is not told by geography)
    note: str = ""


def _row(question: str, code: str, name: str, s: Share, level: str) -> dict:
    return {
        "question": question,
        "code": code,
        "name": name,
        "respondents": s.n,
        "weighted_n": s.weighted_n,
        "share": s.share,
        "level": level,
        "effective_n": s.effective_n,
        "note": "",
    }


def _group_rows(
    q: Answers,
    codes: np.ndarray,
    w: np.ndarray,
    valid: np.ndarray,
    universe: list[str],
    names: dict[str, str],
    cfg: Settings,
) -> list[dict]:
    y = np.nan_to_num(q.positive)
    overall = weighted_share(w[valid], y[valid])
    rows = []
    for code in universe:
        mine = valid & (codes == code)
        s = weighted_share(w[mine], y[mine])
        row = _row(q.question, code, names.get(code, code), s, cfg.level)
        low, high = interval(s, cfg.confidence, cfg.method)
        row.update(share_low=low, share_high=high, diff_from_overall=s.share - overall.share)
        rest = weighted_share(w[valid & ~mine], y[valid & ~mine])
        row["p_value"] = difference_test(s, rest, overall.share)
        if s.n == 0:
            row["note"] = "no respondents in this group"
        rows.append(row)
    return rows


def _represent(
    rows: list[dict], codes: np.ndarray, valid: np.ndarray, pop: Population, cfg: Settings
) -> None:
    """Fill respondent share, resident share, representation index and flags."""
    inside = valid & pop.in_area
    n_in = int(inside.sum())
    res = pop.residents or {}
    total = float(sum(res.values()))
    for row in rows:
        n_g = int((inside & (codes == row["code"])).sum())
        row["respondent_share"] = n_g / n_in if n_in else np.nan
        share = res.get(row["code"], 0.0) / total if total else np.nan
        row["resident_share"] = share if pop.residents is not None else np.nan
        if pop.residents is None:
            row["representation_index"] = np.nan
            row["note"] = "; ".join(x for x in (row["note"], pop.note) if x)
        elif not share:
            row["representation_index"] = np.nan
            row["note"] = "; ".join(
                x for x in (row["note"], "no residents of this group in the area") if x
            )
        else:
            row["representation_index"] = row["respondent_share"] / share
        row["flag"] = _flags(row, cfg)


def _flags(row: dict, cfg: Settings) -> str:
    flags = []
    if row["respondents"] == 0:
        flags.append("no_respondents")
    elif row["respondents"] < cfg.min_n:
        flags.append("low_n")
    index = row.get("representation_index")
    if index is not None and np.isfinite(index) and index < cfg.under:
        flags.append("under_represented")
    return ";".join(flags)


def _overall_rows(
    q: Answers, codes: np.ndarray, w: np.ndarray, valid: np.ndarray, pop: Population, cfg: Settings
) -> list[dict]:
    """The raw weighted overall share (with the Rao–Scott p-value) and, where the
    residents are known, the share post-stratified to their group mix."""
    y = np.nan_to_num(q.positive)
    s = weighted_share(w[valid], y[valid])
    row = _row(q.question, "all", "All respondents (weighted)", s, "overall")
    row["share_low"], row["share_high"] = interval(s, cfg.confidence, cfg.method)
    test = rao_scott(codes[valid], w[valid], y[valid])
    row.update(p_value=test.f_p, flag="overall", note=_rao_scott_note(test))
    rows = [row]
    ps = _poststratified(q, codes, w, valid, pop, cfg)
    if ps is not None:
        ps["diff_from_overall"] = ps["share"] - s.share
        rows.append(ps)
    return rows


def _rao_scott_note(test) -> str:
    if not np.isfinite(test.f):
        return "p_value: Rao-Scott test not possible (one group, or every answer alike)"
    return (
        f"p_value: Rao-Scott test that the share is the same in every group: "
        f"F = {test.f:.2f} on {test.f_df[0]:.2f} and {test.f_df[1]:.0f} df; first-order "
        f"chi-square {test.chisq:.2f} on {test.df} df, p = {test.chisq_p:.3g}; mean "
        f"design effect {test.mean_deff:.2f}"
    )


def poststratify_weights(
    codes: np.ndarray, w: np.ndarray, residents: dict[str, float]
) -> tuple[np.ndarray, float]:
    """Weights reweighted so each group's weight share is its share of residents
    (over the groups with respondents); returns them and the resident share covered."""
    present = [c for c in pd.unique(codes) if c in residents and residents[c] > 0]
    covered = sum(residents[c] for c in present)
    total = sum(residents.values())
    out = np.zeros_like(w)
    w_total = sum(w[codes == c].sum() for c in present)
    for c in present:
        mine = codes == c
        out[mine] = w[mine] * (residents[c] / covered) / (w[mine].sum() / w_total)
    return out, (covered / total if total else 0.0)


def _poststratified(
    q: Answers, codes: np.ndarray, w: np.ndarray, valid: np.ndarray, pop: Population, cfg: Settings
) -> dict | None:
    if not pop.residents:
        return None
    y = np.nan_to_num(q.positive)
    ps_w, covered = poststratify_weights(codes[valid], w[valid], pop.residents)
    keep = ps_w > 0
    s = weighted_share(ps_w[keep], y[valid][keep])
    row = _row(q.question, "all_poststratified", "All, post-stratified to residents", s, "overall")
    row["share_low"], row["share_high"] = interval(s, cfg.confidence, cfg.method)
    row["flag"] = "overall"
    row["note"] = (
        f"groups reweighted to the residents' mix; they hold {covered:.1%} of the "
        "residents"
        + ("" if covered > 0.999 else " (groups with no respondents cannot be represented)")
    )
    return row


def analyse(
    codes: pd.Series,
    weights: np.ndarray,
    answers: list[Answers],
    names: dict[str, str],
    pop: Population,
    cfg: Settings,
    groups: dict[str, list[str]] | None = None,
) -> pd.DataFrame:
    """The unsuppressed survey table, one block of rows per question.

    ``groups`` (per question) adds rows for groups nobody in these rows placed there:
    a slice of ``--by`` keeps every row of the overall table, so a missing row never
    tells that a count is zero."""
    c = codes.astype(object).to_numpy()
    placed = np.array([isinstance(x, str) for x in c])
    c = np.where(placed, c, "")
    frames = []
    for q in answers:
        valid = q.valid & placed
        more = set((groups or {}).get(q.question, ()))
        universe = sorted(set(c[valid]) | set((pop.residents or {}).keys()) | more)
        rows = _group_rows(q, c, weights, valid, universe, names, cfg)
        _represent(rows, c, valid, pop, cfg)
        rows += _overall_rows(q, c, weights, valid, pop, cfg)
        frames.append(pd.DataFrame(rows))
    table = pd.concat(frames, ignore_index=True)
    for col in COLUMNS:
        if col not in table.columns:
            table[col] = np.nan
    table["flag"] = table["flag"].fillna("")
    return table[list(COLUMNS)]
