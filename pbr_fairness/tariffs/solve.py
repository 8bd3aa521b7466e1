"""Solve one tariff problem at one budget: cells (payment groups, bands) or a smooth schedule.

Fairness first, then the objective:

1. the parking caps: the cheapest fee levels that keep every capped group's parked share
   within the cap; when no levels within the budget can, the levels reaching the smallest
   worst parked share (minimax) — the cap is then reported as not met;
2. the objective (equity-weighted additional jobs, or the planner gap) with the rest of the
   budget, fees at or above the levels of step 1;
3. the outcome fees are scaled together to spend the budget exactly, the contract is built
   and the provider's exact best response is computed by the simulator; if capacity binds,
   the marginal cost of an hour is updated and the search repeated; if the provider's
   profit is below the margin, an attachment fee (which buys no effort) makes it up out of
   the budget.
"""

from __future__ import annotations

from pbr_fairness.tariffs.cells import goals_for, solve_cells
from pbr_fairness.tariffs.constraints import TariffConstraints
from pbr_fairness.tariffs.setup import TariffProblem
from pbr_fairness.tariffs.smooth import solve_smooth
from pbr_fairness.tariffs.solution import GRID, Solution, smooth_factor_of

__all__ = ["GRID", "Solution", "smooth_factor_of", "solve"]


def solve(
    prob: TariffProblem,
    budget: float,
    cons: TariffConstraints,
    objective: str,
    *,
    name: str = "fairer_tariff",
    reference: dict[str, float] | None = None,
) -> Solution:
    """Propose a contract for one budget (see the module docstring).

    With ``reference`` (the reference tariff's measures) the search first tries to beat it
    on both the worst parked share and equity-weighted additional jobs.
    """
    goals = goals_for(prob, cons, reference)
    if prob.basis == "smooth":
        return solve_smooth(prob, budget, cons, objective, name, goals)
    return solve_cells(prob, budget, cons, objective, name, goals)
