"""The store as a boundary: store functions hand values to each other, never temporary
tables, so jobs on one store run side by side with the answers they give alone, and the
profile places records by the match pipeline itself (same statuses as ``match``)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pandas as pd
import pytest
from tests.corpus import all_cases

from oacinsight.demo._survey import POSITIVE, write_demo_survey
from oacinsight.errors import OacInsightError
from oacinsight.match import MATCHED, match_file
from oacinsight.need import NeedOptions, need_file
from oacinsight.profile.run import profile_file
from oacinsight.store import Store, scratch_tables
from oacinsight.survey import SurveyOptions, survey_file

LAD = "E06000999"


@pytest.fixture(scope="module")
def survey_csv(demo, tmp_path_factory):
    _, files = demo
    out = tmp_path_factory.mktemp("boundary") / "survey.csv"
    write_demo_survey(
        files.postcode_directory, files.oac_assignment, files.census_dir / "ts001.parquet", out
    )
    return out


def _jobs(demo, survey_csv, tmp_path) -> dict[str, Callable[[Store], Any]]:
    """Jobs of every kind, each returning what it publishes as a frame."""
    _, files = demo
    survey_opts = SurveyOptions(questions=("q1_satisfaction",), positive=POSITIVE)
    return {
        "profile supergroup": lambda s: profile_file(files.customers, store=s).to_frame(),
        "profile group households": lambda s: profile_file(
            files.customers, store=s, level="group", base="households"
        ).to_frame(),
        "profile cellkey": lambda s: profile_file(
            files.customers, store=s, level="subgroup", disclosure="cellkey"
        ).to_frame(),
        "need": lambda s: (
            need_file(files.customers, NeedOptions(level="group", draw_map=False), store=s).expected
        ),
        "survey": lambda s: survey_file(survey_csv, survey_opts, store=s).to_frame(),
        "match": lambda s: match_file(
            files.customers, tmp_path / f"m{threading.get_ident()}.csv", store=s
        ).to_frame(),
    }


def test_no_job_leaves_a_temporary_table(demo, survey_csv, tmp_path) -> None:
    """After each job (and after one that fails part-way) the connection holds no
    temporary table or view: nothing is left for the next job to read by mistake."""
    store, files = demo
    with Store(store, read_only=True) as s:
        for name, job in _jobs(demo, survey_csv, tmp_path).items():
            job(s)
            assert scratch_tables(s.con) == [], name
        with pytest.raises(OacInsightError):
            profile_file(files.customers, store=s, areas=["E06000000"])
        with pytest.raises(OacInsightError):
            need_file(files.customers, NeedOptions(base=str(tmp_path / "no.csv")), store=s)
        assert scratch_tables(s.con) == []


def test_jobs_side_by_side_give_their_answers_alone(demo, survey_csv, tmp_path) -> None:
    """Two profiles, a profile and a need, a survey and a match, run at once in threads
    on one store (a cursor each), give exactly what each gives run alone."""
    store, _ = demo
    jobs = _jobs(demo, survey_csv, tmp_path)
    with Store(store, read_only=True) as s:
        alone = {name: job(s) for name, job in jobs.items()}
        got: dict[str, Any] = {}
        errors: list[BaseException] = []
        start = threading.Barrier(len(jobs) * 2)

        def run(key: str, job: Callable[[Store], Any]) -> None:
            try:
                with s.cursor() as cur:
                    start.wait(60)
                    got[key] = job(cur)
            except BaseException as exc:  # reported below
                errors.append(exc)

        threads = [
            threading.Thread(target=run, args=(f"{name} {i}", job))
            for i in range(2)
            for name, job in jobs.items()
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(300)
        assert errors == []
        for key, frame in got.items():
            pd.testing.assert_frame_equal(frame, alone[key.rsplit(" ", 1)[0]], obj=key)
        assert len(got) == len(threads)
        assert scratch_tables(s.con) == []


def _profile_cases():
    """The corpus files that load: every CSV and Excel case, a sample of the rest."""
    cases = [c for c in all_cases() if c.rows]
    kinds = {"enc": 10, "parquet": 4}
    return [
        c
        for i, c in enumerate(cases)
        if c.id.split("-")[0] not in kinds or i % kinds[c.id.split("-")[0]] == 0
    ]


def _same_statuses(path, tiny_store, tmp_path) -> None:
    base = tmp_path / "base.csv"
    pd.DataFrame({"oa21": ["E00000001", "E00000002", "E00000003"], "count": [50] * 3}).to_csv(
        base, index=False
    )
    summary = match_file(path, tmp_path / "out.csv", store=tiny_store)
    want = {k: v for k, v in summary.counts.items() if k not in MATCHED and v}
    # a file with match_status and oa21 is taken as matched unless the column is named
    column = summary.postcode_column if "match_status" in summary.renamed else None
    if summary.matched == 0:
        with pytest.raises(OacInsightError, match="matched an OAC group"):
            profile_file(path, store=tiny_store, base=str(base), postcode_column=column)
        return
    result = profile_file(path, store=tiny_store, base=str(base), postcode_column=column)
    assert result.n_input == summary.rows
    assert result.n_matched == summary.matched
    assert result.unmatched == want


def test_profile_counts_every_status_as_match_does(tiny_store, tmp_path) -> None:
    """Postcodes of every status (and coordinates) in one file: ``profile`` reports the
    rows per status ``match`` reports."""
    path = tmp_path / "mixed.csv"
    postcodes = [
        "YY1 1AA",
        "yy11ab",
        "YY1 1AD",
        "YY2 1AB",
        "GY1 1AA",
        "YY9 9ZZ",
        "ZZ1 1AA",
        "NOT A PC",
        "",
        "BFPO 123",
        "YY1",
        "Y Y 2 1 A A",
        "  ",
    ]
    pd.DataFrame({"id": range(len(postcodes)), "postcode": postcodes}).to_csv(path, index=False)
    summary = match_file(path, tmp_path / "out.csv", store=tiny_store)
    assert {k for k, v in summary.counts.items() if v} == {
        "matched",
        "matched_terminated",
        "not_found",
        "invalid_format",
        "missing",
        "no_oac",
    }
    _same_statuses(path, tiny_store, tmp_path)


@pytest.mark.parametrize("case", _profile_cases(), ids=lambda c: c.id)
def test_profile_counts_statuses_as_match_does(case, tiny_store, tmp_path) -> None:
    """On every malformed-input corpus file that loads, ``profile`` reports the rows and
    the rows per unmatched status that ``match`` reports (both use one pipeline)."""
    path = tmp_path / f"in{case.suffix}"
    case.write(path)
    _same_statuses(path, tiny_store, tmp_path)


def test_one_xlsx_writer(tmp_path) -> None:
    """Every workbook goes through ``tabular.write_workbook``: sheets in order, a notes
    sheet, formulas neutralised (once), numbers and booleans kept, NaN blank, widths."""
    import math
    from pathlib import Path

    import openpyxl

    from oacinsight.tabular import write_workbook

    src = Path(__file__).parents[1] / "src" / "oacinsight"
    writers = sorted(
        str(p.relative_to(src))
        for p in src.rglob("*.py")
        if any(w in p.read_text() for w in ("import xlsxwriter", "ExcelWriter(", ".to_excel("))
    )
    assert writers == ["tabular.py"]
    frame = pd.DataFrame(
        {
            "=name": ["=1+1", "'-x", "a longer plain name", None],
            "n": [1, 2, 3, 4],
            "share": [0.5, math.nan, math.inf, 1.0],
            "flag": [True, False, True, False],
            "mixed": [7, "a", None, 2.5],
        }
    )
    out = tmp_path / "w.xlsx"
    assert write_workbook(out, {"first": frame, "second": frame.head(1)}, notes=[("k", 3)]) == []
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["first", "second", "about"]
    rows = list(book["first"].iter_rows(values_only=True))
    assert rows[0] == ("'=name", "n", "share", "flag", "mixed")
    assert rows[1] == ("'=1+1", 1, 0.5, True, 7)
    assert rows[2] == ("'-x", 2, None, False, "a")
    assert rows[3] == ("a longer plain name", 3, "inf", True, None)
    assert rows[4] == (None, 4, 1, False, 2.5)
    assert list(book["about"].iter_rows(values_only=True)) == [("item", "value"), ("k", 3)]
    widths = book["first"].column_dimensions
    assert widths["A"].width > 20 > 10 > widths["B"].width  # as wide as the text
