"""The findings of ``need --by`` (need/by_findings.py), recomputed independently from the
published tables of the same run: the reach from ``slices_by.csv``, each slice's highest
and lowest group from ``rates_wide.csv`` (its average rate divides every group alike),
the shared target areas from ``targets_by.csv``."""

from __future__ import annotations

import pytest

from oacinsight.need import NeedOptions, need_by_file


@pytest.fixture(scope="module")
def by_service(demo):
    store, files = demo
    return need_by_file(files.customers, NeedOptions(draw_map=False), by="service", store=store)


def test_findings_say_what_the_tables_hold(by_service):
    result = by_service
    findings = result.findings()
    names = [n for n, _ in result.slices]
    assert len(names) == 7 and len(findings) == 1 + 7 + 1
    # reach at 20% of households: the lowest and the highest slice
    reach = result.slice_frame().set_index("by")["reach_at_20pct"]
    low, high = reach[names].idxmin(), reach[names].idxmax()
    assert findings[0] == (
        f"Contacting 20% of households in target-list order reaches from "
        f"{reach[low]:.0%} of the expected need ({low}) to {reach[high]:.0%} ({high}); "
        f"whole file {reach['(all)']:.0%}. The need of {high} is the most concentrated "
        f"in a few areas, that of {low} the most spread out."
    )
    assert (low, high) == ("Adult Social Care", "Housing Repairs")  # 26% and 36%
    # each slice: the groups with the highest and lowest stabilised rate
    wide = result.wide_frame().set_index("code")
    for name, finding in zip(names, findings[1:8], strict=True):
        hi, lo = wide[name].idxmax(), wide[name].idxmin()
        assert finding.startswith(f"{name}: the rate is highest in group {hi} ")
        assert f"lowest in {lo} (" in finding
        customers = result.slice_frame().set_index("by").loc[name, "customers_in_area"]
        average = customers / float(result.overall.rates.query("level == 'group'")["base"].sum())
        assert f", {wide.loc[hi, name] / average:.1f} times the slice's" in finding
    # target lists shared with the whole file's
    targets = result.targets_frame()
    whole = set(targets.loc[targets["by"] == "(all)", "area_code"])
    parts = []
    for name in names:
        mine = set(targets.loc[targets["by"] == name, "area_code"])
        if mine:
            parts.append(f"{name} {len(mine & whole)} of {len(mine)}")
    assert findings[-1].startswith(
        f"Target LSOAs shared with the whole file's list of {len(whole)}: " + "; ".join(parts)
    )
    assert "Library Membership" not in findings[-1]  # no LSOA meets its rules
    assert result.to_dict()["findings"] == findings
