"""The simulator: properties of the provider's response, measures, Monte Carlo, evidence."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from pbr_fairness.contracts import Contract, Tariff, load_contract
from pbr_fairness.errors import InputError
from pbr_fairness.simulation import (
    MEASURES,
    ProviderSettings,
    evaluate,
    fractional_rank,
    prepare_population,
    simulate_contract,
)


def tiny_caseload(n: int, seed: int, providers: int = 1) -> pd.DataFrame:
    """A synthetic caseload with the simulator's columns, from a few lines of numpy."""
    rng = np.random.default_rng(seed)
    groups = np.array(["PG1", "PG2", "PG6", "PG7"])
    g = rng.integers(0, 4, n)
    lp0 = rng.normal(-1.0, 1.0, n) - 0.6 * g
    p0 = 1 / (1 + np.exp(-lp0))
    delta = np.exp(rng.normal(-0.6, 0.3, n))
    pmax = 1 / (1 + np.exp(-(lp0 + delta)))
    return pd.DataFrame({
        "person_id": [f"X{i}" for i in range(n)],
        "payment_group": groups[g],
        "provider_id": [f"P{1 + i % providers}" for i in range(n)],
        "sex": rng.choice(["F", "M"], n),
        "age": rng.integers(18, 65, n),
        "disability": rng.random(n) < 0.3,
        "ethnicity": rng.choice(["White", "Asian", "Black"], n),
        "true_p0": p0,
        "true_pmax": pmax,
        "true_k": 0.15 * np.exp(rng.normal(0, 0.3, n)),
        "true_exit_hazard": rng.uniform(0.05, 0.3, n),
    })


WP = load_contract("work_programme_2011")


def test_provider_defaults_match_the_generators_historic_regime():
    from importlib import resources

    text = (resources.files("pbr_fairness") / "data" / "generator.yaml").read_text()
    regime = yaml.safe_load(text)["historic_regime"]
    d = ProviderSettings()
    for key in ("cost_per_hour", "capacity_hours", "minimum_hours", "information_noise",
                "mission_weight"):
        v = regime[key]["value"] if isinstance(regime[key], dict) else regime[key]
        assert getattr(d, key) == pytest.approx(float(v)), key


def test_bad_provider_settings_name_the_setting():
    with pytest.raises(InputError, match="mission_weight"):
        ProviderSettings(mission_weight=1.5)
    with pytest.raises(InputError, match="cost_per_hour"):
        ProviderSettings(cost_per_hour=0.0)
    with pytest.raises(InputError, match="colour"):
        ProviderSettings.from_dict({"colour": 1})


@settings(max_examples=25, deadline=None)
@given(n=st.integers(4, 120), seed=st.integers(0, 10**6), providers=st.integers(1, 3),
       capacity=st.floats(2.0, 40.0), minimum=st.sampled_from([0.0, 2.0]),
       mission=st.sampled_from([0.0, 0.5]))
def test_capacity_minimum_and_non_negative_payments(n, seed, providers, capacity, minimum,
                                                    mission):
    cl = tiny_caseload(n, seed, providers)
    prov = ProviderSettings(capacity_hours=capacity, minimum_hours=minimum, mission_weight=mission)
    pop = prepare_population(cl, prov)
    ev = evaluate(pop, WP.tariff_per_person(cl), prov)
    for idx in pop.provider_index:
        assert ev.hours[idx].sum() <= capacity * idx.size * (1 + 1e-9) + 1e-9
        assert ev.planner_hours[idx].sum() == pytest.approx(ev.hours[idx].sum(), rel=1e-9)
    assert np.all(ev.hours >= minimum - 1e-12)
    assert np.all(ev.planner_hours >= minimum - 1e-12)
    assert np.all(ev.payment >= 0)
    assert np.all((ev.p >= pop.p0 - 1e-15) & (ev.p <= pop.pmax + 1e-15))


@settings(max_examples=8, deadline=None)
@given(n=st.integers(4, 80), seed=st.integers(0, 10**6))
def test_permuting_people_permutes_results(n, seed):
    cl = tiny_caseload(n, seed, 2)
    perm = np.random.default_rng(seed).permutation(n)
    a = simulate_contract(cl, WP)
    b = simulate_contract(cl.iloc[perm].reset_index(drop=True), WP)
    np.testing.assert_allclose(b.persons["hours"], a.persons["hours"].to_numpy()[perm],
                               rtol=1e-9, atol=1e-9)
    for m in MEASURES:
        assert b.overall[m] == pytest.approx(a.overall[m], rel=1e-9, abs=1e-12), m


@settings(max_examples=25, deadline=None)
@given(n=st.integers(4, 100), seed=st.integers(0, 10**6), factor=st.floats(1.0, 5.0),
       group=st.sampled_from(["PG1", "PG2", "PG6", "PG7"]), capacity=st.floats(3.0, 30.0))
def test_raising_one_groups_fees_never_lowers_its_hours(n, seed, factor, group, capacity):
    cl = tiny_caseload(n, seed)
    prov = ProviderSettings(capacity_hours=capacity)
    pop = prepare_population(cl, prov)
    t0 = WP.tariff_per_person(cl)
    t1 = {k: v.copy() for k, v in t0.items()}
    sel = (cl["payment_group"] == group).to_numpy()
    for k in ("A", "J", "S"):
        t1[k][sel] *= factor
    e0 = evaluate(pop, t0, prov).hours
    e1 = evaluate(pop, t1, prov).hours
    # scaling a group's fees scales its value: no member loses hours, others never gain
    assert np.all(e1[sel] >= e0[sel] - 1e-9)
    assert np.all(e1[~sel] <= e0[~sel] + 1e-9)


def test_raising_only_the_job_outcome_fee_raises_the_groups_total_hours():
    cl = tiny_caseload(400, 5)
    prov = ProviderSettings(capacity_hours=1.5)
    pop = prepare_population(cl, prov)
    t0 = WP.tariff_per_person(cl)
    t1 = {k: v.copy() for k, v in t0.items()}
    sel = (cl["payment_group"] == "PG6").to_numpy()
    t1["J"][sel] += 5000
    e0, e1 = evaluate(pop, t0, prov).hours, evaluate(pop, t1, prov).hours
    assert e1[sel].sum() > e0[sel].sum()
    assert e1.sum() == pytest.approx(e0.sum(), rel=1e-9)  # capacity binds in both


def test_zero_fees_leave_everyone_at_the_minimum():
    cl = tiny_caseload(200, 1, 2)
    zero = Contract.from_tariffs("zero", {g: Tariff(0, 0, 13, 0, 0) for g in
                                          ("PG1", "PG2", "PG6", "PG7")})
    res = simulate_contract(cl, zero, ProviderSettings(minimum_hours=3.0))
    assert np.all(res.persons["hours"] == 3.0)
    assert res.overall["parked_share"] == 1.0
    assert res.overall["government_spend"] == 0.0
    assert res.overall["planner_gap"] == pytest.approx(0.0)


def test_contract_minimum_overrides_the_providers():
    cl = tiny_caseload(100, 2)
    c = Contract.from_tariffs("m", {g: Tariff(0, 0, 13, 0, 0) for g in
                                    ("PG1", "PG2", "PG6", "PG7")}, minimum_hours=6.0)
    res = simulate_contract(cl, c)
    assert np.all(res.persons["hours"] == 6.0)


def test_measures_follow_their_definitions():
    cl = tiny_caseload(300, 9)
    prov = ProviderSettings()
    res = simulate_contract(cl, WP, prov)
    p = res.persons
    o = res.overall
    assert o["job_outcome_rate"] == pytest.approx(p["p_job_outcome"].mean())
    assert o["no_support_rate"] == pytest.approx(cl["true_p0"].mean())
    add = (p["p_job_outcome"] - cl["true_p0"]).sum()
    assert o["additional_jobs"] == pytest.approx(add)
    assert o["deadweight_share"] == pytest.approx(cl["true_p0"].sum() / p["p_job_outcome"].sum())
    spend = p["expected_payment"].sum()
    assert o["government_spend"] == pytest.approx(spend)
    assert o["cost_per_additional_job"] == pytest.approx(spend / add)
    revenue = p["provider_revenue"].sum()
    cost = (
        prov.fixed_cost_per_person + prov.cost_per_hour * (prov.contact_hours + p["hours"])
    ).sum()
    assert o["provider_revenue"] == pytest.approx(revenue)
    assert o["provider_cost"] == pytest.approx(cost)
    assert o["provider_profit"] == pytest.approx(revenue - cost)
    assert o["provider_margin"] == pytest.approx((revenue - cost) / revenue)
    assert o["provider_cost_per_person"] == pytest.approx(cost / len(p))
    # revenue is the payments discounted at the provider's rate: below the undiscounted spend
    assert (prov.discount_rate > 0) == (revenue < spend - 1e-6)
    assert o["parked_share"] == pytest.approx((p["hours"] <= prov.minimum_hours + 1e-9).mean())
    r = fractional_rank(cl["true_p0"].to_numpy())
    h = p["hours"].to_numpy()
    conc = 2 * np.cov(h, r, bias=True)[0, 1] / h.mean()
    assert o["creaming_index"] == pytest.approx(conc)
    gap = np.abs(h - p["planner_hours"]).sum() / (2 * p["planner_hours"].sum())
    assert o["planner_gap"] == pytest.approx(gap)
    # group values: the tidy table by payment group equals a pandas groupby
    wide = res.by("payment_group")
    grp = p.assign(p0=cl["true_p0"]).groupby("payment_group")
    pd.testing.assert_series_equal(wide["hours_per_person"], grp["hours"].mean(),
                                   check_names=False)
    assert set(res.to_frame()["breakdown"]) >= {"overall", "payment_group", "decile_true_p0",
                                                 "provider", "sex", "age_band", "disability",
                                                 "ethnicity"}


def test_characteristic_gaps_come_from_fairlearn_and_agree_with_the_table():
    from pbr_fairness.simulation.simulate import characteristic_gaps

    cl = tiny_caseload(400, 4, 2)
    prov = ProviderSettings()
    pop = prepare_population(cl, prov)
    ev = evaluate(pop, WP.tariff_per_person(cl), prov)
    gaps, by_group = characteristic_gaps(pop, ev)
    res = simulate_contract(cl, WP, prov)
    for c in ("sex", "age_band", "disability", "ethnicity"):
        wide = res.by(c).dropna(how="all")
        mf = by_group[c].loc[wide.index, wide.columns]
        np.testing.assert_allclose(mf.to_numpy(float), wide.to_numpy(float), rtol=1e-9)
        diff = gaps[gaps.characteristic == c].set_index("measure")["difference"]
        np.testing.assert_allclose(diff[wide.columns].to_numpy(float),
                                   (wide.max() - wide.min()).to_numpy(float), rtol=1e-9)


def test_information_noise_and_model_knowledge_change_the_allocation():
    cl = tiny_caseload(300, 3)
    exact = simulate_contract(cl, WP, rng=0)
    noisy = simulate_contract(cl, WP, ProviderSettings(information_noise=1.0), rng=0)
    again = simulate_contract(cl, WP, ProviderSettings(information_noise=1.0), rng=0)
    assert not np.allclose(exact.persons["hours"], noisy.persons["hours"])
    np.testing.assert_array_equal(noisy.persons["hours"], again.persons["hours"])
    q = np.clip(cl["true_p0"].to_numpy() * 1.1, 0, 1)
    model = simulate_contract(cl, WP, predicted=q, provider_knows="model")
    assert "decile_predicted" in set(model.to_frame()["breakdown"])
    with pytest.raises(InputError, match="provider_knows"):
        simulate_contract(cl, WP, provider_knows="model")


def test_monte_carlo_mean_agrees_with_expected_mode():
    cl = tiny_caseload(3000, 21, 2)
    exp = simulate_contract(cl, WP)
    mc = simulate_contract(cl, WP, mode="monte_carlo", replications=200, rng=7)
    t = mc.to_frame().set_index(["breakdown", "group", "measure"])
    e = exp.to_frame().set_index(["breakdown", "group", "measure"])
    for m in ("job_outcome_rate", "no_support_rate", "additional_jobs", "government_spend",
              "provider_profit"):
        row = t.loc[("overall", "all", m)]
        # the 95% interval spans about 3.92 sd; the mean's standard error is sd / sqrt(R)
        se = (row["upper"] - row["lower"]) / 3.92 / np.sqrt(200)
        assert abs(row["value"] - e.loc[("overall", "all", m), "value"]) < 4 * se + 1e-9, m
        assert row["lower"] <= e.loc[("overall", "all", m), "value"] <= row["upper"], m
    # by payment group too
    for g in ("PG1", "PG7"):
        row = t.loc[("payment_group", g, "government_spend")]
        se = (row["upper"] - row["lower"]) / 3.92 / np.sqrt(200)
        assert abs(row["value"] - e.loc[("payment_group", g, "government_spend"), "value"]) < (
            4 * se)
    # the hours do not vary between replications
    row = t.loc[("overall", "all", "hours_per_person")]
    assert row["lower"] == row["upper"] == pytest.approx(exp.overall["hours_per_person"])
    # payments fall in months: attachment at 0, nothing before the first trigger
    mon = mc.monthly
    assert mon.loc[0, "payments"] == pytest.approx(exp.to_frame().query(
        "breakdown == 'overall'").shape[0] * 0 + WP.tariff_per_person(cl)["A"].sum())
    assert (mon.loc[1:3, "payments"] == 0).all()
    assert mon["payments"].sum() == pytest.approx(mc.overall["government_spend"], rel=1e-9)
    assert mon["job_outcomes"].sum() == pytest.approx(mc.overall["job_outcome_rate"] * 3000)


def test_monte_carlo_is_reproducible_with_a_seed():
    cl = tiny_caseload(200, 2)
    a = simulate_contract(cl, WP, mode="monte_carlo", replications=5, rng=3).to_frame()
    b = simulate_contract(cl, WP, mode="monte_carlo", replications=5, rng=3).to_frame()
    pd.testing.assert_frame_equal(a, b)


def test_result_json_and_provenance():
    import json

    cl = tiny_caseload(150, 8, 2)
    res = simulate_contract(cl, "work_programme_2011", rng=4)
    doc = json.loads(json.dumps(res.to_dict(), allow_nan=False))
    for key in ("contract", "n", "overall", "by_group", "by_decile", "by_provider",
                "by_characteristic", "provenance"):
        assert key in doc
    for section in (doc["overall"], doc["by_group"]["PG1"], doc["by_decile"]["D1"],
                    doc["by_provider"]["P1"], doc["by_characteristic"]["sex"]["F"]):
        assert set(section) == set(MEASURES)
    prov = doc["provenance"]
    assert prov["seed"] == 4 and len(prov["caseload_sha256"]) == 64
    assert prov["contract_sha256"] == WP.sha256 and prov["package_version"]
    assert "work_programme_2011" in res.summary()
    with pytest.raises(InputError, match="mode"):
        simulate_contract(cl, WP, mode="fast")


@pytest.fixture(scope="module")
def default_result():
    from pbr_fairness.caseload.generator import make_caseload

    cl = make_caseload(10_000, rng=2026, providers=4)
    return cl, simulate_contract(cl, "work_programme_2011", rng=0)


def test_evidence_parking_and_creaming_under_work_programme_prices(default_result):
    _cl, res = default_result
    g = res.by("payment_group")
    parked, spend = g["parked_share"], g["provider_cost_per_person"]
    assert parked["PG7"] > parked["PG1"] and parked["PG7"] > parked["PG2"]
    # NAO (2014): primes planned less for ESA participants than for JSA participants
    groups = res.persons["payment_group"]
    per = res.persons.assign(cost=res.persons["provider_cost"])
    esa = per[groups.isin(["PG5", "PG6", "PG7"])]["cost"].mean()
    jsa = per[groups.isin(["PG1", "PG2", "PG3", "PG4", "PG9"])]["cost"].mean()
    assert esa < jsa and spend["PG6"] < spend["PG2"]
    d = res.by("decile_true_p0")["parked_share"]
    assert d["D1"] >= 2 * d[["D4", "D5", "D6", "D7"]].mean()
    # low effort on both tails (methods.md 5(ii): Behaghel et al. 2014, less effort on those
    # with the best chance; NAO/PAC, less on the hardest to help)
    hours = res.by("decile_true_p0")["hours_per_person"]
    middle = hours[["D4", "D5", "D6", "D7"]].max()
    assert hours["D1"] < middle and hours["D10"] < middle


def test_evidence_outcome_rates_agree_with_the_generators_historic_regime(default_result):
    cl, res = default_result
    # the generator draws hours and outcomes under the same tariff and provider
    np.testing.assert_allclose(res.persons["hours"], cl["support_hours"], rtol=0, atol=1e-6)
    sim = res.by("payment_group")["job_outcome_rate"]
    drawn = cl.groupby("payment_group")["job_outcome"].agg(["mean", "count"])
    se = np.sqrt(sim * (1 - sim) / drawn["count"])
    assert np.all(np.abs(drawn["mean"] - sim) < 4 * se + 1e-3)
    # the calibration targets (Learning and Work Institute 2018, whole programme)
    assert res.overall["job_outcome_rate"] == pytest.approx(0.278, abs=0.01)
    for group, target in {"PG1": 0.364, "PG2": 0.317, "PG6": 0.151, "PG7": 0.054}.items():
        assert sim[group] == pytest.approx(target, abs=0.02), group
    assert sim["PG1"] > sim["PG2"] > sim["PG6"] > sim["PG7"]
    # deadweight within the 75-90% literature range (shared/reference/calibration_targets.csv)
    assert 0.75 <= res.overall["deadweight_share"] <= 0.90


def test_fast_path_on_arrays_matches_the_reported_result():
    cl = tiny_caseload(500, 12, 2)
    prov = ProviderSettings()
    pop = prepare_population(cl, prov)
    ev = evaluate(pop, WP.tariff_by_group(pop.payment_group), prov)
    res = simulate_contract(cl, WP, prov)
    for m in MEASURES:
        assert ev.overall[m] == pytest.approx(res.overall[m], rel=1e-12, nan_ok=True), m
    sub = pop.take(np.arange(100))
    assert sub.n == 100 and sub.characteristics["sex"].size == 100
    ev_sub = evaluate(sub, WP.tariff_by_group(sub.payment_group), prov, with_planner=False)
    assert ev_sub.planner_hours is None and ev_sub.hours.size == 100


def test_prepared_population_is_reused_with_identical_results() -> None:
    from pbr_fairness.caseload.generator import make_caseload
    from pbr_fairness.simulation import ProviderSettings, prepare_population, simulate_contract

    caseload = make_caseload(1_500, rng=11, providers=2)
    provider = ProviderSettings(information_noise=0.5)
    direct = simulate_contract(caseload, "work_programme_2014", provider, rng=5)
    pop = prepare_population(caseload, provider, rng=5)
    reused = simulate_contract(caseload, "work_programme_2014", provider, rng=5, population=pop)
    pd.testing.assert_frame_equal(direct.to_frame(), reused.to_frame())
    with pytest.raises(InputError, match="prepared population has 1500 people"):
        simulate_contract(caseload.iloc[:100], "work_programme_2014", provider, population=pop)
