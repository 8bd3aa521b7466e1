"""The ``simulate`` subcommand through the real entry point."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

from pbr_fairness.simulation import MEASURES


@pytest.fixture(scope="module")
def caseload_file(tmp_path_factory):
    from pbr_fairness.caseload.generator import make_caseload

    path = tmp_path_factory.mktemp("sim") / "caseload.csv"
    cl = make_caseload(400, rng=5, providers=2)
    cl["predicted"] = cl["true_p_observable"]
    cl.to_csv(path, index=False)
    return path


def run(*args):
    return subprocess.run([sys.executable, "-m", "pbr_fairness", *map(str, args)],
                          capture_output=True, text=True, timeout=300)


def test_simulate_writes_json_and_persons(caseload_file, tmp_path):
    out, persons = tmp_path / "r.json", tmp_path / "p.csv"
    r = run("simulate", "--caseload", caseload_file, "--contract", "work_programme_2011",
            "--cost-per-hour", "25", "--json", out, "--persons", persons,
            "--predicted-column", "predicted")
    assert r.returncode == 0, r.stderr
    assert "parked share" in r.stdout
    doc = json.loads(out.read_text())
    assert doc["contract"] == "work_programme_2011" and doc["n"] == 400
    for key in ("overall", "by_group", "by_decile", "by_provider", "by_characteristic"):
        assert key in doc
    assert set(doc["overall"]) == set(MEASURES)
    assert set(doc["by_group"]["PG2"]) == set(MEASURES)
    assert set(doc["by_characteristic"]) >= {"sex", "age_band", "disability", "ethnicity"}
    assert "by_decile_predicted" in doc
    assert doc["provider"]["cost_per_hour"] == 25.0
    p = pd.read_csv(persons)
    assert list(p.columns) == ["person_id", "payment_group", "hours", "p_job_outcome", "parked",
                               "expected_payment"]
    assert len(p) == 400


def test_simulate_monte_carlo_and_flat(caseload_file, tmp_path):
    """In-process through ``cli.main``, the function the console script calls."""
    from pbr_fairness.cli import main

    out = tmp_path / "mc.json"
    code = main(["simulate", "--caseload", str(caseload_file), "--contract", "flat", "--mode",
                 "monte_carlo", "--replications", "5", "--json", str(out), "--quiet"])
    assert code == 0
    doc = json.loads(out.read_text())
    assert doc["contract"] == "flat" and doc["replications"] == 5
    assert len(doc["intervals"]["overall"]["all"]["job_outcome_rate"]) == 2


def test_simulate_user_mistake_exits_2_through_the_console_script(caseload_file):
    r = run("simulate", "--caseload", caseload_file, "--contract", "no_such_contract")
    assert r.returncode == 2 and "no preset" in r.stderr


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (["--mission-weight", "3"], "mission_weight"),
        (["--contract", "smooth_example"], "--model"),
        (["--mode", "fast"], "--mode"),
        (["--provider-knows", "oracle"], "--provider-knows"),
    ],
)
def test_simulate_user_mistakes_exit_2(caseload_file, capsys, extra, expected):
    """The same entry function as the console script, in-process (faster)."""
    from pbr_fairness.cli import main

    assert main(["simulate", "--caseload", str(caseload_file), *extra]) == 2
    assert expected in capsys.readouterr().err


def test_simulate_bad_contract_file_and_missing_caseload(caseload_file, tmp_path, capsys):
    from pbr_fairness.cli import main

    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\ndescription: y\ngroups: {}\nextra: 1\n")
    assert main(["simulate", "--caseload", str(caseload_file), "--contract", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "extra" in err and str(bad) in err
    assert main(["simulate", "--caseload", str(tmp_path / "missing.csv")]) == 2
    assert "missing.csv" in capsys.readouterr().err


def test_simulate_with_a_model_and_a_provider_file(caseload_file, tmp_path):
    from pbr_fairness.caseload.generator import make_caseload
    from pbr_fairness.cli import main
    from pbr_fairness.distance.model import DistanceModel

    train = make_caseload(1500, rng=9)
    model_dir = tmp_path / "model"
    DistanceModel(n_estimators=30).fit(train, "job_outcome").save(model_dir)
    provider = tmp_path / "provider.yaml"
    provider.write_text("provider:\n  cost_per_hour: 30\n  information_noise: 0.5\n")
    out = tmp_path / "r.json"
    code = main(["simulate", "--caseload", str(caseload_file), "--contract",
                 "distance_bands_example", "--model", str(model_dir), "--provider",
                 str(provider), "--provider-knows", "model", "--json", str(out), "--quiet"])
    assert code == 0
    doc = json.loads(out.read_text())
    assert doc["provider"]["cost_per_hour"] == 30.0
    assert doc["provider"]["information_noise"] == 0.5
    assert doc["provenance"]["provider_knows"] == "model"
    assert set(doc["by_decile_predicted"]) == {f"D{i}" for i in range(1, 11)}


def test_discount_rate_and_fixed_cost_reach_the_provider(caseload_file, tmp_path):
    docs = {}
    for name, extra in {
        "default": [],
        "no_discount": ["--discount-rate", "0"],
        "dear": ["--fixed-cost", "400"],
    }.items():
        out = tmp_path / f"{name}.json"
        r = run("simulate", "--caseload", caseload_file, "--contract", "work_programme_2011",
                "--json", out, "--quiet", *extra)
        assert r.returncode == 0, r.stderr
        docs[name] = json.loads(out.read_text())["overall"]
    assert docs["dear"]["provider_cost"] > docs["default"]["provider_cost"]
    assert docs["dear"]["provider_margin"] < docs["default"]["provider_margin"]
    # without discounting, later payments are worth more to the provider: no fewer hours
    assert docs["no_discount"]["hours_per_person"] >= docs["default"]["hours_per_person"]
    assert docs["no_discount"] != docs["default"]
    # bad values of both options: tests/test_hostile.py (every option of every command)


def test_synth_response_scenarios(tmp_path):
    files = {}
    for name in ("evidence", "gain_rises"):
        files[name] = tmp_path / f"{name}.csv"
        r = run("synth", "--n", 600, "--seed", 3, "--out", files[name], "--response", name,
                "--json", tmp_path / f"{name}.json")
        assert r.returncode == 0, r.stderr
        assert json.loads((tmp_path / f"{name}.json").read_text())["response"] == name
    a, b = (pd.read_csv(files[k]) for k in ("evidence", "gain_rises"))
    assert (a["true_pmax"] != b["true_pmax"]).any()
    # a bad name ('', 'bogus', ...): tests/test_hostile.py
