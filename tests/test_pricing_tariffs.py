"""Tariffs are priced on the pricing model unless the user opts in (with a warning)."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from pbr_fairness.caseload.generator import make_caseload
from pbr_fairness.distance import DistanceModel, load_pricing_model
from pbr_fairness.errors import InputError
from pbr_fairness.tariffs import TARGET_MEASURE, optimise_tariff, tariff_robustness
from pbr_fairness.tariffs import prediction as prediction_module
from pbr_fairness.tariffs.prediction import (
    PricingFeaturesWarning,
    PricingPredictor,
    predicted_probability,
)
from pbr_fairness.tariffs.pricing import pricing_choice_cost

FAST: dict[str, Any] = {"frontier_shares": None, "with_reference": False, "structure": "baseline"}


@pytest.fixture(scope="module")
def caseload() -> pd.DataFrame:
    return make_caseload(3000, rng=5, providers=2)


@pytest.fixture(scope="module")
def permuted(caseload: pd.DataFrame) -> pd.DataFrame:
    """The same people with sex and ethnicity shuffled between them (all else kept)."""
    out = caseload.copy()
    order = np.random.default_rng(1).permutation(len(out))
    for col in ("sex", "ethnicity"):
        out[col] = caseload[col].to_numpy()[order]
    return out


def _fees(res) -> np.ndarray:
    return res.after.persons["outcome_value"].to_numpy()


def test_default_pricing_ignores_sex_and_ethnicity(caseload, permuted) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", PricingFeaturesWarning)  # the default never warns
        a = optimise_tariff(caseload, basis="distance_band", **FAST)
        b = optimise_tariff(permuted, basis="distance_band", **FAST)
    assert a.proposed == b.proposed
    np.testing.assert_array_equal(_fees(a), _fees(b))
    np.testing.assert_array_equal(
        a.after.persons["predicted"].to_numpy(), load_pricing_model().predict_proba(caseload)[:, 1]
    )
    assert a.provenance["pricing_features"] == "lawful"


def test_full_pricing_opt_in_warns_and_depends_on_them(caseload, permuted) -> None:
    with pytest.warns(PricingFeaturesWarning, match=r"Equality Act 2010, s\.13"):
        a = optimise_tariff(caseload, basis="distance_band", pricing_features="all", **FAST)
    with pytest.warns(PricingFeaturesWarning):
        b = optimise_tariff(permuted, basis="distance_band", pricing_features="all", **FAST)
    assert a.provenance["pricing_features"] == "all"
    assert not np.array_equal(_fees(a), _fees(b))
    lawful = optimise_tariff(caseload, basis="distance_band", **FAST)
    assert not np.array_equal(
        a.after.persons["predicted"].to_numpy(), lawful.after.persons["predicted"].to_numpy()
    )


def test_bad_pricing_features_is_a_user_mistake(caseload) -> None:
    with pytest.raises(InputError, match="pricing_features"):
        optimise_tariff(caseload.iloc[:300], pricing_features="some", **FAST)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="must be lawful or all"):
        predicted_probability(caseload, pricing_features="sex")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="must be lawful or all"):
        PricingPredictor(None, "everything")  # type: ignore[arg-type]


def test_lawful_pricing_refuses_a_model_that_reads_sex(caseload, tmp_path: Path) -> None:
    model = DistanceModel(["age", "sex", "disability"], n_estimators=10, rng=0)
    model.fit(caseload, "job_outcome")
    with pytest.raises(InputError, match=r"reads sex.*pricing_features='all'"):
        predicted_probability(caseload, model)
    model.save(tmp_path / "m")
    with pytest.raises(InputError, match="reads sex"):
        optimise_tariff(caseload, basis="distance_band", model=tmp_path / "m", **FAST)
    with pytest.warns(PricingFeaturesWarning):
        p = predicted_probability(caseload, tmp_path / "m", pricing_features="all")
    np.testing.assert_allclose(p, model.predict_proba(caseload)[:, 1])


def test_no_stand_in_for_lawful_pricing(caseload, tmp_path: Path, monkeypatch) -> None:
    """true_p_observable knows sex and ethnicity: it stands in only for the full model."""
    monkeypatch.setattr(prediction_module, "PRICING_MODEL_DIR", tmp_path / "none")
    monkeypatch.setattr(prediction_module, "DEFAULT_MODEL_DIR", tmp_path / "none")
    with pytest.raises(InputError, match="no pricing model"):
        predicted_probability(caseload)
    with pytest.warns(PricingFeaturesWarning):
        p = predicted_probability(caseload, pricing_features="all")
    np.testing.assert_array_equal(p, caseload["true_p_observable"].to_numpy())


def test_robustness_prices_on_the_pricing_model_by_default(caseload) -> None:
    res = optimise_tariff(caseload, basis="distance_band", **FAST)
    q = predicted_probability(caseload)
    kw: dict[str, Any] = {"noise_levels": (0.0,), "replications": 0}
    with warnings.catch_warnings():
        warnings.simplefilter("error", PricingFeaturesWarning)
        default = tariff_robustness(caseload, res.proposed, **kw).noise
    given = tariff_robustness(caseload, res.proposed, predicted=q, **kw).noise
    pd.testing.assert_frame_equal(default, given)


def test_pricing_choice_cost_compares_the_two(caseload) -> None:
    with pytest.warns(PricingFeaturesWarning):
        cost = pricing_choice_cost(caseload, provider_knows="truth", **FAST)
    t = cost.table()
    lawful = optimise_tariff(caseload, basis="distance_band", provider_knows="truth", **FAST)
    assert t.loc[TARGET_MEASURE, "lawful"] == lawful.proposed_measures[TARGET_MEASURE]
    assert t.loc["additional_jobs", "difference"] == pytest.approx(
        t.loc["additional_jobs", "lawful"] - t.loc["additional_jobs", "all"]
    )
    # the baseline pays by payment group and the provider knows the truth: same baseline
    assert t["baseline_lawful"].to_dict() == t["baseline_all"].to_dict()
    groups = cost.by_group()
    assert set(groups["breakdown"]) == {"sex", "ethnicity"}
    assert "worst parked share, lower half" in cost.summary()
    assert set(cost.to_frame()["pricing"]) == {"lawful", "all"}
    assert cost.to_dict()["measures"][TARGET_MEASURE]["lawful"] == t.loc[TARGET_MEASURE, "lawful"]
    with pytest.raises(InputError, match="predicted"):
        pricing_choice_cost(caseload, predicted=np.full(len(caseload), 0.3))
