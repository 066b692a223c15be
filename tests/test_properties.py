"""Property-based tests (hypothesis) of the postcode parser and the reader.

No wall-clock limits: ``deadline=None``; the example counts keep the run short.
"""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oacinsight.postcodes import (
    POSTCODE_KEY_REGEX,
    classify,
    format_key,
    normalise,
    postcode_key,
    to_pcd,
    to_pcd2,
)
from oacinsight.store.inputs import read_text_frame
from oacinsight.tabular import open_input

SETTINGS = settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

# -- postcodes ----------------------------------------------------------------------------
FIRST = "ABCDEFGHIJKLMNOPRSTUWYZ"  # no Q, V, X
SECOND = "ABCDEFGHKLMNOPQRSTUVWXY"  # no I, J, Z
THIRD_A9A = "ABCDEFGHJKPSTUW"
FOURTH_AA9A = "ABEHMNPRVWXY"
INWARD = "ABDEFGHJLNPQRSTUWXYZ"  # no C, I, K, M, O, V
digit = st.sampled_from("0123456789")


@st.composite
def valid_postcode(draw) -> tuple[str, str]:
    """(outward, inward) drawn from the Royal Mail grammar."""
    a = draw(st.sampled_from(FIRST))
    shape = draw(st.sampled_from(["A9", "A99", "A9A", "AA9", "AA99", "AA9A"]))
    if shape == "A9":
        out = a + draw(digit)
    elif shape == "A99":
        out = a + draw(digit) + draw(digit)
    elif shape == "A9A":
        out = a + draw(digit) + draw(st.sampled_from(THIRD_A9A))
    elif shape == "AA9":
        out = a + draw(st.sampled_from(SECOND)) + draw(digit)
    elif shape == "AA99":
        out = a + draw(st.sampled_from(SECOND)) + draw(digit) + draw(digit)
    else:
        out = a + draw(st.sampled_from(SECOND)) + draw(digit) + draw(st.sampled_from(FOURTH_AA9A))
    inward = draw(digit) + draw(st.sampled_from(INWARD)) + draw(st.sampled_from(INWARD))
    return out, inward


@st.composite
def spelling(draw, parts: tuple[str, str]) -> str:
    """A way a person or a system might write the postcode."""
    out, inward = parts
    style = draw(
        st.sampled_from(["pcds", "nospace", "pcd", "pcd2", "spaces", "lower", "mixed", "punct"])
    )
    key = out + inward
    text = {
        "pcds": f"{out} {inward}",
        "nospace": key,
        "pcd": to_pcd(key),
        "pcd2": to_pcd2(key),
        "spaces": f"  {out}   {inward} ",
        "lower": f"{out} {inward}".lower(),
        "punct": f"{out}-{inward}.",
        "mixed": "".join(c.lower() if i % 2 else c for i, c in enumerate(key)),
    }[style]
    return text


@SETTINGS
@given(st.data())
def test_every_spelling_of_a_valid_postcode_normalises_to_one_key(data):
    parts = data.draw(valid_postcode())
    text = data.draw(spelling(parts))
    key = "".join(parts)
    row = normalise([text]).iloc[0]
    assert row["kind"] == "valid" and row["key"] == key
    assert row["postcode_clean"] == f"{parts[0]} {parts[1]}" == format_key(key)
    assert postcode_key(text) == key and classify(key) == "valid"
    for form in (to_pcd(key), to_pcd2(key), format_key(key)):
        assert postcode_key(form) == key


@SETTINGS
@given(st.lists(st.one_of(st.none(), st.text(max_size=12)), max_size=30))
def test_any_text_gives_a_kind_and_python_agrees_with_duckdb(values):
    frame = normalise(values)
    assert len(frame) == len(values)
    assert set(frame["kind"]) <= {"valid", "bfpo", "missing", "invalid"}
    assert frame["key"].str.fullmatch(r"[A-Z0-9]*").all()
    keys = [k for k in frame["key"] if k]
    if keys:
        con = duckdb.connect()
        got = con.execute(
            f"SELECT regexp_full_match(k, '{POSTCODE_KEY_REGEX}') FROM unnest(?) t(k)", [keys]
        ).fetchall()
        assert [g[0] for g in got] == [classify(k) == "valid" for k in keys]
    for clean, kind in zip(frame["postcode_clean"], frame["kind"], strict=True):
        assert (kind == "valid") == bool(clean)
        if clean:
            assert normalise([clean]).iloc[0]["postcode_clean"] == clean


# -- the reader ---------------------------------------------------------------------------
CELL = st.text(alphabet=st.sampled_from(list("abcXYZ019 éøß€\"'\n=-_")), max_size=12)
NAME = st.text(alphabet=st.sampled_from(list("abcdefxyz_019é")), min_size=1, max_size=8)


@st.composite
def table(draw) -> tuple[list[str], list[list[str]]]:
    names = draw(st.lists(NAME, min_size=1, max_size=6, unique=True))
    rows = draw(
        st.lists(st.lists(CELL, min_size=len(names), max_size=len(names)), min_size=1, max_size=25)
    )
    return names, rows


ENCODE = {
    "utf-8": lambda t: t.encode("utf-8"),
    "utf-8-bom": lambda t: codecs.BOM_UTF8 + t.encode("utf-8"),
    "utf-16": lambda t: t.encode("utf-16"),
    "utf-16-le": lambda t: t.encode("utf-16-le"),
    "utf-32": lambda t: t.encode("utf-32"),
}


@SETTINGS
@given(
    table(),
    st.sampled_from(",;\t|"),
    st.sampled_from(["\n", "\r\n", "\r"]),
    st.sampled_from(sorted(ENCODE)),
    st.booleans(),
)
def test_reader_returns_every_cell_of_any_table(
    tmp_path_factory, tab, delimiter, eol, encoding, quote_all
):
    names, rows = tab
    if len(names) == 1 and any(r == [""] for r in rows) and eol == "\r":
        rows = [r if r != [""] else ["x"] for r in rows]  # lone CR lines are ambiguous
    # csv.writer quotes only the characters of its own line end: with CR line ends a cell
    # holding LF would be written bare, which no reader can tell from a line break
    quote_all = quote_all or (eol == "\r" and any("\n" in c for r in rows for c in r))
    buf = io.StringIO()
    writer = csv.writer(
        buf,
        delimiter=delimiter,
        lineterminator=eol,
        quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL,
    )
    writer.writerow(names)
    writer.writerows(rows)
    path = Path(tmp_path_factory.mktemp("prop")) / "t.csv"
    path.write_bytes(ENCODE[encoding](buf.getvalue()))
    with open_input(path) as src:
        frame = read_text_frame(src)
        report = src.report
    assert list(frame.columns) == names
    got = frame.astype(object).where(frame.notna(), "").to_numpy().tolist()
    assert got == rows
    assert report.records == len(rows) and report.replaced_bytes == 0


@SETTINGS
@given(
    st.lists(st.sampled_from(["Zoë", "café", "Łódź", "naïve", "€5"]), min_size=3, max_size=20),
    st.data(),
)
def test_a_few_bad_bytes_keep_utf8_and_are_counted(tmp_path_factory, words, data):
    lines = [f"{i},YY1 1AA,{w}" for i, w in enumerate(words)]
    bad = data.draw(st.integers(min_value=1, max_value=len(words) // 2 or 1))
    where = data.draw(
        st.lists(st.integers(0, len(lines) - 1), min_size=bad, max_size=bad, unique=True)
    )
    body = b"id,postcode,name\n" + b"".join(
        line.encode() + (b"\xff" if i in where else b"") + b"\n" for i, line in enumerate(lines)
    )
    path = Path(tmp_path_factory.mktemp("bad")) / "b.csv"
    path.write_bytes(body)
    with open_input(path) as src:
        frame = read_text_frame(src)
        report = src.report
    assert report.encoding == "utf-8" and report.replaced_bytes == bad
    names = frame["name"].tolist()
    assert names == [w + ("\ufffd" if i in where else "") for i, w in enumerate(words)]
