"""Tables of one tariff problem: every cell's sums at every fee factor, and parked counts.

The engine's factor tables (:mod:`pbr_fairness.engine.factors`) per cell of the problem
(payment group or band), with the parked counts of every capped group, cached per marginal
cost; and the order of the cells from closest to furthest from work.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from pbr_fairness.engine.factors import (
    Kernel,
    abs_gap_exact,
    cell_tables,
    cell_tables_exact,
    threshold_counts,
)
from pbr_fairness.tariffs.setup import TariffProblem
from pbr_fairness.tariffs.solution import GRID

__all__ = ["distance_order", "group_codes", "problem_tables"]


def group_codes(prob: TariffProblem) -> tuple[list[NDArray[np.intp]], list[int]]:
    """Return the codes and group counts of every capped breakdown of the problem."""
    codes, sizes = [], []
    for b in prob.capped:
        bd = prob.pop.breakdowns[b]
        codes.append(bd.codes.astype(np.intp))
        sizes.append(len(bd.labels))
    return codes, sizes


def problem_tables(
    prob: TariffProblem, kernel: Kernel, target: NDArray[np.float64] | None = None
) -> dict[str, Any]:
    """Return the cell tables of spend, hours and jobs at every factor, and the parked counts.

    With ``target`` (the planner's hours) only ``abs_gap``, the hours that would have to move.
    """
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
        codes, n_groups = group_codes(prob)
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


def distance_order(prob: TariffProblem) -> NDArray[np.intp]:
    """Cells from closest to furthest from work."""
    if prob.basis == "distance_band":
        return np.arange(len(prob.cell_labels))
    q = prob.predicted if prob.predicted is not None else prob.pop.perceived_p0
    mean_q = np.bincount(prob.cell, weights=q) / np.maximum(np.bincount(prob.cell), 1)
    return np.argsort(-mean_q, kind="stable").astype(np.intp)
