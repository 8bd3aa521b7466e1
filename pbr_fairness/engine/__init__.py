"""The evaluation engine: the one home of the provider's and the planner's maths.

Every formula of the simulator is defined once here and called from everywhere else (the
simulator, the sweeps, national-size runs, the tariff optimiser, the synthetic generator and
the audit's scenarios); ``docs/architecture.md`` lists where each one lives:

- :mod:`~pbr_fairness.engine.curve`: the response curve ``p(e)``;
- :mod:`~pbr_fairness.engine.value`: the outcome value ``V_i`` and expected sustainment;
- :mod:`~pbr_fairness.engine.hours`: hours at a marginal cost, the mission blend, the parked
  test;
- :mod:`~pbr_fairness.engine.capacity`: the capacity multiplier search, whole or in chunks;
- :mod:`~pbr_fairness.engine.response`: each provider's best response within its capacity;
- :mod:`~pbr_fairness.engine.planner`: the planner's weights and allocation;
- :mod:`~pbr_fairness.engine.information`: the provider's perceived chances;
- :mod:`~pbr_fairness.engine.provider`: provider settings and the minimum-versus-capacity rule;
- :mod:`~pbr_fairness.engine.prediction`: whether a model prediction is needed;
- :mod:`~pbr_fairness.engine.population` and :mod:`~pbr_fairness.engine.evaluation`: a
  caseload as arrays and its evaluation under a tariff;
- :mod:`~pbr_fairness.engine.measures`: every measure from additive group sums;
- :mod:`~pbr_fairness.engine.montecarlo`: realised months, entries, exits and payments;
- :mod:`~pbr_fairness.engine.factors`: the response to a grid of outcome-fee factors (the
  optimiser's tables).

The engine imports nothing of the package above it (no pandas tables, no contracts, no
caseload files): its inputs are arrays and small settings objects.
"""

from __future__ import annotations

from pbr_fairness.engine.capacity import (
    Allocation,
    ChunkedAllocation,
    allocate_hours,
    allocate_hours_chunked,
    solve_capacity,
    solve_log_multiplier,
)
from pbr_fairness.engine.curve import response, response_from_gain, response_slope
from pbr_fairness.engine.evaluation import Evaluation, breakdown_measures, evaluate, provider_hours
from pbr_fairness.engine.hours import (
    PARKED_TOLERANCE,
    agent_value,
    breakpoints,
    hours_at,
    parked_mask,
    unparking_value,
)
from pbr_fairness.engine.information import perceived_chances
from pbr_fairness.engine.measures import (
    MEASURE_DESCRIPTIONS,
    MEASURES,
    SUM_KEYS,
    group_sums,
    measures_from_sums,
)
from pbr_fairness.engine.montecarlo import MonteCarloDraws, simulate_months, trigger_months
from pbr_fairness.engine.planner import (
    PLANNER_SOURCES,
    PlannerProblem,
    PlannerSettings,
    planner_hours,
    planner_weights,
)
from pbr_fairness.engine.population import Breakdown, Population, decile_codes, fractional_rank
from pbr_fairness.engine.prediction import needs_prediction
from pbr_fairness.engine.provider import (
    PROVIDER_SOURCES,
    ProviderSettings,
    effective_minimum,
    load_provider_settings,
)
from pbr_fairness.engine.response import ProviderResponse, respond_by_provider
from pbr_fairness.engine.value import outcome_value, sustainment_factor

__all__ = [
    "MEASURES",
    "MEASURE_DESCRIPTIONS",
    "PARKED_TOLERANCE",
    "PLANNER_SOURCES",
    "PROVIDER_SOURCES",
    "SUM_KEYS",
    "Allocation",
    "Breakdown",
    "ChunkedAllocation",
    "Evaluation",
    "MonteCarloDraws",
    "PlannerProblem",
    "PlannerSettings",
    "Population",
    "ProviderResponse",
    "ProviderSettings",
    "agent_value",
    "allocate_hours",
    "allocate_hours_chunked",
    "breakdown_measures",
    "breakpoints",
    "decile_codes",
    "effective_minimum",
    "evaluate",
    "fractional_rank",
    "group_sums",
    "hours_at",
    "load_provider_settings",
    "measures_from_sums",
    "needs_prediction",
    "outcome_value",
    "parked_mask",
    "perceived_chances",
    "planner_hours",
    "planner_weights",
    "provider_hours",
    "respond_by_provider",
    "response",
    "response_from_gain",
    "response_slope",
    "simulate_months",
    "solve_capacity",
    "solve_log_multiplier",
    "sustainment_factor",
    "trigger_months",
    "unparking_value",
]
