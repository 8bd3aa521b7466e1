"""Reader fixes (issue 15, point 6): each case found by attacking ``caseload/io.py``."""

from __future__ import annotations

import pandas as pd
import pytest

from pbr_fairness.caseload.io import read_caseload, read_table
from pbr_fairness.cli import main
from pbr_fairness.errors import InputError

HEADER = "person_id,payment_group,age"
ROWS = [f"C{i:05d},PG{1 + i % 9},{20 + i % 40}" for i in range(400)]  # > 4096 characters


def lf() -> str:
    return HEADER + "\n" + "\n".join(ROWS) + "\n"


def test_a_leading_blank_line_before_the_header_of_a_long_file():
    expected = read_table(lf().encode(), name="x.csv")
    for blank in ("\n", "\r\n", "\n\n\n"):
        got = read_table((blank + lf()).encode(), name="x.csv")
        pd.testing.assert_frame_equal(got, expected)
    assert list(expected.columns) == HEADER.split(",") and len(expected) == 400


def test_cr_only_line_endings_read_like_any_other():
    expected = read_table(lf().encode(), name="x.csv")
    got = read_table(lf().replace("\n", "\r").encode(), name="x.csv")
    pd.testing.assert_frame_equal(got, expected)
    assert len(read_caseload(lf().replace("\n", "\r").encode(), name="x.csv")) == 400


def test_a_nul_byte_is_reported_with_its_row():
    data = (HEADER + "\nA,PG1,30\nB,P\x00G2,40\n").encode()
    with pytest.raises(InputError) as err:
        read_table(data, name="x.csv")
    text = str(err.value)
    assert "row 2" in text and "NUL" in text and "byte offset" in text


def test_the_row_of_a_non_utf8_byte_counts_records_not_lines():
    data = b'person_id,note\nA,"two\nlines"\nB,caf\xe9\n'
    with pytest.raises(InputError) as err:
        read_table(data, name="x.csv")
    assert err.value.problems[0].row == 2, err.value  # the record of B, not line 4


def test_a_header_only_file_without_a_final_newline():
    frame = read_table(HEADER.encode(), name="x.csv")
    assert list(frame.columns) == HEADER.split(",") and len(frame) == 0
    with pytest.raises(InputError, match="no rows of data"):
        read_caseload(HEADER.encode(), name="x.csv")


def test_terminal_escape_codes_in_headers_are_never_echoed_raw(tmp_path, capsys):
    path = tmp_path / "esc.csv"
    path.write_text("person_id,payment_group,\x1b[31mred\x1b[0m,age\nA,PG1,1,-3\n")
    code = main(["validate", "--caseload", str(path)])
    out, err = capsys.readouterr()
    assert code == 2
    assert "\x1b" not in out + err
    path.write_text("person_id,\x1b]0;owned\x07payment_group\nA,PG1\n")
    code = main(["validate", "--caseload", str(path)])
    out, err = capsys.readouterr()
    assert code == 2 and "\x1b" not in out + err and "\x07" not in out + err
