"""Contracts: presets with sources, validation, round trips, tariffs per person, flat preset."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from pbr_fairness.contracts import (
    PRESETS,
    Contract,
    Tariff,
    contract_to_yaml,
    load_contract,
)
from pbr_fairness.contracts.spec import Figure
from pbr_fairness.errors import InputError
from pbr_fairness.simulation import ProviderSettings, evaluate, flat_contract, prepare_population

FIGURES = ("attachment_fee", "job_outcome_fee", "job_outcome_trigger_weeks", "sustainment_fee",
           "max_sustainment_payments")


def _leaves(spec):
    if spec.groups:
        for g, t in spec.groups.items():
            for f in FIGURES:
                yield f"groups.{g}.{f}", getattr(t, f)
    if spec.bands:
        for i, b in enumerate(spec.bands):
            for f in FIGURES:
                yield f"bands[{i}].{f}", getattr(b, f)
    if spec.smooth:
        for f in FIGURES:
            yield f"smooth.base.{f}", getattr(spec.smooth.base, f)
        for f in ("reference_probability", "elasticity", "probability_floor", "max_factor"):
            yield f"smooth.{f}", getattr(spec.smooth, f)


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_figure_has_metadata_and_round_trips(name):
    c = load_contract(name)
    leaves = list(_leaves(c.spec))
    assert leaves
    for key, fig in leaves:
        assert isinstance(fig, Figure), key
        assert fig.description and fig.unit, key
        assert fig.reference or (fig.estimate and fig.reason), key
        assert fig.confidence in {"P", "S", "D", "R", "U"}, key
        if fig.confidence == "U":
            assert fig.estimate, f"{key}: an unverified figure must be labelled an estimate"
    again = load_contract_text(contract_to_yaml(c))
    assert again == c
    assert contract_to_yaml(again) == contract_to_yaml(c)


def load_contract_text(text):
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "c.yaml"
        p.write_text(text, encoding="utf-8")
        return load_contract(p)


def test_work_programme_2011_matches_the_reference_table():
    c = load_contract("work_programme_2011")
    t = c.tariffs
    assert (t["PG1"].attachment_fee, t["PG1"].job_outcome_fee, t["PG1"].sustainment_fee,
            t["PG1"].max_sustainment_payments, t["PG1"].trigger_weeks) == (400, 1200, 170, 13, 26)
    assert (t["PG2"].sustainment_fee, t["PG2"].trigger_weeks) == (215, 26)
    assert (t["PG7"].attachment_fee, t["PG7"].job_outcome_fee, t["PG7"].sustainment_fee,
            t["PG7"].max_sustainment_payments) == (600, 3500, 370, 26)
    assert c.spec.groups["PG7"].job_outcome_fee.confidence == "U"
    assert c.spec.groups["PG1"].job_outcome_fee.confidence == "P"
    assert set(t) == {f"PG{i}" for i in range(1, 10)}
    c14 = load_contract("work_programme_2014")
    assert all(x.attachment_fee == 0 for x in c14.tariffs.values())
    assert c14.tariffs["PG7"].job_outcome_fee == 3500


def _write(tmp_path, data):
    p = tmp_path / "contract.yaml"
    p.write_text(yaml.safe_dump(data), encoding="utf-8")
    return p


def _wp_data():
    return yaml.safe_load(contract_to_yaml(load_contract("work_programme_2011")))


def test_negative_fee_is_rejected_naming_file_and_key(tmp_path):
    data = _wp_data()
    data["groups"]["PG3"]["job_outcome_fee"]["value"] = -5
    p = _write(tmp_path, data)
    with pytest.raises(InputError) as exc:
        load_contract(p)
    msg = str(exc.value)
    assert str(p) in msg and "groups.PG3.job_outcome_fee" in msg and "negative" in msg


def test_unknown_key_is_rejected(tmp_path):
    data = _wp_data()
    data["groups"]["PG1"]["bonus_fee"] = 3
    data["colour"] = "red"
    p = _write(tmp_path, data)
    with pytest.raises(InputError) as exc:
        load_contract(p)
    msg = str(exc.value)
    assert "groups.PG1.bonus_fee" in msg and "colour" in msg and "unknown key" in msg
    assert len(exc.value.problems) == 2


def test_a_figure_without_source_or_estimate_is_rejected(tmp_path):
    data = _wp_data()
    del data["groups"]["PG2"]["attachment_fee"]["reference"]
    p = _write(tmp_path, data)
    with pytest.raises(InputError, match=r"groups\.PG2\.attachment_fee"):
        load_contract(p)


def test_every_payment_group_of_the_caseload_must_be_covered(tmp_path):
    data = _wp_data()
    del data["groups"]["PG9"]
    c = load_contract(_write(tmp_path, data))
    cl = pd.DataFrame({"person_id": [1, 2], "payment_group": ["PG1", "PG9"]})
    with pytest.raises(InputError) as exc:
        c.tariff_per_person(cl)
    assert "groups.PG9" in str(exc.value) and "contract.yaml" in str(exc.value)


def test_unknown_preset_and_flat_without_caseload():
    with pytest.raises(InputError, match="work_programme_2011"):
        load_contract("no_such_preset")
    with pytest.raises(InputError, match="flat_contract"):
        load_contract("flat")
    with pytest.raises(FileNotFoundError):
        load_contract("missing/file.yaml")


def test_tariff_per_person_by_group():
    c = load_contract("work_programme_2011")
    cl = pd.DataFrame({"person_id": [1, 2, 3], "payment_group": ["PG7", "PG1", "PG7"]})
    t = c.tariff_per_person(cl)
    np.testing.assert_array_equal(t["J"], [3500, 1200, 3500])
    np.testing.assert_array_equal(t["trigger_weeks"], [13, 26, 13])
    assert set(t) == {"A", "J", "S", "M", "trigger_weeks"}


def test_band_and_smooth_tariffs_use_the_prediction():
    bands = load_contract("distance_bands_example")
    q = np.array([0.9, 0.3, 0.2, 0.1, 0.03, 0.0, 1.0])
    cl = pd.DataFrame({"person_id": range(q.size), "payment_group": "PG1"})
    t = bands.tariff_per_person(cl, q)
    # distance 1 - q: 0.1, 0.7, 0.8, 0.9, 0.97, 1.0, 0.0
    np.testing.assert_array_equal(t["J"], [1000, 1500, 2500, 4000, 6000, 6000, 1000])
    with pytest.raises(InputError, match="predicted"):
        bands.tariff_per_person(cl)
    smooth = load_contract("smooth_example")
    t = smooth.tariff_per_person(cl, q)
    # J = 1200 * min(8, 0.3 / max(q, 0.03))
    expected = 1200 * np.minimum(8.0, 0.3 / np.maximum(q, 0.03))
    np.testing.assert_allclose(t["J"], expected)
    assert np.all(t["A"] == 400)


def test_band_gaps_are_rejected(tmp_path):
    data = yaml.safe_load(contract_to_yaml(load_contract("distance_bands_example")))
    data["bands"][1]["min_distance"] = 0.65
    with pytest.raises(InputError, match="not covered"):
        load_contract(_write(tmp_path, data))


def test_from_tariffs_and_with_groups_round_trip(tmp_path):
    c = Contract.from_tariffs("mine", {"PG1": Tariff(100, 2000, 13, 100, 10)}, minimum_hours=3)
    assert c.minimum_hours == 3
    again = load_contract_text(contract_to_yaml(c))
    assert again == c
    d = load_contract("work_programme_2011").with_groups({"PG7": Tariff(0, 9000, 13, 500, 26)})
    assert d.tariffs["PG7"].job_outcome_fee == 9000
    assert d.spec.groups["PG7"].job_outcome_fee.estimate
    with pytest.raises(InputError):
        Tariff(-1, 0, 13, 0, 0)


@pytest.fixture(scope="module")
def caseload():
    from pbr_fairness.caseload.generator import make_caseload

    return make_caseload(1500, rng=11, providers=2)


def test_flat_contract_has_one_tariff_at_the_same_spend(caseload):
    provider = ProviderSettings()
    flat = flat_contract(caseload, provider)
    assert flat.name == "flat"
    assert len(set(flat.tariffs.values())) == 1
    pop = prepare_population(caseload, provider)
    wp = load_contract("work_programme_2011")
    s_wp = evaluate(pop, wp.tariff_per_person(caseload), provider).overall["government_spend"]
    s_flat = evaluate(pop, flat.tariff_per_person(caseload), provider).overall["government_spend"]
    assert s_flat == pytest.approx(s_wp, rel=1e-4)  # fees are rounded to pence

