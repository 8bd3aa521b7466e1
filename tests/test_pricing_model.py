"""The pricing model (models/pricing): no sex or ethnicity inputs, a card that says why."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pbr_fairness.caseload import schema
from pbr_fairness.caseload.generator import make_caseload
from pbr_fairness.distance import (
    DEFAULT_FEATURES,
    DEFAULT_MODEL_DIR,
    PRICING_EXCLUDED,
    PRICING_MODEL_DIR,
    PRICING_MODEL_FEATURES,
    DistanceModel,
    excluded_inputs,
    load_pricing_model,
    train_pricing_model,
)
from pbr_fairness.distance.pricing import PRICING_SEED
from pbr_fairness.errors import InputError


def _card(directory: Path) -> dict:
    return json.loads((directory / "model_card.json").read_text(encoding="utf-8"))


def test_excluded_list_is_sex_and_ethnicity_from_the_protected_list() -> None:
    assert PRICING_EXCLUDED == ("sex", "ethnicity")
    assert set(PRICING_EXCLUDED) <= set(schema.PROTECTED_CHARACTERISTICS)
    assert PRICING_MODEL_FEATURES == tuple(f for f in DEFAULT_FEATURES if f not in PRICING_EXCLUDED)
    # disability, age and the benefit-based payment group stay
    assert {"disability", "age", "benefit", "payment_group"} <= set(PRICING_MODEL_FEATURES)


def test_shipped_pricing_model_reads_no_sex_or_ethnicity() -> None:
    model = load_pricing_model()
    assert excluded_inputs(model) == ()
    assert tuple(model.features_.names) == PRICING_MODEL_FEATURES
    assert not {"sex", "ethnicity"} & set(model.feature_names_in_)
    # the full model does read them (it is the one the audit measures with)
    assert excluded_inputs(DistanceModel.load(DEFAULT_MODEL_DIR)) == ("sex", "ethnicity")


def test_pricing_predictions_ignore_sex_and_ethnicity() -> None:
    cl = make_caseload(2000, rng=7, providers=2)
    shuffled = cl.copy()
    order = np.random.default_rng(0).permutation(len(cl))
    for col in ("sex", "ethnicity"):
        shuffled[col] = cl[col].to_numpy()[order]
    shuffled.loc[::5, "sex"] = pd.NA
    model = load_pricing_model()
    np.testing.assert_array_equal(
        model.predict_proba(cl)[:, 1], model.predict_proba(shuffled)[:, 1]
    )


def test_shipped_card_states_what_was_left_out_and_why() -> None:
    card = _card(PRICING_MODEL_DIR)
    excluded = card["excluded_features"]
    assert {"sex", "ethnicity"} <= set(excluded)
    assert "Equality Act 2010, s.13(1)" in excluded["sex"]
    assert "s.13(3)" in excluded["disability (kept)"]
    assert "benefit" in excluded["payment_group, benefit (kept)"]
    assert card["seed"] == PRICING_SEED
    assert "sex" not in card["features"]["names"]
    md = (PRICING_MODEL_DIR / "model_card.md").read_text(encoding="utf-8")
    assert "## Inputs left out" in md and "Equality Act 2010" in md
    # same seed as the default model: the same test caseload, so accuracy is comparable
    assert card["training"]["test_hash"] == _card(DEFAULT_MODEL_DIR)["training"]["test_hash"]
    for name, digest in card["files"].items():
        data = (PRICING_MODEL_DIR / name).read_bytes()
        assert digest == "sha256:" + hashlib.sha256(data).hexdigest(), name
    assert sum(p.stat().st_size for p in PRICING_MODEL_DIR.iterdir()) < 500_000


def test_train_pricing_model_writes_a_model_without_them(tmp_path: Path) -> None:
    made = train_pricing_model(tmp_path / "pricing", n=1500, evaluate=False)
    again = load_pricing_model(tmp_path / "pricing")
    assert excluded_inputs(again) == ()
    assert made.card["excluded_features"]["ethnicity"].startswith("Left out")
    assert "pricing model" in made.card["name"]


def test_load_pricing_model_refuses_a_model_that_reads_sex(tmp_path: Path) -> None:
    cl = make_caseload(600, rng=2, providers=1)
    DistanceModel(["age", "sex"], n_estimators=10, rng=0).fit(cl, "job_outcome").save(
        tmp_path / "m"
    )
    with pytest.raises(InputError, match="must not read sex"):
        load_pricing_model(tmp_path / "m")
    with pytest.raises(InputError, match="make prepare"):
        load_pricing_model(tmp_path / "empty")
