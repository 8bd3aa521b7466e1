from __future__ import annotations

import pandas as pd
import pytest

from pbr_fairness.caseload.mapping import (
    apply_mapping,
    load_map_file,
    parse_map_options,
    suggest_mapping,
)
from pbr_fairness.caseload.schema import COLUMNS
from pbr_fairness.errors import InputError


def test_parse_map_options():
    assert parse_map_options(["client_id=person_id", " Gender = sex ", "a=b=age"]) == {
        "client_id": "person_id",
        "Gender": "sex",
        "a=b": "age",
    }
    assert parse_map_options(None) == {}


def test_parse_map_options_reports_every_bad_option():
    with pytest.raises(InputError) as exc:
        parse_map_options(["nothing", "=age", "x=", "a=age", "a=sex"])
    assert len(exc.value.problems) == 4
    assert "not of the form source=target" in str(exc.value)
    assert "mapped twice" in str(exc.value)


def test_load_map_file(tmp_path):
    path = tmp_path / "map.yaml"
    path.write_text("client_id: person_id\nGender: sex\n")
    assert load_map_file(path) == {"client_id": "person_id", "Gender": "sex"}


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("", "empty"),
        ("- a\n- b\n", "source: target"),
        ("a: [1, 2]\n", "must be a column name"),
        ("a: b: c\n", "not valid YAML"),
    ],
)
def test_load_map_file_problems(tmp_path, text, match):
    path = tmp_path / "map.yaml"
    path.write_text(text)
    with pytest.raises(InputError, match=match):
        load_map_file(path)


def test_load_map_file_missing(tmp_path):
    with pytest.raises(InputError, match="not found"):
        load_map_file(tmp_path / "none.yaml")


def test_apply_mapping_renames():
    frame = pd.DataFrame({"client_id": [1], "Gender": ["F"], "other": [0]})
    out = apply_mapping(frame, {"client_id": "person_id", "Gender": "sex"})
    assert list(out.columns) == ["person_id", "sex", "other"]
    assert list(frame.columns) == ["client_id", "Gender", "other"]
    assert apply_mapping(frame, None) is frame


def test_apply_mapping_names_unknown_targets_and_missing_sources():
    frame = pd.DataFrame({"client_id": [1], "Gender": ["F"], "age": [30]})
    with pytest.raises(InputError) as exc:
        apply_mapping(
            frame,
            {"client_id": "persn_id", "Gendr": "sex", "Gender": "sex", "DOB": "age"},
        )
    text = str(exc.value)
    assert (
        "'persn_id' (target of 'client_id') is not a caseload column; did you mean 'person_id'"
        in text
    )
    assert "column 'Gendr' is not in the file; did you mean 'Gender'" in text
    assert "both mapped to 'sex'" in text
    assert "already has a column 'age'" in text


def test_apply_mapping_may_swap_names():
    frame = pd.DataFrame({"age": ["F"], "sex": [30]})
    out = apply_mapping(frame, {"age": "sex", "sex": "age"})
    assert out["age"].tolist() == [30]


def test_suggest_mapping_examples_from_the_issue():
    columns = ["client_id", "Gender", "DOB age", "hours", "outcome", "provider", "payment_group"]
    assert suggest_mapping(columns) == {
        "client_id": "person_id",
        "Gender": "sex",
        "DOB age": "age",
        "hours": "support_hours",
        "outcome": "job_outcome",
        "provider": "provider_id",
    }
    assert suggest_mapping(["age_years", "job"]) == {"age_years": "age", "job": "job_outcome"}


def test_suggest_mapping_by_spelling_and_without_clashes():
    assert suggest_mapping(["Payment Group", "Ethnicty"]) == {
        "Payment Group": "payment_group",
        "Ethnicty": "ethnicity",
    }
    # A schema name already present is never proposed for another column.
    assert suggest_mapping(["sex", "gender"]) == {}
    # Unrelated columns are left alone.
    assert suggest_mapping(["re78", "nodegree", "zzz"]) == {}
    # Each target is proposed once: the first column wins.
    assert suggest_mapping(["gender", "sex_gender"]) == {"gender": "sex"}


def test_every_schema_column_is_found_under_its_own_name_in_other_case():
    names = [c.name.upper() for c in COLUMNS]
    assert suggest_mapping(names) == {n: n.lower() for n in names}
