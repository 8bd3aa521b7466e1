from __future__ import annotations

import io
import pickle
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from pbr_fairness.caseload.io import (
    read_caseload,
    read_table,
    table_format,
    write_caseload,
    write_table,
)
from pbr_fairness.errors import InputError

GOOD = (
    "person_id,payment_group,age,sex,disability,provider_id,support_hours,job_outcome\n"
    "A1,PG1,19,F,yes,P1,10.5,1\n"
    "A2,PG2,40,M,no,P2,0,0\n"
    "A3,PG6,55,X,1,P1,3,0\n"
)


def message(exc: pytest.ExceptionInfo[InputError]) -> str:
    return str(exc.value)


@pytest.fixture(scope="module")
def synthetic() -> pd.DataFrame:
    from pbr_fairness.caseload.generator import make_caseload

    return make_caseload(300, rng=7, providers=3)


def test_read_csv_from_path_and_types(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text(GOOD, encoding="utf-8")
    frame = read_caseload(path)
    assert frame["age"].tolist() == [19, 40, 55]
    assert frame["disability"].tolist() == [True, False, True]
    assert frame["job_outcome"].dtype == "int8"
    assert str(frame["payment_group"].dtype) == "category"
    assert frame["support_hours"].tolist() == [10.5, 0.0, 3.0]


def test_in_memory_uploads(tmp_path):
    data = GOOD.encode()
    assert len(read_caseload(data, name="upload.csv")) == 3
    assert len(read_caseload(io.BytesIO(data), name="upload.csv")) == 3
    assert len(read_caseload(io.StringIO(GOOD), name="upload.csv")) == 3
    frame = read_caseload(data, name="upload.csv")
    buf = io.BytesIO()
    frame.to_parquet(buf, index=False)
    back = read_caseload(buf.getvalue(), name="upload.parquet")
    pd.testing.assert_frame_equal(back, frame)
    # Parquet is recognised by its first bytes even without a name.
    pd.testing.assert_frame_equal(read_caseload(buf.getvalue()), frame)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_round_trip_keeps_values_and_types(tmp_path, synthetic, suffix):
    path = write_caseload(synthetic, tmp_path / f"c{suffix}")
    back = read_caseload(path)
    pd.testing.assert_frame_equal(back, synthetic, check_exact=False, rtol=1e-12)


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        read_caseload(tmp_path / "nope.csv")


def test_directory_is_not_a_file(tmp_path):
    with pytest.raises(InputError, match="is a directory"):
        read_table(tmp_path)


def test_empty_file(tmp_path):
    path = tmp_path / "e.csv"
    path.write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        read_caseload(path)
    path.write_text("  \n\n")
    with pytest.raises(InputError, match="empty"):
        read_caseload(path)


def test_header_only_file(tmp_path):
    path = tmp_path / "h.csv"
    path.write_text("person_id,payment_group\n")
    with pytest.raises(InputError, match="no rows"):
        read_caseload(path)


def test_excel_workbook_named_csv(tmp_path):
    path = tmp_path / "book.csv"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("xl/workbook.xml", "<workbook/>")
    with pytest.raises(InputError, match="Excel") as exc:
        read_caseload(path)
    assert "CSV UTF-8" in message(exc)


def test_xlsx_extension(tmp_path):
    path = tmp_path / "book.xlsx"
    path.write_bytes(b"PK\x03\x04rest")
    with pytest.raises(InputError, match="Excel workbook"):
        read_caseload(path)


def test_binary_file_named_csv(tmp_path):
    path = tmp_path / "bin.csv"
    path.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(InputError, match="binary"):
        read_caseload(path)


def test_pickle_is_never_loaded(tmp_path):
    marker = tmp_path / "ran"

    class Evil:
        def __reduce__(self):
            return (Path.touch, (marker,))

    data = pickle.dumps(Evil(), protocol=4)
    for name in ("x.pkl", "x.csv", "x"):
        with pytest.raises(InputError, match=r"pickle|binary"):
            read_caseload(data, name=name)
    assert not marker.exists()


def test_parquet_named_parquet_but_not_parquet(tmp_path):
    path = tmp_path / "x.parquet"
    path.write_text(GOOD)
    with pytest.raises(InputError, match="not a Parquet file"):
        read_caseload(path)


def test_corrupt_parquet(tmp_path):
    path = tmp_path / "x.parquet"
    path.write_bytes(b"PAR1" + b"\x00" * 50 + b"PAR1")
    with pytest.raises(InputError, match="not a readable Parquet file"):
        read_caseload(path)


@pytest.mark.parametrize(("sep", "word"), [(";", "semicolon"), ("\t", "tab"), ("|", "pipe")])
def test_wrong_delimiter_is_named_with_a_fix(tmp_path, sep, word):
    path = tmp_path / "semi.csv"
    path.write_text(GOOD.replace(",", sep))
    with pytest.raises(InputError, match=f"{word}-separated") as exc:
        read_caseload(path)
    assert "comma-separated" in message(exc)


def test_non_utf8_names_row_and_byte(tmp_path):
    path = tmp_path / "latin1.csv"
    text = GOOD.replace("A3,", "Zoë,")
    path.write_bytes(text.encode("latin-1"))
    with pytest.raises(InputError) as exc:
        read_caseload(path)
    (problem,) = exc.value.problems
    assert problem.row == 3
    offset = text.encode("latin-1").index(b"\xeb")
    assert f"byte 0xEB at byte offset {offset}" in problem.message
    assert "UTF-8" in problem.message


def test_utf8_byte_order_mark_is_accepted():
    frame = read_caseload(b"\xef\xbb\xbf" + GOOD.encode(), name="bom.csv")
    assert frame.columns[0] == "person_id"


def test_utf16_is_named():
    with pytest.raises(InputError, match="UTF-16"):
        read_caseload(GOOD.encode("utf-16"), name="u.csv")


def test_duplicate_header_names(tmp_path):
    with pytest.raises(InputError, match="appears twice") as exc:
        read_caseload(b"person_id,age,age\nA,1,2\n", name="d.csv")
    assert exc.value.problems[0].column == "age"


def test_ragged_rows_are_reported_with_their_row():
    with pytest.raises(InputError, match="cannot read as CSV") as exc:
        read_caseload(b"person_id,payment_group\nA,PG1\nB,PG2,extra,more\n", name="r.csv")
    assert exc.value.problems[0].row == 2


def test_quoted_cells_blank_lines_and_na_text():
    frame = read_table(b'\n\nperson_id,note\n1,\n\n"x,\ny",NA\n', name="q.csv")
    assert frame["person_id"].tolist() == ["1", "x,\ny"]
    assert frame["note"].tolist() == ["", "NA"]


def test_values_problems_raise_with_every_problem():
    bad = GOOD.replace("A2,PG2,40", "A1,PG22,-3")
    with pytest.raises(InputError) as exc:
        read_caseload(bad.encode(), name="bad.csv")
    found = {(p.row, p.column) for p in exc.value.problems}
    assert found == {(2, "person_id"), (2, "payment_group"), (2, "age")}
    assert message(exc).startswith("bad.csv: 3 problems found")


def test_validate_false_returns_what_it_can():
    bad = GOOD.replace("A2,PG2,40", "A2,PG2,abc")
    frame = read_caseload(bad.encode(), name="bad.csv", validate=False)
    assert pd.isna(frame.loc[1, "age"]) and frame.loc[0, "age"] == 19


def test_mapping_applies_before_validation():
    data = GOOD.replace("person_id", "client_id").replace("sex", "Gender").encode()
    frame = read_caseload(data, name="m.csv", mapping={"client_id": "person_id", "Gender": "sex"})
    assert frame["person_id"].tolist() == ["A1", "A2", "A3"]
    with pytest.raises(InputError, match="not a caseload column"):
        read_caseload(data, name="m.csv", mapping={"client_id": "person"})


def test_extra_columns_are_kept():
    data = GOOD.replace("job_outcome\n", "job_outcome,note\n").replace("1\n", "1,a\n", 1)
    data = data.replace(",0\n", ",0,\n")
    frame = read_caseload(data.encode(), name="x.csv")
    assert "note" in frame.columns


def test_write_csv_neutralises_formulas(tmp_path):
    frame = pd.DataFrame({"person_id": ["=HYPERLINK(\"x\")", "ok"], "v": [-1.5, 2.0]})
    path = write_table(frame, tmp_path / "sub" / "out.csv")
    text = path.read_text()
    assert "'=HYPERLINK" in text and "-1.5" in text and "'-1.5" not in text


def test_write_parquet_and_unknown_extension(tmp_path):
    frame = pd.DataFrame({"a": [1, 2]})
    path = write_table(frame, tmp_path / "out.parquet")
    assert path.read_bytes()[:4] == b"PAR1"
    with pytest.raises(InputError, match=r"use \.csv or \.parquet"):
        write_table(frame, tmp_path / "out.xlsx")


def test_table_format():
    assert table_format("a.CSV") == "csv"
    assert table_format("a.pq") == "parquet"
    with pytest.raises(InputError):
        table_format("a")


def test_write_caseload_orders_schema_columns_first(tmp_path):
    frame = pd.DataFrame({"note": ["x"], "payment_group": ["PG1"], "person_id": ["A"]})
    path = write_caseload(frame, tmp_path / "o.csv")
    assert path.read_text().splitlines()[0] == "person_id,payment_group,note"
