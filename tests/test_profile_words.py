"""The sentences about a profile: right direction, interval and count, cautions."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from oacinsight.profile.words import finding, ratio_words, summarise


def test_ratio_words_never_contradict_the_index() -> None:
    for index in np.round(np.arange(0, 1000.01, 0.25), 2).tolist():
        text = ratio_words(index)
        assert "-" not in text, index
        found = re.search(r"[\d.]+", text)
        number = float(found.group()) if found else None
        if "times" in text:
            assert index >= 195 and number == pytest.approx(index / 100, abs=0.0501), index
        elif "more" in text:
            assert 100 < index < 195 and number == pytest.approx(index - 100, abs=0.5), index
        elif "fewer" in text:
            assert index < 100 and number == pytest.approx(100 - index, abs=0.5), index
        else:
            assert text == "about the expected number" and abs(index - 100) < 0.5, index


def test_the_reported_example() -> None:
    assert ratio_words(104) == "about 4% more than expected"
    assert ratio_words(96) == "about 4% fewer than expected"
    assert ratio_words(3480) == "about 34.8 times the expected number"
    assert ratio_words(float("nan")) == "not known"


def _published(rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(
        rows,
        columns=["code", "name", "customers", "base", "index", "index_low", "index_high", "flag"],
    )
    return frame.assign(level="supergroup")


def test_headline_carries_interval_count_and_is_chosen_by_the_lower_bound() -> None:
    published = _published(
        [
            ("1", "Wide", 40, 5000, 250, 101, 420, "over"),  # highest index, weak evidence
            ("2", "Sure", 900, 90000, 184, 170, 199, "over"),  # highest lower bound
            ("3", "Tiny", 13, 343, 3480, 1900, 5900, "over"),  # small count and base
            ("4", "Low", 300, 80000, 60, 53, 67, "under"),
            ("5", "Lower", 200, 90000, 40, 30, 70, "under"),
            ("6", "Even", 500, 60000, 102, 95, 110, "not_significant"),
            ("7", "Gone", None, 100, None, None, None, "suppressed"),
        ]
    )
    text = summarise(published, "residents")
    assert text[0] == (
        "Customers are most over-represented in Sure: index 184 (170–199), 900 customers; "
        "about 84% more than expected from the residents (the group whose interval's "
        "lower end is furthest from 100)."
    )
    assert text[1] == "Also over-represented: Wide (250)."
    assert text[2].startswith(
        "Tiny looks over-represented (index 3480 (1900–5900), 13 "
        "customers; about 34.8 times the expected number), but treat "
        "with caution: only 13 customers and a base of only 343."
    )
    assert text[3].startswith("Customers are most under-represented in Low: index 60 (53–67)")
    assert "upper end" in text[3]
    assert "Gone" not in " ".join(text)
    assert text[-1] == "1 group is hidden to protect small numbers."


def test_only_small_findings_make_no_headline() -> None:
    published = _published(
        [
            ("1", "Tiny", 13, 343, 184, 119, 248, "over"),
            ("2", "Rest", 400, 60000, 98, 90, 106, "not_significant"),
        ]
    )
    text = summarise(published, "residents")
    assert not any(t.startswith("Customers are most") for t in text)
    assert "index 184 (119–248), 13 customers" in text[0]
    assert finding(published.iloc[0]) == "index 184 (119–248), 13 customers"
