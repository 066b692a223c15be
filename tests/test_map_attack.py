"""The protection guarantee across the profile and the maps of the same data.

Every output area has one OAC subgroup and lies in one ward, one MSOA and one district,
so a subgroup's count and a ward's count are both sums of OA counts.  The attacker
(``tests/attack.py``, one integer unknown per OA) holds every published number of the
profile (all levels and the total) and of every map layer (ward, MSOA, district; OA
counts are never published) and must not narrow any hidden cell to fewer than 4 values.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from tests.attack import attack_sums, nested_counts, oac_shape
from tests.conftest import need_shared

from oacinsight.maps.disclosure import map_pattern
from oacinsight.profile import ProfileResult

TYPES = {"wards": "ward", "msoas": "msoa", "district": "lad", "oas": "oa"}


def _profile(oas: pd.DataFrame) -> pd.DataFrame:
    """The whole profile hierarchy with its pattern, as ``profile --level all`` makes it."""
    sub = (
        oas.rename(columns={"subgroup": "code"})
        .groupby("code", as_index=False)[["customers", "base"]]
        .sum()
    )
    n = int(sub["customers"].sum())
    result = ProfileResult.from_counts(
        nested_counts(sub),
        level="all",
        base_name="residents",
        areas=[("E0", "Area")],
        n_input=n,
        n_matched=n,
        n_in_area=n,
        unmatched={},
    )
    return result.full_table if result.full_table is not None else result.table


def _members(geo: pd.DataFrame) -> pd.DataFrame:
    parts = [
        pd.DataFrame({"layer": layer, "code": geo[column], "oa": geo["oa"]})
        for layer, column in (
            ("wards", "ward"),
            ("msoas", "msoa"),
            ("district", "lad"),
            ("oas", "oa"),
        )
    ]
    return pd.concat(parts, ignore_index=True)


def _attack_file(geo: pd.DataFrame, rng: np.random.Generator, n: int) -> tuple[int, int]:
    """Draw ``n`` customers over ``geo``'s OAs, publish, attack.  Returns (narrowest
    hidden range, map cells shown)."""
    propensity = {s: np.exp(rng.normal(0, 0.8)) for s in geo["subgroup"].unique()}
    weight = geo["base"].to_numpy() * geo["subgroup"].map(propensity).to_numpy()
    weight *= np.exp(rng.normal(0, 0.5, len(geo)))  # OAs differ within a subgroup too
    oas = geo.assign(customers=rng.multinomial(n, weight / weight.sum()))
    oas["supergroup"], oas["group_code"] = oas["subgroup"].str[0], oas["subgroup"].str[:2]
    profile = _profile(oas)
    pattern = map_pattern(oas, _members(geo), TYPES, profile)
    assert not pattern.note
    assert "oas" not in pattern.shown and "oas" not in pattern.hidden
    by = {
        lv: oas.groupby(col)["oa"].agg(list)
        for lv, col in (
            ("supergroup", "supergroup"),
            ("group", "group_code"),
            ("subgroup", "subgroup"),
        )
    }
    cells, truth = [], {}
    for row in profile.itertuples(index=False):
        key = f"{row.level} {row.code}"
        truth[key] = row.customers
        cells.append(
            (key, by[row.level][row.code], None if row.flag == "suppressed" else row.customers)
        )
    for layer, column in (("wards", "ward"), ("msoas", "msoa"), ("district", "lad")):
        for code, members in oas.groupby(column)["oa"].agg(list).items():
            key = f"{layer} {code}"
            truth[key] = int(oas.loc[oas[column] == code, "customers"].sum())
            shown = pattern.shown.get(layer, {})
            assert code in shown or code in pattern.hidden[layer]
            if code in shown:
                assert shown[code] == truth[key]
                assert truth[key] >= 10
            cells.append((key, members, shown.get(code)))
    ranges = attack_sums(cells, oas["oa"].tolist(), n, truth)
    for key, (low, high) in ranges.items():
        assert low <= truth[key] <= high, key
        assert high - low >= 3, (key, low, high, n)
    narrowest = min((h - lo for lo, h in ranges.values()), default=99)
    return narrowest, sum(len(v) for v in pattern.shown.values())


def _synthetic_geography(rng: np.random.Generator, n: int = 240) -> pd.DataFrame:
    """``n`` OAs in 8 wards and ``n / 15`` MSOAs (cutting across wards), subgroups
    clustered by ward."""
    codes = oac_shape()
    local = rng.choice(codes, size=(8, 6))  # each ward has a few typical subgroups
    ward = np.repeat(np.arange(8), n // 8)
    sub = [local[w][rng.integers(0, 6)] if rng.random() < 0.8 else rng.choice(codes) for w in ward]
    return pd.DataFrame(
        {
            "oa": [f"E00{i:06d}" for i in range(n)],
            "subgroup": sub,
            "ward": [f"E05{w:06d}" for w in ward],
            "msoa": [f"E02{(i + 7) // 15:06d}" for i in range(n)],
            "lad": "E08000999",
            "base": rng.integers(100, 500, n).astype(float),
        }
    )


def test_profile_and_maps_attacked_together_synthetic() -> None:
    rng = np.random.default_rng(20261202)
    found = [
        _attack_file(_synthetic_geography(rng), rng, int(rng.integers(20, 301))) for _ in range(10)
    ]
    assert min(n for n, _ in found) == 3  # close to the limit, never past it
    assert sum(s for _, s in found) >= 40  # and the maps still show areas


def _wigan() -> pd.DataFrame:
    """Real Wigan OAs with their real OAC subgroups, wards, MSOAs and residents."""
    nspl = pd.read_csv(
        need_shared("postcodes", "NSPL_NOV_2021_UK_WN.csv"),
        usecols=["oa11", "laua", "ward", "msoa11"],
        dtype=str,
    )
    nspl = nspl[nspl["laua"] == "E08000010"].drop_duplicates("oa11")
    oac = pd.read_parquet(need_shared("oac", "oac2021_uk_oa.parquet"))
    res = pd.read_parquet(
        need_shared("census2021_oa", "ts001.parquet"), columns=["OA", "ts0010001"]
    )
    geo = nspl.merge(oac, left_on="oa11", right_on="Geography_Code").merge(
        res, left_on="oa11", right_on="OA"
    )
    return pd.DataFrame(
        {
            "oa": geo["oa11"],
            "subgroup": geo["Subgroup"],
            "ward": geo["ward"],
            "msoa": geo["msoa11"],
            "lad": geo["laua"],
            "base": geo["ts0010001"].astype(float),
        }
    )


@pytest.mark.realdata
def test_profile_and_maps_attacked_together_realdata() -> None:
    """20 random files of 20-300 customers on Wigan's real OAs, wards and MSOAs."""
    geo = _wigan()
    assert len(geo) > 700 and geo["ward"].nunique() > 20
    rng = np.random.default_rng(802)
    found = [_attack_file(geo, rng, int(rng.integers(20, 301))) for _ in range(20)]
    assert min(n for n, _ in found) >= 3
    assert sum(s for _, s in found) >= 20


def test_layers_audited_one_by_one_leak() -> None:
    """The rule before the joint pattern (each map layer audited alone, OA counts
    published) lets the attacker narrow hidden profile or map cells."""
    from oacinsight.maps.choropleth import hidden_areas

    rng = np.random.default_rng(7)
    broken = 0
    for _ in range(5):
        geo = _synthetic_geography(rng, 96)
        n = int(rng.integers(100, 301))
        weight = np.exp(rng.normal(0, 1.5, len(geo)))  # customers bunched in a few OAs
        oas = geo.assign(customers=rng.multinomial(n, weight / weight.sum()))
        oas["supergroup"], oas["group_code"] = oas["subgroup"].str[0], oas["subgroup"].str[:2]
        profile = _profile(oas)
        cells, truth = [], {}
        for lv, col in (
            ("supergroup", "supergroup"),
            ("group", "group_code"),
            ("subgroup", "subgroup"),
        ):
            part = profile[profile["level"] == lv]
            for row in part.itertuples(index=False):
                truth[f"{lv} {row.code}"] = row.customers
                cells.append(
                    (
                        f"{lv} {row.code}",
                        oas.loc[oas[col] == row.code, "oa"].tolist(),
                        None if row.flag == "suppressed" else row.customers,
                    )
                )
        for layer in ("ward", "oa"):
            per = oas.groupby(layer)["customers"].sum()
            hide = hidden_areas(per, 10)
            for (code, value), h in zip(per.items(), hide, strict=True):
                truth[f"{layer} {code}"] = value
                cells.append(
                    (
                        f"{layer} {code}",
                        oas.loc[oas[layer] == code, "oa"].tolist(),
                        None if h else float(value),
                    )
                )
        ranges = attack_sums(cells, oas["oa"].tolist(), n, truth)
        broken += any(high - low < 3 for low, high in ranges.values())
    assert broken >= 4
