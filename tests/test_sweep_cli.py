"""The ``sweep`` and ``national`` commands through the real entry point."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from pbr_fairness.sweep import expand_scenarios, load_spec

ROOT = Path(__file__).resolve().parents[1]


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pbr_fairness", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )


@pytest.fixture
def spec_file(tmp_path: Path) -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "name": "cli",
                "seeds": 2,
                "caseload": {"n": 300, "providers": 1, "seed": 2},
                "breakdowns": ["overall", "payment_group"],
                "parameters": {"grid": {"provider.cost_per_hour": [15.0, 25.0]}},
            }
        )
    )
    return path


def test_sweep_command_writes_parquet_and_resumes(tmp_path, spec_file):
    out = tmp_path / "res.parquet"
    js = tmp_path / "run.json"
    done = cli(
        "sweep",
        str(spec_file),
        "--out",
        str(out),
        "--jobs",
        "1",
        "--no-progress",
        "--json",
        str(js),
    )
    assert done.returncode == 0, done.stderr
    assert "4 scenarios" in done.stdout
    doc = json.loads(js.read_text())
    assert doc["n_run"] == 4 and doc["backend"] == "local"
    frame = pd.read_parquet(out)
    assert set(frame["measure"]) >= {"parked_share", "creaming_index"}
    assert (tmp_path / "res.summary.parquet").exists()
    again = cli(
        "sweep",
        str(spec_file),
        "--out",
        str(out),
        "--jobs",
        "1",
        "--no-progress",
        "--json",
        str(js),
    )
    assert again.returncode == 0, again.stderr
    assert json.loads(js.read_text())["n_skipped"] == 4


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        (["--backend", "spark"], "backend"),
        (["--scheduler", "tcp://127.0.0.1:1"], "--scheduler needs --backend dask"),
        (["--jobs", "0"], "--jobs"),
    ],
)
def test_sweep_bad_options_exit_2(tmp_path, spec_file, extra, needle):
    done = cli("sweep", str(spec_file), "--out", str(tmp_path / "r.parquet"), *extra)
    assert done.returncode == 2
    assert needle in done.stderr
    assert "Traceback" not in done.stderr


def test_sweep_bad_spec_and_missing_file_exit_2(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("caseload: {n: 100}\nseeds: -1\ncolour: blue\n")
    done = cli("sweep", str(bad), "--out", str(tmp_path / "r.parquet"))
    assert done.returncode == 2
    assert "seeds" in done.stderr and "colour" in done.stderr
    missing = cli("sweep", str(tmp_path / "nope.yaml"), "--out", str(tmp_path / "r.parquet"))
    assert missing.returncode == 2
    assert "Traceback" not in missing.stderr


def test_national_command(tmp_path):
    js = tmp_path / "n.json"
    csv = tmp_path / "n.csv"
    done = cli(
        "national",
        "--n",
        "3000",
        "--chunk-size",
        "1000",
        "--providers",
        "2",
        "--no-progress",
        "--json",
        str(js),
        "--out",
        str(csv),
    )
    assert done.returncode == 0, done.stderr
    doc = json.loads(js.read_text())
    assert doc["n"] == 3000 and doc["n_chunks"] == 3
    assert len(doc["marginal_cost"]) == 2
    assert "parked_share" in doc["overall"]
    assert len(pd.read_csv(csv)) > 11
    bad = cli("national", "--n", "-5")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


def test_shipped_example_spec_is_valid():
    spec = load_spec(ROOT / "examples" / "sweep_small.yaml")
    assert len(expand_scenarios(spec)) == 72
