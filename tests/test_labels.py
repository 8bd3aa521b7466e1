"""The one table of labels, units and formats, the glossary and the plain-language sentences."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pbr_fairness import glossary, labels, reporting
from pbr_fairness.caseload.generator import make_caseload
from pbr_fairness.contracts import load_contract
from pbr_fairness.errors import InputError
from pbr_fairness.simulation import MEASURES as SIMULATION_MEASURES
from pbr_fairness.simulation import ProviderSettings, simulate_contract
from pbr_fairness.tariffs import EXTRA_MEASURES

SNAKE = re.compile(r"\b[a-z]+_[a-z_]+\b")


def test_every_simulation_and_tariff_measure_has_a_label_unit_and_description() -> None:
    for key in (*SIMULATION_MEASURES, *EXTRA_MEASURES):
        m = labels.MEASURES[key]
        assert m.label and not SNAKE.search(m.label), key
        assert m.description.endswith("."), key
        assert m.unit in ("GBP", "share", "count", "hours", "index", "ratio"), key


def test_formats_by_unit() -> None:
    assert labels.format_value("government_spend", 239112588.3177) == "£239,112,588"
    assert labels.format_value("government_spend", 239112588.3177, compact=True) == "£239.1m"
    assert labels.format_value("parked_share", 0.2791) == "27.9%"
    assert labels.format_value("p_value", 1e-12) == "< 0.001"
    assert labels.format_value("p_value", 0.0431) == "0.043"
    assert labels.format_value("creaming_index", 0.1834) == "+0.18"
    assert labels.format_value("hours_per_person", float("nan")) == labels.MISSING
    assert labels.format_value("n", pd.NA) == labels.MISSING
    assert labels.format_change("parked_share", 0.031) == "+3.1 points"
    assert labels.format_change("government_spend", -1.25e6) == "-£1.2m"
    assert labels.format_change("cost_per_additional_job", 1234.0, compact=False) == "+£1,234"


def test_headings_carry_units_and_never_snake_case() -> None:
    for key, m in labels.MEASURES.items():
        assert not SNAKE.search(m.heading), key
    assert labels.heading("government_spend") == "Government spend (£)"
    assert labels.heading("parked_share") == "Parked share (%)"
    assert labels.heading("unknown_column_x") == "Unknown column x"


def test_one_direction_of_distance() -> None:
    # band 1 and decile 1 are the furthest from work everywhere
    assert labels.decile_label("D1").endswith("(furthest from work)")
    assert labels.decile_label("D10").endswith("(closest to work)")
    bands = load_contract("distance_bands_example")
    shown = reporting.tariff_table(bands, furthest_first=True)
    names = reporting.tariff_labels(bands)
    assert names[shown["tariff"].iloc[0]] == "Band 1 (furthest): chance below 7%"
    assert names[shown["tariff"].iloc[-1]] == "Band 5 (closest): chance 40% or more"
    # the optimiser's contracts carry the same labels in their YAML
    from pbr_fairness.tariffs.proposal import band_contract

    t = bands.tariffs["closest"]
    proposal = band_contract("p", "d", [0.0, 0.6, 0.85, 1.0], [t, t, t], minimum_hours=None,
                             window_months=24, reason="test")
    assert [b.label for b in proposal.spec.bands] == [
        "Band 3 (closest to work): chance 40% or more",
        "Band 2: chance 15% to 40%",
        "Band 1 (furthest from work): chance below 15%",
    ]


@settings(max_examples=60, deadline=None)
@given(
    edges=st.lists(st.floats(0.01, 0.99), min_size=0, max_size=9, unique=True).map(sorted),
    band=st.integers(1, 10),
    name=st.sampled_from([None, "far", "closest to work"]),
)
def test_one_band_label_convention(edges: list[float], band: int, name: str | None) -> None:
    from pbr_fairness.distance import band_label as model_band_label

    if band > len(edges) + 1:
        band = len(edges) + 1
    assert labels.band_label(band, edges, name=name) == model_band_label(band, edges, name=name)


def test_format_table_merges_intervals_and_marks_suppressed_cells() -> None:
    table = pd.DataFrame(
        {
            "provider_id": ["P1", "P2"],
            "n": [494.0, None],
            "oe_ratio": [0.98864, None],
            "oe_ci_low": [0.8317, None],
            "oe_ci_high": [1.1666, None],
            "p_adjusted": [0.000001, None],
            "suppressed": [False, True],
        }
    )
    shown = labels.format_table(table)
    assert list(shown.columns) == [
        "Provider",
        "People",
        "Observed / expected (95% interval)",
        "Adjusted p-value",
    ]
    assert shown.iloc[0].tolist() == ["P1", "494", "0.99 (0.83 to 1.17)", "< 0.001"]
    assert shown.iloc[1].tolist()[1:] == [labels.SUPPRESSED] * 3
    assert labels.SUPPRESSED in labels.SUPPRESSED_LEGEND


def test_format_table_labels_groups_in_words() -> None:
    table = pd.DataFrame({"payment_group": ["PG7"], "decile": [1], "parked_share": [0.5]})
    shown = labels.format_table(table)
    assert shown.iloc[0].tolist() == ["PG7 ESA ex-IB", "Decile 1 (furthest from work)", "50.0%"]


def test_column_descriptions_for_csv_headers() -> None:
    d = labels.column_descriptions(["provider_id", "oe_ratio", "p_value"]).set_index("column")
    assert d.loc["oe_ratio", "heading"] == "Observed / expected"
    assert "expected" in d.loc["oe_ratio", "description"]
    assert d.loc["p_value", "unit"] == "p_value"


def test_glossary_defines_every_linked_term() -> None:
    terms = {t.name for t in glossary.glossary()}
    for needed in ("Parking", "Creaming", "Deadweight", "Cost per additional job", "Planner gap",
                   "AUC", "Brier score", "Calibration error", "Oracle", "Predictive ratio"):
        assert needed in terms, needed
    for t in glossary.glossary():
        assert t.definition and t.anchor == glossary.anchor(t.name)
    # measures that name a glossary term of their own point at an existing one
    for m in labels.MEASURES.values():
        if m.glossary is not None:
            assert m.glossary in terms, m.key


def test_change_sentence_names_the_fee_the_group_and_the_spend() -> None:
    caseload = make_caseload(3000, rng=4, providers=2)
    base = load_contract("work_programme_2011")
    table = reporting.tariff_table(base)
    table.loc[table["tariff"] == "PG7", "job_outcome_fee"] = 5000.0
    edited = reporting.contract_from_table(base, table)
    provider = ProviderSettings()
    dearer = provider.replace(cost_per_hour=25.0)
    r_base = simulate_contract(caseload, base, provider, rng=1)
    r_new = simulate_contract(caseload, edited, dearer, rng=1)
    text = reporting.change_sentence(
        r_new,
        r_base,
        contract=edited,
        baseline_contract=base,
        provider=dearer.to_dict(),
        baseline_provider=provider.to_dict(),
    )
    assert text.startswith(
        "Raising PG7 ESA ex-IB's job-outcome fee from £3,500 to £5,000 and raising the cost "
        "of an hour of support from £20 to £25:"
    )
    assert "government spend" in text and text.endswith(".")
    same = reporting.change_sentence(r_base, r_base, baseline_name="work_programme_2011")
    assert same.startswith("Under work_programme_2011,")


def test_structural_changes_in_words() -> None:
    base = load_contract("work_programme_2011")
    zero = {
        k: type(t)(0.0, t.job_outcome_fee, 26.0, 0.0, t.max_sustainment_payments)
        for k, t in base.tariffs.items()
    }
    proposed = reporting.with_tariffs(base, zero, name="p")
    text = " ".join(reporting.structural_changes(base, proposed))
    assert "Every attachment fee is set to £0" in text
    assert "Every sustainment fee is set to £0" in text
    assert "Every job-outcome trigger is now 26 weeks (the baseline: 13 weeks to 26 weeks)" in text


def test_read_contract_accepts_plain_numbers_as_labelled_estimates() -> None:
    text = """
name: hand-written
description: Two groups written by hand.
groups:
  PG1: {attachment_fee: 400, job_outcome_fee: 1200, job_outcome_trigger_weeks: 26,
        sustainment_fee: 170, max_sustainment_payments: 13}
  PG2:
    attachment_fee: {value: 400}
    job_outcome_fee: 1200
    job_outcome_trigger_weeks: 26
    sustainment_fee: 170
    max_sustainment_payments: 13
"""
    c = reporting.read_contract(text, source="mine.yaml")
    assert c.tariffs["PG2"].attachment_fee == 400.0
    fig = c.spec.groups["PG1"].job_outcome_fee
    assert fig.estimate and fig.reason == "given as a plain number in mine.yaml"
    assert fig.unit == "GBP"


def test_read_contract_errors_speak_plainly() -> None:
    bad = "name: x\ndescription: y\ngroups:\n  PG1:\n    attachment_fee: lots\n"
    with pytest.raises(InputError) as info:
        reporting.read_contract(bad, source="mine.yaml")
    text = str(info.value)
    assert "instance of Figure" not in text
    assert "must be a number (for example 1200)" in text
    assert "missing: this key is needed here" in text
