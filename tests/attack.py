"""The attacker of the disclosure tests, and random nested profile files to attack.

The attacker is written independently of ``oacinsight.profile.audit``: it takes the
*published* rows of any number of outputs (as a reader would download them), one
integer variable per cell (not per leaf), the parent = sum of children and level total
equations, and asks ``scipy.optimize.milp`` for the smallest and largest value of every
hidden cell.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, milp

#: Groups per supergroup and subgroups per group, the shape of the 2021 OAC (8/21/52).
_GROUPS = (3, 3, 2, 3, 3, 2, 3, 2)
_SUBGROUPS = (2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2)


def oac_shape() -> list[str]:
    """52 subgroup codes nested 8/21/52 like the 2021 OAC (``1a1`` ...)."""
    codes, k = [], 0
    for s, n_groups in enumerate(_GROUPS, start=1):
        for g in "abc"[:n_groups]:
            codes += [f"{s}{g}{i}" for i in range(1, _SUBGROUPS[k] + 1)]
            k += 1
    return codes


def nested_counts(sub: pd.DataFrame) -> pd.DataFrame:
    """``compute_profile`` input for all three levels from subgroup ``code, customers,
    base``."""
    sub = sub.assign(level="subgroup", parent=sub["code"].str[:2])
    grp = sub.groupby("parent", as_index=False)[["customers", "base"]].sum()
    grp = grp.rename(columns={"parent": "code"}).assign(level="group")
    grp["parent"] = grp["code"].str[0]
    sg = grp.groupby("parent", as_index=False)[["customers", "base"]].sum()
    sg = sg.rename(columns={"parent": "code"}).assign(level="supergroup", parent=None)
    out = pd.concat(
        [sg, grp, sub[["code", "customers", "base", "level", "parent"]]], ignore_index=True
    )
    out["name"] = "name " + out["code"]
    return out


def random_file(
    rng: np.random.Generator, codes: list[str], base: np.ndarray, n: int
) -> pd.DataFrame:
    """``n`` customers drawn over ``codes`` with random propensities (index 20 to 500)."""
    weight = base * np.exp(rng.uniform(np.log(0.2), np.log(5.0), len(codes)))
    customers = rng.multinomial(n, weight / weight.sum())
    return nested_counts(pd.DataFrame({"code": codes, "customers": customers, "base": base}))


def attack(
    outputs: list[pd.DataFrame], total: int, floor: int = 0
) -> dict[tuple[str, str], tuple[int, int]]:
    """Smallest and largest value of every hidden cell given all published outputs.

    Parameters
    ----------
    outputs : list of pandas.DataFrame
        Published frames (``level``, ``code``, ``customers`` with NA where hidden).
    total : int
        The published number of customers in the area.
    floor : int
        What the documented rule says a hidden cell is at least (0 when zeros are
        hidden too, 1 when zeros are shown).
    """
    cells: dict[tuple[str, str], float | None] = {}
    for frame in outputs:
        for lv, code, value in zip(frame["level"], frame["code"], frame["customers"], strict=True):
            known = None if pd.isna(value) else float(value)
            previous = cells.setdefault((lv, str(code)), known)
            assert previous == known, f"two outputs disagree on {lv} {code}"
    keys = list(cells)
    pos = {k: i for i, k in enumerate(keys)}
    rows, rhs = [], []
    for (_lv, code), i in pos.items():
        children = [
            j
            for (clv, ccode), j in pos.items()
            if ccode[:-1] == code and len(ccode) == len(code) + 1
        ]
        if children:
            row = np.zeros(len(keys))
            row[i], row[children] = 1.0, -1.0
            rows.append(row)
            rhs.append(0.0)
    for level in {lv for lv, _ in keys}:
        rows.append(np.array([1.0 if k[0] == level else 0.0 for k in keys]))
        rhs.append(float(total))
    low = np.array([floor if v is None else v for v in cells.values()], dtype=float)
    high = np.array([total if v is None else v for v in cells.values()], dtype=float)
    cons = LinearConstraint(np.array(rows), rhs, rhs)
    out = {}
    for key, value in cells.items():
        if value is not None:
            continue
        c = np.zeros(len(keys))
        c[pos[key]] = 1.0
        found = []
        for sign in (1.0, -1.0):
            res = milp(
                sign * c, integrality=np.ones(len(keys)), bounds=Bounds(low, high), constraints=cons
            )
            assert res.status == 0, res.message
            found.append(round(sign * res.fun))
        out[key] = (found[0], found[1])
    return out


def attack_sums(
    cells: list[tuple[str, list[str], float | None]],
    oas: list[str],
    total: int,
    truth: dict[str, int] | None = None,
) -> dict[str, tuple[int, int]]:
    """Smallest and largest value of every hidden cell when cells are sums of OAs.

    One integer unknown per output area (0 to ``total``, adding up to ``total``); a
    published cell ``(key, its OAs, value)`` is an equation, a hidden one (value None)
    is what is bounded.  This is what a reader of the profile (each subgroup, group and
    supergroup is the sum of its OAs) and of the map layers (each area the sum of its
    OAs) can work out together.  With ``truth`` (the test knows it), the minimum is not
    sought once the maximum is 3 or more above the true value (the range is then wide
    enough whatever the minimum; reported as ``(truth, high)``).
    """
    pos = {oa: i for i, oa in enumerate(oas)}
    rows, rhs = [np.ones(len(oas))], [float(total)]
    sets = {}
    for key, members, value in cells:
        row = np.zeros(len(oas))
        row[[pos[o] for o in members]] = 1.0
        sets[key] = row
        if value is not None:
            rows.append(row)
            rhs.append(float(value))
    cons = LinearConstraint(np.array(rows), rhs, rhs)
    out = {}
    for key, _members, value in cells:
        if value is not None:
            continue
        found = []
        for sign in (-1.0, 1.0):
            res = milp(
                sign * sets[key],
                integrality=np.ones(len(oas)),
                bounds=Bounds(0, total),
                constraints=cons,
            )
            assert res.status == 0, res.message
            found.append(round(sign * res.fun))
            if truth is not None and found[0] - truth[key] >= 3:
                found.append(truth[key])
                break
        out[key] = (found[1], found[0])
    return out
