import pandas as pd
import pytest

from oacinsight.postcodes import classify, format_key, normalise, postcode_key, to_pcd, to_pcd2


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("wn1 1aa", "WN11AA"),
        ("WN1  1AA", "WN11AA"),
        (" wn11aa ", "WN11AA"),
        ("B1  1AA", "B11AA"),
        ("sw1a-1aa", "SW1A1AA"),
        (None, ""),
        (float("nan"), ""),
    ],
)
def test_key(raw, key):
    assert postcode_key(raw) == key


def test_official_spellings_round_trip():
    for key, pcd, pcd2, pcds in [
        ("B11AA", "B1  1AA", "B1   1AA", "B1 1AA"),
        ("WN11AA", "WN1 1AA", "WN1  1AA", "WN1 1AA"),
        ("SW1A1AA", "SW1A1AA", "SW1A 1AA", "SW1A 1AA"),
    ]:
        assert to_pcd(key) == pcd and len(pcd) == 7
        assert to_pcd2(key) == pcd2 and len(pcd2) == 8
        assert format_key(key) == pcds
        assert postcode_key(pcd) == postcode_key(pcd2) == postcode_key(pcds) == key


@pytest.mark.parametrize(
    ("key", "kind"),
    [
        ("WN11AA", "valid"),
        ("GIR0AA", "valid"),
        ("EC1A1BB", "valid"),
        ("W1A0AX", "valid"),
        ("M11AE", "valid"),
        ("CR26XH", "valid"),
        ("DN551PT", "valid"),
        ("BFPO123", "bfpo"),
        ("", "missing"),
        ("QA11AA", "invalid"),  # Q never first
        ("AJ11AA", "invalid"),  # J never second
        ("WN11CA", "invalid"),  # C never in the inward code
        ("WN1", "invalid"),
        ("12345", "invalid"),
        ("NA", "invalid"),
    ],
)
def test_grammar(key, kind):
    assert classify(key) == kind


def test_normalise_vectorised_matches_scalar():
    values = ["wn1 1aa", "WN11AB", None, "bfpo 57", "N/A", "  SR1  1AA ", "GIR 0AA"]
    out = normalise(values)
    assert list(out["kind"]) == ["valid", "valid", "missing", "bfpo", "invalid", "valid", "valid"]
    assert list(out["postcode_clean"]) == ["WN1 1AA", "WN1 1AB", "", "", "", "SR1 1AA", "GIR 0AA"]
    assert list(out["key"]) == [postcode_key(v) for v in values]
    assert list(out["kind"]) == [classify(postcode_key(v)) for v in values]


def test_normalise_keeps_index_of_series():
    s = pd.Series(["wn1 1aa", "x"], index=[10, 20])
    assert list(normalise(s).index) == [10, 20]
