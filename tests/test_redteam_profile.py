"""Attacks and checks on the profile's suppression pattern from outside: a file of
2,000 Demoshire customers (nested 8/21/52 with groups holding a single subgroup)."""

from __future__ import annotations

import pandas as pd
from tests.attack import attack, nested_counts

from oacinsight.profile import suppression_mask, table_hierarchy

#: Subgroup counts of 1,929 matched customers drawn from the Demoshire demo (a sample of
#: 2,000; groups 2a and 3a hold one subgroup each, both below 10).
SUBGROUPS = {
    "1a1": 12, "1a2": 12, "1b1": 3, "1b2": 10, "1c1": 12, "1c2": 12, "2a3": 2,
    "2b1": 23, "2b2": 65, "2c1": 40, "2c2": 8, "3a1": 5, "3b1": 29, "3b2": 24,
    "3c1": 16, "3c2": 37, "4a1": 47, "4a2": 18, "4a3": 55, "4b1": 24, "4b2": 25,
    "4b3": 11, "4b4": 41, "4c1": 10, "4c2": 9, "5a1": 19, "5a2": 47, "5a3": 20,
    "5b1": 43, "5b2": 39, "6a1": 46, "6a2": 61, "6a3": 29, "6b1": 35, "6b2": 32,
    "6b3": 18, "6c1": 70, "6c2": 96, "7a1": 98, "7a2": 84, "7b1": 108, "7b2": 71,
    "8a1": 120, "8a2": 175, "8b1": 70, "8b2": 39, "8b3": 59,
}  # fmt: skip


def _pattern() -> tuple[pd.DataFrame, pd.Series]:
    sub = pd.DataFrame({"code": list(SUBGROUPS), "customers": list(SUBGROUPS.values())})
    table = nested_counts(sub.assign(base=1000))
    mask = suppression_mask(table["customers"], threshold=10, hierarchy=table_hierarchy(table))
    return table, mask


def test_an_only_child_below_the_threshold_does_not_hide_the_whole_table():
    """An only child below 10 (3a1 = 5 = its group 3a) hid its group's siblings, then,
    their children all shown, its parent, then every supergroup in turn: 64 of 76
    cells of 1,929 customers hidden, all 8 supergroups among them (each 61 to 463)."""
    table, mask = _pattern()
    primary = int((table["customers"] < 10).sum())
    assert primary == 7
    assert not mask[table["level"] == "supergroup"].any()
    assert int(mask.sum()) <= 2 * primary + 6


def test_the_smaller_pattern_still_withstands_the_attacker():
    table, mask = _pattern()
    published = table.assign(customers=table["customers"].where(~mask))
    ranges = attack([published[["level", "code", "customers"]]], int(sum(SUBGROUPS.values())))
    assert len(ranges) == int(mask.sum())
    assert all(high - low >= 3 for low, high in ranges.values())
