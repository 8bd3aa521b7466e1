"""DistanceClassifier: the generic core on arrays and frames, and DistanceModel on top of it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils import get_tags

from pbr_fairness.caseload.generator import make_caseload
from pbr_fairness.distance import DistanceClassifier, DistanceModel
from pbr_fairness.errors import InputError


@pytest.fixture(scope="module")
def table() -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(1)
    n = 1_500
    frame = pd.DataFrame(
        {
            "x": rng.normal(size=n),
            "group": pd.Categorical(rng.choice(["a", "b", "c"], n)),
            "flag": (rng.random(n) < 0.4).astype(float),
        }
    )
    logit = -0.5 + frame["x"] + 1.2 * (frame["group"] == "a") - 0.8 * frame["flag"]
    y = (rng.random(n) < 1 / (1 + np.exp(-logit.to_numpy()))).astype(int)
    return frame, y


def test_arrays_and_frames(table) -> None:
    frame, y = table
    X = frame[["x", "flag"]].to_numpy()
    clf = DistanceClassifier(n_estimators=30, rng=0).fit(X, y)
    assert clf.n_features_in_ == 2 and not hasattr(clf, "feature_names_in_")
    assert not clf.is_categorical_.any()
    p = clf.predict_proba(X)
    assert p.shape == (len(X), 2)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    assert abs(p[:, 1].mean() - y.mean()) < 0.02
    np.testing.assert_array_equal(clf.predict(X), (p[:, 1] > 0.5).astype(int))
    assert ((clf.decision_function(X) > 0) == (p[:, 1] > 0.5)).all()
    # a frame's category column is categorical, and named as in the frame
    fit = DistanceClassifier(n_estimators=30, offset="group", rng=0).fit(frame, y)
    assert list(fit.feature_names_in_) == ["x", "group", "flag"]
    assert fit.is_categorical_.tolist() == [False, True, False]
    assert fit.categories_[1].tolist() == ["a", "b", "c"]
    assert fit.offset_index_ == 1 and len(fit.offsets_) == 4
    by_group = pd.Series(fit.predict_proba(frame)[:, 1]).groupby(frame["group"].to_numpy()).mean()
    observed = pd.Series(y).groupby(frame["group"].to_numpy()).mean()
    np.testing.assert_allclose(by_group, observed, atol=0.02)


def test_categories_given_as_text_or_unseen(table) -> None:
    frame, y = table
    clf = DistanceClassifier(n_estimators=30, rng=0).fit(frame, y)
    p = clf.predict_proba(frame)[:, 1]
    text = frame.assign(group=frame["group"].astype(str))
    np.testing.assert_array_equal(clf.predict_proba(text)[:, 1], p)
    reordered = frame.assign(group=frame["group"].cat.reorder_categories(["c", "a", "b"]))
    np.testing.assert_array_equal(clf.predict_proba(reordered)[:, 1], p)
    unseen = frame.assign(group=frame["group"].astype(str).where(frame.index % 5 > 0, "zzz"))
    missing = frame.assign(group=frame["group"].where(frame.index % 5 > 0))
    np.testing.assert_array_equal(
        clf.predict_proba(unseen)[:, 1], clf.predict_proba(missing)[:, 1]
    )
    # explicit categorical columns, by name or position, of text or numbers
    named = DistanceClassifier(n_estimators=30, categorical_features=["group"], rng=0).fit(text, y)
    np.testing.assert_array_equal(named.predict_proba(text)[:, 1], p)
    codes = frame.assign(group=frame["group"].cat.codes).to_numpy()
    by_pos = DistanceClassifier(n_estimators=30, categorical_features=[1], rng=0).fit(codes, y)
    assert by_pos.categories_[1].tolist() == [0, 1, 2]
    np.testing.assert_array_equal(by_pos.predict_proba(codes)[:, 1], p)


def test_labels_and_tags(table) -> None:
    frame, y = table
    labels = np.where(y == 1, "job", "no job")
    clf = DistanceClassifier(n_estimators=20, rng=0).fit(frame, labels)
    assert clf.classes_.tolist() == ["job", "no job"]
    assert set(clf.predict(frame)) <= {"job", "no job"}
    tags = get_tags(clf)
    assert tags.classifier_tags.multi_class is False
    assert tags.input_tags.allow_nan is True
    with pytest.raises(ValueError, match="Only binary classification"):
        DistanceClassifier(n_estimators=5).fit(frame, np.arange(len(frame)) % 3)
    with pytest.raises(ValueError, match="one class"):
        DistanceClassifier(n_estimators=5).fit(frame, np.ones(len(frame)))


def test_settings_and_fitting_errors(table) -> None:
    frame, y = table
    fresh = DistanceClassifier(n_estimators=10, calibration="isotonic")
    assert clone(fresh).get_params()["calibration"] == "isotonic"
    with pytest.raises(NotFittedError):
        fresh.predict_proba(frame)
    with pytest.raises(InputError) as err:
        DistanceClassifier(calibration="magic", cv=1, n_estimators=0).fit(frame, y)
    assert len(err.value.problems) == 3
    with pytest.raises(InputError, match="offset must name a categorical feature"):
        DistanceClassifier(n_estimators=5, offset="x").fit(frame, y)
    with pytest.raises(InputError, match="not a column"):
        DistanceClassifier(n_estimators=5, categorical_features=["nope"]).fit(frame, y)
    fit = DistanceClassifier(n_estimators=5, rng=0).fit(frame, y)
    with pytest.raises(ValueError, match="feature names should match"):
        fit.predict_proba(frame[["x", "group"]])
    on_array = DistanceClassifier(n_estimators=5, rng=0).fit(frame[["x", "flag"]].to_numpy(), y)
    with pytest.raises(ValueError, match="X has 1 features, but DistanceClassifier is expecting 2"):
        on_array.predict_proba(frame[["x"]].to_numpy())
    with pytest.raises(ValueError, match="infinity"):
        fit.predict_proba(frame.assign(x=np.inf))


def test_small_tables_and_calibration_schemes(table) -> None:
    frame, y = table
    assert DistanceClassifier(n_estimators=5, rng=0).fit(frame, y).calibration_scheme_ == (
        "cross-fitted (5 folds)"
    )
    held = DistanceClassifier(n_estimators=5, cv=None, rng=0).fit(frame, y)
    assert held.calibration_scheme_ == "holdout (300 rows)"
    few = np.zeros(40, dtype=int)
    few[:3] = 1
    assert DistanceClassifier(n_estimators=5, rng=0).fit(frame[:40], few).calibration_scheme_ == (
        "cross-fitted (3 folds)"
    )
    few[1:3] = 0
    one = DistanceClassifier(n_estimators=5, rng=0).fit(frame[:40], few)
    assert one.calibration_scheme_.startswith("in-sample")
    assert np.isfinite(one.predict_proba(frame[:40])).all()


def test_distance_model_is_a_thin_layer_over_the_core() -> None:
    people = make_caseload(2_000, rng=5, providers=2)
    model = DistanceModel(n_estimators=30, rng=4).fit(people, "job_outcome")
    core = model.classifier_
    assert isinstance(core, DistanceClassifier)
    assert core.get_params()["offset"] == "payment_group"
    assert {k: v for k, v in core.get_params().items() if k not in ("categorical_features",
            "offset")} == {k: v for k, v in model.get_params().items() if k not in (
            "features", "offset")}
    # the core alone, on the encoded features, is the same model
    Xm = model.features_.encode(people)
    alone = clone(core).fit(model.features_.to_frame(Xm), people["job_outcome"].to_numpy())
    np.testing.assert_array_equal(
        alone.predict_proba(model.features_.to_frame(Xm)), model.predict_proba(people)
    )
    assert alone.booster_.model_to_string() == model.booster_.model_to_string()
    assert model.offset_feature_ == "payment_group"
    np.testing.assert_array_equal(model.offsets_, core.offsets_)
