"""The smooth solver: outcome fees as a power of the predicted probability of a job outcome.

Shapes ``(reference / max(q, floor)) ** elasticity`` are scanned on a subsample, each scaled to
the budget; the best for the goals is refined on a finer grid of elasticities, then fitted to
the budget and evaluated exactly (:mod:`pbr_fairness.tariffs.finish`).
"""

from __future__ import annotations

from functools import partial

import numpy as np
from numpy.typing import NDArray

from pbr_fairness.contracts import Contract
from pbr_fairness.engine.factors import Kernel, person_response
from pbr_fairness.engine.planner import planner_hours
from pbr_fairness.tariffs.cells import Goal
from pbr_fairness.tariffs.constraints import TariffConstraints
from pbr_fairness.tariffs.finish import finish, marginal_cost_per_person, scale_to
from pbr_fairness.tariffs.measures import TARGET_MEASURE
from pbr_fairness.tariffs.proposal import smooth_contract
from pbr_fairness.tariffs.setup import TariffProblem
from pbr_fairness.tariffs.solution import LazyContract, Solution, smooth_factor_of
from pbr_fairness.tariffs.tables import group_codes

__all__ = [
    "SMOOTH_ELASTICITIES",
    "SMOOTH_FLOOR_QUANTILES",
    "build_smooth",
    "reference_probability",
    "scan_shape_arrays",
    "scan_shapes",
    "solve_smooth",
]

#: Exponents and floors tried for the smooth basis.
SMOOTH_ELASTICITIES: NDArray[np.float64] = np.round(np.arange(0.0, 4.001, 0.1), 2)
SMOOTH_FLOOR_QUANTILES: tuple[float, ...] = (0.0, 0.05, 0.1, 0.2)
_SUBSAMPLE = 25_000


def subsample(prob: TariffProblem) -> NDArray[np.intp]:
    if prob.n <= _SUBSAMPLE:
        return np.arange(prob.n)
    return np.sort(np.random.default_rng(0).choice(prob.n, _SUBSAMPLE, replace=False))


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
    ref = reference_probability(prob)
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
    idx = subsample(prob)
    sub = kernel.take(idx)
    weight = prob.n / idx.size
    r = sub.thresholds()
    codes, n_groups = group_codes(prob)
    sub_codes = [c[idx] for c in codes]
    dec = prob.pop.breakdowns["decile_true_p0"].codes[idx]
    rows = []
    for params, full_shape in shapes:
        shape = np.asarray(full_shape, dtype=float)[idx]
        kappa = scale_to(sub, shape, budget_out, weight)
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


def reference_probability(prob: TariffProblem) -> float:
    """Return the smooth schedule's reference probability: the median prediction (3 dp)."""
    q = np.asarray(prob.predicted, dtype=float)
    return float(np.clip(np.round(np.median(q), 3), 0.001, 1.0))


def floor_candidates(prob: TariffProblem) -> list[float]:
    """Return the probability floors tried: quantiles of the prediction."""
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
    ref = reference_probability(prob)
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


def pick_shape(
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


def solve_smooth(
    prob: TariffProblem,
    budget: float,
    cons: TariffConstraints,
    objective: str,
    name: str,
    goals: list[Goal],
) -> Solution:
    """Propose a smooth schedule for one budget (see the module docstring)."""
    kernel = prob.kernel
    q = np.asarray(prob.predicted, dtype=float)
    ref = reference_probability(prob)
    notes: list[str] = []
    floors = floor_candidates(prob)
    coarse = [float(b) for b in SMOOTH_ELASTICITIES[::2]]
    step = float(SMOOTH_ELASTICITIES[1] - SMOOTH_ELASTICITIES[0])
    top = float(SMOOTH_ELASTICITIES[-1])
    sol: Solution | None = None

    def choose(rows: list[dict[str, float]]) -> tuple[int, dict[str, float] | None]:
        for i, goal in enumerate(goals):
            got = pick_shape(rows, goal, objective, cons)
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

        ev, scale, attachment = finish(prob, arrays, shape, budget, cons, kernel)
        contract = LazyContract(partial(build, scale, attachment))
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
        kernel = kernel.with_mu(marginal_cost_per_person(prob, ev))
        notes.append(
            "capacity binds: the marginal cost of an hour was updated and the search redone"
        )
    assert sol is not None
    return sol
