"""Running sweeps: identical results on every backend, resumable output, validation."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from pbr_fairness.errors import InputError
from pbr_fairness.simulation import MEASURES, ProviderSettings
from pbr_fairness.simulation.simulate import simulate_contract
from pbr_fairness.sweep import (
    SweepSpec,
    evaluate_scenario,
    expand_scenarios,
    run_sweep,
    summary_path,
)
from pbr_fairness.sweep.worker import build_contract, get_caseload

SMALL = {
    "name": "tiny",
    "seed": 7,
    "seeds": 2,
    "caseload": {"n": 400, "providers": 2, "seed": 5},
    "breakdowns": ["overall", "payment_group", "provider"],
    "parameters": {
        "grid": {"provider.information_noise": [0.0, 0.5]},
        "latin_hypercube": {
            "n": 2,
            "ranges": {"contract.groups.PG6.job_outcome_fee": [1000.0, 6000.0]},
        },
    },
}
N_SCENARIOS = 2 * 2 * 2


def _spec(**changes) -> SweepSpec:
    return SweepSpec.model_validate({**SMALL, **changes})


def _key(frame: pd.DataFrame) -> pd.DataFrame:
    cols = ["scenario_id", "breakdown", "group", "measure"]
    return frame.sort_values(cols).reset_index(drop=True)


@pytest.mark.parametrize("noise", [0.0, 0.6])
@pytest.mark.parametrize("contract", ["work_programme_2011", "flat"])
def test_scenario_rows_equal_simulate_contract(noise, contract):
    spec = _spec(
        contract=contract,
        breakdowns=["overall", "payment_group", "provider", "decile_true_p0", "sex", "age_band"],
        parameters={"grid": {"provider.information_noise": [noise]}},
    )
    scenario = expand_scenarios(spec)[1]
    got = evaluate_scenario(spec, scenario)
    caseload = get_caseload(spec)
    provider = ProviderSettings(information_noise=noise)
    rng = np.random.default_rng(
        np.random.SeedSequence(scenario.seed_entropy, spawn_key=(*scenario.seed_spawn_key, 1))
    )
    ref = simulate_contract(
        caseload,
        build_contract(spec, scenario.params, caseload=caseload, provider=provider),
        provider,
        rng=rng,
    ).to_frame()
    ref = ref[ref["breakdown"].isin(spec.breakdowns)].reset_index(drop=True)
    assert len(got) == len(ref)
    merged = got.merge(ref, on=["breakdown", "group", "measure"], suffixes=("", "_ref"))
    assert len(merged) == len(ref)
    np.testing.assert_allclose(merged["value"], merged["value_ref"], rtol=1e-12, equal_nan=True)


def test_contract_override_changes_the_tariff():
    spec = _spec()
    a = expand_scenarios(spec)[0]
    ca = build_contract(spec, a.params)
    assert ca.tariffs["PG6"].job_outcome_fee == pytest.approx(
        a.params["contract.groups.PG6.job_outcome_fee"]
    )
    assert ca.spec.groups["PG6"].job_outcome_fee.estimate is True
    assert ca.tariffs["PG1"] == build_contract(spec, {}).tariffs["PG1"]
    wild = build_contract(spec, {"contract.groups.*.attachment_fee": 0.0})
    assert all(t.attachment_fee == 0.0 for t in wild.tariffs.values())


def test_local_sweep_writes_tidy_parquet_and_summary(tmp_path):
    out = tmp_path / "r.parquet"
    run = run_sweep(_spec(), out, jobs=1, progress=False)
    assert run.n_scenarios == run.n_run == N_SCENARIOS and run.n_skipped == 0
    frame = pd.read_parquet(out)
    # one row per scenario x measure x group
    groups = frame.groupby("breakdown")["group"].nunique()
    rows_per_scenario = int(groups.sum()) * len(MEASURES)
    assert len(frame) == N_SCENARIOS * rows_per_scenario
    assert not frame.duplicated(["scenario_id", "breakdown", "group", "measure"]).any()
    for col in (
        "scenario_id",
        "design_id",
        "seed_index",
        "provider.information_noise",
        "contract.groups.PG6.job_outcome_fee",
        "breakdown",
        "group",
        "measure",
        "value",
    ):
        assert col in frame.columns
    meta = pq.read_schema(out).metadata[b"pbr_fairness_sweep"]
    assert b"fingerprint" in meta
    summary = pd.read_parquet(summary_path(out))
    assert len(summary) == len(frame) // 2  # two seeds per design point
    assert (summary["n_seeds"] == 2).all()
    noisy = summary[
        (summary["provider.information_noise"] == 0.5)
        & (summary["breakdown"] == "overall")
        & (summary["measure"] == "hours_per_person")
    ]
    assert (noisy["ci_upper"] >= noisy["ci_lower"]).all()
    assert "8 scenarios" in run.summary()
    assert run.to_dict()["rows"] == len(frame)
    # seeds matter when the provider's information is noisy, not otherwise
    wide = frame[(frame.breakdown == "overall") & (frame.measure == "planner_gap")]
    spread = wide.groupby(["design_id", "provider.information_noise"])["value"].nunique()
    assert (spread.xs(0.0, level=1) == 1).all()
    assert (spread.xs(0.5, level=1) == 2).all()


def test_two_processes_and_dask_give_identical_results(tmp_path):
    one = run_sweep(_spec(), tmp_path / "one.parquet", jobs=1, progress=False).results
    two = run_sweep(_spec(), tmp_path / "two.parquet", jobs=2, progress=False, batch_size=1).results
    pd.testing.assert_frame_equal(_key(one), _key(two))
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        dask = run_sweep(
            _spec(),
            tmp_path / "dask.parquet",
            backend="dask",
            client=client,
            progress=False,
            batch_size=1,
        ).results
    pd.testing.assert_frame_equal(_key(one), _key(dask))


def test_interrupted_sweep_resumes_where_it_stopped(tmp_path):
    out = tmp_path / "r.parquet"
    full = run_sweep(_spec(), tmp_path / "full.parquet", jobs=1, progress=False).results

    def stop(done: int) -> None:
        if done >= 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_sweep(
            _spec(), out, jobs=1, progress=False, batch_size=1, on_batch=stop, flush_every=0.0
        )
    assert not out.exists()
    parts = list(out.with_name(out.name + ".parts").glob("part-*.parquet"))
    assert parts
    again = run_sweep(_spec(), out, jobs=1, progress=False)
    assert again.n_skipped == 3 and again.n_run == N_SCENARIOS - 3
    pd.testing.assert_frame_equal(_key(full), _key(again.results))
    assert not out.with_name(out.name + ".parts").exists()
    # a finished sweep re-run does nothing; more seeds run only the new replicates
    same = run_sweep(_spec(), out, jobs=1, progress=False)
    assert same.n_run == 0
    more = run_sweep(_spec(seeds=3), out, jobs=1, progress=False)
    assert more.n_run == N_SCENARIOS // 2 and more.n_skipped == N_SCENARIOS
    assert (more.aggregated["n_seeds"] == 3).all()


def test_output_of_another_spec_is_refused_unless_overwrite(tmp_path):
    out = tmp_path / "r.parquet"
    small = {**SMALL, "parameters": {"grid": {"provider.information_noise": [0.0]}}, "seeds": 1}
    run_sweep(SweepSpec.model_validate(small), out, jobs=1, progress=False)
    other = SweepSpec.model_validate({**small, "mode": "expected", "caseload": {"n": 300}})
    with pytest.raises(InputError, match="different sweep spec"):
        run_sweep(other, out, jobs=1, progress=False)
    run = run_sweep(other, out, jobs=1, progress=False, overwrite=True)
    assert run.n_run == 1


def test_bad_parameter_values_are_reported_before_running(tmp_path):
    bad = _spec(
        parameters={
            "grid": {
                "provider.information_noise": [-1.0],
                "contract.groups.PG99.job_outcome_fee": [100.0],
            }
        }
    )
    with pytest.raises(InputError) as info:
        run_sweep(bad, tmp_path / "r.parquet", jobs=1, progress=False)
    text = str(info.value)
    assert "information_noise" in text and "PG99" in text
    assert not (tmp_path / "r.parquet").exists()
    unknown = _spec(parameters={"grid": {"provider.colour": [1.0]}})
    with pytest.raises(InputError, match="unknown provider setting"):
        run_sweep(unknown, tmp_path / "r.parquet", jobs=1, progress=False)
    neg = _spec(parameters={"grid": {"contract.groups.PG1.job_outcome_fee": [-5.0]}})
    with pytest.raises(InputError, match="negative"):
        run_sweep(neg, tmp_path / "r.parquet", jobs=1, progress=False)


def test_dask_backend_missing_gives_a_clear_message(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(ImportError, match=r"pbr-fairness\[dask\]"):
        run_sweep(_spec(), tmp_path / "r.parquet", backend="dask", progress=False)


def test_rows_do_not_depend_on_blas_threads():
    # Dask workers run with one BLAS thread, local processes with several: the rows must
    # not depend on it (no BLAS reductions in the measures).
    threadpoolctl = pytest.importorskip("threadpoolctl")
    spec = _spec(caseload={"n": 20_000, "providers": 2, "seed": 5})
    scenario = expand_scenarios(spec)[-1]
    free = evaluate_scenario(spec, scenario)
    with threadpoolctl.threadpool_limits(limits=1):
        one = evaluate_scenario(spec, scenario)
    np.testing.assert_array_equal(free["value"].to_numpy(), one["value"].to_numpy())


def test_monte_carlo_scenarios_carry_intervals(tmp_path):
    spec = SweepSpec.model_validate(
        {
            "seeds": 1,
            "caseload": {"n": 200, "seed": 1},
            "mode": "monte_carlo",
            "replications": 5,
            "breakdowns": ["overall"],
            "measures": ["job_outcome_rate", "government_spend"],
            "parameters": {"grid": {"mode": ["expected", "monte_carlo"]}},
        }
    )
    frame = run_sweep(spec, tmp_path / "mc.parquet", jobs=1, progress=False).results
    assert set(frame["measure"]) == {"job_outcome_rate", "government_spend"}
    mc = frame[frame["mode"] == "monte_carlo"]
    ex = frame[frame["mode"] == "expected"]
    assert mc["lower"].notna().all() and (mc["lower"] <= mc["upper"]).all()
    assert ex["lower"].isna().all()


def test_resampled_caseload_per_seed_replicate(tmp_path):
    spec = SweepSpec.model_validate(
        {
            "seeds": 2,
            "caseload": {"n": 300, "seed": 1, "resample": True},
            "breakdowns": ["overall"],
            "measures": ["no_support_rate"],
            "parameters": {"grid": {"provider.cost_per_hour": [15.0, 25.0]}},
        }
    )
    frame = run_sweep(spec, tmp_path / "r.parquet", jobs=1, progress=False).results
    by_seed = frame.groupby("seed_index")["value"]
    assert (by_seed.nunique() == 1).all()  # the caseload is shared within a replicate
    assert frame.groupby("design_index")["value"].nunique().min() == 2  # and differs across


def test_large_samples_are_checked_at_their_range_ends(tmp_path):
    spec = _spec(
        parameters={
            "latin_hypercube": {
                "n": 300,
                "ranges": {"contract.groups.PG1.job_outcome_fee": [-100.0, 2000.0]},
            }
        }
    )
    with pytest.raises(InputError, match="negative"):
        run_sweep(spec, tmp_path / "r.parquet", jobs=1, progress=False)
