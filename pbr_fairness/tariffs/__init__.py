"""Fairer tariffs: a budget-neutral optimiser, its frontier, a reference tariff, robustness.

>>> from pbr_fairness.tariffs import OBJECTIVES
>>> sorted(OBJECTIVES)
['equity_weighted_jobs', 'planner_gap']

Main entry point: :func:`optimise_tariff` returns a :class:`TariffResult` holding the
proposed contract (YAML that ``simulate`` loads unchanged), the before/after comparison,
the frontier of fairness against budget and the best one-parameter reference tariff.
:func:`tariff_robustness` re-evaluates a proposal under provider information noise and in
Monte Carlo mode.
"""

from __future__ import annotations

from pbr_fairness.tariffs.constraints import CAPPED_BREAKDOWNS, OBJECTIVES, TariffConstraints
from pbr_fairness.tariffs.frontier import FRONTIER_COLUMNS, FRONTIER_SHARES, tariff_frontier
from pbr_fairness.tariffs.measures import (
    EXTRA_MEASURES,
    LOWER_HALF_DECILES,
    TARGET_MEASURE,
    tariff_measures,
)
from pbr_fairness.tariffs.optimise import optimise_tariff
from pbr_fairness.tariffs.prediction import predicted_probability
from pbr_fairness.tariffs.reference import REFERENCE_ELASTICITIES, ReferenceTariff
from pbr_fairness.tariffs.result import BEFORE_AFTER_MEASURES, TariffResult
from pbr_fairness.tariffs.robustness import NOISE_LEVELS, TariffRobustness, tariff_robustness
from pbr_fairness.tariffs.setup import BASES

__all__ = [
    "BASES",
    "BEFORE_AFTER_MEASURES",
    "CAPPED_BREAKDOWNS",
    "EXTRA_MEASURES",
    "FRONTIER_COLUMNS",
    "FRONTIER_SHARES",
    "LOWER_HALF_DECILES",
    "NOISE_LEVELS",
    "OBJECTIVES",
    "REFERENCE_ELASTICITIES",
    "TARGET_MEASURE",
    "ReferenceTariff",
    "TariffConstraints",
    "TariffResult",
    "TariffRobustness",
    "optimise_tariff",
    "predicted_probability",
    "tariff_frontier",
    "tariff_measures",
    "tariff_robustness",
]
