"""One validator: every command that reads a caseload reports the same problems, all at once.

``validate``, ``predict``, ``train``, ``simulate``, ``optimise`` and ``audit`` go through the
same caseload checks (:func:`pbr_fairness.caseload.io.read_caseload`); outcomes that are all 0,
or absent, are accepted where outcomes are not needed; several bad keys or options are
reported together.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

from pbr_fairness.cli import main


def run(capsys, *args: object) -> tuple[int, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out + err


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    from pbr_fairness.caseload.generator import make_caseload

    d = tmp_path_factory.mktemp("validator")
    frame = make_caseload(200, rng=5, providers=2)
    good = d / "good.csv"
    frame.to_csv(good, index=False)
    bad = frame.astype({"payment_group": str, "sex": str}).copy()
    bad.loc[2, "payment_group"] = "PG99"
    bad.loc[5, "sex"] = "Q"
    bad.loc[7, "age"] = -3
    bad.loc[9, "person_id"] = bad.loc[1, "person_id"]
    bad.loc[11, "local_unemployment_rate"] = 1.5
    bad_path = d / "bad.csv"
    bad.to_csv(bad_path, index=False)
    zero = frame.assign(job_outcome=0)
    zero_path = d / "zero.csv"
    zero.to_csv(zero_path, index=False)
    absent = d / "absent.csv"
    frame.drop(columns=["job_outcome"]).to_csv(absent, index=False)
    return {"dir": d, "good": good, "bad": bad_path, "zero": zero_path, "absent": absent}


def _problems(text: str) -> set[str]:
    return {m.group(1) for m in re.finditer(r"(row \d+, column \w+: [^\n]*)", text)}


def test_every_command_reports_the_same_problems(files, capsys):
    d, bad = files["dir"], files["bad"]
    code, text = run(capsys, "validate", "--caseload", bad)
    assert code == 2
    expected = _problems(text)
    assert len(expected) == 5, text  # PG99, sex Q, age -3, a duplicate id, a rate of 1.5
    commands = {
        "predict": ["predict", "--data", bad, "--out", d / "p.csv"],
        "train": ["train", "--data", bad, "--out", d / "m"],
        "simulate": ["simulate", "--caseload", bad, "--quiet"],
        "optimise": ["optimise", "--caseload", bad, "--out", d / "t.yaml", "--quiet"],
        "audit": ["audit", "--caseload", bad, "--json", d / "a.json", "--expected-column",
                  "true_p_observable"],
    }
    for name, args in commands.items():
        code, text = run(capsys, *args)
        assert code == 2, (name, text)
        assert _problems(text) == expected, (name, text)
        assert "5 problems found" in text, (name, text)


@pytest.mark.parametrize("cohort", ["zero", "absent"])
def test_predict_accepts_outcomes_all_zero_or_absent(files, capsys, cohort):
    out = files["dir"] / f"p_{cohort}.csv"
    code, text = run(capsys, "predict", "--data", files[cohort], "--out", out,
                     "--json", files["dir"] / f"p_{cohort}.json")
    assert code == 0, text
    assert len(pd.read_csv(out)) == 200


@pytest.mark.parametrize("cohort", ["zero", "absent"])
def test_simulate_accepts_outcomes_all_zero_or_absent(files, capsys, cohort):
    code, text = run(capsys, "simulate", "--caseload", files[cohort], "--quiet")
    assert code == 0, text


def test_train_needs_both_outcomes(files, capsys):
    code, text = run(capsys, "train", "--data", files["zero"], "--out", files["dir"] / "m0")
    assert code == 2 and "one class" in text


def test_a_sweep_spec_reports_every_bad_key(files, capsys):
    spec = files["dir"] / "bad.yaml"
    spec.write_text(yaml.safe_dump({
        "caseload": {"n": 100},
        "colour": "red",
        "parameters": {"grid": {"speed": [1, 2], "provider.nonsense": [1],
                                "mode": ["fast"]}},
    }))
    code, text = run(capsys, "sweep", spec, "--out", files["dir"] / "o.parquet")
    assert code == 2
    for key in ("colour", "speed", "mode"):
        assert key in text, text


def test_optimise_reports_every_bad_option_at_once(files, capsys):
    provider = files["dir"] / "provider.yaml"
    provider.write_text("cost_per_hour: -1\ncapacity_hours: abc\nspeed: 3\n")
    code, text = run(capsys, "optimise", "--caseload", files["good"], "--out",
                     files["dir"] / "t.yaml", "--basis", "nonsense", "--provider", provider,
                     "--max-parked-share", "2", "--quiet")
    assert code == 2
    for needle in ("--basis", "cost_per_hour", "capacity_hours", "speed", "max_parked_share"):
        assert needle in text, (needle, text)
