"""The fairer-tariff optimiser: targets at small scale, constraints, round trip, outputs."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pbr_fairness import plots
from pbr_fairness.caseload.generator import make_caseload
from pbr_fairness.contracts import load_contract
from pbr_fairness.errors import InputError
from pbr_fairness.simulation import ProviderSettings, simulate_contract
from pbr_fairness.tariffs import (
    FRONTIER_COLUMNS,
    TARGET_MEASURE,
    TariffConstraints,
    optimise_tariff,
    tariff_robustness,
)


@pytest.fixture(scope="module")
def caseload():
    return make_caseload(6000, rng=20110601, providers=2)


@pytest.fixture(scope="module")
def q(caseload):
    return caseload["true_p_observable"].to_numpy()


@pytest.fixture(scope="module")
def model_bands(caseload, q):
    return optimise_tariff(
        caseload,
        basis="distance_band",
        provider_knows="model",
        predicted=q,
        rng=1,
        frontier_shares=(0.7, 1.0, 1.3),
    )


@pytest.fixture(scope="module")
def truth_bands(caseload, q):
    return optimise_tariff(
        caseload,
        basis="distance_band",
        provider_knows="truth",
        predicted=q,
        rng=1,
        frontier_shares=None,
    )


def _fees_non_negative(contract) -> None:
    for t in contract.tariffs.values():
        assert t.attachment_fee >= 0 and t.job_outcome_fee >= 0 and t.sustainment_fee >= 0


def test_model_case_targets_at_small_scale(model_bands) -> None:
    """Point 6(a) in the recalibrated world, on 6,000 people (200,000: docs/tariffs.md).

    The 8% ceiling holds; the baseline parks less of the lower half than in the first world
    (39% here, 38% on 200,000), so the fall is about 80% rather than the first world's 98%.
    """
    t = model_bands.targets()
    assert t["baseline_worst_parked_share_lower_half"] > 0.3
    assert t["reduction"] >= 0.75
    assert t["proposed_worst_parked_share_lower_half"] <= 0.08 + 1e-9
    assert t["beats_reference_on_parking"] and t["beats_reference_on_equity_jobs"]
    assert t["equity_weighted_jobs_ratio"] >= 1.3  # support now buys jobs for the far
    assert t["additional_jobs_ratio"] >= 1.2
    assert t["spend_ratio"] <= 1.005
    assert t["provider_profit"] >= 0
    _fees_non_negative(model_bands.proposed)


def test_truth_case_gains_and_honest_shortfall(truth_bands) -> None:
    """Point 6(b): at equal spend the 15% ceiling is still out of reach (docs/tariffs.md)."""
    t = truth_bands.targets()
    assert t["baseline_worst_parked_share_lower_half"] > 0.75
    assert t["reduction"] >= 0.65  # 75% on 200,000 people
    assert t["proposed_worst_parked_share_lower_half"] > 0.15
    assert t["equity_weighted_jobs_ratio"] >= 1.3
    assert t["additional_jobs_ratio"] >= 1.2
    assert t["spend_ratio"] <= 1.0 + 1e-9
    assert t["beats_reference_on_equity_jobs"]
    assert not truth_bands.caps_met
    assert any("5%" in n for n in truth_bands.notes)


def test_payment_groups_do_worse_than_bands(caseload, q, model_bands) -> None:
    res = optimise_tariff(
        caseload,
        basis="payment_group",
        provider_knows="model",
        predicted=q,
        rng=1,
        frontier_shares=None,
        with_reference=False,
    )
    assert res.proposed.basis == "payment_group"
    assert set(res.proposed.tariffs) >= set(caseload["payment_group"].unique())
    p, b = res.proposed_measures, model_bands.proposed_measures
    assert p[TARGET_MEASURE] >= b[TARGET_MEASURE] - 0.005
    assert p["government_spend"] <= res.budget * (1 + 1e-9)


def test_yaml_round_trip_loads_in_simulate(model_bands, caseload, q, tmp_path) -> None:
    path = model_bands.save(tmp_path / "tariff.yaml")
    loaded = load_contract(path)
    assert loaded == model_bands.proposed
    res = simulate_contract(
        caseload, loaded, ProviderSettings(), predicted=q, provider_knows="model", rng=1
    )
    assert res.overall["government_spend"] == pytest.approx(
        model_bands.after.overall["government_spend"], rel=1e-12
    )
    assert res.overall["government_spend"] <= model_bands.budget * (1 + 1e-9)


def test_result_outputs(model_bands) -> None:
    doc = model_bands.to_dict()
    text = json.dumps(doc, allow_nan=False)
    assert "frontier" in doc and "baseline" in doc and "proposed" in doc
    simulate_keys = set(model_bands.after.to_dict(gaps=False))
    assert simulate_keys <= set(doc["proposed"]) and simulate_keys <= set(doc["baseline"])
    assert len(text) > 1000
    ba = model_bands.before_after()
    assert {"overall", "payment_group", "decile_true_p0", "gap_by_characteristic"} <= set(
        ba["section"]
    )
    assert {"baseline", "proposed", "change"} <= set(ba.columns)
    tidy = model_bands.to_frame()
    assert set(tidy["contract"]) == {"baseline", "proposed"}
    assert "Fairer tariff" in model_bands.summary()
    f = model_bands.frontier
    assert list(f.columns) == list(FRONTIER_COLUMNS)
    assert f["budget_share"].tolist() == [0.7, 1.0, 1.3]
    assert np.all(f["government_spend"] <= f["budget"] * (1 + 1e-9))
    # more budget never makes the best reachable parking much worse
    assert np.all(np.diff(f["worst_parked_share_lower_half"]) <= 0.02)
    assert plots.tariff_frontier_figure(model_bands).data


@settings(
    max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(share=st.floats(0.7, 1.3), basis=st.sampled_from(["payment_group", "distance_band"]))
def test_spend_never_above_budget_and_fees_never_negative(share, basis) -> None:
    cl = make_caseload(1500, rng=3, providers=1)
    res = optimise_tariff(
        cl,
        basis=basis,
        predicted=cl["true_p_observable"].to_numpy(),
        constraints=TariffConstraints(budget_share=share),
        frontier_shares=None,
        with_reference=False,
    )
    assert res.proposed_measures["government_spend"] <= res.budget * (1 + 1e-9)
    assert res.budget == pytest.approx(share * res.baseline_measures["government_spend"])
    _fees_non_negative(res.proposed)
    assert res.proposed_measures["provider_profit"] >= 0


def test_monotone_and_ratio_constraints(caseload, q) -> None:
    res = optimise_tariff(
        caseload,
        basis="distance_band",
        provider_knows="truth",
        predicted=q,
        constraints=TariffConstraints(monotone=True, max_fee_ratio=3.0),
        frontier_shares=None,
        with_reference=False,
    )
    fees = [t.job_outcome_fee for t in res.proposed.tariffs.values()]  # closest band first
    assert all(b >= a - 0.011 for a, b in itertools.pairwise(fees))
    assert max(fees) / min(fees) <= 3.0 + 1e-6


def test_min_profit_raises_an_attachment_fee(caseload, q) -> None:
    plain = optimise_tariff(
        caseload, basis="payment_group", predicted=q, frontier_shares=None, with_reference=False
    )
    want = plain.proposed_measures["provider_profit"] * 1.01
    res = optimise_tariff(
        caseload,
        basis="payment_group",
        predicted=q,
        constraints=TariffConstraints(min_profit=want),
        frontier_shares=None,
        with_reference=False,
    )
    # within a penny per person of the margin (fees are whole pence)
    assert res.proposed_measures["provider_profit"] >= want - 0.01 * len(caseload)
    assert any(t.attachment_fee > 0 for t in res.proposed.tariffs.values())
    assert res.proposed_measures["government_spend"] <= res.budget * (1 + 1e-9)


def test_smooth_basis_and_planner_gap_objective(caseload, q) -> None:
    res = optimise_tariff(
        caseload,
        basis="smooth",
        objective="planner_gap",
        provider_knows="model",
        predicted=q,
        frontier_shares=None,
        with_reference=False,
    )
    assert res.proposed.basis == "smooth"
    m = res.proposed_measures
    assert np.isfinite(m["planner_gap"]) and m["government_spend"] <= res.budget * (1 + 1e-9)
    assert m[TARGET_MEASURE] < res.baseline_measures[TARGET_MEASURE]


def test_progress_is_reported(caseload, q) -> None:
    seen: list[tuple[float, str]] = []
    optimise_tariff(
        caseload.iloc[:1500],
        basis="payment_group",
        predicted=q[:1500],
        frontier_shares=(0.9, 1.1),
        with_reference=False,
        progress=lambda f, m: seen.append((f, m)),
    )
    fractions = [f for f, _ in seen]
    assert fractions[0] == 0.0 and fractions[-1] == 1.0
    assert fractions == sorted(fractions)
    assert all(isinstance(m, str) and m for _, m in seen)


@pytest.mark.parametrize(
    ("kwargs", "column"),
    [
        ({"basis": "postcode"}, "basis"),
        ({"objective": "profit"}, "objective"),
        ({"provider_knows": "everything"}, "provider_knows"),
        ({"n_bands": 1}, "n_bands"),
    ],
)
def test_bad_options_raise_input_error(caseload, q, kwargs, column) -> None:
    with pytest.raises(InputError) as err:
        optimise_tariff(caseload.iloc[:300], predicted=q[:300], **kwargs)
    assert column in str(err.value)


def test_bad_constraints_raise_input_error() -> None:
    with pytest.raises(InputError, match="max_parked_share"):
        TariffConstraints(max_parked_share=1.5)
    with pytest.raises(InputError, match="max_fee_ratio"):
        TariffConstraints(max_fee_ratio=0.5)
    with pytest.raises(InputError, match="capped"):
        TariffConstraints(capped=("postcode",))


def test_robustness_reports_surviving_gain(caseload, q, model_bands) -> None:
    rob = tariff_robustness(
        caseload,
        model_bands.proposed,
        predicted=q,
        noise_levels=(0.0, 0.5),
        provider_knows="model",
        replications=10,
        monte_carlo_people=2000,
    )
    p = rob.noise[rob.noise["contract"] == "proposed"].set_index("scenario")
    assert p.loc["model", "gain_parking_survived"] == pytest.approx(1.0)
    assert bool(p.loc["model", "optimised_for"])
    # a provider that knows more than the model (truth, noise 0.5) parks more, but most of
    # the gain survives
    assert p.loc["truth, noise 0.5", TARGET_MEASURE] >= p.loc["model", TARGET_MEASURE]
    assert p.loc["truth, noise 0.5", "gain_parking_survived"] > 0.3
    mc = rob.monte_carlo.set_index("contract")
    assert mc.loc["proposed", "additional_jobs_mean"] > mc.loc["baseline", "additional_jobs_mean"]
    assert 0.0 <= mc.loc["proposed", "p_over_budget"] <= 1.0
    json.dumps(rob.to_dict(), allow_nan=False)
    assert "Monte Carlo" in rob.summary()


@pytest.mark.parametrize(
    "provider",
    [ProviderSettings(capacity_hours=3.0), ProviderSettings(mission_weight=0.3)],
    ids=["capacity-binds", "mission"],
)
def test_binding_capacity_and_mission(provider) -> None:
    cl = make_caseload(2000, rng=2, providers=2)
    res = optimise_tariff(
        cl,
        provider=provider,
        basis="distance_band",
        predicted=cl["true_p_observable"].to_numpy(),
        frontier_shares=None,
        with_reference=False,
        structure="job_outcome",
    )
    m, b = res.proposed_measures, res.baseline_measures
    assert m["government_spend"] <= res.budget * (1 + 1e-9)
    assert m[TARGET_MEASURE] < b[TARGET_MEASURE]
    assert m["hours_per_person"] <= provider.capacity_hours + 1e-9
    if provider.capacity_hours == 3.0:
        assert any("capacity binds" in n for n in res.notes)
