"""Fitting a proposal to its budget: scale the outcome fees, evaluate exactly, top up profit.

:func:`finish` scales a shape of outcome-fee factors so that expected outcome payments spend
the budget, evaluates the provider's exact best response with the engine, and, if the
provider's profit is below the floor, raises the attachment fee (which buys no effort).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import brentq

from pbr_fairness.engine.evaluation import Evaluation, evaluate
from pbr_fairness.engine.factors import Kernel, person_response, revenue_of
from pbr_fairness.tariffs.constraints import TariffConstraints
from pbr_fairness.tariffs.setup import TariffProblem
from pbr_fairness.tariffs.solution import Solution

__all__ = ["better", "finish", "marginal_cost_per_person", "scale_to"]


def scale_to(
    kernel: Kernel, shape: NDArray[np.float64], budget_out: float, weight: float
) -> float:
    """Scale ``kappa`` with ``weight * outcome spend(kappa * shape) = budget_out``."""
    if budget_out <= 0 or not np.any(shape > 0):
        return 0.0

    def gap(kappa: float) -> float:
        return weight * float(person_response(kernel, kappa * shape)[2].sum()) - budget_out

    hi = 1.0
    while gap(hi) < 0 and hi < 1e9:
        hi *= 4.0
    if gap(hi) < 0:
        return hi
    return float(brentq(gap, 0.0, hi, xtol=1e-12, rtol=1e-10))


def finish(
    prob: TariffProblem,
    arrays: Callable[[float, float], dict[str, NDArray[np.float64]]],
    shape: NDArray[np.float64],
    budget: float,
    cons: TariffConstraints,
    kernel: Kernel,
    *,
    scale_up: bool = True,
) -> tuple[Evaluation, float, float]:
    """Scale outcome fees to the budget and evaluate exactly; return the scale and fee.

    ``arrays(scale, attachment)`` gives the per-person tariff arrays exactly as the contract
    built from the same numbers would (fees rounded down to the penny).

    If the provider's profit is below ``cons.min_profit``, the attachment fee is raised (and
    the outcome fees scaled down to keep the budget) until it is not: with spend at the
    budget, profit rises only as the hours fall, so the fee is found by bisection.
    """
    n = prob.n

    def fitted(attachment: float) -> float:
        budget_out = max(budget - n * attachment, 0.0)
        spent = prob.outcome_spend(shape, kernel)
        if scale_up and spent < budget_out and np.any(shape > 0):
            return max(1.0, scale_to(kernel, shape, budget_out * (1 - 1e-7), 1.0))
        if spent > budget_out:
            return scale_to(kernel, shape, budget_out * (1 - 1e-7), 1.0)
        return 1.0

    def profit_at(attachment: float) -> float:
        s = fitted(attachment)
        hours, p, _ = person_response(kernel, s * shape)
        revenue = n * attachment + revenue_of(kernel, s * shape, p).sum()
        return float(revenue - prob.provider.cost_per_person(hours).sum())

    attachment = cons.attachment_fee
    if profit_at(attachment) < cons.min_profit:
        hi = budget / n
        if profit_at(hi) >= cons.min_profit:
            lo = attachment
            for _ in range(40):
                mid = 0.5 * (lo + hi)
                if profit_at(mid) >= cons.min_profit:
                    hi = mid
                else:
                    lo = mid
            attachment = float(np.ceil(hi * 100.0) / 100.0)
        else:
            attachment = hi

    def exact(s: float, a: float, planner: bool = True) -> Evaluation:
        return evaluate(
            prob.pop,
            arrays(s, a),
            prob.provider,
            minimum_hours=prob.minimum,
            with_planner=planner,
            window_months=prob.baseline.window_months,
        )

    scale = fitted(attachment)
    ev = exact(scale, attachment)
    # exact spend above the budget (rounding, capacity): scale down
    if ev.overall["government_spend"] > budget * (1 + 1e-12):

        def gap(s: float, a: float = attachment) -> float:
            return exact(s, a, False).overall["government_spend"] - budget

        if gap(0.0) <= 0:
            scale = float(brentq(gap, 0.0, scale, xtol=1e-9)) * (1 - 1e-7)
            ev = exact(scale, attachment)
    # fees rounded down to the penny can leave the profit a few pounds short: the attachment
    # fee (which changes no hours) takes up the slack left in the budget
    short = cons.min_profit - ev.overall["provider_profit"]
    if short > 0:
        up = float(np.ceil((attachment + short / n) * 100.0) / 100.0)
        down = float(np.floor((attachment + short / n) * 100.0) / 100.0)
        room = budget - ev.overall["government_spend"]
        new = up if n * (up - attachment) <= room else down
        if new > attachment and n * (new - attachment) <= room:
            attachment = new
            ev = exact(scale, attachment)
    return ev, scale, attachment


def marginal_cost_per_person(prob: TariffProblem, ev: Evaluation) -> NDArray[np.float64]:
    """Return each person's provider's marginal cost of an hour under an evaluation."""
    mu = np.empty(prob.n)
    for j, idx in enumerate(prob.pop.provider_index):
        mu[idx] = ev.marginal_cost[j]
    return mu


def better(a: Solution, b: Solution, objective: str) -> bool:
    """Whether solution ``a`` beats ``b`` on the objective."""
    if objective == "planner_gap":
        return a.measures["planner_gap"] < b.measures["planner_gap"]
    return (
        a.measures["equity_weighted_additional_jobs"]
        > b.measures["equity_weighted_additional_jobs"]
    )
