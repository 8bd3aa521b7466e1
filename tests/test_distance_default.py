"""The default model: recreated from its seed, its card, loading once, the shipped files."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from pbr_fairness.caseload.generator import make_caseload
from pbr_fairness.distance import (
    DEFAULT_MODEL_DIR,
    DistanceModel,
    load_default_model,
    train_default_model,
)
from pbr_fairness.errors import InputError

SMALL = {"n": 3_000, "n_test": 2_000, "n_boot": 20, "shap_sample": 300}


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    out = tmp_path_factory.mktemp("default")
    return train_default_model(out, seed=9, **SMALL)


def test_card(made) -> None:
    d = made.directory
    names = {p.name for p in d.iterdir()}
    assert names == {"model.txt", "calibration.json", "preprocessing.json", "model_card.json",
                     "model_card.md"}
    card = json.loads((d / "model_card.json").read_text(encoding="utf-8"))
    assert card["seed"] == 9
    assert card["training"]["training_hash"].startswith("sha256:")
    assert card["training"]["n_train"] == 3_000
    assert card["features"]["names"][0] == "payment_group"
    assert {"auc", "brier", "ece", "oracle_auc", "logistic_baseline_auc"} <= set(card["metrics"])
    assert card["fairness"]["table"] and card["importance"]
    assert {"lightgbm", "scikit-learn", "shap", "fairlearn", "pbr-fairness"} <= set(
        card["package_versions"]
    )
    assert len(card["bands"]["named"]) == 5
    # one direction: band 1 is the furthest from work, every band labelled with its chance
    assert card["bands"]["direction"].startswith("band 1 = furthest from work")
    assert [r["number"] for r in card["bands"]["named"]] == [1, 2, 3, 4, 5]
    assert card["bands"]["named"][0]["band"] == "furthest from work"
    assert card["bands"]["named"][0]["label"].startswith(
        "Band 1 (furthest from work): chance below"
    )
    assert len(card["bands"]["deciles"]) == 10
    assert card["bands"]["deciles"][-1]["label"].startswith("Band 10 (closest to work): chance")
    assert "closest to work (lowest" not in json.dumps(card)
    for name, digest in card["files"].items():
        assert digest == "sha256:" + hashlib.sha256((d / name).read_bytes()).hexdigest()
    md = (d / "model_card.md").read_text(encoding="utf-8")
    for heading in ("## Features", "## Bands", "## Accuracy on the test data", "## Fairness",
                    "## What drives the predictions", "## Package versions"):
        assert heading in md
    assert "insufficient data" in md
    assert "One direction: band 1 = furthest from work" in md
    assert "| 1 | furthest from work | chance below" in md


def test_recreated_from_seed(made, tmp_path) -> None:
    again = train_default_model(tmp_path / "again", seed=9, evaluate=False, **{
        k: v for k, v in SMALL.items() if k == "n"})
    people = make_caseload(500, rng=3)
    np.testing.assert_array_equal(
        again.model.predict_proba(people), made.model.predict_proba(people)
    )
    assert (tmp_path / "again" / "model.txt").read_bytes() == (
        made.directory / "model.txt"
    ).read_bytes()


def test_load_default_model_is_cached(made, monkeypatch) -> None:
    a = load_default_model(made.directory)
    assert a is load_default_model(made.directory)
    monkeypatch.setenv("PBR_FAIRNESS_MODEL_DIR", str(made.directory))
    assert load_default_model() is a
    with pytest.raises(InputError, match="make prepare"):
        load_default_model(made.directory / "missing")


def test_shipped_model() -> None:
    """models/default is in the repository, loads without pickles and matches its card."""
    d = Path(DEFAULT_MODEL_DIR)
    model = DistanceModel.load(d)
    card = json.loads((d / "model_card.json").read_text(encoding="utf-8"))
    for name, digest in card["files"].items():
        assert digest == "sha256:" + hashlib.sha256((d / name).read_bytes()).hexdigest()
    assert sum(p.stat().st_size for p in d.iterdir()) < 5_000_000
    people = make_caseload(2_000, rng=77)
    p = model.predict_proba(people)[:, 1]
    assert abs(p.mean() - people["true_p_observable"].mean()) < 0.03
    assert np.corrcoef(p, people["true_p_observable"])[0, 1] > 0.9
    assert card["metrics"]["auc"] >= 0.98 * card["metrics"]["oracle_auc"]
    assert card["bands"]["direction"].startswith("band 1 = furthest from work")
    assert [r["label"] for r in card["bands"]["deciles"]] == list(model.band_labels(10))
    assert "Band 1 (furthest from work)" in (d / "model_card.md").read_text(encoding="utf-8")
