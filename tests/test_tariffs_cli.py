"""``pbr-fairness optimise`` through the real entry point."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from pbr_fairness.caseload.generator import make_caseload


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pbr_fairness", *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def caseload_csv(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("cl") / "caseload.csv"
    make_caseload(1500, rng=11, providers=2).to_csv(path, index=False)
    return path


def test_optimise_writes_a_tariff_simulate_loads(caseload_csv: Path, tmp_path: Path) -> None:
    out, js = tmp_path / "tariff.yaml", tmp_path / "result.json"
    res = _run(
        "optimise",
        "--caseload",
        str(caseload_csv),
        "--baseline",
        "work_programme_2011",
        "--basis",
        "distance_band",
        "--provider-knows",
        "model",
        "--predicted-column",
        "true_p_observable",
        "--cost-per-hour",
        "20",
        "--out",
        str(out),
        "--json",
        str(js),
        "--no-reference",
        "--structure",
        "baseline",
    )
    assert res.returncode == 0, res.stderr
    assert "Fairer tariff" in res.stdout
    doc = json.loads(js.read_text())
    assert {"baseline", "proposed", "frontier"} <= set(doc)
    assert {"overall", "by_group", "by_decile", "provenance"} <= set(doc["proposed"])
    assert [r["budget_share"] for r in doc["frontier"]] == [0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3]
    spend = doc["proposed"]["overall"]["government_spend"]
    assert spend <= doc["baseline"]["overall"]["government_spend"] * (1 + 1e-9)
    persons = tmp_path / "persons.csv"  # (--json would add fairlearn's slow gap tables)
    sim = _run(
        "simulate",
        "--caseload",
        str(caseload_csv),
        "--contract",
        str(out),
        "--predicted-column",
        "true_p_observable",
        "--provider-knows",
        "model",
        "--persons",
        str(persons),
        "--quiet",
    )
    assert sim.returncode == 0, sim.stderr
    again = pd.read_csv(persons)["expected_payment"].sum()
    assert again == pytest.approx(spend, rel=1e-9)


def test_optimise_budget_and_payment_groups(caseload_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "pg.yaml"
    res = _run(
        "optimise",
        "--caseload",
        str(caseload_csv),
        "--basis",
        "payment_group",
        "--budget-share",
        "0.9",
        "--no-frontier",
        "--no-reference",
        "--structure",
        "job_outcome",
        "--out",
        str(out),
        "--quiet",
    )
    assert res.returncode == 0, res.stderr
    assert "basis: payment_group" in out.read_text()


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--basis", "postcode"], "--basis"),
        (["--predicted-column", "nope", "--basis", "smooth"], "nope"),
        # every problem at once, in one run (the hostile matrix tries each option alone)
        (["--instruments", "value_added,bogus", "--min-margin", "high", "--primes", "1",
          "--budget-share", "0.9", "--provider-knows", "everything"],
         "'bogus'|--min-margin|--primes|--budget-share|--provider-knows"),
    ],
)
def test_optimise_user_mistakes_exit_2(
    caseload_csv: Path, tmp_path: Path, args: list[str], needle: str
) -> None:
    res = _run(
        "optimise", "--caseload", str(caseload_csv), "--out", str(tmp_path / "x.yaml"), *args
    )
    assert res.returncode == 2
    for part in needle.split("|"):
        assert part in res.stderr
    assert "Traceback" not in res.stderr


def test_optimise_with_instruments_writes_a_contract_simulate_runs(
    tmp_path: Path,
) -> None:
    path = tmp_path / "one_provider.csv"
    make_caseload(2000, rng=12).to_csv(path, index=False)  # one provider: split into primes
    out, js = tmp_path / "proposal.yaml", tmp_path / "proposal.json"
    res = _run(
        "optimise", "--caseload", str(path), "--out", str(out), "--json", str(js),
        "--instruments", "yardstick,funded_hours", "--min-margin", "0.25",
        "--replications", "4",
    )
    assert res.returncode == 0, res.stderr
    assert "demand_shock" in res.stdout and "yardstick" in res.stdout
    assert "[" in res.stderr  # progress
    doc = json.loads(js.read_text())
    assert doc["proposals"][0]["proposal"] == "baseline"
    assert {r["check"] for r in doc["checks"]} >= {"demand_shock", "benchmark_low"}
    assert doc["settings"]["margin_floor"] == 0.25
    text = out.read_text()
    assert "instruments:" in text and "funded_hours" in text
    # the written proposal is a contract the simulator reads (yardstick: two primes or more)
    three = tmp_path / "three.csv"
    frame = make_caseload(900, rng=3, providers=3)
    frame.to_csv(three, index=False)
    pricing = Path(__file__).resolve().parents[1] / "models" / "pricing"
    sim = _run("simulate", "--caseload", str(three), "--contract", str(out),
               "--model", str(pricing))
    assert sim.returncode == 0, sim.stderr
