"""Put each respondent in an OAC group: by postcode (through ``match``), by output
area, or from a column of codes already in the file.

Every row is accounted for: a row without a group keeps a reason (``not_found``,
``missing``, ``unknown output area``...) and is counted in the result.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from oacinsight.errors import StoreError
from oacinsight.match import MATCHED, match_records
from oacinsight.store import Store, oac11, surveys
from oacinsight.survey.groups import canonical, parse_group_column, roll_up

__all__ = ["Placement", "by_group_column", "by_oa", "by_postcode"]


@dataclass
class Placement:
    """Each row's group code (None when not placed), 2021 output area and status."""

    codes: pd.Series
    oas: pd.Series | None
    status: pd.Series
    how: str
    notes: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """Rows per status (``placed`` and each reason)."""
        return {str(k): int(v) for k, v in self.status.value_counts().sort_index().items()}


def _need_oac11(s: Store) -> None:
    if not oac11.has_oac11(s.con):
        raise StoreError(
            "the store's postcode directory has no 2011 OAC (oac11) values: ingest the "
            "NSPL or ONSPD again with this version of oacinsight (it now keeps oac11)"
        )


def by_postcode(
    s: Store, frame: pd.DataFrame, column: str | None, edition: str, level: str, name: str
) -> Placement:
    """Place rows by postcode with :func:`oacinsight.match.match_records` (the same
    cleaning, directory and statuses as ``oacinsight match``)."""
    matched = match_records(frame, store=s, postcode_column=column, name=name).frame
    ok = matched["match_status"].isin(MATCHED).to_numpy()
    status = matched["match_status"].where(~ok, "placed").astype(str)
    oas = matched["oa21"].where(ok, None)
    if edition == "2021":
        codes = matched["oac_subgroup"].where(ok, None)
        return Placement(_level(codes, level, edition), oas, status, "postcode")
    return _by_postcode_2011(s, matched, oas, level)


def _by_postcode_2011(s: Store, matched: pd.DataFrame, oas: pd.Series, level: str) -> Placement:
    """The directory's ``oac11`` of each postcode ``match`` found (also where it has no
    2021 OAC, e.g. Scotland), else the 2011 group of its output area."""
    _need_oac11(s)
    found_pc = matched["match_status"].isin([*MATCHED, "no_oac"]).to_numpy()
    keys = (
        matched["postcode_clean"]
        .astype(object)
        .where(found_pc, None)
        .map(lambda v: v.replace(" ", "").upper() if isinstance(v, str) else None)
    )
    by_pc = oac11.postcode_subgroups(s.con, sorted({k for k in keys if k}))
    codes = keys.map(dict(zip(by_pc["pc_key"], by_pc["oac11"], strict=True)))
    by_oa = oac11.oa_subgroups(s.con, sorted({o for o in oas if isinstance(o, str)}), by="oa21")
    codes = codes.where(codes.notna(), oas.map(dict(zip(by_oa["oa"], by_oa["oac11"], strict=True))))
    status = matched["match_status"].astype(str).where(codes.isna(), "placed")
    status = status.where(~(found_pc & codes.isna().to_numpy()), "no_oac11")
    return Placement(
        _level(codes.where(codes.notna(), None), level, "2011"), oas, status, "postcode"
    )


def _level(codes: pd.Series, level: str, edition: str) -> pd.Series:
    return codes.astype(object).map(
        lambda c: (
            canonical(roll_up(str(c).strip(), level), edition)
            if isinstance(c, str) and c.strip()
            else None
        )
    )


def by_oa(s: Store, frame: pd.DataFrame, column: str, edition: str, level: str) -> Placement:
    """Place rows by an output area code (2021 OAs; for 2011, 2011 or 2021 OA codes)."""
    oas = (
        frame[column]
        .astype(object)
        .map(
            lambda v: (
                str(v).strip().upper() if v is not None and v == v and str(v).strip() else None
            )
        )
    )
    wanted = sorted({o for o in oas if o})
    if edition == "2021":
        table = surveys.oa_subgroups_2021(s.con, wanted)
        lookup = dict(zip(table["oa"], table["subgroup"], strict=True))
    else:
        _need_oac11(s)
        lookup = {}
        for by in ("oa21", "oa11"):
            table = oac11.oa_subgroups(s.con, wanted, by=by)
            lookup.update(dict(zip(table["oa"], table["oac11"], strict=True)))
    codes = oas.map(lambda o: lookup.get(o) if o else None)
    status = pd.Series("placed", index=frame.index, dtype=object)
    status[oas.isna()] = "missing"
    status[oas.notna() & codes.isna()] = "unknown_output_area"
    return Placement(
        _level(codes, level, edition), oas.where(codes.notna(), None), status, "output area"
    )


def by_group_column(
    frame: pd.DataFrame, column: str, edition: str, level: str, names: dict, other_names: dict
) -> Placement:
    """Take the group from a column of codes or names (checked against the edition)."""
    parsed = parse_group_column(
        frame[column], edition=edition, level=level, names=names, other_names=other_names
    )
    # a blank code is NaN under pandas' string dtype (truthy): test for a real code
    status = parsed.codes.map(lambda c: "placed" if isinstance(c, str) and c else "missing")
    status = status.astype(object)
    return Placement(parsed.codes, None, status, "group column", parsed.notes)
