"""The hot path: a provider's and a planner's response to a tariff, on arrays only.

:func:`evaluate` takes a :class:`~pbr_fairness.engine.population.Population` and the
per-person tariff arrays (``A, J, S, M, trigger_weeks``, see
:meth:`pbr_fairness.contracts.Contract.tariff_per_person`) and returns the hours, outcome
probabilities, payments and the overall measures. No pandas, no I/O: it is what the
optimiser and the sweeps call many times.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from pbr_fairness.engine.curve import response
from pbr_fairness.engine.equilibrium import prime_codes, solve_response
from pbr_fairness.engine.hours import agent_value, parked_mask
from pbr_fairness.engine.instruments import InstrumentPlan, Instruments
from pbr_fairness.engine.measures import group_sums, measures_from_sums
from pbr_fairness.engine.planner import PlannerProblem
from pbr_fairness.engine.population import Population
from pbr_fairness.engine.provider import ProviderSettings, effective_minimum
from pbr_fairness.engine.response import respond_by_provider
from pbr_fairness.engine.value import GREEN_BOOK_RATE, monthly_discount, outcome_value
from pbr_fairness.errors import InputError, Problem

__all__ = ["Evaluation", "breakdown_measures", "evaluate", "provider_hours"]


@dataclass(frozen=True, eq=False)
class Evaluation:
    """What a provider does under a tariff, and what it costs (expected values).

    Attributes
    ----------
    hours : numpy.ndarray
        The provider's hours per person.
    planner_hours : numpy.ndarray or None
        The planner's hours (same total per provider), if computed.
    p : numpy.ndarray
        Probability of a job outcome with ``hours`` (true curve).
    value : numpy.ndarray
        ``V_i = J + S * sum_{m<=M} (1 - h_i)^m``: expected outcome payment per job outcome.
    payment : numpy.ndarray
        Expected government payment per person ``A + p V`` (undiscounted).
    payment_discounted : numpy.ndarray
        The same discounted at the Green Book rate.
    revenue : numpy.ndarray
        What each person's payments are worth to the provider, ``A + p V(r)`` at its own
        discount rate ``r``.
    cost : numpy.ndarray
        What serving each person costs the provider: ``F + c (contact + e)``.
    instrument_payment : numpy.ndarray or None
        Expected outcome-linked payment per person from the contract's instruments
        (value-added, accelerator, yardstick; undiscounted, included in ``payment``).
    reimbursement : numpy.ndarray or None
        What the commissioner pays for verified hours (cost-sharing, funded hours; included
        in ``payment``).
    plan : InstrumentPlan or None
        The instruments laid out on the primes (for the Monte Carlo mode).
    converged : bool
        Whether the fixed point of the response to cohort instruments converged.
    equilibrium : bool
        Whether no prime gains by a checked deviation in any cohort
        (:func:`~pbr_fairness.engine.equilibrium.solve_response`).
    parked : numpy.ndarray of bool
        ``hours <= minimum + 1e-9``: only the contractual minimum (funded hours are above it).
    minimum : float
        The minimum hours used.
    marginal_cost : numpy.ndarray
        ``c + lam`` of each provider.
    capacity_binds : numpy.ndarray of bool
        Whether each provider used all its capacity.
    overall : dict of str to float
        Every measure over everyone.
    """

    hours: NDArray[np.float64]
    planner_hours: NDArray[np.float64] | None
    p: NDArray[np.float64]
    value: NDArray[np.float64]
    payment: NDArray[np.float64]
    parked: NDArray[np.bool_]
    minimum: float
    marginal_cost: NDArray[np.float64]
    capacity_binds: NDArray[np.bool_]
    overall: dict[str, float]
    payment_discounted: NDArray[np.float64]
    revenue: NDArray[np.float64]
    cost: NDArray[np.float64]
    instrument_payment: NDArray[np.float64] | None = None
    reimbursement: NDArray[np.float64] | None = None
    plan: InstrumentPlan | None = None
    converged: bool = True
    equilibrium: bool = True

    def take(self, index: NDArray[np.intp]) -> Evaluation:
        """Return the evaluation of the people at ``index`` (their provider's response kept).

        The planner's hours are dropped (they depend on everyone); ``overall`` is the whole's.
        """
        return Evaluation(
            self.hours[index],
            None,
            self.p[index],
            self.value[index],
            self.payment[index],
            self.parked[index],
            self.minimum,
            self.marginal_cost,
            self.capacity_binds,
            dict(self.overall),
            self.payment_discounted[index],
            self.revenue[index],
            self.cost[index],
            None if self.instrument_payment is None else self.instrument_payment[index],
            None if self.reimbursement is None else self.reimbursement[index],
            None,
            self.converged,
            self.equilibrium,
        )

    def person_arrays(self, p0: NDArray[np.float64]) -> dict[str, NDArray[np.float64]]:
        """Return the per-person quantities the measures are summed from (``PERSON_KEYS``)."""
        return {
            "p": self.p,
            "p0": p0,
            "hours": self.hours,
            "spend": self.payment,
            "spend_discounted": self.payment_discounted,
            "revenue": self.revenue,
            "cost": self.cost,
        }


def _check_tariff(tariff: Mapping[str, ArrayLike], n: int) -> None:
    problems = []
    for key in ("A", "J", "S", "M"):
        if key not in tariff:
            problems.append(Problem("missing from the tariff arrays", column=key))
            continue
        a = np.asarray(tariff[key])
        if a.shape not in ((n,), ()):
            problems.append(Problem(f"has shape {a.shape}, expected ({n},)", column=key))
        elif np.any(~np.isfinite(a)) or np.any(a < 0):
            problems.append(Problem("must be finite and >= 0", column=key))
    if problems:
        raise InputError(problems, source="tariff")


def provider_hours(
    population: Population,
    value: NDArray[np.float64],
    provider: ProviderSettings,
    minimum: float,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.bool_]]:
    """Each provider's best response: hours, marginal cost and whether capacity binds."""
    pop = population
    index: list[list[NDArray[np.intp] | None]] = (
        [[None]] if len(pop.provider_index) == 1 else [[idx] for idx in pop.provider_index]
    )
    r = respond_by_provider(
        [value],
        [pop.perceived_gain],
        [pop.k],
        index,
        cost=provider.cost_per_hour,
        capacity_hours=provider.capacity_hours,
        minimum=minimum,
    )
    return r.hours[0], r.marginal_cost, r.capacity_binds


def _planner(pop: Population, hours: NDArray[np.float64], minimum: float) -> NDArray[np.float64]:
    key = ("planner", float(minimum))
    problems = pop.cache.get(key)
    if problems is None:
        gain = pop.gain
        problems = [
            PlannerProblem.prepare(pop.weights[idx], gain[idx], pop.k[idx], minimum=minimum)
            for idx in pop.provider_index
        ]
        pop.cache[key] = problems
    if len(pop.provider_index) == 1:
        return problems[0].hours(float(hours.sum()))
    out = np.empty(pop.n)
    for idx, problem in zip(pop.provider_index, problems, strict=True):
        out[idx] = problem.hours(float(hours[idx].sum()))
    return out


def evaluate(
    population: Population,
    tariff: Mapping[str, ArrayLike],
    provider: ProviderSettings | None = None,
    *,
    minimum_hours: float | None = None,
    with_planner: bool = True,
    window_months: float = 24.0,
    instruments: Instruments | None = None,
) -> Evaluation:
    """Compute the provider's best response to a tariff and the overall measures.

    Parameters
    ----------
    population : Population
        From :func:`~pbr_fairness.simulation.population.prepare_population`.
    tariff : mapping
        Per-person arrays ``A``, ``J``, ``S``, ``M`` and ``trigger_weeks`` (needed when
        payments are discounted; 13 weeks when absent).
    provider : ProviderSettings, optional
        Costs, capacity, minimum, mission weight and discount rate (information noise was
        applied when the population was prepared).
    minimum_hours : float, optional
        A contract's minimum of service; default the provider's ``minimum_hours``.
    with_planner : bool, default True
        Also compute the planner's allocation (needed for the planner gap).
    window_months : float, default 24
        The contract window (the timing of payments, for discounting).
    instruments : Instruments, optional
        Value-added payments, accelerators, yardsticks, cost-sharing and funded hours on top
        of the fees (:mod:`pbr_fairness.engine.instruments`). Outcome-linked instrument
        payments are settled at the end of the window and discounted from there.

    Returns
    -------
    Evaluation

    Examples
    --------
    >>> import pandas as pd
    >>> from pbr_fairness.simulation import prepare_population
    >>> cl = pd.DataFrame({"person_id": [1, 2], "payment_group": ["PG1", "PG7"],
    ...     "true_p0": [0.3, 0.05], "true_pmax": [0.4, 0.08], "true_k": [0.15, 0.15],
    ...     "true_exit_hazard": [0.1, 0.2]})
    >>> pop = prepare_population(cl)
    >>> ev = evaluate(pop, {"A": [400, 600], "J": [1200, 3500], "S": [170, 370],
    ...                     "M": [13, 26]})
    >>> ev.parked.tolist()
    [False, True]
    """
    provider = provider or ProviderSettings()
    pop = population
    _check_tariff(tariff, pop.n)
    minimum = effective_minimum(provider, minimum_hours)
    n = pop.n

    def per_person(rate: float) -> NDArray[np.float64]:
        v = outcome_value(tariff, pop.h, discount_rate=rate, window_months=window_months)
        return v if v.shape == (n,) else np.broadcast_to(v, (n,)).copy()

    v = per_person(0.0)
    v_provider = v if provider.discount_rate == 0 else per_person(provider.discount_rate)
    a = np.broadcast_to(np.asarray(tariff["A"], dtype=float), (n,))
    v_green = per_person(GREEN_BOOK_RATE)
    if instruments is not None and instruments.any:
        instruments.check(n)
        ev = _evaluate_with_instruments(
            pop, instruments, a, v, v_provider, v_green, provider, minimum, with_planner,
            window_months,
        )
    else:
        agent = agent_value(v_provider, pop.weights, provider.mission_weight)
        hours, mu, binds = provider_hours(pop, agent, provider, minimum)
        p = response(hours, pop.p0, pop.pmax, pop.k)
        payment = a + p * v
        revenue = payment if v_provider is v else a + p * v_provider
        parked = parked_mask(hours, minimum)
        e_star = _planner(pop, hours, minimum) if with_planner else None
        ev = Evaluation(
            hours,
            e_star,
            p,
            v,
            payment,
            parked,
            minimum,
            mu,
            binds,
            {},
            a + p * v_green,
            revenue,
            provider.cost_per_person(hours),
        )
    sums = group_sums(
        None, 1, ev.person_arrays(pop.p0), parked=ev.parked, rank=pop.rank_p0,
        planner_hours=ev.planner_hours,
    )
    ev.overall.update({k: float(x[0]) for k, x in measures_from_sums(sums).items()})
    return ev


def _evaluate_with_instruments(
    pop: Population,
    instruments: Instruments,
    a: NDArray[np.float64],
    v: NDArray[np.float64],
    v_provider: NDArray[np.float64],
    v_green: NDArray[np.float64],
    provider: ProviderSettings,
    minimum: float,
    with_planner: bool,
    window_months: float,
) -> Evaluation:
    """Solve the provider's response to fees plus instruments; return its expected payments."""
    plan = InstrumentPlan.build(instruments, prime_codes(pop), len(pop.provider_index))
    settle = monthly_discount(provider.discount_rate) ** window_months
    sol = solve_response(pop, v_provider, provider, minimum, plan, discount=settle)
    hours = sol.response.hours[0]
    p = response(hours, pop.p0, pop.pmax, pop.k)
    extra = plan.expected(p)
    reimbursed = plan.reimbursement(hours, provider.cost_per_hour)
    # "Parked" means receiving only the contractual minimum (DESIGN): funded hours above it
    # are support, bought by the commissioner rather than chosen by the provider.
    parked = parked_mask(hours, minimum)
    e_star = _planner(pop, hours, minimum) if with_planner else None
    green = monthly_discount(GREEN_BOOK_RATE) ** window_months
    return Evaluation(
        hours,
        e_star,
        p,
        v,
        a + p * v + extra + reimbursed,
        parked,
        minimum,
        sol.response.marginal_cost,
        sol.response.capacity_binds,
        {},
        a + p * v_green + green * extra + reimbursed,
        a + p * v_provider + settle * extra + reimbursed,
        provider.cost_per_person(hours),
        extra,
        reimbursed,
        plan,
        sol.converged,
        sol.equilibrium,
    )


def breakdown_measures(
    pop: Population,
    ev: Evaluation,
    codes: NDArray[np.int64] | None,
    n_groups: int,
    rank: NDArray[np.float64],
) -> dict[str, NDArray[np.float64]]:
    """Every measure per group of one breakdown of an evaluated population.

    Parameters
    ----------
    pop : Population
        The population.
    ev : Evaluation
        Its evaluation under a tariff (:func:`evaluate`).
    codes : numpy.ndarray or None
        Group code of each person (``None``: one group of everyone).
    n_groups : int
        Number of groups.
    rank : numpy.ndarray
        Fractional rank of ``p0`` within each group (for the creaming index).

    Returns
    -------
    dict
        Measure name to an array of one value per group.
    """
    sums = group_sums(
        codes,
        n_groups,
        ev.person_arrays(pop.p0),
        parked=ev.parked,
        rank=rank,
        planner_hours=ev.planner_hours,
    )
    return measures_from_sums(sums)
