"""The library behind the designer's world and its "how sure" ranges, without Streamlit.

The response scenarios offered, their help, the scenario that keeps the choice, the caseload
generated for another world, and :func:`pbr_fairness.recipes.uncertainty.designer_uncertainty`
(at a few draws of a thousand people).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from pbr_fairness.caseload.generator import RESPONSE_SCENARIOS
from pbr_fairness.cli import main
from pbr_fairness.errors import InputError
from pbr_fairness.prepare import project_root
from pbr_fairness.recipes import designer_runs, simulate_scenario
from pbr_fairness.recipes.data import AppData
from pbr_fairness.recipes.designer import DesignerRun
from pbr_fairness.recipes.response import (
    DEFAULT_RESPONSE,
    RESPONSE_CASELOAD_N,
    RESPONSE_HELP,
    RESPONSES,
    response_caseload_size,
)
from pbr_fairness.recipes.uncertainty import designer_uncertainty, estimated_seconds
from pbr_fairness.reporting.summaries import HEADLINE_MEASURES
from pbr_fairness.scenario import Scenario, read_scenario, scenario_to_yaml

#: 40 draws: with fewer, the central estimates (which sit in the ranges' lower part,
#: docs/calibration.md) can fall below the 5th percentile.
DRAWS, PEOPLE = 40, 1000


def _run(**update: object) -> DesignerRun:
    scn = Scenario.model_validate({"designer": {"current": update}} if update else {})
    return designer_runs(scn)["This scenario"]


def test_the_responses_offered_are_the_generators() -> None:
    assert set(RESPONSES) == set(RESPONSE_SCENARIOS)
    assert DEFAULT_RESPONSE == "evidence" == RESPONSES[0]


def test_every_response_says_what_it_assumes_and_its_evidence() -> None:
    for name in RESPONSES:
        h = RESPONSE_HELP[name]
        assert h.label and len(h.assumes) > 60 and len(h.evidence) > 60, name
    assert "Card, Kluve & Weber (2018" in RESPONSE_HELP["evidence"].evidence
    assert "first version" in RESPONSE_HELP["gain_falls"].evidence


def test_the_scenario_keeps_the_response() -> None:
    scn = Scenario.model_validate({"designer": {"response": "gain_rises"}})
    text = scenario_to_yaml(scn)
    assert "gain_rises" in text
    assert read_scenario(text).designer.response == "gain_rises"
    assert "response" not in scenario_to_yaml(Scenario())  # only what differs is written
    with pytest.raises(InputError) as info:
        read_scenario("designer:\n  response: gain_up\n", source="s.yaml")
    assert "designer.response" in str(info.value)


def test_another_world_has_its_own_smaller_caseload() -> None:
    assert response_caseload_size("evidence") is None
    assert response_caseload_size("gain_falls") == RESPONSE_CASELOAD_N == 50_000
    with pytest.raises(ValueError, match="gain_up"):
        response_caseload_size("gain_up")
    data = AppData(root=project_root(), caseload_n=2000)
    ids = {data.caseload_id("default", r) for r in RESPONSES}
    assert len(ids) == 3
    evidence = data.load_caseload("default")
    rises = data.load_caseload("default", "gain_rises")
    assert len(rises) == len(evidence) == 2000
    # the same recipe (seed, providers: the same people), another response to support
    assert (rises["payment_group"] == evidence["payment_group"]).all()
    assert sorted(rises["provider_id"].unique()) == ["P1", "P2", "P3", "P4"]
    assert not np.allclose(rises["true_pmax"], evidence["true_pmax"])
    assert "gain_rises" in data.caseload_source("gain_rises")


def test_ranges_cover_the_central_value_of_every_headline() -> None:
    res = designer_uncertainty(_run(), draws=DRAWS, people=PEOPLE, seed=3)
    assert res.used >= DRAWS // 2
    assert list(res.table["measure"]) == list(HEADLINE_MEASURES)
    assert res.draws == DRAWS and res.people == PEOPLE and 0 < res.used <= DRAWS
    for _, row in res.table.iterrows():
        assert row["lower"] <= row["median"] <= row["upper"], row["measure"]
        assert res.contains(row["measure"], row["central"]), row["measure"]
    # the job-outcome rate of the contract the model is fitted under hardly moves
    lo, hi = res.range("job_outcome_rate")
    assert hi - lo < 0.002
    lo, hi = res.range("parked_share")
    assert hi - lo > 0.02
    # a figure of a caseload 50 times larger: totals scale, shares do not
    spend = float(res.table.set_index("measure").loc["government_spend", "central"])
    glo, ghi = res.around("government_spend", 50 * spend)
    assert glo == pytest.approx(50 * res.range("government_spend")[0])
    assert ghi == pytest.approx(50 * res.range("government_spend")[1])


def test_same_seed_same_ranges_and_progress_reported() -> None:
    seen: list[tuple[int, int]] = []
    a = designer_uncertainty(_run(), draws=3, people=PEOPLE, seed=5,
                             progress=lambda d, t: seen.append((d, t)))
    b = designer_uncertainty(_run(), draws=3, people=PEOPLE, seed=5)
    assert a.table.equals(b.table)
    assert seen == [(1, 3), (2, 3), (3, 3)]


def test_the_users_provider_and_instruments_are_held() -> None:
    base = designer_uncertainty(_run(), draws=3, people=PEOPLE, seed=5)
    dear = designer_uncertainty(_run(provider={"cost_per_hour": 40.0}), draws=3,
                                people=PEOPLE, seed=5)
    assert dear.range("parked_share")[0] > base.range("parked_share")[0]
    yardstick = designer_uncertainty(
        _run(contract={"preset": "yardstick_primes"}), draws=3, people=PEOPLE, seed=5
    )
    assert not yardstick.table.equals(base.table)


def test_other_worlds_have_their_own_ranges() -> None:
    evidence = designer_uncertainty(_run(), draws=3, people=PEOPLE, seed=5)
    falls = designer_uncertainty(_run(), draws=3, people=PEOPLE, seed=5, response="gain_falls")
    assert falls.response == "gain_falls"
    assert falls.range("parked_share") != evidence.range("parked_share")


def test_bad_requests_are_messages_naming_the_setting() -> None:
    with pytest.raises(InputError) as info:
        designer_uncertainty(_run(), draws=1, people=10, response="gain_up")
    text = str(info.value)
    assert "draws" in text and "people" in text and "response" in text
    run = _run(provider_knows="model")
    assert run.needs_prediction
    with pytest.raises(InputError, match="predictions"):
        designer_uncertainty(run, draws=2, people=PEOPLE)


def test_the_estimate_of_the_time_grows_with_the_work() -> None:
    assert estimated_seconds(40, 10_000) < estimated_seconds(200, 50_000)
    assert estimated_seconds(2, 500) >= 1
    assert estimated_seconds(40, 10_000, "gain_rises") > estimated_seconds(40, 10_000)


def test_cli_runs_a_scenario_in_its_world(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PBR_FAIRNESS_APP_CASELOAD_N", "2000")
    path = tmp_path / "scenario.yaml"
    out = {}
    for world in ("gain_rises", "gain_falls"):
        path.write_text(f"designer:\n  response: {world}\n", encoding="utf-8")
        json_file = tmp_path / f"{world}.json"
        assert main(["simulate", "--scenario", str(path), "--json", str(json_file),
                     "--quiet"]) == 0
        doc = json.loads(json_file.read_text(encoding="utf-8"))
        assert doc["provenance"]["caseload_file"] == f"generated:default:{world}:2000:20110601"
        out[world] = doc
    data = AppData.from_environment()
    expected = simulate_scenario(Scenario.model_validate({"designer": {"response": "gain_rises"}}),
                                 data.load_caseload("default", "gain_rises"))
    rises, falls = out["gain_rises"]["overall"], out["gain_falls"]["overall"]
    assert rises["parked_share"] == pytest.approx(expected.overall["parked_share"])
    assert falls["parked_share"] != pytest.approx(rises["parked_share"])
