"""The allocation kernel against the KKT conditions and a generic convex solver (cvxpy)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pbr_fairness.engine.capacity import allocate_hours
from pbr_fairness.engine.planner import planner_hours

cp = pytest.importorskip("cvxpy")


def _instance(rng: np.random.Generator, n: int) -> dict:
    value = rng.uniform(50.0, 15000.0, n)
    gain = rng.uniform(0.0, 0.3, n) * (rng.random(n) > 0.05)  # some people support cannot help
    k = rng.uniform(0.02, 0.6, n)
    minimum = float(rng.choice([0.0, 2.0, 4.0]))
    cost = float(rng.choice([0.0, 5.0, 20.0, 40.0]))
    capacity = n * (minimum + float(rng.uniform(0.5, 20.0)))
    return dict(value=value, gain=gain, k=k, minimum=minimum, cost=cost, capacity=capacity)


def _objective(x, value, gain, k, cost):
    return float(np.sum(value * gain * -np.expm1(-k * x)) - cost * x.sum())


def _kkt(inst, alloc):
    """Check stationarity, complementary slackness and feasibility to 1e-9 (relative)."""
    v, g, k, mn = inst["value"], inst["gain"], inst["k"], inst["minimum"]
    e = alloc.hours
    mu = alloc.marginal_cost
    slope = v * g * k * np.exp(-k * e)
    above = e > mn + 1e-12
    assert np.all(e >= mn - 1e-12)
    assert e.sum() <= inst["capacity"] * (1 + 1e-9)
    # stationarity where hours exceed the minimum: marginal value = c + lambda
    np.testing.assert_allclose(slope[above], mu, rtol=1e-9)
    # at the minimum the first hour does not pay more than its shadow price
    assert np.all(slope[~above] <= mu * (1 + 1e-9) + 1e-300)
    lam = alloc.multiplier
    assert lam >= 0
    if lam > 1e-12 * max(mu, 1.0):
        assert e.sum() == pytest.approx(inst["capacity"], rel=1e-9)


def test_kkt_and_generic_solver_on_200_random_instances():
    rng = np.random.default_rng(20261128)
    worst = 0.0
    for _ in range(200):
        n = int(np.exp(rng.uniform(0.0, np.log(2000.0))))
        inst = _instance(rng, n)
        alloc = allocate_hours(inst["value"], inst["gain"], inst["k"], cost=inst["cost"],
                               capacity=inst["capacity"], minimum=inst["minimum"])
        _kkt(inst, alloc)
        e = cp.Variable(n)
        a = inst["value"] * inst["gain"]
        obj = cp.Maximize(cp.sum(cp.multiply(a, 1 - cp.exp(cp.multiply(-inst["k"], e))))
                          - inst["cost"] * cp.sum(e))
        prob = cp.Problem(obj, [cp.sum(e) <= inst["capacity"], e >= inst["minimum"]])
        prob.solve(solver="CLARABEL")
        ours = _objective(alloc.hours, inst["value"], inst["gain"], inst["k"], inst["cost"])
        theirs = _objective(np.maximum(e.value, inst["minimum"]), inst["value"], inst["gain"],
                            inst["k"], inst["cost"])
        scale = max(abs(theirs), abs(ours), 1e-9)
        # the closed form is never worse than the solver, and agrees to 1e-6
        assert ours >= theirs - 1e-6 * scale
        assert abs(ours - prob.value) <= 1e-6 * max(abs(prob.value), 1.0)
        worst = max(worst, abs(ours - prob.value) / max(abs(prob.value), 1.0))
    assert worst < 1e-6


finite = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 40),
    seed=st.integers(0, 2**32 - 1),
    minimum=st.sampled_from([0.0, 1.0, 2.0, 4.0]),
    extra=st.floats(0.0, 30.0),
    cost=st.sampled_from([1.0, 20.0, 50.0]),
)
def test_capacity_and_minimum_hold(n, seed, minimum, extra, cost):
    rng = np.random.default_rng(seed)
    inst = _instance(rng, n)
    cap = n * (minimum + extra)
    a = allocate_hours(inst["value"], inst["gain"], inst["k"], cost=cost, capacity=cap,
                       minimum=minimum)
    assert a.hours.sum() <= cap * (1 + 1e-9) + 1e-9
    assert np.all(a.hours >= minimum - 1e-12)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(2, 40), seed=st.integers(0, 2**32 - 1))
def test_permuting_people_permutes_hours(n, seed):
    rng = np.random.default_rng(seed)
    inst = _instance(rng, n)
    perm = rng.permutation(n)
    a = allocate_hours(inst["value"], inst["gain"], inst["k"], cost=20.0,
                       capacity=inst["capacity"], minimum=inst["minimum"])
    b = allocate_hours(inst["value"][perm], inst["gain"][perm], inst["k"][perm], cost=20.0,
                       capacity=inst["capacity"], minimum=inst["minimum"])
    np.testing.assert_allclose(b.hours, a.hours[perm], rtol=1e-10, atol=1e-10)


def test_zero_value_leaves_everyone_at_the_minimum():
    a = allocate_hours(np.zeros(5), np.full(5, 0.1), np.full(5, 0.2), cost=20.0, capacity=100.0,
                       minimum=3.0)
    np.testing.assert_array_equal(a.hours, 3.0)


def test_planner_uses_exactly_the_hours_given():
    rng = np.random.default_rng(3)
    w = rng.uniform(0.5, 2.0, 300)
    g = rng.uniform(0.01, 0.2, 300)
    k = rng.uniform(0.05, 0.4, 300)
    e = planner_hours(w, g, k, total_hours=300 * 7.0, minimum=2.0)
    assert e.sum() == pytest.approx(300 * 7.0, rel=1e-9)
    assert e.min() >= 2.0 - 1e-12
    # at zero extra hours everyone gets the minimum
    np.testing.assert_array_equal(planner_hours(w, g, k, total_hours=600.0, minimum=2.0), 2.0)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 300), seed=st.integers(0, 2**32 - 1),
       minimum=st.sampled_from([0.0, 1.0, 2.0]), extra=st.floats(0.0, 25.0))
def test_prepared_planner_problem_matches_the_kernel(n, seed, minimum, extra):
    from pbr_fairness.engine.planner import PlannerProblem

    rng = np.random.default_rng(seed)
    w = rng.uniform(0.0, 2.0, n) * (rng.random(n) > 0.1)
    g = rng.uniform(0.0, 0.3, n)
    k = rng.uniform(0.02, 0.6, n)
    total = n * (minimum + extra)
    expected = planner_hours(w, g, k, total_hours=total, minimum=minimum)
    got = PlannerProblem.prepare(w, g, k, minimum=minimum).hours(total)
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("cost", [0.0, 1.0, 20.0])
@pytest.mark.parametrize("minimum", [0.0, 2.0])
def test_capacity_equal_to_the_minimum_for_everyone(cost, minimum):
    """Regression: with no free hours the search used to cycle and overshoot capacity."""
    value, gain, k = np.array([11725.0985889]), np.array([0.10329241]), np.array([0.15396796])
    a = allocate_hours(value, gain, k, cost=cost, capacity=minimum, minimum=minimum)
    np.testing.assert_array_equal(a.hours, minimum)
    slope = value * gain * k * np.exp(-k * minimum)
    assert a.marginal_cost >= slope[0] * (1 - 1e-12) and a.capacity_binds
