"""National-scale simulation in chunks: equal to the one-piece result where that fits."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pbr_fairness.caseload.generator import make_caseload
from pbr_fairness.contracts import load_contract
from pbr_fairness.engine.capacity import allocate_hours_chunked
from pbr_fairness.engine.population import sorted_fractional_rank as _sorted_fractional_rank
from pbr_fairness.errors import InputError
from pbr_fairness.simulation import (
    ProviderSettings,
    allocate_hours,
    evaluate,
    fractional_rank,
    prepare_population,
)
from pbr_fairness.simulation.national import simulate_chunks, simulate_national


@pytest.fixture(scope="module")
def caseload() -> pd.DataFrame:
    return make_caseload(3000, rng=11, providers=2, observable=False)


def _split(frame: pd.DataFrame, cuts: list[int]) -> list[pd.DataFrame]:
    edges = [0, *cuts, len(frame)]
    return [frame.iloc[a:b] for a, b in itertools.pairwise(edges)]


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(5, 400),
    pieces=st.integers(1, 6),
    cost=st.sampled_from([0.0, 5.0, 20.0]),
    capacity_per_person=st.floats(1.0, 40.0),
)
def test_chunked_allocation_equals_one_piece(seed, n, pieces, cost, capacity_per_person):
    rng = np.random.default_rng(seed)
    value = rng.uniform(0, 5000, n) * (rng.random(n) < 0.9)
    gain = rng.uniform(0, 0.3, n)
    k = rng.uniform(0.01, 0.5, n)
    minimum = 1.0
    capacity = capacity_per_person * n
    one = allocate_hours(value, gain, k, cost=cost, capacity=capacity, minimum=minimum)
    cuts = sorted(rng.choice(np.arange(1, n), size=min(pieces - 1, n - 1), replace=False))
    edges = [0, *cuts, n]
    sl = [slice(a, b) for a, b in itertools.pairwise(edges)]
    many = allocate_hours_chunked(
        [value[s] for s in sl],
        [gain[s] for s in sl],
        [k[s] for s in sl],
        cost=cost,
        capacity=capacity,
        minimum=minimum,
    )
    np.testing.assert_allclose(np.concatenate(many.hours), one.hours, rtol=1e-9, atol=1e-9)
    assert many.capacity_binds == one.capacity_binds
    assert many.marginal_cost == pytest.approx(one.marginal_cost, rel=1e-9)


def test_chunked_allocation_rejects_too_little_capacity():
    with pytest.raises(ValueError, match="below the minimum"):
        allocate_hours_chunked(
            [np.ones(3)], [np.ones(3)], [np.ones(3)], cost=1.0, capacity=1.0, minimum=1.0
        )


def test_sorted_rank_equals_fractional_rank_with_ties():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 20, 500).astype(float)  # many ties
    order = np.argsort(x, kind="stable")
    np.testing.assert_array_equal(_sorted_fractional_rank(x[order]), fractional_rank(x)[order])
    assert _sorted_fractional_rank(np.zeros(0)).size == 0


@pytest.mark.parametrize("mission_weight", [0.0, 0.4])
def test_chunks_equal_one_piece_evaluation(caseload, mission_weight):
    contract = load_contract("work_programme_2011")
    provider = ProviderSettings(
        mission_weight=mission_weight, minimum_hours=2.0, capacity_hours=2.2
    )
    res = simulate_chunks(_split(caseload, [700, 1500, 2900]), contract, provider, rng=1)
    pop = prepare_population(caseload, provider)
    ev = evaluate(
        pop, contract.tariff_per_person(caseload), provider, minimum_hours=contract.minimum_hours
    )
    assert res.n == 3000 and res.n_chunks == 4
    for name, value in ev.overall.items():
        assert res.overall[name] == pytest.approx(value, rel=1e-9, abs=1e-12), name
    np.testing.assert_allclose(res.marginal_cost, ev.marginal_cost, rtol=1e-9)
    assert all(res.capacity_binds)  # the interesting case: the multiplier is at work


def test_information_noise_matches_prepare_population(caseload):
    contract = load_contract("work_programme_2011")
    provider = ProviderSettings(information_noise=0.7)
    root = np.random.SeedSequence(5)
    res = simulate_chunks([caseload], contract, provider, rng=root)
    noise_rng = np.random.default_rng(np.random.SeedSequence(5, spawn_key=(0,)))
    pop = prepare_population(caseload, provider, rng=noise_rng)
    ev = evaluate(
        pop, contract.tariff_per_person(caseload), provider, minimum_hours=contract.minimum_hours
    )
    for name, value in ev.overall.items():
        assert res.overall[name] == pytest.approx(value, rel=1e-9, abs=1e-12), name
    quiet = simulate_chunks([caseload], contract, ProviderSettings(), rng=root)
    assert quiet.overall["planner_gap"] != pytest.approx(res.overall["planner_gap"])


def test_simulate_national_reproducible_and_tidy():
    a = simulate_national(6000, chunk_size=2500, rng=3, providers=2)
    b = simulate_national(6000, chunk_size=2500, rng=3, providers=2)
    pd.testing.assert_frame_equal(a.to_frame(), b.to_frame())
    assert a.n_chunks == 3
    f = a.to_frame()
    assert list(f.columns) == ["breakdown", "group", "measure", "value"]
    assert set(f["breakdown"]) >= {"overall", "payment_group", "provider", "decile_true_p0"}
    assert not f.duplicated(["breakdown", "group", "measure"]).any()
    # hours per provider are capped by capacity
    assert a.overall["hours_per_person"] <= ProviderSettings().capacity_hours + 1e-9
    d = a.to_dict()
    assert d["n"] == 6000 and "payment_group" in d["by_group"]
    assert "National simulation" in a.summary()
    c = simulate_national(6000, chunk_size=2500, rng=4, providers=2)
    assert c.overall["job_outcome_rate"] != a.overall["job_outcome_rate"]
    one = simulate_national(3000, chunk_size=1000, rng=3, providers=1)
    assert len(one.marginal_cost) == 1 and one.n_chunks == 3


def test_bad_inputs_raise_input_error():
    with pytest.raises(InputError, match="positive"):
        simulate_national(0)
    with pytest.raises(InputError, match="chunk_size"):
        simulate_national(10, chunk_size=0)
    with pytest.raises(InputError, match="breakdowns"):
        simulate_national(100, chunk_size=50, breakdowns=["shoe_size"])


def test_every_breakdown_equals_simulate_contract(caseload):
    from pbr_fairness.simulation.simulate import simulate_contract

    contract = load_contract("work_programme_2011")
    provider = ProviderSettings(minimum_hours=2.0, capacity_hours=2.2, mission_weight=0.2)
    res = simulate_chunks(_split(caseload, [1000, 2000]), contract, provider, rng=1)
    ref = simulate_contract(caseload, contract, provider, rng=1).to_frame()
    merged = res.to_frame().merge(
        ref, on=["breakdown", "group", "measure"], how="left", suffixes=("", "_ref")
    )
    assert merged["value_ref"].notna().sum() == len(merged) - merged["value"].isna().sum()
    assert set(res.to_frame()["breakdown"]) == set(ref["breakdown"])
    np.testing.assert_allclose(
        merged["value"], merged["value_ref"], rtol=1e-9, atol=1e-9, equal_nan=True
    )
