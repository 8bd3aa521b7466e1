"""The shipped model (models/default) loads unchanged and predicts bit for bit as before.

``fixtures/default_model_predictions.csv`` holds the predictions of ``models/default`` on
``data/synthetic/sample_caseload.csv`` made by :func:`predictions` (below). They were first
made with the code of commit 0b914fe, before ``DistanceModel`` was split into a generic core
classifier, a caseload layer and a file-format module (the split changed no bit), and made
again when the model and the sample were regenerated from their seeds on the recalibrated
generator (issue 12). Floats are stored as ``repr`` text, which reads back exactly.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pbr_fairness.caseload.io import read_caseload
from pbr_fairness.distance import DEFAULT_MODEL_DIR, DistanceClassifier, DistanceModel

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "synthetic" / "sample_caseload.csv"
FIXTURE = Path(__file__).with_name("fixtures") / "default_model_predictions.csv"


def text_caseload() -> pd.DataFrame:
    """The sample caseload as text, with blanks, unseen categories and yes/no booleans."""
    text = pd.read_csv(SAMPLE, dtype=str, keep_default_na=False)
    text.loc[::7, "months_unemployed"] = ""
    text.loc[::11, "qualification"] = ""
    text.loc[::13, "region"] = "Atlantis"
    text.loc[::17, "disability"] = "yes"
    text.loc[::19, "lone_parent"] = "no"
    return text


def predictions(model: DistanceModel) -> pd.DataFrame:
    typed = read_caseload(SAMPLE)
    return pd.DataFrame(
        {
            "person_id": typed["person_id"].astype(str),
            "p_typed": model.predict_proba(typed)[:, 1],
            "raw_score_typed": model.decision_function(typed),
            "p_text": model.predict_proba(text_caseload())[:, 1],
        }
    )


@pytest.fixture(scope="module")
def before() -> pd.DataFrame:
    raw = pd.read_csv(FIXTURE, dtype=str)
    out = raw[["person_id"]].copy()
    for col in ("p_typed", "raw_score_typed", "p_text"):
        out[col] = np.array([float(v) for v in raw[col]])
    return out


def test_shipped_model_predicts_as_before(before: pd.DataFrame) -> None:
    model = DistanceModel.load(DEFAULT_MODEL_DIR)
    now = predictions(model)
    assert list(now["person_id"]) == list(before["person_id"])
    for col in ("p_typed", "raw_score_typed", "p_text"):
        # bit-identical: not a single rounding step differs
        np.testing.assert_array_equal(now[col].to_numpy(), before[col].to_numpy(), err_msg=col)


def test_shipped_model_core_is_the_same_model(before: pd.DataFrame) -> None:
    """The core classifier inside the shipped model predicts the same from the typed table."""
    model = DistanceModel.load(DEFAULT_MODEL_DIR)
    core = model.classifier_
    assert isinstance(core, DistanceClassifier)
    typed = read_caseload(SAMPLE)
    Xm = model.features_.encode(typed)
    proba = core.predict_proba(model.features_.to_frame(Xm))[:, 1]
    np.testing.assert_array_equal(proba, before["p_typed"].to_numpy())
    assert list(core.feature_names_in_) == list(model.feature_names_in_)
    assert core.offset_index_ == model.features_.names.index("payment_group")
