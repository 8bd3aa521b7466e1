"""Searches over per-cell fee levels on precomputed tables (no people involved).

Two steps, both on the tables of :func:`pbr_fairness.engine.factors.cell_tables` and
:func:`~pbr_fairness.engine.factors.threshold_counts`:

1. :func:`cheapest_cover`: the cheapest levels under which every group's parked count is
   within its allowance (a greedy covering: raise the cell whose next level removes the
   most excess parking per pound), and :func:`minimax_parking`, the smallest parked share
   reachable within a budget (bisection on the allowance);
2. :func:`best_levels`: the levels maximising a separable objective within the budget, at or
   above the floors of step 1, optionally monotone across cells and with a cap on the ratio
   of the highest to the lowest factor (Lagrangian relaxation of the budget, dynamic
   programme over cells for the monotone constraint).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["Levels", "best_levels", "cheapest_cover", "minimax_parking"]


@dataclass(frozen=True)
class Levels:
    """Chosen level index per cell and what it costs."""

    index: NDArray[np.intp]
    cost: float
    value: float = float("nan")


def cheapest_cover(
    parked: NDArray[np.float64],
    cost: NDArray[np.float64],
    allowed: NDArray[np.float64],
    floor: NDArray[np.intp],
    *,
    budget: float = np.inf,
) -> Levels | None:
    """Cheapest levels (greedy) with every group's parked count ``<= allowed``.

    Parameters
    ----------
    parked : numpy.ndarray
        ``(cells, L, groups)`` parked counts, non-increasing along levels.
    cost : numpy.ndarray
        ``(cells, L)`` cost, non-decreasing along levels.
    allowed : numpy.ndarray
        ``(groups,)`` most parked people allowed per group.
    floor : numpy.ndarray
        Lowest level index per cell.
    budget : float
        Give up (return ``None``) once the cost exceeds it.

    Returns
    -------
    Levels or None
        ``None`` if no levels meet the allowances within the budget.
    """
    cells, n_lev, _ = parked.shape
    rows = np.arange(cells)
    lev = np.asarray(floor, dtype=np.intp).copy()
    upper = np.arange(n_lev)[None, :]
    for _ in range(cells * n_lev + 1):
        at = parked[rows, lev, :]
        excess = np.maximum(at.sum(axis=0) - allowed, 0.0)
        total_cost = float(cost[rows, lev].sum())
        if total_cost > budget * (1 + 1e-12) + 1e-9:
            return None
        if excess.sum() <= 0:
            return Levels(lev, total_cost)
        drop = at[:, None, :] - parked
        gain = np.minimum(drop, excess[None, None, :]).clip(min=0.0).sum(axis=2)
        dc = cost - cost[rows, lev][:, None]
        ok = (upper > lev[:, None]) & (gain > 0)
        if not ok.any():
            return None
        ratio = np.where(ok, gain / np.maximum(dc, 1e-9), -np.inf)
        b, lv = np.unravel_index(int(np.argmax(ratio)), ratio.shape)
        lev[b] = lv
    return None  # pragma: no cover


def minimax_parking(
    parked: NDArray[np.float64],
    cost: NDArray[np.float64],
    sizes: NDArray[np.float64],
    floor: NDArray[np.intp],
    budget: float,
    *,
    allowed: Callable[[float], NDArray[np.float64]] | None = None,
    tol: float = 1e-3,
) -> tuple[float, Levels | None]:
    """Smallest share ``t`` with a cover of every group at ``t`` within ``budget``.

    ``allowed(t)`` gives the allowance of every column of ``parked`` at share ``t`` (default
    ``floor(t * sizes)``; extra columns can carry fixed allowances). Returns ``(t, levels)``;
    ``levels`` is ``None`` when no cover fits the budget even at ``t = 1``.
    """
    sizes = np.asarray(sizes, dtype=float)
    if allowed is None:

        def allowed(t: float) -> NDArray[np.float64]:
            return np.floor(t * sizes + 1e-9)

    def at(t: float, start: NDArray[np.intp]) -> Levels | None:
        return cheapest_cover(parked, cost, allowed(t), start, budget=budget)

    best = at(1.0, floor)
    if best is None:
        return 1.0, None
    lo, hi = 0.0, 1.0
    zero = at(0.0, best.index)
    if zero is not None:
        return 0.0, zero
    while hi - lo > tol:
        mid = 0.5 * (lo + hi)
        # warm start: a tighter allowance needs at least as much as the last cover
        got = at(mid, best.index)
        if got is None:
            lo = mid
        else:
            hi, best = mid, got
    return hi, best


def _dp_monotone(
    score: NDArray[np.float64], lo: NDArray[np.intp], hi: NDArray[np.intp]
) -> NDArray[np.intp]:
    """Maximise ``sum_c score[c, l_c]`` with ``l_0 <= l_1 <= ...`` and ``lo <= l <= hi``."""
    cells, n_lev = score.shape
    idx = np.arange(n_lev)
    masked = np.where((idx[None, :] >= lo[:, None]) & (idx[None, :] <= hi[:, None]), score, -np.inf)
    best = masked[0].copy()
    arg = np.empty((cells, n_lev), dtype=np.intp)
    arg[0] = idx
    for c in range(1, cells):
        pm = np.maximum.accumulate(best)
        pa = _running_argmax(best)
        best = masked[c] + pm
        arg[c] = pa
    out = np.empty(cells, dtype=np.intp)
    out[-1] = int(np.argmax(best))
    for c in range(cells - 1, 0, -1):
        out[c - 1] = arg[c, out[c]]
    return out


def _running_argmax(a: NDArray[np.float64]) -> NDArray[np.intp]:
    pm = np.maximum.accumulate(a)
    is_new = np.r_[True, a[1:] > pm[:-1]]
    pos = np.where(is_new, np.arange(a.size), 0)
    return np.maximum.accumulate(pos)


def _choose(
    score: NDArray[np.float64],
    lo: NDArray[np.intp],
    hi: NDArray[np.intp],
    monotone: bool,
) -> NDArray[np.intp]:
    if monotone:
        return _dp_monotone(score, lo, hi)
    idx = np.arange(score.shape[1])
    masked = np.where((idx[None, :] >= lo[:, None]) & (idx[None, :] <= hi[:, None]), score, -np.inf)
    return np.argmax(masked, axis=1)


def best_levels(
    objective: NDArray[np.float64],
    cost: NDArray[np.float64],
    budget: float,
    floor: NDArray[np.intp],
    grid: NDArray[np.float64],
    *,
    monotone: bool = False,
    max_ratio: float | None = None,
    iterations: int = 40,
) -> Levels:
    """Levels maximising ``sum objective`` with ``sum cost <= budget`` and levels ``>= floor``.

    The budget is relaxed with a multiplier ``nu`` (bisection on ``log nu``): each ``nu`` gives
    the levels maximising ``objective - nu * cost``, the cheapest ``nu`` within budget wins.
    With ``max_ratio`` every window ``[grid[j], max_ratio * grid[j]]`` of factors is tried.
    If even the floors exceed the budget, the floors are returned.
    """
    cells, n_lev = cost.shape
    rows = np.arange(cells)
    floor = np.asarray(floor, dtype=np.intp)
    windows: list[tuple[NDArray[np.intp], NDArray[np.intp]]] = []
    if max_ratio is None:
        windows.append((floor, np.full(cells, n_lev - 1)))
    else:
        for j in range(n_lev):
            if grid[j] <= 0:
                continue
            top = int(np.searchsorted(grid, grid[j] * max_ratio * (1 + 1e-12), side="right")) - 1
            lo = np.maximum(floor, j)
            if np.any(lo > top):
                continue
            windows.append((lo, np.full(cells, top)))
        if not windows:
            windows.append((floor, np.full(cells, n_lev - 1)))

    best: Levels | None = None
    for lo, hi in windows:
        base = _choose(-cost, lo, hi, monotone)  # cheapest feasible levels in the window
        if cost[rows, base].sum() > budget:
            continue
        lo_nu, hi_nu = -12.0, 12.0
        scale = max(float(np.abs(objective).max()), 1e-12) / max(float(cost.max()), 1e-12)
        pick = base
        free = _choose(objective, lo, hi, monotone)
        if cost[rows, free].sum() <= budget:
            pick = free
        else:
            for _ in range(iterations):
                mid = 0.5 * (lo_nu + hi_nu)
                lv = _choose(objective - scale * np.exp(mid) * cost, lo, hi, monotone)
                if cost[rows, lv].sum() <= budget:
                    hi_nu, pick = mid, lv
                else:
                    lo_nu = mid
        val = float(objective[rows, pick].sum())
        if best is None or val > best.value:
            best = Levels(pick, float(cost[rows, pick].sum()), val)
    if best is None:
        return Levels(floor, float(cost[rows, floor].sum()), float(objective[rows, floor].sum()))
    return best


def polish_minimax(
    parked: NDArray[np.float64],
    cost: NDArray[np.float64],
    sizes: NDArray[np.float64],
    extra_allowed: NDArray[np.float64],
    start: NDArray[np.intp],
    budget: float,
    *,
    sweeps: int = 200,
) -> NDArray[np.intp]:
    """Improve a minimax solution by moves and pairwise exchanges of fee levels.

    Minimises the worst parked share over the first ``len(sizes)`` columns of ``parked``
    while the remaining columns stay within ``extra_allowed`` and the cost within
    ``budget``. Each sweep tries every single move of one cell (within the budget) and every
    raise of one cell paid for by lowering another, and keeps the best.
    """
    cells = parked.shape[0]
    g = sizes.size
    rows = np.arange(cells)
    lev = np.asarray(start, dtype=np.intp).copy()
    inv = 1.0 / np.maximum(sizes, 1.0)

    def score(counts: NDArray[np.float64]) -> NDArray[np.float64]:
        """Worst share (inf when an extra column is over its allowance); last axis = columns."""
        s = np.max(counts[..., :g] * inv, axis=-1)
        if counts.shape[-1] > g:
            bad = np.any(counts[..., g:] > extra_allowed + 1e-9, axis=-1)
            s = np.where(bad, np.inf, s)
        return s

    cur_counts = parked[rows, lev, :].sum(axis=0)
    cur_cost = float(cost[rows, lev].sum())
    cur = float(score(cur_counts))
    for _ in range(sweeps):
        slack = budget - cur_cost
        at = parked[rows, lev, :]  # (cells, cols)
        at_cost = cost[rows, lev]  # (cells,)
        # single moves: cell i to level a within the slack
        dc = cost - at_cost[:, None]  # (cells, L)
        cand = cur_counts[None, None, :] - at[:, None, :] + parked  # (cells, L, cols)
        s1 = np.where(dc <= slack + 1e-9, score(cand), np.inf)
        i1, a1 = np.unravel_index(int(np.argmin(s1)), s1.shape)
        best_move: tuple[tuple[int, int], ...]
        best_s, best_move = float(s1[i1, a1]), ((int(i1), int(a1)),)
        # exchanges: raise i to a, lower j to the highest level that restores the budget
        for j in range(cells):
            room = at_cost[j] + slack - dc  # cost cell j may keep, for each (i, a)
            bj = np.searchsorted(cost[j], room + 1e-9, side="right") - 1  # (cells, L)
            bj = np.minimum(bj, lev[j])
            ok = bj >= 0
            bj = np.maximum(bj, 0)
            counts = cand - at[j][None, None, :] + parked[j][bj]
            s2 = np.where(ok, score(counts), np.inf)
            s2[j] = np.inf
            i2, a2 = np.unravel_index(int(np.argmin(s2)), s2.shape)
            if s2[i2, a2] < best_s - 1e-12:
                best_s = float(s2[i2, a2])
                best_move = ((int(i2), int(a2)), (j, int(bj[i2, a2])))
        if not best_s < cur - 1e-12:
            break
        for c, lv in best_move:
            lev[c] = lv
        cur_counts = parked[rows, lev, :].sum(axis=0)
        cur_cost = float(cost[rows, lev].sum())
        cur = best_s
    return lev
