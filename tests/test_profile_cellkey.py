"""The cell key method: the shipped ptable, the perturbation, and profiles made with it."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from oacinsight.errors import OacInsightError
from oacinsight.profile.cellkey import perturb
from oacinsight.profile.ptable import build_ptable, compact, load_ptable, pcv
from oacinsight.profile.run import profile_file


@pytest.fixture(scope="module")
def built() -> pd.DataFrame:
    return build_ptable()


def test_shipped_ptable_is_the_documented_build(built: pd.DataFrame) -> None:
    noise = load_ptable()
    assert (noise[built["pcv"], built["ckey"]] == built["pvalue"]).all()
    assert len(compact(built)) < 6000 and len(built) == 750 * 256


def test_ptable_rules(built: pd.DataFrame) -> None:
    after = built["pcv"] + built["pvalue"]
    assert built["pvalue"].abs().max() == 3
    assert not after.isin([1, 2]).any() and (after >= 0).all()
    stats = built.groupby("pcv")["pvalue"].agg(["mean", lambda s: (s**2).mean()])
    assert stats["mean"].abs().max() < 0.02  # unbiased up to the 1/256 rounding
    second = stats.iloc[:, 1]
    assert second.loc[1:2].between(1.9, 2.1).all()  # 1 and 2 must move: variance 2
    assert second.loc[4:].between(0.95, 1.05).all()
    # a count of 1 becomes 0 or 3; a large count moves by at most 3, usually not at all
    assert set(after[built["pcv"] == 1]) == {0, 3}
    assert (built.loc[built["pcv"] == 500, "pvalue"] == 0).mean() > 0.35


def test_perturb_is_a_fixed_function_of_count_and_key() -> None:
    values = np.array([0, 0, 1, 1, 5, 5, 751, 1001])
    keys = np.array([0, 255, 0, 255, 17, 17, 3, 3])
    out = perturb(values, keys)
    assert out[:2].tolist() == [0, 0]  # zeros stay zero
    assert out[2] == 0 and out[3] == 3  # row 1: keys 0-170 give -1, 171-255 give +2
    assert out[4] == out[5]
    assert pcv(np.array([750, 751, 1001])).tolist() == [750, 501, 501]
    assert out[6] - 751 == out[7] - 1001  # rows wrap: same key, same noise
    with pytest.raises(OacInsightError):
        perturb(np.array([3]), np.array([256]))


@pytest.fixture(scope="module")
def small(demo, tmp_path_factory):
    """150 Demoshire customers, as read and in reverse order."""
    _, files = demo
    frame = pd.read_csv(files.customers, dtype=str, keep_default_na=False)
    root = tmp_path_factory.mktemp("ck")
    frame.head(150).to_csv(root / "small.csv", index=False)
    frame.head(150).iloc[::-1].to_csv(root / "reversed.csv", index=False)
    return root


def test_cellkey_profiles_agree_across_levels_order_and_reruns(demo, small) -> None:
    store, _ = demo
    every = profile_file(small / "small.csv", store=store, level="all", disclosure="cellkey")
    frame = every.to_frame().set_index(["level", "code"])
    assert every.disclosure == "cellkey" and frame["flag"].ne("suppressed").all()
    assert not frame["customers"].isin([1, 2]).any()
    exact = profile_file(small / "small.csv", store=store, level="all").full_table
    truth = exact.set_index(["level", "code"])["customers"]
    moved = frame["customers"].astype(int) - truth
    assert moved.abs().max() <= 3 and (moved != 0).any()
    assert (frame["customers"][truth == 0] == 0).all()
    for level in ("supergroup", "subgroup"):
        one = (
            profile_file(small / "small.csv", store=store, level=level, disclosure="cellkey")
            .to_frame()
            .set_index(["level", "code"])
        )
        pd.testing.assert_frame_equal(one, frame.loc[one.index])
    again = profile_file(small / "reversed.csv", store=store, level="all", disclosure="cellkey")
    pd.testing.assert_frame_equal(again.to_frame(), every.to_frame())
    assert again.n_in_area == every.n_in_area


def test_cellkey_through_the_cli_says_so(demo, small, tmp_path) -> None:
    from oacinsight.cli import app

    store, _ = demo
    out = tmp_path / "p.json"
    res = CliRunner().invoke(
        app,
        [
            "profile",
            str(small / "small.csv"),
            "-o",
            str(out),
            "--store",
            str(store),
            "--disclosure",
            "cellkey",
        ],
    )
    assert res.exit_code == 0, res.output
    assert "cell key perturbation" in res.output
    payload = json.loads(out.read_text())
    assert payload["disclosure"] == "cellkey"
    assert "cell key perturbation" in payload["suppression"]
    api = profile_file(small / "small.csv", store=store, disclosure="cellkey")
    assert [r["customers"] for r in payload["rows"]] == api.to_frame()["customers"].tolist()
    bad = CliRunner().invoke(
        app,
        [
            "profile",
            str(small / "small.csv"),
            "-o",
            str(out),
            "--store",
            str(store),
            "--disclosure",
            "round",
        ],
    )
    assert bad.exit_code == 2 and "unknown disclosure" in bad.output


def test_cellkey_through_the_web_api(demo, small) -> None:
    from tests.test_web_support import web_client

    store, _ = demo
    api = profile_file(small / "small.csv", store=store, level="all", disclosure="cellkey")
    with web_client(store) as client:
        with open(small / "small.csv", "rb") as fh:
            r = client.post(
                "/api/profile",
                files={"file": ("s.csv", fh)},
                data={"level": "all", "disclosure": "cellkey"},
            )
        assert r.status_code == 200, r.text
        body = r.json()
        with open(small / "small.csv", "rb") as fh:
            bad = client.post(
                "/api/profile", files={"file": ("s.csv", fh)}, data={"disclosure": "noise"}
            )
    assert body["disclosure"] == "cellkey"
    got = pd.DataFrame(body["records"], columns=body["columns"])
    assert got["customers"].tolist() == api.to_frame()["customers"].tolist()
    assert bad.status_code == 400 and "unknown disclosure" in bad.json()["detail"]
