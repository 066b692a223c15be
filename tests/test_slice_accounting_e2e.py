"""End to end on Demoshire: random small customer files with a few bad postcodes, split
``--by`` a column.  Every output that publishes the rows per slice (JSON, XLSX, the
HTML page, ``slices_by.csv``) shows the same numbers and the same hidden cells, and
the attacker of ``tests.test_slice_accounting`` cannot pin any hidden count.  The
survey's placement and answer counts per slice are attacked together (a row is placed
or not, and answered, missing or don't know)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from tests.test_slice_accounting import NEED_SPEC, PROFILE_SPEC, attack_frame, small_cells
from typer.testing import CliRunner

from oacinsight.cli import app
from oacinsight.need import NeedOptions, need_by_file
from oacinsight.need.disclose import UNMATCHED_STATUSES
from oacinsight.profile.comparison import ALL_LABEL
from oacinsight.profile.run import profile_file

runner = CliRunner()
BAD = {"not_found": "ZZ9 9ZZ", "missing": "", "invalid_format": "NOT A POSTCODE"}


def random_file(raw: pd.DataFrame, rng: np.random.Generator, path) -> pd.DataFrame:
    """A few hundred customers of three services, with 0 to 8 postcodes of each bad
    kind per file (placed at random, so a slice often holds 1 or 2 of them)."""
    services = raw["service"].value_counts().index[:3]
    part = raw[raw["service"].isin(services)]
    part = part.sample(int(rng.integers(150, 400)), random_state=int(rng.integers(1 << 30)))
    part = part.reset_index(drop=True)
    for value in BAD.values():
        k = int(rng.integers(0, 9))
        part.loc[rng.choice(len(part), k, replace=False), "postcode"] = value
    part.to_csv(path, index=False)
    return part


def _frames_agree(frames: list[pd.DataFrame]) -> pd.DataFrame:
    first = frames[0].reset_index(drop=True)
    for other in frames[1:]:
        other = other.reset_index(drop=True)
        assert list(other.columns) == list(first.columns)
        for col in first.columns:
            a = first[col].astype(object).where(first[col].notna(), None).tolist()
            b = other[col].astype(object).where(other[col].notna(), None).tolist()
            a = [x if x is None or isinstance(x, str) else float(x) for x in a]
            b = [x if x is None or isinstance(x, str) else float(x) for x in b]
            assert a == b, col
    return first


@pytest.fixture(scope="module")
def raw(demo) -> pd.DataFrame:
    return pd.read_csv(demo[1].customers, dtype=str, keep_default_na=False)


def _profile_truth(result) -> dict:
    return {
        name: {"in": p.n_in_area, "out": p.n_matched - p.n_in_area, "nm": p.n_input - p.n_matched}
        for name, p in result.slices
    }


@pytest.mark.parametrize("seed", range(3))
def test_profile_by_outputs_withstand_the_attack(demo, raw, tmp_path, seed):
    store, _ = demo
    rng = np.random.default_rng(900 + seed)
    path = tmp_path / "customers.csv"
    random_file(raw, rng, path)
    result = profile_file(path, store=store, by="service")
    res = runner.invoke(app, ["profile", str(path), "--by", "service", "--store", str(store),
                              "-o", str(tmp_path / "cli.json")])  # fmt: skip
    assert res.exit_code == 0, res.output
    cols = ["by", *PROFILE_SPEC]
    from_cli = pd.DataFrame(json.loads((tmp_path / "cli.json").read_text())["slice_counts"])
    from_json = pd.DataFrame(
        json.loads(result.write(tmp_path / "p.json").read_text())["slice_counts"]
    )
    book = pd.read_excel(
        result.write(tmp_path / "p.xlsx"), sheet_name="slices", dtype={"by": str}, engine="openpyxl"
    )
    page = result.write(tmp_path / "p.html").read_text()
    frame = _frames_agree([result.slice_frame(), from_cli[cols], from_json[cols], book[cols]])
    truth = _profile_truth(result)
    for key in small_cells(frame, "by", PROFILE_SPEC, truth):
        name, col = key.split("|")
        assert pd.isna(frame.set_index("by").loc[name, col]), key
    assert attack_frame(frame, "by", PROFILE_SPEC, truth) == []
    hidden = int(frame[cols[1:]].isna().to_numpy().sum())
    assert hidden > 0 and "Records per slice" in page
    assert f"<td>{int(frame.loc[0, 'rows'])}</td>" in page  # the whole file's rows shown


def _need_truth(result) -> dict:
    out = {}
    for name, r in result.slices:
        acc = {k: int(r.accounting.get(k, 0)) for k in ("matched", "matched_terminated",
                                                        *UNMATCHED_STATUSES)}  # fmt: skip
        t_in = r.terminated_in_area
        m_in = int(r.accounting["customers_in_area"]) - t_in
        out[name] = {"m_in": m_in, "m_out": acc["matched"] - m_in, "t_in": t_in,
                     "t_out": acc["matched_terminated"] - t_in,
                     **{k: acc[k] for k in UNMATCHED_STATUSES}}  # fmt: skip
    return out


@pytest.mark.parametrize("seed", range(3))
def test_need_by_outputs_withstand_the_attack(demo, raw, tmp_path, seed):
    store, _ = demo
    rng = np.random.default_rng(700 + seed)
    path = tmp_path / "customers.csv"
    random_file(raw, rng, path)
    out = tmp_path / "need"
    res = runner.invoke(app, ["need", str(path), "--by", "service", "--store", str(store),
                              "--level", "group", "-o", str(out),
                              "--outputs", "csv,json,xlsx,html"])  # fmt: skip
    assert res.exit_code == 0, res.output
    cols = ["by", *NEED_SPEC]
    csv = pd.read_csv(out / "slices_by.csv", dtype={"by": str})
    data = pd.DataFrame(json.loads((out / "need_by.json").read_text())["slice_counts"])
    book = pd.read_excel(
        out / "need_by.xlsx", sheet_name="slices_by", dtype={"by": str}, engine="openpyxl"
    )
    frame = _frames_agree([csv[cols], data[cols], book[cols]])
    result = need_by_file(path, NeedOptions(level="group", draw_map=False), by="service",
                          store=store)  # fmt: skip
    _frames_agree([result.slice_frame()[cols], frame])
    truth = _need_truth(result)
    for key in small_cells(frame, "by", NEED_SPEC, truth):
        name, col = key.split("|")
        assert pd.isna(frame.set_index("by").loc[name, col]), key
    assert attack_frame(frame, "by", NEED_SPEC, truth) == []
    assert frame[cols[1:]].isna().to_numpy().sum() > 0
    # the whole file's row is need.json's accounting, hidden counts included
    whole = json.loads((out / "need.json").read_text())["accounting"]
    for col in NEED_SPEC:
        if col in whole:
            assert (whole[col] is None) == pd.isna(frame.loc[0, col]), col
    assert frame.loc[0, "by"] == ALL_LABEL


# -- survey: placement and answers per slice, together ------------------------------------
SURVEY_KINDS = [(p, a) for p in ("placed", "missing") for a in ("ans", "miss", "dk")]
SURVEY_SPEC = {
    "rows": SURVEY_KINDS,
    "placed": [k for k in SURVEY_KINDS if k[0] == "placed"],
    "not_placed": [k for k in SURVEY_KINDS if k[0] == "missing"],
    "answered_placed": [("placed", "ans")],
    "answered_not_placed": [("missing", "ans")],
    "missing_answer": [k for k in SURVEY_KINDS if k[1] == "miss"],
    "dont_know": [k for k in SURVEY_KINDS if k[1] == "dk"],
}


def _survey_frame(rng: np.random.Generator) -> pd.DataFrame:
    """Three waves of 40 to 160 respondents; a few have no group (not placed), a few
    left the question blank or said don't know."""
    frames = []
    for k, n in enumerate(rng.integers(40, 160, 3)):
        p = rng.dirichlet(np.full(8, 0.6))
        sg = rng.choice([str(g) for g in range(1, 9)], n, p=p).astype(object)
        sg[rng.random(n) < rng.uniform(0, 0.08)] = ""
        frames.append(pd.DataFrame({
            "sg": sg,
            "q": rng.choice(["yes", "no", "dk", ""], n, p=[0.52, 0.4, 0.04, 0.04]),
            "wave": f"w{k}",
        }))  # fmt: skip
    return pd.concat(frames, ignore_index=True)


def _survey_published(result) -> tuple[pd.DataFrame, dict]:
    """The survey's per-slice counts as the attacker reads them (``slice_counts`` and
    ``answer_counts`` of the JSON), renamed to the spec, and the true values."""
    data = json.loads(json.dumps(result.to_dict()))
    counts = pd.DataFrame(data["slice_counts"]).set_index("by")
    answers = pd.DataFrame(data["answer_counts"]).set_index("by")
    frame = pd.DataFrame({
        "rows": counts["rows"], "placed": counts["placed"],
        "not_placed": counts.get("missing", pd.Series(0, index=counts.index)),
        "answered_placed": answers["answered_placed"],
        "answered_not_placed": answers["answered_not_placed"],
        "missing_answer": answers["missing"], "dont_know": answers["dont_know"],
    }).reset_index()  # fmt: skip
    values = {}
    for name, part in [(ALL_LABEL, result.overall), *result.slices]:
        acc = part.accounting.iloc[0]
        values[name] = {
            "rows": part.n_rows, "placed": part.placement.get("placed", 0),
            "not_placed": part.placement.get("missing", 0),
            "answered_placed": int(acc["answered_placed"]),
            "answered_not_placed": int(acc["answered_not_placed"]),
            "missing_answer": int(acc["missing"]), "dont_know": int(acc["dont_know"]),
        }  # fmt: skip
    return frame, values


@pytest.mark.parametrize("seed", range(4))
def test_survey_placement_and_answers_together_withstand_the_attack(seed, tmp_path):
    from tests.attack import attack_sums

    from oacinsight.survey import SurveyOptions
    from oacinsight.survey.by import SurveySlices, survey_by_frame

    rng = np.random.default_rng(3300 + seed)
    opts = SurveyOptions(questions=("q",), positive="yes", group_column="sg")
    result = survey_by_frame(_survey_frame(rng), opts, SurveySlices(by="wave"),
                             store=tmp_path / "none")  # fmt: skip
    frame, values = _survey_published(result)
    names = [n for n, _ in result.slices]
    atoms = [f"{n}|{p}|{a}" for n in names for p, a in SURVEY_KINDS]
    cells, truth = [], {}
    for row in frame.to_dict("records"):
        owners = names if row["by"] == ALL_LABEL else [row["by"]]
        for col, parts in SURVEY_SPEC.items():
            key = f"{row['by']}|{col}"
            truth[key] = values[row["by"]][col]
            shown = None if pd.isna(row[col]) else float(row[col])
            assert shown is None or shown == truth[key], key
            cells.append((key, [f"{n}|{p}|{a}" for n in owners for p, a in parts], shown))
    total = values[ALL_LABEL]["rows"]
    for key, value in truth.items():
        if value < 10 and not key.startswith(ALL_LABEL):
            assert next(c[2] for c in cells if c[0] == key) is None, key
    base = [c if c[0].startswith(ALL_LABEL) or c[0].endswith("|rows") else (*c[:2], None)
            for c in cells]  # fmt: skip
    got = attack_sums(cells, atoms, total, truth)
    alone = attack_sums(base, atoms, total, truth)
    for key, (low, high) in got.items():
        assert low <= truth[key] <= high, key
        assert high - low >= min(3, alone[key][1] - alone[key][0]), (key, low, high)


def test_profile_by_cellkey_hides_small_accounting_counts(demo, raw, tmp_path):
    """Under cell key perturbation the in-area totals are noisy, but rows and matched are
    exact: rows − matched, not matched, is protected the same way (outside the area is
    not published, the in-area figures are the perturbed ones)."""
    store, _ = demo
    path = tmp_path / "customers.csv"
    random_file(raw, np.random.default_rng(901), path)
    result = profile_file(path, store=store, by="service", disclosure="cellkey")
    frame = result.slice_frame()
    assert frame["outside_area"].isna().all()
    parts = [result.overall, *(p for _, p in result.slices)]
    assert frame["in_area"].tolist() == [p.n_in_area for p in parts]
    spec = {"rows": ("m", "nm"), "matched": ("m",), "not_matched": ("nm",)}
    truth = {n: {"m": p.n_matched, "nm": p.n_input - p.n_matched} for n, p in result.slices}
    small = small_cells(frame, "by", spec, truth)
    assert small  # the bad postcodes make some
    for key in small:
        name, col = key.split("|")
        assert pd.isna(frame.set_index("by").loc[name, col]), key
    assert attack_frame(frame, "by", spec, truth) == []
