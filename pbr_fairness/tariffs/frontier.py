"""The frontier: the best fairness reachable at budgets from 70% to 130% of the baseline's."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from pbr_fairness.tariffs.constraints import TariffConstraints
from pbr_fairness.tariffs.setup import Progress, TariffProblem
from pbr_fairness.tariffs.solve import solve

__all__ = ["FRONTIER_COLUMNS", "FRONTIER_SHARES", "tariff_frontier"]

#: Budgets of the frontier, as shares of the baseline's expected spend.
FRONTIER_SHARES: tuple[float, ...] = (0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3)

#: Columns of the frontier table.
FRONTIER_COLUMNS: tuple[str, ...] = (
    "budget_share",
    "budget",
    "fairness",
    "worst_parked_share",
    "worst_parked_share_lower_half",
    "parked_share",
    "planner_gap",
    "equity_weighted_additional_jobs",
    "additional_jobs",
    "government_spend",
    "provider_profit",
    "cost_per_additional_job",
    "caps_met",
)


def tariff_frontier(
    prob: TariffProblem,
    constraints: TariffConstraints,
    objective: str,
    *,
    shares: Sequence[float] = FRONTIER_SHARES,
    progress: Progress | None = None,
) -> pd.DataFrame:
    """Solve the problem at each budget share; one row per budget.

    ``fairness`` is ``1 - worst_parked_share`` (1: nobody parked in any capped group).
    """
    rows = []
    for i, share in enumerate(shares):
        budget = float(share) * prob.baseline_spend
        sol = solve(prob, budget, constraints, objective, name=f"frontier_{share:g}")
        m = sol.measures
        rows.append(
            {
                "budget_share": float(share),
                "budget": budget,
                "fairness": 1.0 - m["worst_parked_share"],
                **{c: m[c] for c in FRONTIER_COLUMNS if c in m},
                "caps_met": bool(sol.feasible),
            }
        )
        if progress is not None:
            progress((i + 1) / len(shares), f"frontier: budget {share:.0%} of the baseline")
    return pd.DataFrame(rows, columns=list(FRONTIER_COLUMNS))
