"""A contract's instruments as plain values and back (the designer's edits), without Streamlit."""

from __future__ import annotations

import pytest

from pbr_fairness.contracts import load_contract
from pbr_fairness.contracts.editing import (
    EDIT_REASON,
    EDITABLE_FAMILIES,
    add_family,
    apply_instrument_edits,
    instrument_edits,
)
from pbr_fairness.errors import InputError
from pbr_fairness.recipes import contract_needs_prediction
from pbr_fairness.reporting.instruments import FAMILY_HELP, FAMILY_TITLES
from pbr_fairness.scenario import (
    SEARCH_FAMILIES,
    ContractChoice,
    Scenario,
    resolve_contract,
    scenario_code,
    scenario_from_code,
)
from pbr_fairness.tariffs.instrument_designs import FAMILIES

PRESETS = (
    "work_programme_2011",
    "work_programme_2011_by_year",
    "value_added_comparison_group",
    "accelerator_work_and_health",
    "yardstick_primes",
    "cost_sharing_employment_fund",
    "funded_hours_by_need",
    "assessment_priced",
)


@pytest.mark.parametrize("name", PRESETS)
def test_every_preset_reads_back_unchanged_and_takes_every_family(name):
    c = load_contract(name)
    e = instrument_edits(c)
    assert apply_instrument_edits(c, e) == c  # nothing edited: the same contract
    for family in EDITABLE_FAMILIES:
        more = add_family(e, c, family)
        d = apply_instrument_edits(c, more)
        assert instrument_edits(d) == more, family
        assert more.uses(family)


def test_an_edited_figure_is_an_estimate_and_an_unchanged_one_keeps_its_source():
    c = load_contract("accelerator_work_and_health")
    e = instrument_edits(c)
    d = apply_instrument_edits(
        c, e.model_copy(update={"accelerator": e.accelerator.model_copy(
            update={"fee_above": 3000.0})})
    )
    acc = d.spec.instruments.accelerator
    assert acc.fee_above.value == 3000.0 and acc.fee_above.estimate
    assert acc.fee_above.reason == EDIT_REASON
    assert acc.level_above_no_support.reference  # unchanged: the Work Foundation source stays
    assert d.name.endswith("(instruments edited)")


def test_a_family_added_to_a_plain_contract_carries_its_presets_sources():
    c = load_contract("work_programme_2011")
    d = apply_instrument_edits(c, add_family(instrument_edits(c), c, "cost_sharing"))
    share = d.spec.instruments.cost_sharing.share_by_cell["band_1"]
    assert share.value == 0.95 and share.reference  # the Senate (2019) reference
    assert d.spec.instruments.distance_bands[0].value == pytest.approx(0.714)
    assert contract_needs_prediction(d) and not contract_needs_prediction(c)


def test_a_bad_value_is_an_input_error_naming_the_key():
    c = load_contract("work_programme_2011")
    e = add_family(instrument_edits(c), c, "cost_sharing")
    bad = e.model_copy(update={"cost_sharing": e.cost_sharing.model_copy(
        update={"values": {"band_1": 1.5}})})
    with pytest.raises(InputError, match=r"instruments\.cost_sharing\.share_by_cell\.band_1"):
        apply_instrument_edits(c, bad)
    acc = add_family(instrument_edits(c), c, "accelerator")
    low = acc.model_copy(update={"accelerator": acc.accelerator.model_copy(
        update={"fee_below": 5000.0})})
    with pytest.raises(InputError, match="fee_above"):
        apply_instrument_edits(c, low)


def test_removing_every_instrument_gives_the_fees_alone():
    c = load_contract("yardstick_primes")
    d = apply_instrument_edits(c, instrument_edits(load_contract("work_programme_2011")))
    assert d.spec.instruments is None
    assert d.tariffs == c.tariffs


def test_a_scenario_carries_the_instruments_through_its_code():
    c = load_contract("work_programme_2011")
    e = add_family(instrument_edits(c), c, "yardstick")
    e = e.model_copy(update={"yardstick": e.yardstick.model_copy(update={"rate": 2400.0})})
    s = Scenario.model_validate(
        {"designer": {"current": {"contract": ContractChoice(instruments=e).model_dump()}}}
    )
    again = scenario_from_code(scenario_code(s))
    assert again == s
    contract = resolve_contract(again.designer.current.contract)
    assert contract.spec.instruments.yardstick.rate.value == 2400.0


def test_every_family_has_a_title_and_help_and_the_search_families_agree():
    assert set(FAMILY_TITLES) == set(FAMILY_HELP) == set(EDITABLE_FAMILIES)
    for text in FAMILY_HELP.values():
        assert "Precedent" in text and "Risk" in text and "Verify" in text
    assert SEARCH_FAMILIES == FAMILIES
