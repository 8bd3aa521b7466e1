"""The provider's books, discounting, the response scenarios and the parameter uncertainty."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pbr_fairness.caseload.calibration import calibrate
from pbr_fairness.caseload.generator import (
    RESPONSE_SCENARIOS,
    historic_provider,
    make_caseload,
    with_response,
)
from pbr_fairness.caseload.parameters import load_generator_parameters
from pbr_fairness.engine.curve import response
from pbr_fairness.engine.value import (
    entry_discount,
    monthly_discount,
    outcome_value,
    sustainment_factor,
    trigger_months,
)
from pbr_fairness.simulation import ProviderSettings, simulate_contract
from pbr_fairness.sweep.uncertainty import draw_parameters, parameter_uncertainty


@given(
    h=st.floats(0.0, 0.9),
    m=st.integers(0, 26),
    rate=st.floats(0.0, 0.3),
)
@settings(max_examples=60, deadline=None)
def test_discounted_sustainment_is_the_sum_it_stands_for(h, m, rate):
    q = monthly_discount(rate) ** (12 / 13)
    brute = sum(((1 - h) * q) ** j for j in range(1, m + 1))
    assert float(sustainment_factor(h, m, rate)) == pytest.approx(brute, rel=1e-9, abs=1e-12)


@given(weeks=st.sampled_from([13, 26]), rate=st.floats(0.0, 0.3), window=st.integers(12, 36))
@settings(max_examples=40, deadline=None)
def test_entry_discount_is_the_mean_over_uniform_entry_months(weeks, rate, window):
    tm = int(trigger_months(weeks))
    span = max(window - tm, 1)
    rho = monthly_discount(rate)
    brute = np.mean([rho ** (t + tm) for t in range(1, span + 1)])
    assert float(entry_discount(weeks, window, rate)) == pytest.approx(brute, rel=1e-9)


def test_undiscounted_value_is_unchanged_and_discounting_lowers_it():
    t = {"J": np.array([1200.0, 3500.0]), "S": np.array([215.0, 370.0]),
         "M": np.array([13, 26]), "trigger_weeks": np.array([26, 13])}
    h = np.array([0.09, 0.2])
    v0 = outcome_value(t, h)
    assert np.allclose(v0, t["J"] + t["S"] * sustainment_factor(h, t["M"]))
    v1 = outcome_value(t, h, discount_rate=0.08)
    assert np.all(v1 < v0) and np.all(v1 > 0.8 * v0)


@pytest.fixture(scope="module")
def caseload():
    return make_caseload(4000, rng=11, providers=2, observable=False)


def test_the_provider_books_add_up(caseload):
    prov = ProviderSettings(fixed_cost_per_person=150, contact_hours=20, discount_rate=0.08)
    res = simulate_contract(caseload, "work_programme_2011", prov)
    o, per = res.overall, res.persons
    cost = 150 + prov.cost_per_hour * (20 + per["hours"])
    assert o["provider_cost"] == pytest.approx(cost.sum())
    assert o["provider_cost_per_person"] == pytest.approx(cost.mean())
    assert o["provider_profit"] == pytest.approx(per["provider_revenue"].sum() - cost.sum())
    # revenue is discounted at the provider's 8%, government spend reported both ways
    assert o["provider_revenue"] < o["government_spend"]
    assert o["government_spend_discounted"] < o["government_spend"]
    assert o["provider_revenue"] < o["government_spend_discounted"]  # 8% > 3.5%
    # a zero rate switches discounting off
    flat = simulate_contract(caseload, "work_programme_2011", prov.replace(discount_rate=0.0))
    assert flat.overall["provider_revenue"] == pytest.approx(flat.overall["government_spend"])


def test_discounting_lowers_the_incentive_to_support(caseload):
    base = ProviderSettings(discount_rate=0.0)
    hours0 = simulate_contract(caseload, "work_programme_2011", base).overall["hours_per_person"]
    hours1 = simulate_contract(
        caseload, "work_programme_2011", base.replace(discount_rate=0.15)
    ).overall["hours_per_person"]
    assert hours1 < hours0


def test_monte_carlo_discounted_payments_agree_with_expected_mode(caseload):
    prov = ProviderSettings(discount_rate=0.1)
    exp = simulate_contract(caseload, "work_programme_2011", prov)
    mc = simulate_contract(caseload, "work_programme_2011", prov, mode="monte_carlo",
                           replications=300, rng=4)
    for m in ("government_spend", "government_spend_discounted", "provider_revenue"):
        e, row = exp.overall[m], mc.to_frame().query("breakdown == 'overall' and measure == @m")
        lo, hi = float(row["lower"].iloc[0]), float(row["upper"].iloc[0])
        # the mean of 300 replications is within its own standard error of the expectation
        se = (hi - lo) / (2 * 1.96) / np.sqrt(300)
        assert abs(mc.overall[m] - e) < 4 * se + 1e-6 * e, m


@pytest.fixture(scope="module")
def scenarios():
    params = load_generator_parameters()
    out = {}
    for name in RESPONSE_SCENARIOS:
        p = with_response(params, name)
        cl = make_caseload(40_000, rng=5, providers=4, params=p, observable=False)
        res = simulate_contract(cl, "work_programme_2011", historic_provider(p))
        per = res.persons
        k = cl["true_k"].to_numpy()
        low = per["p0"] <= per["p0"].median()
        planner_gain = response(per["planner_hours"], per["p0"], per["pmax"], k) - per["p0"]
        dec = pd.qcut(per["p0"].rank(method="first"), 10, labels=False)
        out[name] = {
            "ratio": planner_gain[low].mean() / planner_gain[~low].mean(),
            "most": (per["pmax"] - per["p0"]).groupby(dec).mean(),
            "res": res,
        }
    return out


def test_the_evidence_response_gives_the_far_from_work_a_comparable_gain(scenarios):
    # Card, Kluve & Weber (2018): impacts not lower for the long-term unemployed
    assert scenarios["evidence"]["ratio"] >= 0.8
    # ...while parking under the Work Programme comes from cost: the far are parked
    d = scenarios["evidence"]["res"].by("decile_true_p0")["parked_share"]
    assert d["D1"] > 0.6 and d["D1"] > 4 * d["D9"]


def test_the_other_scenarios_have_the_gain_falling_and_rising(scenarios):
    falls, rises = scenarios["gain_falls"]["most"], scenarios["gain_rises"]["most"]
    assert falls.iloc[0] < falls.iloc[5] and rises.iloc[0] > rises.iloc[5]
    assert scenarios["gain_falls"]["ratio"] < 0.8 < scenarios["gain_rises"]["ratio"]


@pytest.mark.parametrize("name", RESPONSE_SCENARIOS)
def test_every_scenario_reproduces_the_fitted_targets(name, scenarios):
    res = scenarios[name]["res"]
    rates = res.by("payment_group")["job_outcome_rate"]
    params = load_generator_parameters()
    for g in ("PG1", "PG2", "PG6", "PG7"):
        assert abs(rates[g] - params["targets"][g]["value"]) <= 0.015, (name, g)
    per = res.persons
    esa = per[per["payment_group"].isin(["PG5", "PG6", "PG7"])]["provider_cost"].mean()
    jsa = per[per["payment_group"].isin(["PG1", "PG2", "PG3", "PG4", "PG9"])]["provider_cost"]
    assert esa == pytest.approx(630, rel=0.10) and jsa.mean() > esa


def test_capacity_is_slack_at_the_defaults_and_binds_when_scarce(caseload):
    prov = historic_provider(load_generator_parameters())
    res = simulate_contract(caseload, "work_programme_2011", prov)
    used = res.overall["hours_per_person"]
    assert used < prov.capacity_hours  # docs/calibration.md: staffing follows the plan
    tight = simulate_contract(caseload, "work_programme_2011",
                              prov.replace(capacity_hours=0.8 * used))
    assert tight.overall["hours_per_person"] == pytest.approx(0.8 * used, rel=1e-6)


def test_a_calibration_refit_moves_the_intercepts_back_onto_the_targets():
    params = load_generator_parameters()
    p = with_response(params, "evidence")
    p["historic_regime"]["cost_per_hour"]["value"] = 30.0
    fit = calibrate(p, n=30_000)
    rates = fit.table.set_index("target")["model"]
    assert rates["job-outcome rate PG2"] == pytest.approx(0.317, abs=1e-3)
    assert fit.spend_esa == pytest.approx(630.0)


def test_parameter_draws_stay_in_their_ranges_and_repeat_with_the_seed():
    params = load_generator_parameters()
    paths, x = draw_parameters(params, 50, 3)
    _, y = draw_parameters(params, 50, 3)
    assert np.array_equal(x, y) and len(paths) >= 10
    from pbr_fairness.sweep.uncertainty import uncertain_parameters

    ranges = uncertain_parameters(params)
    for j, path in enumerate(paths):
        lo, hi = ranges[path][1:]
        assert np.all((x[:, j] >= lo) & (x[:, j] <= hi)), path


def test_uncertainty_intervals_come_from_recalibrated_draws():
    res = parameter_uncertainty(draws=6, n=4000, seed=2)
    t = res.table.set_index("measure")
    # every draw was recalibrated to the NAO's 630 GBP
    assert np.allclose(res.draws["spend_per_esa"], 630.0)
    assert t.loc["baseline.deadweight_share", "lower"] <= t.loc["baseline.deadweight_share",
                                                                  "upper"]
    again = parameter_uncertainty(draws=6, n=4000, seed=2)
    pd.testing.assert_frame_equal(res.table, again.table)
    assert res.provenance["draws"] == 6


def test_recalibration_to_a_users_own_targets_writes_a_copy(tmp_path):
    from pbr_fairness.caseload import calibration
    from pbr_fairness.caseload.parameters import DEFAULT_PARAMETER_FILE

    shipped = DEFAULT_PARAMETER_FILE.read_bytes()
    targets = tmp_path / "targets.yaml"
    targets.write_text('PG2: {value: 0.30, source: "my programme"}\n'
                       "spend_per_esa_participant: 700\n", encoding="utf-8")
    out = tmp_path / "mine.yaml"
    calibration.main(["--targets", str(targets), "--params-out", str(out), "--n", "20000"])
    assert DEFAULT_PARAMETER_FILE.read_bytes() == shipped  # never overwritten
    mine = load_generator_parameters(out)
    assert mine["targets"]["PG2"]["value"] == 0.30
    cl = make_caseload(20_000, rng=9, providers=4, params=mine, observable=False)
    res = simulate_contract(cl, "work_programme_2011", historic_provider(mine))
    assert res.by("payment_group")["job_outcome_rate"]["PG2"] == pytest.approx(0.30, abs=0.015)
    with pytest.raises(SystemExit):  # --targets without --params-out would rewrite the shipped
        calibration.main(["--targets", str(targets)])


def test_the_uncertainty_command_through_the_real_entry_point(tmp_path):
    import json
    import subprocess
    import sys

    out = tmp_path / "u.json"
    proc = subprocess.run(
        [sys.executable, "-m", "pbr_fairness", "uncertainty", "--draws", "3", "--n", "2000",
         "--jobs", "1", "--json", str(out)],
        capture_output=True, text=True, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(out.read_text())
    measures = {row["measure"] for row in doc["intervals"]}
    assert {"baseline.cost_per_additional_job", "baseline.deadweight_share",
            "baseline.provider_margin", "baseline.parked_share.decile.D1",
            "baseline.parked_share.group.PG7"} <= measures
    bad = subprocess.run(
        [sys.executable, "-m", "pbr_fairness", "uncertainty", "--draws", "1"],
        capture_output=True, text=True, check=False,
    )
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and "draws" in bad.stderr
