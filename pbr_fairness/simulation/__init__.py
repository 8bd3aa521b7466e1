"""The creaming-and-parking simulator: provider and planner best responses to a contract.

Fast path on arrays (for optimisers and sweeps)::

    pop = prepare_population(caseload, provider)
    ev = evaluate(pop, contract.tariff_per_person(caseload), provider)

Reporting path: :func:`simulate_contract` returns a :class:`SimulationResult` with every
measure overall and by payment group, decile, provider and protected characteristic.
"""

from __future__ import annotations

from pbr_fairness.simulation.allocation import Allocation, allocate_hours
from pbr_fairness.simulation.evaluation import (
    Evaluation,
    breakdown_measures,
    evaluate,
    outcome_value,
    provider_hours,
)
from pbr_fairness.simulation.measures import (
    MEASURE_DESCRIPTIONS,
    MEASURES,
    group_sums,
    measures_from_sums,
    parked_mask,
)
from pbr_fairness.simulation.montecarlo import MonteCarloDraws, simulate_months, trigger_months
from pbr_fairness.simulation.planner import (
    PLANNER_SOURCES,
    PlannerProblem,
    PlannerSettings,
    planner_hours,
    planner_weights,
)
from pbr_fairness.simulation.population import (
    BREAKDOWNS,
    Breakdown,
    Population,
    caseload_hash,
    fractional_rank,
    prepare_population,
)
from pbr_fairness.simulation.provider import (
    PROVIDER_SOURCES,
    ProviderSettings,
    load_provider_settings,
)
from pbr_fairness.simulation.response import (
    logit,
    response,
    response_slope,
    sigmoid,
    sustainment_factor,
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
    "fractional_rank",
    "group_sums",
    "load_provider_settings",
    "logit",
    "measures_from_sums",
    "outcome_value",
    "parked_mask",
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
]
