"""Assigning areas from raw rates or census counts through the transform and
standardisation learned at fit (``RateTransformer``, ``ClassificationBuilder`` with a
``preprocessor``, ``BuildResult.predict``)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from oacinsight.build import BuildSpecError, ClassificationBuilder
from oacinsight.build.prepare import RateTransformer


# -- the fitted transform, by hand -------------------------------------------------------
def test_rate_transformer_learns_centre_spread_and_constant_columns():
    fit = pd.DataFrame({"a": [1.0, 2.0, 4.0], "b": [5.0, 5.0, 5.0], "c": [0.0, 3.0, 8.0]})
    t = RateTransformer(method="none", standardise="range").fit(fit)
    assert t.kept == ["a", "c"] and t.keep_.tolist() == [True, False, True]
    assert t.centre_.tolist() == [1.0, 0.0] and t.spread_.tolist() == [3.0, 8.0]
    new = pd.DataFrame({"c": [4.0], "b": [99.0], "a": [7.0]})  # any column order
    assert t.transform(new).tolist() == [[2.0, 0.5]]  # (7-1)/3, (4-0)/8
    assert t.transform(np.array([[7.0, 99.0, 4.0]])).tolist() == [[2.0, 0.5]]
    # ihs: z = (asinh(r) - asinh(min)) / (asinh(max) - asinh(min))
    ihs = RateTransformer(method="ihs").fit(fit[["c"]])
    assert ihs.transform(pd.DataFrame({"c": [3.0]}))[0, 0] == pytest.approx(
        math.asinh(3) / math.asinh(8)
    )
    # zscore: population sd of asinh(1), asinh(2), asinh(4)
    z = RateTransformer(standardise="zscore").fit(fit[["a"]])
    values = np.arcsinh([1.0, 2.0, 4.0])
    assert z.centre_[0] == pytest.approx(values.mean())
    assert z.spread_[0] == pytest.approx(math.sqrt(((values - values.mean()) ** 2).mean()))
    assert t.to_frame()["spread"].isna().tolist() == [False, True, False]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (pd.DataFrame({"c": [1.0]}), "the rates lack the variable\\(s\\) a"),
        (np.array([[1.0, 2.0]]), "the rates have 2 variables; the fit had 3"),
        (np.array([[np.nan, 1.0, 1.0]]), "2-D table of finite numbers"),
    ],
)
def test_rate_transformer_refuses_rates_unlike_the_fit(data, message):
    fit = pd.DataFrame({"a": [1.0, 2.0], "b": [5.0, 5.0], "c": [0.0, 3.0]})
    t = RateTransformer().fit(fit)
    with pytest.raises(BuildSpecError, match=message):
        t.transform(data)
    with pytest.raises(BuildSpecError, match="fit the transformer before transform"):
        RateTransformer().transform(fit)


# -- the builder on raw rates ---------------------------------------------------------------
def test_builder_with_preprocessor_predicts_raw_rates_like_labels():
    from sklearn.metrics import adjusted_rand_score

    rng = np.random.default_rng(0)
    centres = np.array([[0, 0, 0, 0], [10, 0, 0, 0], [0, 10, 10, 0]], dtype=float)
    x = np.vstack([c + rng.normal(0, 0.3, (40, 4)) for c in centres])
    truth = np.repeat([0, 1, 2], 40)
    raw = pd.DataFrame(np.sinh(x + 5), columns=["p", "q", "r", "s"])  # ihs gives x + 5
    pre = RateTransformer(method="ihs")
    m = ClassificationBuilder(n_clusters=3, n_restarts=5, random_state=1, preprocessor=pre)
    m.fit(raw)
    assert not hasattr(pre, "keep_")  # the parameter is not changed; a copy is fitted
    assert adjusted_rand_score(truth, m.labels_) == 1.0
    assert (m.predict(raw) == m.labels_).all()
    # the centres are on the standardised scale learned at fit
    z = m.preprocessor_.transform(raw)
    assert z.min() == pytest.approx(0) and z.max() == pytest.approx(1)
    own = m.cluster_centers_[m.labels_]
    assert m.inertia_ == pytest.approx(((z - own) ** 2).sum())
    # new areas at the true centres, given as raw rates, land in their blob's cluster
    new = pd.DataFrame(np.sinh(centres + 5), columns=["p", "q", "r", "s"])
    blob_label = [m.labels_[truth == b][0] for b in range(3)]
    assert m.predict(new).tolist() == blob_label


# -- a whole build: training areas from their raw census counts ---------------------------
@pytest.fixture(scope="module")
def built(demo, tmp_path_factory):
    from oacinsight.build import build_classification
    from oacinsight.build.spec import parse_spec
    from oacinsight.demo._build import DEMO_SPEC

    store, files = demo
    spec = parse_spec({**DEMO_SPEC, "tiers": [4, 2, 2], "restarts": [4, 3, 2]}, source="t")
    result = build_classification(
        spec, store, area="E06000999", k_range_values=[2, 3], compare_official=False
    )
    out = result.write(tmp_path_factory.mktemp("predict") / "build")
    return result, files, out


def _raw_counts(files, spec) -> pd.DataFrame:
    """The spec's cells read with pandas from the census files themselves."""
    tables = sorted({c[:-4] for v in spec.variables for c in v.cells})
    frames = []
    for table in tables:
        cells = sorted({c for v in spec.variables for c in v.cells if c.startswith(table)})
        part = pd.read_parquet(files.census_dir / f"{table}.parquet")
        frames.append(part.rename(columns={"OA": "oa"}).set_index("oa")[cells])
    return pd.concat(frames, axis=1).reset_index()


def test_predict_from_raw_counts_returns_the_build_codes(built):
    result, files, out = built
    counts = _raw_counts(files, result.spec)
    counts = counts[counts["oa"].isin(result.codes["oa"])].sample(frac=1, random_state=3)
    got = result.predict(counts).set_index("oa").loc[result.codes["oa"]]
    assert len(got) == len(result.codes) == 290
    for tier in ("supergroup", "group", "subgroup"):
        assert got[tier].tolist() == result.codes[tier].tolist(), tier
    np.testing.assert_allclose(got["distance"], result.distance, atol=1e-12)
    # the same from the rates, and the fitted scaling is written out
    by_rates = result.predict_rates(result.rates)
    assert by_rates["subgroup"].tolist() == result.codes["subgroup"].tolist()
    scaling = pd.read_csv(out / "scaling.csv")
    assert scaling["variable"].tolist() == [v.name for v in result.spec.variables]
    np.testing.assert_allclose(scaling.loc[scaling["kept"], "spread"], result.scaler.spread_)


def test_predict_a_new_area_and_bad_counts(built):
    result, files, _ = built
    counts = _raw_counts(files, result.spec)
    one = counts[counts["oa"] == result.codes["oa"].iloc[7]].copy()
    one["oa"] = "NEW00001"  # a new area with the counts of a known one: same codes
    got = result.predict(one).iloc[0]
    assert got["oa"] == "NEW00001"
    assert got["subgroup"] == result.codes["subgroup"].iloc[7]
    with pytest.raises(BuildSpecError, match="lack the column\\(s\\) ts0540007"):
        result.predict(one.drop(columns=["ts0540007"]))


def test_a_saved_build_folder_assigns_its_areas_again(built):
    from oacinsight.build.saved import load_fitted

    result, files, out = built
    fitted = load_fitted(out)
    counts = _raw_counts(files, result.spec)
    counts = counts[counts["oa"].isin(result.codes["oa"])]
    got = fitted.predict(counts).set_index("oa").loc[result.codes["oa"]]
    saved = pd.read_csv(out / "assignments.csv", dtype=str)
    for tier in ("supergroup", "group", "subgroup"):
        assert got[tier].tolist() == saved[tier].tolist(), tier
    np.testing.assert_allclose(got["distance"], result.distance, atol=1e-12)


def test_a_folder_without_scaling_is_one_line(built, tmp_path):
    import shutil

    from oacinsight.build.saved import load_fitted

    _, _, out = built
    shutil.copytree(out, tmp_path / "old")
    (tmp_path / "old" / "scaling.csv").unlink()
    with pytest.raises(BuildSpecError, match=r"no scaling\.csv"):
        load_fitted(tmp_path / "old")
