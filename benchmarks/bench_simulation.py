"""Benchmark of the simulator (issue 4, point 10).

1. Expected mode (:func:`pbr_fairness.simulation.evaluate`: provider and planner best
   responses and every overall measure) on 1,000,000 people: target <= 1 s on one core; also
   shown as a ratio to one ``numpy.exp`` pass over the same arrays (the memory-bound floor).
2. The closed-form allocation against a generic convex solver (cvxpy, CLARABEL) on 10,000
   people at the same objective: target >= 50x faster.
3. Monte Carlo mode: 100,000 people x 24 months x 100 replications: target <= 20 s.

Prints each measured figure, its target and the ratio. Threads are limited to one.
"""

from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import time  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from pbr_fairness.contracts import load_contract  # noqa: E402
from pbr_fairness.simulation import (  # noqa: E402
    ProviderSettings,
    allocate_hours,
    evaluate,
    prepare_population,
    simulate_contract,
)

TARGET_EXPECTED_S = 1.0
TARGET_SPEEDUP = 50.0
TARGET_MC_S = 20.0


def synthetic(n: int, seed: int = 0, providers: int = 4) -> pd.DataFrame:
    """A caseload with the simulator's columns, drawn directly (not the full generator)."""
    rng = np.random.default_rng(seed)
    groups = np.array([f"PG{i}" for i in range(1, 10)])
    shares = np.array([0.19, 0.52, 0.05, 0.02, 0.03, 0.12, 0.03, 0.01, 0.03])
    g = rng.choice(9, n, p=shares / shares.sum())
    intercept = np.array([-0.2, -0.3, -0.6, -0.5, -0.9, -1.0, -2.0, -1.2, -0.3])
    lp0 = intercept[g] - 0.5 + rng.normal(0, 1.1, n)
    p0 = 1 / (1 + np.exp(-lp0))
    delta = np.exp(-0.6 + 0.3 * rng.normal(size=n) - 0.2 * (lp0 + 1.1))
    return pd.DataFrame(
        {
            "person_id": np.arange(n),
            "payment_group": groups[g],
            "provider_id": np.array([f"P{j}" for j in range(1, providers + 1)])[
                rng.integers(0, providers, n)
            ],
            "sex": rng.choice(np.array(["F", "M"]), n),
            "age": rng.integers(18, 65, n),
            "true_p0": p0,
            "true_pmax": 1 / (1 + np.exp(-(lp0 + delta))),
            "true_k": 0.15 * np.exp(0.3 * rng.normal(size=n)),
            "true_exit_hazard": rng.uniform(0.05, 0.3, n),
        }
    )


def best_of(f, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return min(times)


def bench_expected() -> None:
    n = 1_000_000
    cl = synthetic(n)
    provider = ProviderSettings()
    contract = load_contract("work_programme_2011")
    pop = prepare_population(cl, provider)
    tariff = contract.tariff_per_person(cl)
    def cold(p):
        p.cache.clear()  # rebuild the planner's sorted breakpoints: a first evaluation
        return evaluate(p, tariff, provider)

    seconds = best_of(lambda: cold(pop))
    warm = best_of(lambda: evaluate(pop, tariff, provider))
    x = pop.p0.copy()
    floor = best_of(lambda: np.exp(x), repeat=5)
    one = prepare_population(cl.drop(columns="provider_id"), provider)
    seconds_one = best_of(lambda: cold(one))
    print(
        f"expected mode, {n:,} people, 4 providers, provider + planner + measures, first "
        f"evaluation: {seconds:.3f} s (target {TARGET_EXPECTED_S:.0f} s, ratio "
        f"{seconds / TARGET_EXPECTED_S:.2f}); {seconds / floor:.0f} x one numpy.exp pass over "
        f"the same {n:,} values ({floor * 1000:.1f} ms)"
    )
    print(
        f"  repeated evaluation (planner prepared once per population, as in the optimiser): "
        f"{warm:.3f} s, {warm / floor:.0f} x numpy.exp"
    )
    print(
        f"  1 provider, first evaluation: {seconds_one:.3f} s "
        f"(ratio {seconds_one / TARGET_EXPECTED_S:.2f}); {seconds_one / floor:.0f} x numpy.exp"
    )


def bench_solver() -> None:
    import cvxpy as cp

    n = 10_000
    rng = np.random.default_rng(1)
    value = rng.uniform(500.0, 15000.0, n)
    gain = rng.uniform(0.0, 0.2, n)
    k = rng.uniform(0.05, 0.4, n)
    cost, minimum, capacity = 20.0, 1.0, 4.0 * n

    def ours():
        return allocate_hours(value, gain, k, cost=cost, capacity=capacity, minimum=minimum)

    t_ours = best_of(ours, repeat=5)
    e = cp.Variable(n)
    prob = cp.Problem(
        cp.Maximize(
            cp.sum(cp.multiply(value * gain, 1 - cp.exp(cp.multiply(-k, e)))) - cost * cp.sum(e)
        ),
        [cp.sum(e) <= capacity, e >= minimum],
    )
    t = time.perf_counter()
    prob.solve(solver="CLARABEL")
    t_solver = time.perf_counter() - t
    hours = ours().hours
    obj = float(np.sum(value * gain * -np.expm1(-k * hours)) - cost * hours.sum())
    rel = abs(obj - prob.value) / abs(prob.value)
    speedup = t_solver / t_ours
    print(
        f"allocation, {n:,} people: closed form {t_ours * 1000:.2f} ms, cvxpy/CLARABEL "
        f"{t_solver:.2f} s, objective relative difference {rel:.1e}: {speedup:,.0f}x faster "
        f"(target {TARGET_SPEEDUP:.0f}x, ratio {speedup / TARGET_SPEEDUP:.1f})"
    )


def bench_monte_carlo() -> None:
    n, reps = 100_000, 100
    cl = synthetic(n, seed=2)
    contract = load_contract("work_programme_2011")
    t = time.perf_counter()
    res = simulate_contract(cl, contract, mode="monte_carlo", replications=reps, rng=0)
    seconds = time.perf_counter() - t
    months = contract.window_months
    print(
        f"Monte Carlo, {n:,} people x {months} months x {reps} replications (all breakdowns, "
        f"monthly payments): {seconds:.2f} s (target {TARGET_MC_S:.0f} s, ratio "
        f"{seconds / TARGET_MC_S:.2f}); job-outcome rate {res.overall['job_outcome_rate']:.4f}"
    )


def main() -> None:
    bench_expected()
    bench_solver()
    bench_monte_carlo()


if __name__ == "__main__":
    main()
