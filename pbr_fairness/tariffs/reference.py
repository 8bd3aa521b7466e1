"""The one-parameter reference tariff: outcome fees proportional to ``p_hat ** -beta``.

No attachment fee, the fees scaled to the same expected spend as the proposal's budget, and
``beta`` searched on a grid. It is what a commissioner could do without an optimiser (a tariff
"steeper" in predicted distance), and the bar the optimiser must clear.

Two forms:

- on the proposal's own basis (the default comparison): each payment group or band pays
  ``(mean p_hat of the cell) ** -beta`` times the baseline's average outcome fees, so that the
  comparison isolates what the optimiser adds on the same information;
- continuous (``smooth``): each person's fee is ``p_hat_i ** -beta``, a finer schedule than
  any band contract; reported beside it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pbr_fairness.contracts import Contract
from pbr_fairness.simulation import Evaluation
from pbr_fairness.tariffs.cells import build_cells
from pbr_fairness.tariffs.finish import scale_to
from pbr_fairness.tariffs.measures import TARGET_MEASURE
from pbr_fairness.tariffs.setup import TariffProblem, as_smooth
from pbr_fairness.tariffs.smooth import build_smooth, reference_probability, scan_shape_arrays
from pbr_fairness.tariffs.solution import smooth_factor_of

__all__ = ["REFERENCE_ELASTICITIES", "ReferenceTariff", "reference_tariff"]

#: Exponents ``beta`` searched.
REFERENCE_ELASTICITIES: tuple[float, ...] = tuple(
    float(b) for b in np.round(np.arange(0.0, 4.001, 0.1), 2)
)

_FLOOR = 1e-3


@dataclass(frozen=True, eq=False)
class ReferenceTariff:
    """The best reference tariff found and the scan over ``beta``.

    Attributes
    ----------
    form : {"cells", "continuous"}
        Fees per payment group / band, or per person.
    elasticity : float
        ``beta`` of the best reference tariff (smallest worst parked share in the lower
        half of true ``p0``; ties: most equity-weighted additional jobs).
    contract : Contract
        That tariff as a contract.
    measures : dict
        Its headline measures (exact evaluation on the whole caseload).
    evaluation : Evaluation
    best_equity_elasticity : float
        ``beta`` with the most equity-weighted additional jobs.
    best_equity_measures : dict
        Headline measures at that ``beta``.
    scan : pandas.DataFrame
        One row per ``beta``: worst parked shares and (equity-weighted) additional jobs (on
        a subsample of at most 25,000 people).
    """

    form: str
    elasticity: float
    contract: Contract
    measures: dict[str, float]
    evaluation: Evaluation
    best_equity_elasticity: float
    best_equity_measures: dict[str, float]
    scan: pd.DataFrame


def _cell_shape(prob: TariffProblem, beta: float) -> np.ndarray:
    q = np.asarray(prob.predicted, dtype=float)
    n_cells = len(prob.cell_labels)
    mean_q = np.bincount(prob.cell, weights=q, minlength=n_cells) / np.maximum(
        np.bincount(prob.cell, minlength=n_cells), 1
    )
    return (reference_probability(prob) / np.maximum(mean_q, _FLOOR)) ** beta


def _exact(
    prob: TariffProblem, form: str, beta: float, budget: float
) -> tuple[Contract, Evaluation, dict[str, float]]:
    q = np.asarray(prob.predicted, dtype=float)
    reason = (
        f"reference tariff: outcome fees proportional to predicted probability ** -{beta:g}, "
        "no attachment fee, scaled to the budget"
    )
    name = f"reference_beta_{beta:g}"
    if form == "continuous":
        shape = smooth_factor_of(q, reference_probability(prob), beta, _FLOOR)
        scale = scale_to(prob.kernel, shape, budget * (1 - 1e-7), 1.0)
        contract = build_smooth(prob, beta, _FLOOR, scale, 0.0, name, reason)
    else:
        cell_shape = _cell_shape(prob, beta)
        scale = scale_to(prob.kernel, cell_shape[prob.cell], budget * (1 - 1e-7), 1.0)
        contract = build_cells(prob, cell_shape * scale, 0.0, name)
    ev = prob.evaluate_contract(contract)
    return contract, ev, prob.measures(ev)


def reference_tariff(
    prob: TariffProblem, budget: float, *, form: str | None = None
) -> ReferenceTariff:
    """Search ``beta`` for the best reference tariff at ``budget`` (see the module docstring).

    ``form`` defaults to the problem's basis: ``"continuous"`` for ``smooth``, ``"cells"``
    for payment groups and bands.
    """
    if prob.predicted is None:
        raise ValueError("the reference tariff needs predicted probabilities")
    form = form or ("continuous" if prob.basis == "smooth" else "cells")
    if form not in ("cells", "continuous"):
        raise ValueError(f"form must be 'cells' or 'continuous', got {form!r}")
    if form == "continuous":
        prob = as_smooth(prob)
    q = np.asarray(prob.predicted, dtype=float)
    ref_p = reference_probability(prob)

    def shapes_for(betas: list[float]) -> list[tuple[dict[str, float], np.ndarray]]:
        return [
            (
                {"elasticity": float(b)},
                smooth_factor_of(q, ref_p, b, _FLOOR)
                if form == "continuous"
                else _cell_shape(prob, b)[prob.cell],
            )
            for b in betas
        ]

    def best_of(rows: list[dict[str, float]]) -> tuple[dict[str, float], dict[str, float]]:
        best = min(
            rows,
            key=lambda r: (round(r[TARGET_MEASURE], 4), -r["equity_weighted_additional_jobs"]),
        )
        return best, max(rows, key=lambda r: r["equity_weighted_additional_jobs"])

    # coarse grid (every other beta), then the neighbours of the best ones
    grid = list(REFERENCE_ELASTICITIES)
    coarse = grid[::2]
    rows = scan_shape_arrays(prob, prob.kernel, budget, shapes_for(coarse))
    best, beq = best_of(rows)
    step = grid[1] - grid[0]
    fine = sorted(
        {
            round(b + d, 2)
            for b in (best["elasticity"], beq["elasticity"])
            for d in (-step, step)
            if round(b + d, 2) in {round(g, 2) for g in grid} and round(b + d, 2) not in coarse
        }
    )
    if fine:
        rows += scan_shape_arrays(prob, prob.kernel, budget, shapes_for(fine))
        best, beq = best_of(rows)
    rows.sort(key=lambda r: r["elasticity"])
    scan = pd.DataFrame(rows)
    contract, ev, m = _exact(prob, form, best["elasticity"], budget)
    if beq["elasticity"] == best["elasticity"]:
        meq = m
    else:
        meq = _exact(prob, form, beq["elasticity"], budget)[2]
    return ReferenceTariff(form, best["elasticity"], contract, m, ev, beq["elasticity"], meq, scan)
