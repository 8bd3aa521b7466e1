"""The validate and synth commands, through the real entry point.

The main paths run ``python -m pbr_fairness`` in a subprocess; the many user-mistake cases
call the same entry function, :func:`pbr_fairness.cli.main`, in process (a subprocess costs
seconds on a busy machine).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

GOOD = (
    "person_id,payment_group,age,sex,provider_id,job_outcome\n"
    "A1,PG1,19,F,P1,1\n"
    "A2,PG2,40,M,P2,0\n"
    "A3,PG6,55,X,P1,0\n"
)


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pbr_fairness", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
    )


def run_inline(capsys: pytest.CaptureFixture[str], *args: str) -> subprocess.CompletedProcess[str]:
    from pbr_fairness.cli import main

    code = main(list(args))
    out, err = capsys.readouterr()
    return subprocess.CompletedProcess(list(args), code, out, err)


def assert_user_error(result: subprocess.CompletedProcess[str], text: str) -> None:
    assert result.returncode == 2, result.stderr + result.stdout
    assert "Traceback" not in result.stderr + result.stdout
    assert text in result.stderr + result.stdout


@pytest.fixture
def good_csv(tmp_path: Path) -> Path:
    path = tmp_path / "good.csv"
    path.write_text(GOOD)
    return path


def test_validate_ok_line_and_json(good_csv, tmp_path):
    out = tmp_path / "res" / "v.json"
    result = run("validate", "--caseload", str(good_csv), "--json", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "OK: 3 people, 3 payment groups, 2 providers"
    payload = json.loads(out.read_text())
    assert payload["ok"] is True and payload["counts"] == {
        "people": 3, "payment_groups": 3, "providers": 2
    }


def test_validate_prints_every_problem_and_exits_2(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(GOOD.replace("A2,PG2,40,M", "A1,PG12,-3,Q"))
    out = tmp_path / "v.json"
    result = run("validate", "--caseload", str(path), "--json", str(out))
    assert_user_error(result, "4 problems found")
    for line in (
        "row 2, column person_id: duplicate person_id 'A1' (also in row 1)",
        "row 2, column payment_group: 'PG12' is not a payment group",
        "row 2, column age: -3 is below 16",
        "row 2, column sex: 'Q' is not one of F, M, X",
    ):
        assert line in result.stdout
    payload = json.loads(out.read_text())
    assert payload["ok"] is False and len(payload["problems"]) == 4
    assert payload["problems"][2] == {"row": 2, "column": "age", "message": "-3 is below 16"}


def test_validate_with_map_options_and_map_file(tmp_path, capsys):
    path = tmp_path / "theirs.csv"
    path.write_text(GOOD.replace("person_id", "client_id").replace("sex", "Gender"))
    result = run_inline(capsys, "validate", "--caseload", str(path))
    assert_user_error(result, "--map 'client_id=person_id'")
    result = run_inline(
        capsys, "validate", "-c", str(path), "--map", "client_id=person_id", "--map", "Gender=sex"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    map_file = tmp_path / "map.yaml"
    map_file.write_text("client_id: person_id\nGender: sex\n")
    result = run_inline(capsys, "validate", "-c", str(path), "--map-file", str(map_file))
    assert result.returncode == 0, result.stdout + result.stderr


def test_validate_payment_groups_option(tmp_path, capsys):
    path = tmp_path / "groups.csv"
    path.write_text(GOOD.replace("PG1", "A").replace("PG2", "B").replace("PG6", "A"))
    assert_user_error(run_inline(capsys, "validate", "-c", str(path)), "is not a payment group")
    result = run_inline(capsys, "validate", "-c", str(path), "--payment-groups", "A,B")
    assert result.stdout.strip() == "OK: 3 people, 2 payment groups, 2 providers"
    result = run_inline(capsys, "validate", "-c", str(path), "--payment-groups", ",")
    assert_user_error(result, "at least one")


@pytest.mark.parametrize(
    ("args", "text"),
    [
        (("validate", "--caseload", "no/such/file.csv"), "file not found"),
        (("validate",), "Missing option '--caseload'"),
        (("validate", "--caseload", "x.csv", "--bogus"), "No such option"),
        (("validate", "--caseload", "{good}", "--map", "oops"), "source=target"),
        (("validate", "-c", "{good}", "--map", "person_id=nobody"), "not a caseload column"),
        (("validate", "--caseload", "{good}", "--map-file", "none.yaml"), "not found"),
        (("synth", "--n", "-5", "--out", "x.csv"), "--n"),
        (("synth", "--n", "abc", "--out", "x.csv"), "--n"),
        (("synth", "--n", "5"), "Missing option '--out'"),
        (("synth", "--n", "5", "--providers", "0", "--out", "x.csv"), "--providers"),
        (("synth", "--n", "5", "--seed", "-1", "--out", "x.csv"), "--seed"),
        (("synth", "--n", "5", "--out", "x.xlsx"), "use .csv or .parquet"),
    ],
)
def test_user_mistakes_exit_2_without_traceback(args, text, good_csv, tmp_path, capsys,
                                                monkeypatch):
    monkeypatch.chdir(tmp_path)
    args = tuple(a.replace("{good}", str(good_csv)) for a in args)
    assert_user_error(run_inline(capsys, *args), text)
    assert not (tmp_path / "x.csv").exists()


def test_a_user_mistake_through_the_console_script(tmp_path):
    script = Path(sys.executable).with_name("pbr-fairness")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "pbr_fairness"]
    result = subprocess.run(
        [*command, "synth", "--n", "-5", "--out", "x.csv"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )
    assert_user_error(result, "Invalid value for '--n'")


def test_validate_reports_file_level_problems_as_json(tmp_path, capsys):
    path = tmp_path / "semi.csv"
    path.write_text(GOOD.replace(",", ";"))
    out = tmp_path / "v.json"
    result = run_inline(capsys, "validate", "-c", str(path), "--json", str(out))
    assert_user_error(result, "semicolon-separated")
    payload = json.loads(out.read_text())
    assert payload["ok"] is False and "semicolon" in payload["problems"][0]["message"]


def test_synth_writes_the_same_file_for_the_same_seed(tmp_path, capsys):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    summary = tmp_path / "s.json"
    result = run("synth", "--n", "200", "--seed", "5", "--providers", "3", "--out", str(a),
                 "--json", str(summary))
    assert result.returncode == 0, result.stderr
    assert "wrote 200 people (3 providers, seed 5)" in result.stdout
    again = run_inline(
        capsys, "synth", "--n", "200", "--seed", "5", "--providers", "3", "--out", str(b)
    )
    assert again.returncode == 0
    assert a.read_bytes() == b.read_bytes()
    payload = json.loads(summary.read_text())
    assert payload["people"] == 200 and payload["seed"] == 5
    assert sum(payload["payment_groups"].values()) == 200
    # What synth writes, validate accepts.
    result = run_inline(capsys, "validate", "-c", str(a))
    assert result.returncode == 0 and "OK: 200 people" in result.stdout
    assert "3 providers" in result.stdout


def test_synth_parquet(tmp_path, capsys):
    out = tmp_path / "c.parquet"
    result = run_inline(capsys, "synth", "--n", "50", "--seed", "1", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert out.read_bytes()[:4] == b"PAR1"
