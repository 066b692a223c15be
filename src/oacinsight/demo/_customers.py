"""A synthetic council customer extract for Demoshire, with its known truth.

Customers are drawn per output area as ``Poisson(residents × rate[supergroup])`` and
placed at random live small-user postcodes of their OA.  A known share of those
postcodes is then typed messily, and problem rows (blank, invalid, terminated, not in
the directory, BFPO, old OA) are added.  Every row carries the match status a correct
matcher must give it.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from oacinsight.demo._world import INWARD_LETTERS, POSTCODE_AREA, PROFILES, World

CUSTOMER_COLUMNS = ("record_id", "postcode", "service", "contact_date", "outcome",
                    "channel", "name_note")  # fmt: skip
STATUSES = ("matched", "matched_terminated", "not_found", "invalid_format", "missing",
            "no_oac")  # fmt: skip
#: Share of the Poisson-drawn rows whose postcode is typed messily (still matchable).
MESSY_SHARE = 0.20
MESSY_KINDS = ("lower", "no_space", "extra_spaces", "pcd2_style", "whitespace")
#: Postcodes that break the grammar (status ``invalid_format``).
INVALID_VALUES = ("DM1", "12345", "N/A", "TBC", "DM1 2A", "0113 496 0000", "unknown",
                  "D M")  # fmt: skip
#: British Forces addresses: valid mail, no geography (status ``not_found``).
BFPO_VALUES = ("BFPO 123", "BFPO 57")
FORMULA_NOTE = '=HYPERLINK("http://example.invalid/x","click")'
PHONE_NOTE = "+44 7700 900123 mobile, call after 5"
SERVICES = ("Council Tax Support", "Housing Repairs", "Adult Social Care", "Blue Badge",
            "Garden Waste", "Free School Meals", "Library Membership")  # fmt: skip
OUTCOMES = ("Resolved", "Referred", "Pending", "Closed - no contact")
CHANNELS = ("Phone", "Online", "In person", "Email")
FIRST_NAMES = ("Amy", "Ben", "Chloe", "David", "Emma", "Fatima", "George", "Hannah",
               "Imran", "Jack", "Katie", "Liam", "Mohammed", "Olivia", "Priya", "Sam")  # fmt: skip
#: Names typed with non-ASCII letters; used for :data:`NON_ASCII_SHARE` of the rows.
NON_ASCII_NAMES = ("Zoë", "Siân", "Łukasz", "José", "Seán", "Chloé", "Björn")
NON_ASCII_SHARE = 0.03
SURNAMES = ("Smith", "Jones", "Taylor", "Brown", "Khan", "Patel", "Walker", "Wood",
            "Wright", "Hughes", "Nowak", "O'Brien")  # fmt: skip
NOTES = ("", "", "", "prefers email", "called back", 'said "urgent"', "needs interpreter",
         "follow up in 2 weeks")  # fmt: skip
FIRST_DAY = date(2023, 4, 1)
#: Base shares of the services, and how much more (or less) often each service reaches a
#: supergroup than its base share says (1 where not listed): the known truth behind the
#: demo's ``profile --by service``.
SERVICE_SHARES = (0.25, 0.2, 0.15, 0.1, 0.15, 0.1, 0.05)
SERVICE_TILT: dict[str, dict[str, float]] = {
    "Council Tax Support": {"7": 1.6, "8": 1.8, "1": 0.4},
    "Housing Repairs": {"4": 1.8, "8": 1.6},
    "Adult Social Care": {"1": 2.5, "6": 1.3},
    "Blue Badge": {"1": 1.8, "6": 1.5},
    "Garden Waste": {"2": 2.5, "1": 1.8, "4": 0.3},
    "Free School Meals": {"4": 1.8, "7": 1.6, "1": 0.2},
    "Library Membership": {"3": 2.5, "2": 1.4},
}
#: Contacts of this supergroup grow through the year (density rising linearly from 0):
#: the planted trend behind the demo's ``profile --period contact_date``.
TREND_SUPERGROUP = "3"


def supergroup_rates(world: World, n_drawn: float) -> dict[str, float]:
    """Customers per resident for each supergroup, scaled to about ``n_drawn`` rows.

    The relative take-up comes from :data:`PROFILES`; rates are rounded to 6 decimal
    places and the rounded values are the ones used for drawing (and the truth).
    """
    residents = world.census["ts001"].set_index("OA")["ts0010001"]
    sg = world.oas.set_index("oa")["supergroup"]
    by_sg = residents.groupby(sg.reindex(residents.index)).sum()
    weight = sum(by_sg[s] * PROFILES[s].take_up for s in by_sg.index)
    scale = n_drawn / weight
    return {s: round(PROFILES[s].take_up * scale, 6) for s in sorted(PROFILES)}


def _row(postcode: str, kind: str, status: str, oa: str | None, sg: str | None) -> dict:
    """One customer row before the descriptive columns are added."""
    return {"postcode": postcode, "kind": kind, "status": status, "oa": oa, "supergroup": sg}


def draw_customers(rng: np.random.Generator, world: World, rates: dict[str, float]) -> list:
    """The Poisson-drawn customers, all at live small-user postcodes (``matched``)."""
    pcs = world.postcodes
    usable = pcs[(pcs["kind"] == "live") & (pcs["usertype"] == "0")]
    by_oa = usable.groupby("oa", sort=True)["pcds"].apply(list).to_dict()
    residents = world.census["ts001"].set_index("OA")["ts0010001"]
    rows = []
    for oa, sg in zip(world.oas["oa"], world.oas["supergroup"], strict=True):
        n = int(rng.poisson(residents[oa] * rates[sg]))
        options = by_oa[oa]
        for i in rng.integers(len(options), size=n):
            rows.append(_row(options[int(i)], "clean", "matched", oa, sg))
    return rows


def _messy(rng: np.random.Generator, pcds: str, kind: str) -> str:
    """``pcds`` typed in one of the :data:`MESSY_KINDS` ways."""
    outward, inward = pcds.split(" ")
    if kind == "lower":
        return pcds.lower()
    if kind == "no_space":
        return outward + inward
    if kind == "extra_spaces":
        return f"{outward}   {inward}"
    if kind == "pcd2_style":
        return f"{outward:<5}{inward}"
    pads = ((" ", ""), ("", "  "), ("  ", " "))[int(rng.integers(3))]
    return f"{pads[0]}{pcds}{pads[1]}"


def mess_up(rng: np.random.Generator, rows: list[dict]) -> None:
    """Retype :data:`MESSY_SHARE` of the postcodes messily, in place."""
    for row in rows:
        if rng.random() < MESSY_SHARE:
            kind = MESSY_KINDS[int(rng.integers(len(MESSY_KINDS)))]
            row["postcode"] = _messy(rng, row["postcode"], kind)
            row["kind"] = kind


def _not_in_directory(rng: np.random.Generator, known: set[str], n: int) -> list[str]:
    """``n`` valid-grammar postcodes absent from the directory, ``DM9 9ZZ`` first."""
    out = [p for p in ("DM9 9ZZ", "SW1A 1AA") if p not in known][:n]
    while len(out) < n:
        d, s = int(rng.integers(1, 10)), int(rng.integers(10))
        a, b = rng.integers(len(INWARD_LETTERS), size=2)
        pc = f"{POSTCODE_AREA}{d} {s}{INWARD_LETTERS[a]}{INWARD_LETTERS[b]}"
        if pc not in known and pc not in out:
            out.append(pc)
    return out


def problem_rows(rng: np.random.Generator, world: World, n_customers: int) -> list[dict]:
    """Rows that cannot simply be matched, sized as shares of ``n_customers``."""
    pcs = world.postcodes
    rows = []
    for i in range(round(0.02 * n_customers)):
        blank = ("", "blank") if i % 5 != 4 else ("   ", "whitespace_only")
        rows.append(_row(blank[0], blank[1], "missing", None, None))
    for i in range(round(0.01 * n_customers)):
        value = INVALID_VALUES[i % len(INVALID_VALUES)]
        rows.append(_row(value, "invalid", "invalid_format", None, None))
    rows += [_row(v, "bfpo", "not_found", None, None) for v in BFPO_VALUES]
    sg = world.oas.set_index("oa")["supergroup"]
    dead = pcs[pcs["kind"] == "terminated"]
    dead_pcds, dead_oas = dead["pcds"].tolist(), dead["oa"].tolist()
    for i in rng.integers(len(dead), size=round(0.01 * n_customers)):
        pc, oa = dead_pcds[int(i)], dead_oas[int(i)]
        rows.append(_row(pc, "terminated", "matched_terminated", oa, sg[oa]))
    old = pcs[pcs["kind"] == "old_oa"]
    old_pcds, old_oas = old["pcds"].tolist(), old["oa"].tolist()
    for i in rng.integers(len(old), size=max(3, round(0.002 * n_customers))):
        rows.append(_row(old_pcds[int(i)], "old_oa", "no_oac", old_oas[int(i)], None))
    n_absent = max(3, round(0.002 * n_customers))
    for pc in _not_in_directory(rng, set(pcs["pcds"]), n_absent):
        rows.append(_row(pc, "not_in_directory", "not_found", None, None))
    return rows


def _name_note(rng: np.random.Generator) -> str:
    """A free-text name and note, sometimes with a comma or quotes."""
    names = NON_ASCII_NAMES if rng.random() < NON_ASCII_SHARE else FIRST_NAMES
    first = names[int(rng.integers(len(names)))]
    last = SURNAMES[int(rng.integers(len(SURNAMES)))]
    note = NOTES[int(rng.integers(len(NOTES)))]
    name = f"{last}, {first[0]}." if rng.random() < 0.2 else f"{first} {last}"
    return f"{name} - {note}" if note else name


def finish(rng: np.random.Generator, rows: list[dict]) -> pd.DataFrame:
    """Shuffle the rows, number them and add the descriptive columns."""
    frame = pd.DataFrame(rows).iloc[rng.permutation(len(rows))].reset_index(drop=True)
    n = len(frame)
    frame.insert(0, "record_id", [f"DS-{i + 1:06d}" for i in range(n)])
    frame["service"] = [
        SERVICES[i] for i in rng.choice(len(SERVICES), n, p=[0.25, 0.2, 0.15, 0.1, 0.15, 0.1, 0.05])
    ]
    days = rng.integers(366, size=n)
    frame["contact_date"] = [(FIRST_DAY + timedelta(days=int(d))).isoformat() for d in days]
    frame["outcome"] = [OUTCOMES[i] for i in rng.choice(len(OUTCOMES), n, p=[0.6, 0.2, 0.1, 0.1])]
    frame["channel"] = [CHANNELS[i] for i in rng.choice(len(CHANNELS), n, p=[0.4, 0.4, 0.1, 0.1])]
    frame["name_note"] = [_name_note(rng) for _ in range(n)]
    special = rng.choice(n, size=2, replace=False)
    frame.loc[int(special[0]), "name_note"] = FORMULA_NOTE
    frame.loc[int(special[1]), "name_note"] = PHONE_NOTE
    _services_and_dates(np.random.default_rng(int(rng.integers(2**32))), frame)
    return frame


def _services_and_dates(rng: np.random.Generator, frame: pd.DataFrame) -> None:
    """Services drawn with :data:`SERVICE_TILT` per supergroup, and contact dates with
    :data:`TREND_SUPERGROUP` growing through the year (in place; the generator is a child
    drawn last, so every other column keeps its values)."""
    sg = frame["supergroup"].astype(object).where(frame["supergroup"].notna(), "")
    weights = np.array([[SERVICE_SHARES[k] * SERVICE_TILT[svc].get(str(g), 1.0)
                         for k, svc in enumerate(SERVICES)] for g in sg])  # fmt: skip
    cum = (weights / weights.sum(axis=1, keepdims=True)).cumsum(axis=1)
    pick = (rng.random(len(frame))[:, None] > cum).sum(axis=1)
    frame["service"] = [SERVICES[min(int(i), len(SERVICES) - 1)] for i in pick]
    u = rng.random(len(frame))
    days = np.where(sg == TREND_SUPERGROUP, np.sqrt(u), u) * 366
    frame["contact_date"] = [(FIRST_DAY + timedelta(days=int(d))).isoformat() for d in days]
