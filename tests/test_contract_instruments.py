"""The contract language for instruments: files, presets, errors, terms on a caseload."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from pbr_fairness.caseload.generator import make_caseload
from pbr_fairness.contracts import PRESETS, contract_to_yaml, load_contract, smooth_multiplier
from pbr_fairness.contracts.contract import contract_from_yaml
from pbr_fairness.contracts.spec import ContractSpec, Figure
from pbr_fairness.errors import InputError
from pbr_fairness.maths import logit
from pbr_fairness.simulation import ProviderSettings, evaluate, prepare_population

INSTRUMENT_PRESETS = (
    "work_programme_2011_by_year",
    "value_added_comparison_group",
    "accelerator_work_and_health",
    "yardstick_primes",
    "cost_sharing_employment_fund",
    "funded_hours_by_need",
    "assessment_priced",
)
NO_DISCOUNT = ProviderSettings(discount_rate=0.0)


def est(value, unit):
    return {"value": value, "unit": unit, "description": "A test figure.", "estimate": True,
            "reason": "test"}


def contract(instruments, **top):
    """A contract built on work_programme_2011 with this instruments section."""
    doc = {"name": "test", "description": "A test contract.", "based_on": "work_programme_2011",
           "instruments": instruments, **top}
    return contract_from_yaml(yaml.safe_dump(doc), source="test.yaml")


def problems(doc):
    """The (column, message) of every problem of a contract document."""
    with pytest.raises(InputError) as err:
        contract_from_yaml(yaml.safe_dump(doc), source="bad.yaml")
    assert str(err.value).startswith("bad.yaml: ")
    return [(p.column, p.message) for p in err.value.problems]


@pytest.fixture(scope="module")
def world():
    cl = make_caseload(3000, rng=21, providers=3)
    q = cl["true_p_observable"].to_numpy()
    pop = prepare_population(cl, NO_DISCOUNT)
    return cl, q, pop


def _figures(obj, path=""):
    """Every Figure of a spec, with its dotted path."""
    if isinstance(obj, Figure):
        yield path, obj
    elif isinstance(obj, BaseModel):
        for key in type(obj).model_fields:
            yield from _figures(getattr(obj, key), f"{path}.{key}" if path else key)
    elif isinstance(obj, dict):
        for key, v in obj.items():
            yield from _figures(v, f"{path}.{key}")
    elif isinstance(obj, tuple | list):
        for i, v in enumerate(obj):
            yield from _figures(v, f"{path}[{i}]")


# -- presets -------------------------------------------------------------------------------
@pytest.mark.parametrize("name", INSTRUMENT_PRESETS)
def test_instrument_preset_figures_are_sourced_and_round_trip(name):
    assert name in PRESETS
    c = load_contract(name)
    assert c.spec.based_on == "work_programme_2011" and c.families
    leaves = [(k, f) for k, f in _figures(c.spec) if k.startswith("instruments")]
    assert leaves
    for key, fig in leaves:
        assert fig.description and fig.unit, key
        assert fig.reference or (fig.estimate and fig.reason), key
        assert fig.confidence in {"P", "S", "D", "R", "U"}, key
        if fig.confidence == "U":
            assert fig.estimate, f"{key}: an unverified figure must be an estimate"
    text = contract_to_yaml(c)
    again = contract_from_yaml(text)
    assert again == c and again.spec.instruments == c.spec.instruments
    assert contract_to_yaml(again) == text
    # the precedent is stated in the file itself (its description survives a round trip)
    assert "(precedent" in c.spec.description


def test_presets_keep_the_work_programme_tariffs_and_it_is_unchanged():
    wp = load_contract("work_programme_2011")
    assert wp.spec.instruments is None and wp.spec.based_on is None and wp.families == ()
    for name in INSTRUMENT_PRESETS:
        c = load_contract(name)
        assert c.spec.groups == wp.spec.groups, name
        assert c.basis == wp.basis and c.window_months == wp.window_months


def test_attachment_fees_by_year_follow_the_reference_table():
    by = load_contract("work_programme_2011_by_year").spec.instruments.attachment_by_year_by_cell
    assert [f.value for f in by["PG2"]] == [400, 300, 200, 0]
    assert [f.value for f in by["PG7"]][::3] == [600, 0]
    assert all(f.estimate for f in by["PG7"][1:3])  # years 2 and 3 of ESA were not retrieved


# -- each section moves the result the way it should -----------------------------------------
def test_a_later_referral_year_pays_less_attachment_for_the_same_hours(world):
    cl, _q, pop = world
    base = load_contract("work_programme_2011_by_year")
    spec = base.spec.model_dump(mode="json", exclude_none=True)
    ev = {}
    for year in (1, 3, 4, 9):
        c = contract_from_yaml(yaml.safe_dump({**spec, "referral_year": year}))
        t = c.terms(cl)
        ev[year] = (evaluate(pop, t.tariff, NO_DISCOUNT), t.tariff["A"])
    assert np.array_equal(ev[1][0].hours, ev[3][0].hours)
    saved = ev[1][0].overall["government_spend"] - ev[3][0].overall["government_spend"]
    assert saved == pytest.approx(float((ev[1][1] - ev[3][1]).sum()), rel=1e-12)
    assert set(ev[3][1]) <= {200.0, 300.0}  # £200 standard, £300 the ESA groups' estimate
    assert ev[4][1].sum() == 0 and np.array_equal(ev[9][1], ev[4][1])  # the last year holds


def test_a_benchmark_offset_changes_spend_by_rate_times_offset_times_people(world):
    cl, _q, pop = world
    rate, offset = 1200.0, 0.01

    def run(off, floor=None):
        va = {"rate": est(rate, "GBP"), "benchmark_offset": est(off, "probability"),
              "floor": floor}
        t = contract({"value_added": va}).terms(cl)
        return evaluate(pop, t.tariff, NO_DISCOUNT, instruments=t.instruments)

    right, low = run(0.0), run(-offset)  # floor null: the cohort's net is settled
    assert np.array_equal(right.hours, low.hours)  # the marginal incentive is unchanged
    extra = low.overall["government_spend"] - right.overall["government_spend"]
    assert extra == pytest.approx(rate * offset * len(cl), rel=1e-9)
    # with the default floor (never negative per cohort) a too-low benchmark still costs more
    floored = [run(o, est(0, "GBP")).overall["government_spend"] for o in (0.0, -offset)]
    assert floored[1] > floored[0]


def test_distance_band_cells_need_a_prediction_unless_priced_on_an_assessment(world):
    cl, _q, _pop = world
    with pytest.raises(InputError, match="predicted probabilities") as err:
        load_contract("cost_sharing_employment_fund").terms(cl)
    assert err.value.problems[0].column == "instruments.cost_sharing.cells"
    inst = load_contract("cost_sharing_employment_fund").spec.instruments.model_dump(
        mode="json", exclude_none=True)
    inst |= {"priced_on": "assessment", "assessment_noise": est(0.0, "ratio")}
    t = contract(inst).terms(cl)  # no prediction needed: the assessment (noise 0) is the truth
    p0 = cl["true_p0"].to_numpy()
    assert np.allclose(t.probability, p0)
    assert np.array_equal(t.instruments.cost_share > 0, (1 - p0) > 0.714)


def test_an_assessment_is_seeded_or_read_from_the_caseload(world):
    cl, q, _pop = world
    c = load_contract("assessment_priced")
    a, b = c.terms(cl, rng=5), c.terms(cl, rng=5)
    assert np.array_equal(a.probability, b.probability)
    assert not np.array_equal(a.probability, c.terms(cl, rng=6).probability)
    assert a.priced_on == "assessment"
    err = logit(a.probability) - logit(cl["true_p0"].to_numpy())
    assert np.std(err) == pytest.approx(0.75, rel=0.1)
    given_ = c.terms(cl.assign(assessment=q))
    assert np.array_equal(given_.probability, q)
    assert np.allclose(given_.instruments.value_added_rate,
                       1200 * smooth_multiplier(q, 0.3, 1.0, 0.03, 8.0))


def test_band_fees_price_on_the_assessment_when_the_contract_says(world):
    cl, q, _pop = world
    doc = {"name": "bands on assessment", "description": "A test.",
           "based_on": "distance_bands_example",
           "instruments": {"priced_on": "assessment", "assessment_noise": est(0.5, "ratio"),
                           "delivery_fee": est(10, "GBP")}}
    c = contract_from_yaml(yaml.safe_dump(doc))
    t = c.terms(cl, predicted=q, rng=3)
    direct = c.tariff_by_probability(t.probability)
    assert np.array_equal(t.tariff["J"], direct["J"])
    assert not np.array_equal(t.tariff["J"], c.tariff_by_probability(q)["J"])


# -- the file format -------------------------------------------------------------------------
def test_every_section_round_trips_and_an_explicit_null_floor_stays_no_floor():
    inst = {
        "distance_bands": [est(0.6, "probability"), est(0.8, "probability")],
        "attachment_by_year": [est(400, "GBP"), est(0, "GBP")],
        "delivery_fee": est(100, "GBP"),
        "value_added": {"rate": est(1000, "GBP"), "cells": "payment_group", "floor": None,
                        "benchmark_offset": est(-0.02, "probability"),
                        "shape": {"reference_probability": est(0.3, "probability"),
                                  "elasticity": est(0.5, "ratio"),
                                  "probability_floor": est(0.03, "probability"),
                                  "max_factor": est(4, "ratio")}},
        "accelerator": {"cells": "distance_band",
                        "levels": {"band_1": est(0.1, "probability")},
                        "fee_below": est(0, "GBP"),
                        "fee_above_by_cell": {"band_1": est(3000, "GBP")}},
        "yardstick": {"rate": est(500, "GBP"),
                      "share_shift_value_by_cell": {"PG1": est(20, "GBP")}},
        "cost_sharing": {"share_by_cell": {"PG7": est(0.9, "ratio")}},
        "funded_hours": {"cells": "distance_band", "hours_by_cell": {"band_1": est(5, "hours")}},
    }
    c = contract(inst, referral_year=2)
    assert c.families == ("attachment_by_year", "delivery_fee", "value_added", "accelerator",
                          "yardstick", "market_share_shift", "cost_sharing", "funded_hours")
    again = contract_from_yaml(contract_to_yaml(c))
    assert again == c and again.spec.instruments.value_added.floor == (
        "settled_against_other_payments")
    assert again.referral_year == 2
    absent = contract({"value_added": {"rate": est(1000, "GBP")}})
    assert absent.spec.instruments.value_added.floor.value == 0  # the default: floor 0
    assert "floor:" in contract_to_yaml(absent)  # stated when saved
    assert contract_from_yaml(contract_to_yaml(absent)) == absent
    # what with_groups and the sweeps do: a plain dump validated again
    for c_ in (c, absent, *(load_contract(n) for n in INSTRUMENT_PRESETS)):
        assert ContractSpec.model_validate(c_.spec.model_dump()) == c_.spec


BAD = [
    ({"value_added": {"rate": est(-5, "GBP")}}, "instruments.value_added.rate", "negative"),
    ({"value_added": {"rate": est(5, "ratio")}}, "instruments.value_added.rate", "unit must"),
    ({"value_added": {"rate": est(5, "GBP"), "cells": "region"}},
     "instruments.value_added.cells", "Input should be"),
    ({"value_added": {"rate": est(5, "GBP"), "floor": "sometimes"}},
     "instruments.value_added.floor", "settled_against_other_payments"),
    ({"value_added": {"rate": est(5, "GBP"), "benchmark_offset": est(1.5, "probability")}},
     "instruments.value_added.benchmark_offset", "between -1 and 1"),
    ({"value_added": {"rate": est(5, "GBP"), "colour": "red"}},
     "instruments.value_added.colour", "unknown key"),
    ({"accelerator": {"levels": {"PG1": est(1.5, "probability")}, "fee_below": est(0, "GBP"),
                      "fee_above": est(1, "GBP")}},
     "instruments.accelerator.levels.PG1", "at most 1"),
    ({"accelerator": {"levels": {"PG1": est(0.5, "probability")}, "fee_below": est(9, "GBP"),
                      "fee_above_by_cell": {"PG1": est(1, "GBP")}}},
     "instruments.accelerator.fee_above_by_cell.PG1", "at least the fee below"),
    ({"accelerator": {"level_above_no_support": est(0.1, "ratio"), "fee_above": est(1, "GBP")}},
     "instruments.accelerator", "fee_below"),
    ({"accelerator": {"levels": {"PGX": est(0.5, "probability")}, "fee_below": est(0, "GBP"),
                      "fee_above": est(1, "GBP")}},
     "instruments.accelerator.levels.PGX", "no such cell"),
    ({"cost_sharing": {"share": est(1.0, "ratio")}}, "instruments.cost_sharing.share", "below 1"),
    ({"cost_sharing": {"share": est(0.5, "ratio"), "share_by_cell": {"PG1": est(0.5, "ratio")}}},
     "instruments.cost_sharing", "not both"),
    ({"funded_hours": {"cells": "distance_band", "hours": est(5, "hours")}},
     "instruments.funded_hours.cells", "distance_bands"),
    ({"funded_hours": {"hours": est(5, "GBP")}}, "instruments.funded_hours.hours", "unit"),
    ({"yardstick": {"cells": "contract"}}, "instruments.yardstick", "needs 'rate'"),
    ({"attachment_by_year_by_cell": {"PG1": [est(400, "GBP")]}},
     "instruments.attachment_by_year_by_cell", "missing PG2"),
    ({"attachment_by_year": [est(400, "GBP"), est(-1, "GBP")]},
     "instruments.attachment_by_year[1]", "negative"),
    ({"distance_bands": [est(0.8, "probability"), est(0.6, "probability")],
      "delivery_fee": est(1, "GBP")}, "instruments.distance_bands", "increasing"),
    ({"priced_on": "assessment", "assessment_noise": est(0.5, "ratio"),
      "delivery_fee": est(1, "GBP")}, "instruments.priced_on", "prices nothing"),
    ({"priced_on": "assessment", "value_added": {"rate": est(5, "GBP")}},
     "instruments.assessment_noise", "logit sd"),
    ({"priced_on": "guesswork", "delivery_fee": est(1, "GBP")},
     "instruments.priced_on", "Input should be"),
    ({}, "instruments", "names no instrument"),
]


@pytest.mark.parametrize(("inst", "key", "text"), BAD)
def test_a_bad_section_is_an_input_error_naming_its_key(inst, key, text):
    doc = {"name": "bad", "description": "A bad file.", "based_on": "work_programme_2011",
           "instruments": inst}
    found = problems(doc)
    assert any(col == key and text in msg for col, msg in found), found


def test_bad_top_level_keys_are_named():
    base = {"name": "bad", "description": "A bad file."}
    assert problems({**base, "based_on": "no_such_preset"})[0][0] == "based_on"
    found = problems({**base, "based_on": "work_programme_2011", "referral_year": 2})
    assert found[0][0] == "referral_year" and "attachment_by_year" in found[0][1]
    found = problems({**base, "based_on": "work_programme_2011", "referral_year": 0,
                      "instruments": {"attachment_by_year": [est(1, "GBP")]}})
    assert found[0][0] == "referral_year"


FIGURE_PATHS = [
    ("value_added", "rate"), ("value_added", "benchmark_offset"), ("value_added", "floor"),
    ("accelerator", "level_above_no_support"), ("accelerator", "fee_above"),
    ("yardstick", "rate"), ("cost_sharing", "share"), ("funded_hours", "hours"),
]
GOOD = {
    "value_added": {"rate": est(1000, "GBP")},
    "accelerator": {"level_above_no_support": est(0.1, "ratio"), "fee_below": est(0, "GBP"),
                    "fee_above": est(100, "GBP")},
    "yardstick": {"rate": est(100, "GBP")},
    "cost_sharing": {"share": est(0.5, "ratio")},
    "funded_hours": {"hours": est(5, "hours")},
}
HOSTILE = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-10**30, 10**30),
    st.text(max_size=20),
    st.none(),
    st.booleans(),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
)


@given(where=st.sampled_from(FIGURE_PATHS), what=st.sampled_from(["value", "unit", "whole"]),
       bad=HOSTILE)
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_hostile_values_give_an_input_error_naming_the_key_or_a_valid_contract(where, what, bad):
    section, key = where
    inst = {section: copy.deepcopy(GOOD[section])}
    fig = inst[section].get(key) or est(0.05, "probability")
    if what == "whole":
        inst[section][key] = bad
    else:
        inst[section][key] = {**fig, what: bad}
    doc = {"name": "hostile", "description": "A hostile file.", "based_on": "work_programme_2011",
           "instruments": inst}
    try:
        text = yaml.safe_dump(doc)
    except yaml.YAMLError:  # pragma: no cover - safe_dump takes every value drawn
        return
    try:
        c = contract_from_yaml(text, source="hostile.yaml")
    except InputError as err:
        assert err.problems
        for p in err.problems:
            assert p.column and p.column.startswith(f"instruments.{section}"), p
        return
    assert c.families  # whatever validated is a usable contract




def test_the_sources_table_lists_the_instrument_figures():
    from pbr_fairness import reporting

    c = load_contract("work_programme_2011_by_year")
    table = reporting.contract_sources(c)
    inst = table[table["tariff"] == "instruments"]
    assert len(inst) == 9 * 4  # nine payment groups, four contract years
    assert "attachment_by_year_by_cell.PG7[0]" in set(inst["figure"])
    assert (inst["source"].str.len() > 0).all()
    wp = reporting.contract_sources(load_contract("work_programme_2011"))
    assert len(table) == len(wp) + len(inst)
