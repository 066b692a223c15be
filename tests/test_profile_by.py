"""Profiles by a column or a period (issue 13): every slice equals a separate profile of
its rows, the slices and the overall profile share one safe disclosure pattern (tested
by attack), the findings recover planted differences, and bad input is refused or
accounted for."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from tests.attack import attack_sums, nested_counts, oac_shape

from oacinsight.errors import OacInsightError
from oacinsight.profile.by import compare_counts, other_label
from oacinsight.profile.comparison import ALL_LABEL, BLANK, NO_DATE, OTHER
from oacinsight.profile.periods import parse_dates, period_labels
from oacinsight.profile.run import profile_file

NUMBERS = ["customers", "base", "customer_pct", "base_pct", "index", "index_low",
           "index_high", "z", "penetration_per_1000"]  # fmt: skip


@pytest.fixture(scope="module")
def by_service(demo):
    store, files = demo
    return profile_file(files.customers, store=store, level="all", by="service")


def test_each_slice_equals_a_separate_profile_of_its_rows(demo, by_service, tmp_path):
    store, files = demo
    raw = pd.read_csv(files.customers, dtype=str, keep_default_na=False)
    codes = [c for c, _ in by_service.overall.areas]
    alone = profile_file(files.customers, store=store, level="all")
    pd.testing.assert_frame_equal(by_service.overall.full_table, alone.full_table)
    assert len(by_service.slices) == 7
    assert sum(p.n_input for _, p in by_service.slices) == len(raw) == alone.n_input
    for name, prof in by_service.slices:
        path = tmp_path / "slice.csv"
        raw[raw["service"] == name].to_csv(path, index=False)
        sep = profile_file(path, store=store, level="all", areas=codes)
        mine, theirs = prof.full_table, sep.full_table
        assert list(mine["code"]) == list(theirs["code"])
        np.testing.assert_allclose(mine[NUMBERS].to_numpy(float), theirs[NUMBERS].to_numpy(float),
                                   rtol=1e-12, equal_nan=True)  # fmt: skip
        assert (prof.n_input, prof.n_matched, prof.n_in_area, prof.unmatched) == (
            sep.n_input, sep.n_matched, sep.n_in_area, sep.unmatched)  # fmt: skip
        shown = mine["flag"] != "suppressed"  # the shown statistics are those of the slice
        assert (mine.loc[shown, "flag"].isin(["over", "under", "not_significant", "no_base"])).all()


def _published_cells(result) -> tuple[list, list[str], int, dict]:
    """The attacker's view: every published cell of the long table and the slice totals,
    as sums of (slice, subgroup) unknowns."""
    long = result.long_frame()
    names = [n for n, _ in result.slices]
    subs = long.loc[(long["by"] == ALL_LABEL) & (long["level"] == "subgroup"), "code"].tolist()
    atoms = [f"{n}|{s}" for n in names for s in subs]
    cells, truth = [], {}
    truth_frames = {
        ALL_LABEL: result.overall.full_table,
        **{n: p.full_table for n, p in result.slices},
    }
    for row in long.itertuples():
        owners = names if row.by == ALL_LABEL else [row.by]
        members = [f"{n}|{s}" for n in owners for s in subs if s.startswith(str(row.code))]
        value = None if pd.isna(row.customers) else float(row.customers)
        key = f"{row.by}|{row.level}|{row.code}"
        cells.append((key, members, value))
        t = truth_frames[row.by]
        truth[key] = int(
            t.loc[(t["level"] == row.level) & (t["code"] == row.code), "customers"].iloc[0]
        )
    for name, prof in result.slices:
        cells.append(
            (f"{name}|total", [a for a in atoms if a.startswith(name + "|")], float(prof.n_in_area))
        )
    return cells, atoms, result.overall.n_in_area, truth


def _attack(result) -> int:
    cells, atoms, total, truth = _published_cells(result)
    ranges = attack_sums(cells, atoms, total, truth)
    assert ranges, "nothing hidden: the test would prove nothing"
    for key, (low, high) in ranges.items():
        assert low <= truth[key] <= high, key
        assert high - low >= 3, (key, low, high)
    return len(ranges)


def test_no_hidden_count_recoverable_from_slices_and_total_demo(by_service):
    assert _attack(by_service) > 20


def _random_slices(rng, n_slices, sizes) -> list[tuple[str, pd.DataFrame]]:
    codes = oac_shape()
    base = rng.integers(300, 5000, len(codes)).astype(float)
    out = []
    for k in range(n_slices):
        weight = base * np.exp(rng.uniform(np.log(0.2), np.log(5.0), len(codes)))
        customers = rng.multinomial(int(sizes[k]), weight / weight.sum())
        out.append(
            (
                f"s{k}",
                nested_counts(pd.DataFrame({"code": codes, "customers": customers, "base": base})),
            )
        )
    return out


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_no_hidden_count_recoverable_random_files(seed):
    rng = np.random.default_rng(1300 + seed)
    slices = _random_slices(rng, 3, rng.integers(40, 250, 3))
    result = compare_counts(slices, level="all")
    assert _attack(result) > 10


def test_no_hidden_count_recoverable_many_small_slices():
    """Twelve small slices (a monthly split of a year): many primary cells, so the
    witness tables of the audit and the one-cell bounds are both exercised."""
    rng = np.random.default_rng(1313)
    slices = _random_slices(rng, 12, rng.integers(30, 160, 12))
    result = compare_counts(slices, level="all")
    assert not any("every slice cell is hidden" in n for n in result.notes)
    assert _attack(result) > 200


def _planted(rng, propensity: dict[str, np.ndarray], n: int) -> list[tuple[str, pd.DataFrame]]:
    codes = oac_shape()
    base = np.full(len(codes), 2000.0)
    sg = np.array([int(c[0]) - 1 for c in codes])
    out = []
    for name, p in propensity.items():
        weight = base * p[sg]
        customers = rng.multinomial(n, weight / weight.sum())
        out.append(
            (
                name,
                nested_counts(pd.DataFrame({"code": codes, "customers": customers, "base": base})),
            )
        )
    return out


def test_findings_name_the_planted_services_and_groups():
    rng = np.random.default_rng(2026)
    flat = np.ones(8)
    housing = flat.copy()
    housing[7] = 3.0  # Housing reaches supergroup 8 about 2.3 times as often
    libraries = flat.copy()
    libraries[7] = 0.4
    libraries[0] = 2.5  # and libraries reach supergroup 1
    result = compare_counts(
        _planted(rng, {"Housing": housing, "Libraries": libraries, "Waste": flat}, 3000),
        column="service", base_name="residents")  # fmt: skip
    text = " ".join(result.findings())
    share = np.bincount([int(c[0]) - 1 for c in oac_shape()]) / 52  # base share per supergroup
    for name, code, p in (("Housing", "8", housing), ("Libraries", "1", libraries),
                          ("Libraries", "8", libraries)):  # fmt: skip
        true_index = 100 * p[int(code) - 1] / (p * share).sum()
        row = dict(result.slices)[name].table.set_index("code").loc[code]
        assert row["index_low"] <= true_index <= row["index_high"]
        digits = 1 if true_index > 100 else 2
        assert f"{name} reaches name {code} {row['index'] / 100:.{digits}f}×" in text
    pairs = result.pairwise().set_index(["a", "b"])
    assert pairs.loc[("Housing", "Libraries"), "p_holm"] < 1e-6
    assert "The profiles of Housing and Libraries differ" in text
    assert "Waste reaches" not in text or "Waste reaches name 8" not in text


def test_change_test_finds_the_planted_trend():
    rng = np.random.default_rng(7)
    years = {}
    for k, year in enumerate(("2021", "2022", "2023", "2024")):
        p = np.ones(8)
        p[2] = 1.0 + 0.5 * k  # supergroup 3 rises steadily: 2.5× from first to last
        years[year] = p
    result = compare_counts(_planted(rng, years, 2500), column="date", kind="period", freq="year")
    changes = result.changes()
    top = changes.sort_values("p_value").iloc[0]
    assert (top["code"], top["first"], top["last"]) == ("3", "2021", "2024")
    assert 2.0 < top["ratio"] < 2.6 and top["ratio_low"] > 1.5 and top["p_holm"] < 1e-6
    assert any(f.startswith("name 3: index rose from") for f in result.findings())
    rising = changes[(changes["p_holm"] < 0.05) & (changes["ratio"] > 1)]
    assert list(rising["code"]) == ["3"]


def test_parse_dates_forms_and_failures():
    values = pd.Series(["2023-04-01", "1/4/2023", "01.04.23", "45017", "2023-04-01 10:00",
                        "", None, "yesterday", "31/02/2023", "1234"])  # fmt: skip
    parsed = parse_dates(values)
    assert (parsed.dates.iloc[:5] == pd.Timestamp("2023-04-01")).all()
    assert (parsed.n_blank, parsed.n_unparseable) == (2, 3)
    assert parsed.examples == ("yesterday", "31/02/2023", "1234")
    assert period_labels(parsed.dates, "quarter").iloc[0] == "2023 Q2"
    assert period_labels(parsed.dates, "month").iloc[1] == "2023-04"


def test_bad_inputs(demo, tmp_path):
    store, files = demo
    raw = pd.read_csv(files.customers, dtype=str, keep_default_na=False)
    with pytest.raises(OacInsightError, match=r"6,041 different values, more than the limit of 50"):
        profile_file(files.customers, store=store, by="record_id")
    with pytest.raises(OacInsightError, match="no such column"):
        profile_file(files.customers, store=store, by="nope")
    odd = raw.copy()
    odd.loc[odd.index[:400], "channel"] = ""
    odd.loc[odd.index[400:1000], "contact_date"] = ["garbage"] * 300 + [""] * 300
    path = tmp_path / "odd.csv"
    odd.to_csv(path, index=False)
    by = profile_file(path, store=store, by="channel")
    counts = by.slice_frame().set_index("by")
    assert counts.loc[BLANK, "rows"] == 400
    per = profile_file(path, store=store, period="contact_date", freq="quarter")
    counts = per.slice_frame().set_index("period")
    assert counts.loc[NO_DATE, "rows"] == 600
    assert any("300 blank and 300 unparseable of 6,041 rows" in n for n in per.notes)
    assert counts.loc[ALL_LABEL, "rows"] == counts.drop(ALL_LABEL)["rows"].sum()


def test_small_values_grouped_as_other(demo, tmp_path):
    store, files = demo
    raw = pd.read_csv(files.customers, dtype=str, keep_default_na=False)
    raw.loc[raw.index[:5], "channel"] = "Fax"
    raw.loc[raw.index[5:12], "channel"] = "Carrier pigeon"
    path = tmp_path / "rare.csv"
    raw.to_csv(path, index=False)
    result = profile_file(path, store=store, by="channel")
    names = [n for n, _ in result.slices]
    assert "Fax" not in names and "Carrier pigeon" not in names and names[-1] == OTHER
    assert any("Fax" in n and "Carrier pigeon" in n for n in result.notes)
    other = dict(result.slices)[OTHER]
    assert other.n_in_area >= 20  # the smallest real channel was taken in too


def test_a_real_value_called_other_is_not_merged_with_the_grouped_values(demo, tmp_path):
    store, files = demo
    raw = pd.read_csv(files.customers, dtype=str, keep_default_na=False)
    raw.loc[raw.index[:5], "channel"] = "Fax"
    raw.loc[raw.index[5:12], "channel"] = "Carrier pigeon"
    raw.loc[raw.index[12:1212], "channel"] = "Other"  # a real channel of 1,200 rows
    path = tmp_path / "other.csv"
    raw.to_csv(path, index=False)
    result = profile_file(path, store=store, by="channel")
    names = [n for n, _ in result.slices]
    assert "Other" in names and names[-1] == "other (grouped)" and OTHER not in names
    slices = dict(result.slices)
    assert slices["Other"].n_input == 1200
    grouped = slices["other (grouped)"]
    assert grouped.n_input >= 12 and grouped.n_in_area >= 20
    assert sum(p.n_input for p in slices.values()) == len(raw)
    assert any(n.startswith("'other (grouped)': ") and "Fax" in n for n in result.notes)


def test_other_label():
    assert other_label(["Web", "Phone"]) == "other"
    assert other_label(["Web", " OTHER "]) == "other (grouped)"
    assert other_label(["other", "Other (grouped)"]) == "other (grouped 2)"


def test_writers(by_service, tmp_path):
    for suffix in (".csv", ".xlsx", ".json", ".html", ".png", ".svg", ".pdf"):
        path = by_service.write(tmp_path / f"by{suffix}")
        assert path.stat().st_size > 1000
    csv = pd.read_csv(tmp_path / "by.csv")
    assert list(csv.columns[:4]) == ["by", "level", "code", "name"]
    hidden = csv[csv["flag"] == "suppressed"]
    assert len(hidden) and hidden["customers"].isna().all() and hidden["index"].isna().all()
    wide = by_service.wide_frame()
    assert list(wide.columns[:4]) == ["level", "code", "name", ALL_LABEL]
    html = (tmp_path / "by.html").read_text()
    assert "hidden" in html and "Findings" in html
    d = by_service.to_dict()
    assert d["column"] == "service" and len(d["pairwise_tests"]) == 21


def test_cli_by_and_period(demo, tmp_path):
    from typer.testing import CliRunner

    from oacinsight.cli.app import app

    store, files = demo
    runner = CliRunner()
    out = tmp_path / "by.xlsx"
    common = ["--store", str(store)]
    charts = ["--charts", str(tmp_path / "c")]
    res = runner.invoke(app, ["profile", str(files.customers), "-o", str(out), *common,
                              "--by", "channel", *charts])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "index by channel" in res.output and "reaches" in res.output
    sheets = pd.read_excel(out, sheet_name=None, engine="openpyxl")
    assert {"profiles", "index", "slices", "pairwise_tests", "findings", "about"} <= set(sheets)
    assert sorted(p.name for p in (tmp_path / "c").iterdir()) == [
        "heat_map.png",
        "small_multiples.png",
    ]
    res = runner.invoke(app, ["profile", str(files.customers), "-o", str(tmp_path / "p.csv"),
                              *common, "--period", "contact_date", "--freq", "month"])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert pd.read_csv(tmp_path / "p.csv").columns[0] == "period"
    res = runner.invoke(app, ["profile", str(files.customers), "-o", str(tmp_path / "x.csv"),
                              "--store", str(store), "--by", "record_id"])  # fmt: skip
    assert res.exit_code == 2 and "error: --by 'record_id': 6,041 different values" in res.output
    res = runner.invoke(app, ["profile", str(files.customers), "-o", str(tmp_path / "x.csv"),
                              *common, "--period", "contact_date", "--freq", "week"])  # fmt: skip
    assert res.exit_code == 2 and "unknown --freq 'week'" in res.output
