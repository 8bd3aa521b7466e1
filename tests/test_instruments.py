"""Contract instruments in the engine: exact expected values, Monte Carlo, the equilibrium."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pbr_fairness.caseload.generator import make_caseload
from pbr_fairness.contracts import load_contract
from pbr_fairness.engine.equilibrium import perceived_p, prime_codes, solve_response
from pbr_fairness.engine.evaluation import evaluate
from pbr_fairness.engine.instruments import (
    InstrumentPlan,
    Instruments,
    expected_excess,
    probability_at_least,
)
from pbr_fairness.engine.montecarlo import simulate_months
from pbr_fairness.errors import InputError
from pbr_fairness.simulation import ProviderSettings, prepare_population

NO_DISCOUNT = ProviderSettings(discount_rate=0.0)


@pytest.fixture(scope="module")
def world():
    cl = make_caseload(6000, rng=11, providers=3)
    tariff = load_contract("work_programme_2011").tariff_per_person(cl)
    pop = prepare_population(cl)
    cells = np.unique(pop.payment_group, return_inverse=True)[1].astype(np.int64)
    return cl, tariff, pop, cells


def _no_fees(tariff):
    t = dict(tariff)
    t["J"] = np.zeros(np.shape(t["J"]))
    t["S"] = np.zeros(np.shape(t["S"]))
    return t


@given(mu=st.floats(-50, 50), sigma=st.floats(0.01, 30))
@settings(max_examples=80, deadline=None)
def test_normal_expected_excess_matches_quadrature(mu, sigma):
    from scipy.integrate import quad
    from scipy.stats import norm

    lo, hi = max(0.0, mu - 14 * sigma), max(0.0, mu + 14 * sigma)
    brute = quad(lambda x: x * norm.pdf(x, mu, sigma), lo, hi, epsabs=1e-13, limit=200)[0]
    got = float(expected_excess(np.array(mu), np.array(sigma**2), np.array(0.0)))
    assert got == pytest.approx(brute, rel=1e-6, abs=1e-9)


@pytest.mark.parametrize(
    "n, q, level, rel",
    [(400, 0.3, 130, 0.005), (400, 0.3, 110, 0.001), (400, 0.05, 25, 0.03),
     (2000, 0.02, 50, 0.015)],
)
def test_expected_excess_of_a_binomial_count_is_close_to_exact(n, q, level, rel):
    """With the skewness term the error is a fraction of the normal approximation's."""
    from scipy.stats import binom

    k = np.arange(n + 1)
    exact = float((np.maximum(k - level, 0) * binom.pmf(k, n, q)).sum())
    mean, var, third = n * q, n * q * (1 - q), n * q * (1 - q) * (1 - 2 * q)
    approx = float(expected_excess(np.array(mean), np.array(var), np.array(level), third))
    assert approx == pytest.approx(exact, rel=rel)
    assert float(
        probability_at_least(np.array(mean), np.array(var), np.array(level), third)
    ) == pytest.approx(float(binom.sf(level - 0.5, n, q)), abs=binom.pmf(level, n, q))
    # The incentive: one more unit of a person's p pays (T_hi - T_lo) when the others reach
    # the level, P(O_{-i} >= K); the plan's marginal carries the mean and variance terms.
    inst = Instruments(
        accelerator_cell=np.zeros(n, np.int64), accelerator_level=np.array([level / n]),
        accelerator_low=np.array([0.0]), accelerator_high=np.array([1.0]),
    )
    plan = InstrumentPlan.build(inst, np.zeros(n, np.int64), 1)
    slope = plan.marginal(np.full(n, q))
    assert np.allclose(slope, binom.sf(level - 1, n - 1, q), atol=0.005)


def test_no_instruments_is_the_fee_only_path_bit_for_bit(world):
    _cl, tariff, pop, _cells = world
    a = evaluate(pop, tariff)
    b = evaluate(pop, tariff, instruments=Instruments())
    assert np.array_equal(a.hours, b.hours) and a.overall == b.overall


def test_unfloored_value_added_is_a_fee_less_its_deadweight(world):
    """``T (Y - b)`` with no floor: the fee's hours, spend lower by ``sum T b``."""
    _cl, tariff, pop, cells = world
    t = _no_fees(tariff)
    t["J"] = np.full(pop.n, 3000.0)
    fee = evaluate(pop, t, NO_DISCOUNT)
    b = pop.p0 * 0.9
    inst = Instruments(
        value_added_rate=np.full(pop.n, 3000.0), benchmark=b, value_added_cell=cells,
        value_added_floor=None,
    )
    va = evaluate(pop, _no_fees(tariff), NO_DISCOUNT, instruments=inst)
    assert np.allclose(va.hours, fee.hours, rtol=1e-10, atol=1e-10)
    saved = fee.overall["government_spend"] - va.overall["government_spend"]
    assert saved == pytest.approx(float((3000.0 * b).sum()), rel=1e-9)


def test_cost_sharing_is_a_cheaper_hour_and_funded_hours_a_floor(world):
    _cl, tariff, pop, _cells = world
    base = evaluate(pop, tariff, NO_DISCOUNT)
    half = evaluate(
        pop, tariff, ProviderSettings(discount_rate=0.0, cost_per_hour=10.0)
    )
    shared = evaluate(
        pop, tariff, NO_DISCOUNT, instruments=Instruments(cost_share=np.full(pop.n, 0.5))
    )
    assert np.allclose(shared.hours, half.hours, rtol=1e-8)
    assert shared.reimbursement.sum() == pytest.approx(0.5 * 20.0 * shared.hours.sum())
    funded = np.where(pop.p0 < np.median(pop.p0), 5.0, 0.0)
    f = evaluate(pop, tariff, NO_DISCOUNT, instruments=Instruments(funded_hours=funded))
    assert np.all(f.hours >= np.maximum(funded, base.minimum) - 1e-9)
    assert not f.parked[funded > base.minimum].any()
    assert f.overall["government_spend"] > base.overall["government_spend"]


def test_yardstick_payments_net_to_zero_between_equal_primes():
    n = 3000
    rng = np.random.default_rng(3)
    p = rng.uniform(0.05, 0.5, n)
    prime = np.repeat(np.arange(3), n // 3)
    cell = np.tile(np.arange(2), n // 2).astype(np.int64)
    inst = Instruments(yardstick_rate=np.full(n, 1000.0), yardstick_cell=cell)
    plan = InstrumentPlan.build(inst, prime, 3)
    assert abs(plan.expected(p).sum()) < 1e-6
    y = (rng.random(n) < p).astype(float)
    assert abs(plan.realised(y).sum()) < 1e-6
    assert np.allclose(plan.marginal(p), 1000.0)


@pytest.mark.parametrize("family", ["value_added", "accelerator", "yardstick", "all"])
def test_expected_mode_matches_monte_carlo(world, family):
    _cl, tariff, pop, cells = world
    n = pop.n
    parts = {
        "value_added": dict(
            value_added_rate=1500.0 * pop.p0 ** -0.5, benchmark=pop.p0.copy(),
            value_added_cell=cells,
        ),
        "accelerator": dict(
            accelerator_cell=cells, accelerator_level=np.full(cells.max() + 1, 0.2),
            accelerator_low=np.full(cells.max() + 1, 500.0),
            accelerator_high=np.full(cells.max() + 1, 4000.0),
        ),
        "yardstick": dict(yardstick_rate=np.full(n, 2000.0), yardstick_cell=cells),
        "all": {},
    }
    kw = parts[family] or {**parts["value_added"], **parts["accelerator"], **parts["yardstick"]}
    kw["cost_share"] = np.where(pop.p0 < 0.1, 0.5, 0.0)
    ev = evaluate(pop, tariff, instruments=Instruments(**kw))
    assert ev.converged
    reps = 400
    draws = simulate_months(
        pop, ev, tariff, window_months=24, replications=reps, rng=np.random.default_rng(5),
        breakdowns={"overall": (None, 1, pop.rank_p0)},
        provider_discount_rate=ProviderSettings().discount_rate,
    )
    for m in ("government_spend", "government_spend_discounted", "provider_revenue"):
        x = draws.measures["overall"][m][:, 0]
        se = x.std(ddof=1) / np.sqrt(reps)
        assert abs(x.mean() - ev.overall[m]) < 4 * se + 1e-6 * abs(ev.overall[m]), m


def _cohort_profits(plan, value, q, hours, cost):
    """Each (prime, cell) cohort's expected profit as the primes perceive it."""
    code = plan.yard.code
    gain = q * value + plan.expected(q) + plan.future_value(q) - cost * hours
    return np.bincount(code, weights=gain, minlength=plan.yard.n)


def _brute_force_best_response(pop, plan, value, provider, q_now, j, grid):
    """Prime ``j``'s best response to the others, by search over each cohort's incentive.

    With capacity slack, a prime's cohorts are separate problems; in each, the share shift
    adds one amount ``m`` per unit of outcome probability to every member's value, so the
    best response is the best ``m`` on a fine grid, refined once around the best point.
    """
    from pbr_fairness.engine.equilibrium import _respond

    mine = prime_codes(pop) == j
    code = plan.yard.code
    yard = plan.instruments.yardstick_rate
    best = np.full(plan.yard.n, -np.inf)
    best_m = np.zeros(plan.yard.n)
    step = grid[1] - grid[0]
    for stage in range(2):
        points = grid if stage == 0 else [best_m + d for d in np.linspace(-step, step, 41)]
        for g in points:
            m_c = np.maximum(np.broadcast_to(g, (plan.yard.n,)), 0.0)
            hours = _respond(pop, value + yard + m_c[code], provider, 1.0, plan).hours[0]
            q = np.where(mine, perceived_p(pop, hours), q_now)
            h = np.where(mine, hours, 0.0)
            prof = _cohort_profits(plan, value, q, h, provider.cost_per_hour)
            better = (plan.yard.prime == j) & (prof > best)
            best = np.where(better, prof, best)
            best_m = np.where(better, m_c, best_m)
    return best_m, best


@pytest.mark.parametrize("prize", [75.0, 150.0])
def test_share_shift_equilibrium_is_a_brute_force_best_response_for_every_prime(world, prize):
    """No prime can do better against the others than the engine's equilibrium hours.

    The brute force searches each cohort's incentive on a grid (the engine solves the
    first-order conditions of all primes at once). A tournament may have several
    equilibria, so the test is that a brute-force best-response step from the engine's
    answer does not move: each prime's best response to the others is what the engine gave.
    """
    _cl, _tariff, pop, cells = world
    provider = ProviderSettings(discount_rate=0.0, capacity_hours=1e6)
    inst = Instruments(
        yardstick_cell=cells, share_shift_value=np.full(cells.max() + 1, prize),
        yardstick_rate=np.full(pop.n, 500.0),
    )
    plan = InstrumentPlan.build(inst, prime_codes(pop), len(pop.provider_index))
    value = np.full(pop.n, 2000.0)
    sol = solve_response(pop, value, provider, 1.0, plan)
    assert sol.converged and sol.equilibrium
    h = sol.response.hours[0]
    q = perceived_p(pop, h)
    engine_profit = _cohort_profits(plan, value, q, h, provider.cost_per_hour)
    # the engine's share-shift incentive per cohort (m less the yardstick's constant rate)
    # (its mean over the cohort: each person's carries a small variance term of its own)
    m_engine = np.bincount(
        plan.yard.code, weights=sol.marginal - 500.0, minlength=plan.yard.n
    ) / np.maximum(plan.yard.size, 1)
    grid = np.linspace(0.0, 1.5 * m_engine.max(), 151)
    for j in range(plan.n_primes):
        m_best, best = _brute_force_best_response(pop, plan, value, provider, q, j, grid)
        mine = plan.yard.prime == j
        scale = np.abs(engine_profit[mine]) + 1.0
        assert np.all(best[mine] <= engine_profit[mine] + 1e-6 * scale), j
        # ... and the search comes close to it: the two find the same best response
        assert np.all(best[mine] >= engine_profit[mine] - 1e-3 * scale), j
        assert np.allclose(m_best[mine], m_engine[mine], rtol=0.02), j


def test_no_prime_gains_by_scaling_its_hours_at_the_equilibrium(world):
    """A deviation check: scaling one prime's extra hours up or down never raises its profit."""
    _cl, _tariff, pop, cells = world
    n_cells = cells.max() + 1
    inst = Instruments(
        value_added_rate=2000.0 * pop.p0 ** -0.5, benchmark=pop.p0.copy(),
        value_added_cell=cells,
        accelerator_cell=cells, accelerator_level=np.full(n_cells, 0.15),
        accelerator_low=np.zeros(n_cells), accelerator_high=np.full(n_cells, 3000.0),
    )
    plan = InstrumentPlan.build(inst, prime_codes(pop), len(pop.provider_index))
    value = np.zeros(pop.n)
    sol = solve_response(pop, value, NO_DISCOUNT, 1.0, plan)
    from pbr_fairness.engine.equilibrium import _perceived_profit

    h = sol.response.hours[0]
    best = _perceived_profit(pop, h, value, 1.0, NO_DISCOUNT, plan)
    prime = prime_codes(pop)
    for j in range(plan.n_primes):
        for scale in (0.0, 0.5, 0.9, 1.1, 1.5):
            dev = np.where(prime == j, 1.0 + (h - 1.0) * scale, h)
            if dev[prime == j].sum() > NO_DISCOUNT.capacity_hours * (prime == j).sum():
                continue
            got = _perceived_profit(pop, dev, value, 1.0, NO_DISCOUNT, plan)
            assert got[j] <= best[j] * (1 + 1e-9) + 1e-6


def test_instrument_errors_name_the_field():
    with pytest.raises(InputError, match=r"value_added_rate.*benchmark"):
        Instruments(value_added_rate=np.ones(3)).check(3)
    with pytest.raises(InputError, match="benchmark"):
        Instruments(
            value_added_rate=np.ones(3), benchmark=np.array([0.1, 2.0, 0.1]),
            value_added_cell=np.zeros(3, np.int64),
        ).check(3)
    with pytest.raises(InputError, match=r"accelerator_level.*3 cells"):
        Instruments(
            accelerator_cell=np.array([0, 1, 2]), accelerator_level=np.array([0.1]),
            accelerator_low=np.zeros(3), accelerator_high=np.zeros(3),
        ).check(3)
    with pytest.raises(InputError, match="shape"):
        Instruments(funded_hours=np.ones(2)).check(3)


def test_a_tournament_without_a_pure_equilibrium_is_reported(world):
    """A large prize: a prime far behind in a cell would rather give up, yet if it did the
    others would relax and it would come back. The engine says so instead of pretending."""
    _cl, _tariff, pop, cells = world
    provider = ProviderSettings(discount_rate=0.0, capacity_hours=1e6)
    inst = Instruments(
        yardstick_cell=cells, share_shift_value=np.full(cells.max() + 1, 600.0),
        yardstick_rate=np.full(pop.n, 500.0),
    )
    plan = InstrumentPlan.build(inst, prime_codes(pop), len(pop.provider_index))
    sol = solve_response(pop, np.full(pop.n, 2000.0), provider, 1.0, plan)
    assert sol.converged and not sol.equilibrium


def test_posterior_provider_lies_between_the_model_and_the_truth():
    from pbr_fairness.maths import logit
    from pbr_fairness.tariffs.prediction import predicted_probability

    cl = make_caseload(4000, rng=21)
    q = predicted_probability(cl)
    truth = prepare_population(cl, predicted=q)
    errors = {}
    for tau in (0.05, 1.0, 10.0):
        pop = prepare_population(
            cl, ProviderSettings(signal_noise=tau), predicted=q, provider_knows="posterior", rng=4
        )
        errors[tau] = float(np.mean((logit(pop.perceived_p0) - logit(truth.p0)) ** 2))
    model = prepare_population(cl, predicted=q, provider_knows="model")
    model_error = float(np.mean((logit(model.perceived_p0) - logit(truth.p0)) ** 2))
    assert errors[0.05] < 0.01 < errors[1.0] < errors[10.0]
    # the posterior is the best guess: with a useless signal it is no worse than the model
    assert errors[10.0] <= model_error * 1.02
    # and a meeting as noisy as the prior halves the uncertainty about p0's log-odds
    assert errors[1.0] == pytest.approx(errors[10.0] / 2, rel=0.25)


def test_posterior_expectation_is_not_the_signal_at_face_value():
    """Acting on the signal itself would add its noise; the posterior shrinks it."""
    cl = make_caseload(4000, rng=22)
    face = prepare_population(cl, ProviderSettings(information_noise=1.0), rng=4)
    post = prepare_population(
        cl, ProviderSettings(signal_noise=1.0), provider_knows="posterior", rng=4
    )
    from pbr_fairness.maths import logit

    err_face = np.mean((logit(face.perceived_p0) - logit(face.p0)) ** 2)
    err_post = np.mean((logit(post.perceived_p0) - logit(post.p0)) ** 2)
    assert err_post < 0.75 * err_face
