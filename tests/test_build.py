"""Local classifications (oacinsight.build): spec checks, hand-worked transforms,
k-means with known truth, determinism, nesting, and a tiny end-to-end build."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from oacinsight.build import BuildSpecError, ClassificationBuilder, load_spec
from oacinsight.build.prepare import prepare, rates, standardise, transform
from oacinsight.build.spec import check_cells, parse_spec, parse_tiers
from oacinsight.build.tiers import fit_tiers
from oacinsight.cli import app

runner = CliRunner()


def _spec(**over):
    data = {
        "name": "t",
        "tiers": [2],
        "restarts": 3,
        "variables": [
            {"name": "own", "numerator": ["ts0540002"], "denominator": "ts0540001"},
            {"name": "soc", "numerator": ["ts0540007"], "denominator": "total"},
            {"name": "dens", "value": "ts0060001"},
        ],
    }
    data.update(over)
    return parse_spec(data, source="test")


def _blobs(seed=0, per=40):
    """Three tight, far-apart blobs in 4-D: the clustering truth is known."""
    rng = np.random.default_rng(seed)
    centres = np.array([[0, 0, 0, 0], [10, 0, 0, 0], [0, 10, 10, 0]], dtype=float)
    x = np.vstack([c + rng.normal(0, 0.3, (per, 4)) for c in centres])
    return x, np.repeat([0, 1, 2], per)


# -- spec ----------------------------------------------------------------------------
def test_shipped_specs_load_and_mark_absent_tables():
    oac = load_spec("oac2021")
    assert len(oac.variables) == 60
    optional = {v.name for v in oac.variables if v.optional}
    # TS003 (2), TS007A (6), TS021 (8), TS066 (1) are not held in ../shared/data
    assert len(optional) == 17
    assert {v.tables[0] for v in oac.variables if v.optional} == {
        "ts003",
        "ts007a",
        "ts021",
        "ts066",
    }
    compact = load_spec("compact")
    assert len(compact.variables) == 58 and not any(v.optional for v in compact.variables)
    assert oac.transform == "ihs" and oac.standardise == "range" and oac.tiers == (8, 3, 3)


def test_spec_total_denominator_and_tiers_per_parent():
    spec = _spec(tiers=[8, [3, 3, 2, 3, 2, 3, 3, 2]])
    assert spec.variables[1].denominator == "ts0540001"
    assert spec.tiers == (8, (3, 3, 2, 3, 2, 3, 3, 2))
    assert parse_tiers("8,3") == (8, 3)


@pytest.mark.parametrize(
    ("over", "message"),
    [
        ({"transform": "sqrt"}, "transform must be one of ihs, log1p, none"),
        ({"standardise": "minmax"}, "standardise must be one of range, zscore"),
        ({"tiers": [8, [3, 3]]}, "tier 2 lists 2 k values but tier 1 has 8 clusters"),
        ({"tiers": [1]}, "first tier needs k of at least 2"),
        ({"colour": "red"}, "unknown key(s) colour"),
        ({"variables": [{"name": "x", "numerator": ["ts054"]}]}, "is not a census cell name"),
        (
            {"variables": [{"name": "x", "value": "ts0060001", "numerator": ["ts0540002"]}]},
            "either 'value' or 'numerator'",
        ),
    ],
)
def test_spec_errors_are_one_clear_line(over, message):
    with pytest.raises(BuildSpecError, match=None) as info:
        _spec(**over)
    assert message in str(info.value) and "\n" not in str(info.value)


def test_missing_cell_named_with_close_matches_and_optional_skipped():
    available = {"ts054": [f"ts054{i:04d}" for i in range(1, 14)], "ts006": ["ts0060001"]}
    spec = _spec(
        variables=[{"name": "own", "numerator": ["ts0540020"], "denominator": "ts0540001"}]
    )
    with pytest.raises(BuildSpecError) as info:
        check_cells(spec, available)
    assert "census cell ts0540020 does not exist" in str(info.value)
    assert "did you mean ts0540012, ts0540010" in str(info.value)
    assert "(table ts054 has ts0540001 to ts0540013)" in str(info.value)
    spec = _spec(
        variables=[
            {"name": "age", "numerator": ["ts007a0002"], "optional": True},
            {"name": "dens", "value": "ts0060001"},
        ]
    )
    kept, warnings = check_cells(spec, available)
    assert [v.name for v in kept.variables] == ["dens"]
    assert "age" in warnings[0] and "ts007a" in warnings[0]


# -- transforms, hand-worked ------------------------------------------------------------
def test_ihs_log1p_range_and_zscore_by_hand():
    x = np.array([[0.0], [3.0], [8.0]])
    # asinh(3) = ln(3 + sqrt(10)) = 1.8184464592...
    assert transform(x, "ihs")[1, 0] == pytest.approx(math.log(3 + math.sqrt(10)))
    assert transform(x, "ihs")[1, 0] == pytest.approx(1.8184464592)
    assert transform(x, "log1p")[2, 0] == pytest.approx(math.log(9))
    z, centre, spread = standardise(np.array([[1.0], [2.0], [4.0]]), "range")
    assert z.ravel().tolist() == pytest.approx([0, 1 / 3, 1])
    assert (centre[0], spread[0]) == (1.0, 3.0)
    z, _, _ = standardise(np.array([[1.0], [2.0], [6.0]]), "zscore")
    sd = math.sqrt(((1 - 3) ** 2 + (2 - 3) ** 2 + (6 - 3) ** 2) / 3)  # population sd
    assert z.ravel().tolist() == pytest.approx([-2 / sd, -1 / sd, 3 / sd])


def test_rates_zero_denominator_is_zero_and_counted():
    counts = pd.DataFrame(
        {
            "oa": ["A", "B", "C"],
            "ts0540001": [10.0, 0.0, 4.0],
            "ts0540002": [5.0, 0.0, 1.0],
            "ts0540007": [2.0, 0.0, 3.0],
            "ts0060001": [1500.0, 20.0, 7.5],
        }
    )
    r, zeros = rates(counts, _spec())
    assert r.loc["A", "own"] == 50.0 and r.loc["C", "soc"] == 75.0
    assert r.loc["B", "own"] == 0.0 and zeros == {"own": 1, "soc": 1}
    assert r.loc["C", "dens"] == 7.5  # a value is taken as is
    prep = prepare(counts, _spec())
    # own: ihs(50), ihs(0), ihs(25) → range: B = 0, A = 1, C = ihs(25)/ihs(50)
    col = prep.variables.index("own")
    assert prep.matrix[:, col].tolist() == pytest.approx(
        [1.0, 0.0, math.asinh(25) / math.asinh(50)]
    )
    assert any("zero denominator" in w for w in prep.warnings)


def test_constant_variable_dropped_with_warning():
    counts = pd.DataFrame(
        {
            "oa": ["A", "B", "C"],
            "ts0540001": [10.0, 10.0, 10.0],
            "ts0540002": [5.0, 5.0, 5.0],
            "ts0540007": [1.0, 2.0, 3.0],
            "ts0060001": [1.0, 2.0, 4.0],
        }
    )
    prep = prepare(counts, _spec())
    assert prep.variables == ["soc", "dens"]
    assert "constant over these areas, dropped: own" in prep.warnings[0]


# -- k-means ----------------------------------------------------------------------------
def test_builder_finds_known_blobs_and_predict_returns_labels():
    from sklearn.metrics import adjusted_rand_score

    x, truth = _blobs()
    m = ClassificationBuilder(n_clusters=3, n_restarts=5, random_state=1).fit(x)
    assert m is not None and adjusted_rand_score(truth, m.labels_) == 1.0
    assert (m.predict(x) == m.labels_).all()
    # inertia_ is the sum of squared distances to the centres, recomputed here
    own = m.cluster_centers_[m.labels_]
    assert m.inertia_ == pytest.approx(((x - own) ** 2).sum())
    # clusters are numbered by size: make one blob bigger and it becomes cluster 0
    x2 = np.vstack([x, x[truth == 2] + 0.01])
    m2 = ClassificationBuilder(n_clusters=3, n_restarts=3, random_state=1).fit(x2)
    assert set(np.flatnonzero(m2.labels_ == 0)) >= set(np.flatnonzero(truth == 2))


def test_builder_screened_restarts_match_full_restarts_on_known_truth():
    x, _ = _blobs(per=400)
    full = ClassificationBuilder(n_clusters=3, n_restarts=5, sample_size=None, random_state=3).fit(
        x
    )
    screened = ClassificationBuilder(
        n_clusters=3, n_restarts=5, sample_size=150, n_polish=2, random_state=3
    ).fit(x)
    assert screened.screened_ and not full.screened_
    assert screened.inertia_ == pytest.approx(full.inertia_, rel=1e-9)


def test_same_seed_same_codes_and_k_too_large():
    rng = np.random.default_rng(5)
    x = rng.random((200, 5))  # no structure: restarts disagree, so seeds matter
    a = ClassificationBuilder(n_clusters=6, n_restarts=4, random_state=11).fit(x)
    b = ClassificationBuilder(n_clusters=6, n_restarts=4, random_state=11).fit(x)
    assert (a.labels_ == b.labels_).all() and a.inertia_ == b.inertia_
    with pytest.raises(BuildSpecError, match="k = 7 is more than the 6 areas"):
        ClassificationBuilder(n_clusters=7).fit(x[:6])


def test_tiers_nest_with_oac_codes():
    x, _ = _blobs(per=60)
    oas = [f"E{i:08d}" for i in range(len(x))]
    fit = fit_tiers(x, oas, ["a", "b", "c", "d"], (3, (2, 3, 2), 2), restarts=(3, 2, 2), seed=4)
    codes = fit.codes
    assert sorted(codes["supergroup"].unique()) == ["1", "2", "3"]
    assert (
        codes.apply(
            lambda r: (
                r["group"].startswith(r["supergroup"]) and r["subgroup"].startswith(r["group"])
            ),
            axis=1,
        )
    ).all()
    assert codes.groupby("supergroup")["group"].nunique().to_dict() == {"1": 2, "2": 3, "3": 2}
    assert codes["group"].str.fullmatch(r"\d[a-z]").all()
    assert codes["subgroup"].str.fullmatch(r"\d[a-z]\d").all()
    assert codes["subgroup"].nunique() == 14
    # WCSS falls as the tiers get finer
    assert fit.wcss["supergroup"] > fit.wcss["group"] > fit.wcss["subgroup"]


# -- a tiny store, end to end ---------------------------------------------------------
@pytest.fixture(scope="module")
def census_store(tmp_path_factory):
    from oacinsight.ingest import ingest
    from oacinsight.store import Store

    root = tmp_path_factory.mktemp("buildcensus")
    rng = np.random.default_rng(9)
    n = 60
    oas = [f"E0000{i:04d}" for i in range(n)]
    kind = np.repeat([0, 1, 2], n // 3)  # owners, social renters, private renters
    total = rng.integers(100, 140, n).astype(float)
    shares = np.array([[0.8, 0.1, 0.1], [0.15, 0.75, 0.1], [0.2, 0.1, 0.7]])[kind]
    ten = pd.DataFrame(
        {
            "oa": oas,
            "ts0540001": total,
            "ts0540002": np.round(total * shares[:, 0]),
            "ts0540007": np.round(total * shares[:, 1]),
            "ts0540010": np.round(total * shares[:, 2]),
        }
    )
    pd.DataFrame(
        {"oa": oas, "ts0010001": total * 2.2, "ts0010002": total * 2.2, "ts0010003": 0.0}
    ).to_parquet(root / "ts001.parquet")
    ten.to_parquet(root / "ts054.parquet")
    path = root / "store.duckdb"
    with Store(path) as s:
        ingest([root / "ts001.parquet", root / "ts054.parquet"], s)
    spec = root / "tenure.yaml"
    spec.write_text(
        "name: tenure\ntiers: [3, 2]\nrestarts: 4\nseed: 7\nvariables:\n"
        "  - {name: own, numerator: [ts0540002]}\n"
        "  - {name: social, numerator: [ts0540007]}\n"
        "  - {name: private, numerator: [ts0540010]}\n"
    )
    (root / "oas.txt").write_text("oa\n" + "\n".join(oas) + "\nE99999999\n")
    return path, spec, root / "oas.txt", kind


def test_build_end_to_end_writes_every_output(census_store, tmp_path):
    from sklearn.metrics import adjusted_rand_score

    store, spec, oas, kind = census_store
    out = tmp_path / "out"
    res = runner.invoke(
        app, ["build", str(spec), "--oas", str(oas), "-o", str(out), "--store", str(store)]
    )
    assert res.exit_code == 0, res.output
    assign = pd.read_csv(out / "assignments.csv", dtype={"supergroup": str})
    assert list(assign.columns) == ["oa", "supergroup", "group", "distance"]
    assert len(assign) == 60  # the code without census counts is reported
    assert "1 output area(s) without census counts left out (first: E99999999)" in res.output
    assert adjusted_rand_score(kind, assign["supergroup"]) == 1.0
    for name in (
        "assignments.parquet",
        "centres.csv",
        "diagnostics.csv",
        "grand_index.csv",
        "names.csv",
        "report.html",
        "k_diagnostics.png",
        "clustergram.png",
    ):
        assert (out / name).exists(), name
    prov = json.loads((out / "provenance.json").read_text())
    assert prov["seed"] == 7 and prov["spec"]["tiers"] == [3, 2]
    assert "scikit-learn" in prov["versions"]
    # grand index: the social renters' cluster has the highest 'social' index
    index = pd.read_csv(out / "grand_index.csv", dtype={"code": str}).set_index("code")
    social_code = assign.loc[kind == 1, "supergroup"].iloc[0]
    assert index.loc[["1", "2", "3"], "social"].idxmax() == social_code
    names = pd.read_csv(out / "names.csv", dtype={"code": str})
    assert names["pen_portrait"].str.startswith("DRAFT").all()
    # same seed → same codes
    out2 = tmp_path / "out2"
    runner.invoke(
        app, ["build", str(spec), "--oas", str(oas), "-o", str(out2), "--store", str(store)]
    )
    assert pd.read_csv(out2 / "assignments.csv").equals(pd.read_csv(out / "assignments.csv"))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--k", "80"], "k = 80 is more than the 60 output areas"),
        (["--k", "3,x"], "--k must be whole numbers"),
        ([], "give either an area code (--area) or a list of OAs (--oas)"),
    ],
)
def test_build_cli_errors_are_one_line(census_store, tmp_path, args, message):
    store, spec, oas, _ = census_store
    base = ["build", str(spec), "-o", str(tmp_path / "o"), "--store", str(store)]
    if args:
        base += ["--oas", str(oas)]
    res = runner.invoke(app, base + args)
    assert res.exit_code == 2
    assert message in res.output and "Traceback" not in res.output


def test_build_cli_unknown_cell_suggests(census_store, tmp_path):
    store, _, oas, _ = census_store
    spec = tmp_path / "bad.yaml"
    spec.write_text("name: bad\nvariables:\n  - {name: own, numerator: [ts0540020]}\n")
    res = runner.invoke(
        app,
        ["build", str(spec), "--oas", str(oas), "-o", str(tmp_path / "o"), "--store", str(store)],
    )
    assert res.exit_code == 2
    assert "census cell ts0540020 does not exist; did you mean" in res.output
    assert "table ts054 has ts0540001 to ts0540010" in res.output


def test_area_codes_resolve_through_the_store(census_store, tmp_path):
    from oacinsight.store import Store
    from oacinsight.store import build as sql

    store, spec, _, _ = census_store
    with Store(store, read_only=True) as s:
        assert len(sql.area_oas(s, "EW")) == 60 == len(sql.area_oas(s, "E92000001"))
        assert sql.area_oas(s, "W92000004") == []
        assert sql.area_oas(s, "E08000010") == []  # no lookup in this store
    res = runner.invoke(
        app,
        [
            "build",
            str(spec),
            "--area",
            "E08000010",
            "-o",
            str(tmp_path / "o"),
            "--store",
            str(store),
        ],
    )
    assert res.exit_code == 2
    assert "no output areas known for E08000010" in res.output and "--oas FILE" in res.output


def test_pen_portrait_draft_from_highest_and_lowest_index():
    from oacinsight.build.diagnostics import grand_index, pen_portraits

    rates_ = pd.DataFrame({"a": [30.0, 10.0, 20.0, 20.0], "b": [5.0, 5.0, 20.0, 10.0]})
    codes = pd.Series(["1", "1", "2", "2"])
    index = grand_index(rates_, codes)
    # a: overall 20, cluster 1 mean 20 → 100; b: overall 10, cluster 1 mean 5 → 50, 2 → 150
    assert index.loc["1"].tolist() == pytest.approx([100.0, 50.0])
    assert index.loc["2"].tolist() == pytest.approx([100.0, 150.0])
    text = pen_portraits(index, {"b": "Social rented (note)"}).set_index("code")
    assert text.loc["2", "pen_portrait"] == (
        "DRAFT - edit before use. More than average: social rented (150)."
    )
    assert text.loc["1", "pen_portrait"].endswith("Fewer than average: social rented (50).")
