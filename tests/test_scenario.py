"""Scenario files and codes, the app's recipes (without Streamlit), and ``simulate --scenario``."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pbr_fairness.caseload.generator import make_caseload
from pbr_fairness.caseload.io import write_caseload
from pbr_fairness.cli import main
from pbr_fairness.contracts import load_contract
from pbr_fairness.errors import InputError
from pbr_fairness.recipes import (
    AppData,
    designer_runs,
    find_prepared,
    prepare_results,
    simulate_run,
    simulate_scenario,
)
from pbr_fairness.recipes import audit as audit_recipe
from pbr_fairness.recipes.prepared import load_result, save_result
from pbr_fairness.recipes.tariff import tariff_checks, tariff_constraints
from pbr_fairness.scenario import (
    ContractChoice,
    Scenario,
    TariffEdit,
    TariffState,
    Variant,
    read_scenario,
    resolve_contract,
    save_scenario,
    scenario_code,
    scenario_from_code,
    scenario_to_yaml,
)
from pbr_fairness.simulation import ProviderSettings

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "synthetic" / "sample_caseload.csv"


def _edited(fee: float = 5000.0, cost: float = 25.0) -> Scenario:
    return Scenario.model_validate(
        {
            "designer": {
                "current": {
                    "contract": {"edits": {"PG7": {"job_outcome_fee": fee}}},
                    "provider": {"cost_per_hour": cost},
                },
                "view": "parked",
            }
        }
    )


@pytest.fixture(scope="module")
def caseload() -> pd.DataFrame:
    return make_caseload(3000, rng=11, providers=3)


# ----------------------------------------------------------------------------- the model
def test_default_scenario_is_empty_everywhere() -> None:
    assert scenario_code(Scenario()) == ""
    assert scenario_to_yaml(Scenario()) == "kind: pbr-fairness scenario\nversion: 1\n"
    assert read_scenario("") == Scenario()


def test_unknown_keys_are_errors_naming_the_key() -> None:
    with pytest.raises(InputError) as info:
        read_scenario("designer:\n  current:\n    provider_know: model\n", source="s.yaml")
    assert "designer.current.provider_know" in str(info.value)
    assert "unknown key" in str(info.value)
    with pytest.raises(InputError, match="not a scenario file"):
        read_scenario("kind: contract\n")
    with pytest.raises(InputError, match="job_outcome_fee"):
        read_scenario("designer: {current: {contract: {edits: {PG7: {job_outcome_fee: -1}}}}}")


def test_scenario_file_and_code_round_trip(tmp_path: Path) -> None:
    s = _edited()
    path = save_scenario(s, tmp_path / "s.yaml")
    assert read_scenario(path.read_bytes()) == s
    code = scenario_code(s)
    assert len(code) < 200
    assert scenario_from_code(code) == s


def test_a_whole_uploaded_contract_fits_in_an_address() -> None:
    spec = load_contract("distance_bands_example").spec
    s = Scenario.model_validate(
        {"designer": {"current": {"contract": {"origin": "file", "spec": spec.model_dump(),
                                               "file_name": "mine.yaml"}}}}
    )
    code = scenario_from_code(scenario_code(s))
    assert code == s
    assert len(scenario_code(s)) < 4000
    assert resolve_contract(s.designer.current.contract).spec == spec


@settings(max_examples=30, deadline=None)
@given(
    fee=st.floats(0, 1e5, allow_nan=False),
    cost=st.floats(1, 200, allow_nan=False),
    view=st.sampled_from(["hours", "parked", "outcomes", "gaps", "side_by_side"]),
    budget=st.integers(70, 130),
)
def test_codes_round_trip(fee: float, cost: float, view: str, budget: int) -> None:
    s = _edited(fee, cost).model_copy(update={"tariff": TariffState(budget_percent=budget)})
    s = s.model_copy(update={"designer": s.designer.model_copy(update={"view": view})})
    assert scenario_from_code(scenario_code(s)) == s


@pytest.mark.parametrize("bad", ["x", "1", "1AAAA", "1" + "A" * 10, "2abc"])
def test_damaged_codes_are_input_errors(bad: str) -> None:
    with pytest.raises(InputError, match="cut short"):
        scenario_from_code(bad)


def test_edits_of_unknown_tariffs_are_errors() -> None:
    choice = ContractChoice(edits={"PG42": TariffEdit(job_outcome_fee=1.0)})
    with pytest.raises(InputError, match="no tariff 'PG42'"):
        resolve_contract(choice)


# ----------------------------------------------------------------------------- recipes
def test_designer_runs_resolve_current_baseline_and_compared() -> None:
    s = _edited()
    saved = Variant(name="Mine", contract=ContractChoice(preset="work_programme_2014"))
    s = s.model_copy(update={"designer": s.designer.model_copy(
        update={"saved": (saved,), "compare": ("Mine", "work_programme_2014")})})
    runs = designer_runs(s)
    assert list(runs) == [
        "This scenario", "Baseline: work_programme_2011", "Mine", "work_programme_2014"
    ]
    assert runs["This scenario"].contract.tariffs["PG7"].job_outcome_fee == 5000.0
    assert runs["This scenario"].provider.cost_per_hour == 25.0
    # the baseline and a preset compared run under the current provider, a saved one under its own
    assert runs["Baseline: work_programme_2011"].provider.cost_per_hour == 25.0
    assert runs["work_programme_2014"].provider.cost_per_hour == 25.0
    assert runs["Mine"].provider.cost_per_hour == ProviderSettings().cost_per_hour
    assert not runs["This scenario"].needs_prediction
    bands = Scenario.model_validate(
        {"designer": {"current": {"contract": {"preset": "distance_bands_example"}}}}
    )
    assert designer_runs(bands)["This scenario"].needs_prediction


def test_a_run_that_needs_a_prediction_says_so(caseload: pd.DataFrame) -> None:
    s = Scenario.model_validate({"designer": {"current": {"provider_knows": "model"}}})
    run = designer_runs(s)["This scenario"]
    with pytest.raises(InputError, match="needs the distance model's predictions"):
        simulate_run(caseload, run)


def test_scenario_recipe_matches_the_library(caseload: pd.DataFrame) -> None:
    from pbr_fairness.simulation import simulate_contract

    s = _edited()
    res = simulate_scenario(s, caseload)
    contract = resolve_contract(s.designer.current.contract)
    direct = simulate_contract(
        caseload, contract, ProviderSettings(cost_per_hour=25.0), rng=s.seed
    )
    assert res.overall == direct.overall


def test_prepared_results_round_trip_and_are_keyed_by_their_inputs(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("")
    data = AppData(root=tmp_path, caseload_n=2000)
    written = prepare_results(data)
    assert len(written) == 1  # the current and the baseline are the same run
    assert prepare_results(data) == []  # already prepared
    run = designer_runs(Scenario())["This scenario"]
    found = find_prepared(data, run, mode="expected", seed=Scenario().seed)
    assert found is not None
    fresh = simulate_run(data.load_caseload(), run, seed=Scenario().seed)
    assert found.overall == pytest.approx(fresh.overall)
    pd.testing.assert_frame_equal(
        found.to_frame().reset_index(drop=True), fresh.to_frame().reset_index(drop=True),
        check_dtype=False, check_categorical=False,
    )
    other = designer_runs(_edited())["This scenario"]
    assert find_prepared(data, other, mode="expected", seed=Scenario().seed) is None
    assert find_prepared(AppData(root=tmp_path, caseload_n=2001), run, mode="expected",
                         seed=Scenario().seed) is None
    assert load_result(tmp_path / "nowhere") is None
    from pbr_fairness.recipes import prepared

    old = prepared.code_digest()
    prepared._CODE["digest"] = "another version of the engine"
    try:
        assert find_prepared(data, run, mode="expected", seed=Scenario().seed) is None
    finally:
        prepared._CODE["digest"] = old
    save_result(found, tmp_path / "copy")
    assert load_result(tmp_path / "copy").overall == found.overall


def test_tariff_constraints_and_honest_checks(caseload: pd.DataFrame) -> None:
    from pbr_fairness.tariffs import optimise_tariff

    state = TariffState(basis="payment_group", provider_knows="truth", budget_percent=70,
                        max_parked_percent=0)
    cons = tariff_constraints(state)
    assert cons.budget_share == 0.7 and cons.max_parked_share == 0.0
    res = optimise_tariff(caseload, basis="payment_group", constraints=cons,
                          frontier_shares=None, with_reference=False)
    checks = {c.limit: c for c in tariff_checks(res)}
    cap = checks["Parked share in every payment group and decile at most the cap"]
    worst = res.proposed_measures["worst_parked_share"]
    assert cap.met == (worst <= 1e-9)
    assert f"{100 * worst:.1f}%" in cap.detail  # the proposal's own figure, as the headline


def test_audit_recipe_suggests_values_and_speaks_in_the_apps_words() -> None:
    assert audit_recipe.suggest_value("sex", "female") == "F"
    assert audit_recipe.suggest_value("sex", " MALE ") == "M"
    assert audit_recipe.suggest_value("ethnicity", "White British") == "White"
    assert audit_recipe.suggest_value("qualification", "A level") == "a_level"
    assert audit_recipe.suggest_value("payment_group", "pg 3") == "PG3"
    assert audit_recipe.suggest_value("age", "30") is None
    status = audit_recipe.mapping_status(["person_id", "payment_group", "job_outcome"], {})
    assert status.missing == ("provider_id",)


@pytest.mark.skipif(not SAMPLE.exists(), reason="needs data/synthetic/sample_caseload.csv")
def test_audit_recipe_recodes_values_before_validating() -> None:
    frame = pd.read_csv(SAMPLE)
    frame["sex"] = frame["sex"].map({"F": "female", "M": "male", "X": "other"})
    blob = frame.to_csv(index=False).encode()
    unknown = audit_recipe.unmatched_values(blob, "x.csv")
    assert set(unknown["value"]) == {"female", "male", "other"}
    with pytest.raises(InputError) as info:
        audit_recipe.read_upload(blob, "x.csv")
    assert "--" not in str(info.value)
    rows = [p.row for p in info.value.problems if p.row is not None]
    assert rows == sorted(rows)
    read = audit_recipe.read_upload(
        blob, "x.csv", recodes={"sex": {"female": "F", "male": "M", "other": "X"}}
    )
    assert set(read["sex"].dropna()) <= {"F", "M", "X"}


def test_the_library_never_imports_streamlit() -> None:
    for path in (ROOT / "pbr_fairness").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            assert not any(n.split(".")[0] == "streamlit" for n in names), path


def test_the_app_reaches_the_library_by_plain_imports() -> None:
    for path in (ROOT / "app").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "importlib" not in text and "library_part" not in text, path
        assert '.basis != "payment_group"' not in text, path  # needs_prediction decides


# ----------------------------------------------------------------------------- command line
def test_cli_simulate_reads_a_scenario_file(tmp_path: Path, caseload: pd.DataFrame) -> None:
    path = write_caseload(caseload, tmp_path / "caseload.parquet")
    scenario = save_scenario(_edited(), tmp_path / "scenario.yaml")
    out = tmp_path / "out.json"
    code = main(["simulate", "--scenario", str(scenario), "--caseload", str(path),
                 "--json", str(out), "--quiet"])
    assert code == 0
    doc = json.loads(out.read_text())
    expected = simulate_scenario(_edited(), caseload)
    assert doc["overall"] == pytest.approx(expected.overall)
    assert doc["provider"]["cost_per_hour"] == 25.0
    assert doc["provenance"]["scenario_file"] == str(scenario)
    # an option given on the command line overrides the scenario's
    code = main(["simulate", "--scenario", str(scenario), "--caseload", str(path),
                 "--cost-per-hour", "30", "--json", str(out), "--quiet"])
    assert code == 0 and json.loads(out.read_text())["provider"]["cost_per_hour"] == 30.0


def test_cli_bad_scenario_file_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("designer: {curent: {}}\n")
    assert main(["simulate", "--scenario", str(bad), "--caseload", str(bad)]) == 2
    assert "designer.curent" in capsys.readouterr().err
    assert main(["simulate"]) == 2
    assert np.isfinite(1.0)
