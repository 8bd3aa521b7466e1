"""Tests of the library pieces behind the app: pbr_fairness.reporting and pbr_fairness.plots."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pytest

from pbr_fairness import plots, reporting
from pbr_fairness.contracts import contract_to_yaml, load_contract
from pbr_fairness.errors import InputError


@pytest.fixture(scope="module")
def wp2011():
    return load_contract("work_programme_2011")


def test_tariff_table_round_trip_unchanged(wp2011) -> None:
    table = reporting.tariff_table(wp2011)
    assert list(table.columns) == list(reporting.TARIFF_COLUMNS)
    assert list(table["tariff"]) == list(wp2011.tariffs)
    assert reporting.contract_from_table(wp2011, table) is wp2011


def test_tariff_table_edit_changes_only_that_fee(wp2011) -> None:
    table = reporting.tariff_table(wp2011)
    table.loc[table["tariff"] == "PG7", "job_outcome_fee"] = 5000.0
    edited = reporting.contract_from_table(wp2011, table)
    assert edited.tariffs["PG7"].job_outcome_fee == 5000.0
    assert edited.tariffs["PG1"] == wp2011.tariffs["PG1"]
    assert edited.name.endswith("(edited)")
    # the edited contract's YAML reads back to the same contract
    assert reporting.read_contract(contract_to_yaml(edited)) == edited


@pytest.mark.parametrize("preset", ["distance_bands_example", "smooth_example"])
def test_tariff_table_edit_other_bases(preset: str) -> None:
    contract = load_contract(preset)
    table = reporting.tariff_table(contract)
    first = table["tariff"].iloc[0]
    table.loc[0, "job_outcome_fee"] = table.loc[0, "job_outcome_fee"] + 123.0
    edited = reporting.contract_from_table(contract, table)
    assert edited.tariffs[first].job_outcome_fee == contract.tariffs[first].job_outcome_fee + 123.0
    assert edited.basis == contract.basis


def test_tariff_table_bad_values_name_row_and_column(wp2011) -> None:
    table = reporting.tariff_table(wp2011)
    table["attachment_fee"] = table["attachment_fee"].astype(object)
    table.loc[0, "attachment_fee"] = -3.0
    table.loc[2, "attachment_fee"] = "abc"
    with pytest.raises(InputError) as info:
        reporting.contract_from_table(wp2011, table)
    where = {(p.row, p.column) for p in info.value.problems}
    assert (1, "attachment_fee") in where
    assert (3, "attachment_fee") in where


def test_read_contract_rejects_unknown_keys_and_bad_yaml() -> None:
    with pytest.raises(InputError, match="unknown key"):
        reporting.read_contract(b"name: x\ndescription: y\nfoo: 1\n", source="mine.yaml")
    with pytest.raises(InputError, match="not valid YAML"):
        reporting.read_contract(b"name: [unclosed\n")
    with pytest.raises(InputError, match="UTF-8"):
        reporting.read_contract(b"\xff\xfe\x00bad")


def test_contract_sources_cover_every_figure(wp2011) -> None:
    table = reporting.contract_sources(wp2011)
    assert len(table) == 5 * len(wp2011.tariffs) + (wp2011.minimum_hours is not None)
    # every figure has a source or is labelled an estimate with a reason
    assert (table["source"].str.len() > 0).all()
    assert table["links"].str.startswith("http").mean() > 0.5


def test_parameter_sources_of_generator() -> None:
    table = reporting.parameter_sources()
    assert {"parameter", "value", "kind", "text"} <= set(table.columns)
    assert set(table["kind"]) <= {"source", "estimate"}
    assert (table["text"].str.len() > 0).all()
    assert table["parameter"].str.startswith("targets.").any()


def test_hours_by_decile_means() -> None:
    rng = np.random.default_rng(1)
    p0 = rng.uniform(size=1000)
    persons = pd.DataFrame({"p0": p0, "hours": 10 * p0, "planner_hours": 10 * (1 - p0)})
    table = reporting.hours_by_decile(persons)
    assert list(table["decile"]) == list(range(1, 11))
    assert table["n"].sum() == 1000
    assert np.all(np.diff(table["provider_hours"]) > 0)  # hours rise with p0
    assert np.all(np.diff(table["planner_hours"]) < 0)


@dataclass(frozen=True)
class _FakeResult:
    """Stands in for a SimulationResult in the report tests (same attributes)."""

    overall: dict
    frame: pd.DataFrame
    persons: pd.DataFrame
    provenance: dict = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        return self.frame


def _fake(scale: float, name: str = "x") -> _FakeResult:
    measures = {
        "job_outcome_rate": 0.3 * scale,
        "no_support_rate": 0.25,
        "additional_jobs": 100 * scale,
        "deadweight_share": 0.8,
        "government_spend": 1e6 * scale,
        "cost_per_additional_job": 1e4 / scale,
        "provider_profit": 1e5,
        "hours_per_person": 20,
        "parked_share": 0.4 / scale,
        "creaming_index": 0.1,
        "planner_gap": 0.3,
    }
    rows = [("overall", "all", m, v) for m, v in measures.items()]
    for g in ("PG1", "PG7"):
        for m, v in measures.items():
            rows.append(("payment_group", g, m, v))
    for ch, cats in {"sex": ("F", "M"), "disability": ("False", "True")}.items():
        for c in cats:
            rows.append((ch, c, "job_outcome_rate", 0.3))
    frame = pd.DataFrame(rows, columns=["breakdown", "group", "measure", "value"])
    p0 = np.linspace(0.01, 0.9, 200)
    persons = pd.DataFrame({"p0": p0, "hours": 5 + 10 * p0, "planner_hours": 15 - 10 * p0})
    return _FakeResult(measures, frame, persons, {"contract_name": name})


def test_headlines_and_comparison() -> None:
    base, better = _fake(1.0), _fake(2.0)
    heads = {h.measure: h for h in reporting.headlines(better, base)}
    assert heads["parked_share"].delta == pytest.approx(0.2 - 0.4)
    assert heads["parked_share"].lower_is_better
    table = reporting.comparison_table({"a": base, "b": better})
    assert list(table.columns) == ["a", "b"]
    assert table.loc["parked_share", "b"] == pytest.approx(0.2)
    shown = reporting.comparison_display({"a": base, "b": better}).set_index("Measure")
    assert list(shown.columns) == ["a", "b", "Change: b"]
    assert shown.loc["Parked share (%)", "b"] == "20.0%"
    assert shown.loc["Parked share (%)", "Change: b"] == "-20.0 points"
    assert shown.loc["Government spend (£)", "b"] == "£2,000,000"
    assert heads["government_spend"].text == "£2.0m"
    assert heads["parked_share"].change == "-20.0 points"


def test_results_csv_neutralises_formulas() -> None:
    text = reporting.results_csv({"=HYPERLINK(\"http://x\")": _fake(1.0)}).decode()
    assert "\n=HYPERLINK" not in text and "'=HYPERLINK" in text


def test_report_is_self_contained_and_escaped() -> None:
    html = reporting.designer_report_html(
        {"<script>alert(1)</script>": _fake(1.0), "b": _fake(2.0)},
        baseline="b",
        caseload_description="test",
    )
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    # no external resources: no script, stylesheet or image loaded from a remote host
    assert not re.search(r"""<(script|img|iframe)[^>]*\ssrc\s*=\s*["']?(https?:)?//""", html)
    assert not re.search(r"""<link[^>]*href\s*=\s*["']?(https?:)?//""", html)
    outside_scripts = re.sub(r"<script.*?</script>", "", html, flags=re.S)
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", outside_scripts)
    assert "Findings" in html and "Provenance" in html


def test_figures_build_from_tidy_tables() -> None:
    tidy = reporting.comparison_frame({"a": _fake(1.0), "b": _fake(2.0)})
    fig = plots.parked_share_figure(tidy)
    assert len(fig.data) == 2  # one bar series per contract
    assert fig.data[1].y[0] == pytest.approx(20.0)  # percent
    assert len(plots.outcome_with_without_support_figure(tidy, contract="a").data) == 2
    assert len(plots.gaps_figure(tidy).data) == 2  # one series per contract
    hours = reporting.hours_by_decile(_fake(1.0).persons)
    assert len(plots.hours_by_decile_figure(hours).data) == 2
    with pytest.raises(ValueError, match="no rows"):
        plots.measure_by_group_figure(tidy, "nonexistent")


def test_report_and_csv_from_real_simulations() -> None:
    from pbr_fairness.caseload.generator import make_caseload
    from pbr_fairness.simulation import ProviderSettings, simulate_contract

    caseload = make_caseload(2000, rng=5, providers=2)
    base = load_contract("work_programme_2011")
    table = reporting.tariff_table(base)
    table.loc[table["tariff"] == "PG7", "job_outcome_fee"] *= 4
    edited = reporting.contract_from_table(base, table)
    results = {
        name: reporting.slim_result(simulate_contract(caseload, c, ProviderSettings(), rng=1))
        for name, c in {"edited": edited, "baseline": base}.items()
    }
    assert set(results["edited"].persons.columns) <= set(reporting.SLIM_COLUMNS)
    html = reporting.designer_report_html(
        results, contracts={"edited": edited, "baseline": base}, baseline="baseline"
    )
    assert "edited against baseline" in html
    assert "PG7" in html and html.count("plotly-graph-div") >= 3
    text = reporting.results_csv(results).decode()
    assert text.splitlines()[0] == "contract,breakdown,group,measure,value,lower,upper,label,unit"
    pg7 = {
        name: r.to_frame().query("breakdown == 'payment_group' and group == 'PG7' "
                                 "and measure == 'parked_share'")["value"].iloc[0]
        for name, r in results.items()
    }
    assert pg7["edited"] <= pg7["baseline"]
