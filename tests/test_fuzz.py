"""Fuzz: hypothesis-made caseload files through ``validate`` and ``audit``: exit 0 or 2, always.

Three kinds of file: random bytes; CSV in random dialects (delimiter, quoting, line endings,
byte-order mark, encoding) with random headers; and well-formed caseloads whose every column
holds random values, valid or hostile (NaN, infinities, 1e308, negatives, text, formulas,
control characters, non-ASCII). Each file goes through the real entry function in process;
a traceback (any exception out of :func:`pbr_fairness.cli.main`) or another exit code fails.

The examples are bounded and derandomised so that ``make test`` stays quick and repeatable;
``PBR_FUZZ_EXAMPLES=2000 pytest tests/test_fuzz.py`` explores further (with fresh randomness).
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pbr_fairness.caseload.schema import COLUMNS
from pbr_fairness.cli import main

EXTRA = int(os.environ.get("PBR_FUZZ_EXAMPLES", "0"))
FUZZ = settings(
    max_examples=EXTRA or 30,
    deadline=None,
    derandomize=not EXTRA,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)
SCHEMA = [c.name for c in COLUMNS]
HOSTILE = ["", "nan", "NaN", "inf", "-inf", "1e308", "-1e308", "-1", "0", "1", "2", "0.5",
           "abc", "=1+2", "+SUM(A1)", "@x", "\x1b[31m", "\x00", "é", "PG1", "PG99", "F", "M",
           "X", "Q", "true", "yes", "P1", "P2", "16", "70", "71", "-3", "1e-300", " 7 ",
           '"', "'", ",", "\n", "12345678901234567890", "None", "null", "<NA>"]
WORK = Path(tempfile.mkdtemp(prefix="pbr_fuzz_"))


def _check(data: bytes, name: str = "caseload.csv", *, audit: bool = True) -> None:
    path = WORK / name
    path.write_bytes(data)
    runs = [["validate", "--caseload", str(path)]]
    if audit:
        runs.append(["audit", "--caseload", str(path), "--json", str(WORK / "a.json"),
                     "--expected-column", "expected_p", "--min-cell", "3"])
    for args in runs:
        try:
            code = main(args)
        except BaseException as exc:
            raise AssertionError(f"{args[0]} raised {type(exc).__name__}: {exc}\n"
                                 f"file: {data[:300]!r}") from exc
        assert code in (0, 2), (args[0], code, data[:300])


@FUZZ
@given(st.binary(max_size=3000))
def test_random_bytes(data):
    _check(data)


@FUZZ
@given(st.binary(max_size=1500), st.sampled_from(["c.parquet", "c.txt", "c.pq"]))
def test_random_bytes_under_other_names(data, name):
    _check(b"PAR1" + data if name.endswith(("parquet", "pq")) else data, name, audit=False)


dialects = st.fixed_dictionaries({
    "delimiter": st.sampled_from([",", ";", "\t", "|", " "]),
    "quoting": st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC,
                                csv.QUOTE_NONE]),
    "lineterminator": st.sampled_from(["\n", "\r\n", "\r"]),
    "bom": st.booleans(),
    "encoding": st.sampled_from(["utf-8", "latin-1", "utf-16"]),
    "blank_lines": st.integers(0, 2),
})
headers = st.lists(st.one_of(st.sampled_from(SCHEMA), st.text(max_size=8)), min_size=1,
                   max_size=8)


@FUZZ
@given(dialects, headers, st.lists(st.lists(st.sampled_from(HOSTILE), min_size=0,
                                             max_size=9), max_size=12))
def test_random_dialects_and_headers(dialect, header, rows):
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=dialect["delimiter"], quoting=dialect["quoting"],
                        lineterminator=dialect["lineterminator"], escapechar="\\")
    try:
        writer.writerow(header)
        for row in rows:
            writer.writerow(row)
    except csv.Error:
        return  # this dialect cannot write these values
    text = dialect["lineterminator"] * dialect["blank_lines"] + buf.getvalue()
    data = text.encode(dialect["encoding"], errors="replace")
    if dialect["bom"] and dialect["encoding"] == "utf-8":
        data = b"\xef\xbb\xbf" + data
    _check(data)


AUDIT_COLUMNS = ["person_id", "payment_group", "provider_id", "job_outcome", "support_hours",
                 "expected_p", "sex", "age", "disability", "ethnicity"]
VALID = {
    "payment_group": ["PG1", "PG2", "PG6"], "provider_id": ["P1", "P2", "P3"],
    "job_outcome": ["0", "1"], "support_hours": ["2", "10", "35.5"],
    "expected_p": ["0.1", "0.3", "0.7"], "sex": ["F", "M", "X"], "age": ["19", "40", "65"],
    "disability": ["yes", "no"], "ethnicity": ["White", "Asian", "Black"],
}


@st.composite
def caseloads(draw):
    n = draw(st.integers(1, 40))
    hostile_column = draw(st.sampled_from([None, *AUDIT_COLUMNS]))
    lines = [",".join(AUDIT_COLUMNS)]
    for i in range(n):
        cells = []
        for col in AUDIT_COLUMNS:
            if col == "person_id":
                value = f"C{i}" if col != hostile_column else draw(st.sampled_from(HOSTILE))
            elif col == hostile_column and draw(st.booleans()):
                value = draw(st.sampled_from(HOSTILE))
            else:
                value = draw(st.sampled_from(VALID[col]))
            cells.append(value if "," not in value and "\n" not in value and '"' not in value
                         else '"' + value.replace('"', '""') + '"')
        lines.append(",".join(cells))
    return ("\n".join(lines) + "\n").encode("utf-8")


@settings(FUZZ, max_examples=EXTRA or 20)
@given(caseloads())
def test_random_values_in_every_column(data):
    _check(data)
