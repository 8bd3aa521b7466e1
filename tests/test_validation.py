from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pbr_fairness.caseload.schema import COLUMNS, PAYMENT_GROUPS
from pbr_fairness.caseload.validation import (
    coerce_caseload,
    schema_dtype,
    schema_markdown,
    validate_caseload,
)
from pbr_fairness.errors import Problem


def raw_frame(n: int = 6) -> pd.DataFrame:
    """A valid caseload as text, as read from a CSV file."""
    rows = {
        "person_id": [f"P{i:03d}" for i in range(n)],
        "payment_group": [PAYMENT_GROUPS[i % 9] for i in range(n)],
        "age": [str(20 + i) for i in range(n)],
        "sex": ["F", "M", "X", "f", "m", "F"][:n] + ["F"] * max(0, n - 6),
        "disability": ["yes", "no", "true", "0", "Y", "N"][:n] + ["no"] * max(0, n - 6),
        "ethnicity": ["White"] * n,
        "months_unemployed": ["3.5"] * n,
        "qualification": ["none", "gcse", "a_level", "degree", "None", "GCSE"][:n]
        + ["none"] * max(0, n - 6),
        "region": ["London"] * n,
        "local_unemployment_rate": ["0.07"] * n,
        "provider_id": ["P1", "P2", "P10", "P1", "P2", "P10"][:n] + ["P1"] * max(0, n - 6),
        "support_hours": ["10"] * n,
        "job_outcome": ["1", "0"] * (n // 2) + ["0"] * (n % 2),
    }
    return pd.DataFrame(rows, dtype=str)


def texts(problems: list[Problem]) -> list[str]:
    return [str(p) for p in problems]


def test_valid_frame_has_no_problems():
    assert validate_caseload(raw_frame()) == []


def test_example_message_from_the_issue():
    frame = raw_frame(20)
    frame.loc[16, "age"] = "-3"
    assert texts(validate_caseload(frame)) == ["row 17, column age: -3 is below 16"]


def test_missing_required_column_suggests_a_mapping():
    frame = raw_frame().rename(columns={"person_id": "client_id"})
    (problem,) = validate_caseload(frame)
    assert problem.column == "person_id" and problem.row is None
    assert "missing required column 'person_id'" in problem.message
    assert "client_id=person_id" in problem.message


def test_required_columns_are_configurable():
    frame = raw_frame().drop(columns=["job_outcome"])
    assert validate_caseload(frame) == []
    problems = validate_caseload(frame, required=("person_id", "payment_group", "job_outcome"))
    assert [p.column for p in problems] == ["job_outcome"]


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("age", "abc", "'abc' is not a number"),
        ("age", "30.5", "30.5 is not a whole number"),
        ("age", "71", "71 is above 70"),
        ("age", "inf", "inf is not a finite number"),
        ("months_unemployed", "-1", "-1 is below 0"),
        ("local_unemployment_rate", "7", "7 is above 1"),
        ("support_hours", "lots", "'lots' is not a number"),
        ("sex", "Q", "'Q' is not one of F, M, X"),
        ("ethnicity", "Martian", "'Martian' is not one of White, Mixed, Asian, Black, Other"),
        ("qualification", "phd", "'phd' is not one of none, gcse, a_level, degree"),
        ("disability", "maybe", "'maybe' is not a yes/no value"),
        ("job_outcome", "2", "'2' is not 0 or 1"),
        ("payment_group", "PG12", "'PG12' is not a payment group of this contract"),
        ("payment_group", "", "missing value (payment_group is required)"),
        ("person_id", "NA", "missing value (person_id is required)"),
    ],
)
def test_each_kind_of_value_problem_names_row_and_column(column, value, message):
    frame = raw_frame()
    frame.loc[3, column] = value
    problems = validate_caseload(frame)
    assert len(problems) == 1, texts(problems)
    assert problems[0].row == 4 and problems[0].column == column
    assert problems[0].message.startswith(message)


def test_every_problem_is_reported_at_once():
    frame = raw_frame()
    frame.loc[0, "age"] = "x"
    frame.loc[1, "sex"] = "?"
    frame.loc[2, "payment_group"] = "PG0"
    frame.loc[4, "support_hours"] = "-2"
    frame = frame.drop(columns=["person_id"])
    found = {(p.row, p.column) for p in validate_caseload(frame)}
    assert found == {(None, "person_id"), (1, "age"), (2, "sex"), (3, "payment_group"),
                     (5, "support_hours")}


def test_duplicate_person_id_names_both_rows():
    frame = raw_frame()
    frame.loc[4, "person_id"] = frame.loc[1, "person_id"]
    (problem,) = validate_caseload(frame)
    assert problem.row == 5 and problem.column == "person_id"
    assert "duplicate person_id 'P001'" in problem.message and "row 2" in problem.message


def test_payment_groups_are_configurable():
    frame = raw_frame()
    frame["payment_group"] = ["A", "B", "A", "B", "A", "B"]
    assert len(validate_caseload(frame)) == 6
    assert validate_caseload(frame, payment_groups=["A", "B"]) == []


def test_optional_columns_may_have_missing_values():
    frame = raw_frame()
    frame.loc[2, ["age", "sex", "disability", "job_outcome"]] = ["", "NA", "null", ""]
    assert validate_caseload(frame) == []
    typed = coerce_caseload(frame)
    assert str(typed["age"].dtype) == "Int64" and pd.isna(typed.loc[2, "age"])
    assert str(typed["disability"].dtype) == "boolean"
    assert str(typed["job_outcome"].dtype) == "Int8"


def test_messages_are_capped_per_column():
    frame = raw_frame(400)
    frame["age"] = "old"
    problems = validate_caseload(frame, max_per_column=100)
    assert len(problems) == 101
    assert problems[-1].message == "... and 300 more in column age"
    assert problems[0].row == 1 and problems[99].row == 100


def test_empty_table():
    assert any("no rows" in p.message for p in validate_caseload(raw_frame().iloc[:0]))


def test_typed_frames_are_accepted():
    frame = pd.DataFrame(
        {
            "person_id": [1, 2, 3],
            "payment_group": pd.Categorical(["PG1", "PG2", "PG1"]),
            "age": [20, 30, 15],
            "disability": [True, False, True],
            "job_outcome": [1.0, 0.0, 1.0],
            "support_hours": [1.5, np.nan, 2.0],
        }
    )
    assert texts(validate_caseload(frame)) == ["row 3, column age: 15 is below 16"]
    typed = coerce_caseload(frame)
    assert typed["person_id"].tolist() == ["1", "2", "3"]
    assert typed["job_outcome"].dtype == np.int8


def test_coerce_converts_to_schema_types():
    typed = coerce_caseload(raw_frame())
    assert typed["age"].dtype == np.int64
    assert typed["disability"].tolist() == [True, False, True, False, True, False]
    assert typed["sex"].tolist() == ["F", "M", "X", "F", "M", "F"]
    assert list(typed["sex"].cat.categories) == ["F", "M", "X"]
    assert typed["qualification"].tolist()[4:] == ["none", "gcse"]
    assert list(typed["provider_id"].cat.categories) == ["P1", "P2", "P10"]
    assert list(typed["payment_group"].cat.categories) == list(PAYMENT_GROUPS)
    assert typed["job_outcome"].dtype == np.int8


def test_coerce_turns_invalid_values_into_missing():
    frame = raw_frame()
    frame.loc[0, "age"] = "-3"
    frame.loc[1, "sex"] = "Q"
    typed = coerce_caseload(frame)
    assert pd.isna(typed.loc[0, "age"]) and pd.isna(typed.loc[1, "sex"])


def test_schema_dtype():
    assert schema_dtype(COLUMNS[0]) == "str"
    kinds = {c.kind: schema_dtype(c, has_missing=True) for c in COLUMNS}
    assert kinds["bool"] == "boolean" and kinds["int"] == "Int64" and kinds["binary"] == "Int8"


def test_schema_markdown_has_every_column():
    table = schema_markdown()
    for spec in COLUMNS:
        assert f"| `{spec.name}` |" in table
    assert table.count("\n") == len(COLUMNS) + 2


def test_large_bad_table_is_checked_quickly_and_capped():
    n = 200_000
    frame = pd.DataFrame(
        {
            "person_id": np.char.add("C", np.arange(n).astype(str)),
            "payment_group": np.where(np.arange(n) % 2 == 0, "PG1", "PG99"),
            "age": np.where(np.arange(n) % 3 == 0, "abc", "40"),
        }
    ).astype(str)
    problems = validate_caseload(frame)
    assert len(problems) == 202
    assert problems[100].message == f"... and {n // 2 - 100} more in column payment_group"


BAD_VALUES = {
    "age": ["-3", "abc", "200", "30.5"],
    "sex": ["Q", "female?"],
    "disability": ["maybe", "2"],
    "payment_group": ["PG10", "X"],
    "support_hours": ["-0.5", "ten"],
    "job_outcome": ["3", "yes please"],
    "local_unemployment_rate": ["1.5", "-0.1"],
}


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 40),
    data=st.data(),
)
def test_any_single_bad_cell_is_found_at_its_row_and_column(n, data):
    frame = raw_frame(n)
    column = data.draw(st.sampled_from(sorted(BAD_VALUES)))
    value = data.draw(st.sampled_from(BAD_VALUES[column]))
    row = data.draw(st.integers(0, n - 1))
    frame.loc[row, column] = value
    problems = validate_caseload(frame)
    assert [(p.row, p.column) for p in problems] == [(row + 1, column)]
    assert value in problems[0].message
