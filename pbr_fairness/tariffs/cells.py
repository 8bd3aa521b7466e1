"""The cell solver: one outcome-fee factor per payment group or band of predicted distance.

Fairness first, then the objective (see :mod:`pbr_fairness.tariffs.solve`): the cheapest
levels that keep every capped group's parked share within the cap (or the minimax levels when
none do), then the objective with the rest of the budget, then the fees scaled to the budget
and the provider's exact response; repeated when capacity binds.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy as np
from numpy.typing import NDArray

from pbr_fairness.contracts import Contract
from pbr_fairness.engine.factors import Kernel
from pbr_fairness.tariffs.constraints import TariffConstraints
from pbr_fairness.tariffs.finish import better, finish, marginal_cost_per_person
from pbr_fairness.tariffs.measures import TARGET_MEASURE
from pbr_fairness.tariffs.proposal import band_contract, group_contract
from pbr_fairness.tariffs.search import (
    Levels,
    best_levels,
    cheapest_cover,
    minimax_parking,
    polish_minimax,
)
from pbr_fairness.tariffs.setup import TariffProblem
from pbr_fairness.tariffs.solution import GRID, LazyContract, Solution
from pbr_fairness.tariffs.tables import distance_order, problem_tables

__all__ = ["Goal", "build_cells", "cell_arrays", "goals_for", "solve_cells"]


@dataclass(frozen=True)
class Goal:
    """What one attempt of the search must reach (absolute floors, in jobs)."""

    cap: float | None
    equity_jobs: float | None = None
    additional_jobs: float | None = None
    beat_parked: float | None = None  # priority worst parked share to get strictly below


def goals_for(
    prob: TariffProblem, cons: TariffConstraints, reference: dict[str, float] | None
) -> list[Goal]:
    """List the attempts in order: beat the reference; the user's floors; no floors."""
    b = prob.baseline_measures
    ewaj = (
        None
        if cons.min_equity_jobs_share is None
        else cons.min_equity_jobs_share * b["equity_weighted_additional_jobs"]
    )
    add = (
        None
        if cons.min_additional_jobs_share is None
        else cons.min_additional_jobs_share * b["additional_jobs"]
    )
    out = []
    if reference is not None:
        ref_worst = reference[TARGET_MEASURE if cons.priority_deciles else "worst_parked_share"]
        cap = ref_worst * (1 - 1e-3)
        if cons.max_parked_share is not None:
            cap = min(cap, cons.max_parked_share)
        out.append(
            Goal(
                cap,
                max(ewaj or 0.0, reference["equity_weighted_additional_jobs"] * (1 + 1e-3)),
                add,
                ref_worst,
            )
        )
    out.append(Goal(cons.max_parked_share, ewaj, add))
    if ewaj is not None or add is not None:
        out.append(Goal(cons.max_parked_share))
    return out


def cell_levels(
    prob: TariffProblem,
    kernel: Kernel,
    budget_out: float,
    goal: Goal,
    cons: TariffConstraints,
    objective: str,
    target: NDArray[np.float64] | None,
) -> tuple[NDArray[np.float64], float, bool] | None:
    """Levels for one goal, or ``None`` when the goal's floors cannot be met."""
    t = problem_tables(prob, kernel)
    order = distance_order(prob)
    cost = t["spend"][order]
    parked = t["parked"][order]
    sizes = t["sizes"]
    floor0 = np.zeros(cost.shape[0], dtype=np.intp)
    tstar, feasible = float("nan"), True
    floors = floor0
    # floors on (equity-weighted) additional jobs: pseudo-groups whose "parked count" is the
    # shortfall, non-increasing in the levels like a parked count
    extra, extra_allowed = [], []
    scale = float(np.mean(sizes)) if sizes.size else 1.0
    for key, target_total in (
        ("ewaj", goal.equity_jobs),
        ("additional_jobs", goal.additional_jobs),
    ):
        if target_total is None or target_total <= 0:
            continue
        tab = t[key][order]
        top = tab.max(axis=1, keepdims=True)
        if float(top.sum()) < target_total:
            return None
        extra.append((top - tab) * scale / target_total)
        extra_allowed.append((float(top.sum()) - target_total) * scale / target_total)
    parked_x = np.concatenate([parked, np.stack(extra, axis=2)], axis=2) if extra else parked

    # priority columns (the deciles furthest from work) are minimised; the other capped
    # groups may go up to the cap (or the priority level, if higher)
    prio = np.array(
        [b == "decile_true_p0" and i in cons.priority_deciles for b, i in t["columns"]], dtype=bool
    )
    if not prio.any():
        prio = np.ones(sizes.size, dtype=bool)
    user_cap = 1.0 if cons.max_parked_share is None else cons.max_parked_share

    def allowed_at(share: float) -> NDArray[np.float64]:
        other = max(share, user_cap)
        return np.r_[np.floor(np.where(prio, share, other) * sizes + 1e-9), extra_allowed]

    if sizes.size and (goal.cap is not None or extra):
        tstar, cover = minimax_parking(
            parked_x, cost, sizes, floor0, budget_out, allowed=allowed_at
        )
        if cover is None:
            return None
        # polish: the priority columns are minimised, the others held within their allowance
        cols = np.r_[
            np.flatnonzero(prio), np.flatnonzero(~prio), sizes.size + np.arange(len(extra))
        ]
        fixed = allowed_at(tstar)[cols][int(prio.sum()) :]
        polished = polish_minimax(
            parked_x[:, :, cols], cost, sizes[prio], fixed, cover.index, budget_out
        )
        counts = parked_x[np.arange(cost.shape[0]), polished, :].sum(axis=0)
        t_pol = float(np.max(counts[: sizes.size][prio] / np.maximum(sizes[prio], 1.0)))
        if t_pol < tstar:
            tstar = t_pol
            cover = Levels(polished, float(cost[np.arange(cost.shape[0]), polished].sum()))
        if goal.beat_parked is not None and tstar >= goal.beat_parked:
            return None
        if goal.cap is not None and tstar <= goal.cap + 1e-12:
            c2 = cheapest_cover(parked_x, cost, allowed_at(goal.cap), floor0, budget=budget_out)
            floors = (c2 or cover).index
        elif goal.cap is None:
            c2 = cheapest_cover(parked_x, cost, allowed_at(1.0), floor0, budget=budget_out)
            floors = (c2 or cover).index
        else:
            floors = cover.index
        counts = parked[np.arange(cost.shape[0]), floors, :].sum(axis=0)
        worst_all = float(np.max(counts / np.maximum(sizes, 1.0)))
        feasible = cons.max_parked_share is None or worst_all <= cons.max_parked_share + 1e-12
    if cons.monotone:
        floors = np.maximum.accumulate(floors)
    if cons.max_fee_ratio is not None:
        # raise the lowest floors into the window the ratio allows (raising never parks more)
        low = GRID[int(floors.max())] / cons.max_fee_ratio
        floors = np.maximum(floors, int(np.searchsorted(GRID, low * (1 - 1e-12), side="left")))
    if objective == "planner_gap" and target is not None:
        obj = -problem_tables(prob, kernel, target)["abs_gap"][order]
    else:
        obj = t["ewaj"][order]
    lv = best_levels(
        obj,
        cost,
        budget_out,
        floors,
        GRID,
        monotone=cons.monotone,
        max_ratio=cons.max_fee_ratio,
    )
    factors = np.empty(cost.shape[0])
    factors[order] = GRID[lv.index]
    return factors, tstar, feasible


def build_cells(
    prob: TariffProblem, factors: NDArray[np.float64], attachment: float, name: str
) -> Contract:
    """Build the contract paying each cell the baseline's average outcome fees times its factor."""
    reason = (
        f"proposed by the pbr-fairness optimiser on a caseload of {prob.n} people: outcome fees "
        f"of {prob.baseline.name} (caseload average) times a factor per "
        f"{'band' if prob.basis == 'distance_band' else 'payment group'}"
    )
    tariffs = [
        b.scaled(float(f), attachment) for b, f in zip(prob.cell_bases, factors, strict=True)
    ]
    desc = (
        f"Fairer tariff proposed against {prob.baseline.name} at the same or lower expected "
        "spend: outcome fees set so that the provider's own best response serves those "
        "furthest from work."
    )
    window = prob.baseline.window_months
    if prob.basis == "distance_band":
        assert prob.edges is not None
        return band_contract(
            name,
            desc,
            prob.edges,
            tariffs,
            minimum_hours=prob.minimum,
            window_months=window,
            reason=reason,
        )
    groups = dict(zip(prob.cell_labels, tariffs, strict=True))
    if prob.baseline.spec.groups is not None:
        for g, t in prob.baseline.tariffs.items():
            groups.setdefault(g, t)
    return group_contract(
        name, desc, groups, minimum_hours=prob.minimum, window_months=window, reason=reason
    )


def cell_arrays(
    prob: TariffProblem, factors: NDArray[np.float64], attachment: float
) -> dict[str, NDArray[np.float64]]:
    """Per-person tariff arrays equal to those of :func:`_build_cells`'s contract."""
    tariffs = [
        b.scaled(float(f), attachment) for b, f in zip(prob.cell_bases, factors, strict=True)
    ]
    table = {
        "A": np.array([t.attachment_fee for t in tariffs]),
        "J": np.array([t.job_outcome_fee for t in tariffs]),
        "S": np.array([t.sustainment_fee for t in tariffs]),
        "M": np.array([float(t.max_sustainment_payments) for t in tariffs]),
        "trigger_weeks": np.array([t.trigger_weeks for t in tariffs]),
    }
    return {k: v[prob.cell] for k, v in table.items()}


def solve_cells(
    prob: TariffProblem,
    budget: float,
    cons: TariffConstraints,
    objective: str,
    name: str,
    goals: list[Goal],
) -> Solution:
    """Propose one factor per cell for one budget (see the module docstring)."""
    kernel = prob.kernel
    target = None
    best: Solution | None = None
    rounds = 3 if objective == "planner_gap" else 1
    notes: list[str] = []
    for _cap_round in range(3):
        budget_out = budget - prob.n * cons.attachment_fee
        found = None
        gi, goal = 0, goals[0]
        for gi, goal in enumerate(goals):  # noqa: B007  (used after the loop)
            found = cell_levels(prob, kernel, budget_out, goal, cons, objective, None)
            if found is not None:
                break
        if found is None:  # pragma: no cover - the last goal has no floors
            found = (np.zeros(len(prob.cell_labels)), float("nan"), False)
        if goal.equity_jobs is None and any(g.equity_jobs is not None for g in goals):
            notes.append(
                "the floors on (equity-weighted) additional jobs cannot be met within the "
                "budget: parking is reduced without them"
            )
        for _ in range(rounds):
            if target is not None:
                again = cell_levels(prob, kernel, budget_out, goal, cons, objective, target)
                if again is not None:
                    found = again
            factors, tstar, feasible = found
            shape = factors[prob.cell]

            def arrays(
                s: float, a: float, factors: NDArray[np.float64] = factors
            ) -> dict[str, NDArray[np.float64]]:
                return cell_arrays(prob, factors * s, a)

            ev, scale, attachment = finish(
                prob, arrays, shape, budget, cons, kernel, scale_up=objective != "planner_gap"
            )
            contract = LazyContract(
                partial(build_cells, prob, factors * scale, attachment, name)
            )
            m = prob.measures(ev)
            ok = feasible and (
                cons.max_parked_share is None
                or m["worst_parked_share"] <= cons.max_parked_share + 1e-9
            )
            sol = Solution(
                contract,
                ev,
                m,
                budget,
                attachment,
                ok,
                tstar,
                {
                    "factors": dict(zip(prob.cell_labels, (factors * scale).tolist(), strict=True)),
                    "goal": gi,
                },
            )
            if best is None or better(sol, best, objective):
                best = sol
            target = ev.planner_hours
        assert best is not None
        last = best
        if not best.evaluation.capacity_binds.any() or _cap_round == 2:
            break
        kernel = kernel.with_mu(marginal_cost_per_person(prob, best.evaluation))
        target = None
        best = None
        notes.append(
            "capacity binds: the marginal cost of an hour was updated and the search redone"
        )
    best = best or last
    return Solution(**{**best.__dict__, "notes": tuple(dict.fromkeys(notes))})
