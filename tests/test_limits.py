"""Bounded work everywhere: every documented limit gives exit code 2 and the way round.

Through the real entry function (:func:`pbr_fairness.cli.main`, in process: each case must be
refused before any work starts, so none of them takes time), and through the Python API.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import yaml

from pbr_fairness import limits
from pbr_fairness.cli import main
from pbr_fairness.contracts import load_contract
from pbr_fairness.errors import InputError, LimitError

PRESETS = Path(__file__).resolve().parents[1] / "pbr_fairness" / "contracts" / "presets"


def run(capsys, *args: object) -> tuple[int, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out + err


def refused(capsys, *args: object, needle: str) -> str:
    code, text = run(capsys, *args)
    assert code == 2, text
    assert "Traceback" not in text
    assert re.search(needle, text, re.I), text
    return text


@pytest.fixture(scope="module")
def caseload(tmp_path_factory) -> Path:
    from pbr_fairness.caseload.generator import make_caseload
    from pbr_fairness.caseload.io import write_caseload

    path = tmp_path_factory.mktemp("limits") / "c.csv"
    write_caseload(make_caseload(300, rng=1, providers=2), path)
    return path


def _contract_with_fee(tmp_path: Path, fee: float) -> Path:
    data = yaml.safe_load((PRESETS / "work_programme_2011.yaml").read_text())
    data["groups"]["PG2"]["job_outcome_fee"]["value"] = fee
    path = tmp_path / "huge_fee.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_synth_refuses_more_people_than_memory_holds(capsys, tmp_path):
    text = refused(capsys, "synth", "--n", 10**12, "--out", tmp_path / "x.csv",
                   needle="memory")
    assert "national" in text and not (tmp_path / "x.csv").exists()


def test_synth_refuses_absurd_provider_counts(capsys, tmp_path):
    refused(capsys, "synth", "--n", 100, "--providers", 10**9, "--out", tmp_path / "x.csv",
            needle="limit")


def test_national_refuses_more_than_its_limit(capsys):
    text = refused(capsys, "national", "--n", 10**12, "--no-progress", needle="limit")
    assert "1,000,000,000" in text


def test_national_refuses_a_chunk_larger_than_memory(capsys, monkeypatch):
    monkeypatch.setattr(limits, "available_memory", lambda: 100 * 2**20)
    refused(capsys, "national", "--n", 10**7, "--chunk-size", 5_000_000, "--no-progress",
            needle="memory")


def test_monte_carlo_replications_are_bounded(capsys, caseload):
    refused(capsys, "simulate", "--caseload", caseload, "--mode", "monte_carlo",
            "--replications", 10**9, "--quiet", needle="replications")


def test_sweep_grid_too_large_is_refused_before_expanding(capsys, tmp_path):
    values = list(range(1000))
    spec = {"caseload": {"n": 100}, "parameters": {"grid": {
        "provider.cost_per_hour": values, "provider.capacity_hours": values,
        "provider.information_noise": values}}}
    path = tmp_path / "big.yaml"
    path.write_text(yaml.safe_dump(spec))
    text = refused(capsys, "sweep", path, "--out", tmp_path / "o.parquet", needle="scenarios")
    assert "1,000,000,000" in text and "Dask" in text


def test_sweep_latin_hypercube_too_large_is_refused(capsys, tmp_path):
    ranges = {"provider.cost_per_hour": [1, 2]}  # 19 ranges x 10^6 points > 10^7 values
    ranges.update({f"contract.groups.PG{i}.job_outcome_fee": [1, 2] for i in range(1, 10)})
    ranges.update({f"contract.groups.PG{i}.sustainment_fee": [1, 2] for i in range(1, 10)})
    spec = {"caseload": {"n": 100}, "parameters": {"latin_hypercube": {"n": 1_000_000,
                                                                       "ranges": ranges}}}
    path = tmp_path / "lhs.yaml"
    path.write_text(yaml.safe_dump(spec))
    refused(capsys, "sweep", path, "--out", tmp_path / "o.parquet", needle="limit")


def test_sweep_jobs_are_bounded(capsys, tmp_path):
    refused(capsys, "sweep", Path(__file__).parents[1] / "examples" / "sweep_small.yaml",
            "--out", tmp_path / "o.parquet", "--jobs", 10_000, needle="worker processes")


def test_a_huge_yaml_file_is_refused_before_parsing(capsys, tmp_path, caseload):
    path = tmp_path / "big.yaml"
    path.write_text("name: x\n" + "# padding\n" * 200_000)
    refused(capsys, "simulate", "--caseload", caseload, "--contract", path, "--quiet",
            needle="limit")
    with pytest.raises(LimitError):
        load_contract(path)


@pytest.mark.parametrize("fee", [1e308, 1e7])
def test_fees_beyond_the_limit_are_refused(capsys, tmp_path, caseload, fee):
    path = _contract_with_fee(tmp_path, fee)
    refused(capsys, "simulate", "--caseload", caseload, "--contract", path, "--quiet",
            needle="job_outcome_fee")
    refused(capsys, "national", "--n", 1000, "--contract", path, "--no-progress",
            needle="job_outcome_fee")


def test_a_caseload_file_larger_than_memory_is_refused(capsys, caseload, monkeypatch):
    monkeypatch.setattr(limits, "available_memory", lambda: 1000)
    text = refused(capsys, "validate", "--caseload", caseload, needle="memory")
    assert "Parquet" in text


def test_the_api_raises_limit_errors():
    from pbr_fairness.caseload.generator import make_caseload
    from pbr_fairness.simulation.national import simulate_national
    from pbr_fairness.sweep import load_spec

    with pytest.raises(LimitError):
        make_caseload(10**13, rng=1)
    with pytest.raises(LimitError):
        simulate_national(10**12, rng=1, progress=False)
    with pytest.raises(InputError):
        load_spec({"caseload": {"n": 100}, "seeds": 100_000, "parameters": {
            "grid": {"provider.cost_per_hour": list(range(1, 100))}}})
    assert issubclass(LimitError, InputError)


def test_limits_are_documented_in_one_module():
    doc = limits.__doc__ or ""
    for name in ("MAX_NATIONAL_PEOPLE", "MAX_REPLICATIONS", "MAX_PERSON_REPLICATIONS",
                 "MAX_SCENARIOS", "MAX_YAML_BYTES", "MAX_FEE_GBP", "MAX_HOURS",
                 "MAX_SAMPLE_VALUES", "MAX_PROVIDERS", "max_jobs", "BYTES_PER_PERSON"):
        assert name in doc and name in limits.__all__, name
    assert limits.max_jobs() >= 1
    assert np.isfinite(limits.MAX_FEE_GBP)
