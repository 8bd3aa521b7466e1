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

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import brentq

from pbr_fairness.contracts import Contract
from pbr_fairness.engine.factors import (
    Kernel,
    abs_gap_exact,
    cell_tables,
    cell_tables_exact,
    person_response,
    threshold_counts,
)
from pbr_fairness.simulation import Evaluation, evaluate, planner_hours
from pbr_fairness.tariffs.constraints import TariffConstraints
from pbr_fairness.tariffs.measures import TARGET_MEASURE
from pbr_fairness.tariffs.proposal import band_contract, group_contract, smooth_contract
from pbr_fairness.tariffs.search import (
    Levels,
    best_levels,
    cheapest_cover,
    minimax_parking,
    polish_minimax,
)
from pbr_fairness.tariffs.setup import TariffProblem

__all__ = ["GRID", "Solution", "smooth_factor_of", "solve"]

log = logging.getLogger(__name__)

#: Outcome-fee factors tried per cell (multiples of the baseline's average outcome fees).
GRID: NDArray[np.float64] = np.r_[0.0, np.geomspace(0.01, 400.0, 255)]

#: Exponents and floors tried for the smooth basis.
SMOOTH_ELASTICITIES: NDArray[np.float64] = np.round(np.arange(0.0, 4.001, 0.1), 2)
SMOOTH_FLOOR_QUANTILES: tuple[float, ...] = (0.0, 0.05, 0.1, 0.2)
_SUBSAMPLE = 25_000


class _LazyContract:
    """Build a contract on first use (building validates and hashes: ~0.1 s)."""

    def __init__(self, factory: Callable[[], Contract]) -> None:
        self._factory = factory
        self._value: Contract | None = None

    def get(self) -> Contract:
        if self._value is None:
            self._value = self._factory()
        return self._value


@dataclass(frozen=True, eq=False)
class Solution:
    """A proposed contract at one budget and what the provider does under it."""

    lazy_contract: _LazyContract
    evaluation: Evaluation
    measures: dict[str, float]
    budget: float
    attachment_fee: float
    feasible: bool
    minimax_parked_share: float
    parameters: dict[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @property
    def contract(self) -> Contract:
        """The proposed contract (built on first use)."""
        return self.lazy_contract.get()


def smooth_factor_of(
    q: NDArray[np.float64], reference: float, elasticity: float, floor: float
) -> NDArray[np.float64]:
    """Return ``(reference / max(q, floor)) ** elasticity``, the smooth fee multiplier."""
    return (reference / np.maximum(q, floor)) ** elasticity


# ----------------------------------------------------------------------------- tables
def _group_codes(prob: TariffProblem) -> tuple[list[NDArray[np.intp]], list[int]]:
    codes, sizes = [], []
    for b in prob.capped:
        bd = prob.pop.breakdowns[b]
        codes.append(bd.codes.astype(np.intp))
        sizes.append(len(bd.labels))
    return codes, sizes


def _tables(
    prob: TariffProblem, kernel: Kernel, target: NDArray[np.float64] | None = None
) -> dict[str, Any]:
    key = ("tables", kernel.mu.tobytes()[:64], float(kernel.mu.sum()), target is not None)
    if target is None and key in prob.cache:
        return prob.cache[key]
    order = np.argsort(prob.cell, kind="stable").astype(np.intp)
    counts = np.bincount(prob.cell, minlength=len(prob.cell_labels))
    starts = np.r_[0, np.cumsum(counts)[:-1]].astype(np.intp)
    if target is not None and kernel.mission == 0:
        return {"abs_gap": abs_gap_exact(kernel, prob.cell, counts.size, GRID, target)}
    if target is None and kernel.mission == 0:
        t: dict[str, Any] = dict(cell_tables_exact(kernel, prob.cell, counts.size, GRID))
    else:
        t = dict(cell_tables(kernel, order, starts, GRID, target_hours=target))
    if target is None:
        r = kernel.thresholds()
        codes, n_groups = _group_codes(prob)
        parts, sizes, columns = [], [], []
        for b, c, g in zip(prob.capped, codes, n_groups, strict=True):
            parts.append(threshold_counts(r, prob.cell, c, counts.size, g, GRID))
            sizes.append(np.bincount(c[c >= 0], minlength=g).astype(float))
            columns += [(b, i) for i in range(g)]
        t["columns"] = columns
        t["parked"] = (
            np.concatenate(parts, axis=2) if parts else np.zeros((counts.size, GRID.size, 0))
        )
        t["sizes"] = np.concatenate(sizes) if sizes else np.zeros(0)
        prob.cache[key] = t
    return t


def _distance_order(prob: TariffProblem) -> NDArray[np.intp]:
    """Cells from closest to furthest from work."""
    if prob.basis == "distance_band":
        return np.arange(len(prob.cell_labels))
    q = prob.predicted if prob.predicted is not None else prob.pop.perceived_p0
    mean_q = np.bincount(prob.cell, weights=q) / np.maximum(np.bincount(prob.cell), 1)
    return np.argsort(-mean_q, kind="stable").astype(np.intp)


# ----------------------------------------------------------------------------- cells
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


def _cell_levels(
    prob: TariffProblem,
    kernel: Kernel,
    budget_out: float,
    goal: Goal,
    cons: TariffConstraints,
    objective: str,
    target: NDArray[np.float64] | None,
) -> tuple[NDArray[np.float64], float, bool] | None:
    """Levels for one goal, or ``None`` when the goal's floors cannot be met."""
    t = _tables(prob, kernel)
    order = _distance_order(prob)
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
        obj = -_tables(prob, kernel, target)["abs_gap"][order]
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


def _build_cells(
    prob: TariffProblem, factors: NDArray[np.float64], attachment: float, name: str
) -> Contract:
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


def _cell_arrays(
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


# ----------------------------------------------------------------------------- smooth
def _subsample(prob: TariffProblem) -> NDArray[np.intp]:
    if prob.n <= _SUBSAMPLE:
        return np.arange(prob.n)
    return np.sort(np.random.default_rng(0).choice(prob.n, _SUBSAMPLE, replace=False))


def _take(kernel: Kernel, idx: NDArray[np.intp]) -> Kernel:
    return Kernel(
        kernel.u[idx],
        kernel.g[idx],
        kernel.k[idx],
        kernel.p0[idx],
        kernel.gain[idx],
        kernel.w[idx],
        kernel.wn[idx],
        kernel.mu[idx],
        kernel.minimum,
        kernel.mission,
    )


def _scale_to(
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


def scan_shapes(
    prob: TariffProblem,
    kernel: Kernel,
    budget_out: float,
    shapes: list[tuple[float, float]],
    *,
    with_gap: bool = False,
) -> list[dict[str, float]]:
    """Measures of smooth shapes ``(elasticity, floor)`` at the budget, on a subsample."""
    q = np.asarray(prob.predicted, dtype=float)
    ref = _reference_probability(prob)
    arrays = [
        ({"elasticity": float(b), "floor": float(f)}, smooth_factor_of(q, ref, b, f))
        for b, f in shapes
    ]
    return scan_shape_arrays(prob, kernel, budget_out, arrays, with_gap=with_gap)


def scan_shape_arrays(
    prob: TariffProblem,
    kernel: Kernel,
    budget_out: float,
    shapes: list[tuple[dict[str, float], NDArray[np.float64]]],
    *,
    with_gap: bool = False,
) -> list[dict[str, float]]:
    """Measures of per-person fee shapes scaled to the budget, on a subsample.

    Each shape is ``(parameters, factor per person)``; the factor is scaled by ``kappa`` so
    that expected outcome payments equal ``budget_out``. Rows hold the parameters, ``scale``
    (``kappa``), the worst parked shares and (equity-weighted) additional jobs.
    """
    idx = _subsample(prob)
    sub = _take(kernel, idx)
    weight = prob.n / idx.size
    r = sub.thresholds()
    codes, n_groups = _group_codes(prob)
    sub_codes = [c[idx] for c in codes]
    dec = prob.pop.breakdowns["decile_true_p0"].codes[idx]
    rows = []
    for params, full_shape in shapes:
        shape = np.asarray(full_shape, dtype=float)[idx]
        kappa = _scale_to(sub, shape, budget_out, weight)
        f = kappa * shape
        hours, p, _ = person_response(sub, f)
        parked = f <= r
        worst = 0.0
        for cc, g in zip(sub_codes, n_groups, strict=True):
            keep = cc >= 0
            n_g = np.bincount(cc[keep], minlength=g)
            k_g = np.bincount(cc[keep], weights=parked[keep], minlength=g)
            worst = max(worst, float(np.max(np.where(n_g > 0, k_g / np.maximum(n_g, 1), 0.0))))
        n_d = np.bincount(dec, minlength=10)
        k_d = np.bincount(dec, weights=parked, minlength=10)
        lower = float(np.max(k_d[:5] / np.maximum(n_d[:5], 1)))
        row = {
            **params,
            "scale": float(kappa),
            "worst_parked_share": worst,
            "worst_parked_share_lower_half": lower,
            "equity_weighted_additional_jobs": float((sub.wn * (p - sub.p0)).sum() * weight),
            "additional_jobs": float((p - sub.p0).sum() * weight),
        }
        if with_gap:
            e_star = planner_hours(
                sub.w, sub.gain, sub.k, total_hours=float(hours.sum()), minimum=sub.minimum
            )
            row["planner_gap"] = float(np.abs(hours - e_star).sum() / (2 * e_star.sum()))
        rows.append(row)
    return rows


def _reference_probability(prob: TariffProblem) -> float:
    q = np.asarray(prob.predicted, dtype=float)
    return float(np.clip(np.round(np.median(q), 3), 0.001, 1.0))


def _floors(prob: TariffProblem) -> list[float]:
    q = np.asarray(prob.predicted, dtype=float)
    out = sorted({float(max(np.round(np.quantile(q, a), 4), 1e-3)) for a in SMOOTH_FLOOR_QUANTILES})
    return out


def build_smooth(
    prob: TariffProblem,
    elasticity: float,
    floor: float,
    scale: float,
    attachment: float,
    name: str,
    reason: str | None = None,
) -> Contract:
    """Build the smooth contract with base fees ``scale`` times the baseline's average."""
    ref = _reference_probability(prob)
    base = prob.cell_bases[0].scaled(scale, attachment)
    top = float((ref / floor) ** elasticity)
    return smooth_contract(
        name,
        "Outcome fees as a smooth function of the predicted probability of a job outcome, at "
        f"the same or lower expected spend as {prob.baseline.name}.",
        base,
        reference_probability=ref,
        elasticity=float(elasticity),
        probability_floor=float(floor),
        max_factor=float(np.ceil(top * 1.0001 + 1e-9)),
        minimum_hours=prob.minimum,
        window_months=prob.baseline.window_months,
        reason=reason
        or (
            f"proposed by the pbr-fairness optimiser on a caseload of {prob.n} people "
            f"(elasticity and floor searched, fees scaled to the budget)"
        ),
    )


def _pick(
    rows: list[dict[str, float]], goal: Goal, objective: str, cons: TariffConstraints
) -> dict[str, float] | None:
    """Return the best smooth shape for a goal, or ``None`` if no shape meets its floors."""

    def obj(r: dict[str, float]) -> float:
        if objective == "planner_gap" and "planner_gap" in r:
            return -r["planner_gap"]
        return r["equity_weighted_additional_jobs"]

    key = TARGET_MEASURE if cons.priority_deciles else "worst_parked_share"
    user_cap = 1.0 if cons.max_parked_share is None else cons.max_parked_share
    ok = [
        r
        for r in rows
        if (goal.equity_jobs is None or r["equity_weighted_additional_jobs"] >= goal.equity_jobs)
        and (goal.additional_jobs is None or r["additional_jobs"] >= goal.additional_jobs)
    ]
    if not ok:
        return None
    capped = [
        r
        for r in ok
        if (goal.cap is None or r[key] <= goal.cap + 1e-12)
        and r["worst_parked_share"] <= max(user_cap, r[key]) + 1e-12
    ]
    best = (
        max(capped, key=obj)
        if capped
        else min(ok, key=lambda r: (round(r[key], 4), round(r["worst_parked_share"], 4), -obj(r)))
    )
    if goal.beat_parked is not None and best[key] >= goal.beat_parked:
        return None
    return best


# ----------------------------------------------------------------------------- finishing
def _finish(
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
    cost = prob.provider.cost_per_hour

    def fitted(attachment: float) -> float:
        budget_out = max(budget - n * attachment, 0.0)
        spent = prob.outcome_spend(shape, kernel)
        if scale_up and spent < budget_out and np.any(shape > 0):
            return max(1.0, _scale_to(kernel, shape, budget_out * (1 - 1e-7), 1.0))
        if spent > budget_out:
            return _scale_to(kernel, shape, budget_out * (1 - 1e-7), 1.0)
        return 1.0

    def profit_at(attachment: float) -> float:
        s = fitted(attachment)
        hours, _, pay = person_response(kernel, s * shape)
        return float(n * attachment + pay.sum() - cost * hours.sum())

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
            prob.pop, arrays(s, a), prob.provider, minimum_hours=prob.minimum, with_planner=planner
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


def _mu_of(prob: TariffProblem, ev: Evaluation) -> NDArray[np.float64]:
    mu = np.empty(prob.n)
    for j, idx in enumerate(prob.pop.provider_index):
        mu[idx] = ev.marginal_cost[j]
    return mu


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
        return _solve_smooth(prob, budget, cons, objective, name, goals)
    return _solve_cells(prob, budget, cons, objective, name, goals)


def _solve_cells(
    prob: TariffProblem,
    budget: float,
    cons: TariffConstraints,
    objective: str,
    name: str,
    goals: list[Goal],
) -> Solution:
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
            found = _cell_levels(prob, kernel, budget_out, goal, cons, objective, None)
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
                again = _cell_levels(prob, kernel, budget_out, goal, cons, objective, target)
                if again is not None:
                    found = again
            factors, tstar, feasible = found
            shape = factors[prob.cell]

            def arrays(
                s: float, a: float, factors: NDArray[np.float64] = factors
            ) -> dict[str, NDArray[np.float64]]:
                return _cell_arrays(prob, factors * s, a)

            ev, scale, attachment = _finish(
                prob, arrays, shape, budget, cons, kernel, scale_up=objective != "planner_gap"
            )
            contract = _LazyContract(
                lambda f=factors * scale, a=attachment: _build_cells(prob, f, a, name)
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
            if best is None or _better(sol, best, objective):
                best = sol
            target = ev.planner_hours
        assert best is not None
        last = best
        if not best.evaluation.capacity_binds.any() or _cap_round == 2:
            break
        kernel = kernel.with_mu(_mu_of(prob, best.evaluation))
        target = None
        best = None
        notes.append(
            "capacity binds: the marginal cost of an hour was updated and the search redone"
        )
    best = best or last
    return Solution(**{**best.__dict__, "notes": tuple(dict.fromkeys(notes))})


def _better(a: Solution, b: Solution, objective: str) -> bool:
    if objective == "planner_gap":
        return a.measures["planner_gap"] < b.measures["planner_gap"]
    return (
        a.measures["equity_weighted_additional_jobs"]
        > b.measures["equity_weighted_additional_jobs"]
    )


def _solve_smooth(
    prob: TariffProblem,
    budget: float,
    cons: TariffConstraints,
    objective: str,
    name: str,
    goals: list[Goal],
) -> Solution:
    kernel = prob.kernel
    q = np.asarray(prob.predicted, dtype=float)
    ref = _reference_probability(prob)
    notes: list[str] = []
    floors = _floors(prob)
    coarse = [float(b) for b in SMOOTH_ELASTICITIES[::2]]
    step = float(SMOOTH_ELASTICITIES[1] - SMOOTH_ELASTICITIES[0])
    top = float(SMOOTH_ELASTICITIES[-1])
    sol: Solution | None = None

    def choose(rows: list[dict[str, float]]) -> tuple[int, dict[str, float] | None]:
        for i, goal in enumerate(goals):
            got = _pick(rows, goal, objective, cons)
            if got is not None:
                return i, got
        return len(goals) - 1, None

    for _cap_round in range(3):
        budget_out = budget - prob.n * cons.attachment_fee
        gap = objective == "planner_gap"
        # coarse grid of elasticities, then the neighbours of the chosen one at each floor
        rows = scan_shapes(
            prob, kernel, budget_out, [(b, f) for b in coarse for f in floors], with_gap=gap
        )
        gi, best = choose(rows)
        if best is not None:
            fine = [
                (round(best["elasticity"] + d, 2), f)
                for d in (-step, step)
                for f in floors
                if 0.0 <= best["elasticity"] + d <= top + 1e-9
            ]
            rows += scan_shapes(prob, kernel, budget_out, fine, with_gap=gap)
            gi, best = choose(rows)
        if best is None:  # pragma: no cover - the last goal has no floors
            best = min(rows, key=lambda r: r["worst_parked_share"])
        beta, floor = best["elasticity"], best["floor"]
        shape = smooth_factor_of(q, ref, beta, floor)

        def build(s: float, a: float, beta: float = beta, floor: float = floor) -> Contract:
            return build_smooth(prob, beta, floor, s, a, name)

        def arrays(s: float, a: float) -> dict[str, NDArray[np.float64]]:
            return build(s, a).tariff_per_person(prob.caseload, prob.predicted)

        ev, scale, attachment = _finish(prob, arrays, shape, budget, cons, kernel)
        contract = _LazyContract(lambda s=scale, a=attachment: build(s, a))
        m = prob.measures(ev)
        feasible = (
            cons.max_parked_share is None or m["worst_parked_share"] <= cons.max_parked_share + 1e-9
        )
        sol = Solution(
            contract,
            ev,
            m,
            budget,
            attachment,
            feasible,
            float(min(r["worst_parked_share"] for r in rows)),
            {
                "elasticity": beta,
                "probability_floor": floor,
                "reference_probability": ref,
                "scale": scale,
                "goal": gi,
            },
            tuple(notes),
        )
        if not ev.capacity_binds.any() or _cap_round == 2:
            break
        kernel = kernel.with_mu(_mu_of(prob, ev))
        notes.append(
            "capacity binds: the marginal cost of an hour was updated and the search redone"
        )
    assert sol is not None
    return sol
