"""``need --by`` on real geography (Wigan's OAs, OAC groups and census residents from
``../shared/data``): two services with known, different need rates per supergroup,
drawn as customers already matched to their output areas.  Each slice must recover its
own rates, and the slices must add up to the whole file."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from tests.test_need_realdata import WIGAN, wigan  # noqa: F401  (the fixture)

from oacinsight.need import NeedOptions, need_by_file
from oacinsight.need.by_result import ALL_LABEL

BASE_RATE = 0.004
#: Service → supergroup → multiple of the base rate (1 elsewhere).
PLANTED = {"Housing": {"8": 3.0, "7": 2.0}, "Libraries": {"1": 2.5, "8": 0.5}}


def true_rate(service: str, supergroup: str) -> float:
    return BASE_RATE * PLANTED[service].get(supergroup, 1.0)


@pytest.fixture(scope="module")
def by_service(wigan, real_store_path, tmp_path_factory):  # noqa: F811
    _, areas, _ = wigan
    rng = np.random.default_rng(1313)
    rows = []
    for oa, group, residents in areas[["OA", "group", "ts0010001"]].itertuples(index=False):
        for service in PLANTED:
            n = rng.poisson(residents * true_rate(service, group[0]))
            rows += [(oa, service)] * int(n)
    frame = pd.DataFrame(rows, columns=["oa21", "service"]).assign(match_status="matched")
    path = tmp_path_factory.mktemp("need_by_wigan") / "matched.csv"
    frame.to_csv(path, index=False)
    options = NeedOptions(areas=(WIGAN,), level="supergroup", draw_map=False)
    return frame, need_by_file(path, options, by="service", store=real_store_path)


def test_each_service_recovers_its_planted_rates(by_service):
    _, result = by_service
    assert sorted(n for n, _ in result.slices) == ["Housing", "Libraries"]
    for service, res in result.slices:
        sg = res.rates[res.rates["level"] == "supergroup"]
        for code, rate, base in zip(sg["code"], sg["rate"], sg["base"], strict=True):
            truth = true_rate(service, str(code))
            tolerance = max(0.1 * truth, 3 * np.sqrt(truth * base) / base)
            assert abs(rate - truth) <= tolerance, (service, code, rate, truth)
        # shrinkage moves the supergroups Wigan holds little of, and leaves the others
        assert (sg.loc[sg["base"] < 1000, "shrink_weight"] < 0.6).all()
        assert (sg.loc[sg["base"] > 40000, "shrink_weight"] > 0.95).all()
    # the stabilised rates in the wide table, against supergroup 6 (rate 1 in both)
    wide = result.wide_frame().set_index("code")
    assert wide.loc["7", "Housing"] / wide.loc["6", "Housing"] == pytest.approx(2.0, rel=0.15)
    assert wide.loc["1", "Libraries"] / wide.loc["6", "Libraries"] == pytest.approx(2.5, rel=0.15)


def test_slices_add_up_to_the_whole_file(by_service):
    frame, result = by_service
    counts = result.slice_frame().set_index("by")
    assert counts.loc[ALL_LABEL, "rows"] == len(frame) == counts.drop(index=ALL_LABEL)["rows"].sum()
    assert counts.loc[ALL_LABEL, "customers_in_area"] == len(frame)
    for service in PLANTED:
        assert counts.loc[service, "customers_in_area"] == (frame["service"] == service).sum()
    whole = result.overall.rates.set_index(["level", "code"])["customers"]
    parts = sum(r.rates.set_index(["level", "code"])["customers"] for _, r in result.slices)
    pd.testing.assert_series_equal(whole, parts, check_names=False)
