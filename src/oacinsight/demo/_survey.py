"""A synthetic resident survey with a known truth, for the demo and the tests.

:func:`synthetic_survey` draws respondents from a population of output areas (real or
Demoshire's) with:

* a known satisfaction per supergroup (``TRUE_SHARE``): half-way between older
  residents (+0.09) and younger ones (-0.06), who are 40% and 60% of every group;
* unequal response by supergroup (``RESPONSE``) and twice the response among older
  residents; the design weight undoes the age difference only (0.5 for older
  respondents, with log-normal noise), so the raw overall share leans towards groups
  that answer more and post-stratification to the residents' mix corrects it;
* Likert answers ``1_very poor`` ... ``5_very good`` written with stray spaces and
  mixed case, some blank and some ``9_dont_know``.

The truth returned holds the share per supergroup, the overall share of residents, and
the representation index each group should show.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["LIKERT", "POSITIVE", "RESPONSE", "TRUE_SHARE", "synthetic_survey", "write_demo_survey"]

TRUE_SHARE: dict[str, float] = {
    "1": 0.80,
    "2": 0.72,
    "3": 0.58,
    "4": 0.46,
    "5": 0.64,
    "6": 0.66,
    "7": 0.50,
    "8": 0.42,
}
RESPONSE: dict[str, float] = {
    "1": 0.30,
    "2": 0.24,
    "3": 0.12,
    "4": 0.06,
    "5": 0.15,
    "6": 0.16,
    "7": 0.09,
    "8": 0.08,
}
LIKERT = ("1_very poor", "2_poor", "3_fair", "4_good", "5_very good")
POSITIVE = "4_good,5_very good"
OLDER, OLDER_LIFT, YOUNGER_DROP = 0.4, 0.09, 0.06


def _likert(rng: np.random.Generator, positive: np.ndarray) -> list[str]:
    """A Likert label per answer, messily written (spaces, case)."""
    good = rng.choice(LIKERT[3:], size=positive.size)
    bad = rng.choice(LIKERT[:3], size=positive.size)
    labels = np.where(positive, good, bad).astype(object)
    mess = rng.random(positive.size)
    labels[mess < 0.1] = [f"  {v} " for v in labels[mess < 0.1]]
    upper = (mess >= 0.1) & (mess < 0.2)
    labels[upper] = [v.upper() for v in labels[upper]]
    title = (mess >= 0.2) & (mess < 0.3)
    labels[title] = [v.title() for v in labels[title]]
    return labels.tolist()


def _answers(rng: np.random.Generator, p: np.ndarray) -> list[str]:
    y = rng.random(p.size) < p
    labels = _likert(rng, y)
    u = rng.random(p.size)
    return [
        "" if x < 0.03 else "9_dont_know" if x < 0.07 else lab
        for x, lab in zip(u, labels, strict=True)
    ]


def synthetic_survey(
    rng: np.random.Generator, postcodes: pd.DataFrame, residents: pd.Series, n: int
) -> tuple[pd.DataFrame, dict]:
    """Draw ``n`` respondents.

    Parameters
    ----------
    postcodes : DataFrame
        ``pcds, oa`` of live postcodes (respondents' addresses).
    residents : Series
        Residents per output area, indexed by OA, with a ``supergroup`` per OA given as
        ``residents.attrs['supergroup']`` (a Series indexed by OA).

    Returns
    -------
    (DataFrame, dict)
        The survey (``respondent_id, postcode, q1_satisfaction, q2_safety, weight,
        age_band``) and its truth.
    """
    sg = residents.attrs["supergroup"].reindex(residents.index).astype(str)
    oas = residents.index[residents.index.isin(set(postcodes["oa"])) & sg.isin(RESPONSE)]
    r, sgs = residents[oas].to_numpy(float), sg[oas].to_numpy()
    rate = np.array([RESPONSE[s] for s in sgs])
    pick = rng.choice(len(oas), size=n, p=r * rate / (r * rate).sum())
    older = rng.random(n) < OLDER * 2 / (OLDER * 2 + (1 - OLDER))
    group = sgs[pick]
    base = np.array([TRUE_SHARE[s] for s in group])
    p1 = np.where(older, base + OLDER_LIFT, base - YOUNGER_DROP)
    by_oa = postcodes.groupby("oa")["pcds"].apply(list)
    chosen = [by_oa[oas[i]][rng.integers(len(by_oa[oas[i]]))] for i in pick]
    weight = np.where(older, 0.5, 1.0) * rng.lognormal(-0.02, 0.2, n)
    frame = pd.DataFrame(
        {
            "respondent_id": [f"R{i + 1:05d}" for i in range(n)],
            "postcode": chosen,
            "q1_satisfaction": _answers(rng, p1),
            "q2_safety": _answers(rng, np.clip(p1 - 0.1, 0.02, 0.98)),
            "weight": np.round(weight, 4),
            "age_band": np.where(older, "65+", "16-64"),
        }
    )
    return frame, _truth(r, sgs, rate, n)


def _truth(r: np.ndarray, sgs: np.ndarray, rate: np.ndarray, n: int) -> dict:
    pop = pd.Series(r).groupby(sgs).sum()
    share = pop / pop.sum()
    resp = pd.Series(r * rate).groupby(sgs).sum()
    resp = resp / resp.sum()
    return {
        "n": n,
        "share_by_supergroup": {s: TRUE_SHARE[s] for s in pop.index},
        "overall_share": float(sum(share[s] * TRUE_SHARE[s] for s in pop.index)),
        "representation_index": {s: float(resp[s] / share[s]) for s in pop.index},
        "resident_share": {s: float(v) for s, v in share.items()},
    }


def write_demo_survey(
    postcode_directory: Path,
    oac_assignment: Path,
    ts001: Path,
    out: Path,
    *,
    seed: int = 2021,
    n: int = 2500,
) -> dict:
    """Write Demoshire's resident survey (CSV) from the demo's own files; return truth."""
    rng = np.random.Generator(np.random.PCG64(seed + 11))
    nspl = pd.read_csv(postcode_directory, dtype=str, usecols=["pcds", "oa11", "doterm"])
    live = nspl[nspl["doterm"].isna()].rename(columns={"oa11": "oa"})
    oac = pd.read_parquet(oac_assignment).set_index("Geography_Code")["Supergroup"]
    census = pd.read_parquet(ts001).set_index("OA")["ts0010001"]
    census.attrs["supergroup"] = oac.astype(str)
    frame, truth = synthetic_survey(rng, live[["pcds", "oa"]], census, n)
    out.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(out, index=False)
    return truth


def run_demo_survey(files, store: Path, results: Path, *, seed: int = 2021) -> dict[str, Path]:
    """Write Demoshire's survey and analyse it as ``oacinsight survey`` would (by
    postcode, weighted, two questions); return the paths written."""
    from oacinsight.survey import SurveyOptions, survey_file

    survey = files.root / "survey" / "demoshire_resident_survey.csv"
    write_demo_survey(
        files.postcode_directory,
        files.oac_assignment,
        files.census_dir / "ts001.parquet",
        survey,
        seed=seed,
    )
    options = SurveyOptions(
        questions=("q1_satisfaction", "q2_safety"), positive=POSITIVE, weight="weight"
    )
    result = survey_file(survey, options, store=store)
    out = {"survey_input": survey}
    for suffix in ("csv", "html", "png"):
        out[f"survey_{suffix}"] = result.write(results / f"survey_supergroup.{suffix}")
    return out
