"""A proposal of the instrument search, written as a contract file, simulates to the same result."""

from __future__ import annotations

import pytest

from pbr_fairness.caseload.generator import make_caseload
from pbr_fairness.contracts import load_contract
from pbr_fairness.errors import InputError
from pbr_fairness.simulation import simulate_contract
from pbr_fairness.tariffs.instrument_designs import Design
from pbr_fairness.tariffs.instrument_optimise import optimise_instruments
from pbr_fairness.tariffs.instrument_search import InstrumentConstraints
from pbr_fairness.tariffs.prediction import predicted_probability

WRITABLE = "yardstick,funded_hours,value_added,accelerator,cost_sharing"


@pytest.fixture(scope="module")
def result():
    return optimise_instruments(
        make_caseload(3000, rng=5), families=WRITABLE,
        constraints=InstrumentConstraints(min_margin=0.25), replications=4,
    )


@pytest.mark.parametrize("key", [*WRITABLE.split(","), "best"])
def test_the_written_contract_simulates_to_the_search_result(result, key, tmp_path):
    c = result.finalists()[key]
    path = result.save(tmp_path / f"{key}.yaml", key)
    contract = load_contract(path)  # read back from the file, validated
    assert set(contract.families) >= set(c.design.families)
    sim = simulate_contract(
        result.caseload, contract, predicted=predicted_probability(result.caseload),
        provider_knows="truth", rng=0,
    )
    o = sim.overall
    for measure in ("government_spend", "provider_margin", "additional_jobs", "parked_share"):
        assert o[measure] == pytest.approx(c.measures[measure], rel=1e-6, abs=1e-9), measure


def test_every_written_figure_is_labelled_an_estimate(result, tmp_path):
    text = result.save(tmp_path / "best.yaml").read_text(encoding="utf-8")
    assert "optimise --instruments" in text
    contract = load_contract(tmp_path / "best.yaml")
    assert contract.spec.instruments is not None
    assert contract.spec.instruments.distance_bands is not None
    assert len(contract.spec.instruments.distance_bands) == 9


def test_fees_on_an_assessment_are_reported_not_written(result):
    space = result.space
    base = result.baseline_contract
    from pbr_fairness.tariffs.instrument_contract import design_contract

    with pytest.raises(InputError, match="assessment"):
        design_contract(Design(1.0, {"assessment": {"amount": 1.0}}, "fees"), space, base)
    with pytest.raises(InputError, match="no proposal 'nope'"):
        result.proposal("nope")
