"""The rows a need run could not use are published with small counts hidden, as the
profile publishes them: no hidden count can be worked out from the totals."""

from __future__ import annotations

from itertools import product

from oacinsight.need.disclose import UNMATCHED_STATUSES, published_accounting


def _recoverable(shown: dict, true: dict, keys: tuple[str, ...], total: int) -> list[str]:
    """Hidden keys whose value follows from the total and the shown ones."""
    hidden = [k for k in keys if shown[k] is None]
    if len(hidden) != 1:
        return []
    k = hidden[0]
    rest = sum(shown[j] for j in keys if j != k)
    return [k] if total - rest == true[k] else []


def test_unmatched_statuses_hidden_as_one_set():
    acc = {"rows": 500, "matched": 470, "not_found": 25, "invalid_format": 3, "missing": 2}
    out = published_accounting(acc, 10)
    assert out["rows"] == 500 and out["matched"] == 470
    assert out["invalid_format"] is None and out["missing"] is None and out["no_oac"] is None
    assert out["not_found"] == 25  # three hidden: none follows from the total of 30
    assert set(UNMATCHED_STATUSES) <= set(out)


def test_no_hidden_status_or_left_out_count_can_be_worked_out():
    for nf, inv, mis, no in product((0, 3, 12), (0, 1, 40), (0, 9), (0, 2, 15)):
        statuses = {"not_found": nf, "invalid_format": inv, "missing": mis, "no_oac": no}
        unmatched = sum(statuses.values())
        acc = {"rows": 1000, "matched": 1000 - unmatched, **statuses}
        acc |= {"observed_rows": 300.0, "observed_not_placed": float(inv + mis)}
        acc |= {"observed_outside_area": float(no), "observed_in_area": 300.0 - inv - mis - no}
        out = published_accounting(acc, 10)
        for k, v in statuses.items():
            assert out[k] is None or out[k] == v
            if 0 < v < 10 or v == 0:
                assert out[k] is None, (k, statuses)
        assert not _recoverable(out, statuses, UNMATCHED_STATUSES, unmatched), statuses
        left = ("observed_not_placed", "observed_outside_area")
        true = {k: int(acc[k]) for k in left}
        assert not _recoverable(out, true, left, 300 - int(acc["observed_in_area"]))
        for k in left:
            assert out[k] is None or out[k] == true[k]
            if true[k] < 10:
                assert out[k] is None


def test_need_outputs_publish_the_protected_accounting(demo, tmp_path):
    """End to end: a customer file with 3 unknown postcodes and 2 blanks; need.json and
    the XLSX notes never show those small counts, the run's own numbers still add up."""
    import json

    import pandas as pd

    from oacinsight.need import NeedOptions, need_file

    store, files = demo
    rows = pd.read_csv(files.customers, dtype=str)
    col = next(c for c in rows.columns if "postcode" in c.lower())
    extra = pd.DataFrame({col: ["ZZ9 9ZZ", "ZZ9 9ZY", "ZZ9 9ZX", "", ""]})  # not_found, missing
    path = tmp_path / "customers.csv"
    rows = rows.head(150)
    pd.concat([rows[[col]], extra], ignore_index=True).to_csv(path, index=False)
    res = need_file(path, NeedOptions(draw_map=False), store=store)
    acc = res.accounting
    assert acc["rows"] == len(rows) + 5 and acc.get("missing", 0) >= 2
    published = json.loads((res.write(tmp_path / "o", ("json",))["json"]).read_text())
    shown = published["accounting"]
    assert shown["rows"] == acc["rows"]
    for k in UNMATCHED_STATUSES:
        assert shown[k] is None or (shown[k] >= 10 and shown[k] == acc.get(k, 0)), k
    assert not _recoverable(
        shown,
        {k: int(acc.get(k, 0)) for k in UNMATCHED_STATUSES},
        UNMATCHED_STATUSES,
        int(acc["rows"] - acc["matched"] - acc.get("matched_terminated", 0)),
    )
    notes = dict(res._about())
    small = [k for k in UNMATCHED_STATUSES if acc.get(k, 0) < 10]
    assert small  # the added unknown postcodes, at least
    for k in small:
        assert shown[k] is None and notes[k].startswith("hidden (fewer than 10"), k
