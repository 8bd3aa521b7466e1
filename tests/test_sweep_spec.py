"""Sweep spec parsing, validation, expansion and seeding (no simulation needed)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from pbr_fairness.errors import InputError
from pbr_fairness.sweep import (
    SweepSpec,
    aggregate_seeds,
    expand_scenarios,
    load_spec,
    replicate_seeds,
)

BASE = {"caseload": {"n": 200, "providers": 2, "seed": 3}}


def spec(**extra):
    return SweepSpec.model_validate({**BASE, **extra})


def test_load_spec_from_file_and_relative_caseload_path(tmp_path):
    (tmp_path / "c.csv").write_text("person_id,payment_group\n1,PG1\n")
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump({"caseload": {"path": "c.csv"}, "seeds": 2}))
    s = load_spec(path)
    assert s.seeds == 2
    assert s.caseload.path == str((tmp_path / "c.csv").resolve())


@pytest.mark.parametrize(
    ("data", "where"),
    [
        ({**BASE, "bogus": 1}, "bogus"),
        ({"caseload": {"n": 100, "path": "x.csv"}}, "caseload"),
        ({"caseload": {}}, "caseload"),
        ({**BASE, "seeds": 0}, "seeds"),
        ({**BASE, "mode": "sometimes"}, "mode"),
        ({**BASE, "breakdowns": ["overall", "shoe_size"]}, "breakdowns"),
        ({**BASE, "parameters": {"grid": {"provider.x": []}}}, "parameters.grid"),
        ({**BASE, "parameters": {"grid": {"colour": [1]}}}, "unknown parameter"),
        ({**BASE, "parameters": {"grid": {"mode": ["sometimes"]}}}, "mode"),
        (
            {**BASE, "parameters": {"random": {"n": 2, "ranges": {"provider.a": [2, 1]}}}},
            "low < high",
        ),
        (
            {
                **BASE,
                "parameters": {
                    "random": {"n": 2, "ranges": {"provider.a": [0, 1]}},
                    "latin_hypercube": {"n": 2, "ranges": {"provider.b": [0, 1]}},
                },
            },
            "at most one",
        ),
        (
            {
                **BASE,
                "parameters": {
                    "grid": {"provider.a": [1]},
                    "random": {"n": 2, "ranges": {"provider.a": [0, 1]}},
                },
            },
            "both in the grid",
        ),
    ],
)
def test_bad_specs_raise_input_error_naming_the_key(data, where):
    with pytest.raises(InputError) as info:
        load_spec(data)
    assert where in str(info.value)


def test_bad_yaml_file_names_the_file(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("caseload: [unclosed\n")
    with pytest.raises(InputError, match=r"bad\.yaml"):
        load_spec(path)


def test_grid_times_sample_times_seeds():
    s = spec(
        seeds=3,
        parameters={
            "grid": {"provider.information_noise": [0.0, 0.5], "mode": ["expected"]},
            "latin_hypercube": {"n": 4, "ranges": {"provider.mission_weight": [0.0, 1.0]}},
        },
    )
    scenarios = expand_scenarios(s)
    assert len(scenarios) == 2 * 4 * 3 == s.n_designs * s.seeds
    assert len({x.scenario_id for x in scenarios}) == len(scenarios)
    assert len({x.design_id for x in scenarios}) == 8
    # ordered by replicate then design point
    assert [x.seed_index for x in scenarios] == sorted(x.seed_index for x in scenarios)
    # every replicate of one design point has the same parameters
    by_design = {}
    for x in scenarios:
        by_design.setdefault(x.design_id, []).append(x.params)
    assert all(all(p == ps[0] for p in ps) for ps in by_design.values())


def test_latin_hypercube_is_stratified_and_reproducible():
    s = spec(parameters={"latin_hypercube": {"n": 10, "ranges": {"provider.a": [0.0, 10.0]}}})
    values = np.array([x.params["provider.a"] for x in expand_scenarios(s)])
    # one point in each tenth of the range
    assert sorted(np.floor(values).astype(int)) == list(range(10))
    again = np.array([x.params["provider.a"] for x in expand_scenarios(s)])
    np.testing.assert_array_equal(values, again)
    other = spec(
        seed=1, parameters={"latin_hypercube": {"n": 10, "ranges": {"provider.a": [0.0, 10.0]}}}
    )
    assert not np.array_equal(values, [x.params["provider.a"] for x in expand_scenarios(other)])


def test_random_log_and_integer_ranges():
    s = spec(
        parameters={
            "random": {
                "n": 50,
                "ranges": {
                    "provider.a": {"low": 1.0, "high": 1000.0, "scale": "log"},
                    "replications": {"low": 10, "high": 20, "integer": True},
                },
            }
        }
    )
    pts = [x.params for x in expand_scenarios(s)]
    a = np.array([p["provider.a"] for p in pts])
    assert a.min() >= 1.0 and a.max() <= 1000.0
    assert (a < 31.6).mean() > 0.25  # log scale puts about half below the geometric middle
    reps = [p["replications"] for p in pts]
    assert all(isinstance(r, int) and 10 <= r <= 20 for r in reps)


def test_seeds_come_from_seedsequence_spawn_and_extend_stably():
    s2 = spec(seeds=2, seed=42)
    s5 = spec(seeds=5, seed=42)
    a = expand_scenarios(s2)
    b = expand_scenarios(s5)
    # adding replicates keeps the finished scenarios (ids and seeds)
    assert {x.scenario_id for x in a} <= {x.scenario_id for x in b}
    assert s2.fingerprint() == s5.fingerprint()
    children = np.random.SeedSequence(42).spawn(2)[1].spawn(5)
    for x in b:
        child = children[x.seed_index]
        assert x.seed_spawn_key == child.spawn_key
        np.testing.assert_array_equal(x.seed_sequence().generate_state(4), child.generate_state(4))
    assert [c.spawn_key for c in replicate_seeds(42, 3)] == [(1, 0), (1, 1), (1, 2)]


def test_fingerprint_changes_with_result_affecting_settings():
    base = spec().fingerprint()
    assert spec(mode="monte_carlo").fingerprint() != base
    assert spec(provider={"cost_per_hour": 25.0}).fingerprint() != base
    assert spec(name="renamed").fingerprint() == base
    assert spec(seeds=9).fingerprint() == base


def test_aggregate_seeds_mean_and_intervals():
    rng = np.random.default_rng(0)
    rows = []
    for d in range(2):
        for r in range(20):
            rows.append(
                {
                    "scenario_id": f"{d}-{r}",
                    "design_id": f"d{d}",
                    "design_index": d,
                    "seed_index": r,
                    "provider.a": float(d),
                    "breakdown": "overall",
                    "group": "all",
                    "measure": "m",
                    "value": d * 10 + rng.normal(),
                    "lower": np.nan,
                    "upper": np.nan,
                }
            )
    frame = pd.DataFrame(rows)
    agg = aggregate_seeds(frame)
    assert len(agg) == 2
    assert list(agg["n_seeds"]) == [20, 20]
    for d, row in agg.iterrows():
        vals = frame.loc[frame.design_index == d, "value"]
        assert row["mean"] == pytest.approx(vals.mean())
        half = 2.093024 * vals.std(ddof=1) / np.sqrt(20)  # t(0.975, 19)
        assert row["ci_upper"] - row["mean"] == pytest.approx(half, rel=1e-5)
        assert row["lower"] == pytest.approx(vals.quantile(0.025))
        assert row["ci_lower"] < row["mean"] < row["ci_upper"]
    one = aggregate_seeds(frame[frame.seed_index == 0])
    assert one["ci_lower"].isna().all()
    with pytest.raises(ValueError, match="level"):
        aggregate_seeds(frame, level=1.5)
