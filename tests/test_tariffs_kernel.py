"""The optimiser's kernels and searches against slow, obviously correct references."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pbr_fairness.engine.factors import (
    Kernel,
    abs_gap_exact,
    cell_tables,
    cell_tables_exact,
    person_response,
    threshold_counts,
)
from pbr_fairness.simulation import allocate_hours
from pbr_fairness.tariffs.search import (
    best_levels,
    cheapest_cover,
    minimax_parking,
    polish_minimax,
)


def _kernel(seed: int, n: int = 400, mission: float = 0.0) -> Kernel:
    rng = np.random.default_rng(seed)
    p0 = rng.uniform(0.01, 0.7, n)
    gain = p0 * rng.uniform(0.02, 0.6, n)
    k = rng.uniform(0.1, 0.9, n)
    u = rng.uniform(800, 4000, n)
    perceived_gain = gain * rng.uniform(0.5, 1.5, n)
    w = rng.uniform(0.5, 2.0, n) * 10_000
    return Kernel(u, perceived_gain, k, p0, gain, w, w / 10_000, np.full(n, 20.0), 2.0, mission)


GRID = np.r_[0.0, np.geomspace(0.01, 300.0, 50)]


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 6))
def test_exact_tables_equal_brute_force(seed: int, cells: int) -> None:
    ker = _kernel(seed)
    cell = np.random.default_rng(seed + 1).integers(0, cells, ker.n)
    cell[:cells] = np.arange(cells)  # no empty cell
    order = np.argsort(cell, kind="stable")
    starts = np.r_[0, np.cumsum(np.bincount(cell, minlength=cells))[:-1]]
    slow = cell_tables(ker, order, starts, GRID)
    fast = cell_tables_exact(ker, cell, cells, GRID)
    for key in fast:
        np.testing.assert_allclose(fast[key], slow[key], rtol=1e-9, atol=1e-6)


@settings(max_examples=10, deadline=None)
@given(st.integers(0, 10_000))
def test_exact_gap_table_equals_brute_force(seed: int) -> None:
    ker = _kernel(seed)
    rng = np.random.default_rng(seed + 2)
    cell = rng.integers(0, 4, ker.n)
    cell[:4] = np.arange(4)
    target = ker.minimum + rng.exponential(3.0, ker.n) * (rng.random(ker.n) < 0.8)
    order = np.argsort(cell, kind="stable")
    starts = np.r_[0, np.cumsum(np.bincount(cell, minlength=4))[:-1]]
    slow = cell_tables(ker, order, starts, GRID, target_hours=target)["abs_gap"]
    np.testing.assert_allclose(
        abs_gap_exact(ker, cell, 4, GRID, target), slow, rtol=1e-9, atol=1e-6
    )


def test_person_response_matches_allocation_kernel() -> None:
    ker = _kernel(3)
    f = np.full(ker.n, 1.7)
    hours, p, pay = person_response(ker, f)
    ref = allocate_hours(f * ker.u, ker.gk / ker.k, ker.k, cost=20.0, minimum=2.0)
    np.testing.assert_allclose(hours, ref.hours, rtol=1e-12)
    np.testing.assert_allclose(pay, f * ker.u * p)


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 10_000), st.floats(0.0, 0.9))
def test_threshold_decides_parking(seed: int, mission: float) -> None:
    ker = _kernel(seed, n=200, mission=mission)
    r = ker.thresholds()
    for f in (0.05, 0.5, 2.0, 20.0):
        hours, _, _ = person_response(ker, np.full(ker.n, f))
        parked = hours <= ker.minimum + 1e-9
        clear = np.abs(f - r) > 1e-6 * np.maximum(1.0, np.abs(r))
        np.testing.assert_array_equal(parked[clear], (f <= r)[clear])


def test_threshold_counts_against_loop() -> None:
    rng = np.random.default_rng(0)
    n, cells, groups = 300, 3, 4
    r = rng.lognormal(0, 1, n)
    cell = rng.integers(0, cells, n)
    group = rng.integers(-1, groups, n)
    got = threshold_counts(r, cell, group, cells, groups, GRID)
    want = np.zeros_like(got)
    for i in range(n):
        if group[i] < 0:
            continue
        for lv, f in enumerate(GRID):
            if f <= r[i]:
                want[cell[i], lv, group[i]] += 1
    np.testing.assert_array_equal(got, want)


def _toy(seed: int, cells: int = 3, levels: int = 6, groups: int = 3):
    rng = np.random.default_rng(seed)
    parked = np.sort(rng.integers(0, 20, (cells, levels, groups)), axis=1)[:, ::-1, :].astype(float)
    cost = np.sort(rng.uniform(0, 10, (cells, levels)), axis=1)
    cost[:, 0] = 0.0
    sizes = parked[:, 0, :].sum(axis=0) + 1
    return parked, cost, sizes


def _all_levels(cells: int, levels: int):
    return (np.array(v) for v in itertools.product(range(levels), repeat=cells))


@pytest.mark.parametrize("seed", range(8))
def test_cover_meets_allowances_and_minimax_is_near_exhaustive(seed: int) -> None:
    parked, cost, sizes = _toy(seed)
    cells, levels, _ = parked.shape
    rows = np.arange(cells)
    allowed = np.floor(0.3 * sizes)
    cover = cheapest_cover(parked, cost, allowed, np.zeros(cells, dtype=np.intp))
    if cover is not None:
        assert np.all(parked[rows, cover.index, :].sum(axis=0) <= allowed)
    budget = float(cost.sum(axis=0)[-1] * 0.4)
    t, lv = minimax_parking(parked, cost, sizes, np.zeros(cells, dtype=np.intp), budget)
    assert lv is not None
    assert cost[rows, lv.index].sum() <= budget + 1e-9
    share = parked[rows, lv.index, :].sum(axis=0) / sizes
    assert share.max() <= t + 1e-9
    pol = polish_minimax(parked, cost, sizes, np.zeros(0), lv.index, budget)
    assert cost[rows, pol].sum() <= budget + 1e-9
    pol_share = (parked[rows, pol, :].sum(axis=0) / sizes).max()
    assert pol_share <= share.max() + 1e-12
    best = min(
        (parked[rows, v, :].sum(axis=0) / sizes).max()
        for v in _all_levels(cells, levels)
        if cost[rows, v].sum() <= budget
    )
    assert best <= pol_share + 1e-12  # the exhaustive optimum is a lower bound
    assert pol_share <= best + 0.25  # the heuristic is not far from it


@pytest.mark.parametrize("monotone", [False, True])
@pytest.mark.parametrize("seed", range(5))
def test_best_levels_respects_budget_floor_monotone_and_ratio(seed: int, monotone: bool) -> None:
    rng = np.random.default_rng(seed)
    cells, levels = 4, 8
    grid = np.geomspace(0.5, 8.0, levels)
    cost = np.sort(rng.uniform(0, 10, (cells, levels)), axis=1)
    obj = np.sqrt(np.cumsum(rng.uniform(0, 1, (cells, levels)), axis=1))
    floor = rng.integers(0, 3, cells)
    budget = float(cost[np.arange(cells), floor].sum() + 8.0)
    lv = best_levels(obj, cost, budget, floor, grid, monotone=monotone, max_ratio=4.0)
    idx = lv.index
    assert cost[np.arange(cells), idx].sum() <= budget + 1e-9
    assert np.all(idx >= floor)
    assert grid[idx].max() / grid[idx].min() <= 4.0 + 1e-9
    if monotone:
        assert np.all(np.diff(idx) >= 0)
    # the exhaustive optimum is never worse, and the Lagrangian answer is close to it
    best = max(
        obj[np.arange(cells), v].sum()
        for v in _all_levels(cells, levels)
        if np.all(v >= floor)
        and cost[np.arange(cells), v].sum() <= budget
        and grid[v].max() / grid[v].min() <= 4.0 + 1e-9
        and (not monotone or np.all(np.diff(v) >= 0))
    )
    assert lv.value <= best + 1e-9
    assert lv.value >= best - 0.35 * abs(best)
