"""The provider's best response when instruments make its incentive depend on outcomes.

Fees per outcome give each person a fixed value per unit of their outcome probability, and the
best response is the closed form of :mod:`pbr_fairness.engine.capacity`. Cohort instruments
(a floored value-added payment, an accelerator's performance level, a market-share shift)
make that value depend on everyone's chances: ``V_i + m_i(p)``, with ``m`` from
:meth:`~pbr_fairness.engine.instruments.InstrumentPlan.marginal`. The best response is then a
fixed point ``e = BR(V + m(p(e)))``: the first-order conditions of the provider's expected
profit under the normal approximation, solved by Anderson-accelerated iteration on ``m``
(:func:`solve_response`).

The provider's problem with a cohort threshold is not concave (it may pay to give up on a
cohort's level altogether, or a prime far behind in a tournament may give up on winning it),
so the iteration starts as if every level were met (``m`` at the chances the most support
would buy); then each cohort of each prime is checked against giving up on its level or
pushing harder, with everyone else held fixed, taking whichever is more profitable *as the
prime perceives it*, and the fixed point is solved again from there.

With a market-share shift, a prime's marginal value depends on the other primes' outcomes;
the same iteration then runs over all primes at once (a Jacobi iteration on the primes' best
responses), and its fixed point is a Nash equilibrium in hours. ``tests/test_instruments.py``
checks it against a brute-force sequential best-response iteration (one prime at a time, the
others held fixed, until no prime moves).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from pbr_fairness.engine.curve import response
from pbr_fairness.engine.hours import agent_value
from pbr_fairness.engine.instruments import InstrumentPlan
from pbr_fairness.engine.population import Population
from pbr_fairness.engine.provider import ProviderSettings
from pbr_fairness.engine.response import ProviderResponse, respond_by_provider

__all__ = ["InstrumentResponse", "perceived_p", "prime_codes", "solve_response"]

#: Iterations of the damped fixed point before it stops (and reports no convergence).
MAX_ITERATIONS = 200
#: Convergence: the largest change in ``m`` relative to the largest ``V + m``.
TOLERANCE = 1e-7
#: Steps Anderson acceleration remembers.
MEMORY = 5
#: Rounds of units moving to a better deviation (see :func:`solve_response`).
SWITCH_ROUNDS = 6
#: A threshold this many standard deviations away, at the answer and with its level given
#: up, is never in play: the deviation checks are skipped.
SATURATED_Z = 6.0
#: Deviations each unit is checked against: the chance-dependent part of its incentive
#: scaled by these factors (0: give up on its cohort's level or on winning its cell).
DEVIATIONS = (0.0, 0.25, 0.5, 0.8, 1.25, 2.0)


@dataclass(frozen=True, eq=False)
class InstrumentResponse:
    """The provider's hours under instruments, and how the fixed point was reached.

    Attributes
    ----------
    response : ProviderResponse
    marginal : numpy.ndarray
        ``m_i`` at the fixed point (pounds per unit of outcome probability, undiscounted).
    iterations : int
        Iterations of the fixed point, all rounds together.
    converged : bool
    equilibrium : bool
        Whether no unit of any prime gains by one of the checked deviations with the others
        held fixed (False: the first-order answer stands, but in some cohort a prime would
        rather give up or push harder; with a tournament between primes there may then be
        no equilibrium in pure strategies).
    """

    response: ProviderResponse
    marginal: NDArray[np.float64]
    iterations: int
    converged: bool
    equilibrium: bool = True


def prime_codes(population: Population) -> NDArray[np.int64]:
    """Each person's prime (provider) as a 0-based code, cached on the population."""
    pop = population
    key = ("prime_codes",)
    out = pop.cache.get(key)
    if out is None:
        out = np.zeros(pop.n, dtype=np.int64)
        for j, idx in enumerate(pop.provider_index):
            out[idx] = j
        pop.cache[key] = out
    assert isinstance(out, np.ndarray)
    return out


def perceived_p(population: Population, hours: NDArray[np.float64]) -> NDArray[np.float64]:
    """Outcome probabilities as the provider perceives them, at ``hours``."""
    pop = population
    return response(hours, pop.perceived_p0, pop.perceived_p0 + pop.perceived_gain, pop.k)


def _respond(
    pop: Population,
    value: NDArray[np.float64],
    provider: ProviderSettings,
    minimum: float,
    plan: InstrumentPlan,
) -> ProviderResponse:
    index: list[list[NDArray[np.intp] | None]] = (
        [[None]] if len(pop.provider_index) == 1 else [[idx] for idx in pop.provider_index]
    )
    costs = plan.costs(provider.cost_per_hour)
    minimums = plan.minimums(minimum)
    return respond_by_provider(
        [agent_value(value, pop.weights, provider.mission_weight)],
        [pop.perceived_gain],
        [pop.k],
        index,
        cost=provider.cost_per_hour,
        capacity_hours=provider.capacity_hours,
        minimum=minimum,
        costs=None if costs is None else [costs],
        minimums=None if minimums is None else [minimums],
    )


def _iterate(
    pop: Population,
    v: NDArray[np.float64],
    m0: NDArray[np.float64],
    discount: float,
    provider: ProviderSettings,
    minimum: float,
    plan: InstrumentPlan,
    mask: NDArray[np.bool_] | None = None,
) -> tuple[ProviderResponse, NDArray[np.float64], int, bool]:
    """Solve ``m = G(m) = m(p(BR(V + m)))`` by Anderson acceleration; only ``mask`` moves.

    Anderson mixing (Walker & Ni 2011, "Anderson acceleration for fixed-point iterations",
    *SIAM J. Numer. Anal.* 49(4)) with a memory of :data:`MEMORY` steps, restarted with a
    damped step whenever the residual grows: a threshold's chance is a steep function of a
    cohort's expected count, so plain iteration can creep or cycle.
    """
    m = m0.copy()
    scale = float(np.max(np.abs(v), initial=0.0)) + float(np.max(np.abs(m0), initial=0.0)) + 1.0
    hist_f: list[NDArray[np.float64]] = []
    hist_g: list[NDArray[np.float64]] = []
    last = np.inf
    r = _respond(pop, v + discount * m, provider, minimum, plan)
    for it in range(1, MAX_ITERATIONS + 1):
        g = plan.marginal(perceived_p(pop, r.hours[0]))
        if mask is not None:
            g = np.where(mask, g, m)
        f = g - m
        gap = float(np.max(np.abs(f), initial=0.0))
        if gap <= TOLERANCE * scale:
            return r, m, it, True
        hist_f.append(f)
        hist_g.append(g)
        if gap > 2.0 * last or len(hist_f) > MEMORY + 1:
            if gap > 2.0 * last:  # restart: a damped plain step
                hist_f, hist_g = [f], [g]
            else:
                hist_f, hist_g = hist_f[1:], hist_g[1:]
        last = gap
        if len(hist_f) >= 2:
            df = np.column_stack([hist_f[i + 1] - hist_f[i] for i in range(len(hist_f) - 1)])
            dg = np.column_stack([hist_g[i + 1] - hist_g[i] for i in range(len(hist_g) - 1)])
            # least squares on the normal equations: the memory is a handful of columns
            gram = df.T @ df
            gamma = np.linalg.solve(
                gram + 1e-12 * np.trace(gram) * np.eye(gram.shape[0]), df.T @ f
            )
            m = g - dg @ gamma
        else:
            m = m + 0.5 * f
        r = _respond(pop, v + discount * m, provider, minimum, plan)
    return r, m, MAX_ITERATIONS, False


def _person_profit(
    pop: Population,
    hours: NDArray[np.float64],
    v: NDArray[np.float64],
    discount: float,
    provider: ProviderSettings,
    plan: InstrumentPlan,
    others: NDArray[np.float64] | None = None,
) -> NDArray[np.float64]:
    """Each person's share of their prime's expected profit, as the prime perceives it.

    ``others``: the other primes' perceived chances, held fixed (a deviation); cohort
    payments are shared out as :meth:`InstrumentPlan.expected` does.
    """
    q = perceived_p(pop, hours)
    out: NDArray[np.float64] = (
        q * v
        + discount * (plan.expected(q, others) + plan.future_value(q, others))
        + plan.reimbursement(hours, provider.cost_per_hour)
        - provider.cost_per_hour * hours
    )
    return out


def _perceived_profit(
    pop: Population,
    hours: NDArray[np.float64],
    v: NDArray[np.float64],
    discount: float,
    provider: ProviderSettings,
    plan: InstrumentPlan,
) -> NDArray[np.float64]:
    """Each prime's expected profit as it perceives it (fees, instruments, shift, costs)."""
    gain = _person_profit(pop, hours, v, discount, provider, plan)
    out: NDArray[np.float64] = np.bincount(
        prime_codes(pop), weights=gain, minlength=len(pop.provider_index)
    ).astype(float)
    return out


def solve_response(
    population: Population,
    value: NDArray[np.float64],
    provider: ProviderSettings,
    minimum: float,
    plan: InstrumentPlan,
    *,
    discount: float = 1.0,
) -> InstrumentResponse:
    """Each prime's best response to fees worth ``value`` plus the contract's instruments.

    The fixed point is found from a start as if every level were met. Then each unit (one
    prime's people sharing their cohorts,
    :meth:`InstrumentPlan.units`) is checked against deviations with everyone else held
    where they are: the part of its incentive that depends on chances scaled by each of
    :data:`DEVIATIONS` (0 gives its cohort's level up). Units that gain move there, and the
    fixed point is solved again from there, until no unit gains (at most
    :data:`SWITCH_ROUNDS` rounds). The answer is a fixed point at which no unit gains by
    giving up on, or pushing harder for, its cohort's level.

    Parameters
    ----------
    population : Population
    value : numpy.ndarray
        The fees' value of a job outcome to the provider, at its own discount rate.
    provider : ProviderSettings
    minimum : float
        The contract's minimum hours.
    plan : InstrumentPlan
    discount : float, default 1
        The provider's discount factor on instrument payments (settled at the end of the
        window).

    Returns
    -------
    InstrumentResponse
    """
    pop = population
    if not _depends_on_outcomes(plan):
        m = plan.marginal(np.zeros(pop.n))
        r = _respond(pop, value + discount * m, provider, minimum, plan)
        return InstrumentResponse(r, m, 1, True)
    # Start as if every level were met; the deviation checks below then try giving up on
    # each unit's level (scale 0), which is where a start from the fees alone would go.
    optimistic = plan.marginal(pop.perceived_p0 + pop.perceived_gain)
    r, m, iterations, converged = _iterate(
        pop, value, optimistic, discount, provider, minimum, plan
    )
    unit, n_units = plan.units()
    inside = unit >= 0
    linear = plan.linear_marginal()

    def unit_sums(x: NDArray[np.float64]) -> NDArray[np.float64]:
        out: NDArray[np.float64] = np.bincount(
            unit[inside], weights=x[inside], minlength=n_units
        ).astype(float)
        return out

    if not plan.instruments.interacts:
        # Every threshold far on one side both at the answer and with the level given up:
        # then each cohort's payment is linear between the two, the problem concave there,
        # and no deviation can gain (the checks below would find nothing).
        r0 = _respond(pop, value + discount * linear, provider, minimum, plan)
        z_here = plan.threshold_z(perceived_p(pop, r.hours[0]))
        z_gone = plan.threshold_z(perceived_p(pop, r0.hours[0]))
        if z_here.size and np.all(
            (np.sign(z_here) == np.sign(z_gone))
            & (np.minimum(np.abs(z_here), np.abs(z_gone)) >= SATURATED_Z)
        ):
            return InstrumentResponse(r, m, iterations, converged, True)
    stable = False
    for _ in range(SWITCH_ROUNDS):
        q = perceived_p(pop, r.hours[0])
        best = unit_sums(_person_profit(pop, r.hours[0], value, discount, provider, plan))
        target = m.copy()
        moved = np.zeros(n_units, dtype=bool)
        # Deviations, each unit at once with everyone else held at q: scale the part of the
        # incentive that depends on chances (0: give the level up; > 1: push for it).
        for scale in DEVIATIONS:
            m_dev = linear + scale * (m - linear)
            r_dev = _respond(pop, value + discount * m_dev, provider, minimum, plan)
            dev = unit_sums(
                _person_profit(pop, r_dev.hours[0], value, discount, provider, plan, others=q)
            )
            gains = dev > best + 1e-9 * np.abs(best) + 1e-6
            best = np.where(gains, dev, best)
            moved |= gains
            person_gains = inside & gains[np.maximum(unit, 0)]
            target = np.where(person_gains, m_dev, target)
        if not moved.any():
            stable = True
            break
        r_new, m_new, it, ok = _iterate(pop, value, target, discount, provider, minimum, plan)
        iterations += it
        if ok and np.allclose(m_new, m, rtol=1e-6, atol=1e-6 * (np.abs(m).max() + 1.0)):
            break  # the deviation does not survive the others' response: no pure equilibrium
        r, m, converged = r_new, m_new, ok
    return InstrumentResponse(
        r, m, iterations, converged, stable
    )


def _depends_on_outcomes(plan: InstrumentPlan) -> bool:
    inst = plan.instruments
    floored_va = plan.va is not None and inst.value_added_floor is not None
    return floored_va or plan.acc is not None or inst.interacts
