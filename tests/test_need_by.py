"""``oacinsight need --by`` / ``--period`` (issue 13 for need): every slice equals a
separate ``need`` run on its rows (every number), the overall analysis is a plain run's,
every input row is in exactly one slice, the slices and the overall rates share one
safe disclosure pattern (tested by an independent attacker), and bad input is refused
with one line."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from tests.attack import attack, attack_sums
from typer.testing import CliRunner

from oacinsight.cli import app
from oacinsight.errors import OacInsightError
from oacinsight.need import NeedOptions, need_by_file, need_file
from oacinsight.need.by_result import ALL_LABEL
from oacinsight.profile.comparison import BLANK, NO_DATE

runner = CliRunner()
RATE_NUMBERS = ["customers", "base", "rate", "rate_low", "rate_high", "rate_shrunk",
                "shrunk_low", "shrunk_high", "shrink_weight"]  # fmt: skip
EXPECTED_NUMBERS = ["residents", "households", "base", "expected", "expected_low",
                    "expected_high", "expected_rate"]  # fmt: skip
LEVEL = "group"


def _options(**kw) -> NeedOptions:
    return NeedOptions(level=LEVEL, draw_map=False, **kw)


@pytest.fixture(scope="module")
def raw(demo) -> pd.DataFrame:
    return pd.read_csv(demo[1].customers, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def by_service(demo):
    store, files = demo
    return need_by_file(files.customers, _options(), by="service", store=store)


def _assert_same_numbers(mine: pd.DataFrame, theirs: pd.DataFrame, columns: list[str]) -> None:
    assert len(mine) == len(theirs)
    for col in columns:
        a = mine[col].to_numpy(dtype=float)
        b = theirs[col].to_numpy(dtype=float)
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12, equal_nan=True, err_msg=col)


def test_each_slice_equals_a_separate_need_run_on_its_rows(demo, raw, by_service, tmp_path):
    store, files = demo
    plain = need_file(files.customers, _options(), store=store)
    pd.testing.assert_frame_equal(by_service.overall.published_rates(), plain.published_rates())
    pd.testing.assert_frame_equal(by_service.overall.to_frame(), plain.to_frame())
    codes = tuple(c for c, _ in by_service.overall.areas)
    assert [n for n, _ in by_service.slices][:2] == ["Council Tax Support", "Housing Repairs"]
    assert len(by_service.slices) == 7
    # every number, without disclosure control (with it, each model is fitted on the
    # counts its pattern publishes: the joint one here, its own in a separate run; see
    # test_each_slice_model_is_fitted_on_its_published_counts)
    unsuppressed = need_by_file(
        files.customers, _options(suppress_below=0), by="service", store=store
    )
    for name, mine in unsuppressed.slices:
        path = tmp_path / "slice.csv"
        raw[raw["service"] == name].to_csv(path, index=False)
        sep = need_file(path, _options(areas=codes, suppress_below=0), store=store)
        assert list(mine.rates["code"]) == list(sep.rates["code"])
        _assert_same_numbers(mine.rates, sep.rates, RATE_NUMBERS)
        assert mine.phi == pytest.approx(sep.phi, rel=1e-12, abs=1e-15)
        _assert_same_numbers(mine.expected, sep.expected, EXPECTED_NUMBERS)
        assert list(mine.targets["area_code"]) == list(sep.targets["area_code"])
        _assert_same_numbers(mine.gains, sep.gains, ["households_share", "expected_share"])
        assert mine.accounting == sep.accounting
        # the wide table and the long table carry the same numbers
        wide = unsuppressed.wide_frame().set_index("code")[name]
        tier = mine.rates[mine.rates["level"] == LEVEL].set_index("code")["rate_shrunk"]
        np.testing.assert_allclose(wide.loc[tier.index], tier, rtol=1e-12)


def test_each_slice_model_is_fitted_on_its_published_counts(by_service):
    """With disclosure control, a slice's shrinkage is fitted on the counts its (joint)
    pattern publishes: its model numbers are from_counts on its counts with that mask."""
    from oacinsight.need import rates as rt

    hidden_any = 0
    for _name, mine in by_service.slices:
        mask = mine.joint_hidden
        hidden_any += int(mask.sum())
        counts = mine.rates[["level", "code", "name", "customers", "base"]]
        again, phi = rt.from_counts(counts, mine.confidence, hidden=mask)
        _assert_same_numbers(mine.rates, again, RATE_NUMBERS)
        assert mine.phi == pytest.approx(phi, rel=1e-12, abs=1e-15)
        # hidden groups carry their parent's rate: nothing published moves with them
        pub = mine.published_rates()
        assert (pub["customers"].isna().to_numpy() == mask).all()
    assert hidden_any > 20


def test_every_row_in_exactly_one_slice(raw, by_service):
    counts = by_service.slice_frame().set_index("by")
    slices = counts.drop(index=ALL_LABEL)
    assert int(counts.loc[ALL_LABEL, "rows"]) == len(raw)
    # the true counts add up (the published ones hide small counts: tests/test_slice_*)
    acc = {name: r.accounting for name, r in by_service.slices}
    for col in by_service.overall.accounting:
        if not col.startswith("observed"):
            whole = by_service.overall.accounting[col]
            assert sum(a.get(col, 0) for a in acc.values()) == whole, col
    shown = slices.drop(columns=["expected", "reach_at_20pct", "customers_outside_area"])
    for name, row in shown.iterrows():
        for col, value in row.items():
            assert pd.isna(value) or value == acc[name].get(col, 0), (name, col)
    per_service = raw["service"].value_counts()
    for name, r in by_service.slices:
        assert r.accounting["rows"] == per_service[name]
        shown_rows = slices.loc[name, "rows"]
        assert pd.isna(shown_rows) or shown_rows == per_service[name]
    # and the long tables: one block of rows per slice, the overall first
    long = by_service.rates_frame()
    assert list(pd.unique(long["by"])) == [ALL_LABEL, *(n for n, _ in by_service.slices)]
    assert long.columns[0] == "by"


def _published_cells(result) -> tuple[list, list[str], int, dict]:
    """The attacker's view: every published customer count of ``rates_by`` and the
    slice totals of ``slices_by``, as sums of (slice, subgroup) unknowns."""
    long = result.rates_frame()
    key = result.label_column
    names = [n for n, _ in result.slices]
    subs = long.loc[(long[key] == ALL_LABEL) & (long["level"] == "subgroup"), "code"].tolist()
    atoms = [f"{n}|{s}" for n in names for s in subs]
    truth_frames = {ALL_LABEL: result.overall.rates, **{n: r.rates for n, r in result.slices}}
    cells, truth = [], {}
    for row in long.itertuples():
        label = getattr(row, key)
        owners = names if label == ALL_LABEL else [label]
        members = [f"{n}|{s}" for n in owners for s in subs if s.startswith(str(row.code))]
        value = None if pd.isna(row.customers) else float(row.customers)
        cell = f"{label}|{row.level}|{row.code}"
        cells.append((cell, members, value))
        t = truth_frames[label].set_index(["level", "code"])["customers"]
        truth[cell] = int(t[(row.level, row.code)])
    counts = result.slice_frame().set_index(key)
    for name in names:
        members = [a for a in atoms if a.startswith(name + "|")]
        cells.append((f"{name}|total", members, float(counts.loc[name, "customers_in_area"])))
    return cells, atoms, int(counts.loc[ALL_LABEL, "customers_in_area"]), truth


def _attack(result) -> int:
    cells, atoms, total, truth = _published_cells(result)
    ranges = attack_sums(cells, atoms, total, truth)
    assert ranges, "nothing hidden: the test would prove nothing"
    for cell, (low, high) in ranges.items():
        assert low <= truth[cell] <= high, cell
        assert high - low >= 3, (cell, low, high)
    return len(ranges)


def test_no_hidden_count_recoverable_from_slices_and_total(by_service):
    assert _attack(by_service) > 30
    # every count below the threshold is hidden (zeros too), with its raw rate
    for _, mine in by_service.slices:
        pub = mine.published_rates()
        small = (mine.rates["customers"] < 10).to_numpy()
        assert small.any() and pub.loc[small, ["customers", "rate", "rate_low"]].isna().all().all()


def test_plain_need_rates_withstand_the_attack(demo, raw, tmp_path):
    """The overall pattern the slices keep is safe alone: a hidden parent is no longer
    the sum of its shown children (Council Tax Support alone gave group 3a = 3 away)."""
    store, _ = demo
    path = tmp_path / "cts.csv"
    raw[raw["service"] == "Council Tax Support"].to_csv(path, index=False)
    res = need_file(path, _options(), store=store)
    ranges = attack([res.published_rates()], int(res.accounting["customers_in_area"]))
    assert len(ranges) > 10
    truth = res.rates.set_index(["level", "code"])["customers"]
    for cell, (low, high) in ranges.items():
        assert low <= truth[cell] <= high and high - low >= 3, (cell, low, high)


@pytest.fixture(scope="module")
def by_year(demo, raw, tmp_path_factory):
    """Half the file by year of contact, with blank and unparseable dates and blank
    services."""
    store, _ = demo
    part = raw.iloc[::2].copy()
    part.iloc[:40, part.columns.get_loc("contact_date")] = "not a date"
    part.iloc[40:70, part.columns.get_loc("contact_date")] = ""
    part.iloc[70:95, part.columns.get_loc("contact_date")] = "45292"  # Excel: 2024-01-01
    part.iloc[100:160, part.columns.get_loc("service")] = "  "
    path = tmp_path_factory.mktemp("need_by") / "part.csv"
    part.to_csv(path, index=False)
    return part, path, need_by_file(path, _options(), period="contact_date", store=store)


def test_periods_dates_and_the_no_date_slice(by_year):
    part, _, result = by_year
    names = [n for n, _ in result.slices]
    dates = pd.to_datetime(part["contact_date"], format="%Y-%m-%d", errors="coerce")
    years = sorted(dates.dt.year.dropna().astype(int).astype(str).unique())
    assert names == [*years, NO_DATE]
    rows = {name: r.accounting["rows"] for name, r in result.slices}  # true (not published)
    assert rows[NO_DATE] == 70
    assert sum(rows.values()) == len(part)
    in_2024 = int((dates.dt.year == 2024).sum()) + 25
    assert rows["2024"] == in_2024
    note = next(n for n in result.notes if "unparseable" in n)
    assert "30 blank and 40 unparseable" in note and "'not a date'" in note
    assert _attack(result) > 10


def test_blank_values_form_their_own_slice(demo, by_year):
    store, _ = demo
    part, path, _ = by_year
    # no suppression: this test is about the slices, the attack above about the pattern
    result = need_by_file(path, _options(suppress_below=1), by="service", store=store)
    counts = result.slice_frame().set_index("by")
    assert counts.loc[BLANK, "rows"] == 60
    assert counts.drop(index=ALL_LABEL)["rows"].sum() == len(part)


def test_cli_writes_the_by_outputs_and_keeps_the_plain_ones(demo, by_year, tmp_path):
    store, _ = demo
    _, path, _ = by_year
    common = ["--store", str(store), "--level", LEVEL, "--outputs", "csv,json,xlsx,html",
              "--suppress-below", "1"]  # fmt: skip
    plain, by = tmp_path / "plain", tmp_path / "by"
    res = runner.invoke(app, ["need", str(path), "-o", str(plain), *common])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["need", str(path), "-o", str(by), "--by", "channel", *common])
    assert res.exit_code == 0, res.output
    assert "by 'channel'" in res.output
    for name in ("rates.csv", "expected.csv", "targets.csv", "gains.csv", "target_postcodes.csv"):
        assert (by / name).read_bytes() == (plain / name).read_bytes(), name
    for name in ("rates_by", "rates_wide", "expected_by", "expected_wide", "targets_by",
                 "gains_by", "slices_by"):  # fmt: skip
        assert (by / f"{name}.csv").exists(), name
    rates = pd.read_csv(by / "rates_by.csv")
    assert rates.columns[0] == "by" and list(rates.columns[1:9]) == [
        "code", "name", "customers", "base", "rate", "rate_low", "rate_high", "rate_shrunk"
    ]  # fmt: skip
    payload = json.loads((by / "need_by.json").read_text())
    assert payload["format"] == "oacinsight.need-by/1" and payload["column"] == "channel"
    assert len(payload["rates"]) == len(rates)
    html = (by / "need_by.html").read_text()
    assert "Areas of likely need by channel" in html
    assert (by / "need_by.xlsx").exists()


def test_bad_input_one_line_errors(demo, by_year, tmp_path):
    store, _ = demo
    _, path, _ = by_year
    out = str(tmp_path / "x")
    pd.DataFrame({"oa": ["E00000001"]}).to_csv(tmp_path / "obs.csv", index=False)
    cases = [
        (["--by", "nope"], "no such column"),
        (["--by", "record_id"], "more than the limit of 50"),
        (["--by", "service", "--period", "contact_date"], "not both"),
        (["--freq", "quarter"], "--freq goes with --period"),
        (["--period", "contact_date", "--freq", "week"], "unknown --freq"),
        (["--period", "service"], "no value could be read as a date"),
        (["--by", "service", "--observed", str(tmp_path / "obs.csv")], "does not take --observed"),
    ]
    for extra, message in cases:
        res = runner.invoke(app, ["need", str(path), "-o", out, "--store", str(store), *extra])
        assert res.exit_code == 2, (extra, res.output)
        lines = res.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error:") and message in lines[0], lines
    with pytest.raises(OacInsightError, match="with --rates"):
        need_by_file(None, _options(rates="r.csv", areas=("E06000999",)), by="service")
    with pytest.raises(OacInsightError, match="for a survey"):
        need_by_file(path, _options(survey_question="q", positive="yes"), by="service")


def test_heat_map_shows_rates_relative_to_each_slice_average(by_service):
    from oacinsight.need.by_chart import relative_rates

    table = relative_rates(by_service).set_index("code")
    rates = by_service.rates_frame()
    tier = rates[(rates["by"] == ALL_LABEL) & (rates["level"] == LEVEL)]
    area_base = tier["base"].sum()
    for name, res in by_service.slices:
        own = res.rates[res.rates["level"] == LEVEL].set_index("code")
        average = own["customers"].sum() / area_base  # the slice's published total / base
        np.testing.assert_allclose(table[name], 100 * own["rate_shrunk"] / average, rtol=1e-12)
    assert by_service.heat_map_png()[:8] == b"\x89PNG\r\n\x1a\n"


def test_spark_engine_refuses_by_before_spark_starts(demo, tmp_path):
    store, files = demo
    for extra in (["--by", "service"], ["--period", "contact_date"]):
        res = runner.invoke(
            app,
            [
                *("need", str(files.customers), "-o", str(tmp_path / "o")),
                *("--store", str(store), "--engine", "spark", *extra),
            ],
        )
        assert res.exit_code == 2, res.output
        lines = res.output.strip().splitlines()
        assert len(lines) == 1 and "--engine spark does not take --by" in lines[0]
        assert not (tmp_path / "o").exists()
