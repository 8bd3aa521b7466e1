from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from pbr_fairness.safety import FORMULA_PREFIXES, escape_html, neutralise_formulas, safe_filename


def test_formula_cells_get_an_apostrophe():
    frame = pd.DataFrame(
        {
            "text": ["=SUM(A1:A9)", "+1+1", "-2+3", "@cmd", "\tx", "\ry", "plain", None],
            "number": [-1.0, -2.5, 3.0, 0.0, 1.0, 2.0, np.nan, 4.0],
        }
    )
    out = neutralise_formulas(frame)
    assert out["text"].tolist()[:7] == [
        "'=SUM(A1:A9)", "'+1+1", "'-2+3", "'@cmd", "'\tx", "'\ry", "plain"
    ]
    assert pd.isna(out["text"].iloc[7])
    # Numbers stored as numbers, including negative ones, are untouched.
    pd.testing.assert_series_equal(out["number"], frame["number"])
    # The input is not modified.
    assert frame["text"].iloc[0] == "=SUM(A1:A9)"


def test_plain_numbers_written_as_text_are_left_alone():
    out = neutralise_formulas(pd.DataFrame({"x": ["-3", "+4.5", "-1e-3", "-3 + cmd"]}))
    assert out["x"].tolist() == ["-3", "+4.5", "-1e-3", "'-3 + cmd"]


def test_categorical_object_and_header_cells():
    frame = pd.DataFrame(
        {
            "=evil": pd.Categorical(["=a", "b", "=a"]),
            "mixed": [1, "=x", None],
        }
    )
    out = neutralise_formulas(frame)
    assert list(out.columns) == ["'=evil", "mixed"]
    assert out["'=evil"].tolist() == ["'=a", "b", "'=a"]
    assert out["mixed"].tolist()[:2] == [1, "'=x"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(max_size=8), min_size=1, max_size=20))
def test_no_cell_starts_with_a_formula_prefix(values):
    out = neutralise_formulas(pd.DataFrame({"t": values}))
    for before, after in zip(values, out["t"], strict=True):
        if before.startswith(FORMULA_PREFIXES):
            assert after == "'" + before or after == before  # plain numbers stay
            if after == before:
                float(before)  # only a plain number may keep its sign
        else:
            assert after == before


def test_escape_html():
    assert escape_html('<script>alert("x")</script>') == (
        "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"
    )
    assert escape_html("O'Neil & co") == "O&#x27;Neil &amp; co"
    assert escape_html(None) == ""
    assert escape_html(3) == "3"


def test_safe_filename():
    assert safe_filename("../../etc/passwd") == "passwd"
    assert safe_filename("C:\\Users\\x\\report.html") == "report.html"
    assert safe_filename("Contract: fairer (v2).csv") == "Contract_fairer_v2_.csv"
    assert safe_filename(".bashrc") == "bashrc"
    assert safe_filename("-rf") == "rf"
    assert safe_filename("CON") == "_CON"
    assert safe_filename("") == "download"
    assert safe_filename("...", default="x") == "x"
    assert safe_filename("Café ü.csv") == "Cafe_u.csv"
    long = safe_filename("a" * 500 + ".parquet", max_length=50)
    assert len(long) <= 50 and long.endswith(".parquet")


@settings(max_examples=80, deadline=None)
@given(st.text(max_size=60))
def test_safe_filename_is_always_safe(name):
    out = safe_filename(name)
    assert out and len(out) <= 100
    assert "/" not in out and "\\" not in out and not out.startswith((".", "-"))
    assert all(c.isascii() and (c.isalnum() or c in "._-") for c in out)
