"""The creaming-and-parking simulator: a caseload table and a contract in, a reported result out.

Fast path on arrays (for optimisers and sweeps), with the engine of :mod:`pbr_fairness.engine`::

    pop = prepare_population(caseload, provider)
    ev = evaluate(pop, contract.tariff_per_person(caseload), provider)

Reporting path: :func:`simulate_contract` returns a :class:`SimulationResult` with every
measure overall and by payment group, decile, provider and protected characteristic;
:func:`simulate_national` runs the same engine over a caseload in chunks. The engine's public
names are re-exported here for convenience (they are defined in :mod:`pbr_fairness.engine`).
"""

from __future__ import annotations

from pbr_fairness.engine import (
    MEASURE_DESCRIPTIONS,
    MEASURES,
    PLANNER_SOURCES,
    PROVIDER_SOURCES,
    Allocation,
    Breakdown,
    Evaluation,
    MonteCarloDraws,
    PlannerProblem,
    PlannerSettings,
    Population,
    ProviderSettings,
    allocate_hours,
    breakdown_measures,
    evaluate,
    fractional_rank,
    group_sums,
    load_provider_settings,
    measures_from_sums,
    needs_prediction,
    outcome_value,
    parked_mask,
    perceived_chances,
    planner_hours,
    planner_weights,
    provider_hours,
    response,
    response_slope,
    simulate_months,
    sustainment_factor,
    trigger_months,
)
from pbr_fairness.maths import logit, sigmoid
from pbr_fairness.simulation.flat import flat_contract
from pbr_fairness.simulation.population import (
    BREAKDOWNS,
    caseload_hash,
    prepare_population,
    with_demand_shock,
)
from pbr_fairness.simulation.result import SimulationResult
from pbr_fairness.simulation.simulate import characteristic_gaps, simulate_contract

__all__ = [
    "BREAKDOWNS",
    "MEASURES",
    "MEASURE_DESCRIPTIONS",
    "PLANNER_SOURCES",
    "PROVIDER_SOURCES",
    "Allocation",
    "Breakdown",
    "Evaluation",
    "MonteCarloDraws",
    "PlannerProblem",
    "PlannerSettings",
    "Population",
    "ProviderSettings",
    "SimulationResult",
    "allocate_hours",
    "breakdown_measures",
    "caseload_hash",
    "characteristic_gaps",
    "evaluate",
    "flat_contract",
    "fractional_rank",
    "group_sums",
    "load_provider_settings",
    "logit",
    "measures_from_sums",
    "needs_prediction",
    "outcome_value",
    "parked_mask",
    "perceived_chances",
    "planner_hours",
    "planner_weights",
    "prepare_population",
    "provider_hours",
    "response",
    "response_slope",
    "sigmoid",
    "simulate_contract",
    "simulate_months",
    "sustainment_factor",
    "trigger_months",
    "with_demand_shock",
]
