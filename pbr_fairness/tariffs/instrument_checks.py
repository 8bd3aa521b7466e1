"""Robustness checks of an instrument proposal (issue 13, point 5).

Every proposal is re-evaluated, with its contract as let (fees, rates, levels and the
attachment top-up fixed), under:

- ``demand_shock``: an unannounced fall in labour demand of :data:`DEMAND_SHOCK` on the
  log-odds of every chance (:func:`pbr_fairness.simulation.with_demand_shock`); the
  provider sees it, the contract does not move, except that a value-added benchmark taken
  from a comparison group run alongside moves with it (that is what a comparison group is
  for), while an accelerator's levels, fixed when the contract was let, do not;
- ``benchmark_low`` / ``benchmark_high``: the value-added benchmark and the accelerator's
  levels :data:`BENCHMARK_ERROR` (one percentage point) too low or too high;
- ``knows_model``, ``knows_posterior``, ``knows_truth``: three levels of what the provider
  knows about each person (the commissioner's prediction; the posterior after a noisy first
  meeting; the truth).

Each check reports the measures and the spend as a share of the budget; under the demand
shock, ``spend_in_band`` says whether the spend stays within :data:`SPEND_BAND` of the
budget.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from pbr_fairness.engine.equilibrium import prime_codes
from pbr_fairness.engine.evaluation import Evaluation
from pbr_fairness.engine.montecarlo import simulate_months
from pbr_fairness.engine.population import Population
from pbr_fairness.engine.prediction import PROVIDER_KNOWS, as_provider_knows
from pbr_fairness.engine.provider import ProviderSettings
from pbr_fairness.simulation import PlannerSettings, prepare_population, with_demand_shock
from pbr_fairness.tariffs.instrument_designs import DesignSpace
from pbr_fairness.tariffs.instrument_search import Candidate, Scorer

__all__ = [
    "BENCHMARK_ERROR",
    "CHECKS",
    "DEMAND_SHOCK",
    "SPEND_BAND",
    "CheckWorlds",
    "RevenueRisk",
    "prepare_checks",
    "revenue_risk",
    "run_checks",
]

#: The unannounced labour-demand shock, on the log-odds of every chance.
DEMAND_SHOCK = -0.5
#: How far off the benchmark may be (probability points).
BENCHMARK_ERROR = 0.01
#: Realised spend under the shock must stay within this share of the budget.
SPEND_BAND = (0.6, 1.15)
#: The checks, in the order reported.
CHECKS: tuple[str, ...] = (
    "demand_shock",
    "benchmark_low",
    "benchmark_high",
    *(f"knows_{k}" for k in PROVIDER_KNOWS),
)


@dataclass(eq=False)
class CheckWorlds:
    """The populations and design spaces of the checks, prepared once."""

    worlds: dict[str, tuple[Population, DesignSpace]]


def prepare_checks(
    caseload: pd.DataFrame,
    scorer: Scorer,
    *,
    predicted: np.ndarray,
    provider: ProviderSettings,
    planner: PlannerSettings,
    central: str,
    seed: int | None,
) -> CheckWorlds:
    """Build the populations of every check (the central one is the search's)."""
    pop, space = scorer.population, scorer.space
    worlds: dict[str, tuple[Population, DesignSpace]] = {
        "demand_shock": (with_demand_shock(pop, DEMAND_SHOCK), space),
        "benchmark_low": (pop, replace(space, benchmark_offset=-BENCHMARK_ERROR)),
        "benchmark_high": (pop, replace(space, benchmark_offset=BENCHMARK_ERROR)),
    }
    for name in PROVIDER_KNOWS:
        knows = as_provider_knows(name)
        if knows == central:
            worlds[f"knows_{knows}"] = (pop, space)
            continue
        other = prepare_population(
            caseload, provider, predicted=predicted, provider_knows=knows, planner=planner,
            rng=seed,
        )
        if len(other.provider_index) != len(pop.provider_index):  # pragma: no cover
            raise AssertionError("primes differ between checks")
        worlds[f"knows_{knows}"] = (other, space)
    return CheckWorlds(worlds)


def run_checks(scorer: Scorer, worlds: CheckWorlds, candidate: Candidate) -> None:
    """Evaluate ``candidate`` in every check world and store the measures on it."""
    for name, (pop, space) in worlds.worlds.items():
        c = scorer.score(candidate.design, pop, space=space, topup=candidate.topup)
        m = dict(c.measures)
        m["spend_ratio"] = m["government_spend"] / scorer.budget
        lo, hi = SPEND_BAND
        m["spend_in_band"] = float(lo <= m["spend_ratio"] <= hi)
        candidate.checks[name] = m


@dataclass(frozen=True)
class RevenueRisk:
    """Each prime's revenue over Monte Carlo replications: the largest SD and SD over mean.

    Attributes
    ----------
    sd : float
        The largest standard deviation of a prime's revenue (pounds).
    cv : float
        The largest standard deviation of a prime's revenue over its expected revenue.
    """

    sd: float
    cv: float


def revenue_risk(
    population: Population,
    evaluation: Evaluation,
    tariff: Mapping[str, np.ndarray],
    topup: float,
    *,
    window_months: int,
    replications: int,
    rng: np.random.Generator,
    provider_discount_rate: float,
) -> RevenueRisk:
    """Return each prime's revenue risk over Monte Carlo replications (the worst prime's).

    Revenue risk is each prime's: yardstick payments move money between primes, so the
    primes' total hardly varies while each prime's does.
    """
    t = dict(tariff)
    t["A"] = np.asarray(t["A"], dtype=float) + topup
    prime = prime_codes(population)
    n_primes = len(population.provider_index)
    draws = simulate_months(
        population,
        evaluation,
        t,
        window_months=window_months,
        replications=replications,
        rng=rng,
        breakdowns={"provider": (prime, n_primes, population.rank_p0)},
        provider_discount_rate=provider_discount_rate,
    )
    revenue = draws.measures["provider"]["provider_revenue"]
    sd = np.std(revenue, axis=0, ddof=1)
    mean = np.mean(revenue, axis=0)
    return RevenueRisk(float(np.max(sd)), float(np.max(sd / np.maximum(mean, 1e-9))))
