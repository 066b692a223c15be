"""Attacks on ``need``'s published outputs from outside: what a reader of ``gains.csv``,
``targets.csv`` and ``expected.csv`` together can work out about a hidden observed count.

The gains curve's shortfall share used to accumulate the *true* shortfall of every area
in campaign order, so its step at a hidden area, scaled by any shown area's step and
shortfall, gave the hidden observed count back exactly (every one of 289 hidden OA
counts and 48 hidden LSOA counts of a 400-claimant Demoshire file); the order itself
placed a hidden area between its neighbours' shown shortfalls.  The property tested:
moving people between two hidden areas, with every published count unchanged, moves
nothing that is published.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from oacinsight.need import NeedOptions, TargetRules, need_file


def _run(customers, store, observed, target):
    options = NeedOptions(
        observed=str(observed),
        observed_count="count",
        rules=TargetRules(area_type=target, top=40, min_expected=0.0),
        draw_map=False,
    )
    return need_file(customers, options, store=store)


def _published(res) -> dict[str, pd.DataFrame]:
    tables = res.tables()
    return {**tables, "reach": pd.DataFrame([res.reach(0.2)])}


def _move(res, kind: str, counts: pd.Series) -> pd.Series:
    """Move one person between two hidden areas of ``kind`` in the same sets (same LSOA
    and ward for OAs, same district for LSOAs), both staying below the threshold."""
    pub = res.to_frame().set_index("area_code")
    oas = res.oas.astype(object)
    keys = ["lsoa", "ward"] if kind == "oa" else ["lad"]
    units = oas.drop_duplicates(kind).set_index(kind)[keys]
    hidden = [c for c in units.index if pd.isna(pub.loc[c, "observed"])]
    for _, group in units.loc[hidden].groupby(keys):
        cands = [c for c in group.index if counts.get(c, 0) < 8]
        givers = [c for c in cands if counts.get(c, 0) >= 1]
        for a in givers:
            for b in cands:
                if b != a:
                    moved = counts.copy()
                    moved[a] -= 1
                    moved[b] = moved.get(b, 0) + 1
                    return moved
    raise AssertionError("no two hidden areas to move a person between")


@pytest.mark.parametrize("kind", ["oa", "lsoa"])
def test_moving_people_between_hidden_areas_moves_nothing_published(demo, tmp_path, kind):
    store, files = demo
    rng = np.random.default_rng(11)
    probe = need_file(files.customers, NeedOptions(draw_map=False), store=store)
    codes = sorted(probe.oas[kind].astype(str).unique())
    # observed counts per area, 0 to 14: many hidden, many shown
    counts = pd.Series(rng.integers(0, 15, len(codes)), index=codes)
    first = _run(files.customers, store, _write(tmp_path / "a.csv", kind, counts), kind)
    moved = _move(first, kind, counts)
    second = _run(files.customers, store, _write(tmp_path / "b.csv", kind, moved), kind)
    one, two = _published(first), _published(second)
    # the move is invisible in the counts: the same pattern, the same shown counts
    pd.testing.assert_frame_equal(one["expected"], two["expected"])
    for name in ("targets", "gains", "target_postcodes", "reach"):
        pd.testing.assert_frame_equal(one[name], two[name], obj=name)
    # the target list holds hidden areas, and says so
    assert one["targets"]["observed"].isna().any()
    assert any("ranked as if 4.5 had been observed" in n for n in first.notes)


def _write(path, kind: str, counts: pd.Series):
    pd.DataFrame({kind: counts.index, "count": counts.to_numpy()}).to_csv(path, index=False)
    return path


def _observed_attack(res) -> dict:
    """The attacker's ranges of every hidden observed count of ``expected.csv``: one
    unknown per OA, every shown OA, LSOA, ward and district count an equation."""
    from tests.attack import attack_sums

    pub, oas = res.to_frame(), res.oas.astype(object)
    column = {"oa": "oa", "lsoa": "lsoa", "ward": "ward", "lad": "lad"}
    keys = zip(res.expected["area_type"], res.expected["area_code"], strict=True)
    truth = dict(zip(keys, res.expected["observed"].astype(int), strict=True))
    cells = [
        ((t, c), oas.loc[oas[column[t]] == c, "oa"].tolist(), None if pd.isna(v) else v)
        for t, c, v in zip(pub["area_type"], pub["area_code"], pub["observed"], strict=True)
    ]
    total = int(res.expected.loc[res.expected["area_type"] == "oa", "observed"].sum())
    return attack_sums(cells, oas["oa"].tolist(), total, truth)


@pytest.mark.parametrize("seed", [1, 2])
def test_observed_counts_per_oa_lsoa_and_ward_withstand_the_attacker(demo, tmp_path, seed):
    """LSOAs and wards cut across each other; protected set by set, a ward less its shown
    OAs gave a hidden LSOA's count exactly (seed 1: two LSOAs, 7 and 8 people)."""
    store, files = demo
    probe = need_file(files.customers, NeedOptions(draw_map=False), store=store)
    codes = probe.oas["oa"].astype(str).tolist()
    rng = np.random.default_rng(seed)
    counts = pd.Series(rng.poisson(4.0, len(codes)), index=codes)
    res = _run(files.customers, store, _write(tmp_path / "o.csv", "oa", counts), "oa")
    ranges = _observed_attack(res)
    assert len(ranges) > 100  # most OAs hidden: the attack has something to work on
    narrow = {k: r for k, r in ranges.items() if r[1] - r[0] < 3}
    assert not narrow


def test_need_and_a_profile_of_the_same_claimants_withstand_the_attacker(demo, tmp_path):
    """``profile claimants.csv`` and ``need --observed claimants.csv`` publish sums of the
    same OA counts (each OA lies in one OAC subgroup): a shown subgroup less its shown
    OAs gave hidden OA counts back exactly (19 OAs of 3,000 Demoshire claimants, e.g. 4
    and 7 people).  Together they must leave every hidden count four values or more."""
    from tests.attack import attack_sums

    from oacinsight.profile.run import profile_file

    store, files = demo
    customers = pd.read_csv(files.customers, dtype=str)
    claimants = tmp_path / "claimants.csv"
    customers.sample(3000, random_state=6)[["postcode"]].to_csv(claimants, index=False)
    profile = profile_file(claimants, level="all", store=store).to_frame()
    res = need_file(
        files.customers, NeedOptions(observed=str(claimants), draw_map=False), store=store
    )
    pub, oas = res.to_frame(), res.oas.astype(object)
    column = {"oa": "oa", "lsoa": "lsoa", "ward": "ward", "lad": "lad"}
    column.update(supergroup="supergroup", group="group_code", subgroup="subgroup")
    cells = [
        ((t, c), oas.loc[oas[column[t]].astype(str) == str(c), "oa"].tolist(), v)
        for t, c, v in zip(
            [*pub["area_type"], *profile["level"]],
            [*pub["area_code"], *profile["code"]],
            [*pub["observed"], *profile["customers"]],
            strict=True,
        )
    ]
    cells = [(k, m, None if pd.isna(v) else float(v)) for k, m, v in cells]
    per_oa = res.expected[res.expected["area_type"] == "oa"].set_index("area_code")["observed"]
    truth = {k: int(per_oa.reindex(m).fillna(0).sum()) for k, m, _ in cells}
    total = int(per_oa.sum())
    assert int(profile.loc[profile["level"] == "supergroup", "base"].notna().sum()) == 8
    ranges = attack_sums(cells, oas["oa"].tolist(), total, truth)
    assert len(ranges) > 50
    assert not {k: r for k, r in ranges.items() if r[1] - r[0] < 3}
