"""The ``pbr-fairness audit`` command through the real entry point."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from pbr_fairness.audit import make_audit_scenario


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pbr_fairness", "audit", *args],
        capture_output=True, text=True, timeout=300,
    )


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("audit_cli")
    df = make_audit_scenario(250, 3, parking=("P1",), creaming=("P2",), rng=2)
    df = df.drop(columns=[c for c in df.columns if c.startswith("true_")] + ["scenario_role"])
    plain = d / "caseload.csv"
    df.to_csv(plain, index=False)
    renamed = d / "theirs.csv"
    df.rename(columns={"provider_id": "Provider", "job_outcome": "outcome_flag",
                       "expected_p": "p_hat"}).to_csv(renamed, index=False)
    mapfile = d / "map.yaml"
    mapfile.write_text("Provider: provider_id\noutcome_flag: job_outcome\n", encoding="utf-8")
    return {"dir": d, "plain": plain, "renamed": renamed, "map": mapfile}


def test_audit_writes_report_json_and_csv(files):
    d = files["dir"]
    out = run("--caseload", str(files["plain"]), "--report", str(d / "r.html"),
              "--json", str(d / "r.json"), "--csv-dir", str(d / "csv"), "--min-cell", "10",
              "--seed", "7")
    assert out.returncode == 0, out.stderr
    assert "flagged: P1" in out.stdout
    data = json.loads((d / "r.json").read_text())
    digest = hashlib.sha256(files["plain"].read_bytes()).hexdigest()
    assert data["provenance"]["input_sha256"] == digest
    assert data["provenance"]["seed"] == 7
    assert data["provenance"]["input_name"] == "caseload.csv"
    assert [p["provider_id"] for p in data["providers"]] == ["P1", "P2", "P3"]
    html = (d / "r.html").read_text()
    assert digest in html and "Findings" in html
    assert (d / "csv" / "audit_providers.csv").is_file()


def test_audit_with_mapping_and_expected_column(files):
    d = files["dir"]
    (d / "one.yaml").write_text("Provider: provider_id\n", encoding="utf-8")
    out = run("--caseload", str(files["renamed"]), "--map-file", str(d / "one.yaml"),
              "--map", "outcome_flag=job_outcome", "--expected-column", "p_hat",
              "--json", str(d / "m.json"))
    assert out.returncode == 0, out.stderr
    data = json.loads((d / "m.json").read_text())
    assert data["provenance"]["expected_source"] == "column p_hat"
    assert [p["provider_id"] for p in data["providers"]] == ["P1", "P2", "P3"]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--caseload", "missing.csv", "--json", "x.json"], "does not exist"),
        (["--caseload", "{plain}", "--json", "x.json", "--min-cell", "0"], "--min-cell"),
        (["--caseload", "{renamed}", "--json", "x.json", "--expected-column", "p_hat"],
         "provider_id"),
    ],
)
def test_bad_input_exits_2_without_traceback(files, args, needle):
    args = [a.format(plain=files["plain"], renamed=files["renamed"]) for a in args]
    args = [str(files["dir"] / a) if a.endswith(".json") and "/" not in a else a for a in args]
    out = run(*args)
    assert out.returncode == 2, (out.stdout, out.stderr)
    assert "Traceback" not in out.stderr
    assert needle in out.stderr


def test_bad_outcome_values_reported_with_row(files, tmp_path):
    df = pd.read_csv(files["plain"])
    df.loc[4, "job_outcome"] = 3
    bad = tmp_path / "bad.csv"
    df.to_csv(bad, index=False)
    out = run("--caseload", str(bad), "--json", str(tmp_path / "x.json"))
    assert out.returncode == 2
    assert "job_outcome" in out.stderr and "Traceback" not in out.stderr
