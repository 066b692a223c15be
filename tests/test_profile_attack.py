"""The protection guarantee, tested by attack.

For every hidden cell, an attacker who holds every published number of every output
of the same data (supergroup, group, subgroup and all-levels profiles, the total) and
the documented rule (a blank is any count from 0 up) cannot narrow it to fewer than 4
possible values.  The attacker (``tests/attack.py``) is integer linear programming.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from tests.attack import attack, nested_counts, oac_shape, random_file
from tests.conftest import need_shared

from oacinsight.profile import ProfileResult, compute_profile

OUTPUT_LEVELS = ("supergroup", "group", "subgroup", "all")


def _outputs(
    counts: pd.DataFrame, n: int, levels: tuple[str, ...] = OUTPUT_LEVELS
) -> list[pd.DataFrame]:
    """The published frames of each level of one file, as separately downloaded."""
    frames = []
    for level in levels:
        result = ProfileResult.from_counts(
            counts,
            level=level,
            base_name="residents",
            areas=[("E0", "Area")],
            n_input=n,
            n_matched=n,
            n_in_area=n,
            unmatched={},
        )
        frames.append(result.to_frame())
    return frames


def _check_file(counts: pd.DataFrame, every_output: bool = False) -> int:
    """Attack one file; return the narrowest hidden range found (99 when none).

    The attacker gets the all-levels output (each single-level output is a slice of
    it, :func:`test_levels_of_one_file_agree_cell_by_cell`), or with ``every_output``
    all four downloads separately.
    """
    n = int(counts.loc[counts["level"] == "supergroup", "customers"].sum())
    outputs = _outputs(counts, n, OUTPUT_LEVELS if every_output else ("all",))
    truth = counts.set_index(["level", "code"])["customers"]
    ranges = attack(outputs, n)
    for key, (low, high) in ranges.items():
        assert low <= truth[key] <= high, key
        assert high - low >= 3, (key, low, high, n)
    return min((h - lo for lo, h in ranges.values()), default=99)


def test_attack_on_random_files_synthetic() -> None:
    rng = np.random.default_rng(20261201)
    codes = oac_shape()
    narrowest = []
    for i in range(50):
        base = rng.integers(100, 25_000, len(codes)).astype(float)
        counts = random_file(rng, codes, base, int(rng.integers(20, 301)))
        narrowest.append(_check_file(counts, every_output=i < 5))
    # the audit works close to the limit: many files have a cell at exactly 4 values
    assert min(narrowest) == 3


def _real_districts() -> list[pd.DataFrame]:
    """Real OAs of five districts: OA, 2021 OAC subgroup, usual residents."""
    postcodes = need_shared("postcodes")
    oac = pd.read_parquet(need_shared("oac", "oac2021_uk_oa.parquet"))
    res = pd.read_parquet(
        need_shared("census2021_oa", "ts001.parquet"), columns=["OA", "ts0010001"]
    )
    out = []
    for area, lad in (
        ("WN", "E08000010"),
        ("HX", "E08000033"),
        ("SR", "E08000024"),
        ("DT", "E06000059"),
        ("HG", "E07000165"),
    ):
        nspl = pd.read_csv(
            postcodes / f"NSPL_NOV_2021_UK_{area}.csv", usecols=["oa11", "laua"], dtype=str
        )
        oas = nspl.loc[nspl["laua"] == lad, "oa11"].drop_duplicates()
        frame = oac[oac["Geography_Code"].isin(oas)].merge(
            res, left_on="Geography_Code", right_on="OA"
        )
        out.append(frame[["OA", "Subgroup", "ts0010001"]])
    return out


@pytest.mark.realdata
def test_attack_on_random_files_realdata() -> None:
    """Real districts' OAs and their real OAC subgroups; customers drawn at random."""
    rng = np.random.default_rng(8)
    districts = _real_districts()
    for i in range(50):
        oas = districts[i % len(districts)]
        subgroups = sorted(oas["Subgroup"].unique())
        propensity = dict(zip(subgroups, np.exp(rng.normal(0, 0.8, len(subgroups))), strict=True))
        weight = oas["ts0010001"].to_numpy() * oas["Subgroup"].map(propensity).to_numpy()
        drawn = rng.multinomial(int(rng.integers(20, 301)), weight / weight.sum())
        sub = (
            pd.DataFrame({"code": oas["Subgroup"], "customers": drawn, "base": oas["ts0010001"]})
            .groupby("code", as_index=False)[["customers", "base"]]
            .sum()
        )
        _check_file(nested_counts(sub), every_output=i < 5)


def test_the_attacker_breaks_naive_suppression() -> None:
    """Hiding only counts of 1-9 and showing zeros (the rule before this audit) fails."""
    rng = np.random.default_rng(3)
    codes = oac_shape()
    broken = 0
    for _ in range(10):
        base = rng.integers(100, 25_000, len(codes)).astype(float)
        counts = random_file(rng, codes, base, int(rng.integers(50, 301)))
        table = compute_profile(counts, suppress_below=0)
        published = table[["level", "code", "customers"]].astype({"customers": "Int64"})
        small = (table["customers"] > 0) & (table["customers"] < 10)
        published.loc[small, "customers"] = pd.NA
        n = int(counts.loc[counts["level"] == "supergroup", "customers"].sum())
        ranges = attack([published], n, floor=1)
        broken += any(high - low < 3 for low, high in ranges.values())
    assert broken >= 8


def test_levels_of_one_file_agree_cell_by_cell() -> None:
    rng = np.random.default_rng(11)
    codes = oac_shape()
    counts = random_file(rng, codes, rng.integers(100, 25_000, len(codes)).astype(float), 120)
    outputs = dict(zip(OUTPUT_LEVELS, _outputs(counts, 120), strict=True))
    every = outputs["all"].set_index(["level", "code"])
    for level in ("supergroup", "group", "subgroup"):
        one = outputs[level].set_index(["level", "code"])
        assert set(one.index.get_level_values(0)) == {level}
        pd.testing.assert_frame_equal(one, every.loc[one.index], check_dtype=False)
    assert outputs["all"]["flag"].eq("suppressed").sum() >= 40


@pytest.mark.parametrize("total", [1, 2])
def test_tiny_files_hide_everything(total: int) -> None:
    sub = pd.DataFrame({"code": oac_shape(), "customers": 0, "base": 1000.0})
    sub.loc[0, "customers"] = total
    table = compute_profile(nested_counts(sub))
    assert table["flag"].eq("suppressed").all()
    assert table.attrs["unprotected"] > 0  # fewer than 4 values exist at all


def test_profile_file_levels_of_one_upload_agree(demo, tmp_path) -> None:
    """Through the store, as the CLI and web app run it: 120 Demoshire customers."""
    from oacinsight.profile.run import profile_file

    store, files = demo
    small = tmp_path / "small.csv"
    pd.read_csv(files.customers, dtype=str).head(120).to_csv(small, index=False)
    frames = {
        lv: profile_file(small, store=store, level=lv).to_frame().set_index(["level", "code"])
        for lv in OUTPUT_LEVELS
    }
    every = frames["all"]
    assert every["flag"].eq("suppressed").sum() >= 10
    for level in ("supergroup", "group", "subgroup"):
        pd.testing.assert_frame_equal(frames[level], every.loc[frames[level].index])
    total = profile_file(small, store=store, level="all").n_in_area
    ranges = attack([frames[lv].reset_index() for lv in OUTPUT_LEVELS], total)
    assert ranges and all(high - low >= 3 for low, high in ranges.values())
