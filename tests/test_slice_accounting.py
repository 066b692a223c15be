"""The rows-per-slice tables of ``profile --by`` and ``need --by`` (and the survey's
placement and answer counts per slice) publish no small count that a reader can work
out by subtraction along a slice's row (rows − matched = not matched) or down a column
(the whole file's figure − the other slices).

The attacker (``tests.attack.attack_sums``, integer programming, written apart from the
code's own audit) takes every number of the published tables, each cell a sum of
unknowns (a slice's rows of one kind: in the area, matched outside it, not found ...),
and bounds every hidden cell.  A hidden cell must keep at least four possible values,
or as many as the whole file's own figures leave it (a file with 2 rows not matched
cannot give a slice's count four values), as in the other attacker tests.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from tests.attack import attack_sums

from oacinsight.need.by_result import SLICE_COLUMNS as NEED_COLUMNS
from oacinsight.need.disclose import UNMATCHED_STATUSES, published_accounting
from oacinsight.profile.accounting import (
    AccountingTable,
    accounting_pattern,
    published_accounting_frame,
)
from oacinsight.profile.comparison import ALL_LABEL
from oacinsight.profile.comparison import SLICE_COLUMNS as PROFILE_COLUMNS

#: The attacker's own reading of the tables: which kinds of rows each column adds up.
PROFILE_SPEC = {
    "rows": ("in", "out", "nm"),
    "matched": ("in", "out"),
    "in_area": ("in",),
    "outside_area": ("out",),
    "not_matched": ("nm",),
}
NEED_KINDS = ("m_in", "m_out", "t_in", "t_out", *UNMATCHED_STATUSES)
NEED_SPEC = {
    "rows": NEED_KINDS,
    "matched": ("m_in", "m_out"),
    "matched_terminated": ("t_in", "t_out"),
    **{k: (k,) for k in UNMATCHED_STATUSES},
    "customers_in_area": ("m_in", "t_in"),
    "customers_outside_area": ("m_out", "t_out"),
}


def attack_frame(frame: pd.DataFrame, label: str, spec: dict, truth: dict) -> list[tuple]:
    """Every hidden cell of a published accounting frame that an attacker can pin
    tighter than allowed: ``(cell, low, high, allowed)``; ``truth`` is
    ``{slice: {kind: count}}``.  Also checks every shown number is true."""
    names = [n for n in frame[label] if n != ALL_LABEL]
    kinds = list(next(iter(truth.values())))
    atoms = [f"{n}|{k}" for n in names for k in kinds]
    cells, values, base = [], {}, []
    for row in frame.to_dict("records"):
        owners = names if row[label] == ALL_LABEL else [row[label]]
        for col, parts in spec.items():
            key = f"{row[label]}|{col}"
            values[key] = sum(truth[n][k] for n in owners for k in parts)
            shown = None if pd.isna(row[col]) else float(row[col])
            assert shown is None or shown == values[key], (key, shown, values[key])
            members = [f"{n}|{k}" for n in owners for k in parts]
            cells.append((key, members, shown))
            public = row[label] == ALL_LABEL or col in ("in_area", "customers_in_area")
            base.append((key, members, shown if public else None))
    total = int(sum(sum(t.values()) for t in truth.values()))
    got = attack_sums(cells, atoms, total, values)
    alone = attack_sums([c for c in base if c[0] in got or c[2] is not None], atoms, total, values)
    bad = []
    for key, (low, high) in got.items():
        assert low <= values[key] <= high, key
        allowed = min(3, alone[key][1] - alone[key][0])
        if high - low < allowed:
            bad.append((key, low, high, allowed))
    return bad


def small_cells(frame: pd.DataFrame, label: str, spec: dict, truth: dict) -> list[str]:
    """The slice cells below 10 (what primary suppression must hide)."""
    out = []
    for name in frame[label]:
        if name == ALL_LABEL:
            continue
        for col, parts in spec.items():
            if (
                col not in ("in_area", "customers_in_area")
                and sum(truth[name][k] for k in parts) < 10
            ):
                out.append(f"{name}|{col}")
    return out


# -- hand-worked --------------------------------------------------------------------------
def _profile(atoms: list[list[int]], threshold: int = 10) -> pd.DataFrame:
    table = AccountingTable(np.array(atoms), PROFILE_COLUMNS, fixed=("in_area",))
    hidden, fallback = accounting_pattern(table, threshold)
    assert not fallback
    totals = dict(zip(PROFILE_COLUMNS, table.values()[-len(PROFILE_COLUMNS) :], strict=True))
    names = [f"s{i + 1}" for i in range(len(atoms))]
    overall = {k: int(v) for k, v in totals.items()}
    return published_accounting_frame(("by", ALL_LABEL), names, table, hidden, overall)


def _truth(atoms: list[list[int]], kinds) -> dict:
    return {f"s{i + 1}": dict(zip(kinds, row, strict=True)) for i, row in enumerate(atoms)}


def test_hand_worked_three_unmatched_rows():
    """s1 has 3 rows not matched: rows 103 − matched 100 gave them away.  Now its rows
    and not-matched are hidden, and so are those of s3 (the smallest other), so the two
    add up to 73 − 40 = 33 and each can be anything from 0 to 33; s1 has rows 100 to 133."""
    atoms = [[100, 0, 3], [80, 0, 40], [50, 0, 30]]
    out = _profile(atoms).set_index("by")
    assert out.loc[ALL_LABEL].tolist() == [303, 230, 230, 0, 73]
    assert out.loc["s1"].isna().tolist() == [True, False, False, True, True]
    assert out.loc["s2"].tolist()[:3] == [120, 80, 80] and out.loc["s2", "not_matched"] == 40
    assert out.loc["s3"].isna().tolist() == [True, False, False, True, True]
    got = attack_sums(*_cells(out.reset_index(), PROFILE_SPEC), 303, None)
    assert got["s1|not_matched"] == (0, 33) and got["s3|not_matched"] == (0, 33)
    assert got["s1|rows"] == (100, 133)
    assert got["s1|outside_area"] == (0, 0)  # 0 outside the area in the whole file: public


def _cells(frame: pd.DataFrame, spec: dict) -> tuple[list, list]:
    names = [n for n in frame["by"] if n != ALL_LABEL]
    kinds = sorted({k for parts in spec.values() for k in parts})
    cells = []
    for row in frame.to_dict("records"):
        owners = names if row["by"] == ALL_LABEL else [row["by"]]
        for col, parts in spec.items():
            value = None if pd.isna(row[col]) else float(row[col])
            cells.append((f"{row['by']}|{col}", [f"{n}|{k}" for n in owners for k in parts], value))
    return cells, [f"{n}|{k}" for n in names for k in kinds]


def test_hand_worked_small_outside_the_area():
    """s1 has 5 customers matched outside the area: matched 105 − in the area 100 gave
    them away.  Hidden with s1's matched and not-matched, and s3's (12 outside):
    5 + 12 = 37 − 20 and 30 + 30 = 100 − 40, so s1 outside is 0 to 17."""
    atoms = [[100, 5, 30], [80, 20, 40], [50, 12, 30]]
    out = _profile(atoms).set_index("by")
    assert out.loc["s1"].isna().tolist() == [False, True, False, True, True]
    assert out.loc["s2"].notna().all()
    got = attack_sums(*_cells(out.reset_index(), PROFILE_SPEC), int(out.loc[ALL_LABEL, "rows"]))
    assert got["s1|outside_area"] == (0, 17) and got["s1|not_matched"] == (18, 35)


def test_hand_worked_two_unmatched_rows_in_the_whole_file():
    """2 rows not matched in the whole file (published): no slice count can take more than
    3 values (0, 1, 2), and each keeps all three."""
    atoms = [[50, 0, 2], [40, 0, 0]]
    out = _profile(atoms).set_index("by")
    assert out.loc[["s1", "s2"], "not_matched"].isna().all()
    assert out.loc[["s1", "s2"], "rows"].isna().all()
    got = attack_sums(*_cells(out.reset_index(), PROFILE_SPEC), 92)
    assert got["s1|not_matched"] == (0, 2) and got["s2|not_matched"] == (0, 2)


def test_hiding_the_small_counts_alone_is_not_enough():
    """The tables as published before showed every count; hiding only those below 10
    still gives them away by subtraction: the attacker pins them (so it can fail)."""
    rng = np.random.default_rng(7)
    pinned = smalls = 0
    for _ in range(15):
        atoms = _random_profile_atoms(rng)
        table = AccountingTable(np.array(atoms), PROFILE_COLUMNS, fixed=("in_area",))
        names = [f"s{i + 1}" for i in range(len(atoms))]
        totals = dict(zip(PROFILE_COLUMNS, table.values()[-5:].astype(int), strict=True))
        small = table.values()[: len(atoms) * 5].reshape(len(atoms), 5) < 10
        small[:, 2] = False
        naive = published_accounting_frame(("by", ALL_LABEL), names, table, small, totals)
        truth = _truth(atoms, ("in", "out", "nm"))
        smalls += len(small_cells(naive, "by", PROFILE_SPEC, truth))
        pinned += sum(1 for _, low, high, _ in attack_frame(naive, "by", PROFILE_SPEC, truth)
                      if low == high)  # fmt: skip
    assert smalls > 20 and pinned >= smalls // 2, (pinned, smalls)


# -- random tables ------------------------------------------------------------------------
def _small_or_large(rng: np.random.Generator) -> int:
    return int(rng.integers(0, 10)) if rng.random() < 0.5 else int(rng.integers(10, 80))


def _random_profile_atoms(rng: np.random.Generator) -> list[list[int]]:
    n = int(rng.integers(2, 7))
    out_zero = rng.random() < 0.3  # often nobody outside the area in the whole file
    return [
        [int(rng.integers(20, 400)), 0 if out_zero else _small_or_large(rng),
         _small_or_large(rng)]
        for _ in range(n)
    ]  # fmt: skip


def _random_need_atoms(rng: np.random.Generator) -> list[list[int]]:
    n = int(rng.integers(2, 6))
    term = rng.random() < 0.4
    rows = []
    for _ in range(n):
        t_in = int(rng.integers(0, 12)) if term else 0
        row = [int(rng.integers(20, 400)), int(rng.integers(0, 4)) if rng.random() < 0.3 else 0,
               t_in, 0, *(_small_or_large(rng) if rng.random() < 0.7 else 0
                          for _ in UNMATCHED_STATUSES)]  # fmt: skip
        rows.append(row)
    return rows


@pytest.mark.parametrize("seed", range(4))
def test_random_profile_tables_withstand_the_attack(seed):
    rng = np.random.default_rng(4100 + seed)
    checked = 0
    for _ in range(12):
        atoms = _random_profile_atoms(rng)
        out = _profile(atoms)
        truth = _truth(atoms, ("in", "out", "nm"))
        for key in small_cells(out, "by", PROFILE_SPEC, truth):
            s, col = key.split("|")
            assert pd.isna(out.set_index("by").loc[s, col]), key
        assert attack_frame(out, "by", PROFILE_SPEC, truth) == []
        checked += int(out.drop(columns="by").isna().to_numpy().sum())
    assert checked > 30


def _need_frame(atoms: list[list[int]]) -> tuple[pd.DataFrame, dict]:
    table_atoms = np.array(atoms)
    whole = dict(zip(NEED_KINDS, table_atoms.sum(axis=0).tolist(), strict=True))
    acc = {
        "rows": int(table_atoms.sum()),
        "matched": whole["m_in"] + whole["m_out"],
        "matched_terminated": whole["t_in"] + whole["t_out"],
        **{k: whole[k] for k in UNMATCHED_STATUSES},
        "customers_in_area": whole["m_in"] + whole["t_in"],
    }
    pub = published_accounting(acc, 10)
    overall = {k: pub.get(k) for k in NEED_COLUMNS}
    overall["customers_outside_area"] = whole["m_out"] + whole["t_out"]
    table = AccountingTable(
        table_atoms, NEED_COLUMNS, fixed=("customers_in_area",),
        overall_hidden={k: v is None for k, v in overall.items()},
    )  # fmt: skip
    hidden, _ = accounting_pattern(table, 10)
    names = [f"s{i + 1}" for i in range(len(atoms))]
    frame = published_accounting_frame(("by", ALL_LABEL), names, table, hidden, overall)
    return frame, _truth(atoms, NEED_KINDS)


@pytest.mark.parametrize("seed", range(3))
def test_random_need_tables_withstand_the_attack(seed):
    rng = np.random.default_rng(5200 + seed)
    checked = 0
    for _ in range(8):
        frame, truth = _need_frame(_random_need_atoms(rng))
        for key in small_cells(frame, "by", NEED_SPEC, truth):
            s, col = key.split("|")
            assert pd.isna(frame.set_index("by").loc[s, col]), key
        assert attack_frame(frame, "by", NEED_SPEC, truth) == []
        checked += int(frame.drop(columns="by").isna().to_numpy().sum())
    assert checked > 20
